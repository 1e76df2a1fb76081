//! The Rhai session: every MCP tool as a function, helpers to explore the
//! results, samplers, cluster fan-out, the action safety policy, engine
//! limits, the embedded prelude and the script search path.
//!
//! The front end builds a [`Session`] from a connected
//! [`Caller`](crate::bindings::Caller) and talks back to the user through a
//! [`Frontend`]; the session never touches the terminal itself.

mod cluster;
mod failure;
mod guard;
mod helpers;
mod input;
mod policy;
mod prelude;
mod sampler;
mod scripts;
mod session;
mod setup;
mod state;
mod tools;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use failure::EvalFailure;
pub use prelude::FunctionDoc;
pub use sampler::SamplerInfo;
pub use scripts::{default_script_paths, ScriptInfo};
pub use session::Session;

/// The tools that change a node; they pass through the [`ActionPolicy`].
pub const DEFAULT_ACTION_TOOLS: &[&str] = &[
    "send_message",
    "call_process",
    "send_exit",
    "process_kill",
    "network_connect",
    "network_connect_route",
    "network_disconnect",
    "log_level_set",
];

/// What happens when a script calls an action tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionPolicy {
    /// Show the exact call and ask (the REPL).
    Confirm,
    /// Run it (`--allow-actions`).
    Allow,
    /// Refuse it, telling the user why and what to do.
    Refuse { reason: String },
}

/// How the session talks back to the user; implemented by the front end.
pub trait Frontend: Send + Sync {
    /// Show the exact call and ask yes/no; `false` where nobody can answer.
    fn confirm(&self, call: &str) -> bool;
    /// One line to stderr.
    fn warn(&self, message: &str);
    /// Rhai `print()` and `debug()`: stdout.
    fn print(&self, text: &str);
    /// A tool call starts, e.g. "pprof_cpu on backend@host".
    fn call_started(&self, label: &str);
    /// The call started last has returned.
    fn call_finished(&self);
    /// Terminal width for `table()` and `plot()`.
    fn width(&self) -> usize;
}

/// Everything a [`Session`] is built with.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    pub policy: ActionPolicy,
    /// Tool names that pass through the policy.
    pub action_tools: Vec<String>,
    pub default_node: Option<String>,
    /// Where `run NAME`, `import` and `:scripts` look, in order.
    pub script_paths: Vec<PathBuf>,
    /// `ARGS` in scripts.
    pub args: Vec<String>,
    /// `PARAMS` in scripts.
    pub params: BTreeMap<String, String>,
    pub load_prelude: bool,
    /// At most this many `each_node` closures run at once.
    pub fan_out: usize,
    /// Operations limit per evaluation; 0 = unlimited (Ctrl-C still stops).
    pub max_operations: u64,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            policy: ActionPolicy::Confirm,
            action_tools: DEFAULT_ACTION_TOOLS.iter().map(|t| t.to_string()).collect(),
            default_node: None,
            script_paths: default_script_paths(),
            args: Vec::new(),
            params: BTreeMap::new(),
            load_prelude: true,
            fan_out: 4,
            max_operations: 0,
        }
    }
}
