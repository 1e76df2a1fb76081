//! A tool's result as a Rhai value.

use std::fmt;

use rhai::{Array, Dynamic, ImmutableString, Map};
use serde_json::Value;

use super::convert::{parse_json, value_to_dynamic};
use super::hint;
use crate::mcp::ToolOutput;
use crate::protocol::ContentItem;

/// A tool that answered with `isError: true`, and its text.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolFailure {
    pub tool: String,
    pub message: String,
}

impl ToolFailure {
    /// What the message means, when ergosh recognises it.
    pub fn hint(&self) -> Option<&'static str> {
        hint::for_tool_message(&self.message)
    }
}

impl std::error::Error for ToolFailure {}

impl fmt::Display for ToolFailure {
    /// One line: the message's lines joined, prefixed by the tool's name
    /// unless the message already starts with it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = self.message.split_whitespace().collect::<Vec<_>>().join(" ");
        let message = if message.is_empty() { "failed without a message" } else { &message };
        if message.starts_with(self.tool.as_str()) {
            f.write_str(message)
        } else {
            write!(f, "{}: {message}", self.tool)
        }
    }
}

/// Tools whose empty list the Ergo endpoint sends as JSON `null`.
const LIST_SUFFIXES: &[&str] =
    &["_list", "_children", "_nodes", "_acceptors", "_processes", "_types", "_schedule"];

/// A tool's output as a Rhai value, or the failure it reports.
pub fn output_to_dynamic(tool: &str, output: ToolOutput) -> Result<Dynamic, ToolFailure> {
    content_to_dynamic(tool, output.content, output.is_error, output.structured)
}

/// Converts a tool result's parts; `output_to_dynamic` for data that does
/// not come from the client (a sampler's stored results).
///
/// One text item: JSON text becomes Rhai values, other text a string;
/// JSON `null` from a list tool becomes `[]`. Several items: an array of
/// the converted items. A non-text item: a map of its fields. No content:
/// the structured content when there is one, else `()`.
pub fn content_to_dynamic(
    tool: &str,
    mut content: Vec<ContentItem>,
    is_error: bool,
    structured: Option<Value>,
) -> Result<Dynamic, ToolFailure> {
    if is_error {
        return Err(ToolFailure { tool: tool.to_string(), message: error_text(&content) });
    }

    match content.len() {
        0 => Ok(structured.as_ref().map_or(Dynamic::UNIT, value_to_dynamic)),
        1 => Ok(item_to_dynamic(tool, content.remove(0))),
        _ => {
            let items: Array =
                content.into_iter().map(|item| item_to_dynamic(tool, item)).collect();
            Ok(Dynamic::from_array(items))
        }
    }
}

fn error_text(content: &[ContentItem]) -> String {
    let texts: Vec<&str> = content.iter().filter_map(|item| item.text.as_deref()).collect();
    texts.join("\n")
}

fn item_to_dynamic(tool: &str, item: ContentItem) -> Dynamic {
    match (item.kind.as_str(), item.text) {
        ("text", Some(text)) => text_to_dynamic(tool, text),
        (_, text) => {
            let mut map: Map = item
                .other
                .iter()
                .map(|(key, value)| (key.as_str().into(), value_to_dynamic(value)))
                .collect();
            map.insert("type".into(), Dynamic::from(ImmutableString::from(item.kind)));
            if let Some(text) = text {
                map.insert("text".into(), Dynamic::from(ImmutableString::from(text)));
            }
            Dynamic::from_map(map)
        }
    }
}

/// JSON text (an object, array, number, boolean, null or string) becomes
/// values; anything else (pprof dumps, "ok") stays a string.
fn text_to_dynamic(tool: &str, text: String) -> Dynamic {
    let first = text.bytes().find(|byte| !byte.is_ascii_whitespace());
    let looks_like_json =
        matches!(first, Some(b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'));
    if !looks_like_json {
        return Dynamic::from(ImmutableString::from(text));
    }

    match parse_json(&text) {
        Ok(value) if value.is_unit() && is_list_tool(tool) => Dynamic::from_array(Array::new()),
        Ok(value) => value,
        Err(_) => Dynamic::from(ImmutableString::from(text)),
    }
}

fn is_list_tool(tool: &str) -> bool {
    LIST_SUFFIXES.iter().any(|suffix| tool.ends_with(suffix))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::bindings::convert::dynamic_to_value;

    fn one_text(tool: &str, text: &str) -> Dynamic {
        content_to_dynamic(tool, vec![ContentItem::text(text)], false, None).expect("not an error")
    }

    fn as_json(value: &Dynamic) -> Value {
        dynamic_to_value(value).expect("converts")
    }

    #[test]
    fn pretty_json_text_becomes_values() {
        let value =
            one_text("node_info", "{\n  \"Name\": \"demo@localhost\",\n  \"Uptime\": 31\n}");
        assert_eq!(as_json(&value), json!({"Name": "demo@localhost", "Uptime": 31}));
        assert!(one_text("x", "[1, 2]").is_array());
        assert_eq!(one_text("x", "42").as_int(), Ok(42));
        assert_eq!(one_text("x", "true").as_bool(), Ok(true));
    }

    #[test]
    fn plain_text_stays_a_string() {
        let dump = "goroutine profile: total 20, showing 5\n\n3 @ 0x48bcea";
        assert_eq!(one_text("pprof_goroutines", dump).into_string().unwrap(), dump);
        assert_eq!(one_text("process_state", "running").into_string().unwrap(), "running");
        assert_eq!(one_text("x", "123 processes").into_string().unwrap(), "123 processes");
        assert_eq!(one_text("x", "{broken").into_string().unwrap(), "{broken");
    }

    #[test]
    fn null_from_a_list_tool_is_an_empty_list() {
        for tool in [
            "process_list",
            "process_children",
            "network_nodes",
            "network_acceptors",
            "app_processes",
            "message_types",
            "cron_schedule",
            "event_list",
        ] {
            let value = one_text(tool, "null");
            assert!(value.is_array() && value.into_array().unwrap().is_empty(), "{tool}");
        }
        assert!(one_text("node_info", "null").is_unit());
    }

    #[test]
    fn several_items_become_an_array() {
        let content = vec![ContentItem::text("{\"a\": 1}"), ContentItem::text("plain")];
        let value = content_to_dynamic("x", content, false, None).unwrap();
        assert_eq!(as_json(&value), json!([{"a": 1}, "plain"]));
    }

    #[test]
    fn a_non_text_item_becomes_a_map() {
        let mut image = ContentItem::text("ignored");
        image.kind = "image".into();
        image.text = None;
        image.other.insert("data".into(), json!("aGk="));
        image.other.insert("mimeType".into(), json!("image/png"));
        let value = content_to_dynamic("x", vec![image], false, None).unwrap();
        assert_eq!(
            as_json(&value),
            json!({"type": "image", "data": "aGk=", "mimeType": "image/png"})
        );
    }

    #[test]
    fn no_content_falls_back_to_structured_content() {
        let value = content_to_dynamic("x", Vec::new(), false, Some(json!({"k": [1]}))).unwrap();
        assert_eq!(as_json(&value), json!({"k": [1]}));
        assert!(content_to_dynamic("x", Vec::new(), false, None).unwrap().is_unit());
    }

    #[test]
    fn is_error_becomes_a_tool_failure_with_its_text() {
        let content = vec![ContentItem::text("unknown process\n<9F35C982.0.99>")];
        let failure = content_to_dynamic("process_info", content, true, None).unwrap_err();
        assert_eq!(failure.message, "unknown process\n<9F35C982.0.99>");
        assert_eq!(failure.to_string(), "process_info: unknown process <9F35C982.0.99>");

        let prefixed = ToolFailure {
            tool: "app_info".into(),
            message: "app_info: unknown application".into(),
        };
        assert_eq!(prefixed.to_string(), "app_info: unknown application");
        assert_eq!(prefixed.hint(), None);
    }
}
