//! Humanised numbers: bytes, nanosecond durations, second counts, and the
//! field-name rules that decide which of them a value is.

/// What a numeric field measures, judged by its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Bytes,
    Nanoseconds,
    Seconds,
    Plain,
}

/// Names that carry bytes although nothing in the name says so.
const BYTE_NAMES: &[&str] = &[
    "sys",
    "stack_inuse",
    "stack_sys",
    "total_alloc",
    "next_gc",
    "gc_sys",
    "other_sys",
    "mspan_inuse",
    "mspan_sys",
    "mcache_inuse",
    "mcache_sys",
    "buck_hash_sys",
];

/// Names that carry nanoseconds although nothing in the name says so.
const NANOSECOND_NAMES: &[&str] =
    &["runningtime", "inittime", "mailboxlatency", "usertime", "systemtime", "pause_total"];

/// Judges the unit of a field from its name (`MemoryAlloc` → bytes,
/// `RunningTime` → nanoseconds, `Uptime` → seconds).
pub fn unit_of(field: &str) -> Unit {
    let name = field.to_ascii_lowercase();

    if is_count(&name) {
        return Unit::Plain;
    }
    if NANOSECOND_NAMES.contains(&name.as_str())
        || name.ends_with("_ns")
        || name.ends_with("latency")
    {
        return Unit::Nanoseconds;
    }
    if BYTE_NAMES.contains(&name.as_str())
        || name.ends_with("alloc")
        || name.contains("bytes")
        || name.contains("memory")
        || name.starts_with("heap_")
    {
        return Unit::Bytes;
    }
    if name.ends_with("uptime") || name.ends_with("_sec") || name.ends_with("_s") {
        return Unit::Seconds;
    }
    Unit::Plain
}

/// Counts that look like byte or time fields by name but are not.
fn is_count(name: &str) -> bool {
    name.contains("objects")
        || name.starts_with("num_")
        || name.ends_with("_count")
        || name.ends_with("count")
}

/// Formats a number the way `unit` reads best; `None` for a plain number.
pub fn format_unit(unit: Unit, value: f64) -> Option<String> {
    let whole = value as i64;
    match unit {
        Unit::Plain => None,
        Unit::Bytes if value < 0.0 => Some("n/a".to_string()),
        Unit::Bytes => Some(bytes(whole)),
        Unit::Nanoseconds if value < 0.0 => Some("n/a".to_string()),
        Unit::Nanoseconds => Some(duration_ns(whole)),
        Unit::Seconds if value < 0.0 => Some("n/a".to_string()),
        Unit::Seconds => Some(seconds(whole)),
    }
}

/// `1536` → `1.5 KiB`; below 1 KiB the exact count, `512 B`.
pub fn bytes(n: i64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

    let sign = if n < 0 { "-" } else { "" };
    let magnitude = n.unsigned_abs();
    if magnitude < 1024 {
        return format!("{sign}{magnitude} B");
    }

    let mut scaled = magnitude as f64 / 1024.0;
    let mut unit = 0;
    while scaled >= 1024.0 && unit + 1 < UNITS.len() {
        scaled /= 1024.0;
        unit += 1;
    }
    format!("{sign}{} {}", one_decimal(scaled), UNITS[unit])
}

/// `3277` → `3.3µs`, `213426000` → `213ms`, `90_000_000_000` → `1m30s`.
pub fn duration_ns(n: i64) -> String {
    let sign = if n < 0 { "-" } else { "" };
    let magnitude = n.unsigned_abs();

    let text = if magnitude < 1_000 {
        format!("{magnitude}ns")
    } else if magnitude < 1_000_000 {
        format!("{}µs", one_decimal(magnitude as f64 / 1e3))
    } else if magnitude < 1_000_000_000 {
        format!("{}ms", one_decimal(magnitude as f64 / 1e6))
    } else if magnitude < 60_000_000_000 {
        format!("{}s", two_decimals(magnitude as f64 / 1e9))
    } else {
        whole_seconds(magnitude / 1_000_000_000)
    };
    format!("{sign}{text}")
}

/// `31` → `31s`, `310` → `5m10s`, `90061` → `1d1h`.
pub fn seconds(n: i64) -> String {
    let sign = if n < 0 { "-" } else { "" };
    format!("{sign}{}", whole_seconds(n.unsigned_abs()))
}

fn whole_seconds(total: u64) -> String {
    let (days, hours) = (total / 86_400, total % 86_400 / 3_600);
    let (minutes, seconds) = (total % 3_600 / 60, total % 60);

    if days > 0 {
        format!("{days}d{hours}h")
    } else if hours > 0 {
        format!("{hours}h{minutes}m")
    } else if minutes > 0 {
        format!("{minutes}m{seconds}s")
    } else {
        format!("{seconds}s")
    }
}

/// One decimal below 100 (`4.5`), none above (`213`): three significant digits.
fn one_decimal(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else {
        trim_zero(format!("{value:.1}"))
    }
}

fn two_decimals(value: f64) -> String {
    if value >= 10.0 {
        one_decimal(value)
    } else {
        trim_zero(format!("{value:.2}"))
    }
}

fn trim_zero(text: String) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_use_binary_units_with_three_digits() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(5_722_400), "5.5 MiB");
        assert_eq!(bytes(17_668_360), "16.8 MiB");
        assert_eq!(bytes(150 * 1024 * 1024), "150 MiB");
        assert_eq!(bytes(-2048), "-2 KiB");
    }

    #[test]
    fn nanoseconds_pick_the_largest_sensible_unit() {
        assert_eq!(duration_ns(0), "0ns");
        assert_eq!(duration_ns(3_277), "3.3µs");
        assert_eq!(duration_ns(213_426_000), "213ms");
        assert_eq!(duration_ns(1_500_000_000), "1.5s");
        assert_eq!(duration_ns(90_000_000_000), "1m30s");
    }

    #[test]
    fn seconds_show_two_units_at_most() {
        assert_eq!(seconds(31), "31s");
        assert_eq!(seconds(310), "5m10s");
        assert_eq!(seconds(7_380), "2h3m");
        assert_eq!(seconds(90_061), "1d1h");
    }

    #[test]
    fn field_names_decide_the_unit() {
        assert_eq!(unit_of("MemoryAlloc"), Unit::Bytes);
        assert_eq!(unit_of("MemoryUsed"), Unit::Bytes);
        assert_eq!(unit_of("TransitBytesIn"), Unit::Bytes);
        assert_eq!(unit_of("heap_inuse"), Unit::Bytes);
        assert_eq!(unit_of("sys"), Unit::Bytes);
        assert_eq!(unit_of("stack_inuse"), Unit::Bytes);
        assert_eq!(unit_of("heap_objects"), Unit::Plain);
        assert_eq!(unit_of("RunningTime"), Unit::Nanoseconds);
        assert_eq!(unit_of("InitTime"), Unit::Nanoseconds);
        assert_eq!(unit_of("MailboxLatency"), Unit::Nanoseconds);
        assert_eq!(unit_of("last_gc_pause_ns"), Unit::Nanoseconds);
        assert_eq!(unit_of("Uptime"), Unit::Seconds);
        assert_eq!(unit_of("duration_sec"), Unit::Seconds);
        assert_eq!(unit_of("MessagesMailbox"), Unit::Plain);
        assert_eq!(unit_of("num_gc"), Unit::Plain);
        assert_eq!(unit_of("restarts_count"), Unit::Plain);
    }

    #[test]
    fn negative_measurements_read_as_unavailable() {
        assert_eq!(format_unit(Unit::Nanoseconds, -1.0).as_deref(), Some("n/a"));
        assert_eq!(format_unit(Unit::Plain, -1.0), None);
    }
}
