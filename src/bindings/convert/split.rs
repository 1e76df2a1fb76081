//! Parsing a large top-level array on several threads.
//!
//! A raw newline cannot occur inside a JSON string, so the position after a
//! line break that follows a `,` is a plausible element start. Each thread
//! parses from one such candidate up to the next; the parts are joined only
//! when the part before a candidate stops exactly there, at an element
//! start of the top-level array. A candidate that turns out to be inside an
//! element is never used: the part before it just parses on, so the result
//! is always the sequential one.

use std::num::NonZeroUsize;
use std::thread;

use memchr::memchr;
use rhai::{Array, Dynamic};

use super::parse::{parse_sequential, Parser, PartEnd};
use super::ConvertError;

/// Below this, one thread is faster than starting others.
const MIN_PART_BYTES: usize = 1 << 20;
const MAX_PARTS: usize = 8;
/// How far past a cut to look for a line that starts an element.
const SEARCH_WINDOW: usize = 1 << 16;

/// Parses `text` using up to one thread per core when it is a large
/// top-level array; otherwise (or when no cut is found) sequentially.
pub fn parse_parallel(text: &str) -> Result<Dynamic, ConvertError> {
    // Asking for the core count reads cgroup files: only for large texts.
    if text.len() < 2 * MIN_PART_BYTES {
        return parse_sequential(text);
    }
    let cores = thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let parts = (text.len() / MIN_PART_BYTES).min(cores).min(MAX_PARTS);
    let Some(open) = opening_bracket(text).filter(|_| parts >= 2) else {
        return parse_sequential(text);
    };

    let cuts = cuts(text, open, parts);
    if cuts.is_empty() {
        return parse_sequential(text);
    }

    thread::scope(|scope| {
        let spawned: Result<Vec<_>, _> = cuts
            .iter()
            .enumerate()
            .map(|(index, &cut)| {
                let stop = cuts.get(index + 1).copied();
                thread::Builder::new()
                    .name("ergosh-json".to_string())
                    .spawn_scoped(scope, move || Parser::new(text, cut).top_array_part(false, stop))
            })
            .collect();
        // no threads to be had: one is enough (the scope still joins any started)
        let Ok(workers) = spawned else {
            return parse_sequential(text);
        };

        let mut head = Parser::new(text, open + 1);
        let (mut items, mut end) = head.top_array_part(true, cuts.first().copied())?;
        for worker in workers {
            let part = worker.join();
            if let PartEnd::Complete = end {
                continue;
            }
            let (more, part_end) = match part {
                Ok(result) => result?,
                Err(_) => return Err(ConvertError::syntax(text, 0, "the parser thread failed")),
            };
            append(&mut items, more);
            end = part_end;
        }
        Ok(Dynamic::from_array(items))
    })
}

fn append(items: &mut Array, more: Array) {
    if items.is_empty() {
        *items = more;
    } else {
        items.extend(more);
    }
}

/// The offset of the `[` opening the document, if it is an array.
fn opening_bracket(text: &str) -> Option<usize> {
    let offset = text.bytes().position(|byte| !byte.is_ascii_whitespace())?;
    (text.as_bytes()[offset] == b'[').then_some(offset)
}

/// Up to `parts - 1` increasing candidate element starts.
fn cuts(text: &str, open: usize, parts: usize) -> Vec<usize> {
    let bytes = text.as_bytes();
    let indent = first_indent(bytes, open + 1);
    let mut cuts = Vec::with_capacity(parts);

    for part in 1..parts {
        let from = (text.len() / parts * part).max(cuts.last().map_or(open + 1, |cut| cut + 1));
        if let Some(cut) = candidate(bytes, from, indent) {
            cuts.push(cut);
        }
    }
    cuts
}

/// The indentation of the first element, when it starts on its own line.
fn first_indent(bytes: &[u8], after_open: usize) -> Option<usize> {
    let rest = bytes.get(after_open..)?;
    let newline = rest.iter().position(|byte| !byte.is_ascii_whitespace()).and_then(|end| {
        rest[..end].iter().rposition(|&byte| byte == b'\n').map(|line| end - line - 1)
    });
    newline
}

/// The first line start at or after `from` whose previous non-blank byte is
/// `,` and whose indentation matches the first element's.
fn candidate(bytes: &[u8], from: usize, indent: Option<usize>) -> Option<usize> {
    let limit = bytes.len().min(from.saturating_add(SEARCH_WINDOW));
    let mut cursor = from;

    while cursor < limit {
        let newline = cursor + memchr(b'\n', &bytes[cursor..limit])?;
        let start = newline + 1;
        let body = start + bytes[start..].iter().position(|&byte| byte != b' ' && byte != b'\t')?;
        let before = bytes[..newline].iter().rposition(|byte| !byte.is_ascii_whitespace());

        let after_comma = before.is_some_and(|offset| bytes[offset] == b',');
        let indented = indent.is_none_or(|indent| body - start == indent);
        if after_comma && indented && bytes[body] != b'\n' && bytes[body] != b'\r' {
            return Some(body);
        }
        cursor = start;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_land_on_top_level_elements_of_pretty_output() {
        let rows: Vec<String> = (0..100)
            .map(|n| {
                format!("  {{\n    \"PID\": {n},\n    \"Tags\": [\n      1,\n      2\n    ]\n  }}")
            })
            .collect();
        let text = format!("[\n{}\n]", rows.join(",\n"));
        let found = cuts(&text, 0, 4);

        assert_eq!(found.len(), 3);
        for cut in found {
            assert!(text[cut..].starts_with("{\n    \"PID\""), "{:?}", &text[cut..cut + 10]);
        }
    }

    #[test]
    fn compact_text_has_no_cuts() {
        assert!(cuts("[1,2,3,4,5,6,7,8]", 0, 2).is_empty());
    }
}
