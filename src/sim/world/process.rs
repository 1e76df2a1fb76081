//! One simulated process: identity, state, and counters that follow from
//! steady message rates in closed form, so a quiet process costs nothing
//! per clock tick.

use serde_json::{json, Map, Value};

/// The process states as Ergo's `ProcessState.String()` words them.
/// `Init` and `Terminated` pass too quickly to be seen in the simulation.
#[allow(dead_code)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Init,
    Sleep,
    Running,
    WaitResponse,
    Terminated,
    Zombee,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Init => "init",
            State::Sleep => "sleep",
            State::Running => "running",
            State::WaitResponse => "wait response",
            State::Terminated => "terminated",
            State::Zombee => "zombee",
        }
    }
}

/// Steady traffic through a process.
#[derive(Debug, Clone, Copy, Default)]
pub struct Flow {
    /// Messages arriving per second.
    pub in_per_sec: f64,
    /// Messages sent per second.
    pub out_per_sec: f64,
    /// Messages handled per second; below `in_per_sec` the mailbox grows.
    pub handled_per_sec: f64,
    /// Callback time per handled message, in nanoseconds.
    pub run_ns_per_message: f64,
    /// Messages handled per wakeup (the drain ratio).
    pub per_wakeup: f64,
    /// Callback time per second spent outside messages (a stuck callback).
    pub busy_ns_per_sec: f64,
}

impl Flow {
    /// A process that handles whatever arrives, one message per wakeup.
    pub fn calm(in_per_sec: f64, out_per_sec: f64, run_ns_per_message: f64) -> Flow {
        Flow {
            in_per_sec,
            out_per_sec,
            handled_per_sec: in_per_sec,
            run_ns_per_message,
            per_wakeup: 1.0,
            busy_ns_per_sec: 0.0,
        }
    }
}

/// What a process answers to `process_inspect`, `send_message` and
/// `call_process`.
#[derive(Debug, Clone, PartialEq)]
pub enum Role {
    /// No `HandleInspect`: inspect answers null.
    Plain,
    /// A supervisor: inspect shows its restart count.
    Supervisor { strategy: String, restarts: u64 },
    /// A cache whose size grows by `growth` bytes per second.
    Cache { base_bytes: u64, growth: u64 },
    /// Accepts orders and answers a receipt.
    OrderDesk { accepted: u64 },
    /// Takes requests and never answers.
    Blackhole,
    /// Spawns throwaway processes on request.
    Factory,
}

/// One simulated process.
#[derive(Debug, Clone)]
pub struct Process {
    pub id: u64,
    pub name: String,
    pub application: String,
    pub behavior: String,
    pub parent: u64,
    pub leader: u64,
    pub state: State,
    /// Sim time of the spawn in ms; negative for processes older than the
    /// simulation.
    pub born_ms: i64,
    /// Counters stop moving from this time on (killed processes).
    pub frozen_ms: Option<i64>,
    pub flow: Flow,
    /// Counter offsets from actions (messages sent by tools).
    pub extra_in: u64,
    pub extra_running_ns: u64,
    pub init_time_ns: u64,
    pub mailbox_size: i64,
    pub log_level: String,
    pub env: Vec<(String, String)>,
    pub links: Vec<u64>,
    pub metas: Vec<String>,
    pub events: Vec<String>,
    pub role: Role,
}

/// Counters of a process at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Counters {
    pub messages_in: u64,
    pub messages_out: u64,
    pub mailbox: u64,
    pub running_ns: u64,
    pub wakeups: u64,
    pub uptime: i64,
}

impl Process {
    /// A sleeping process with no traffic.
    pub fn new(id: u64, name: &str, application: &str, behavior: &str, parent: u64) -> Process {
        Process {
            id,
            name: name.to_string(),
            application: application.to_string(),
            behavior: behavior.to_string(),
            parent,
            leader: 1,
            state: State::Sleep,
            born_ms: 0,
            frozen_ms: None,
            flow: Flow::default(),
            extra_in: 0,
            extra_running_ns: 0,
            init_time_ns: 20_000,
            mailbox_size: -1,
            log_level: "info".to_string(),
            env: Vec::new(),
            links: Vec::new(),
            metas: Vec::new(),
            events: Vec::new(),
            role: Role::Plain,
        }
    }

    /// The counters at sim time `now_ms`.
    pub fn counters(&self, now_ms: i64) -> Counters {
        let until = self.frozen_ms.map_or(now_ms, |frozen| frozen.min(now_ms));
        let age = ((until - self.born_ms).max(0)) as f64 / 1000.0;
        let flow = &self.flow;

        let arrived = (flow.in_per_sec * age) as u64;
        let handled = ((flow.handled_per_sec * age) as u64).min(arrived);
        let messages_in = arrived + self.extra_in;
        let per_wakeup = if flow.per_wakeup > 0.0 { flow.per_wakeup } else { 1.0 };
        let wakeups = (handled as f64 / per_wakeup).ceil() as u64 + self.extra_in;
        let running = handled as f64 * flow.run_ns_per_message + flow.busy_ns_per_sec * age;

        Counters {
            messages_in,
            messages_out: (flow.out_per_sec * age) as u64,
            mailbox: arrived - handled,
            running_ns: running as u64 + self.extra_running_ns,
            wakeups,
            uptime: ((now_ms - self.born_ms).max(0)) / 1000,
        }
    }

    /// Whether a goroutine exists for this process right now (a sleeping
    /// process parks it).
    pub fn has_goroutine(&self) -> bool {
        matches!(self.state, State::Running | State::WaitResponse | State::Zombee)
    }
}

/// Formats an Ergo PID.
pub fn pid_string(crc: &str, id: u64) -> String {
    format!("<{crc}.0.{id}>")
}

/// The `ProcessShortInfo` row of `process_list`, in the node's key order.
pub fn short_info(process: &Process, crc: &str, now_ms: i64, legacy: bool) -> Value {
    let counters = process.counters(now_ms);
    let mut row = Map::with_capacity(16);
    row.insert("PID".into(), Value::String(pid_string(crc, process.id)));
    row.insert("Name".into(), Value::String(process.name.clone()));
    row.insert("Application".into(), Value::String(process.application.clone()));
    row.insert("Behavior".into(), Value::String(process.behavior.clone()));
    row.insert("MessagesIn".into(), counters.messages_in.into());
    row.insert("MessagesOut".into(), counters.messages_out.into());
    row.insert("MessagesMailbox".into(), counters.mailbox.into());
    row.insert("RunningTime".into(), counters.running_ns.into());
    row.insert("Uptime".into(), counters.uptime.into());
    row.insert("State".into(), Value::String(process.state.as_str().to_string()));
    row.insert("Parent".into(), Value::String(pid_string(crc, process.parent)));
    row.insert("Leader".into(), Value::String(pid_string(crc, process.leader)));
    row.insert("LogLevel".into(), Value::String(process.log_level.clone()));
    row.insert("MailboxLatency".into(), (-1).into());
    let (init_time, wakeups) =
        if legacy { (0, 0) } else { (process.init_time_ns, counters.wakeups) };
    row.insert("InitTime".into(), init_time.into());
    row.insert("Wakeups".into(), wakeups.into());
    Value::Object(row)
}

/// The `ProcessInfo` object of `process_info`.
pub fn full_info(
    process: &Process,
    crc: &str,
    node_env: &[(String, String)],
    now_ms: i64,
) -> Value {
    let counters = process.counters(now_ms);
    let mut env: Vec<(String, String)> = node_env.to_vec();
    env.extend(process.env.iter().cloned());
    env.sort();
    let env: Map<String, Value> =
        env.into_iter().map(|(key, value)| (key, Value::String(value))).collect();
    let links: Vec<Value> =
        process.links.iter().map(|id| Value::String(pid_string(crc, *id))).collect();

    json!({
        "PID": pid_string(crc, process.id),
        "Name": process.name,
        "Application": process.application,
        "Behavior": process.behavior,
        "MailboxSize": process.mailbox_size,
        "MailboxQueues": {"Main": counters.mailbox, "System": 0, "Urgent": 0, "Log": 0},
        "MessagesIn": counters.messages_in,
        "MessagesOut": counters.messages_out,
        "RunningTime": counters.running_ns,
        "Compression": {"Enable": false, "Type": "gzip", "Level": "default", "Threshold": 1024},
        "MessagePriority": "normal",
        "Uptime": counters.uptime,
        "State": process.state.as_str(),
        "Parent": pid_string(crc, process.parent),
        "Leader": pid_string(crc, process.leader),
        "Fallback": {"Enable": false, "Name": "", "Tag": ""},
        "Env": env,
        "Aliases": [],
        "Events": process.events,
        "Metas": process.metas,
        "MonitorsPID": [],
        "MonitorsProcessID": [],
        "MonitorsAlias": [],
        "MonitorsEvent": [],
        "MonitorsNode": [],
        "LinksPID": links,
        "LinksProcessID": [],
        "LinksAlias": [],
        "LinksEvent": [],
        "LinksNode": [],
        "LogLevel": process.log_level,
        "KeepNetworkOrder": true,
        "ImportantDelivery": false
    })
}

#[cfg(test)]
mod tests {
    use super::{Flow, Process};

    #[test]
    fn counters_follow_rates_and_never_go_down() {
        let mut process = Process::new(1012, "worker", "app", "main.worker", 1);
        process.born_ms = -60_000;
        process.flow =
            Flow { per_wakeup: 40.0, handled_per_sec: 150.0, ..Flow::calm(200.0, 0.0, 1e5) };

        let early = process.counters(0);
        let later = process.counters(10_000);
        assert_eq!(early.messages_in, 12_000);
        assert_eq!(early.mailbox, 3_000);
        assert!(later.messages_in > early.messages_in);
        assert!(later.running_ns > early.running_ns);
        assert!(later.wakeups > early.wakeups);
        assert!(early.messages_in as f64 / early.wakeups as f64 > 40.0);
    }

    #[test]
    fn frozen_counters_stop_but_uptime_goes_on() {
        let mut process = Process::new(7, "", "app", "main.job", 1);
        process.flow = Flow::calm(10.0, 0.0, 1e5);
        process.frozen_ms = Some(5_000);
        let counters = process.counters(20_000);
        assert_eq!(counters.messages_in, 50);
        assert_eq!(counters.uptime, 20);
    }
}
