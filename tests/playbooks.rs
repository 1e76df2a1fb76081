//! The prelude's playbooks against the simulated cluster, through the real
//! binary: each planted trouble is found by its playbook and named as the
//! top finding; a healthy cluster gives nothing above info; a node without
//! the newer counters gets a report that says what was skipped; every
//! playbook returns within its window plus 5 s and leaves no sampler running.
//!
//! The culprit is learned only from `SimControl::planted()`.

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use ergosh::sim::{ClockMode, SimOptions, Simulator};
use serde_json::Value;

/// Sim seconds per real second: windows below are in node (sim) time.
const SPEED: f64 = 20.0;

/// Runs at a time: the binary is a debug build and the machine has 2 cores.
const PARALLEL: usize = 3;

/// One test body at a time, so that `PARALLEL` bounds the whole file and
/// the time limits measure the playbooks, not the machine's load.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A planted trouble, the playbook that diagnoses it and the severity its
/// top finding must have.
struct Case {
    scenario: &'static str,
    playbook: &'static str,
    severity: &'static str,
    /// Extra options for the playbook call (Rhai map entries).
    options: &'static str,
}

const CASES: &[Case] = &[
    Case {
        scenario: "overload",
        playbook: "bottleneck",
        severity: "critical",
        options: "cluster: true, window_sec: 30, cpu_sec: 1",
    },
    Case {
        scenario: "slow_callback",
        playbook: "bottleneck",
        severity: "critical",
        options: "cluster: true, window_sec: 40, cpu_sec: 1",
    },
    Case {
        scenario: "process_leak",
        playbook: "leaks",
        severity: "critical",
        options: "cluster: true, window_sec: 40, interval_ms: 2000",
    },
    Case {
        scenario: "restart_loop",
        playbook: "restarts",
        severity: "critical",
        options: "cluster: true, window_sec: 30",
    },
    Case {
        scenario: "zombies",
        playbook: "zombies",
        severity: "critical",
        options: "cluster: true, window_sec: 10",
    },
    Case {
        scenario: "memory_growth",
        playbook: "memory",
        severity: "critical",
        options: "cluster: true, window_sec: 90, interval_ms: 1000",
    },
    Case {
        scenario: "stuck_call",
        playbook: "goroutines",
        severity: "critical",
        options: "cluster: true, window_sec: 30",
    },
    // Both ends of a link see it flap or lose messages: asked from the
    // entry node, as a user at that node would, the peer is the culprit.
    Case {
        scenario: "flapping_peer",
        playbook: "network",
        severity: "critical",
        options: "window_sec: 40",
    },
    Case {
        scenario: "message_loss",
        playbook: "network",
        severity: "critical",
        options: "window_sec: 30",
    },
    Case {
        scenario: "event_no_subscribers",
        playbook: "events",
        severity: "warning",
        options: "cluster: true, window_sec: 20",
    },
    Case {
        scenario: "event_no_publisher",
        playbook: "events",
        severity: "warning",
        options: "cluster: true, window_sec: 20",
    },
    Case {
        scenario: "goroutine_leak",
        playbook: "goroutines",
        severity: "critical",
        options: "cluster: true, window_sec: 40",
    },
];

/// Every playbook with short windows, as called on the healthy and the
/// legacy cluster: (name, options, window in sim seconds).
const PLAYBOOKS: &[(&str, &str, f64)] = &[
    ("health", "window_sec: 1", 20.0),
    ("bottleneck", "cluster: true, window_sec: 20, cpu_sec: 1", 40.0),
    (
        "cpu_profile",
        "cluster: true, seconds: 1, presence_samples: 3, presence_interval_ms: 500",
        40.0,
    ),
    ("memory", "cluster: true, window_sec: 40, interval_ms: 1000", 40.0),
    ("leaks", "cluster: true, window_sec: 20", 20.0),
    ("restarts", "cluster: true, window_sec: 20", 20.0),
    ("zombies", "cluster: true, window_sec: 10", 10.0),
    ("network", "cluster: true, window_sec: 20", 20.0),
    ("events", "cluster: true, window_sec: 20", 20.0),
    ("goroutines", "cluster: true, window_sec: 20", 20.0),
    ("monitor", "duration_sec: 20, refreshes: 3, refresh_sec: 0.3", 30.0),
    ("diagnose", "window_sec: 40", 40.0),
];

/// Sim time every cluster has run before a playbook looks at it, so that
/// start-up (the first sessions, the first publications) is behind it.
const WARM_UP_MS: u64 = 30_000;

/// What one run of the binary gave back.
struct Run {
    report: Value,
    left_running: Vec<String>,
    elapsed: Duration,
    stdout: String,
}

fn start(scenarios: &[&str], healthy: bool, legacy: bool) -> Simulator {
    let options = SimOptions {
        scenarios: scenarios.iter().map(|s| s.to_string()).collect(),
        healthy,
        legacy,
        clock: ClockMode::Real { speed: SPEED },
        ..SimOptions::demo()
    };
    let sim = Simulator::start(options).expect("simulator starts");
    while sim.control().now_ms() < WARM_UP_MS {
        thread::sleep(Duration::from_millis(50));
    }
    sim
}

/// Run `PLAYBOOK(#{OPTIONS})` in the binary, then list the
/// samplers still running on every node from inside the same session.
fn run_playbook(sim: &Simulator, playbook: &str, options: &str) -> Run {
    let script = format!(
        "let started = now();\n\
         let report = {playbook}(#{{ {options} }});\n\
         let took_ms = now() - started;\n\
         let left = [];\n\
         for entry in each_node(|n| sample_list()).values() {{\n\
             if type_of(entry) == \"array\" {{ left += entry.filter(|s| s.status == \"running\").map(|s| s.id); }}\n\
         }}\n\
         #{{ report: report, left: left, took_ms: took_ms }}"
    );
    let output = Command::new(env!("CARGO_BIN_EXE_ergosh"))
        .args(["--url", &sim.url(), "--format", "json", "--color", "never", "-e", &script])
        .output()
        .expect("ergosh runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{playbook} failed: {stderr}\n{stdout}");
    let value =
        last_json(&stdout).unwrap_or_else(|| panic!("{playbook}: no JSON in {stdout}\n{stderr}"));
    let left_running = value["left"]
        .as_array()
        .map(|ids| ids.iter().map(|id| id.to_string()).collect())
        .unwrap_or_default();
    // The playbook's own time, measured in the session: start-up and
    // connecting are not part of it.
    let elapsed = Duration::from_millis(value["took_ms"].as_u64().unwrap_or(u64::MAX));
    Run { report: value["report"].clone(), left_running, elapsed, stdout }
}

/// The JSON value that ends stdout (a live view may print before it).
fn last_json(stdout: &str) -> Option<Value> {
    let mut offsets: Vec<usize> = stdout.match_indices('\n').map(|(i, _)| i + 1).collect();
    offsets.insert(0, 0);
    offsets.into_iter().rev().find_map(|at| {
        let tail = &stdout[at..];
        if !tail.starts_with('{') && !tail.starts_with('[') {
            return None;
        }
        serde_json::from_str(tail.trim()).ok()
    })
}

fn findings(report: &Value) -> Vec<Value> {
    report["findings"].as_array().cloned().unwrap_or_default()
}

fn text(value: &Value) -> String {
    value.as_str().map(str::to_string).unwrap_or_else(|| value.to_string())
}

/// Running samplers of the simulator itself.
fn sim_samplers_running(sim: &Simulator) -> Vec<String> {
    sim.control()
        .samplers()
        .into_iter()
        .filter(|(_, _, status)| status == "running")
        .map(|(node, id, _)| format!("{id} on {node}"))
        .collect()
}

/// Run `work` over `items`, `PARALLEL` at a time; collect the failures.
fn in_parallel<T: Sync>(items: &[T], work: impl Fn(&T) -> Result<(), String> + Sync) {
    let next = Mutex::new(0usize);
    let failures = Arc::new(Mutex::new(Vec::new()));
    thread::scope(|scope| {
        for _ in 0..PARALLEL.min(items.len()) {
            scope.spawn(|| loop {
                let index = {
                    let mut next = next.lock().unwrap();
                    let index = *next;
                    *next += 1;
                    index
                };
                let Some(item) = items.get(index) else { break };
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(item)));
                let failure = match outcome {
                    Ok(Ok(())) => continue,
                    Ok(Err(message)) => message,
                    Err(panic) => panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_else(|| "panicked".to_string()),
                };
                failures.lock().unwrap().push(failure);
            });
        }
    });
    let failures = failures.lock().unwrap();
    assert!(failures.is_empty(), "{} failed:\n\n{}", failures.len(), failures.join("\n\n"));
}

/// Real time a playbook may take: its window in sim time, plus 5 s.
fn allowed(window_sim_sec: f64) -> Duration {
    Duration::from_secs_f64(window_sim_sec / SPEED + 5.0)
}

fn window_of(options: &str) -> f64 {
    let total: f64 = options
        .split(',')
        .filter_map(|part| {
            let (key, value) = part.split_once(':')?;
            let key = key.trim();
            let seconds = value.trim().parse::<f64>().ok()?;
            (key.ends_with("_sec") || key == "seconds").then_some(seconds)
        })
        .sum();
    total.max(1.0)
}

#[test]
fn every_planted_trouble_is_the_top_finding_of_its_playbook() {
    let _serial = serial();
    in_parallel(CASES, |case| {
        let sim = start(&[case.scenario], false, false);
        let planted: Vec<_> =
            sim.control().planted().into_iter().filter(|p| p.scenario == case.scenario).collect();
        if planted.is_empty() {
            return Err(format!("{}: the simulator planted nothing", case.scenario));
        }
        let run = run_playbook(&sim, case.playbook, case.options);
        let all = findings(&run.report);
        let Some(top) = all.first() else {
            return Err(format!(
                "{}: {} found nothing: {}",
                case.scenario, case.playbook, run.report
            ));
        };
        let named = format!("{} {}", text(&top["culprit"]), text(&top["title"]));
        let hit = planted.iter().any(|p| named.contains(&p.culprit));
        let mut problems = Vec::new();
        if !hit {
            let wanted: Vec<_> = planted
                .iter()
                .map(|p| format!("{} on {} ({})", p.culprit, p.node, p.detail))
                .collect();
            problems.push(format!("top finding `{named}` does not name {wanted:?}"));
        }
        if text(&top["severity"]) != case.severity {
            problems.push(format!("severity {} instead of {}", top["severity"], case.severity));
        }
        if run.elapsed > allowed(window_of(case.options)) {
            problems.push(format!("took {:?}", run.elapsed));
        }
        if !run.left_running.is_empty() {
            problems.push(format!("samplers left running: {:?}", run.left_running));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{} → {}: {}\nreport: {:#}",
                case.scenario,
                case.playbook,
                problems.join("; "),
                run.report
            ))
        }
    });
}

#[test]
fn a_healthy_cluster_gives_nothing_above_info() {
    let _serial = serial();
    in_parallel(PLAYBOOKS, |(playbook, options, window)| {
        let sim = start(&[], true, false);
        let run = run_playbook(&sim, playbook, options);
        let loud: Vec<String> = findings(&run.report)
            .iter()
            .filter(|f| text(&f["severity"]) != "info")
            .map(|f| format!("{}: {}", text(&f["severity"]), text(&f["title"])))
            .collect();
        let mut problems = Vec::new();
        if text(&run.report["playbook"]) != *playbook {
            problems.push(format!("report is not a {playbook} report: {}", run.report));
        }
        if !loud.is_empty() {
            problems.push(format!("findings above info: {loud:?}"));
        }
        if run.elapsed > allowed(*window) {
            problems.push(format!("took {:?}", run.elapsed));
        }
        if !run.left_running.is_empty() {
            problems.push(format!("samplers left running: {:?}", run.left_running));
        }
        let after = sim_samplers_running(&sim);
        if !after.is_empty() {
            problems.push(format!("samplers running after exit: {after:?}"));
        }
        if *playbook == "monitor" && !run.stdout.contains("\x1b[2J\x1b[H") {
            problems.push("monitor drew no live view".to_string());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!("{playbook}: {}", problems.join("; ")))
        }
    });
}

/// Checks a legacy node cannot answer, by playbook: the words its report's
/// `skipped` must contain.
fn legacy_skip(playbook: &str) -> Option<&'static str> {
    match playbook {
        "health" => Some("LogMessages"),
        "bottleneck" => Some("drain"),
        "leaks" => Some("ProcessesSpawned"),
        "diagnose" => Some("ProcessesSpawned"),
        _ => None,
    }
}

#[test]
fn a_node_without_the_newer_counters_gets_reports_that_say_what_was_skipped() {
    let _serial = serial();
    in_parallel(PLAYBOOKS, |(playbook, options, window)| {
        let sim = start(&[], false, true);
        let run = run_playbook(&sim, playbook, options);
        let skipped: Vec<String> = run.report["skipped"]
            .as_array()
            .map(|lines| lines.iter().map(text).collect())
            .unwrap_or_default();
        let mut problems = Vec::new();
        if run.report["findings"].as_array().is_none() {
            problems.push(format!("no findings array: {}", run.report));
        }
        if let Some(stopped) = skipped.iter().find(|line| line.contains("stopped early")) {
            problems.push(format!("failed instead of skipping: {stopped}"));
        }
        if let Some(word) = legacy_skip(playbook) {
            if !skipped.iter().any(|line| line.contains(word)) {
                problems.push(format!("skipped does not mention {word}: {skipped:?}"));
            }
        }
        if run.elapsed > allowed(*window) {
            problems.push(format!("took {:?}", run.elapsed));
        }
        if !run.left_running.is_empty() {
            problems.push(format!("samplers left running: {:?}", run.left_running));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!("{playbook} (legacy): {}", problems.join("; ")))
        }
    });
}

#[test]
fn an_interrupted_monitor_leaves_no_sampler_running() {
    let _serial = serial();
    let sim = start(&[], false, false);
    let mut child = Command::new(env!("CARGO_BIN_EXE_ergosh"))
        .args(["--url", &sim.url(), "--color", "never", "-e", "monitor(#{ refresh_sec: 0.2 })"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("ergosh starts");

    let deadline = Instant::now() + Duration::from_secs(10);
    while sim_samplers_running(&sim).len() < 6 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(sim_samplers_running(&sim).len(), 6, "monitor starts the handbook's six samplers");

    let interrupted =
        Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill runs");
    assert!(interrupted.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().expect("child status").is_none() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(100));
    }
    if child.try_wait().expect("child status").is_none() {
        let _ = child.kill();
        panic!("monitor did not stop on Ctrl-C");
    }
    let left = sim_samplers_running(&sim);
    assert!(left.is_empty(), "samplers left running after Ctrl-C: {left:?}");
}

/// Each example script with short parameters.
const SCRIPTS: &[(&str, &[&str])] = &[
    ("grew_most", &["window_sec=1"]),
    ("top_talkers", &["window_sec=1"]),
    ("wait_drain", &["name=checkout_worker", "timeout_sec=1", "interval_sec=0.5"]),
    ("compare_nodes", &[]),
    ("app_census", &[]),
    ("diagnose", &["window_sec=10"]),
];

#[test]
fn every_example_script_runs_against_the_cluster() {
    let _serial = serial();
    let sim = start(&["overload"], false, false);
    in_parallel(SCRIPTS, |(name, params)| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ergosh"));
        command.args(["--url", &sim.url(), "--format", "json", "--color", "never", "run"]);
        command.arg(format!("scripts/{name}.rhai"));
        for param in *params {
            command.args(["--arg", param]);
        }
        let output = command.output().expect("ergosh runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() {
            return Err(format!("{name}: {stderr}\n{stdout}"));
        }
        match last_json(&stdout).or_else(|| serde_json::from_str(stdout.trim()).ok()) {
            Some(Value::Null) | None => Err(format!("{name}: no result in {stdout}")),
            Some(_) => Ok(()),
        }
    });
}
