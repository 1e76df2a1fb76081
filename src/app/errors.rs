//! Errors printed once, at top level, to stderr: `error: ...`, each cause
//! as `  caused by: ...`, and a `hint: ...` when there is something to do.

use std::io::Write;

use crate::bindings::CallError;
use crate::engine::EvalFailure;
use crate::mcp::McpError;
use crate::render::Paint;

/// Prints an error and its causes, with the hint of the first cause that
/// has one.
pub fn report_error(error: &anyhow::Error, paint: Paint) {
    let mut lines = vec![format!("{} {error}", paint.red("error:"))];
    for cause in error.chain().skip(1) {
        lines.push(format!("  caused by: {cause}"));
    }
    let hint =
        error.chain().find_map(|cause| cause.downcast_ref::<McpError>().and_then(McpError::hint));
    if let Some(hint) = hint {
        lines.push(format!("{} {hint}", paint.cyan("hint:")));
    }
    write_lines(&lines);
}

/// Prints a failed evaluation; a script error shows its line of `source`
/// with a caret under the column.
pub fn report_failure(failure: &EvalFailure, source: Option<&str>, paint: Paint) {
    let mut lines = vec![format!("{} {failure}", paint.red("error:"))];

    if let EvalFailure::Script { line: Some(line), column, .. } = failure {
        if let Some(text) = source.and_then(|source| source.lines().nth(line.saturating_sub(1))) {
            lines.extend(snippet(*line, *column, text));
        }
    }
    if let Some(hint) = failure_hint(failure) {
        lines.push(format!("{} {hint}", paint.cyan("hint:")));
    }
    write_lines(&lines);
}

fn failure_hint(failure: &EvalFailure) -> Option<String> {
    match failure {
        EvalFailure::Tool(CallError::Mcp(error)) => error.hint(),
        _ => None,
    }
}

/// The line with its number and a caret under `column` (1-based).
fn snippet(line: usize, column: Option<usize>, text: &str) -> Vec<String> {
    let number = line.to_string();
    let gutter = " ".repeat(number.len());
    let mut lines = vec![format!("{gutter} |"), format!("{number} | {text}")];
    if let Some(column) = column {
        let offset: String = text
            .chars()
            .take(column.saturating_sub(1))
            .map(|character| if character == '\t' { '\t' } else { ' ' })
            .collect();
        lines.push(format!("{gutter} | {offset}^"));
    }
    lines
}

/// A warning on stderr, one line.
pub fn warn(message: &str, paint: Paint) {
    write_lines(&[format!("{} {message}", paint.yellow("warning:"))]);
}

fn write_lines(lines: &[String]) {
    let mut stderr = std::io::stderr().lock();
    for line in lines {
        let _ = writeln!(stderr, "{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_sits_under_the_column() {
        let lines = snippet(3, Some(5), "let x = ;");
        assert_eq!(lines, ["  |", "3 | let x = ;", "  |     ^"]);
    }

    #[test]
    fn snippet_without_column_has_no_caret() {
        assert_eq!(snippet(12, None, "x").len(), 2);
    }
}
