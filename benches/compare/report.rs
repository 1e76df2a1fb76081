//! Medians, ratios and the one line printed per workload.

use std::time::Duration;

/// The median of some samples (the mean of the middle two for an even count).
pub fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    match sorted.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

/// The median of plain numbers.
pub fn median_u64(samples: &[u64]) -> u64 {
    let mut sorted = samples.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or(0)
}

/// A duration in the unit that reads best: µs, ms or s.
pub fn duration(value: Duration) -> String {
    let micros = value.as_secs_f64() * 1e6;
    if micros < 1_000.0 {
        format!("{micros:.0} µs")
    } else if micros < 10_000.0 {
        format!("{:.2} ms", micros / 1e3)
    } else if micros < 1_000_000.0 {
        format!("{:.0} ms", micros / 1e3)
    } else {
        format!("{:.2} s", micros / 1e6)
    }
}

/// KiB as MiB.
pub fn mib(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

/// One workload's result line: two sides, their ratio, the target.
pub struct Line<'a> {
    pub label: &'a str,
    pub ergosh: String,
    pub baseline_name: &'a str,
    pub baseline: String,
    pub ratio: f64,
    pub target: f64,
}

impl Line<'_> {
    /// Prints the line and returns whether the target is met.
    pub fn print(&self) -> bool {
        let is_met = self.ratio <= self.target;
        let verdict = if is_met { "met" } else { "MISSED" };
        println!(
            "{:<24} ergosh {:>11} | {} {:>11} | ratio {:>5.2}x (target <= {:.2}x) {}",
            self.label,
            self.ergosh,
            self.baseline_name,
            self.baseline,
            self.ratio,
            self.target,
            verdict
        );
        is_met
    }
}

/// A detail under a line: splits, counts, memory.
pub fn detail(text: &str) {
    println!("{:<24}   {text}", "");
}

/// A workload or baseline that could not run, with why.
pub fn skipped(label: &str, why: &str) {
    println!("{label:<24} skipped: {why}");
}

/// Ratio of two durations.
pub fn ratio(ergosh: Duration, baseline: Duration) -> f64 {
    ergosh.as_secs_f64() / baseline.as_secs_f64().max(1e-9)
}

/// One side of a comparison: takes one sample per call.
pub type Side<'a> = &'a mut dyn FnMut() -> anyhow::Result<()>;

/// Takes samples of every side in turn over rounds; round `r` starts with
/// side `r mod n`, so drift and warm caches hit every side alike.
pub fn rotate(rounds: usize, sides: &mut [Side<'_>]) -> anyhow::Result<()> {
    let count = sides.len();
    for round in 0..rounds {
        for turn in 0..count {
            (sides[(round + turn) % count])()?;
        }
    }
    Ok(())
}
