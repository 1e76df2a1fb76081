//! The simulated Ergo cluster: an MCP endpoint on loopback that answers like
//! a real Ergo node, with a few peers behind its cluster proxy, a clock that
//! moves the world along, samplers, and fault modes for reliability tests.
//!
//! The server side lives in this folder, one concern a file: `server`
//! (HTTP and the transport rules), `rpc` (JSON-RPC), `cluster` (worker
//! pools, the proxy, holds, the call record), `sampler`, `faults`,
//! `schema` (`tools/list`), `clock`, `body` and `wire` (Go-style bytes).
//! The node state and every other tool handler live in [`world`].
//!
//! Where the recorded node and its documentation disagree, the simulator
//! follows the recording, with one exception: `sample_start count: N`
//! stops after N samples as documented, where the recorded release stops
//! one short. `sample_read` answers in `sequence` the number the next
//! entry will get, as recorded: a client reads on with the highest
//! sequence it has seen, not with that field.

mod body;
mod clock;
mod cluster;
mod faults;
mod rpc;
mod sampler;
mod schema;
mod server;
mod wire;
pub mod world;

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::oneshot;

use cluster::Cluster;
pub use faults::{Fault, FaultRule};
pub use world::Planted;

/// The number of workers that serve requests on each node.
pub const WORKERS_PER_NODE: usize = cluster::WORKERS;

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
        SimOptions { clock: ClockMode::Manual, ..SimOptions::demo() }
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

/// One `tools/call` as it arrived at the entry node.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedCall {
    /// The node the call was for (the entry node unless `node` was set).
    pub node: String,
    pub tool: String,
    /// The arguments as sent, `node` and `timeout` included; null when the
    /// request had none.
    pub arguments: Value,
    /// Sim time of arrival.
    pub at_ms: u64,
}

/// A running simulated cluster; dropping it shuts it down.
pub struct Simulator {
    address: SocketAddr,
    control: SimControl,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Simulator {
    /// Binds 127.0.0.1 and serves on a runtime of its own thread.
    pub fn start(options: SimOptions) -> io::Result<Simulator> {
        let listener = TcpListener::bind(("127.0.0.1", options.port))?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("ergosh-sim")
            .enable_all()
            .build()?;
        let cluster = Arc::new(runtime.block_on(async { Cluster::new(options) }));
        let (shutdown, stop) = oneshot::channel();
        let served = cluster.clone();
        let thread =
            std::thread::Builder::new().name("ergosh-sim".to_string()).spawn(move || {
                let _ = runtime.block_on(server::serve(listener, served, stop));
                runtime.shutdown_background();
            })?;
        Ok(Simulator {
            address,
            control: SimControl { cluster },
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT/mcp`.
    pub fn url(&self) -> String {
        format!("http://{}/mcp", self.address)
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// A handle for tests and the front end: time, records, faults.
    pub fn control(&self) -> SimControl {
        self.control.clone()
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Steers a running simulator from outside.
#[derive(Clone)]
pub struct SimControl {
    cluster: Arc<Cluster>,
}

impl SimControl {
    /// Every node, the entry node first.
    pub fn node_names(&self) -> Vec<String> {
        self.cluster.names.clone()
    }

    /// The node the HTTP endpoint belongs to.
    pub fn entry_node(&self) -> String {
        self.cluster.entry.clone()
    }

    /// Steps sim time forward, running due sampler ticks in order.
    pub fn advance(&self, by: Duration) {
        self.cluster.advance(by);
    }

    /// Sim time in milliseconds since start.
    pub fn now_ms(&self) -> u64 {
        self.cluster.clock.now_ms()
    }

    /// The `tools/call`s received so far (the latest 100 000), oldest
    /// first, sampler ticks not included.
    pub fn calls(&self) -> Vec<RecordedCall> {
        self.cluster.calls()
    }

    /// Forgets the calls recorded so far (after a test's setup, say).
    pub fn clear_calls(&self) {
        self.cluster.clear_calls();
    }

    /// The planted troubles and where they are.
    pub fn planted(&self) -> Vec<Planted> {
        self.cluster.planted()
    }

    /// `(node, sampler id, status)` of every sampler still readable.
    pub fn samplers(&self) -> Vec<(String, String, String)> {
        self.cluster.catch_up();
        self.cluster.samplers()
    }

    /// Adds a fault rule; the first matching rule applies.
    pub fn set_fault(&self, rule: FaultRule) {
        self.cluster.faults.add(rule);
    }

    /// Removes every fault rule and restores the normal tool list.
    pub fn clear_faults(&self) {
        self.cluster.faults.clear();
        self.cluster.tools_changed.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}
