//! The REPL history file in the platform data dir, appended after every
//! line so a killed REPL loses at most the line being typed; a line that
//! holds the token is never stored.

use std::path::PathBuf;

use rustyline::history::FileHistory;
use rustyline::Editor;
use tracing::debug;

use crate::config;
use crate::repl::helper::ReplHelper;

pub struct History {
    path: Option<PathBuf>,
    token: Option<String>,
}

impl History {
    /// The history at its platform place, screening out `token`.
    pub fn new(token: Option<String>) -> History {
        History { path: config::history_path(), token: token.filter(|token| !token.is_empty()) }
    }

    /// Loads earlier sessions' lines; a missing file is a first run.
    pub fn load(&self, editor: &mut Editor<ReplHelper, FileHistory>) {
        let Some(path) = &self.path else { return };
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if path.exists() {
            if let Err(error) = editor.load_history(path) {
                debug!(%error, "history not loaded");
            }
        }
    }

    /// Adds `line` and writes it out at once, unless it holds the token.
    pub fn record(&self, editor: &mut Editor<ReplHelper, FileHistory>, line: &str) {
        if line.trim().is_empty() || !self.may_keep(line) {
            return;
        }
        if editor.add_history_entry(line).unwrap_or(false) {
            if let Some(path) = &self.path {
                if let Err(error) = editor.append_history(path) {
                    debug!(%error, "history not saved");
                }
            }
        }
    }

    /// Whether `line` may be stored: it must not contain the token.
    pub fn may_keep(&self, line: &str) -> bool {
        match &self.token {
            Some(token) => !line.contains(token.as_str()),
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_with_the_token_are_not_kept() {
        let history = History { path: None, token: Some("s3cr3t".to_string()) };
        assert!(!history.may_keep(r#"let t = "s3cr3t";"#));
        assert!(history.may_keep("node_info()"));
    }
}
