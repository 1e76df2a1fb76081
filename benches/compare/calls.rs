//! Workload 1, per-call overhead: 2,000 sequential small tool calls from a
//! Rhai loop, against the raw keep-alive floor sending the same bodies and
//! the two Python baseline clients.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use ergosh::sim::{SimOptions, Simulator};
use serde_json::Map;

use crate::child;
use crate::raw::RawClient;
use crate::report::{self, Line, Side};
use crate::subject::InProcess;

const CALLS: u32 = 2_000;
const TOOL: &str = "runtime_stats";
const ROUNDS: usize = 5;

/// Runs the workload and prints its lines; false when a target is missed.
pub fn run(baselines: &Path) -> Result<bool> {
    let simulator = Simulator::start(SimOptions { healthy: true, nodes: 1, ..SimOptions::demo() })?;
    let url = simulator.url();

    let mut ergosh = InProcess::connect(&url)?;
    let mut raw = RawClient::connect(&url)?;
    let script = format!("for i in 0..{CALLS} {{ {TOOL}(); }}");
    ergosh.run(&script)?;
    for _ in 0..CALLS {
        raw.call_parsed(TOOL, "{}")?;
    }

    let python = python_baselines(baselines);
    let mut ergosh_samples = Vec::new();
    let mut raw_samples = Vec::new();
    let mut keepalive_samples = Vec::new();
    let mut sdk_samples = Vec::new();
    let mut client_samples = Vec::new();
    let mut caller_samples = Vec::new();
    {
        let mut ergosh_side = || {
            let started = Instant::now();
            ergosh.run(&script)?;
            ergosh_samples.push(started.elapsed() / CALLS);

            // Splits of ergosh's time: the MCP client alone, then the
            // bindings (client + conversion) without Rhai.
            let started = Instant::now();
            for _ in 0..CALLS {
                ergosh.client_call(TOOL, Map::new())?;
            }
            client_samples.push(started.elapsed() / CALLS);
            let started = Instant::now();
            for _ in 0..CALLS {
                ergosh.caller_call(TOOL, Map::new())?;
            }
            caller_samples.push(started.elapsed() / CALLS);
            anyhow::Ok(())
        };
        let mut raw_side = || {
            let started = Instant::now();
            for _ in 0..CALLS {
                raw.call_parsed(TOOL, "{}")?;
            }
            raw_samples.push(started.elapsed() / CALLS);
            anyhow::Ok(())
        };
        let mut keepalive_side = || {
            keepalive_samples.push(python_per_call(&python.keepalive, &url)?);
            anyhow::Ok(())
        };
        let mut sdk_side = || {
            sdk_samples.push(python_per_call(&python.sdk, &url)?);
            anyhow::Ok(())
        };
        let mut sides: Vec<Side<'_>> = vec![&mut ergosh_side, &mut raw_side];
        if python.keepalive_why.is_none() {
            sides.push(&mut keepalive_side);
        }
        if python.sdk_why.is_none() {
            sides.push(&mut sdk_side);
        }
        report::rotate(ROUNDS, &mut sides)?;
    }

    let ergosh_median = report::median(&ergosh_samples);
    let per_call = |value| format!("{}/call", report::duration(value));
    let mut is_met = Line {
        label: "1 per-call overhead",
        ergosh: per_call(ergosh_median),
        baseline_name: "raw keep-alive floor",
        baseline: per_call(report::median(&raw_samples)),
        ratio: report::ratio(ergosh_median, report::median(&raw_samples)),
        target: 1.1,
    }
    .print();
    match &python.sdk_why {
        Some(why) => report::skipped("  vs Python MCP SDK", why),
        None => {
            let sdk = report::median(&sdk_samples);
            is_met &= Line {
                label: "  vs Python MCP SDK",
                ergosh: per_call(ergosh_median),
                baseline_name: "sdk_calls.py",
                baseline: per_call(sdk),
                ratio: report::ratio(ergosh_median, sdk),
                target: 0.3,
            }
            .print();
        }
    }
    match &python.keepalive_why {
        Some(why) => report::skipped("  vs Python raw client", why),
        None => {
            let keepalive = report::median(&keepalive_samples);
            report::detail(&format!(
                "Python http.client keepalive_calls.py: {} (ergosh / it = {:.2}x)",
                per_call(keepalive),
                report::ratio(ergosh_median, keepalive)
            ));
        }
    }
    report::detail(&format!(
        "splits per call: McpClient::call_tool {}, Caller::call {}, Rhai loop {}",
        report::duration(report::median(&client_samples)),
        report::duration(report::median(&caller_samples)),
        report::duration(ergosh_median),
    ));
    report::detail(&format!(
        "{CALLS} x `{TOOL}` per sample, {ROUNDS} rounds, medians of the per-call time"
    ));
    Ok(is_met)
}

/// The two Python clients, each with why it cannot run, if it cannot.
struct Python {
    keepalive: PathBuf,
    keepalive_why: Option<String>,
    sdk: PathBuf,
    sdk_why: Option<String>,
}

fn python_baselines(folder: &Path) -> Python {
    let keepalive = folder.join("keepalive_calls.py");
    let sdk = folder.join("sdk_calls.py");
    let has_python = child::is_available("python3", &["-c", "pass"]);
    let missing = |path: &Path| {
        if !has_python {
            Some("python3 is not installed".to_string())
        } else if !path.is_file() {
            Some(format!("`{}` not found", path.display()))
        } else {
            None
        }
    };
    let keepalive_why = missing(&keepalive);
    let sdk_why = missing(&sdk).or_else(|| {
        let has_sdk = child::is_available("python3", &["-c", "import mcp"]);
        (!has_sdk).then(|| "`python3 -c \"import mcp\"` fails (pip install mcp)".to_string())
    });
    Python { keepalive, keepalive_why, sdk, sdk_why }
}

/// Runs a baseline script and reads its `... N us per call` line.
fn python_per_call(script: &Path, url: &str) -> Result<Duration> {
    let outcome =
        child::run(Command::new("python3").arg(script).arg(url).arg(CALLS.to_string()).arg(TOOL))?;
    let name = script.display().to_string();
    let output = outcome.output(&name)?;
    let micros = output
        .strip_suffix(" us per call")
        .and_then(|rest| rest.rsplit(' ').next())
        .and_then(|number| number.parse::<f64>().ok())
        .with_context(|| format!("`{name}` printed `{output}`"))?;
    if micros <= 0.0 {
        bail!("`{name}` reported {micros} us per call");
    }
    Ok(Duration::from_secs_f64(micros / 1e6))
}
