//! The simulated Ergo cluster: an MCP endpoint on loopback that answers like
//! a real Ergo node, with a few peers behind its cluster proxy, a clock that
//! moves the world along, samplers, and fault modes for reliability tests.
//!
//! The server side (HTTP, worker pools, proxy, samplers, faults, recording,
//! `tools/list`) lives in this folder; the node state and every other tool
//! handler live in [`world`].

use std::time::Duration;

pub mod world;

/// The names of the planted troubles, each what one playbook diagnoses.
pub const SCENARIOS: &[&str] = &[
    "overload",
    "slow_callback",
    "process_leak",
    "restart_loop",
    "zombies",
    "memory_growth",
    "stuck_call",
    "flapping_peer",
    "message_loss",
    "event_no_subscribers",
    "event_no_publisher",
    "goroutine_leak",
];

/// How simulated time moves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ClockMode {
    /// Sim time is the real time elapsed since start, times `speed`.
    Real { speed: f64 },
    /// Time moves only through [`SimControl::advance`].
    Manual,
}

/// Everything a simulated cluster is started with.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// TCP port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Bearer token required on every POST; `None` accepts any request.
    pub token: Option<String>,
    /// Number of nodes, the entry node included.
    pub nodes: usize,
    /// Planted troubles by name; empty (and not `healthy`) means all of them.
    pub scenarios: Vec<String>,
    /// Start with no planted trouble at all.
    pub healthy: bool,
    /// How simulated time moves.
    pub clock: ClockMode,
    /// Extra time every non-entry node takes to answer a proxied call.
    pub node_latency: Duration,
    /// Scale mode: the entry node gets this many processes.
    pub processes: Option<usize>,
    /// `node_info` without the newer counters, like the recorded node.
    pub legacy: bool,
}

impl SimOptions {
    /// The `--demo` cluster: three nodes, every trouble, real time.
    pub fn demo() -> Self {
        SimOptions {
            port: 0,
            token: None,
            nodes: 3,
            scenarios: Vec::new(),
            healthy: false,
            clock: ClockMode::Real { speed: 1.0 },
            node_latency: Duration::ZERO,
            processes: None,
            legacy: false,
        }
    }

    /// The same cluster for tests: time moves only when a test says so.
    pub fn test() -> Self {
        SimOptions {
            clock: ClockMode::Manual,
            ..SimOptions::demo()
        }
    }

    /// The troubles this cluster plants, resolved from `scenarios`/`healthy`.
    pub fn active_scenarios(&self) -> Vec<String> {
        if self.healthy {
            return Vec::new();
        }
        if self.scenarios.is_empty() {
            return SCENARIOS.iter().map(|name| name.to_string()).collect();
        }
        self.scenarios.clone()
    }
}
