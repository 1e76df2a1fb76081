//! Times `bindings::convert::parse_json` on a `process_list(#{limit: -1})`
//! answer of 100,000 rows shaped like the recordings (recording 008: 16
//! fields, PIDs escaped as Go escapes them), then a Rhai closure filter and
//! count over the result. Prints wall and CPU time per phase (CPU time is
//! the steadier figure on a busy machine) and the peak resident memory.
//!
//! Run with `cargo run --release --example parse_timing [ROWS]`.

use std::fmt::Write;
use std::time::Instant;

use ergosh::bindings::convert::{parse_json, parse_json_sequential, ConvertError};
use rhai::{Dynamic, Engine, Scope};

const ROUNDS: usize = 5;

fn main() {
    let rows = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let text = process_rows(rows);
    let before = rss_mib("VmRSS");
    println!("{rows} rows, {:.1} MB of pretty JSON, rss {before} MiB", text.len() as f64 / 1e6);

    let value = parse_json(&text).expect("valid");
    println!("holding the parsed rows: rss {} MiB", rss_mib("VmRSS"));
    drop(value);
    if std::env::var_os("PARSE_ONLY").is_some() {
        let kept: Vec<Dynamic> =
            (0..ROUNDS).map(|_| parse_json_sequential(&text).expect("valid")).collect();
        std::mem::forget(kept);
        return;
    }

    report("parse_json one thread, parse + drop", || drop(parse_json_sequential(&text)));
    report("parse_json split, parse + drop", || drop(parse_json(&text)));
    report_parse("parse_json one thread, parse alone", || parse_json_sequential(&text));
    report_parse("parse_json split, parse alone", || parse_json(&text));

    let engine = Engine::new();
    for script in [
        "rows.filter(|p| p.MessagesMailbox > 10).len()",
        "rows.filter(|| this.MessagesMailbox > 10).len()",
    ] {
        let mut count = 0;
        let (mut wall, mut cpu) = (0.0, 0.0);
        for _ in 0..ROUNDS {
            let mut scope = Scope::new();
            scope.push_dynamic("rows", parse_json(&text).expect("valid"));
            let (cpu_before, started) = (cpu_seconds(), Instant::now());
            let result: Dynamic = engine.eval_with_scope(&mut scope, script).expect("runs");
            wall += started.elapsed().as_secs_f64();
            cpu += cpu_seconds() - cpu_before;
            count = result.as_int().expect("a count");
        }
        let per_round = |seconds: f64| seconds * 1000.0 / ROUNDS as f64;
        println!(
            "filter + count `{script}`: {:.0} ms wall, {:.0} ms cpu",
            per_round(wall),
            per_round(cpu)
        );
        println!("    counted {count}");
    }
    println!("peak rss {} MiB", rss_mib("VmHWM"));
    report("serde_json::Value (for scale)", || {
        drop(serde_json::from_str::<serde_json::Value>(&text))
    });
}

/// Runs `round` ROUNDS times; prints the mean wall and CPU time per round.
fn report(label: &str, mut round: impl FnMut()) {
    let cpu = cpu_seconds();
    let started = Instant::now();
    for _ in 0..ROUNDS {
        round();
    }
    let wall = started.elapsed().as_secs_f64() * 1000.0 / ROUNDS as f64;
    let cpu = (cpu_seconds() - cpu) * 1000.0 / ROUNDS as f64;
    println!("{label}: {wall:.0} ms wall, {cpu:.0} ms cpu");
}

/// Like `report`, timing the parse only: each result is dropped untimed
/// before the next round, so one parsed copy is held at a time.
fn report_parse(label: &str, parse: impl Fn() -> Result<Dynamic, ConvertError>) {
    let (mut wall, mut cpu) = (0.0, 0.0);
    for _ in 0..ROUNDS {
        let (cpu_before, started) = (cpu_seconds(), Instant::now());
        let value = parse().expect("valid");
        wall += started.elapsed().as_secs_f64();
        cpu += cpu_seconds() - cpu_before;
        drop(value);
    }
    let per_round = |seconds: f64| seconds * 1000.0 / ROUNDS as f64;
    println!("{label}: {:.0} ms wall, {:.0} ms cpu", per_round(wall), per_round(cpu));
}

/// User + system CPU time of this process so far (10 ms resolution).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |index: usize| fields.get(index).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn rss_mib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find(|line| line.starts_with(field))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|kib| kib.parse::<u64>().ok())
        .unwrap_or(0);
    kib / 1024
}

/// Rows like recording 008, pretty-printed as Go's encoding/json does.
fn process_rows(rows: usize) -> String {
    let mut text = String::with_capacity(rows * 480);
    text.push('[');
    for n in 0..rows {
        let name = if n % 3 == 0 { format!("worker_{n}") } else { String::new() };
        let application = ["shop", "payments", "system_app"][n % 3];
        let behavior = ["main.slowWorker", "system.sup", "mcp.mcpSup", "main.cache"][n % 4];
        let state = if n % 10 == 0 { "running" } else { "sleep" };
        let separator = if n == 0 { "" } else { "," };
        let _ = write!(
            text,
            "{separator}\n  {{\n    \"PID\": \"\\u003c9F35C982.0.{pid}\\u003e\",\n    \"Name\": \"{name}\",\n    \
             \"Application\": \"{application}\",\n    \"Behavior\": \"{behavior}\",\n    \
             \"MessagesIn\": {messages_in},\n    \"MessagesOut\": {messages_out},\n    \
             \"MessagesMailbox\": {mailbox},\n    \"RunningTime\": {running},\n    \"Uptime\": 31,\n    \
             \"State\": \"{state}\",\n    \"Parent\": \"\\u003c9F35C982.0.{parent}\\u003e\",\n    \
             \"Leader\": \"\\u003c9F35C982.0.1\\u003e\",\n    \"LogLevel\": \"info\",\n    \
             \"MailboxLatency\": -1,\n    \"InitTime\": {init},\n    \"Wakeups\": {wakeups}\n  }}",
            pid = 1000 + n,
            messages_in = n * 7,
            messages_out = n % 5,
            mailbox = n % 50,
            running = n * 1301,
            parent = 1000 + n / 100,
            init = n % 7,
            wakeups = n % 11,
        );
    }
    text.push_str("\n]");
    text
}
