//! Counters agree as time passes, argument quirks, scale mode, large
//! clusters, and actions that change the state.

use serde_json::{json, Map, Value};

use super::*;
use crate::sim::world::pretty_go;

#[test]
fn counters_stay_consistent_as_time_passes() {
    let mut world = world();
    let mut previous: Option<Value> = None;
    for minute in 1..=10 {
        world.advance_to(minute * 60_000);
        for node in world.node_names() {
            let info = json_of(&mut world, &node, "node_info", json!({}));
            let alive = number(&info, "ProcessesSpawned") - number(&info, "ProcessesTerminated");
            assert_eq!(alive, number(&info, "ProcessesTotal"), "{node}");
            assert_eq!(info["LogMessages"].as_array().map(Vec::len), Some(6));
        }
        let info = json_of(&mut world, SHOP, "node_info", json!({}));
        if let Some(before) = &previous {
            for key in
                ["ProcessesSpawned", "ProcessesTerminated", "EventsPublished", "UserTime", "Uptime"]
            {
                assert!(number(&info, key) >= number(before, key), "{key} went down");
            }
            let sums = |value: &Value| {
                rows(&value["LogMessages"])
                    .iter()
                    .map(|count| count.as_f64().unwrap_or(0.0))
                    .sum::<f64>()
            };
            assert!(sums(&info) > sums(before));
        }
        previous = Some(info);
    }
}

#[test]
fn process_list_quirks_follow_the_node() {
    let mut world = World::new(&SimOptions { processes: Some(400), ..SimOptions::test() });
    let count = |world: &mut World, arguments: Value| {
        rows(&json_of(world, SHOP, "process_list", arguments)).len()
    };
    assert_eq!(count(&mut world, json!({})), 100);
    assert_eq!(count(&mut world, json!({"limit": 0})), 100);
    assert_eq!(count(&mut world, json!({"limit": "five"})), 100);
    assert!(count(&mut world, json!({"limit": -1})) >= 400);
    assert_eq!(count(&mut world, json!({"limit": 3, "sort_by": "mailbox", "state": 7})), 3);
    let message = error_of(&mut world, SHOP, "process_list", json!({"sort_by": "mailbox_latency"}));
    assert!(message.contains("-tags=latency"));
    let row = &rows(&json_of(&mut world, SHOP, "process_list", json!({"limit": 1})))[0];
    assert_eq!(row["MailboxLatency"], -1);
}

#[test]
fn scale_mode_renders_every_process_once_with_go_escapes() {
    let mut world = World::new(&SimOptions { processes: Some(100_000), ..SimOptions::test() });
    let ToolReply::Rendered(first) = world.call(SHOP, "process_list", &args(json!({"limit": -1})))
    else {
        panic!("scale mode did not render");
    };
    let ToolReply::Rendered(second) = world.call(SHOP, "process_list", &args(json!({"limit": -1})))
    else {
        panic!("scale mode did not render twice");
    };
    assert!(std::sync::Arc::ptr_eq(&first, &second));
    assert!(first.contains("\"PID\": \"\\u003c") && !first.contains('<'));
    assert_eq!(first.matches("\"PID\":").count(), 100_000);
    assert_eq!(rows(&json_of(&mut world, SHOP, "process_list", json!({}))).len(), 100);
}

#[test]
fn an_hour_of_ticks_is_cheap() {
    let mut world = world();
    let started = std::time::Instant::now();
    world.advance_to(3_600_000);
    let elapsed = started.elapsed();
    // Debug builds are slow; release takes a fraction of this.
    assert!(elapsed.as_secs_f64() < 3.0, "an hour took {elapsed:?}");
    let info = json_of(&mut world, SHOP, "node_info", json!({}));
    assert!(number(&info, "Uptime") >= 3_600.0);
}

#[test]
fn large_clusters_are_light_and_consistent() {
    let mut world = World::new(&SimOptions { nodes: 120, ..SimOptions::test() });
    world.advance_to(60_000);
    let names = world.node_names();
    assert_eq!(names.len(), 120);
    assert_eq!(names[3], "node4@localhost");
    let cluster = rows(&json_of(&mut world, "node50@localhost", "cluster_nodes", json!({})));
    assert_eq!(cluster.len(), 120);
    assert_eq!(cluster[0]["status"], "self");
    assert_eq!(cluster[1]["name"], SHOP);
    let ping = text_of(&mut world, "node50@localhost", "network_ping", json!({"name": SHOP}));
    assert!(ping.starts_with("ping shop@localhost: rtt ") && ping.ends_with("ms"));
}

#[test]
fn actions_change_the_state() {
    let mut world = world();
    let made = json_of(
        &mut world,
        SHOP,
        "call_process",
        json!({"to": "throwaway_factory", "type_name": "SpawnThrowaway", "request": {"count": 2}}),
    );
    let pids: Vec<String> =
        rows(&made).iter().filter_map(|pid| pid.as_str().map(str::to_string)).collect();
    assert_eq!(pids.len(), 2);
    let exit =
        text_of(&mut world, SHOP, "send_exit", json!({"pid": pids[0], "reason": "shutdown"}));
    assert_eq!(exit, format!("exit signal sent to {} (reason: shutdown)", pids[0]));
    assert_eq!(
        text_of(&mut world, SHOP, "process_kill", json!({"pid": pids[1]})),
        format!("process {} killed", pids[1])
    );
    for pid in &pids {
        assert_eq!(
            error_of(&mut world, SHOP, "process_state", json!({"pid": pid})),
            "process_state: unknown process"
        );
    }

    let running = pid_of(&mut world, SHOP, "checkout_worker");
    text_of(&mut world, SHOP, "process_kill", json!({"pid": running}));
    assert_eq!(text_of(&mut world, SHOP, "process_state", json!({"pid": running})), "zombee");

    text_of(&mut world, SHOP, "log_level_set", json!({"target": "order_desk", "level": "error"}));
    let level = text_of(&mut world, SHOP, "log_level_get", json!({"target": "order_desk"}));
    assert!(level.ends_with("log level: error"), "{level}");
    assert_eq!(
        error_of(&mut world, SHOP, "log_level_set", json!({"level": "loud"})),
        "unknown log level: loud"
    );

    let reply = json_of(
        &mut world,
        SHOP,
        "call_process",
        json!({"to": "order_desk", "type_name": "ShopOrder", "request": {"id": 7, "item": "tea"}}),
    );
    let keys: Vec<&String> = reply.as_object().map(|map| map.keys().collect()).unwrap_or_default();
    assert_eq!(keys, ["order_id", "accepted", "queue", "message"]);
    let timed_out = world.call(
        SHOP,
        "call_process",
        &args(json!({"to": "audit_sink", "request": {"q": 1}, "timeout": 1})),
    );
    assert!(matches!(&timed_out, ToolReply::Hold { seconds, .. } if *seconds == 1.0));
    assert!(
        matches!(settle(timed_out), ToolReply::Error(message) if message == "call_process: timed out")
    );
}

#[test]
fn a_disconnected_peer_comes_back_with_a_new_connection() {
    let mut world = world();
    world.advance_to(10_000);
    assert_eq!(
        text_of(&mut world, SHOP, "network_disconnect", json!({"name": BACKEND})),
        "disconnected from backend@localhost"
    );
    let peers = rows(&json_of(&mut world, SHOP, "network_nodes", json!({})));
    assert!(named(&peers, BACKEND).is_null());
    world.advance_to(12_000);
    let peers = rows(&json_of(&mut world, SHOP, "network_nodes", json!({})));
    assert_eq!(named(&peers, BACKEND)["ConnectionUptime"], 0);
    assert!(named(&peers, BACKEND)["PoolDSN"].is_null());
    world.advance_to(13_000);
    let peers = rows(&json_of(&mut world, SHOP, "network_nodes", json!({})));
    assert_eq!(named(&peers, BACKEND)["ConnectionUptime"], 1);
    let error =
        error_of(&mut world, SHOP, "network_disconnect", json!({"name": "ghost@localhost"}));
    assert_eq!(error, "node ghost@localhost not connected: no connection");
}

#[test]
fn pid_lookup_works_only_on_the_pprof_node() {
    let mut world = world();
    let pid = pid_of(&mut world, SHOP, "checkout_worker");
    let error = error_of(&mut world, SHOP, "pprof_goroutines", json!({"pid": pid}));
    assert!(error.contains("-tags=pprof"));
    let worker = pid_of(&mut world, PAYMENTS, "settlement_worker");
    let trace = text_of(&mut world, PAYMENTS, "pprof_goroutines", json!({"pid": worker}));
    assert!(trace.contains("settlementWorker"));
    let sleeper = pid_of(&mut world, PAYMENTS, "payout_scheduler");
    let error = error_of(&mut world, PAYMENTS, "pprof_goroutines", json!({"pid": sleeper}));
    assert!(error.contains("pprof IS enabled"));
}

#[test]
fn pretty_go_output_parses_back() {
    let mut world = world();
    let pid = pid_of(&mut world, SHOP, "checkout_worker");
    let info = json_of(&mut world, SHOP, "process_info", json!({"pid": pid}));
    let text = pretty_go(&info);
    assert!(text.contains("\\u003c"));
    assert_eq!(serde_json::from_str::<Value>(&text).ok(), Some(info));
}

#[test]
fn the_supervisor_restarts_a_child_someone_stopped() {
    let mut world = world();
    let pid = pid_of(&mut world, SHOP, "billing_gw");
    text_of(&mut world, SHOP, "send_exit", json!({"pid": pid}));
    assert!(error_of(&mut world, SHOP, "process_lookup", json!({"name": "billing_gw"}))
        .contains("unknown"));
    world.advance_to(4_000);
    assert_ne!(pid_of(&mut world, SHOP, "billing_gw"), pid);
}

#[test]
fn small_clusters_plant_what_fits() {
    for nodes in [1, 2] {
        let mut world = World::new(&SimOptions { nodes, ..SimOptions::test() });
        world.advance_to(30_000);
        let planted = world.planted();
        let network = planted
            .iter()
            .filter(|plant| plant.scenario == "flapping_peer" || plant.scenario == "message_loss");
        assert_eq!(network.count(), if nodes == 1 { 0 } else { 2 });
        assert!(planted.iter().any(|plant| plant.scenario == "goroutine_leak"));
        for node in world.node_names() {
            for tool in
                ["node_info", "network_nodes", "cluster_nodes", "runtime_stats", "process_list"]
            {
                assert!(
                    !matches!(world.call(&node, tool, &Map::new()), ToolReply::Error(_)),
                    "{tool} on {node}"
                );
            }
        }
    }
}

#[test]
fn strict_tools_reject_wrong_types_with_go_messages() {
    let mut world = world();
    let message = error_of(&mut world, SHOP, "process_info", json!({"pid": 42}));
    assert_eq!(
        message,
        "invalid params: json: cannot unmarshal number into Go struct field processInfoParams.pid of type string"
    );
    let message =
        error_of(&mut world, SHOP, "app_processes", json!({"name": "storefront", "limit": "ten"}));
    assert!(message.contains("appProcessesParams.limit of type int"), "{message}");
    let message = error_of(&mut world, SHOP, "process_info", json!({}));
    assert_eq!(message, "invalid pid: incorrect PID format, expected <crc.high.low>");
    assert!(!json_of(&mut world, SHOP, "event_list", json!({"limit": "x"})).is_null());
    let unknown = error_of(&mut world, SHOP, "message_type_info", json!({"type_name": "Nope"}));
    assert_eq!(unknown, "type not found: Nope. Use message_types to list registered types");
}
