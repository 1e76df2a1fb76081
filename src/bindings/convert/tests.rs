//! Parser edge cases, and a property test against serde_json.

use proptest::prelude::*;
use rhai::Dynamic;
use serde_json::Value;

use super::parse::parse_sequential;
use super::*;

fn parse(text: &str) -> Result<Value, ConvertError> {
    parse_json(text).map(|value| dynamic_to_value(&value).expect("parsed values convert back"))
}

fn message(text: &str) -> String {
    parse_json(text).expect_err("the text is invalid").to_string()
}

#[test]
fn the_recorded_process_row_parses_as_serde_json_does() {
    let text = "[\n  {\n    \"PID\": \"\\u003c9F35C982.0.1012\\u003e\",\n    \"Name\": \"slow_worker\",\n    \"MessagesIn\": 6130,\n    \"MailboxLatency\": -1,\n    \"State\": \"running\"\n  }\n]";
    assert_eq!(parse(text), Ok(serde_json::from_str::<Value>(text).unwrap()));

    let rows = parse_json(text).unwrap().into_array().unwrap();
    let row = rows[0].read_lock::<rhai::Map>().unwrap();
    assert_eq!(row["PID"].clone().into_string().unwrap(), "<9F35C982.0.1012>");
    assert_eq!(row["MessagesIn"].as_int(), Ok(6130));
    assert_eq!(row["MailboxLatency"].as_int(), Ok(-1));
}

#[test]
fn scalars_keep_their_types() {
    assert!(parse_json("0").unwrap().is_int());
    assert!(parse_json("-9223372036854775808").unwrap().is_int());
    assert_eq!(parse_json("9223372036854775808").unwrap().as_float(), Ok(9.223372036854776e18));
    assert_eq!(parse_json("1e2").unwrap().as_float(), Ok(100.0));
    assert_eq!(parse_json("-0.5E-1").unwrap().as_float(), Ok(-0.05));
    assert!(parse_json("null").unwrap().is_unit());
    assert_eq!(parse_json(" true ").unwrap().as_bool(), Ok(true));
    assert_eq!(parse_json("\"\"").unwrap().into_string().unwrap(), "");
}

#[test]
fn escapes_decode() {
    let text = r#""a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00""#;
    assert_eq!(parse(text), Ok(Value::String("a\"b\\c/d\u{8}\u{c}\n\r\té😀".into())));
}

#[test]
fn lone_surrogates_become_replacement_characters() {
    assert_eq!(parse(r#""\ud800x""#), Ok(Value::String("\u{FFFD}x".into())));
    assert_eq!(parse(r#""\udc00""#), Ok(Value::String("\u{FFFD}".into())));
    assert_eq!(parse(r#""\ud800\u0041""#), Ok(Value::String("\u{FFFD}A".into())));
}

#[test]
fn repeated_keys_keep_the_last_value() {
    assert_eq!(parse(r#"{"a": 1, "a": 2}"#), Ok(serde_json::json!({"a": 2})));
}

#[test]
fn invalid_documents_say_where_and_why() {
    assert_eq!(message(""), "invalid JSON at line 1 column 1: unexpected end of input");
    assert_eq!(
        message("[1] x"),
        "invalid JSON at line 1 column 5: trailing characters after the JSON value"
    );
    assert_eq!(
        message("{\n  \"a\" 1}"),
        "invalid JSON at line 2 column 7: expected `:` after an object key"
    );
    assert_eq!(message(r#""\x""#), "invalid JSON at line 1 column 2: invalid escape in a string");
    assert_eq!(
        message(r#""\u12""#),
        "invalid JSON at line 1 column 4: invalid unicode escape in a string"
    );
    assert_eq!(
        message("\"a\nb\""),
        "invalid JSON at line 1 column 3: control character in a string"
    );
    assert_eq!(message("\"abc"), "invalid JSON at line 1 column 5: unterminated string");
    assert_eq!(
        message("01"),
        "invalid JSON at line 1 column 2: trailing characters after the JSON value"
    );
    assert_eq!(message("1."), "invalid JSON at line 1 column 3: invalid number");
    assert_eq!(message("-"), "invalid JSON at line 1 column 2: invalid number");
    assert_eq!(message("1e999"), "invalid JSON at line 1 column 1: number out of range");
    assert_eq!(message("[1,]"), "invalid JSON at line 1 column 4: expected a JSON value");
    assert_eq!(message("{\"a\":1,}"), "invalid JSON at line 1 column 8: expected a string key");
    assert_eq!(message("tru"), "invalid JSON at line 1 column 1: expected a JSON value");
    assert_eq!(
        message("[1 2]"),
        "invalid JSON at line 1 column 4: expected `,` or `]` after an array element"
    );
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let deep = "[".repeat(100_000);
    assert!(message(&deep).ends_with("nested too deeply"));

    let fine = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    assert!(parse_json(&fine).is_ok());
    let over = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
    assert!(message(&over).ends_with("nested too deeply"));
}

/// A pretty-printed list of `rows` process rows shaped like the recordings.
pub(crate) fn process_rows(rows: usize) -> String {
    let items: Vec<Value> = (0..rows)
        .map(|n| {
            let application = ["shop", "payments", "system_app"][n % 3];
            let behavior = ["main.slowWorker", "system.sup", "mcp.mcpSup", "main.cache"][n % 4];
            serde_json::json!({
                "PID": format!("<9F35C982.0.{}>", 1000 + n),
                "Name": if n % 3 == 0 { format!("worker_{n}") } else { String::new() },
                "Application": application,
                "Behavior": behavior,
                "MessagesIn": n * 7,
                "MessagesOut": n % 5,
                "MessagesMailbox": n % 50,
                "RunningTime": n * 1301,
                "Uptime": 31,
                "State": if n % 10 == 0 { "running" } else { "sleep" },
                "Parent": format!("<9F35C982.0.{}>", 1000 + n / 100),
                "Leader": "<9F35C982.0.1>",
                "LogLevel": "info",
                "MailboxLatency": -1,
                "InitTime": n % 7,
                "Wakeups": n % 11
            })
        })
        .collect();
    escape_like_go(&serde_json::to_string_pretty(&items).unwrap())
}

/// Go's encoding/json escapes `<`, `>` and `&`.
fn escape_like_go(text: &str) -> String {
    text.replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

#[test]
fn a_large_list_parses_the_same_split_or_not() {
    let text = process_rows(30_000);
    assert!(text.len() > 3 << 20, "large enough to be split: {}", text.len());

    let parallel = dynamic_to_value(&parse_json(&text).unwrap()).unwrap();
    let sequential = dynamic_to_value(&parse_sequential(&text).unwrap()).unwrap();
    let reference: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(parallel, reference);
    assert_eq!(sequential, reference);
}

#[test]
fn a_split_list_reports_errors_anywhere() {
    let text = process_rows(30_000);
    for at in [text.len() / 5, text.len() / 2, text.len() - 10] {
        let mut broken = text.clone();
        let offset = (at..).find(|&i| broken.as_bytes()[i] == b':').unwrap();
        broken.replace_range(offset..offset + 1, ";");
        assert!(parse_json(&broken).is_err(), "broken at {offset}");
    }
    assert!(parse_json(&format!("{text}]")).is_err());
}

#[test]
fn a_list_nested_with_misleading_lines_still_parses_whole() {
    // every line after a comma is a candidate cut, but most are nested
    let inner: Vec<String> = (0..200_000).map(|n| format!("\n{n}")).collect();
    let text = format!("[[{}],\n[1]]", inner.join(","));
    let reference: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(parse(&text), Ok(reference));
}

fn same(ours: &Value, theirs: &Value) -> bool {
    match (ours, theirs) {
        (Value::Number(a), Value::Number(b)) => match (a.as_i64(), b.as_i64()) {
            (Some(a), Some(b)) => a == b,
            _ => {
                let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
                a == b || ((a - b) / b).abs() < 1e-15
            }
        },
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same(a, b))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter().all(|(key, value)| b.get(key).is_some_and(|other| same(value, other)))
        }
        _ => ours == theirs,
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e300f64..1e300).prop_map(Value::from),
        "\\PC*".prop_map(Value::String),
        "[<>&\"\\\\\u{0}-\u{1f}é😀]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z_]{0,6}|\\PC{0,4}", inner, 0..8)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn valid_json_parses_as_serde_json_does(value in json_value(), pretty in any::<bool>()) {
        let text = if pretty { serde_json::to_string_pretty(&value).unwrap() } else { value.to_string() };
        let theirs: Value = serde_json::from_str(&text).unwrap();
        let ours = parse(&text).unwrap();
        prop_assert!(same(&ours, &theirs), "{text}");
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let text = String::from_utf8_lossy(&bytes);
        let theirs = serde_json::from_str::<Value>(&text);
        let ours = parse_json(&text);
        if let Ok(theirs) = theirs {
            let ours = dynamic_to_value(&ours.expect("serde_json accepted it")).unwrap();
            prop_assert!(same(&ours, &theirs));
        }
    }

    #[test]
    fn mutated_json_never_panics_and_agrees_when_valid(
        value in json_value(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = serde_json::to_string_pretty(&value).unwrap().into_bytes();
        for (index, byte) in edits {
            if bytes.is_empty() { break; }
            let at = index.index(bytes.len());
            let alphabet = b" {}[]\",:\\0-1eE.tfnu";
            bytes[at] = alphabet[usize::from(byte) % alphabet.len()];
        }
        let text = String::from_utf8_lossy(&bytes);
        let ours = parse_json(&text);
        if let Ok(theirs) = serde_json::from_str::<Value>(&text) {
            let ours = dynamic_to_value(&ours.expect("serde_json accepted it")).unwrap();
            prop_assert!(same(&ours, &theirs), "{text}");
        }
    }
}

#[test]
fn a_value_round_trips_through_text() {
    let value = serde_json::json!({"k": [1, 2.5, "x", null, {"n": true}]});
    let dynamic: Dynamic = parse_json(&value.to_string()).unwrap();
    assert_eq!(dynamic_to_value(&dynamic), Ok(value));
}

#[test]
fn rows_that_stray_from_the_shape_parse_whole() {
    let text = r#"[
        {"a": 1, "b": 2, "c": 3, "d": 4},
        {"a": 1, "b": 2, "c": 3, "d": 4},
        {"a": 1, "x": 2, "c": 3, "d": 4},
        {"a": 1, "b": 2},
        {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5},
        {"a": 1, "b": 2, "c": 3, "c": 9},
        {"d": 1, "c": 2, "b": 3, "a": 4},
        {"d": 1, "c": 2, "b": 3, "a": 4},
        {"d": 1, "c": 2, "b": 3, "a": 4},
        {"a": {"b": {"c": 1, "d": 2, "e": 3}}, "b": [{"c": 1, "d": 2, "e": 3}], "c": 0},
        {"\u0061": 1, "b": 2, "c": 3, "d": 4}
    ]"#;
    assert_eq!(parse(text), Ok(serde_json::from_str::<Value>(text).unwrap()));
}
