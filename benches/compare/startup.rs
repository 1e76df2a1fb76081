//! Workload 4, start-up: `ergosh --url URL -e '1'`, which connects, lists
//! the tools and loads the prelude before it evaluates anything.

use std::time::Duration;

use anyhow::{bail, Result};
use ergosh::sim::{SimOptions, Simulator};

use crate::child;
use crate::report::{self, Line};
use crate::subject;

const RUNS: usize = 21;
const TARGET: Duration = Duration::from_millis(100);

/// Runs the workload and prints its line; false when the target is missed.
pub fn run() -> Result<bool> {
    let simulator = Simulator::start(SimOptions { healthy: true, ..SimOptions::demo() })?;
    let url = simulator.url();

    let mut walls = Vec::new();
    let mut rss = Vec::new();
    for _ in 0..RUNS {
        let outcome = child::run(&mut subject::command(&url, "1"))?;
        let output = outcome.output("ergosh -e '1'")?;
        if output != "1" {
            bail!("ergosh -e '1' printed `{output}`");
        }
        walls.push(outcome.wall);
        rss.push(outcome.max_rss_kib);
    }

    let median = report::median(&walls);
    let is_met = Line {
        label: "4 start-up -e '1'",
        ergosh: report::duration(median),
        baseline_name: "target",
        baseline: report::duration(TARGET),
        ratio: report::ratio(median, TARGET),
        target: 1.0,
    }
    .print();
    let fastest = walls.iter().min().copied().unwrap_or_default();
    report::detail(&format!(
        "{RUNS} runs (connect, initialize, tools/list, prelude): fastest {}, peak memory {}",
        report::duration(fastest),
        report::mib(report::median_u64(&rss)),
    ));
    Ok(is_met)
}
