//! Application tools (`app_list`, `app_info`, `app_processes`) and
//! `meta_inspect`.

use serde_json::{json, Map, Value};

use super::args::{parse_alias, Args};
use super::node::Node;
use super::tools_process::{invalid, rows_or_null};
use super::ToolReply;

/// Answers the tools of this module; `None` for any other tool.
pub fn call(node: &mut Node, now: i64, tool: &str, args: &Map<String, Value>) -> Option<ToolReply> {
    let reply = match tool {
        "meta_inspect" => meta_inspect(node, args),
        "app_list" => app_list(node, now, args),
        "app_info" => app_info(node, now, args),
        "app_processes" => app_processes(node, now, args),
        _ => return None,
    };
    Some(reply)
}

fn meta_inspect(node: &Node, args: &Map<String, Value>) -> ToolReply {
    let mut decoded = Args::strict(args, "metaInspectParams");
    let alias = decoded.string("alias");
    decoded.strings("items");
    if let Err(error) = decoded.finish() {
        return invalid(error);
    }
    let numbers = match parse_alias(&alias) {
        Ok(numbers) => numbers,
        Err(error) => return invalid(format!("invalid alias: {error}")),
    };
    match find_meta(node, numbers) {
        Some(index) => ToolReply::Json(node.metas[index].inspect.clone()),
        None => invalid("meta_inspect: unknown meta process".to_string()),
    }
}

/// The meta process whose alias has these numbers.
pub fn find_meta(node: &Node, numbers: [u64; 3]) -> Option<usize> {
    node.metas.iter().position(|meta| parse_alias(&meta.alias).ok() == Some(numbers))
}

fn app_members(node: &Node, app: &str, direct_only: bool) -> Vec<u64> {
    node.processes
        .values()
        .filter(|process| process.application == app && (!direct_only || process.parent == 1))
        .map(|process| process.id)
        .collect()
}

fn app_list(node: &Node, now: i64, args: &Map<String, Value>) -> ToolReply {
    let mut decoded = Args::lenient(args, "appListParams");
    let state = decoded.string("state");
    let mode = decoded.string("mode");
    let name = decoded.string("name");
    let min_uptime = decoded.int("min_uptime", "int64");

    let mut result = Vec::new();
    for app in &node.apps {
        let uptime = (now - app.born_ms) / 1000;
        if (!state.is_empty() && !"running".eq_ignore_ascii_case(&state))
            || (!mode.is_empty() && !app.mode.eq_ignore_ascii_case(&mode))
            || (!name.is_empty() && !app.name.contains(&name))
            || (min_uptime > 0 && uptime < min_uptime)
        {
            continue;
        }
        let mut row = Map::new();
        row.insert("name".into(), json!(app.name));
        row.insert("state".into(), json!("running"));
        row.insert("mode".into(), json!(app.mode));
        if !app.description.is_empty() {
            row.insert("description".into(), json!(app.description));
        }
        if !app.release.is_empty() {
            row.insert("version".into(), json!(app.release));
        }
        row.insert("uptime".into(), json!(uptime));
        if app.weight != 0 {
            row.insert("weight".into(), json!(app.weight));
        }
        row.insert("processes".into(), json!(app_members(node, &app.name, true).len()));
        result.push(Value::Object(row));
    }
    ToolReply::Json(Value::Array(result))
}

fn app_info(node: &Node, now: i64, args: &Map<String, Value>) -> ToolReply {
    let mut decoded = Args::strict(args, "appInfoParams");
    let name = decoded.string("name");
    if let Err(error) = decoded.finish() {
        return invalid(error);
    }
    let Some(app) = node.apps.iter().find(|app| app.name == name) else {
        return invalid("app_info: unknown application".to_string());
    };
    let mut env: Vec<(String, String)> = node.env.clone();
    env.extend(app.env.iter().cloned());
    env.sort();
    let env: Map<String, Value> =
        env.into_iter().map(|(key, value)| (key, Value::String(value))).collect();
    let group: Vec<String> =
        app_members(node, &app.name, true).into_iter().map(|id| node.pid(id)).collect();
    ToolReply::Json(json!({
        "Name": app.name,
        "Weight": app.weight,
        "Description": app.description,
        "Version": {"Name": app.name, "Release": app.release, "Commit": "", "License": "MIT"},
        "Env": env,
        "Depends": {"Applications": [], "Network": false},
        "Mode": app.mode,
        "State": "running",
        "Parent": "",
        "Uptime": (now - app.born_ms) / 1000,
        "Group": group
    }))
}

fn app_processes(node: &Node, now: i64, args: &Map<String, Value>) -> ToolReply {
    let mut decoded = Args::strict(args, "appProcessesParams");
    let name = decoded.string("name");
    let mut limit = decoded.int("limit", "int");
    if let Err(error) = decoded.finish() {
        return invalid(error);
    }
    if limit < 1 {
        limit = 100;
    }
    if !node.apps.iter().any(|app| app.name == name) {
        return invalid("app_processes: unknown application".to_string());
    }
    let mut members = app_members(node, &name, false);
    members.truncate(limit as usize);
    rows_or_null(node, now, &members)
}
