//! The result types a request can decode its answer into, and the fast
//! way for `tools/call`.
//!
//! A `process_list(#{limit: -1})` answer is one 50 MB string of escaped
//! JSON. serde_json would scan it, decode it byte by byte into a scratch
//! buffer and copy it out. Here a string that opens early in the body and
//! runs long is decoded by [`unescape`](super::unescape) in one pass on
//! two threads, finding its own end, and serde_json reads the rest of the
//! body with an empty string in its place; shorter texts are borrowed from
//! the body and decoded the same way. Whatever this does not accept (a
//! bad escape, an odd shape) is decoded again the ordinary way, so results
//! and errors are serde_json's.

use memchr::{memchr, memchr2};
use serde::de::{self, DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::mcp::reader::{decode_body, decode_event};
use crate::mcp::unescape::{string_at, string_literal};
use crate::mcp::McpError;
use crate::protocol::{CallToolResult, ContentItem, InitializeResult, ListToolsResult};

/// A result a request can ask for: decoded from a JSON body or from the
/// SSE event that carries it.
pub trait Answer: DeserializeOwned {
    fn from_body(
        body: &[u8],
        content_type: &str,
        expected: u64,
        url: &str,
    ) -> Result<Self, McpError> {
        decode_body(body, content_type, expected, url)
    }

    fn from_event(data: &[u8], expected: u64, url: &str) -> Result<Option<Self>, McpError> {
        decode_event(data, expected, url)
    }
}

impl Answer for InitializeResult {}

impl Answer for ListToolsResult {}

/// A string opening within this many bytes of the start of a body, and
/// longer than this, is decoded apart from the rest.
const LONG: usize = 1 << 16;

impl Answer for CallToolResult {
    fn from_body(
        body: &[u8],
        content_type: &str,
        expected: u64,
        url: &str,
    ) -> Result<Self, McpError> {
        if let Some(result) = with_long_text(body, content_type, expected, url) {
            return Ok(result);
        }
        let fast = decode_body::<BorrowedResult>(body, content_type, expected, url);
        if let Some(result) = fast.ok().and_then(BorrowedResult::into_owned) {
            return Ok(result);
        }
        decode_body(body, content_type, expected, url)
    }

    fn from_event(data: &[u8], expected: u64, url: &str) -> Result<Option<Self>, McpError> {
        let fast = decode_event::<BorrowedResult>(data, expected, url);
        if let Ok(found) = fast {
            match found.map(BorrowedResult::into_owned) {
                None => return Ok(None),
                Some(Some(result)) => return Ok(Some(result)),
                Some(None) => {}
            }
        }
        decode_event(data, expected, url)
    }
}

/// The result when the body's long string is the text of one of its
/// items: the string decoded on its own, the body around it by serde.
fn with_long_text(
    body: &[u8],
    content_type: &str,
    expected: u64,
    url: &str,
) -> Option<CallToolResult> {
    let open = long_string(body)?;
    let (text, end) = string_at(body, open)?;

    let mut around = Vec::with_capacity(body.len() - (end - open) + 2);
    around.extend_from_slice(&body[..open]);
    around.extend_from_slice(b"\"\"");
    around.extend_from_slice(&body[end..]);
    let borrowed = decode_body::<BorrowedResult>(&around, content_type, expected, url).ok()?;

    let placeholder = around[open..].as_ptr();
    let mut text = Some(text);
    let mut content = Vec::with_capacity(borrowed.content.len());
    for item in borrowed.content {
        let is_placeholder = item.text.is_some_and(|raw| raw.get().as_ptr() == placeholder);
        if is_placeholder {
            content.push(item.with_text(text.take()?));
        } else {
            content.push(item.into_owned()?);
        }
    }
    // the long string was something else than an item's text
    if text.is_some() {
        return None;
    }
    Some(CallToolResult {
        content,
        is_error: borrowed.is_error,
        structured_content: borrowed.structured_content,
    })
}

/// The opening quote of the first string that opens within [`LONG`]
/// bytes of the start and does not close within `LONG` bytes.
fn long_string(body: &[u8]) -> Option<usize> {
    let stop = body.len().min(LONG);
    let mut from = 0;
    while from < stop {
        let open = from + memchr(b'"', &body[from..stop])?;
        let limit = body.len().min(open + 1 + LONG);
        let mut cursor = open + 1;
        let close = loop {
            let Some(offset) = memchr2(b'"', b'\\', &body[cursor..limit]) else {
                return (limit < body.len()).then_some(open);
            };
            cursor += offset;
            if body[cursor] == b'"' {
                break cursor;
            }
            cursor += 2;
            if cursor >= limit {
                return (limit < body.len()).then_some(open);
            }
        };
        from = close + 1;
    }
    None
}

/// [`CallToolResult`] with the texts still escaped, borrowed from the body.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BorrowedResult<'a> {
    #[serde(default, borrow)]
    content: Vec<BorrowedItem<'a>>,
    #[serde(default)]
    is_error: Option<bool>,
    #[serde(default)]
    structured_content: Option<Value>,
}

impl BorrowedResult<'_> {
    /// The result with every text decoded; `None` if one is not a valid
    /// string literal.
    fn into_owned(self) -> Option<CallToolResult> {
        let content = self
            .content
            .into_iter()
            .map(BorrowedItem::into_owned)
            .collect::<Option<Vec<ContentItem>>>()?;
        Some(CallToolResult {
            content,
            is_error: self.is_error,
            structured_content: self.structured_content,
        })
    }
}

/// [`ContentItem`] with its `text` as the raw literal.
struct BorrowedItem<'a> {
    kind: String,
    text: Option<&'a RawValue>,
    other: Map<String, Value>,
}

impl BorrowedItem<'_> {
    fn into_owned(self) -> Option<ContentItem> {
        let text = match self.text {
            Some(raw) => Some(string_literal(raw.get())?),
            None => None,
        };
        Some(ContentItem { kind: self.kind, text, other: self.other })
    }

    fn with_text(self, text: String) -> ContentItem {
        ContentItem { kind: self.kind, text: Some(text), other: self.other }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for BorrowedItem<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ItemVisitor)
    }
}

struct ItemVisitor;

impl<'de> Visitor<'de> for ItemVisitor {
    type Value = BorrowedItem<'de>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a content item")
    }

    /// Stricter than the derived `ContentItem` where it matters: a `text`
    /// that is not a string or null is refused here (and the ordinary
    /// decoding then names the problem).
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
        let mut kind: Option<String> = None;
        let mut text: Option<Option<&'de RawValue>> = None;
        let mut other = Map::new();

        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "type" if kind.is_some() => return Err(de::Error::duplicate_field("type")),
                "type" => kind = Some(map.next_value()?),
                "text" if text.is_some() => return Err(de::Error::duplicate_field("text")),
                "text" => {
                    let raw: Option<&'de RawValue> = map.next_value()?;
                    if raw.is_some_and(|raw| !raw.get().starts_with('"')) {
                        return Err(de::Error::custom("`text` is not a string"));
                    }
                    text = Some(raw);
                }
                _ => {
                    let value = map.next_value()?;
                    other.insert(key, value);
                }
            }
        }

        let kind = kind.ok_or_else(|| de::Error::missing_field("type"))?;
        Ok(BorrowedItem { kind, text: text.flatten(), other })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::reader::tests::mutated;
    use proptest::prelude::*;

    const URL: &str = "http://127.0.0.1:9922/mcp";

    fn slow(body: &[u8]) -> Result<CallToolResult, McpError> {
        decode_body(body, "application/json", 1, URL)
    }

    fn fast(body: &[u8]) -> Option<CallToolResult> {
        decode_body::<BorrowedResult>(body, "application/json", 1, URL)
            .ok()
            .and_then(BorrowedResult::into_owned)
    }

    fn answer(item: &str) -> Vec<u8> {
        format!(r#"{{"jsonrpc":"2.0","id":1,"result":{{"content":[{item}],"isError":false}}}}"#)
            .into_bytes()
    }

    #[test]
    fn the_fast_way_gives_what_serde_gives() {
        let items = [
            r#"{"type":"text","text":"[\n  {\n    \"PID\": \"\\u003c9F35C982.0.1012\\u003e\"\n  }\n]"}"#,
            r#"{"type":"text","text":null}"#,
            r#"{"type":"text"}"#,
            r#"{"text":"\u00e9\uD83D\uDE00","type":"text","annotations":{"a":1},"x":[1,2]}"#,
            r#"{"type":"image","data":"AA==","mimeType":"image/png"}"#,
            r#"{"t\u0079pe":"text","te\u0078t":"ok"}"#,
        ];
        for item in items {
            let body = answer(item);
            let expected = slow(&body).expect("valid");
            assert_eq!(fast(&body), Some(expected.clone()), "{item}");
            assert_eq!(
                CallToolResult::from_body(&body, "application/json", 1, URL).unwrap(),
                expected
            );
        }
    }

    #[test]
    fn what_the_fast_way_refuses_is_decoded_the_ordinary_way() {
        let refused = [
            r#"{"type":"text","text":5}"#,
            r#"{"type":"text","text":"a","text":"b"}"#,
            r#"{"type":"text","type":"image"}"#,
            r#"{"text":"a"}"#,
            r#"{"type":"text","text":"\uD83D"}"#,
            r#"["text","a"]"#,
        ];
        for item in refused {
            let body = answer(item);
            assert_eq!(fast(&body), None, "{item}");
            let ours = CallToolResult::from_body(&body, "application/json", 1, URL);
            assert_eq!(
                ours.map_err(|error| error.to_string()),
                slow(&body).map_err(|error| error.to_string())
            );
        }
    }

    #[test]
    fn events_take_the_fast_way_too() {
        let event =
            br#"{"jsonrpc":"2.0","id":4,"result":{"content":[{"type":"text","text":"a\nb"}]}}"#;
        let result = CallToolResult::from_event(event, 4, URL).unwrap().unwrap();
        assert_eq!(result.content[0].text.as_deref(), Some("a\nb"));
        let other = br#"{"jsonrpc":"2.0","id":5,"result":{"content":[]}}"#;
        assert!(CallToolResult::from_event(other, 4, URL).unwrap().is_none());
    }

    /// A listing long enough to take the long-text way, in items `before`
    /// and `after` it.
    fn long_answer(before: &str, after: &str) -> Vec<u8> {
        let row = r#"{\n  \"PID\": \"\\u003c9F35C982.0.1012\\u003e\",\n  \"Name\": \"\u00e9\"\n}"#;
        let rows = vec![row; 2000].join(",");
        let text = format!(r#"{{"type":"text","text":"[{rows}]"}}"#);
        answer(
            &[before, text.as_str(), after]
                .iter()
                .filter(|item| !item.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join(","),
        )
    }

    #[test]
    fn a_long_text_is_decoded_apart_and_gives_what_serde_gives() {
        let image = r#"{"type":"image","data":"AA==","mimeType":"image/png"}"#;
        for (before, after) in
            [("", ""), (image, ""), ("", image), (image, r#"{"type":"text","text":"ok\n"}"#)]
        {
            let body = long_answer(before, after);
            assert!(long_string(&body).is_some());
            let expected = slow(&body).expect("valid");
            assert_eq!(with_long_text(&body, "application/json", 1, URL), Some(expected.clone()));
            assert_eq!(
                CallToolResult::from_body(&body, "application/json", 1, URL).unwrap(),
                expected
            );
        }
    }

    #[test]
    fn a_long_string_that_is_not_a_text_is_left_to_serde() {
        let long = "x".repeat(LONG + 10);
        let bodies = [
            format!(
                r#"{{"jsonrpc":"2.0","id":1,"result":{{"content":[],"structuredContent":{{"a":"{long}"}}}}}}"#
            ),
            format!(
                r#"{{"jsonrpc":"2.0","id":1,"result":{{"content":[{{"type":"text","{long}":1}}]}}}}"#
            ),
            format!(
                r#"{{"jsonrpc":"2.0","id":1,"result":{{"content":[{{"type":"text","text":"{long}\x"}}]}}}}"#
            ),
            format!(
                r#"{{"jsonrpc":"2.0","id":2,"result":{{"content":[{{"type":"text","text":"{long}"}}]}}}}"#
            ),
        ];
        for body in bodies {
            let body = body.into_bytes();
            assert!(long_string(&body).is_some());
            assert_eq!(with_long_text(&body, "application/json", 1, URL), None);
            let ours = CallToolResult::from_body(&body, "application/json", 1, URL);
            assert_eq!(
                ours.map_err(|error| error.to_string()),
                slow(&body).map_err(|error| error.to_string())
            );
        }
        assert_eq!(long_string(&answer(r#"{"type":"text","text":"short"}"#)), None);
    }

    fn valid_answer() -> Vec<u8> {
        answer(
            r#"{"type":"text","text":"{\n  \"PID\": \"\u003c9F35C982.0.1012\u003e\", \"e\": \"\\u00e9\"\n}"},{"type":"image","data":"AA==","mimeType":"image/png"}"#,
        )
    }

    proptest! {
        #[test]
        fn mutated_answers_decode_as_serde_decodes_them(
            edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
            cut in any::<usize>(),
        ) {
            let bytes = mutated(valid_answer(), &edits, cut);
            let expected = slow(&bytes).map_err(|error| error.to_string());
            if let Some(result) = fast(&bytes) {
                prop_assert_eq!(Ok(result), expected.clone());
            }
            let ours = CallToolResult::from_body(&bytes, "application/json", 1, URL);
            prop_assert_eq!(ours.map_err(|error| error.to_string()), expected);
        }

        #[test]
        fn mutated_long_answers_decode_as_serde_decodes_them(
            edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4),
            cut in any::<usize>(),
        ) {
            let mut bytes = long_answer("", r#"{"type":"text","text":"ok"}"#);
            for (position, byte) in edits {
                let index = position % bytes.len();
                bytes[index] = byte;
            }
            if cut % 4 == 0 {
                bytes.truncate(cut % (bytes.len() + 1));
            }
            let expected = slow(&bytes).map_err(|error| error.to_string());
            let ours = CallToolResult::from_body(&bytes, "application/json", 1, URL);
            prop_assert_eq!(ours.map_err(|error| error.to_string()), expected);
        }
    }
}
