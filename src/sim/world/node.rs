//! One simulated node: its process table, applications, events, journal,
//! runtime, and the periodic happenings the clock drives.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use serde_json::{json, Value};

use super::journal::{level_rank, Event, Journal};
use super::process::{pid_string, Flow, Process, Role, State};
use super::runtime::Runtime;
use super::LogLine;

/// The first PID number of ordinary processes (below are the node's own).
pub const FIRST_PID: u64 = 1001;

/// An application loaded on a node.
#[derive(Debug, Clone)]
pub struct App {
    pub name: String,
    pub description: String,
    pub release: String,
    pub mode: String,
    pub weight: i64,
    pub env: Vec<(String, String)>,
    pub born_ms: i64,
}

/// A meta process (web server, handler) owned by a process.
#[derive(Debug, Clone)]
pub struct Meta {
    pub alias: String,
    pub inspect: Value,
    pub log_level: String,
}

/// A cron job.
#[derive(Debug, Clone)]
pub struct CronJob {
    pub name: String,
    pub spec: String,
    pub action: String,
    pub last_run_ms: Option<i64>,
}

/// Nameless children spawned under one parent: churning (each lives
/// `lifetime_ms`) or leaking (`None`: they never go).
#[derive(Debug, Clone)]
pub struct Sessions {
    pub parent: u64,
    pub behavior: String,
    pub every_ms: i64,
    pub next_ms: i64,
    pub lifetime_ms: Option<i64>,
    /// Children alive, oldest first: (spawn time, PID number).
    pub live: VecDeque<(i64, u64)>,
}

/// A supervisor restarting a child that crashes every `every_ms`.
#[derive(Debug, Clone)]
pub struct RestartLoop {
    pub supervisor: u64,
    pub child: u64,
    pub every_ms: i64,
    pub next_ms: i64,
    pub crashes: u64,
    /// What the supervisor starts each time.
    pub template: Process,
}

/// A process logging one of `messages` every `every_ms`.
#[derive(Debug, Clone)]
pub struct Chatter {
    pub process: u64,
    pub level: String,
    pub messages: Vec<String>,
    pub every_ms: i64,
    pub next_ms: i64,
    pub count: u64,
}

/// Goroutines started and never finished.
#[derive(Debug, Clone)]
pub struct GoroutineLeak {
    pub owner: u64,
    pub every_ms: i64,
    pub next_ms: i64,
    pub count: u64,
}

/// One node of the simulated cluster.
#[derive(Debug, Clone)]
pub struct Node {
    pub name: String,
    pub index: usize,
    pub crc: String,
    pub born_ms: i64,
    pub legacy: bool,
    /// Built with `-tags=pprof`: goroutines carry their process PID.
    pub pprof_tag: bool,
    pub env: Vec<(String, String)>,
    pub log_level: String,
    pub processes: BTreeMap<u64, Process>,
    pub names: HashMap<String, u64>,
    pub next_id: u64,
    pub apps: Vec<App>,
    pub events: Vec<Event>,
    pub metas: Vec<Meta>,
    pub cron: Vec<CronJob>,
    pub journal: Journal,
    pub runtime: Runtime,
    pub spawned: u64,
    pub terminated: u64,
    pub sessions: Vec<Sessions>,
    pub restarts: Vec<RestartLoop>,
    pub chatter: Vec<Chatter>,
    pub goroutine_leak: Option<GoroutineLeak>,
    /// Scale mode: the pretty text of `process_list limit=-1`, made once.
    pub rendered: Option<Arc<String>>,
    pub scale: bool,
    /// Wall-clock seconds (Unix) at sim time 0, a whole minute.
    pub epoch_s: i64,
}

impl Node {
    pub fn new(name: &str, index: usize, born_ms: i64, legacy: bool) -> Node {
        Node {
            name: name.to_string(),
            index,
            crc: format!("{:08X}", crc32(name.as_bytes())),
            born_ms,
            legacy,
            pprof_tag: false,
            env: vec![
                ("DEPLOYMENT".to_string(), "local".to_string()),
                ("HARNESS".to_string(), "ergosh-sim".to_string()),
            ],
            log_level: "info".to_string(),
            processes: BTreeMap::new(),
            names: HashMap::new(),
            next_id: FIRST_PID,
            apps: Vec::new(),
            events: Vec::new(),
            metas: Vec::new(),
            cron: Vec::new(),
            journal: Journal::default(),
            runtime: Runtime::new(5.5e6, 120_000.0, 0.05),
            spawned: 0,
            terminated: 0,
            sessions: Vec::new(),
            restarts: Vec::new(),
            chatter: Vec::new(),
            goroutine_leak: None,
            rendered: None,
            scale: false,
            epoch_s: 0,
        }
    }

    pub fn pid(&self, id: u64) -> String {
        pid_string(&self.crc, id)
    }

    /// Adds a process and registers its name; returns its PID number.
    pub fn spawn(&mut self, mut process: Process) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        process.id = id;
        process.init_time_ns = 20_000 + (id % 97) * 1_310;
        if !process.name.is_empty() {
            self.names.insert(process.name.clone(), id);
        }
        self.processes.insert(id, process);
        self.spawned += 1;
        id
    }

    /// Spawns a sleeping process with the given traffic.
    pub fn add(&mut self, name: &str, app: &str, behavior: &str, parent: u64, flow: Flow) -> u64 {
        let mut process = Process::new(0, name, app, behavior, parent);
        process.flow = flow;
        process.born_ms = self.born_ms + 300;
        self.spawn(process)
    }

    /// Removes a process for good.
    pub fn terminate(&mut self, id: u64) -> Option<Process> {
        let process = self.processes.remove(&id)?;
        if !process.name.is_empty() && self.names.get(&process.name) == Some(&id) {
            self.names.remove(&process.name);
        }
        self.terminated += 1;
        Some(process)
    }

    /// Looks a process up by registered name.
    pub fn by_name(&self, name: &str) -> Option<u64> {
        self.names.get(name).copied().filter(|id| self.processes.contains_key(id))
    }

    /// Logs `message` from a process, if its level lets the line through.
    pub fn log_process(&mut self, id: u64, level: &str, message: String, now_ms: i64) {
        let Some(process) = self.processes.get(&id) else {
            return;
        };
        if level_rank(level) < level_rank(&process.log_level) {
            return;
        }
        let source = if process.name.is_empty() {
            format!("{} {}", self.pid(id), process.behavior)
        } else {
            format!("{} ('{}') {}", self.pid(id), process.name, process.behavior)
        };
        self.push_log(level, message, source, "process", now_ms);
    }

    /// Logs a node-level or network line, filtered by the node's level.
    pub fn log_node(&mut self, level: &str, message: String, kind: &str, now_ms: i64) {
        if level_rank(level) < level_rank(&self.log_level) {
            return;
        }
        let source = self.name.clone();
        self.push_log(level, message, source, kind, now_ms);
    }

    fn push_log(&mut self, level: &str, message: String, source: String, kind: &str, now_ms: i64) {
        self.journal.push(LogLine {
            time_ms: now_ms.max(0) as u64,
            level: level.to_string(),
            message,
            source,
            kind: kind.to_string(),
        });
    }

    pub fn uptime(&self, now_ms: i64) -> i64 {
        (now_ms - self.born_ms) / 1000
    }

    /// Moves the node's happenings to `now_ms`, one tick of `dt_ms`.
    pub fn tick(&mut self, now_ms: i64, dt_ms: u64) {
        self.runtime.step(dt_ms, now_ms as u64 ^ self.index as u64);
        self.tick_sessions(now_ms);
        self.tick_restarts(now_ms);
        self.tick_chatter(now_ms);
        self.tick_events(now_ms);
        self.tick_cron(now_ms);
        if let Some(leak) = &mut self.goroutine_leak {
            while leak.next_ms <= now_ms {
                leak.count += 1;
                leak.next_ms += leak.every_ms;
            }
        }
    }

    fn tick_sessions(&mut self, now_ms: i64) {
        for index in 0..self.sessions.len() {
            let parent = self.sessions[index].parent;
            if !self.processes.contains_key(&parent) {
                continue;
            }
            while self.sessions[index].next_ms <= now_ms {
                let born = self.sessions[index].next_ms;
                let app = self.processes[&parent].application.clone();
                let behavior = self.sessions[index].behavior.clone();
                let mut child = Process::new(0, "", &app, &behavior, parent);
                child.born_ms = born;
                child.flow = Flow::calm(0.05, 0.05, 180_000.0);
                let id = self.spawn(child);
                let sessions = &mut self.sessions[index];
                sessions.live.push_back((born, id));
                sessions.next_ms += sessions.every_ms;
            }

            let Some(lifetime) = self.sessions[index].lifetime_ms else {
                continue;
            };
            while let Some(&(born, id)) = self.sessions[index].live.front() {
                if now_ms - born <= lifetime {
                    break;
                }
                self.sessions[index].live.pop_front();
                self.terminate(id);
            }
        }
    }

    fn tick_restarts(&mut self, now_ms: i64) {
        for index in 0..self.restarts.len() {
            while self.restarts[index].next_ms <= now_ms {
                let at = self.restarts[index].next_ms;
                self.crash_and_restart(index, at);
                self.restarts[index].next_ms += self.restarts[index].every_ms;
            }
        }
    }

    /// The child crashes with two error lines; its supervisor starts a new
    /// one (also when someone else stopped the old one meanwhile).
    fn crash_and_restart(&mut self, index: usize, at_ms: i64) {
        let restart = self.restarts[index].clone();
        let crash = restart.crashes + 1;
        if self.processes.contains_key(&restart.child) {
            let errors = [
                format!("acquirer upstream timeout after 1500ms (crash #{crash})"),
                format!(
                    "process terminated abnormally - acquirer connection reset (crash #{crash})"
                ),
            ];
            for message in errors {
                self.log_process(restart.child, "error", message, at_ms);
            }
            self.terminate(restart.child);
        }

        let template = &restart.template;
        let mut child = Process::new(
            0,
            &template.name,
            &template.application,
            &template.behavior,
            template.parent,
        );
        child.born_ms = at_ms;
        child.flow = template.flow;
        let id = self.spawn(child);
        self.restarts[index].child = id;
        self.restarts[index].crashes = crash;
        if let Some(supervisor) = self.processes.get_mut(&restart.supervisor) {
            supervisor.extra_in += 1;
            if let Role::Supervisor { restarts, .. } = &mut supervisor.role {
                *restarts += 1;
            }
        }
    }

    fn tick_chatter(&mut self, now_ms: i64) {
        for index in 0..self.chatter.len() {
            while self.chatter[index].next_ms <= now_ms {
                let chatter = &mut self.chatter[index];
                chatter.count += 1;
                let template =
                    &chatter.messages[(chatter.count as usize - 1) % chatter.messages.len()];
                let message = template.replace("{n}", &chatter.count.to_string());
                let (process, level, at) =
                    (chatter.process, chatter.level.clone(), chatter.next_ms);
                chatter.next_ms += chatter.every_ms;
                self.log_process(process, &level, message, at);
            }
        }
    }

    fn tick_events(&mut self, now_ms: i64) {
        let node = self.name.clone();
        for event in &mut self.events {
            let Some(every) = event.every_ms else {
                continue;
            };
            while event.next_ms <= now_ms {
                let seq = event.published + 1;
                let total = (seq % 17 + 1) as f64 * 9.99;
                event.publish(&node, json!({"Seq": seq, "Total": (total * 100.0).round() / 100.0}));
                event.next_ms += every;
            }
        }
    }

    fn tick_cron(&mut self, now_ms: i64) {
        // Jobs fire on whole minutes of sim time.
        if now_ms % 60_000 != 0 || now_ms == 0 {
            return;
        }
        let wall_minutes = self.epoch_s / 60 + now_ms / 60_000;
        let (minute, hour) = ((wall_minutes % 60) as u32, ((wall_minutes / 60) % 24) as u32);
        for job in &mut self.cron {
            if super::cron::matches(&job.spec, minute, hour) {
                job.last_run_ms = Some(now_ms);
            }
        }
    }

    /// Processes in `state`, counted.
    pub fn count_state(&self, state: State) -> usize {
        self.processes.values().filter(|process| process.state == state).count()
    }
}

/// CRC-32 (IEEE), for the per-node hex tag inside PIDs.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in bytes {
        crc ^= *byte as u32;
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::{crc32, Node, Sessions};
    use crate::sim::world::process::Flow;

    #[test]
    fn crc_matches_the_reference_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn spawned_minus_terminated_is_the_table_size() {
        let mut node = Node::new("a@localhost", 0, -60_000, false);
        let parent = node.add("spawner", "app", "main.spawner", 1, Flow::default());
        node.sessions.push(Sessions {
            parent,
            behavior: "main.session".to_string(),
            every_ms: 1_000,
            next_ms: 0,
            lifetime_ms: Some(3_000),
            live: Default::default(),
        });
        for tick in 1..=200 {
            node.tick(tick * 100, 100);
        }
        assert_eq!(node.spawned - node.terminated, node.processes.len() as u64);
        assert!(node.terminated > 10);
    }
}
