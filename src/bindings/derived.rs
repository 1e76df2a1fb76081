//! The handbook's derived metrics over one `process_list` / `process_info`
//! row (a Rhai map with the Ergo field names).

use rhai::{Dynamic, Map};

/// Latency fields read -1 on a node built without `-tags=latency`.
pub const LATENCY_DISABLED: &str = "node built without -tags=latency";

/// Messages handled per wakeup: `MessagesIn / Wakeups`. `None` when
/// `Wakeups` is 0 or missing (older nodes always report 0).
pub fn drain(row: &Map) -> Option<f64> {
    let wakeups = number(row, "Wakeups")?;
    if wakeups == 0.0 {
        return None;
    }
    Some(number(row, "MessagesIn")? / wakeups)
}

/// How much of its life a process spent running compared with how long
/// its messages wait: `RunningTime_ns / (Uptime_s × MailboxLatency_ns)`.
/// `uptime_s` is usually the row's own `Uptime`. `None` when latency is
/// -1 (not measured), 0, or missing, or when `uptime_s` is not positive.
pub fn liveness(row: &Map, uptime_s: f64) -> Option<f64> {
    let latency = number(row, "MailboxLatency")?;
    if latency <= 0.0 || uptime_s <= 0.0 {
        return None;
    }
    Some(number(row, "RunningTime")? / (uptime_s * latency))
}

/// What a latency field's value means when it is not a measurement.
pub fn latency_explained(value: &Dynamic) -> Option<&'static str> {
    match value.as_int() {
        Ok(-1) => Some(LATENCY_DISABLED),
        _ => None,
    }
}

/// A numeric field as `f64`, whether the row holds an integer or a float.
fn number(row: &Map, field: &str) -> Option<f64> {
    let value = row.get(field)?;
    value.as_int().map(|n| n as f64).or_else(|_| value.as_float()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(fields: &[(&str, Dynamic)]) -> Map {
        fields.iter().map(|(key, value)| ((*key).into(), value.clone())).collect()
    }

    #[test]
    fn drain_divides_messages_by_wakeups() {
        let busy = row(&[("MessagesIn", 600.into()), ("Wakeups", 200.into())]);
        assert_eq!(drain(&busy), Some(3.0));
    }

    #[test]
    fn drain_is_unknown_without_wakeups() {
        let recorded = row(&[("MessagesIn", 6130.into()), ("Wakeups", 0.into())]);
        assert_eq!(drain(&recorded), None);
        assert_eq!(drain(&row(&[("MessagesIn", 1.into())])), None);
    }

    #[test]
    fn liveness_uses_running_time_uptime_and_latency() {
        let slow = row(&[
            ("RunningTime", 3_000_000_000i64.into()),
            ("Uptime", 30.into()),
            ("MailboxLatency", 1_000_000.into()),
        ]);
        assert_eq!(liveness(&slow, 30.0), Some(100.0));
        assert_eq!(liveness(&slow, 0.0), None);
    }

    #[test]
    fn liveness_is_unknown_without_latency() {
        let recorded = row(&[
            ("RunningTime", 3277.into()),
            ("Uptime", 31.into()),
            ("MailboxLatency", (-1).into()),
        ]);
        assert_eq!(liveness(&recorded, 31.0), None);
        assert_eq!(liveness(&row(&[("RunningTime", 1.into())]), 31.0), None);
    }

    #[test]
    fn minus_one_latency_is_explained() {
        assert_eq!(
            latency_explained(&Dynamic::from_int(-1)),
            Some("node built without -tags=latency")
        );
        assert_eq!(latency_explained(&Dynamic::from_int(250)), None);
    }
}
