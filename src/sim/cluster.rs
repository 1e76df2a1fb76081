//! The running cluster as the server sees it: the world and the samplers
//! behind one lock, a pool of five workers per node, the cluster proxy,
//! the call record and the fault rules.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Map, Value};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::clock::Clock;
use super::faults::FaultTable;
use super::sampler::Samplers;
use super::world::{Planted, ToolReply, World};
use super::{schema, wire, RecordedCall, SimOptions};
use crate::protocol::{INTERNAL_ERROR, INVALID_PARAMS};

/// Workers per node, as the Ergo MCP application runs them.
pub const WORKERS: usize = 5;
const DEFAULT_PROXY_TIMEOUT: i64 = 30;
const MAX_PROXY_TIMEOUT: i64 = 120;
const RENDER_CACHE: usize = 4;
/// The call record keeps this many of the latest calls, so a long
/// benchmark or demo does not grow without bound.
const RECORD_LIMIT: usize = 100_000;

/// The text of a tool result, before it is escaped into the envelope.
pub enum ToolText {
    Plain(String),
    Shared(Arc<String>),
}

/// A failed call: the JSON-RPC error to answer.
#[derive(Debug)]
pub struct Failure {
    pub code: i64,
    pub message: String,
}

struct State {
    world: World,
    samplers: Samplers,
}

impl State {
    fn advance(&mut self, now: u64) {
        let State { world, samplers } = self;
        samplers.advance(world, now);
    }
}

/// Everything the server shares between connections.
pub struct Cluster {
    pub options: SimOptions,
    pub entry: String,
    pub names: Vec<String>,
    pub clock: Clock,
    pub faults: FaultTable,
    pub session: Mutex<Option<String>>,
    pub tools_changed: AtomicBool,
    state: Mutex<State>,
    pools: HashMap<String, Arc<Semaphore>>,
    calls: Mutex<VecDeque<RecordedCall>>,
    rendered: Mutex<Vec<(Arc<String>, Bytes)>>,
}

impl Cluster {
    pub fn new(options: SimOptions) -> Cluster {
        let world = World::new(&options);
        let names = world.node_names();
        let entry = names.first().cloned().unwrap_or_default();
        let clock = Clock::new(options.clock);
        let samplers = Samplers::new(clock.wall_ms(0));
        let pools =
            names.iter().map(|name| (name.clone(), Arc::new(Semaphore::new(WORKERS)))).collect();
        Cluster {
            options,
            entry,
            names,
            clock,
            faults: FaultTable::default(),
            session: Mutex::new(None),
            tools_changed: AtomicBool::new(false),
            state: Mutex::new(State { world, samplers }),
            pools,
            calls: Mutex::new(VecDeque::new()),
            rendered: Mutex::new(Vec::new()),
        }
    }

    /// Brings the world and the samplers up to the clock.
    pub fn catch_up(&self) {
        let now = self.clock.now_ms();
        lock(&self.state).advance(now);
    }

    pub fn planted(&self) -> Vec<Planted> {
        lock(&self.state).world.planted()
    }

    pub fn samplers(&self) -> Vec<(String, String, String)> {
        lock(&self.state).samplers.summary()
    }

    pub fn calls(&self) -> Vec<RecordedCall> {
        lock(&self.calls).iter().cloned().collect()
    }

    pub fn clear_calls(&self) {
        lock(&self.calls).clear();
    }

    /// Notes a `tools/call` as it arrived, before anything can go wrong.
    pub fn record(&self, tool: &str, arguments: Option<&Map<String, Value>>) {
        let node = target_node(arguments).unwrap_or(&self.entry).to_string();
        let call = RecordedCall {
            node,
            tool: tool.to_string(),
            arguments: arguments.cloned().map(Value::Object).unwrap_or(Value::Null),
            at_ms: self.clock.now_ms(),
        };
        let mut calls = lock(&self.calls);
        if calls.len() >= RECORD_LIMIT {
            calls.pop_front();
        }
        calls.push_back(call);
    }

    /// A worker of a node's pool; requests queue here when all are busy.
    pub async fn worker(&self, node: &str) -> Option<OwnedSemaphorePermit> {
        let pool = self.pools.get(node)?.clone();
        pool.acquire_owned().await.ok()
    }

    /// Runs a `tools/call` that arrived at the entry node (whose worker the
    /// caller holds), proxying it when `node` names another node.
    pub async fn call_tool(
        self: &Arc<Self>,
        tool: &str,
        arguments: Option<Map<String, Value>>,
    ) -> Result<ToolText, Failure> {
        let target = target_node(arguments.as_ref()).unwrap_or(&self.entry).to_string();
        if target == self.entry {
            return self
                .run(&target, tool, arguments)
                .await
                .map_err(|message| Failure { code: INVALID_PARAMS, message });
        }
        if !self.names.contains(&target) {
            return Err(remote_failure(&target, "no route"));
        }

        let seconds = proxy_timeout(arguments.as_ref());
        let cluster = self.clone();
        let tool = tool.to_string();
        let node = target.clone();
        // The remote node keeps working (and keeps its worker) even when
        // the proxy gives up waiting, as a real peer does.
        let remote = tokio::spawn(async move {
            let _worker = cluster.worker(&node).await;
            if !cluster.options.node_latency.is_zero() {
                tokio::time::sleep(cluster.options.node_latency).await;
            }
            cluster.run(&node, &tool, arguments).await
        });
        match tokio::time::timeout(self.clock.real_duration(seconds as f64), remote).await {
            Ok(Ok(answer)) => answer.map_err(|message| Failure { code: INTERNAL_ERROR, message }),
            Ok(Err(_)) => Err(remote_failure(&target, "remote worker failed")),
            Err(_) => Err(remote_failure(&target, "timed out")),
        }
    }

    /// Runs a tool on one node, holding whatever worker the caller holds.
    async fn run(
        &self,
        node: &str,
        tool: &str,
        arguments: Option<Map<String, Value>>,
    ) -> Result<ToolText, String> {
        let changed = self.tools_changed.load(Ordering::SeqCst);
        if !schema::has_tool_now(tool, changed) {
            return Err(format!("unknown tool: {tool}"));
        }
        if arguments.is_none() && schema::takes_arguments(tool) {
            return Err("invalid params: unexpected end of JSON input".to_string());
        }
        let mut arguments = arguments.unwrap_or_default();
        arguments.remove("node");
        if tool != "call_process" {
            arguments.remove("timeout");
        }
        // The tool a changed list adds is the busiest processes by
        // running time, answered by `process_list`.
        let tool = if tool == schema::EXTRA_TOOL_NAME {
            arguments.insert("sort_by".to_string(), Value::from("running_time"));
            "process_list"
        } else {
            tool
        };

        let reply = tokio::task::block_in_place(|| {
            let now = self.clock.now_ms();
            let mut state = lock(&self.state);
            state.advance(now);
            let State { world, samplers } = &mut *state;
            if tool.starts_with("sample_") {
                samplers.call(world, node, tool, &arguments, now)
            } else {
                world.call(node, tool, &arguments)
            }
        });
        self.settle(reply).await
    }

    async fn settle(&self, mut reply: ToolReply) -> Result<ToolText, String> {
        loop {
            reply = match reply {
                ToolReply::Hold { seconds, then } => {
                    self.hold(seconds).await;
                    *then
                }
                ToolReply::Json(value) => return Ok(ToolText::Plain(wire::pretty(&value))),
                ToolReply::Text(text) => return Ok(ToolText::Plain(text)),
                ToolReply::Rendered(text) => return Ok(ToolText::Shared(text)),
                ToolReply::Error(message) => return Err(message),
            };
        }
    }

    /// Keeps the worker busy for `seconds` of sim time: real time scaled
    /// by the speed, and in Manual mode also released by stepping time.
    async fn hold(&self, seconds: f64) {
        let real = self.clock.real_duration(seconds);
        if !self.clock.is_manual() {
            tokio::time::sleep(real).await;
            return;
        }
        let until = self.clock.now_ms() + (seconds * 1000.0) as u64;
        let mut moved = self.clock.subscribe();
        let stepped = async move {
            while *moved.borrow_and_update() < until {
                if moved.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(real) => {}
            _ = stepped => {}
        }
    }

    /// The text as an escaped JSON string literal; large shared texts are
    /// escaped once and reused, so repeated calls cost the server nothing.
    pub fn escaped(&self, text: &ToolText) -> Bytes {
        match text {
            ToolText::Plain(text) => escape(text),
            ToolText::Shared(shared) => {
                if let Some((_, bytes)) =
                    lock(&self.rendered).iter().find(|(cached, _)| Arc::ptr_eq(cached, shared))
                {
                    return bytes.clone();
                }
                let bytes = escape(shared);
                let mut cache = lock(&self.rendered);
                if cache.len() >= RENDER_CACHE {
                    cache.remove(0);
                }
                cache.push((shared.clone(), bytes.clone()));
                bytes
            }
        }
    }

    /// Steps the clock and runs whatever became due.
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
        self.catch_up();
    }
}

fn escape(text: &str) -> Bytes {
    let mut out = Vec::new();
    wire::push_string(&mut out, text);
    Bytes::from(out)
}

fn target_node(arguments: Option<&Map<String, Value>>) -> Option<&str> {
    match arguments?.get("node") {
        Some(Value::String(node)) if !node.is_empty() => Some(node),
        _ => None,
    }
}

fn proxy_timeout(arguments: Option<&Map<String, Value>>) -> i64 {
    let requested = arguments
        .and_then(|arguments| arguments.get("timeout"))
        .and_then(Value::as_i64)
        .filter(|seconds| *seconds > 0)
        .unwrap_or(DEFAULT_PROXY_TIMEOUT);
    requested.min(MAX_PROXY_TIMEOUT)
}

fn remote_failure(node: &str, reason: &str) -> Failure {
    Failure { code: INTERNAL_ERROR, message: format!("remote call to '{node}' failed: {reason}") }
}

pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
