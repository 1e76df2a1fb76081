//! Ctrl-C and SIGTERM: both raise the session's interrupt so the running
//! line stops (and its samplers with it); a second Ctrl-C in a script, or
//! a SIGTERM while nothing runs, exits at once.

use std::process;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use anyhow::Context;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::interrupt::Interrupt;

/// Exit code after SIGTERM (128 + 15).
pub const TERMINATED_EXIT: i32 = 143;
/// Exit code after Ctrl-C (128 + 2).
pub const INTERRUPTED_EXIT: i32 = 130;

/// How long a run may take to stop its samplers after SIGTERM.
const TERMINATION_GRACE: Duration = Duration::from_secs(5);

/// What the signal thread knows about the run.
#[derive(Clone)]
pub struct SignalState {
    evaluating: Arc<AtomicBool>,
    terminated: Arc<AtomicBool>,
}

impl SignalState {
    /// Marks whether a line or script is being evaluated now.
    pub fn set_evaluating(&self, evaluating: bool) {
        self.evaluating.store(evaluating, Ordering::SeqCst);
    }

    /// Whether SIGTERM arrived.
    pub fn is_terminated(&self) -> bool {
        self.terminated.load(Ordering::SeqCst)
    }
}

/// Starts the signal thread. `interactive`: a second Ctrl-C does not exit
/// (the REPL stays); in scripts it does.
pub fn install(interrupt: Interrupt, interactive: bool) -> anyhow::Result<SignalState> {
    let state = SignalState {
        evaluating: Arc::new(AtomicBool::new(false)),
        terminated: Arc::new(AtomicBool::new(false)),
    };
    let mut signals = Signals::new([SIGINT, SIGTERM]).context("cannot install signal handlers")?;

    let shared = state.clone();
    thread::spawn(move || {
        for signal in signals.forever() {
            match signal {
                SIGINT => on_interrupt(&interrupt, &shared, interactive),
                SIGTERM => on_terminate(&interrupt, &shared),
                _ => {}
            }
        }
    });
    Ok(state)
}

fn on_interrupt(interrupt: &Interrupt, state: &SignalState, interactive: bool) {
    if !interactive && interrupt.is_raised() {
        process::exit(INTERRUPTED_EXIT);
    }
    interrupt.raise();
    if !interactive && !state.evaluating.load(Ordering::SeqCst) {
        process::exit(INTERRUPTED_EXIT);
    }
}

fn on_terminate(interrupt: &Interrupt, state: &SignalState) {
    state.terminated.store(true, Ordering::SeqCst);
    if !state.evaluating.load(Ordering::SeqCst) {
        process::exit(TERMINATED_EXIT);
    }
    interrupt.raise();
    // The main thread stops the samplers and exits; this is the backstop.
    thread::spawn(|| {
        thread::sleep(TERMINATION_GRACE);
        process::exit(TERMINATED_EXIT);
    });
}
