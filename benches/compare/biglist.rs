//! Workload 2, the big list: `process_list(#{limit: -1})` on a node with
//! 100,000 processes (about 50 MB of JSON), a closure filter and a count,
//! against `jq` with the same filter on the same bytes.
//!
//! The simulator serves a pre-rendered body, and the raw floor's fetch of
//! that body (request, serving, transfer) is measured in the same rounds:
//! ergosh's client side is its end-to-end time less that fetch.

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use ergosh::bindings::convert;
use ergosh::protocol::{CallToolResult, Response};
use ergosh::sim::{SimOptions, Simulator};
use rhai::{Dynamic, Engine, Scope};

use crate::child;
use crate::raw::{self, RawClient};
use crate::report::{self, Line, Side};
use crate::subject::{self, InProcess};

const PROCESSES: usize = 100_000;
const ROUNDS: usize = 3;
const SCRIPT: &str = "process_list(#{limit: -1}).filter(|p| p.MessagesMailbox > 10).len()";
const FILTER: &str = "rows.filter(|p| p.MessagesMailbox > 10).len()";
const JQ: &str = ".result.content[0].text | fromjson | map(select(.MessagesMailbox > 10)) | length";
const ARGUMENTS: &str = r#"{"limit":-1}"#;

/// Runs the workload and prints its lines; false when a target is missed.
pub fn run() -> Result<bool> {
    let simulator = Simulator::start(SimOptions {
        healthy: true,
        nodes: 1,
        processes: Some(PROCESSES),
        ..SimOptions::demo()
    })?;
    let url = simulator.url();

    let mut raw = RawClient::connect(&url)?;
    let body = raw.call_tool("process_list", ARGUMENTS)?;
    let expected = count_with_serde(&body)?;
    let mut file = tempfile::NamedTempFile::new()?;
    file.write_all(&body)?;
    file.flush()?;
    let has_jq = child::is_available("jq", &["--version"]);

    let mut ergosh = InProcess::connect(&url)?;
    check_count("ergosh in process", count_of(&ergosh.eval(SCRIPT)?)?, expected)?;

    let mut fetch = Vec::new();
    let mut in_process = Vec::new();
    let mut binary = Vec::new();
    let mut binary_rss = Vec::new();
    let mut jq = Vec::new();
    let mut jq_rss = Vec::new();
    let mut splits = Vec::new();
    let mut client_samples = Vec::new();
    let mut caller_samples = Vec::new();
    {
        let mut fetch_side = || {
            let started = Instant::now();
            raw.call_tool("process_list", ARGUMENTS)?;
            fetch.push(started.elapsed());
            anyhow::Ok(())
        };
        let mut in_process_side = || {
            let started = Instant::now();
            let count = count_of(&ergosh.eval(SCRIPT)?)?;
            in_process.push(started.elapsed());
            check_count("ergosh in process", count, expected)?;

            // The real path in steps: the client alone (fetch, envelope,
            // unescape), then the bindings (plus conversion to Rhai).
            let arguments = || serde_json::from_str(ARGUMENTS).unwrap_or_default();
            let started = Instant::now();
            ergosh.client_call("process_list", arguments())?;
            client_samples.push(started.elapsed());
            let started = Instant::now();
            ergosh.caller_call("process_list", arguments())?;
            caller_samples.push(started.elapsed());
            anyhow::Ok(())
        };
        let mut binary_side = || {
            let outcome = child::run(&mut subject::command(&url, SCRIPT))?;
            let count = parse_count(outcome.output("ergosh -e")?)?;
            binary.push(outcome.wall);
            binary_rss.push(outcome.max_rss_kib);
            check_count("ergosh binary", count, expected)
        };
        let mut jq_side = || {
            let outcome = child::run(Command::new("jq").arg(JQ).arg(file.path()))?;
            let count = parse_count(outcome.output("jq")?)?;
            jq.push(outcome.wall);
            jq_rss.push(outcome.max_rss_kib);
            check_count("jq", count, expected)
        };
        let mut split_side = || {
            splits.push(Splits::measure(&body, expected)?);
            anyhow::Ok(())
        };
        let mut sides: Vec<Side<'_>> =
            vec![&mut fetch_side, &mut in_process_side, &mut binary_side, &mut split_side];
        if has_jq {
            sides.push(&mut jq_side);
        }
        report::rotate(ROUNDS, &mut sides)?;
    }

    let fetch = report::median(&fetch);
    let in_process = report::median(&in_process);
    let client_side = in_process.saturating_sub(fetch);
    let binary_rss = report::median_u64(&binary_rss);
    let mut is_met = true;
    if has_jq {
        let jq_time = report::median(&jq);
        let jq_rss = report::median_u64(&jq_rss);
        is_met &= Line {
            label: "2 big list: time",
            ergosh: report::duration(client_side),
            baseline_name: "jq",
            baseline: report::duration(jq_time),
            ratio: report::ratio(client_side, jq_time),
            target: 0.2,
        }
        .print();
        is_met &= Line {
            label: "2 big list: peak memory",
            ergosh: report::mib(binary_rss),
            baseline_name: "jq",
            baseline: report::mib(jq_rss),
            ratio: binary_rss as f64 / jq_rss.max(1) as f64,
            target: 1.0,
        }
        .print();
    } else {
        report::skipped("2 big list", "jq is not installed (apt-get install jq)");
        report::detail(&format!("ergosh binary peak memory {}", report::mib(binary_rss)));
    }

    report::detail(&format!(
        "{PROCESSES} processes, {:.1} MB body, {expected} with MessagesMailbox > 10 (all sides agree)",
        body.len() as f64 / 1e6
    ));
    report::detail(&format!(
        "in process end to end {}, less raw fetch {} = client side {}; binary -e wall {}",
        report::duration(in_process),
        report::duration(fetch),
        report::duration(client_side),
        report::duration(report::median(&binary)),
    ));
    let client = report::median(&client_samples);
    let caller = report::median(&caller_samples);
    report::detail(&format!(
        "real path: McpClient::call_tool {} (raw fetch {} + envelope/unescape {}), \
         Caller::call {} (+ conversion {}), script {} (+ filter/len/drop {})",
        report::duration(client),
        report::duration(fetch),
        report::duration(client.saturating_sub(fetch)),
        report::duration(caller),
        report::duration(caller.saturating_sub(client)),
        report::duration(in_process),
        report::duration(in_process.saturating_sub(caller)),
    ));
    report::detail(&Splits::median(&splits).describe());
    Ok(is_met)
}

/// Where the client side's time goes, measured on the saved body.
struct Splits {
    envelope: Duration,
    parse: Duration,
    filter: Option<Duration>,
}

impl Splits {
    fn measure(body: &[u8], expected: i64) -> Result<Splits> {
        let started = Instant::now();
        let response: Response<CallToolResult> =
            serde_json::from_slice(body).context("envelope")?;
        let text = response
            .result
            .and_then(|result| result.content.into_iter().next())
            .and_then(|item| item.text)
            .context("no text in the result")?;
        let envelope = started.elapsed();

        let started = Instant::now();
        let rows = convert::parse_json(&text).map_err(|error| anyhow::anyhow!("{error}"))?;
        let parse = started.elapsed();
        drop(text);

        // The engine may keep rows in its own types, which a bare engine
        // cannot filter: then this split is left out.
        let filter = filter_time(rows, expected);
        Ok(Splits { envelope, parse, filter })
    }

    fn median(splits: &[Splits]) -> Splits {
        let pick = |of: fn(&Splits) -> Duration| {
            report::median(&splits.iter().map(of).collect::<Vec<_>>())
        };
        let filters: Vec<Duration> = splits.iter().filter_map(|split| split.filter).collect();
        Splits {
            envelope: pick(|split| split.envelope),
            parse: pick(|split| split.parse),
            filter: (filters.len() == splits.len()).then(|| report::median(&filters)),
        }
    }

    fn describe(&self) -> String {
        let filter = match self.filter {
            Some(filter) => report::duration(filter),
            None => "n/a (rows are not a plain array)".to_string(),
        };
        format!(
            "splits on the saved body: envelope decode {}, parse_json {}, filter+len {}",
            report::duration(self.envelope),
            report::duration(self.parse),
            filter
        )
    }
}

fn filter_time(rows: Dynamic, expected: i64) -> Option<Duration> {
    let engine = Engine::new();
    let mut scope = Scope::new();
    scope.push_dynamic("rows", rows);
    let started = Instant::now();
    let count = engine.eval_with_scope::<i64>(&mut scope, FILTER).ok()?;
    let elapsed = started.elapsed();
    (count == expected).then_some(elapsed)
}

/// The count computed with serde_json, the reference every side must match.
fn count_with_serde(body: &[u8]) -> Result<i64> {
    let rows = raw::result_json(body)?;
    let rows = rows.as_array().context("process_list text is not an array")?;
    let count = rows.iter().filter(|row| row["MessagesMailbox"].as_i64().unwrap_or(0) > 10).count();
    if rows.len() != PROCESSES {
        bail!("process_list returned {} rows, not {PROCESSES}", rows.len());
    }
    Ok(count as i64)
}

fn count_of(value: &Dynamic) -> Result<i64> {
    value.as_int().map_err(|kind| anyhow::anyhow!("the count is a {kind}, not an integer"))
}

fn parse_count(output: &str) -> Result<i64> {
    output.trim().parse::<i64>().with_context(|| format!("not a count: `{output}`"))
}

fn check_count(side: &str, count: i64, expected: i64) -> Result<()> {
    if count != expected {
        bail!("{side} counted {count}, serde_json counted {expected}");
    }
    Ok(())
}
