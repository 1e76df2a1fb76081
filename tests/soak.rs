//! Soak rows of the fault matrix: an hour of `monitor()` in sim time (the
//! simulator's clock runs 120 times faster than the wall), repeated
//! monitors, and a long run of sequential calls; memory stays flat, no
//! sampler is left behind, connections are reused rather than piling up.

mod support;

use std::time::{Duration, Instant};

use ergosh::sim::{ClockMode, SimOptions};
use support::{Harness, Running};

/// Sim seconds per real second: an hour of sim time in 30 s.
const SPEED: f64 = 120.0;

/// Sequential calls of the connection row, of `cluster_nodes`, the
/// cheapest tool. Debug builds on 2 cores take about 1.4 ms a call
/// (measured), so 100 000 would take well over two minutes; this count
/// keeps the row under a minute and still shows whether connections pile
/// up. (The release binary does 100 000 in about 20 s.)
const SEQUENTIAL_CALLS: u32 = 30_000;

fn fast_cluster() -> Harness {
    Harness::with(SimOptions { clock: ClockMode::Real { speed: SPEED }, ..SimOptions::test() })
}

/// `(seconds since start, VmRSS KiB)` every 250 ms until the child exits.
fn watch_rss(child: &mut Running, limit: Duration) -> Vec<(f64, u64)> {
    let started = Instant::now();
    let mut samples = Vec::new();
    while started.elapsed() < limit {
        if let Ok(Some(_)) = child.child.try_wait() {
            break;
        }
        if let Some(rss) = support::rss_kib(child.pid()) {
            samples.push((started.elapsed().as_secs_f64(), rss));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    samples
}

/// Memory is flat: the peak of the last quarter of the run is within 20 %
/// plus 16 MiB of the peak of the second quarter (the first is warm-up).
fn assert_flat(samples: &[(f64, u64)]) {
    assert!(samples.len() >= 40, "too few samples: {samples:?}");
    let quarter = samples.len() / 4;
    let peak = |part: &[(f64, u64)]| part.iter().map(|(_, rss)| *rss).max().unwrap_or(0);
    let settled = peak(&samples[quarter..2 * quarter]);
    let last = peak(&samples[3 * quarter..]);
    let allowed = settled + settled / 5 + 16 * 1024;
    assert!(last <= allowed, "RSS grew from {settled} KiB to {last} KiB: {samples:?}");
}

#[test]
fn an_hour_of_monitor_in_sim_time_keeps_memory_flat() {
    let harness = fast_cluster();
    let source = "monitor(#{duration_sec: 3600, refresh_sec: 1, refreshes: 30})";
    let mut child = Running::spawn(harness.command(&["-e", source]));
    let samples = watch_rss(&mut child, Duration::from_secs(60));
    let run = child.finish(Duration::from_secs(10));

    run.assert_code(0);
    assert!(
        run.elapsed >= Duration::from_secs(25),
        "30 refreshes of refresh_sec 1 took {:?}: the monitor does not wait a second per refresh",
        run.elapsed
    );
    assert_flat(&samples);
    assert!(harness.calls_of("sample_read") > 100, "the monitor read its samplers");
    assert!(harness.running_samplers().is_empty(), "{:?}", harness.control().samplers());
}

#[test]
fn monitors_started_and_stopped_for_30_s_keep_memory_flat_and_leave_no_sampler() {
    let harness = fast_cluster();
    let source = "let deadline = now() + 30000; let rounds = 0;
        while now() < deadline {
            monitor(#{duration_sec: 3600, refresh_sec: 1, refreshes: 3, quiet: true});
            rounds += 1;
        }
        rounds";
    let mut child = Running::spawn(harness.command(&["-e", source]));
    let samples = watch_rss(&mut child, Duration::from_secs(60));
    let run = child.finish(Duration::from_secs(10));

    run.assert_code(0);
    let rounds: u64 = run.stdout.trim().parse().unwrap_or_else(|_| panic!("{run}"));
    assert!(rounds >= 1, "{run}");
    assert_flat(&samples);
    let started = harness.calls_of("sample_start") + harness.calls_of("sample_listen");
    assert_eq!(harness.calls_of("sample_stop"), started, "every sampler started is stopped");
    assert!(harness.running_samplers().is_empty(), "{:?}", harness.control().samplers());
}

#[test]
fn sequential_calls_reuse_their_connections() {
    let harness = Harness::new().relayed();
    let source =
        format!("let n = 0; for i in 0..{SEQUENTIAL_CALLS} {{ cluster_nodes(); n += 1; }} n");
    let mut child = Running::spawn(harness.command(&["-e", &source]));

    let started = Instant::now();
    let mut sockets = Vec::new();
    while started.elapsed() < Duration::from_secs(150) {
        if let Ok(Some(_)) = child.child.try_wait() {
            break;
        }
        if let Some(count) = support::tcp_socket_count(child.pid()) {
            sockets.push(count);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let run = child.finish(Duration::from_secs(10));

    run.assert_code(0);
    assert_eq!(run.stdout.trim(), SEQUENTIAL_CALLS.to_string(), "{run}");
    assert_eq!(harness.calls_of("cluster_nodes"), SEQUENTIAL_CALLS as usize);
    let most = sockets.iter().copied().max().unwrap_or(0);
    assert!(most <= 4, "the client held up to {most} TCP sockets: {sockets:?}");
    assert!(sockets.len() > 10, "the run was too short to watch: {sockets:?}");
    let opened = harness.relay().accepted();
    assert!(opened <= 4, "{opened} connections for {SEQUENTIAL_CALLS} sequential calls");
    eprintln!("{SEQUENTIAL_CALLS} calls in {:?}, {opened} connections", run.elapsed);
}
