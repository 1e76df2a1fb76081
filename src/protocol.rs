//! JSON-RPC 2.0 and MCP wire types shared by the client and the simulated
//! node. Nothing here performs I/O.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The MCP protocol revision ergosh speaks (and the Ergo endpoint answers).
pub const PROTOCOL_VERSION: &str = "2025-06-18";

/// Invalid JSON was received (also: empty body, batch array, body over 1 MiB).
pub const PARSE_ERROR: i64 = -32700;
/// The `jsonrpc` member is not "2.0".
pub const INVALID_REQUEST: i64 = -32600;
/// The method does not exist.
pub const METHOD_NOT_FOUND: i64 = -32601;
/// Bad params, unknown tool, or a tool that failed on the local node.
pub const INVALID_PARAMS: i64 = -32602;
/// A proxied call failed (unknown node, remote tool error, proxy timeout).
pub const INTERNAL_ERROR: i64 = -32603;

/// A request or notification as sent on the wire.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Request {
    pub jsonrpc: String,
    /// Absent for notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
    pub method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Value>,
}

impl Request {
    /// A request that expects an answer.
    pub fn new(id: u64, method: &str, params: Option<Value>) -> Self {
        Request {
            jsonrpc: "2.0".to_string(),
            id: Some(Value::from(id)),
            method: method.to_string(),
            params,
        }
    }

    /// A notification: no id, no answer.
    pub fn notification(method: &str, params: Option<Value>) -> Self {
        Request { jsonrpc: "2.0".to_string(), id: None, method: method.to_string(), params }
    }
}

/// The error member of a JSON-RPC response.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

/// A JSON-RPC response whose result is decoded as `T`.
///
/// Decoding straight into `T` (rather than into a `Value` first) matters:
/// a `process_list` answer can be 50 MB.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Response<T> {
    #[serde(default)]
    pub jsonrpc: String,
    #[serde(default)]
    pub id: Value,
    #[serde(default = "Option::default", skip_serializing_if = "Option::is_none")]
    pub result: Option<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<RpcError>,
}

/// `clientInfo` / `serverInfo`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Implementation {
    pub name: String,
    #[serde(default)]
    pub version: String,
}

/// The result of `initialize`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct InitializeResult {
    #[serde(default)]
    pub protocol_version: String,
    #[serde(default)]
    pub capabilities: Value,
    #[serde(default)]
    pub server_info: Implementation,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
}

/// One tool as listed by `tools/list`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ToolSpec {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub input_schema: Value,
}

/// The result of `tools/list`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ListToolsResult {
    #[serde(default)]
    pub tools: Vec<ToolSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// One item of a tool result's `content`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ContentItem {
    #[serde(rename = "type")]
    pub kind: String,
    /// Present for `type: "text"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Whatever else the item carries (image data, resource, ...).
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl ContentItem {
    /// A text item.
    pub fn text(text: impl Into<String>) -> Self {
        ContentItem { kind: "text".to_string(), text: Some(text.into()), other: Map::new() }
    }
}

/// The result of `tools/call`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct CallToolResult {
    #[serde(default)]
    pub content: Vec<ContentItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_error: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structured_content: Option<Value>,
}

/// The params of `tools/call`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CallToolParams {
    pub name: String,
    #[serde(default)]
    pub arguments: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notification_has_no_id_on_the_wire() {
        let text = serde_json::to_string(&Request::notification("notifications/initialized", None))
            .unwrap();
        assert_eq!(text, r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
    }

    #[test]
    fn tool_result_decodes_the_recorded_shape() {
        let body = r#"{"jsonrpc":"2.0","id":5,"result":{"content":[{"type":"text","text":"{\n  \"Name\": \"a@b\"\n}"}]}}"#;
        let response: Response<CallToolResult> = serde_json::from_str(body).unwrap();
        let result = response.result.unwrap();
        assert_eq!(result.content[0].text.as_deref(), Some("{\n  \"Name\": \"a@b\"\n}"));
        assert_eq!(result.is_error, None);
    }

    #[test]
    fn error_response_decodes_without_result() {
        let body = r#"{"jsonrpc":"2.0","id":13,"error":{"code":-32602,"message":"x"}}"#;
        let response: Response<CallToolResult> = serde_json::from_str(body).unwrap();
        assert!(response.result.is_none());
        assert_eq!(response.error.unwrap().code, INVALID_PARAMS);
    }
}
