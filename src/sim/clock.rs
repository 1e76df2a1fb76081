//! Simulated time: milliseconds since the simulator started, moved either
//! by real time (times a speed) or only by the tests, plus the few Go time
//! formats the node's answers use.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;

use super::ClockMode;

/// The simulator's clock; shared by every request and sampler.
pub struct Clock {
    mode: ClockMode,
    started: Instant,
    wall_base_ms: u64,
    offset_ms: AtomicU64,
    moved: watch::Sender<u64>,
}

impl Clock {
    pub fn new(mode: ClockMode) -> Clock {
        let wall_base_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|since| since.as_millis() as u64)
            .unwrap_or(0);
        Clock {
            mode,
            started: Instant::now(),
            wall_base_ms,
            offset_ms: AtomicU64::new(0),
            moved: watch::channel(0).0,
        }
    }

    /// Sim time in milliseconds since start.
    pub fn now_ms(&self) -> u64 {
        let offset = self.offset_ms.load(Ordering::SeqCst);
        match self.mode {
            ClockMode::Real { speed } => {
                let elapsed = self.started.elapsed().as_secs_f64() * speed * 1000.0;
                elapsed as u64 + offset
            }
            ClockMode::Manual => offset,
        }
    }

    /// Steps time forward (in Real mode too: a jump ahead).
    pub fn advance(&self, by: Duration) -> u64 {
        self.offset_ms.fetch_add(by.as_millis() as u64, Ordering::SeqCst);
        let now = self.now_ms();
        self.moved.send_replace(now);
        now
    }

    /// Notified on every manual step.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.moved.subscribe()
    }

    /// How long `sim_seconds` of simulated work takes in real time: scaled
    /// by the speed in Real mode, one for one in Manual mode.
    pub fn real_duration(&self, sim_seconds: f64) -> Duration {
        let seconds = match self.mode {
            ClockMode::Real { speed } if speed > 0.0 => sim_seconds / speed,
            _ => sim_seconds,
        };
        Duration::from_secs_f64(seconds.max(0.0))
    }

    pub fn is_manual(&self) -> bool {
        self.mode == ClockMode::Manual
    }

    /// Unix time in milliseconds of a sim time.
    pub fn wall_ms(&self, sim_ms: u64) -> u64 {
        self.wall_base_ms + sim_ms
    }
}

/// RFC 3339 in UTC the way Go's `RFC3339Nano` writes it: fractional
/// seconds without trailing zeros, none at all on a whole second.
pub fn rfc3339_nano(unix_ms: u64) -> String {
    let whole = rfc3339_seconds(unix_ms);
    let millis = unix_ms % 1000;
    if millis == 0 {
        return whole;
    }
    let fraction = format!("{millis:03}");
    let fraction = fraction.trim_end_matches('0');
    format!("{}.{fraction}Z", whole.trim_end_matches('Z'))
}

/// RFC 3339 in UTC to the second: `2026-12-03T08:57:35Z`.
pub fn rfc3339_seconds(unix_ms: u64) -> String {
    let seconds = unix_ms / 1000;
    let days = (seconds / 86_400) as i64;
    let of_day = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    )
}

/// Days since 1970-01-01 to a (year, month, day) date.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Go's `time.Duration.String()` for a whole number of milliseconds:
/// `500ms`, `1s`, `1.5s`, `1m0s`, `2h0m0s`.
pub fn go_duration(ms: u64) -> String {
    if ms == 0 {
        return "0s".to_string();
    }
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let hours = ms / 3_600_000;
    let minutes = ms / 60_000 % 60;
    let seconds = ms / 1000 % 60;
    let millis = ms % 1000;
    let mut seconds_text = seconds.to_string();
    if millis > 0 {
        let fraction = format!("{millis:03}");
        seconds_text = format!("{seconds}.{}", fraction.trim_end_matches('0'));
    }
    if hours > 0 {
        format!("{hours}h{minutes}m{seconds_text}s")
    } else if minutes > 0 {
        format!("{minutes}m{seconds_text}s")
    } else {
        format!("{seconds_text}s")
    }
}

#[cfg(test)]
mod tests {
    use super::{go_duration, rfc3339_nano, rfc3339_seconds};

    #[test]
    fn dates_are_utc_rfc3339() {
        assert_eq!(rfc3339_seconds(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_seconds(1_796_288_255_000), "2026-12-03T08:57:35Z");
        assert_eq!(rfc3339_nano(1_796_288_255_470), "2026-12-03T08:57:35.47Z");
        assert_eq!(rfc3339_nano(1_796_288_255_000), "2026-12-03T08:57:35Z");
    }

    #[test]
    fn durations_read_like_go() {
        assert_eq!(go_duration(500), "500ms");
        assert_eq!(go_duration(1000), "1s");
        assert_eq!(go_duration(1500), "1.5s");
        assert_eq!(go_duration(60_000), "1m0s");
        assert_eq!(go_duration(7_200_000), "2h0m0s");
        assert_eq!(go_duration(57_000), "57s");
    }
}
