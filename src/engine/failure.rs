//! Why an evaluation failed, in the terms the front end reports.

use std::fmt;

use rhai::{EvalAltResult, Position};

use crate::bindings::CallError;

/// A failed `eval` / `run_file`.
#[derive(Debug)]
pub enum EvalFailure {
    /// A Rhai parse or runtime error; the front end draws a caret at the
    /// position when there is one.
    Script { message: String, line: Option<usize>, column: Option<usize> },
    /// A tool call failed and nothing caught the error.
    Tool(CallError),
    /// Ctrl-C.
    Interrupted,
    /// An action tool was refused by the policy or by the user.
    Refused(String),
}

impl EvalFailure {
    /// 1 for script and tool errors and refusals, 2 when the node cannot
    /// be reached, 130 for Ctrl-C.
    pub fn exit_code(&self) -> i32 {
        match self {
            EvalFailure::Tool(CallError::Mcp(error)) if error.is_connection() => 2,
            EvalFailure::Interrupted => 130,
            _ => 1,
        }
    }

    /// A script failure at a position.
    pub(crate) fn script(message: impl Into<String>, position: Position) -> EvalFailure {
        EvalFailure::Script {
            message: message.into(),
            line: position.line(),
            column: position.position(),
        }
    }
}

impl fmt::Display for EvalFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvalFailure::Script { message, line: Some(line), column } => {
                write!(f, "{message} (line {line}")?;
                if let Some(column) = column {
                    write!(f, ", column {column}")?;
                }
                write!(f, ")")
            }
            EvalFailure::Script { message, .. } => f.write_str(message),
            EvalFailure::Tool(error) => write!(f, "{error}"),
            EvalFailure::Interrupted => f.write_str("interrupted"),
            EvalFailure::Refused(message) => f.write_str(message),
        }
    }
}

/// Whether the error, or an error it wraps, is a Ctrl-C.
pub(crate) fn is_interrupted(error: &EvalAltResult) -> bool {
    matches!(innermost(error), EvalAltResult::ErrorTerminated(..))
}

/// The error a function call or module wraps, followed to the bottom.
pub(crate) fn innermost(error: &EvalAltResult) -> &EvalAltResult {
    match error {
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _)
        | EvalAltResult::ErrorInModule(_, inner, _) => innermost(inner),
        other => other,
    }
}

/// The message of an error without its position: a thrown value as
/// itself, anything else as Rhai describes it.
pub(crate) fn message(error: &EvalAltResult) -> String {
    match innermost(error) {
        EvalAltResult::ErrorRuntime(value, _) => value.to_string(),
        EvalAltResult::ErrorTerminated(..) => "interrupted".to_string(),
        other => without_position(&other.to_string()).to_string(),
    }
}

/// Rhai's text of an error without the ` (line 1, position 5)` it ends with.
fn without_position(text: &str) -> &str {
    match text.rfind(" (line ") {
        Some(at) if text.ends_with(')') => &text[..at],
        _ => text,
    }
}

/// The interrupt error a native function returns on Ctrl-C.
pub(crate) fn interrupted() -> Box<EvalAltResult> {
    EvalAltResult::ErrorTerminated("interrupted".into(), Position::NONE).into()
}

/// A runtime error thrown with a message, catchable by `try`/`catch`.
pub(crate) fn thrown(message: impl Into<String>) -> Box<EvalAltResult> {
    EvalAltResult::ErrorRuntime(message.into().into(), Position::NONE).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_of_a_thrown_value_is_the_value() {
        let error = thrown("process_info: unknown process");
        assert_eq!(message(&error), "process_info: unknown process");
    }

    #[test]
    fn message_of_a_rhai_error_drops_the_position() {
        let error = EvalAltResult::ErrorVariableNotFound("x".into(), Position::new(1, 5));
        assert_eq!(message(&error), "Variable not found: x");
    }

    #[test]
    fn interrupt_inside_a_function_call_is_an_interrupt() {
        let wrapped = EvalAltResult::ErrorInFunctionCall(
            "f".into(),
            String::new(),
            interrupted(),
            Position::new(1, 1),
        );
        assert!(is_interrupted(&wrapped));
        assert!(!is_interrupted(&thrown("x")));
    }

    #[test]
    fn script_failure_shows_its_position() {
        let failure = EvalFailure::script("variable not found: x", Position::new(2, 5));
        assert_eq!(failure.to_string(), "variable not found: x (line 2, column 5)");
        assert_eq!(failure.exit_code(), 1);
        assert_eq!(EvalFailure::Interrupted.exit_code(), 130);
    }
}
