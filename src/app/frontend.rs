//! The session's way back to the user: the consent prompt, warnings,
//! `print()`, the call spinner and the terminal width.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use rustyline::DefaultEditor;

use crate::app::errors;
use crate::app::spinner::Spinner;
use crate::engine::Frontend;
use crate::render::Paint;

/// Width used for `table()` and `plot()` when stdout is not a terminal.
const PIPE_WIDTH: usize = 100;

/// The terminal front end; `interactive` only in the REPL, where a person
/// can answer the consent prompt.
pub struct TerminalFrontend {
    interactive: bool,
    spinner: Spinner,
    paint: Paint,
    /// One consent prompt at a time, even from fanned-out closures.
    asking: Mutex<()>,
}

impl TerminalFrontend {
    pub fn new(interactive: bool, paint: Paint) -> TerminalFrontend {
        TerminalFrontend {
            interactive,
            spinner: Spinner::new(std::io::stderr().is_terminal()),
            paint,
            asking: Mutex::new(()),
        }
    }
}

impl Frontend for TerminalFrontend {
    fn confirm(&self, call: &str) -> bool {
        if !self.interactive {
            return false;
        }
        let _asking = self.asking.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        self.spinner.clear();
        eprintln!("{} {call}", self.paint.yellow("action:"));
        ask_yes("send it? type yes to confirm: ")
    }

    fn warn(&self, message: &str) {
        self.spinner.clear();
        errors::warn(message, self.paint);
    }

    fn print(&self, text: &str) {
        self.spinner.clear();
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{text}");
        let _ = stdout.flush();
    }

    fn call_started(&self, label: &str) {
        self.spinner.started(label);
    }

    fn call_finished(&self) {
        self.spinner.finished();
    }

    fn width(&self) -> usize {
        terminal_width().unwrap_or(PIPE_WIDTH)
    }
}

/// Asks on the terminal; only `yes` or `y` (any case) counts as yes, and
/// Ctrl-C, Ctrl-D or a failing terminal count as no.
pub fn ask_yes(prompt: &str) -> bool {
    let Ok(mut editor) = DefaultEditor::new() else {
        return false;
    };
    // Ctrl-C, Ctrl-D and a failing terminal are all a no.
    editor.readline(prompt).is_ok_and(|answer| is_yes(&answer))
}

pub fn is_yes(answer: &str) -> bool {
    matches!(answer.trim().to_ascii_lowercase().as_str(), "yes" | "y")
}

/// Columns of the terminal on stdout, else `COLUMNS`, else `None`.
pub fn terminal_width() -> Option<usize> {
    if let Some((terminal_size::Width(width), _)) = terminal_size::terminal_size() {
        if std::io::stdout().is_terminal() {
            return Some(usize::from(width).max(20));
        }
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|columns| columns.trim().parse::<usize>().ok())
        .filter(|columns| *columns >= 20)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_yes_is_yes() {
        assert!(is_yes("yes"));
        assert!(is_yes(" Y \n"));
        assert!(!is_yes("yeah"));
        assert!(!is_yes(""));
        assert!(!is_yes("no"));
    }
}
