//! What TAB offers at the cursor: function names, the parameter names of
//! the tool whose `#{ ... }` the cursor is in, the enum values of the
//! parameter whose string is open, and meta-commands.
//!
//! A small scanner reads the text before the cursor (strings, comments,
//! brackets) to find that context; it never needs the text to parse.

use rustyline::completion::Pair;

use crate::bindings::Catalog;

/// Meta-commands, for completion after `:`.
pub const META_COMMANDS: &[&str] = &[
    ":help",
    ":tools",
    ":connect",
    ":node",
    ":load",
    ":save",
    ":scripts",
    ":format",
    ":samplers",
    ":quit",
];

/// Parameters Ergo injects into every tool's schema.
const INJECTED: &[&str] = &["node", "timeout"];

/// Where the cursor is, as completion sees it.
#[derive(Debug, PartialEq, Eq)]
pub enum Spot {
    /// A word that may be a function name.
    Function {
        start: usize,
        prefix: String,
    },
    /// A key inside the `#{ ... }` argument of `tool`.
    Param {
        start: usize,
        prefix: String,
        tool: String,
    },
    /// Inside the string value of `param` of `tool`.
    EnumValue {
        start: usize,
        prefix: String,
        tool: String,
        param: String,
    },
    /// A meta-command name after `:`.
    Meta {
        start: usize,
        prefix: String,
    },
    /// The argument of `:help`.
    HelpTopic {
        start: usize,
        prefix: String,
    },
    /// The argument of `:format`.
    FormatName {
        start: usize,
        prefix: String,
    },
    Nothing,
}

/// The names completion draws on, refreshed after every line.
#[derive(Clone)]
pub struct Vocabulary {
    pub functions: Vec<String>,
    pub catalog: std::sync::Arc<Catalog>,
}

/// The candidates for the text before `pos`, and where they start.
pub fn complete(vocabulary: &Vocabulary, line: &str, pos: usize) -> (usize, Vec<Pair>) {
    match spot(line, pos) {
        Spot::Function { start, prefix } => {
            let pairs = vocabulary
                .functions
                .iter()
                .filter(|name| name.starts_with(&prefix))
                .map(|name| pair(name, format!("{name}(")))
                .collect();
            (start, sorted(pairs))
        }
        Spot::Param { start, prefix, tool } => (start, params(vocabulary, &tool, &prefix)),
        Spot::EnumValue { start, prefix, tool, param } => {
            (start, enum_values(vocabulary, &tool, &param, &prefix))
        }
        Spot::Meta { start, prefix } => {
            let pairs = META_COMMANDS
                .iter()
                .filter(|name| name.starts_with(&prefix))
                .map(|name| pair(name, name.to_string()))
                .collect();
            (start, pairs)
        }
        Spot::HelpTopic { start, prefix } => {
            let mut topics: Vec<String> = vocabulary.functions.clone();
            topics.push("prelude".to_string());
            let pairs = topics
                .iter()
                .filter(|name| name.starts_with(&prefix))
                .map(|name| pair(name, name.clone()))
                .collect();
            (start, sorted(pairs))
        }
        Spot::FormatName { start, prefix } => {
            let pairs = ["table", "json", "raw"]
                .iter()
                .filter(|name| name.starts_with(&prefix))
                .map(|name| pair(name, name.to_string()))
                .collect();
            (start, pairs)
        }
        Spot::Nothing => (pos, Vec::new()),
    }
}

fn params(vocabulary: &Vocabulary, tool: &str, prefix: &str) -> Vec<Pair> {
    let Some(schema) = vocabulary.catalog.get(tool) else {
        return Vec::new();
    };
    let mut names: Vec<&str> = schema.params.iter().map(|param| param.name.as_str()).collect();
    for injected in INJECTED {
        if !names.contains(injected) {
            names.push(injected);
        }
    }
    names
        .into_iter()
        .filter(|name| name.starts_with(prefix))
        .map(|name| pair(name, format!("{name}: ")))
        .collect()
}

fn enum_values(vocabulary: &Vocabulary, tool: &str, param: &str, prefix: &str) -> Vec<Pair> {
    let Some(param) = vocabulary.catalog.get(tool).and_then(|schema| schema.param(param)) else {
        return Vec::new();
    };
    param
        .enum_values
        .iter()
        .filter(|value| value.starts_with(prefix))
        .map(|value| pair(value, format!("{value}\"")))
        .collect()
}

fn pair(display: &str, replacement: String) -> Pair {
    Pair { display: display.to_string(), replacement }
}

fn sorted(mut pairs: Vec<Pair>) -> Vec<Pair> {
    pairs.sort_by(|a, b| a.display.cmp(&b.display));
    pairs.dedup_by(|a, b| a.display == b.display);
    pairs
}

/// One open bracket before the cursor.
#[derive(Debug)]
enum Frame {
    /// `(`, after the name of the function being called.
    Paren { callee: Option<String>, first_string: Option<String> },
    /// `#{`, with the tool whose argument it is.
    Map { tool: Option<String> },
    /// `{` or `[`.
    Other,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Start,
    Ident(String),
    Punct(char),
    Text,
}

/// Finds the spot of the cursor at `pos` in `line`.
pub fn spot(line: &str, pos: usize) -> Spot {
    let before = &line[..pos.min(line.len())];
    if let Some(spot) = meta_spot(before) {
        return spot;
    }
    Scanner::default().scan(before)
}

fn meta_spot(before: &str) -> Option<Spot> {
    let trimmed = before.trim_start();
    if !trimmed.starts_with(':') {
        return None;
    }
    let offset = before.len() - trimmed.len();
    match trimmed.split_once(' ') {
        None => Some(Spot::Meta { start: offset, prefix: trimmed.to_string() }),
        Some((command, rest)) => {
            let start = before.len() - rest.len();
            let prefix = rest.to_string();
            match command {
                ":help" if !rest.contains(' ') => Some(Spot::HelpTopic { start, prefix }),
                ":format" if !rest.contains(' ') => Some(Spot::FormatName { start, prefix }),
                _ => Some(Spot::Nothing),
            }
        }
    }
}

#[derive(Default)]
struct Scanner {
    frames: Vec<Frame>,
    /// The last two finished tokens, newest last.
    previous: [Option<Token>; 2],
}

impl Scanner {
    fn push_token(&mut self, token: Token) {
        self.previous[0] = self.previous[1].take();
        self.previous[1] = Some(token);
    }

    fn last(&self) -> Token {
        self.previous[1].clone().unwrap_or(Token::Start)
    }

    fn scan(mut self, text: &str) -> Spot {
        let bytes = text.as_bytes();
        let mut index = 0;
        let mut word_start: Option<usize> = None;

        while index < bytes.len() {
            let byte = bytes[index];
            let is_word = byte.is_ascii_alphanumeric() || byte == b'_';
            if is_word {
                word_start.get_or_insert(index);
                index += 1;
                continue;
            }
            if let Some(start) = word_start.take() {
                self.push_token(Token::Ident(text[start..index].to_string()));
            }
            match byte {
                b'"' | b'`' => {
                    let key = self.string_key();
                    match string_end(bytes, index) {
                        Some(end) => {
                            self.note_string(&text[index + 1..end]);
                            self.push_token(Token::Text);
                            index = end + 1;
                        }
                        None => return self.open_string(text, index, byte, key),
                    }
                    continue;
                }
                b'\'' => {
                    index = string_end(bytes, index).map_or(bytes.len(), |end| end + 1);
                    self.push_token(Token::Text);
                    continue;
                }
                b'/' if bytes.get(index + 1) == Some(&b'/') => {
                    index = text[index..].find('\n').map_or(bytes.len(), |end| index + end);
                    continue;
                }
                b'#' if bytes.get(index + 1) == Some(&b'{') => {
                    let tool = self.enclosing_tool();
                    self.frames.push(Frame::Map { tool });
                    self.push_token(Token::Punct('{'));
                    index += 2;
                    continue;
                }
                b'(' => {
                    let callee = match self.last() {
                        Token::Ident(name) => Some(name),
                        _ => None,
                    };
                    self.frames.push(Frame::Paren { callee, first_string: None });
                }
                b'{' | b'[' => self.frames.push(Frame::Other),
                b')' | b'}' | b']' => {
                    self.frames.pop();
                }
                _ => {}
            }
            if !byte.is_ascii_whitespace() {
                self.push_token(Token::Punct(byte as char));
            }
            index += 1;
        }

        self.word_spot(text, word_start)
    }

    /// The spot when the cursor ends a word (or follows punctuation).
    fn word_spot(&self, text: &str, word_start: Option<usize>) -> Spot {
        let start = word_start.unwrap_or(text.len());
        let prefix = text[start..].to_string();
        let before_word = self.last();

        if let Some(Frame::Map { tool: Some(tool) }) = self.frames.last() {
            if matches!(before_word, Token::Punct('{') | Token::Punct(',')) {
                return Spot::Param { start, prefix, tool: tool.clone() };
            }
        }
        let after_dot = before_word == Token::Punct('.');
        if prefix.is_empty() || after_dot || prefix.as_bytes()[0].is_ascii_digit() {
            return Spot::Nothing;
        }
        Spot::Function { start, prefix }
    }

    /// The spot inside a string opened at `quote` and not closed.
    fn open_string(&self, text: &str, quote: usize, mark: u8, key: Option<String>) -> Spot {
        if mark != b'"' {
            return Spot::Nothing;
        }
        match (self.frames.last(), key) {
            (Some(Frame::Map { tool: Some(tool) }), Some(param)) => Spot::EnumValue {
                start: quote + 1,
                prefix: text[quote + 1..].to_string(),
                tool: tool.clone(),
                param,
            },
            _ => Spot::Nothing,
        }
    }

    /// `key` when the tokens before a string are `key :`.
    fn string_key(&self) -> Option<String> {
        match (&self.previous[0], &self.previous[1]) {
            (Some(Token::Ident(key)), Some(Token::Punct(':'))) => Some(key.clone()),
            _ => None,
        }
    }

    /// Remembers the first string argument of `tool("name", ...)`.
    fn note_string(&mut self, content: &str) {
        if let Some(Frame::Paren { callee: Some(callee), first_string }) = self.frames.last_mut() {
            if callee == "tool"
                && first_string.is_none()
                && self.previous[1] == Some(Token::Punct('('))
            {
                *first_string = Some(content.to_string());
            }
        }
    }

    /// The tool a `#{` belongs to: the function called, or the name given
    /// to `tool(...)`.
    fn enclosing_tool(&self) -> Option<String> {
        match self.frames.last() {
            Some(Frame::Paren { callee: Some(callee), first_string }) if callee == "tool" => {
                first_string.clone()
            }
            Some(Frame::Paren { callee, .. }) => callee.clone(),
            _ => None,
        }
    }
}

/// The index of the quote closing the string opened at `open`.
fn string_end(bytes: &[u8], open: usize) -> Option<usize> {
    let quote = bytes[open];
    let mut index = open + 1;
    while index < bytes.len() {
        match bytes[index] {
            b'\\' if quote != b'`' => index += 2,
            byte if byte == quote => return Some(index),
            _ => index += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_end(line: &str) -> Spot {
        spot(line, line.len())
    }

    #[test]
    fn a_bare_word_is_a_function_name() {
        assert_eq!(at_end("proc"), Spot::Function { start: 0, prefix: "proc".into() });
        assert_eq!(at_end("let x = node_i"), Spot::Function { start: 8, prefix: "node_i".into() });
    }

    #[test]
    fn a_key_inside_a_tool_map_is_a_parameter() {
        let expected = Spot::Param { start: 15, prefix: "so".into(), tool: "process_list".into() };
        assert_eq!(at_end("process_list(#{so"), expected);
        let after_comma = at_end("process_list(#{limit: 5, so");
        assert!(matches!(after_comma, Spot::Param { ref prefix, .. } if prefix == "so"));
        assert!(matches!(at_end("process_list(#{"), Spot::Param { .. }));
    }

    #[test]
    fn a_value_position_is_not_a_parameter() {
        assert!(matches!(at_end("process_list(#{limit: li"), Spot::Function { .. }));
    }

    #[test]
    fn an_open_string_after_a_key_is_an_enum_value() {
        let expected = Spot::EnumValue {
            start: 25,
            prefix: "mail".into(),
            tool: "process_list".into(),
            param: "sort_by".into(),
        };
        assert_eq!(at_end(r#"process_list(#{sort_by: "mail"#), expected);
    }

    #[test]
    fn the_tool_helper_names_its_tool_in_a_string() {
        let spot = at_end(r#"tool("process_list", #{so"#);
        assert!(matches!(spot, Spot::Param { ref tool, .. } if tool == "process_list"));
    }

    #[test]
    fn closed_strings_and_comments_are_skipped() {
        assert!(matches!(at_end(r#"print("a(#{") ; proc"#), Spot::Function { .. }));
        assert_eq!(at_end("x // proc"), Spot::Nothing);
        assert_eq!(at_end("s.re"), Spot::Nothing);
    }

    #[test]
    fn nested_closures_keep_the_right_tool() {
        let line = "each_node(|n| process_list(#{li";
        assert!(matches!(at_end(line), Spot::Param { ref tool, .. } if tool == "process_list"));
    }

    #[test]
    fn meta_commands_complete_after_a_colon() {
        assert_eq!(at_end(":he"), Spot::Meta { start: 0, prefix: ":he".into() });
        assert_eq!(at_end(":help proc"), Spot::HelpTopic { start: 6, prefix: "proc".into() });
        assert_eq!(at_end(":format j"), Spot::FormatName { start: 8, prefix: "j".into() });
    }
}
