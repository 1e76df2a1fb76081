//! Go-style pretty JSON: what `json.MarshalIndent(v, "", "  ")` writes,
//! including Go's HTML escaping of `<`, `>` and `&`.

use serde_json::Value;

/// Pretty-prints `value` the way an Ergo node does: two-space indent, `<`,
/// `>`, `&` as `\u003c`, `\u003e`, `\u0026`, whole floats without `.0`.
/// (The server's encoder, shared so that both write the same bytes.)
pub fn pretty_go(value: &Value) -> String {
    crate::sim::wire::pretty(value)
}

/// The kind of a JSON value as Go's encoding/json names it in errors.
pub(crate) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::pretty_go;

    #[test]
    fn escapes_html_characters_like_go() {
        let text = pretty_go(&json!({"PID": "<9F35C982.0.1012>", "a&b": 1}));
        assert_eq!(text, "{\n  \"PID\": \"\\u003c9F35C982.0.1012\\u003e\",\n  \"a\\u0026b\": 1\n}");
    }

    #[test]
    fn empty_containers_stay_on_one_line() {
        let text = pretty_go(&json!({"Aliases": [], "Env": {}, "Commercial": null}));
        assert_eq!(text, "{\n  \"Aliases\": [],\n  \"Env\": {},\n  \"Commercial\": null\n}");
    }

    #[test]
    fn control_and_separator_characters_are_escaped() {
        let text = pretty_go(&json!("a\u{1}b\u{2028}c\"d\\é"));
        assert_eq!(text, "\"a\\u0001b\\u2028c\\\"d\\\\é\"");
    }

    #[test]
    fn floats_follow_go_formatting() {
        assert_eq!(pretty_go(&json!(0.010768658030010534)), "0.010768658030010534");
        assert_eq!(pretty_go(&json!(2.0)), "2");
        assert_eq!(pretty_go(&json!(1e-7)), "1e-7");
        assert_eq!(pretty_go(&json!(-1)), "-1");
    }

    #[test]
    fn nested_arrays_indent_by_two_spaces() {
        let text = pretty_go(&json!([{"Levels": ["trace", "info"]}]));
        assert_eq!(
            text,
            "[\n  {\n    \"Levels\": [\n      \"trace\",\n      \"info\"\n    ]\n  }\n]"
        );
    }
}
