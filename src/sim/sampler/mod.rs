//! Samplers, as the node's MCP application runs them: an active sampler
//! calls a tool on an interval, a passive one keeps log lines and event
//! publications; both fill a ring buffer that `sample_read` drains by
//! sequence number. Time is sim time, moved by [`Samplers::advance`].

mod args;
mod report;
mod tick;

use std::collections::VecDeque;

use serde_json::{json, Map, Value};

use super::schema;
use super::world::{ToolReply, World};
use args::Args;

const DEFAULT_BUFFER: i64 = 256;
const DEFAULT_INTERVAL_MS: i64 = 5000;
const MIN_INTERVAL_MS: i64 = 100;
const DEFAULT_DURATION_SEC: i64 = 60;
const MAX_DURATION_SEC: i64 = 3600;
const DEFAULT_LINGER_SEC: i64 = 30;
const DEFAULT_LEVELS: [&str; 4] = ["info", "warning", "error", "panic"];

/// Every sampler of the cluster, each on the node it was started on.
pub struct Samplers {
    samplers: Vec<Sampler>,
    wall_base_ms: u64,
}

struct Sampler {
    id: String,
    node: String,
    pid: String,
    kind: Kind,
    buffer: VecDeque<Entry>,
    capacity: usize,
    next_sequence: u64,
    started_ms: u64,
    deadline_ms: Option<u64>,
    linger_ms: u64,
    finished: Option<(u64, &'static str)>,
}

enum Kind {
    Active(Active),
    Passive(Passive),
}

struct Active {
    tool: String,
    arguments: Map<String, Value>,
    interval_ms: u64,
    count: u64,
    max_errors: u64,
    next_due_ms: u64,
    errors_in_row: u64,
    successes: u64,
}

struct Passive {
    levels: Vec<String>,
    source: String,
    event: Option<(String, String)>,
    log_cursor: u64,
    event_cursor: u64,
}

struct Entry {
    sequence: u64,
    at_ms: u64,
    data: Value,
}

/// What happens next to a running sampler.
enum Due {
    Tick,
    Deadline,
}

impl Samplers {
    pub fn new(wall_base_ms: u64) -> Samplers {
        Samplers { samplers: Vec::new(), wall_base_ms }
    }

    /// `(node, id, status)` of every sampler still readable.
    pub fn summary(&self) -> Vec<(String, String, String)> {
        self.samplers
            .iter()
            .map(|sampler| (sampler.node.clone(), sampler.id.clone(), sampler.status().to_string()))
            .collect()
    }

    /// Answers one of the five sampler tools on `node` at sim time `now`.
    pub fn call(
        &mut self,
        world: &mut World,
        node: &str,
        tool: &str,
        arguments: &Map<String, Value>,
        now: u64,
    ) -> ToolReply {
        let answer = match tool {
            "sample_start" => self.start(world, node, arguments, now),
            "sample_listen" => self.listen(world, node, arguments, now),
            "sample_read" => self.read(node, arguments),
            "sample_stop" => self.stop(node, arguments),
            _ => Ok(ToolReply::Json(report::list(self.on_node(node), now, self.wall_base_ms))),
        };
        answer.unwrap_or_else(ToolReply::Error)
    }

    fn start(
        &mut self,
        world: &mut World,
        node: &str,
        arguments: &Map<String, Value>,
        now: u64,
    ) -> Result<ToolReply, String> {
        let args = Args::new(arguments, "sampleStartParams");
        let tool = args.string("tool")?;
        if tool.is_empty() {
            return Err("tool is required".to_string());
        }
        if !schema::has_tool(&tool) {
            return Err(format!("unknown tool: {tool}"));
        }
        if tool.starts_with("sample_") {
            return Err(format!("sample_start: {tool} cannot be sampled"));
        }
        let mut tool_arguments = args.object("arguments")?;
        tool_arguments.remove("node");
        let interval = match args.int("interval_ms", DEFAULT_INTERVAL_MS)? {
            value if value <= 0 => DEFAULT_INTERVAL_MS,
            value => value.max(MIN_INTERVAL_MS),
        };
        let count = args.int("count", 0)?.max(0);
        let max_errors = args.int("max_errors", 0)?.max(0);
        let (buffer, duration, linger) = common(&args)?;

        let active = Active {
            tool: tool.clone(),
            arguments: tool_arguments,
            interval_ms: interval as u64,
            count: count as u64,
            max_errors: max_errors as u64,
            next_due_ms: now,
            errors_in_row: 0,
            successes: 0,
        };
        let id = self.create(world, node, Kind::Active(active), buffer, duration, linger, now);

        // The first sample is taken at once.
        self.advance(world, now);
        Ok(ToolReply::Json(json!({
            "buffer_size": buffer,
            "count": count,
            "duration_sec": duration,
            "interval_ms": interval,
            "mode": "active",
            "sampler_id": id,
            "tool": tool,
        })))
    }

    fn listen(
        &mut self,
        world: &mut World,
        node: &str,
        arguments: &Map<String, Value>,
        now: u64,
    ) -> Result<ToolReply, String> {
        let args = Args::new(arguments, "sampleListenParams");
        let levels = match args.strings("log_levels")? {
            Some(levels) => levels,
            None => DEFAULT_LEVELS.iter().map(|level| level.to_string()).collect(),
        };
        let source = args.string("log_source")?;
        let event_name = args.string("event")?;
        let mut event_node = args.string("event_node")?;
        if event_node.is_empty() {
            event_node = node.to_string();
        }
        if levels.is_empty() && event_name.is_empty() {
            return Err(
                "sample_listen: nothing to capture: give log_levels or an event".to_string()
            );
        }
        let event = if event_name.is_empty() {
            None
        } else {
            check_event(world, &event_node, &event_name)?;
            Some((event_name.clone(), event_node.clone()))
        };
        let (buffer, duration, linger) = common(&args)?;

        let log_cursor = last_sequence(world.logs_since(node, 0).iter().map(|(seq, _)| *seq));
        let event_cursor = match &event {
            Some((name, owner)) => {
                last_sequence(world.publications_since(owner, name, 0).iter().map(|(seq, _)| *seq))
            }
            None => 0,
        };
        let passive = Passive {
            levels: levels.clone(),
            source: source.clone(),
            event,
            log_cursor,
            event_cursor,
        };
        let id = self.create(world, node, Kind::Passive(passive), buffer, duration, linger, now);

        let mut answer = Map::new();
        answer.insert("buffer_size".into(), json!(buffer));
        answer.insert("duration_sec".into(), json!(duration));
        if !event_name.is_empty() {
            answer.insert("event".into(), json!(event_name));
        }
        if !levels.is_empty() {
            answer.insert("log_levels".into(), json!(levels));
            answer.insert("log_source".into(), json!(source));
        }
        answer.insert("mode".into(), json!("passive"));
        answer.insert("sampler_id".into(), json!(id));
        Ok(ToolReply::Json(Value::Object(answer)))
    }

    #[allow(clippy::too_many_arguments)]
    fn create(
        &mut self,
        world: &mut World,
        node: &str,
        kind: Kind,
        buffer: i64,
        duration: i64,
        linger: i64,
        now: u64,
    ) -> String {
        let id = loop {
            let id = format!("mcp_sampler_{:08x}", rand::random::<u32>());
            if !self.samplers.iter().any(|sampler| sampler.id == id) {
                break id;
            }
        };
        self.samplers.push(Sampler {
            id: id.clone(),
            node: node.to_string(),
            pid: world.alloc_pid(node),
            kind,
            buffer: VecDeque::new(),
            capacity: buffer as usize,
            next_sequence: 1,
            started_ms: now,
            deadline_ms: (duration > 0).then(|| now + duration as u64 * 1000),
            linger_ms: linger as u64 * 1000,
            finished: None,
        });
        id
    }

    fn read(&self, node: &str, arguments: &Map<String, Value>) -> Result<ToolReply, String> {
        let args = Args::new(arguments, "sampleReadParams");
        let id = args.string("sampler_id")?;
        let since = args.int("since", 0)?.max(0) as u64;
        let sampler = self.find(node, &id)?;
        Ok(ToolReply::Json(report::read(sampler, since, self.wall_base_ms)))
    }

    fn stop(&mut self, node: &str, arguments: &Map<String, Value>) -> Result<ToolReply, String> {
        let args = Args::new(arguments, "sampleStopParams");
        let id = args.string("sampler_id")?;
        self.find(node, &id)?;
        self.samplers.retain(|sampler| sampler.id != id);
        Ok(ToolReply::Text(format!("sampler {id} stopping")))
    }

    fn find(&self, node: &str, id: &str) -> Result<&Sampler, String> {
        if id.is_empty() {
            return Err("sampler_id is required".to_string());
        }
        self.samplers
            .iter()
            .find(|sampler| sampler.node == node && sampler.id == id)
            .ok_or_else(|| format!("sampler {id} not found or not responding: unknown process"))
    }

    fn on_node<'a>(&'a self, node: &'a str) -> impl Iterator<Item = &'a Sampler> + 'a {
        self.samplers.iter().filter(move |sampler| sampler.node == node)
    }

    /// Moves every sampler to sim time `now`: due ticks run in time order
    /// (the world advanced to each), passive samplers take what was logged
    /// or published, finished samplers past their linger time go away.
    pub fn advance(&mut self, world: &mut World, now: u64) {
        let wall_base_ms = self.wall_base_ms;
        while let Some((index, at, due)) = self.next_due(now) {
            world.advance_to(at);
            match due {
                Due::Tick => self.samplers[index].tick(world, at),
                Due::Deadline => {
                    self.samplers[index].poll(world, at, wall_base_ms);
                    self.samplers[index].finished = Some((at, "completed"));
                }
            }
        }
        world.advance_to(now);
        for sampler in &mut self.samplers {
            if sampler.finished.is_none() {
                sampler.poll(world, now, wall_base_ms);
            }
        }
        self.samplers.retain(|sampler| match sampler.finished {
            Some((at, _)) => at + sampler.linger_ms > now,
            None => true,
        });
    }

    fn next_due(&self, now: u64) -> Option<(usize, u64, Due)> {
        let mut best: Option<(usize, u64, Due)> = None;
        for (index, sampler) in self.samplers.iter().enumerate() {
            let Some((at, due)) = sampler.due() else {
                continue;
            };
            if at > now || best.as_ref().is_some_and(|(_, best_at, _)| *best_at <= at) {
                continue;
            }
            best = Some((index, at, due));
        }
        best
    }
}

/// `buffer_size`, `duration_sec` and `linger_sec` with their defaults.
fn common(args: &Args) -> Result<(i64, i64, i64), String> {
    let buffer = match args.int("buffer_size", DEFAULT_BUFFER)? {
        value if value <= 0 => DEFAULT_BUFFER,
        value => value,
    };
    let duration = match args.int("duration_sec", DEFAULT_DURATION_SEC)? {
        value if value < 0 => DEFAULT_DURATION_SEC,
        value => value.min(MAX_DURATION_SEC),
    };
    let linger = match args.int("linger_sec", DEFAULT_LINGER_SEC)? {
        value if value < 0 => DEFAULT_LINGER_SEC,
        value => value,
    };
    Ok((buffer, duration, linger))
}

fn check_event(world: &mut World, owner: &str, name: &str) -> Result<(), String> {
    let mut arguments = Map::new();
    arguments.insert("name".to_string(), json!(name));
    match world.call(owner, "event_info", &arguments) {
        ToolReply::Error(_) => {
            Err(format!("sample_listen: cannot subscribe to event '{name}': unknown event"))
        }
        _ => Ok(()),
    }
}

fn last_sequence(sequences: impl Iterator<Item = u64>) -> u64 {
    sequences.max().unwrap_or(0)
}
