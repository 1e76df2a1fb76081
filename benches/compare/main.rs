//! `cargo bench --bench compare`: ergosh against its peers, in one run.
//!
//! Starts simulated clusters in process, runs each workload for ergosh and
//! its baseline alternating over several rounds, and prints one line per
//! workload: the median of each side, their ratio and the target. See
//! `benches/README.md` for what each line means.

mod biglist;
mod calls;
mod child;
mod fanout;
mod machine;
mod raw;
mod rendering;
mod report;
mod startup;
mod subject;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(child::HELPER_FLAG) {
        return match child::helper_main(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error}");
                ExitCode::FAILURE
            }
        };
    }

    // `cargo bench` passes `--bench`; a name filter picks workloads.
    let filters: Vec<String> = args.into_iter().filter(|arg| !arg.starts_with('-')).collect();
    match run(&filters) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

type Workload = fn() -> Result<bool>;

fn run(filters: &[String]) -> Result<()> {
    println!("machine: {}", machine::describe());
    if !subject::is_built() {
        anyhow::bail!("`{}` is missing: build with `cargo bench`", subject::BINARY);
    }

    let workloads: [(&str, Workload); 5] = [
        ("calls", || calls::run(&baselines())),
        ("biglist", biglist::run),
        ("fanout", fanout::run),
        ("startup", startup::run),
        ("rendering", rendering::run),
    ];
    let started = Instant::now();
    let mut missed = Vec::new();
    for (name, workload) in workloads {
        if !filters.is_empty() && !filters.iter().any(|filter| name.contains(filter.as_str())) {
            continue;
        }
        match workload() {
            Ok(true) => {}
            Ok(false) => missed.push(name),
            Err(error) => {
                report::skipped(name, &format!("failed: {error:#}"));
                missed.push(name);
            }
        }
    }

    println!("total {}", report::duration(started.elapsed()));
    if missed.is_empty() {
        println!("every target met");
    } else {
        println!("targets missed or not measured: {}", missed.join(", "));
    }
    Ok(())
}

/// `../shared/bench/` beside the crate: the Python baseline clients.
fn baselines() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    std::env::var_os("ERGOSH_BENCH_BASELINES")
        .filter(|folder| !folder.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../shared/bench"))
}
