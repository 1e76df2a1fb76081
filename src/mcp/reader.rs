//! Turns the bytes of an answer into the result of one JSON-RPC request.
//!
//! The bytes are untrusted (a proxy's HTML page, a truncated body, a server
//! that mixes notifications into its event stream): every outcome is a
//! value or an [`McpError`], never a panic. Results decode straight from
//! the byte buffer into their type, without a `serde_json::Value` between:
//! a `process_list` answer can be 50 MB.

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::Value;

use crate::mcp::error::{one_line, McpError};
use crate::protocol::Response;

/// The result of request `expected` from a whole `application/json` body.
pub fn decode_body<'a, T: Deserialize<'a>>(
    body: &'a [u8],
    content_type: &str,
    expected: u64,
    url: &str,
) -> Result<T, McpError> {
    let Some(&first) = body.iter().find(|byte| !is_space(**byte)) else {
        return Err(protocol(url, "the answer has an empty body".to_string()));
    };
    if first == b'[' {
        return Err(protocol(url, "the answer is a json array (a batch), not one response".into()));
    }
    if first != b'{' {
        if serde_json::from_slice::<IgnoredAny>(body).is_ok() {
            return Err(protocol(
                url,
                "the answer is json but not a json-rpc response object".into(),
            ));
        }
        return Err(McpError::NotJson {
            url: url.to_string(),
            content_type: if content_type.is_empty() {
                "no content type".into()
            } else {
                content_type.into()
            },
            snippet: snippet(body),
        });
    }
    let response: Response<T> =
        serde_json::from_slice(body).map_err(|error| json_error(url, &error, body.len()))?;
    let is_ours =
        id_matches(&response.id, expected) || (response.id.is_null() && response.error.is_some());
    if !is_ours {
        return Err(protocol(
            url,
            format!(
                "the answer has id {} but the request had id {expected}",
                short_id(&response.id)
            ),
        ));
    }
    into_result(response, url)
}

/// The result of request `expected` if this event of an SSE stream holds
/// it; `None` for anything else on the stream (notifications, requests
/// from the server, answers to other ids).
pub fn decode_event<'a, T: Deserialize<'a>>(
    data: &'a [u8],
    expected: u64,
    url: &str,
) -> Result<Option<T>, McpError> {
    let Some(&first) = data.iter().find(|byte| !is_space(**byte)) else {
        return Ok(None);
    };
    if first != b'{' {
        return Ok(None);
    }
    match serde_json::from_slice::<Response<T>>(data) {
        Ok(response) => {
            let is_answer = response.result.is_some() || response.error.is_some();
            let is_ours = id_matches(&response.id, expected)
                || (response.id.is_null() && response.error.is_some());
            if is_answer && is_ours {
                into_result(response, url).map(Some)
            } else {
                Ok(None)
            }
        }
        Err(error) => match serde_json::from_slice::<Peek>(data) {
            // Well-formed, but not shaped like our result: only an error
            // when it claims to be our answer.
            Ok(peek) if peek.method.is_none() && id_matches(&peek.id, expected) => {
                Err(json_error(url, &error, data.len()))
            }
            Ok(_) => Ok(None),
            Err(_) => Err(json_error(url, &error, data.len())),
        },
    }
}

/// A first look at a message whose result did not decode.
#[derive(Deserialize)]
struct Peek {
    #[serde(default)]
    id: Value,
    #[serde(default)]
    method: Option<IgnoredAny>,
}

fn into_result<T>(response: Response<T>, url: &str) -> Result<T, McpError> {
    if let Some(error) = response.error {
        return Err(McpError::Rpc { code: error.code, message: error.message });
    }
    response
        .result
        .ok_or_else(|| protocol(url, "the answer has neither a result nor an error".to_string()))
}

/// True when a response id is the number we sent (as an integer, a float,
/// or a string of digits: servers differ).
pub fn id_matches(id: &Value, expected: u64) -> bool {
    match id {
        Value::Number(number) => {
            number.as_u64() == Some(expected) || number.as_f64() == Some(expected as f64)
        }
        Value::String(text) => text.parse::<u64>().ok() == Some(expected),
        _ => false,
    }
}

fn short_id(id: &Value) -> String {
    let text = id.to_string();
    one_line(&text, 40)
}

fn json_error(url: &str, error: &serde_json::Error, length: usize) -> McpError {
    let message = if error.is_eof() {
        format!("truncated json: the answer stops after {length} bytes, mid-value")
    } else if error.is_syntax() {
        format!("invalid json at line {} column {}", error.line(), error.column())
    } else {
        format!("unexpected answer shape: {}", one_line(&error.to_string(), 200))
    };
    protocol(url, message)
}

fn protocol(url: &str, message: String) -> McpError {
    McpError::Protocol { url: url.to_string(), message }
}

fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n')
}

/// A short, one-line excerpt of a body for an error message: the
/// `<title>` of an HTML page, else its first characters.
pub fn snippet(body: &[u8]) -> String {
    let head = &body[..body.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    if let Some(title) = html_title(&text) {
        return one_line(title, 120);
    }
    one_line(&text, 120)
}

fn html_title(text: &str) -> Option<&str> {
    let lower = text.to_ascii_lowercase();
    let open = lower.find("<title>")? + "<title>".len();
    let close = open + lower[open..].find("</title>")?;
    // `to_ascii_lowercase` keeps byte offsets, so they index `text` too.
    text.get(open..close).filter(|title| !title.trim().is_empty())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::protocol::{CallToolResult, InitializeResult};
    use proptest::prelude::*;

    const URL: &str = "http://127.0.0.1:9922/mcp";

    fn call(body: &[u8], expected: u64) -> Result<CallToolResult, McpError> {
        decode_body(body, "application/json", expected, URL)
    }

    #[test]
    fn the_recorded_initialize_answer_decodes() {
        let body = br#"{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"ergo-mcp","version":"1.0.0"}}}"#;
        let result: InitializeResult = decode_body(body, "application/json", 1, URL).unwrap();
        assert_eq!(result.server_info.name, "ergo-mcp");
    }

    #[test]
    fn an_rpc_error_becomes_rpc_even_with_a_null_id() {
        let body =
            br#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}"#;
        let error = call(body, 3).unwrap_err();
        assert!(matches!(error, McpError::Rpc { code: -32700, .. }), "{error}");
    }

    #[test]
    fn bad_bodies_are_named() {
        let cases: [(&[u8], &str); 7] = [
            (b"", "empty body"),
            (b" null", "json but not a json-rpc response"),
            (b"<html><title>502 Bad Gateway</title></html>", "502 Bad Gateway"),
            (br#"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"te"#, "truncated json"),
            (br#"{"jsonrpc":"2.0","id":9,"result":{}}"#, "id 9 but the request had id 1"),
            (br#"{"jsonrpc":"2.0","id":1}"#, "neither a result nor an error"),
            (br#"{"jsonrpc":"2.0","id":1,"result":{"content":"x"}}"#, "unexpected answer shape"),
        ];
        for (body, expected) in cases {
            let text = call(body, 1).unwrap_err().to_string();
            assert!(text.contains(expected), "{text}");
        }
    }

    #[test]
    fn a_float_id_matches_the_integer_sent() {
        let body = br#"{"jsonrpc":"2.0","id":7.0,"result":{"content":[]}}"#;
        assert!(call(body, 7).is_ok());
    }

    #[test]
    fn events_that_are_not_our_answer_are_skipped() {
        let skip: [&[u8]; 5] = [
            br#"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}"#,
            br#"{"jsonrpc":"2.0","id":4,"method":"ping"}"#,
            br#"{"jsonrpc":"2.0","id":5,"result":{"content":[]}}"#,
            br#"{"jsonrpc":"2.0","id":4,"method":"roots/list","params":{"content":7}}"#,
            b"   ",
        ];
        for data in skip {
            let decoded = decode_event::<CallToolResult>(data, 4, URL).unwrap();
            assert!(decoded.is_none(), "{}", String::from_utf8_lossy(data));
        }
        let ours =
            br#"{"jsonrpc":"2.0","id":4,"result":{"content":[{"type":"text","text":"ok"}]}}"#;
        let result = decode_event::<CallToolResult>(ours, 4, URL).unwrap().unwrap();
        assert_eq!(result.content[0].text.as_deref(), Some("ok"));
        assert!(decode_event::<CallToolResult>(br#"{"id":4,"result":{"con"#, 4, URL).is_err());
    }

    /// `bytes` with a few bytes overwritten, then cut short: the inputs
    /// the mutation properties feed the decoders.
    pub(in crate::mcp) fn mutated(
        mut bytes: Vec<u8>,
        edits: &[(usize, u8)],
        cut: usize,
    ) -> Vec<u8> {
        for &(position, byte) in edits {
            let index = position % bytes.len();
            bytes[index] = byte;
        }
        bytes.truncate(cut % (bytes.len() + 1));
        bytes
    }

    fn valid_answer() -> Vec<u8> {
        br#"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"{\n  \"PID\": \"\u003c9F35C982.0.1012\u003e\"\n}"},{"type":"image","data":"AA==","mimeType":"image/png"}],"isError":false,"structuredContent":{"a":[1,2.5,null]}}}"#.to_vec()
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = call(&bytes, 1);
            let _ = decode_event::<CallToolResult>(&bytes, 1, URL);
            let _ = snippet(&bytes);
        }

        #[test]
        fn mutated_answers_never_panic(
            edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
            cut in any::<usize>(),
        ) {
            let bytes = mutated(valid_answer(), &edits, cut);
            let _ = call(&bytes, 1);
            let _ = decode_event::<CallToolResult>(&bytes, 1, URL);
        }
    }
}
