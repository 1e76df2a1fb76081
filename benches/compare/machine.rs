//! The machine a run came from: cores, CPU model, memory.

use std::fs;
use std::thread;

/// One line such as `2 cores, AMD EPYC 7B13, 7.8 GiB memory`.
pub fn describe() -> String {
    let cores = thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = field(&cpuinfo, "model name").unwrap_or_else(|| "unknown CPU".to_string());
    let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory = field(&meminfo, "MemTotal")
        .and_then(|value| value.split_whitespace().next()?.parse::<f64>().ok())
        .map(|kib| format!("{:.1} GiB memory", kib / 1024.0 / 1024.0))
        .unwrap_or_else(|| "unknown memory".to_string());
    format!("{cores} cores, {model}, {memory}")
}

fn field(text: &str, name: &str) -> Option<String> {
    text.lines()
        .find(|line| line.starts_with(name))
        .and_then(|line| line.split_once(':'))
        .map(|(_, value)| value.trim().to_string())
}
