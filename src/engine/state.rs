//! What the registered functions of one session share: the caller, the
//! front end, the policy, the default node, the samplers, and the errors
//! thrown by tool calls (so an uncaught one reaches the front end whole).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use rhai::EvalAltResult;

use super::failure;
use super::guard::GuardState;
use super::sampler::SamplerState;
use super::{ActionPolicy, Frontend};
use crate::bindings::{CallError, Caller};
use crate::interrupt::Interrupt;

/// How many thrown errors are remembered within one evaluation.
const PENDING_LIMIT: usize = 32;

/// An error a function threw as a message, kept until the evaluation ends.
pub(crate) enum Pending {
    Tool(CallError),
    Refused,
}

pub(crate) struct Shared {
    caller: RwLock<Caller>,
    pub(crate) frontend: Arc<dyn Frontend>,
    pub(crate) policy: ActionPolicy,
    pub(crate) action_tools: Vec<String>,
    pub(crate) fan_out: usize,
    pub(crate) interrupt: Interrupt,
    default_node: Mutex<Option<String>>,
    samplers: Mutex<Vec<Arc<SamplerState>>>,
    pending: Mutex<Vec<(String, Pending)>>,
    guard: Mutex<GuardState>,
    /// The entry node's name, once asked (`None` inside: unknown).
    entry_node: Mutex<Option<Option<String>>>,
    evaluation: AtomicU64,
    /// Set when the server's tool list was fetched again and differs from
    /// the bound functions; the session rebinds before the next line.
    pub(crate) tools_changed: std::sync::atomic::AtomicBool,
}

/// Lock a mutex, also after a panic elsewhere poisoned it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    pub(crate) fn new(
        caller: Caller,
        frontend: Arc<dyn Frontend>,
        options: &super::SessionOptions,
    ) -> Shared {
        let interrupt = caller.interrupt().clone();
        Shared {
            caller: RwLock::new(caller),
            frontend,
            policy: options.policy.clone(),
            action_tools: options.action_tools.clone(),
            fan_out: options.fan_out.max(1),
            interrupt,
            default_node: Mutex::new(options.default_node.clone()),
            samplers: Mutex::new(Vec::new()),
            pending: Mutex::new(Vec::new()),
            guard: Mutex::new(GuardState::default()),
            entry_node: Mutex::new(None),
            evaluation: AtomicU64::new(0),
            tools_changed: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The current caller (cheap to clone).
    pub(crate) fn caller(&self) -> Caller {
        match self.caller.read() {
            Ok(caller) => caller.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub(crate) fn set_caller(&self, caller: Caller) {
        match self.caller.write() {
            Ok(mut slot) => *slot = caller,
            Err(poisoned) => *poisoned.into_inner() = caller,
        }
        *lock(&self.entry_node) = None;
    }

    pub(crate) fn is_action(&self, tool: &str) -> bool {
        self.action_tools.iter().any(|t| t == tool)
    }

    pub(crate) fn session_node(&self) -> Option<String> {
        lock(&self.default_node).clone()
    }

    pub(crate) fn set_session_node(&self, node: Option<String>) {
        *lock(&self.default_node) = node;
    }

    pub(crate) fn samplers(&self) -> MutexGuard<'_, Vec<Arc<SamplerState>>> {
        lock(&self.samplers)
    }

    pub(crate) fn guard(&self) -> MutexGuard<'_, GuardState> {
        lock(&self.guard)
    }

    pub(crate) fn entry_node(&self) -> MutexGuard<'_, Option<Option<String>>> {
        lock(&self.entry_node)
    }

    /// The number of the evaluation running now.
    pub(crate) fn evaluation(&self) -> u64 {
        self.evaluation.load(Ordering::SeqCst)
    }

    /// A new evaluation begins: Ctrl-C lowered, per-evaluation guards and
    /// remembered errors cleared. Returns its number.
    pub(crate) fn begin_evaluation(&self) -> u64 {
        self.interrupt.clear();
        *self.guard() = GuardState::default();
        lock(&self.pending).clear();
        self.evaluation.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// A failed call as the error a Rhai function returns: Ctrl-C stops
    /// the evaluation, anything else is thrown as its one-line message
    /// (catchable) and remembered for the front end.
    pub(crate) fn call_failed(&self, error: CallError) -> Box<EvalAltResult> {
        if matches!(error, CallError::Interrupted) {
            return failure::interrupted();
        }
        let message = error.to_string();
        self.remember(message.clone(), Pending::Tool(error));
        failure::thrown(message)
    }

    /// A refusal, thrown as its message.
    pub(crate) fn refused(&self, message: String) -> Box<EvalAltResult> {
        self.remember(message.clone(), Pending::Refused);
        failure::thrown(message)
    }

    fn remember(&self, message: String, pending: Pending) {
        let mut list = lock(&self.pending);
        if list.len() >= PENDING_LIMIT {
            list.remove(0);
        }
        list.push((message, pending));
    }

    /// The remembered error thrown with this message, if any.
    pub(crate) fn take_pending(&self, message: &str) -> Option<Pending> {
        let mut list = lock(&self.pending);
        let index = list.iter().rposition(|(m, _)| m == message)?;
        Some(list.remove(index).1)
    }
}

impl Shared {
    /// Sleep, waking early with an interrupt error on Ctrl-C.
    pub(crate) fn sleep(&self, duration: std::time::Duration) -> Result<(), Box<EvalAltResult>> {
        let step = std::time::Duration::from_millis(20);
        let deadline = std::time::Instant::now() + duration;
        loop {
            if self.interrupt.is_raised() {
                return Err(failure::interrupted());
            }
            let now = std::time::Instant::now();
            if now >= deadline {
                return Ok(());
            }
            std::thread::sleep(step.min(deadline - now));
        }
    }
}
