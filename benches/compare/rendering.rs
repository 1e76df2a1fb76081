//! Workload 5, rendering: a 10,000-row table written by the binary to a
//! pipe read fully, the same table fitted to a terminal width
//! (`COLUMNS=120`), and the time to the first line for `| head`.
//!
//! Each run's time less the time of the same script printing only the row
//! count (same connect, fetch and conversion) is the rendering time.

use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Result};
use ergosh::sim::{SimOptions, Simulator};

use crate::child;
use crate::report::{self, Line};
use crate::subject;

const ROWS: usize = 10_000;
const ROUNDS: usize = 7;
const TARGET: Duration = Duration::from_millis(100);

/// Runs the workload and prints its lines; false when a target is missed.
pub fn run() -> Result<bool> {
    let simulator = Simulator::start(SimOptions {
        healthy: true,
        nodes: 1,
        processes: Some(ROWS * 2),
        ..SimOptions::demo()
    })?;
    let url = simulator.url();
    let rows = format!("process_list(#{{limit: {ROWS}}})");
    let count = format!("{rows}.len()");

    let mut baseline = Vec::new();
    let mut pipe = Vec::new();
    let mut terminal = Vec::new();
    let mut first_line = Vec::new();
    let mut exit = Vec::new();
    for round in 0..ROUNDS {
        let outcome = child::run(&mut subject::command(&url, &count))?;
        if outcome.output("ergosh -e len")? != ROWS.to_string() {
            bail!("`{count}` printed `{}`", outcome.stdout.trim());
        }
        baseline.push(outcome.wall);

        let mut pipe_command = table_command(&url, &rows, None);
        let mut terminal_command = table_command(&url, &rows, Some(120));
        let (first, second) = if round % 2 == 0 {
            (&mut pipe_command, &mut terminal_command)
        } else {
            (&mut terminal_command, &mut pipe_command)
        };
        let first = table_run(first)?;
        let second = table_run(second)?;
        let (pipe_wall, terminal_wall) =
            if round % 2 == 0 { (first, second) } else { (second, first) };
        pipe.push(pipe_wall);
        terminal.push(terminal_wall);

        let head = child::first_line(&mut table_command(&url, &rows, None))?;
        first_line.push(head.first_line);
        exit.push(head.exit);
    }

    let baseline = report::median(&baseline);
    let mut is_met = true;
    for (label, samples) in [("5 render: pipe", &pipe), ("5 render: COLUMNS=120", &terminal)] {
        let total = report::median(samples);
        let render = total.saturating_sub(baseline);
        is_met &= Line {
            label,
            ergosh: report::duration(render),
            baseline_name: "target",
            baseline: report::duration(TARGET),
            ratio: report::ratio(render, TARGET),
            target: 1.0,
        }
        .print();
    }
    report::detail(&format!(
        "{ROWS} process_list rows; whole run {} (pipe) / {} (terminal) less {} for the same run printing the count",
        report::duration(report::median(&pipe)),
        report::duration(report::median(&terminal)),
        report::duration(baseline),
    ));
    report::detail(&format!(
        "| head: first line after {}, exit after the pipe closed {} (whole run printing the count {})",
        report::duration(report::median(&first_line)),
        report::duration(report::median(&exit)),
        report::duration(baseline),
    ));
    Ok(is_met)
}

/// The table run; `columns` set means a terminal of that width.
fn table_command(url: &str, script: &str, columns: Option<usize>) -> Command {
    let mut command = subject::command(url, script);
    match columns {
        Some(columns) => command.env("COLUMNS", columns.to_string()),
        None => command.env_remove("COLUMNS"),
    };
    command
}

/// Runs a table command, checks it printed a row per process, and returns
/// its wall time.
fn table_run(command: &mut Command) -> Result<Duration> {
    let outcome = child::run(command)?;
    let output = outcome.output("ergosh table")?;
    let lines = output.lines().count();
    if lines < ROWS {
        bail!("the table has {lines} lines for {ROWS} rows");
    }
    Ok(outcome.wall)
}
