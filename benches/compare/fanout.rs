//! Workload 3, fan-out: one tool over 100 simulated nodes, each answering
//! in 50 ms, through one entry point whose pool has 5 workers. ergosh
//! bounds its concurrency per entry point (4 by default); the ideal
//! schedule for that bound is ceil(100 / 4) x 50 ms.

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use ergosh::mcp::ClientOptions;
use ergosh::sim::{SimOptions, Simulator};

use crate::raw::RawClient;
use crate::report::{self, Line, Side};
use crate::subject::InProcess;

const REMOTE_NODES: usize = 100;
const LATENCY: Duration = Duration::from_millis(50);
const ROUNDS: usize = 3;
const SCRIPT: &str = "each_node(|n| node_info())";
/// The same with one remote node swapped for one that is not there.
const DOWN_SCRIPT: &str =
    "let names = nodes(); names[50] = \"down@nowhere\"; each_node(names, |n| node_info())";

/// Runs the workload and prints its lines; false when a target is missed.
pub fn run() -> Result<bool> {
    let simulator = Simulator::start(SimOptions {
        healthy: true,
        nodes: REMOTE_NODES + 1,
        node_latency: LATENCY,
        ..SimOptions::demo()
    })?;
    let url = simulator.url();
    let nodes = simulator.control().node_names();
    if nodes.len() != REMOTE_NODES + 1 {
        bail!("the simulator has {} nodes, not {}", nodes.len(), REMOTE_NODES + 1);
    }

    let concurrency = ClientOptions::new(url.clone()).max_concurrency;
    let ideal = ideal(REMOTE_NODES, concurrency);
    // Two sides share the session.
    let ergosh = RefCell::new(InProcess::connect(&url)?);
    ergosh.borrow_mut().run(SCRIPT)?;

    let mut ergosh_samples = Vec::new();
    let mut floor_samples = Vec::new();
    let mut down_samples = Vec::new();
    {
        let mut ergosh_side = || {
            let started = Instant::now();
            let results = ergosh.borrow_mut().eval(SCRIPT)?;
            ergosh_samples.push(started.elapsed());
            check_results(&results, nodes.len(), 0)
        };
        let mut down_side = || {
            let started = Instant::now();
            let results = ergosh.borrow_mut().eval(DOWN_SCRIPT)?;
            down_samples.push(started.elapsed());
            check_results(&results, nodes.len(), 1)
        };
        let mut floor_side = || {
            floor_samples.push(raw_fan_out(&url, &nodes[1..], concurrency)?);
            anyhow::Ok(())
        };
        let mut sides: Vec<Side<'_>> = vec![&mut ergosh_side, &mut floor_side, &mut down_side];
        report::rotate(ROUNDS, &mut sides)?;
    }

    let measured = report::median(&ergosh_samples);
    let is_met = Line {
        label: "3 fan-out 100 nodes",
        ergosh: report::duration(measured),
        baseline_name: "ideal",
        baseline: report::duration(ideal),
        ratio: report::ratio(measured, ideal),
        target: 1.2,
    }
    .print();
    report::detail(&format!(
        "{REMOTE_NODES} nodes x {} ms, c = {concurrency}: ideal ceil({REMOTE_NODES}/{concurrency}) x {} ms; \
         raw floor with {concurrency} connections {}",
        LATENCY.as_millis(),
        LATENCY.as_millis(),
        report::duration(report::median(&floor_samples)),
    ));
    let down = report::median(&down_samples);
    report::detail(&format!(
        "one node down (no route): {} for 100 answers + 1 error, {:.2}x the all-up run",
        report::duration(down),
        report::ratio(down, measured),
    ));
    Ok(is_met)
}

/// ceil(nodes / concurrency) x latency.
fn ideal(nodes: usize, concurrency: usize) -> Duration {
    let waves = nodes.div_ceil(concurrency.max(1));
    LATENCY * waves as u32
}

/// `node_info` on every node through `concurrency` keep-alive connections.
fn raw_fan_out(url: &str, nodes: &[String], concurrency: usize) -> Result<Duration> {
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    thread::scope(|scope| {
        let workers: Vec<_> = (0..concurrency)
            .map(|_| {
                scope.spawn(|| -> Result<()> {
                    let mut client = RawClient::connect(url)?;
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(node) = nodes.get(index) else {
                            return Ok(());
                        };
                        client.call_parsed("node_info", &format!("{{\"node\":\"{node}\"}}"))?;
                    }
                })
            })
            .collect();
        workers.into_iter().try_for_each(|worker| {
            worker.join().unwrap_or_else(|_| bail!("a fan-out thread panicked"))
        })
    })?;
    Ok(started.elapsed())
}

/// The fan-out returned one result per node, `errors` of them errors.
fn check_results(results: &rhai::Dynamic, nodes: usize, errors: usize) -> Result<()> {
    let Some(map) = results.read_lock::<rhai::Map>() else {
        bail!("each_node returned a {}", results.type_name());
    };
    if map.len() != nodes {
        bail!("each_node returned {} results for {nodes} nodes", map.len());
    }
    let failed = map
        .values()
        .filter(|value| {
            value.read_lock::<rhai::Map>().is_some_and(|entry| entry.contains_key("error"))
        })
        .count();
    if failed != errors {
        bail!("each_node returned {failed} errors, expected {errors}");
    }
    Ok(())
}
