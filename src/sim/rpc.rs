//! JSON-RPC over one POST body: the checks in the order the node makes
//! them, the four methods it knows, and the error codes it answers.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::{json, Map, Value};

use super::cluster::{Cluster, Failure};
use super::{schema, wire};
use crate::protocol::{
    ToolSpec, INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR, PROTOCOL_VERSION,
};

const INSTRUCTIONS: &str =
    "Simulated Ergo Framework node (ergosh). List the tools with tools/list; \
     every tool takes `node` to run on another node of the cluster.";

/// A parsed request, as far as the server needs to know it.
pub struct Call {
    pub id: Option<Value>,
    pub method: String,
    pub params: Option<Value>,
}

impl Call {
    pub fn is_notification(&self) -> bool {
        self.method.starts_with("notifications/") && matches!(self.id, None | Some(Value::Null))
    }

    /// The tool of a `tools/call`, when the params name one.
    pub fn tool(&self) -> Option<&str> {
        if self.method != "tools/call" {
            return None;
        }
        self.params.as_ref()?.get("name")?.as_str()
    }
}

/// What to answer.
pub enum Answer {
    /// The `result` member, as chunks of compact JSON.
    Result(Vec<Bytes>),
    Error(Failure),
}

impl Answer {
    fn error(code: i64, message: impl Into<String>) -> Answer {
        Answer::Error(Failure { code, message: message.into() })
    }

    /// The `result` of a successful tool call.
    pub fn tool_text(escaped: Bytes) -> Answer {
        Answer::Result(vec![
            Bytes::from_static(br#"{"content":[{"type":"text","text":"#),
            escaped,
            Bytes::from_static(b"}]}"),
        ])
    }
}

/// Parses a body; `Err` is the whole answer (a parse or version error).
pub fn parse(body: &[u8]) -> Result<Call, (Option<Value>, Answer)> {
    let parse_error = || (None, Answer::error(PARSE_ERROR, "parse error"));
    let value: Value = serde_json::from_slice(body).map_err(|_| parse_error())?;
    let Value::Object(mut object) = value else {
        return Err(parse_error());
    };
    let id = object.remove("id");
    if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err((id, Answer::error(INVALID_REQUEST, "invalid JSON-RPC version")));
    }
    let method = object.get("method").and_then(Value::as_str).unwrap_or_default().to_string();
    let params = object.remove("params").filter(|params| !params.is_null());
    Ok(Call { id, method, params })
}

/// Answers one request (never a notification).
pub async fn answer(cluster: &Arc<Cluster>, call: Call) -> Answer {
    match call.method.as_str() {
        "initialize" => initialize(call.params.as_ref()),
        "ping" => Answer::Result(vec![Bytes::from_static(b"{}")]),
        "tools/list" => tools_list(cluster),
        "tools/call" => tools_call(cluster, call.params).await,
        other => Answer::error(METHOD_NOT_FOUND, format!("method not found: {other}")),
    }
}

fn initialize(params: Option<&Value>) -> Answer {
    if params.is_some_and(|params| !params.is_object()) {
        return Answer::error(INVALID_PARAMS, "invalid initialize params");
    }
    let result = json!({
        "protocolVersion": PROTOCOL_VERSION,
        "capabilities": {"tools": {}},
        "serverInfo": {"name": "ergosh-sim", "version": env!("CARGO_PKG_VERSION")},
        "instructions": INSTRUCTIONS,
    });
    Answer::Result(vec![Bytes::from(wire::compact(&result))])
}

fn tools_list(cluster: &Cluster) -> Answer {
    use std::sync::OnceLock;
    static LIST: OnceLock<Bytes> = OnceLock::new();
    static CHANGED: OnceLock<Bytes> = OnceLock::new();

    let encode = |specs: Vec<ToolSpec>| {
        let tools: Vec<Value> = specs
            .into_iter()
            .map(|spec| {
                json!({
                    "name": spec.name,
                    "description": spec.description,
                    "inputSchema": spec.input_schema,
                })
            })
            .collect();
        Bytes::from(wire::compact(&json!({ "tools": tools })))
    };
    let body = if cluster.tools_changed.load(Ordering::SeqCst) {
        CHANGED.get_or_init(|| encode(schema::changed_tool_specs()))
    } else {
        LIST.get_or_init(|| encode(schema::tool_specs()))
    };
    Answer::Result(vec![body.clone()])
}

async fn tools_call(cluster: &Arc<Cluster>, params: Option<Value>) -> Answer {
    let Some(Value::Object(mut params)) = params else {
        return Answer::error(INVALID_PARAMS, "invalid tools/call params");
    };
    let name = match params.remove("name") {
        Some(Value::String(name)) => name,
        None => String::new(),
        Some(_) => return Answer::error(INVALID_PARAMS, "invalid tools/call params"),
    };
    let arguments = match params.remove("arguments") {
        None | Some(Value::Null) => None,
        Some(Value::Object(arguments)) => Some(arguments),
        Some(_) => return Answer::error(INVALID_PARAMS, "invalid tools/call params"),
    };
    match cluster.call_tool(&name, arguments).await {
        Ok(text) => Answer::tool_text(cluster.escaped(&text)),
        Err(failure) => Answer::Error(failure),
    }
}

/// The arguments of a `tools/call`, for the call record.
pub fn arguments(call: &Call) -> Option<&Map<String, Value>> {
    call.params.as_ref()?.get("arguments")?.as_object()
}

/// The whole body: envelope, id and answer.
pub fn envelope(id: Option<&Value>, answer: Answer) -> Vec<Bytes> {
    let mut head = br#"{"jsonrpc":"2.0","id":"#.to_vec();
    head.extend_from_slice(&wire::encode_id(id));
    match answer {
        Answer::Result(chunks) => {
            head.extend_from_slice(br#","result":"#);
            let mut body = vec![Bytes::from(head)];
            body.extend(chunks);
            body.push(Bytes::from_static(b"}"));
            body
        }
        Answer::Error(failure) => {
            let error = json!({"code": failure.code, "message": failure.message});
            head.extend_from_slice(br#","error":"#);
            head.extend_from_slice(&wire::compact(&error));
            head.push(b'}');
            vec![Bytes::from(head)]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{envelope, parse, Answer};

    fn joined(id: Option<&serde_json::Value>, answer: Answer) -> String {
        let chunks = envelope(id, answer);
        String::from_utf8(chunks.concat()).unwrap()
    }

    #[test]
    fn batches_and_garbage_are_parse_errors() {
        for body in [&b"["[..], b"", b"[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]"] {
            let (id, answer) = parse(body).err().unwrap();
            assert_eq!(
                joined(id.as_ref(), answer),
                r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}"#
            );
        }
    }

    #[test]
    fn a_missing_version_echoes_the_id() {
        let (id, answer) = parse(br#"{"id":126,"method":"ping"}"#).err().unwrap();
        assert_eq!(
            joined(id.as_ref(), answer),
            r#"{"jsonrpc":"2.0","id":126,"error":{"code":-32600,"message":"invalid JSON-RPC version"}}"#
        );
    }

    #[test]
    fn notifications_need_the_prefix_and_no_id() {
        let call = parse(br#"{"jsonrpc":"2.0","id":null,"method":"notifications/initialized"}"#)
            .ok()
            .unwrap();
        assert!(call.is_notification());
        let call = parse(br#"{"jsonrpc":"2.0","id":3,"method":"notifications/initialized"}"#)
            .ok()
            .unwrap();
        assert!(!call.is_notification());
        let call = parse(br#"{"jsonrpc":"2.0","method":"ping"}"#).ok().unwrap();
        assert!(!call.is_notification());
    }
}
