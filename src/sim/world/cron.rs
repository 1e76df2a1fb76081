//! Cron specs (the minute and hour fields), the cron tools' answers, and
//! RFC 3339 timestamps.

use serde_json::{json, Value};

use super::node::{CronJob, Node};
use crate::sim::clock::civil_from_days;

/// Go's zero `time.Time`.
pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// Whether `spec` fires at `minute` past `hour`. Supports `*`, `*/N` and
/// numbers in the first two fields; the others must be `*`.
pub fn matches(spec: &str, minute: u32, hour: u32) -> bool {
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != 5 {
        return false;
    }
    field_matches(fields[0], minute) && field_matches(fields[1], hour)
}

fn field_matches(field: &str, value: u32) -> bool {
    if field == "*" {
        return true;
    }
    if let Some(step) = field.strip_prefix("*/") {
        return step.parse::<u32>().is_ok_and(|step| step > 0 && value.is_multiple_of(step));
    }
    field.split(',').any(|part| part.parse::<u32>() == Ok(value))
}

/// Unix seconds as `2026-12-03T08:56:00Z`.
pub fn rfc3339(unix_s: i64) -> String {
    let days = unix_s.div_euclid(86_400);
    let seconds = unix_s.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        seconds / 3600,
        (seconds / 60) % 60,
        seconds % 60
    )
}

/// One `CronJobInfo`.
pub fn job_info(node: &Node, job: &CronJob) -> Value {
    let last_run = match job.last_run_ms {
        Some(at) => rfc3339(node.epoch_s + at / 1000),
        None => ZERO_TIME.to_string(),
    };
    json!({
        "Disabled": false,
        "Name": job.name,
        "Spec": job.spec,
        "Location": "Local",
        "ActionInfo": job.action,
        "LastRun": last_run,
        "LastErr": "",
        "Fallback": {"Enable": false, "Name": "", "Tag": ""}
    })
}

/// The runs within `seconds` from `now_ms`: `[{Time, Jobs}]`.
pub fn schedule(node: &Node, now_ms: i64, seconds: i64) -> Vec<Value> {
    let now_s = node.epoch_s + now_ms / 1000;
    let first = now_s.div_euclid(60) * 60;
    let mut runs = Vec::new();
    let mut at = first;
    while at <= now_s + seconds {
        let minutes = at / 60;
        let (minute, hour) = ((minutes % 60) as u32, ((minutes / 60) % 24) as u32);
        let jobs: Vec<&str> = node
            .cron
            .iter()
            .filter(|job| matches(&job.spec, minute, hour))
            .map(|job| job.name.as_str())
            .collect();
        if !jobs.is_empty() {
            runs.push(json!({"Time": rfc3339(at), "Jobs": jobs}));
        }
        at += 60;
    }
    runs
}

/// `CronInfo`: `{Next, Spool, Jobs}`.
pub fn info(node: &Node, now_ms: i64) -> Value {
    let next = schedule(node, now_ms + 60_000, 86_400)
        .first()
        .and_then(|run| run["Time"].as_str().map(str::to_string))
        .unwrap_or_else(|| ZERO_TIME.to_string());
    let spool: Vec<&str> = node.cron.iter().map(|job| job.name.as_str()).collect();
    let jobs: Vec<Value> = node.cron.iter().map(|job| job_info(node, job)).collect();
    json!({"Next": next, "Spool": spool, "Jobs": jobs})
}

#[cfg(test)]
mod tests {
    use super::{matches, rfc3339};

    #[test]
    fn specs_match_minutes_and_hours() {
        assert!(matches("* * * * *", 13, 4));
        assert!(matches("*/5 * * * *", 10, 4));
        assert!(!matches("*/5 * * * *", 11, 4));
        assert!(matches("30 2 * * *", 30, 2));
        assert!(!matches("30 2 * * *", 30, 3));
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_796_288_160), "2026-12-03T08:56:00Z");
    }
}
