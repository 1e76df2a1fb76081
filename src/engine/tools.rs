//! Every tool of the catalog as a Rhai function, and the one path every
//! call takes: node default, schema check, action policy, guards, call.

use std::sync::Arc;

use rhai::{Array, Dynamic, Engine, EvalAltResult, ImmutableString, Map};

use super::cluster;
use super::guard;
use super::policy::{self, Decision};
use super::state::Shared;
use crate::bindings::{nearest, CallError, Caller, Catalog, ParamKind, ToolSchema};
use crate::mcp::McpError;

type CallResult = Result<Dynamic, Box<EvalAltResult>>;

/// Tools whose functions the sampler module provides (returning a Sampler).
pub(crate) const SAMPLER_TOOLS: &[&str] = &["sample_start", "sample_listen"];

/// Put the current node into `args` unless the call names one.
pub(crate) fn fill_node(shared: &Shared, args: &mut Map) {
    let named = args.get("node").is_some_and(|n| !n.is_unit());
    if named {
        return;
    }
    args.remove("node");
    if let Some(node) = cluster::current_node(shared) {
        args.insert("node".into(), node.into());
    }
}

/// Call a tool by name through the whole path.
pub(crate) fn call(shared: &Shared, tool: &str, mut args: Map) -> CallResult {
    let caller = shared.caller();
    let mut catalog = caller.catalog();
    if catalog.get(tool).is_none() {
        // The server may have gained the tool since connect: look again once.
        catalog = refreshed(shared, &caller).unwrap_or(catalog);
    }
    let Some(schema) = catalog.get(tool) else {
        return Err(shared.call_failed(unknown_tool(&catalog, tool)));
    };

    fill_node(shared, &mut args);
    if tool == "sample_start" || tool == "sample_listen" {
        if let Some(warning) = guard::bound_duration(&mut args) {
            shared.frontend.warn(&warning);
        }
    }
    let arguments = schema.check(&args).map_err(|e| shared.call_failed(CallError::Args(e)))?;

    authorize(shared, tool, &args)?;
    warn_before(shared, tool, &args);

    let label = match args.get("node") {
        Some(node) => format!("{tool} on {node}"),
        None => tool.to_string(),
    };
    shared.frontend.call_started(&label);
    let result = caller.call(tool, arguments);
    shared.frontend.call_finished();
    if result.as_ref().is_err_and(|error| is_unknown_to_server(error, tool)) {
        // The server dropped the tool since connect: rebind before the next line.
        refreshed(shared, &caller);
    }
    result.map_err(|error| shared.call_failed(error))
}

/// Fetches the tool list again; flags the session for rebinding when it
/// changed.
pub(crate) fn refreshed(shared: &Shared, caller: &Caller) -> Option<Arc<Catalog>> {
    let before: Vec<String> = caller.catalog().names().map(str::to_string).collect();
    let catalog = caller.refresh().ok()?;
    if !catalog.names().eq(before.iter().map(String::as_str)) {
        tracing::debug!(tools = catalog.len(), "the server's tool list changed");
        shared.tools_changed.store(true, std::sync::atomic::Ordering::SeqCst);
    }
    Some(catalog)
}

/// Whether the server answered that it has no such tool.
fn is_unknown_to_server(error: &CallError, tool: &str) -> bool {
    matches!(error, CallError::Mcp(McpError::Rpc { message, .. })
        if message.starts_with("unknown tool") && message.contains(tool))
}

/// The policy for action tools, and for samplers that would call one.
fn authorize(shared: &Shared, tool: &str, args: &Map) -> Result<(), Box<EvalAltResult>> {
    let sampled =
        (tool == "sample_start").then(|| args.get("tool").map(|t| t.to_string())).flatten();
    let action = if shared.is_action(tool) {
        tool.to_string()
    } else {
        match sampled {
            Some(inner) if shared.is_action(&inner) => inner,
            _ => return Ok(()),
        }
    };

    let text = policy::call_text(tool, args);
    match policy::decide(&shared.policy, &action, &text, shared.frontend.as_ref()) {
        Decision::Run => Ok(()),
        Decision::Refuse(message) => Err(shared.refused(message)),
    }
}

/// Warn about the handbook's mistakes before the call runs.
fn warn_before(shared: &Shared, tool: &str, args: &Map) {
    let fanned_out = cluster::is_fanned_out();
    let messages = {
        let mut state = shared.guard();
        guard::warnings(&mut state, tool, args, fanned_out, |node| is_remote(shared, node))
    };
    for message in messages {
        shared.frontend.warn(&message);
    }
}

/// Whether `node` is not the entry node; asks `cluster_nodes` once.
fn is_remote(shared: &Shared, node: &str) -> bool {
    let known = shared.entry_node().clone();
    let entry = match known {
        Some(entry) => entry,
        None => {
            let entry = entry_node_name(shared);
            *shared.entry_node() = Some(entry.clone());
            entry
        }
    };
    entry.as_deref() != Some(node)
}

fn entry_node_name(shared: &Shared) -> Option<String> {
    let listed = shared.caller().call("cluster_nodes", serde_json::Map::new()).ok()?;
    let rows = listed.into_array().ok()?;
    rows.iter().find_map(|row| {
        let map = row.as_map_ref().ok()?;
        let is_self = map.get("status").is_some_and(|s| s.to_string() == "self");
        is_self.then(|| map.get("name").map(|n| n.to_string())).flatten()
    })
}

fn unknown_tool(catalog: &Catalog, name: &str) -> CallError {
    CallError::UnknownTool {
        name: name.to_string(),
        suggestion: nearest(name, catalog.names()).map(str::to_string),
    }
}

/// The single required string parameter, when the tool has exactly one
/// required parameter and it is a string: `process_info("<A.0.1>")`.
pub(crate) fn single_string_param(schema: &ToolSchema) -> Option<String> {
    let mut required = schema.params.iter().filter(|p| p.required);
    let only = required.next()?;
    if required.next().is_some() || !matches!(only.kind, ParamKind::String) {
        return None;
    }
    Some(only.name.clone())
}

/// Whether a tool name can be called as a function (else only `tool()`).
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// One map argument, or `#{param: value}` for the string shorthand.
fn shorthand(param: &str, value: ImmutableString) -> Map {
    let mut args = Map::new();
    args.insert(param.into(), value.into());
    args
}

/// Register every catalog tool, `tool(...)`, `has_tool`, `tools`.
pub(crate) fn register(
    engine: &mut Engine,
    shared: &Arc<Shared>,
    catalog: &Catalog,
    names_out: &mut Vec<String>,
) {
    for schema in catalog.schemas() {
        let name = schema.name.clone();
        if SAMPLER_TOOLS.contains(&name.as_str()) || !is_identifier(&name) {
            continue;
        }

        let (s, n) = (shared.clone(), name.clone());
        engine.register_fn(&name, move || call(&s, &n, Map::new()));
        let (s, n) = (shared.clone(), name.clone());
        engine.register_fn(&name, move |args: Map| call(&s, &n, args));
        if let Some(param) = single_string_param(schema) {
            let (s, n) = (shared.clone(), name.clone());
            engine.register_fn(&name, move |value: ImmutableString| {
                call(&s, &n, shorthand(&param, value))
            });
        }
        names_out.push(name);
    }

    let s = shared.clone();
    engine.register_fn("tool", move |name: &str| call(&s, name, Map::new()));
    let s = shared.clone();
    engine.register_fn("tool", move |name: &str, args: Map| call(&s, name, args));

    let s = shared.clone();
    engine.register_fn("has_tool", move |name: &str| s.caller().catalog().get(name).is_some());
    let s = shared.clone();
    engine.register_fn("tools", move || -> Array {
        s.caller().catalog().names().map(|n| Dynamic::from(n.to_string())).collect()
    });
    names_out.extend(["tool", "has_tool", "tools"].map(String::from));
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::protocol::ToolSpec;

    fn schema(input: serde_json::Value) -> ToolSchema {
        let spec = ToolSpec { name: "t".into(), description: String::new(), input_schema: input };
        ToolSchema::from_spec(&spec)
    }

    #[test]
    fn string_shorthand_only_for_one_required_string() {
        let one = schema(json!({"type": "object", "required": ["pid"],
            "properties": {"pid": {"type": "string"}, "node": {"type": "string"}}}));
        assert_eq!(single_string_param(&one), Some("pid".to_string()));

        let two = schema(json!({"type": "object", "required": ["to", "message"],
            "properties": {"to": {"type": "string"}, "message": {"type": "object"}}}));
        assert_eq!(single_string_param(&two), None);

        let number = schema(json!({"type": "object", "required": ["port"],
            "properties": {"port": {"type": "integer"}}}));
        assert_eq!(single_string_param(&number), None);

        let none = schema(json!({"type": "object", "properties": {"node": {"type": "string"}}}));
        assert_eq!(single_string_param(&none), None);
    }
}
