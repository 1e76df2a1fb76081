//! A spinner on stderr for calls that take longer than half a second:
//! the tool's name and the time elapsed, erased when the call returns.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

/// How long a call runs before the spinner shows.
const DELAY: Duration = Duration::from_millis(500);
const TICK: Duration = Duration::from_millis(100);
const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

#[derive(Default)]
struct State {
    /// Calls in flight (fan-out runs several at once).
    active: usize,
    label: String,
    started: Option<Instant>,
    /// Whether a spinner line is on screen now.
    drawn: bool,
}

/// Shared by every thread that makes calls; drawing happens on its own
/// thread, started on first use.
#[derive(Clone)]
pub struct Spinner {
    shared: Arc<(Mutex<State>, Condvar)>,
    enabled: bool,
}

impl Spinner {
    /// A spinner that draws only when `enabled` (stderr is a terminal).
    pub fn new(enabled: bool) -> Spinner {
        let spinner = Spinner { shared: Arc::default(), enabled };
        if enabled {
            let worker = spinner.clone();
            thread::spawn(move || worker.draw_loop());
        }
        spinner
    }

    pub fn started(&self, label: &str) {
        if !self.enabled {
            return;
        }
        let mut state = self.lock();
        state.active += 1;
        state.label = label.to_string();
        state.started.get_or_insert_with(Instant::now);
        self.shared.1.notify_all();
    }

    pub fn finished(&self) {
        if !self.enabled {
            return;
        }
        let mut state = self.lock();
        state.active = state.active.saturating_sub(1);
        if state.active == 0 {
            state.started = None;
            erase(&mut state);
        }
    }

    /// Erases the spinner line before other output goes to the terminal.
    pub fn clear(&self) {
        if self.enabled {
            erase(&mut self.lock());
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.shared.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn draw_loop(&self) {
        let (_, condvar) = &*self.shared;
        let mut frame = 0;
        let mut state = self.lock();
        loop {
            while state.active == 0 {
                state = condvar.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner());
            }
            drop(state);
            thread::sleep(TICK);
            state = self.lock();

            let Some(started) = state.started else { continue };
            let elapsed = started.elapsed();
            if state.active == 0 || elapsed < DELAY {
                continue;
            }
            frame = (frame + 1) % FRAMES.len();
            let line = format!("{} {}  {:.1}s", FRAMES[frame], state.label, elapsed.as_secs_f64());
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\r\x1b[2K{line}");
            let _ = stderr.flush();
            state.drawn = true;
        }
    }
}

fn erase(state: &mut State) {
    if state.drawn {
        let mut stderr = std::io::stderr().lock();
        let _ = write!(stderr, "\r\x1b[2K");
        let _ = stderr.flush();
        state.drawn = false;
    }
}
