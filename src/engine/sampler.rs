//! Samplers as values: `sample_start` / `sample_listen` return a
//! `Sampler` that keeps its own `since` cursor. The session stops every
//! sampler it started when it ends or a line is interrupted, except those
//! started with `keep: true`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rhai::{Array, Dynamic, Engine, EvalAltResult, FnPtr, Map, NativeCallContext, INT};
use serde_json::Value;

use super::failure;
use super::guard;
use super::state::{lock, Shared};
use super::tools;
use crate::bindings::content_to_dynamic;
use crate::bindings::convert::value_to_dynamic;
use crate::protocol::CallToolResult;

type Fallible<T> = Result<T, Box<EvalAltResult>>;

/// A sampler as `:samplers` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamplerInfo {
    pub id: String,
    pub node: Option<String>,
    /// The sampled tool, or `listen` for a passive sampler.
    pub tool: String,
    pub keep: bool,
    pub completed: bool,
    pub duration_sec: i64,
}

/// What the session knows of one sampler it started.
pub(crate) struct SamplerState {
    id: String,
    node: Option<String>,
    tool: String,
    active: bool,
    keep: bool,
    duration_sec: i64,
    poll: Duration,
    evaluation: u64,
    cursor: Mutex<INT>,
    completed: AtomicBool,
    stopped: AtomicBool,
}

impl SamplerState {
    fn info(&self) -> SamplerInfo {
        SamplerInfo {
            id: self.id.clone(),
            node: self.node.clone(),
            tool: self.tool.clone(),
            keep: self.keep,
            completed: self.completed.load(Ordering::SeqCst),
            duration_sec: self.duration_sec,
        }
    }
}

/// The Rhai value.
#[derive(Clone)]
pub(crate) struct Sampler {
    state: Arc<SamplerState>,
    shared: Arc<Shared>,
}

/// One `sample_read`: the new samples and whether the sampler is done.
struct Batch {
    samples: Array,
    completed: bool,
}

/// Start a sampler (`active`: `sample_start`, else `sample_listen`).
fn start(shared: &Arc<Shared>, active: bool, mut args: Map) -> Fallible<Sampler> {
    let keep = guard::take_keep(&mut args);
    tools::fill_node(shared, &mut args);
    if let Some(warning) = guard::bound_duration(&mut args) {
        shared.frontend.warn(&warning);
    }
    let tool_name = if active { "sample_start" } else { "sample_listen" };
    let node = args.get("node").map(|n| n.to_string());
    let duration_sec = args.get("duration_sec").and_then(|d| d.as_int().ok()).unwrap_or(0);
    let sampled = match active {
        true => args.get("tool").map(|t| t.to_string()).unwrap_or_default(),
        false => "listen".to_string(),
    };
    let interval = args.get("interval_ms").and_then(|i| i.as_int().ok());

    let started = tools::call(shared, tool_name, args)?;
    let id = started
        .as_map_ref()
        .ok()
        .and_then(|m| m.get("sampler_id").map(|i| i.to_string()))
        .ok_or_else(|| failure::thrown(format!("{tool_name}: no sampler_id in the answer")))?;

    let poll_ms = match (active, interval) {
        (true, Some(ms)) => ms.clamp(100, 1000) as u64,
        (true, None) => 1000,
        (false, _) => 500,
    };
    let state = Arc::new(SamplerState {
        id,
        node,
        tool: sampled,
        active,
        keep,
        duration_sec,
        poll: Duration::from_millis(poll_ms),
        evaluation: shared.evaluation(),
        cursor: Mutex::new(0),
        completed: AtomicBool::new(false),
        stopped: AtomicBool::new(false),
    });
    shared.samplers().push(state.clone());
    Ok(Sampler { state, shared: shared.clone() })
}

impl Sampler {
    fn arguments(&self, since: Option<INT>) -> serde_json::Map<String, Value> {
        let mut args = serde_json::Map::new();
        args.insert("sampler_id".into(), Value::String(self.state.id.clone()));
        if let Some(since) = since {
            args.insert("since".into(), Value::from(since));
        }
        if let Some(node) = &self.state.node {
            args.insert("node".into(), Value::String(node.clone()));
        }
        args
    }

    /// Samples after `since`, converted.
    fn fetch(&self, since: INT) -> Fallible<Batch> {
        let caller = self.shared.caller();
        let output = caller
            .call_raw("sample_read", self.arguments(Some(since)))
            .map_err(|e| self.shared.call_failed(e))?;
        let text: Vec<&str> = output.content.iter().filter_map(|i| i.text.as_deref()).collect();
        let text = text.join("");
        if output.is_error {
            return Err(failure::thrown(format!("sample_read: {}", text.trim())));
        }
        let answer: Value = serde_json::from_str(&text)
            .map_err(|e| failure::thrown(format!("sample_read: answer is not JSON: {e}")))?;

        let completed = answer.get("completed").and_then(Value::as_bool).unwrap_or(false);
        let samples = match answer.get("samples") {
            Some(Value::Array(list)) => list.iter().map(|s| self.sample(s)).collect(),
            _ => Array::new(),
        };
        self.state.completed.store(completed, Ordering::SeqCst);
        Ok(Batch { samples, completed })
    }

    /// `#{sequence, timestamp, data}` with `data` converted like a direct
    /// tool result (active) or as plain JSON (passive).
    fn sample(&self, raw: &Value) -> Dynamic {
        let mut sample = Map::new();
        let sequence = raw.get("sequence").and_then(Value::as_i64).unwrap_or(0);
        sample.insert("sequence".into(), Dynamic::from_int(sequence));
        let timestamp = raw.get("timestamp").map(value_to_dynamic).unwrap_or(Dynamic::UNIT);
        sample.insert("timestamp".into(), timestamp);
        let data = raw.get("data").cloned().unwrap_or(Value::Null);
        sample.insert("data".into(), self.data(data));
        Dynamic::from_map(sample)
    }

    fn data(&self, data: Value) -> Dynamic {
        let is_result = data.get("content").is_some_and(Value::is_array);
        if !self.state.active || !is_result {
            return value_to_dynamic(&data);
        }
        let result: CallToolResult = match serde_json::from_value(data.clone()) {
            Ok(result) => result,
            Err(_) => return value_to_dynamic(&data),
        };
        let is_error = result.is_error.unwrap_or(false);
        match content_to_dynamic(
            &self.state.tool,
            result.content,
            is_error,
            result.structured_content,
        ) {
            Ok(value) => value,
            Err(failure) => {
                let mut map = Map::new();
                map.insert("error".into(), failure.to_string().into());
                Dynamic::from_map(map)
            }
        }
    }

    /// New samples since the last read; moves the cursor past them.
    fn read(&self) -> Fallible<Batch> {
        let batch = self.fetch(self.cursor())?;
        if let Some(newest) = batch.samples.iter().filter_map(sequence_of).max() {
            self.advance_cursor(newest);
        }
        Ok(batch)
    }

    fn cursor(&self) -> INT {
        *lock(&self.state.cursor)
    }

    fn advance_cursor(&self, sequence: INT) {
        let mut cursor = lock(&self.state.cursor);
        *cursor = (*cursor).max(sequence);
    }

    /// Poll until the sampler completes, handing every new sample to
    /// `each`; stops early when `each` answers `false`, leaving the samples
    /// not handed over for the next read.
    fn poll(&self, mut each: impl FnMut(Dynamic) -> Fallible<bool>) -> Fallible<()> {
        loop {
            let batch = self.fetch(self.cursor())?;
            for sample in batch.samples {
                if let Some(sequence) = sequence_of(&sample) {
                    self.advance_cursor(sequence);
                }
                if !each(sample)? {
                    return Ok(());
                }
            }
            if batch.completed {
                return Ok(());
            }
            self.shared.sleep(self.state.poll)?;
        }
    }

    fn wait(&self) -> Fallible<Array> {
        let mut all = Array::new();
        self.shared.frontend.call_started(&format!("waiting for sampler {}", self.state.id));
        let result = self.poll(|sample| {
            all.push(sample);
            Ok(true)
        });
        self.shared.frontend.call_finished();
        result.map(|_| all)
    }

    fn stop(&self) -> Fallible<Dynamic> {
        stop_state(&self.shared, &self.state).map_err(|e| self.shared.call_failed(e))
    }
}

fn sequence_of(sample: &Dynamic) -> Option<INT> {
    sample.as_map_ref().ok()?.get("sequence")?.as_int().ok()
}

/// Stop one sampler on the server; a sampler the server already let go
/// counts as stopped.
fn stop_state(
    shared: &Shared,
    state: &SamplerState,
) -> Result<Dynamic, crate::bindings::CallError> {
    if state.stopped.swap(true, Ordering::SeqCst) {
        return Ok(Dynamic::UNIT);
    }
    let mut args = serde_json::Map::new();
    args.insert("sampler_id".into(), Value::String(state.id.clone()));
    if let Some(node) = &state.node {
        args.insert("node".into(), Value::String(node.clone()));
    }
    match shared.caller().call("sample_stop", args) {
        Ok(answer) => Ok(answer),
        Err(error) if error.to_string().contains("not found") => Ok(Dynamic::UNIT),
        Err(error) => {
            state.stopped.store(false, Ordering::SeqCst);
            Err(error)
        }
    }
}

/// Stop the samplers that are neither kept nor stopped; with
/// `evaluation`, only those that evaluation started. Errors are logged.
pub(crate) fn stop_tracked(shared: &Shared, evaluation: Option<u64>) {
    let targets: Vec<Arc<SamplerState>> = shared
        .samplers()
        .iter()
        .filter(|s| !s.keep && !s.stopped.load(Ordering::SeqCst))
        .filter(|s| evaluation.is_none_or(|e| s.evaluation == e))
        .cloned()
        .collect();
    if targets.is_empty() {
        return;
    }
    // Stopping must work right after Ctrl-C, which fails every call.
    shared.interrupt.clear();
    for state in targets {
        if let Err(error) = stop_state(shared, &state) {
            tracing::debug!("sampler {} not stopped: {error}", state.id);
            state.stopped.store(true, Ordering::SeqCst);
        }
    }
    shared.samplers().retain(|s| s.keep || !s.stopped.load(Ordering::SeqCst));
}

/// The samplers still running (as far as the session knows).
pub(crate) fn infos(shared: &Shared) -> Vec<SamplerInfo> {
    shared
        .samplers()
        .iter()
        .filter(|s| !s.stopped.load(Ordering::SeqCst))
        .map(|s| s.info())
        .collect()
}

fn info_map(info: &SamplerInfo) -> Dynamic {
    let mut map = Map::new();
    map.insert("id".into(), info.id.clone().into());
    map.insert("node".into(), info.node.clone().map_or(Dynamic::UNIT, Dynamic::from));
    map.insert("tool".into(), info.tool.clone().into());
    map.insert("keep".into(), info.keep.into());
    map.insert("completed".into(), info.completed.into());
    map.insert("duration_sec".into(), Dynamic::from_int(info.duration_sec));
    Dynamic::from_map(map)
}

/// `sample_start`, `sample_listen`, the `Sampler` type, `samplers()`.
pub(crate) fn register(engine: &mut Engine, shared: &Arc<Shared>, names_out: &mut Vec<String>) {
    let s = shared.clone();
    engine.register_fn("sample_start", move |args: Map| start(&s, true, args));
    let s = shared.clone();
    engine.register_fn("sample_listen", move |args: Map| start(&s, false, args));
    let s = shared.clone();
    engine.register_fn("sample_listen", move || start(&s, false, Map::new()));
    let s = shared.clone();
    engine.register_fn("samplers", move || -> Array { infos(&s).iter().map(info_map).collect() });

    engine.register_type_with_name::<Sampler>("Sampler");
    engine.register_get("id", |s: &mut Sampler| s.state.id.clone());
    engine.register_get("node", |s: &mut Sampler| {
        s.state.node.clone().map_or(Dynamic::UNIT, Dynamic::from)
    });
    engine.register_get("tool", |s: &mut Sampler| s.state.tool.clone());
    engine.register_get("completed", |s: &mut Sampler| s.state.completed.load(Ordering::SeqCst));
    engine.register_fn("read", |s: &mut Sampler| s.read().map(|batch| batch.samples));
    engine.register_fn("all", |s: &mut Sampler| s.fetch(0).map(|batch| batch.samples));
    engine.register_fn("wait", |s: &mut Sampler| s.wait());
    engine.register_fn("stop", |s: &mut Sampler| s.stop());
    engine.register_fn(
        "follow",
        |context: NativeCallContext, s: &mut Sampler, closure: FnPtr| -> Fallible<INT> {
            let mut seen: INT = 0;
            // The closure may answer `false` to stop following.
            s.poll(|sample| {
                seen += 1;
                let answer = closure.call_within_context::<Dynamic>(&context, (sample,))?;
                Ok(answer.as_bool() != Ok(false))
            })?;
            Ok(seen)
        },
    );
    engine.register_fn("to_string", |s: &mut Sampler| describe(&s.state));
    engine.register_fn("to_debug", |s: &mut Sampler| describe(&s.state));

    names_out.extend(["sample_start", "sample_listen", "samplers"].map(String::from));
}

fn describe(state: &SamplerState) -> String {
    let node = state.node.as_deref().map(|n| format!(" on {n}")).unwrap_or_default();
    format!("Sampler({} {}{node})", state.id, state.tool)
}
