//! The rustyline helper: completion, hints, multi-line validation and the
//! dimmed hint text.

use std::borrow::Cow;

use rustyline::completion::{Completer, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::{Hint, Hinter, HistoryHinter};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};

use crate::engine::Session;
use crate::repl::complete::{self, Vocabulary};

/// How many parameter names a call hint shows.
const HINT_PARAMS: usize = 6;

/// Parameters every Ergo tool has; a call hint leaves them out.
const INJECTED: &[&str] = &["node", "timeout"];

pub struct ReplHelper {
    pub vocabulary: Vocabulary,
    color: bool,
    history: HistoryHinter,
}

impl ReplHelper {
    pub fn new(vocabulary: Vocabulary, color: bool) -> ReplHelper {
        ReplHelper { vocabulary, color, history: HistoryHinter::new() }
    }

    /// After `tool_name(`: the tool's parameters, as a reminder only.
    fn call_hint(&self, line: &str, pos: usize) -> Option<CallHint> {
        if pos != line.len() {
            return None;
        }
        let name_part = line.strip_suffix('(')?;
        let start = name_part
            .rfind(|character: char| !(character.is_ascii_alphanumeric() || character == '_'))
            .map_or(0, |index| index + 1);
        let schema = self.vocabulary.catalog.get(&name_part[start..])?;

        let mut names: Vec<String> = schema
            .params
            .iter()
            .filter(|param| !INJECTED.contains(&param.name.as_str()))
            .map(
                |param| {
                    if param.required {
                        format!("{}*", param.name)
                    } else {
                        param.name.clone()
                    }
                },
            )
            .collect();
        if names.is_empty() {
            return Some(CallHint { display: ")".to_string(), completion: Some(")".to_string()) });
        }
        if names.len() > HINT_PARAMS {
            names.truncate(HINT_PARAMS);
            names.push("…".to_string());
        }
        Some(CallHint { display: format!("#{{{}}})", names.join(", ")), completion: None })
    }
}

/// A hint shown after the cursor; `completion` is what → inserts.
pub struct CallHint {
    display: String,
    completion: Option<String>,
}

impl Hint for CallHint {
    fn display(&self) -> &str {
        &self.display
    }

    fn completion(&self) -> Option<&str> {
        self.completion.as_deref()
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _context: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        Ok(complete::complete(&self.vocabulary, line, pos))
    }
}

impl Hinter for ReplHelper {
    type Hint = CallHint;

    fn hint(&self, line: &str, pos: usize, context: &Context<'_>) -> Option<CallHint> {
        if let Some(hint) = self.call_hint(line, pos) {
            return Some(hint);
        }
        let text = self.history.hint(line, pos, context)?;
        Some(CallHint { display: text.clone(), completion: Some(text) })
    }
}

impl Validator for ReplHelper {
    fn validate(&self, context: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        let input = context.input();
        if input.trim_start().starts_with(':') || !Session::is_incomplete(input) {
            return Ok(ValidationResult::Valid(None));
        }
        Ok(ValidationResult::Incomplete)
    }
}

impl Highlighter for ReplHelper {
    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.color {
            Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
        } else {
            Cow::Borrowed(hint)
        }
    }
}

impl Helper for ReplHelper {}
