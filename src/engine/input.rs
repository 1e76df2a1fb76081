//! Whether typed input is unfinished, so the REPL asks for another line.

use rhai::{Engine, LexError, ParseErrorType};

/// True when `source` fails to parse only because it ends too early: an
/// unclosed block, parenthesis, bracket, map or string.
pub fn is_incomplete(source: &str) -> bool {
    if source.trim().is_empty() {
        return false;
    }
    let engine = Engine::new_raw();
    let error = match engine.compile(source) {
        Ok(_) => return false,
        Err(error) => error,
    };

    match error.err_type() {
        ParseErrorType::BadInput(LexError::UnterminatedString) => true,
        ParseErrorType::UnexpectedEOF => true,
        ParseErrorType::MissingToken(..) | ParseErrorType::MissingSymbol(..) => {
            at_end(source, error.position())
        }
        _ => false,
    }
}

/// Whether a parse position lies past the last non-blank character.
fn at_end(source: &str, position: rhai::Position) -> bool {
    let Some(line) = position.line() else {
        return true;
    };
    let column = position.position().unwrap_or(0);

    let trimmed = source.trim_end();
    let last_line = trimmed.lines().count().max(1);
    let last_column = trimmed.lines().last().map_or(0, |l| l.chars().count());
    line > last_line || (line == last_line && column > last_column)
}

#[cfg(test)]
mod tests {
    use super::is_incomplete;

    #[test]
    fn unclosed_things_are_incomplete() {
        assert!(is_incomplete("fn f(x) {"));
        assert!(is_incomplete("fn f(x) {\n  let y = x;"));
        assert!(is_incomplete("process_list(#{sort_by: \"mailbox\","));
        assert!(is_incomplete("let a = [1, 2,"));
        assert!(is_incomplete("let s = \"abc"));
        assert!(is_incomplete("let s = `multi\nline"));
        assert!(is_incomplete("if x > 1 {"));
        assert!(is_incomplete("each_node(|n| {"));
    }

    #[test]
    fn finished_or_wrong_input_is_not_incomplete() {
        assert!(!is_incomplete("node_info()"));
        assert!(!is_incomplete("fn f(x) { x + 1 }"));
        assert!(!is_incomplete(""));
        assert!(!is_incomplete("let x = 1 +* 2;"));
        assert!(!is_incomplete("let x = );"));
        assert!(!is_incomplete("}"));
    }
}
