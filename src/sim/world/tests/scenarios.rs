//! Each planted trouble is visible in the metrics its playbook reads, and
//! a healthy cluster is calm.

use serde_json::{json, Value};

use super::*;
use crate::sim::SCENARIOS;

#[test]
fn every_scenario_is_planted_and_named() {
    let planted = world().planted();
    for scenario in SCENARIOS {
        assert!(planted.iter().any(|plant| plant.scenario == *scenario), "{scenario} not planted");
    }
    assert!(planted.iter().all(|plant| !plant.culprit.is_empty() && !plant.detail.is_empty()));
    assert!(healthy().planted().is_empty());
}

#[test]
fn overload_and_slow_callback_differ_in_drain() {
    let mut world = world();
    world.advance_to(30_000);
    let top =
        rows(&json_of(&mut world, SHOP, "process_list", json!({"sort_by": "mailbox", "limit": 5})));
    let overloaded = named(&top, "checkout_worker");
    let slow = named(&top, "report_builder");
    assert_eq!(top[0]["Name"], "checkout_worker");
    assert!(number(overloaded, "MessagesMailbox") > 1_000.0);
    assert!(drain(overloaded) > 10.0);
    assert!(number(slow, "MessagesMailbox") > 1_000.0);
    assert!(drain(slow) < 1.6);
    let per_message_ns = number(slow, "RunningTime") / number(slow, "MessagesIn");
    assert!(per_message_ns > 10e6, "slow callback takes {per_message_ns}ns per message");

    let by_drain =
        rows(&json_of(&mut world, SHOP, "process_list", json!({"sort_by": "drain", "limit": 1})));
    assert_eq!(by_drain[0]["Name"], "checkout_worker");
}

#[test]
fn process_leak_piles_nameless_children_under_one_parent() {
    let mut world = world();
    let before = json_of(&mut world, SHOP, "node_info", json!({}));
    let children_before =
        rows(&json_of(&mut world, SHOP, "process_children", json!({"parent": "session_manager"})))
            .len();
    world.advance_to(120_000);
    let after = json_of(&mut world, SHOP, "node_info", json!({}));
    let children =
        rows(&json_of(&mut world, SHOP, "process_children", json!({"parent": "session_manager"})));

    assert!(children.len() >= children_before + 55);
    assert!(children.iter().all(|child| child["Name"] == ""));
    let alive =
        |info: &Value| number(info, "ProcessesSpawned") - number(info, "ProcessesTerminated");
    assert!(alive(&after) - alive(&before) >= 55.0);
    assert_eq!(alive(&after), number(&after, "ProcessesTotal"));
}

#[test]
fn restart_loop_shows_young_child_errors_and_restart_count() {
    let mut world = world();
    let inspect = |world: &mut World| {
        let pid = pid_of(world, SHOP, "billing_sup");
        let value = json_of(world, SHOP, "process_inspect", json!({"pid": pid}));
        value["restarts_count"].as_str().unwrap_or("0").parse::<u64>().unwrap_or(0)
    };
    let restarts_before = inspect(&mut world);
    let seq = world.logs_since(SHOP, 0).last().map_or(0, |(seq, _)| *seq);
    world.advance_to(30_000);

    let young = rows(&json_of(
        &mut world,
        SHOP,
        "process_list",
        json!({"max_uptime": 5, "name": "billing"}),
    ));
    assert_eq!(young.len(), 1);
    assert!(inspect(&mut world) >= restarts_before + 9);
    let crashes: Vec<_> = world
        .logs_since(SHOP, seq)
        .into_iter()
        .filter(|(_, line)| line.level == "error" && line.message.contains("(crash #"))
        .collect();
    assert!(crashes.len() >= 18);
    assert!(crashes[0].1.source.contains("('billing_gw')"));
}

#[test]
fn zombies_have_a_parent_stuck_running() {
    let mut world = world();
    let zombies = rows(&json_of(&mut world, SHOP, "process_list", json!({"state": "zombee"})));
    assert_eq!(zombies.len(), 3);
    let parent = zombies[0]["Parent"].as_str().unwrap_or_default().to_string();
    assert_eq!(text_of(&mut world, SHOP, "process_state", json!({"pid": parent})), "running");
    let info = json_of(&mut world, SHOP, "node_info", json!({}));
    assert_eq!(info["ProcessesZombee"], 3);
}

#[test]
fn memory_grows_across_collections_with_an_allocator_on_top() {
    let mut world = world();
    let mut lows = Vec::new();
    let mut last_gc =
        json_of(&mut world, SHOP, "runtime_stats", json!({}))["num_gc"].as_u64().unwrap_or(0);
    for second in 1..=600 {
        world.advance_to(second * 1_000);
        let stats = json_of(&mut world, SHOP, "runtime_stats", json!({}));
        if stats["num_gc"].as_u64() != Some(last_gc) {
            last_gc = stats["num_gc"].as_u64().unwrap_or(0);
            lows.push(number(&stats, "heap_alloc"));
        }
    }
    assert!(lows.len() >= 4, "only {} collections", lows.len());
    assert!(lows.last() > lows.first().map(|low| low * 1.5).as_ref());
    let heap = text_of(&mut world, SHOP, "pprof_heap", json!({"limit": 3}));
    let top = heap.lines().nth(3).unwrap_or_default();
    assert!(top.contains("inventoryCache"), "{heap}");
}

#[test]
fn stuck_call_waits_and_its_goroutine_sits_in_call() {
    let mut world = world();
    world.advance_to(300_000);
    let waiting =
        rows(&json_of(&mut world, SHOP, "process_list", json!({"state": "wait response"})));
    assert_eq!(waiting.len(), 1);
    assert!(number(&waiting[0], "Uptime") >= 300.0);
    assert!(json_of(&mut world, SHOP, "process_list", json!({"state": "wait_response"})).is_null());
    let behavior =
        waiting[0]["Behavior"].as_str().unwrap_or_default().trim_start_matches("main.").to_string();
    let dump = text_of(&mut world, SHOP, "pprof_goroutines", json!({"filter": behavior}));
    assert!(dump.contains("matched 1"), "{dump}");
    assert!(dump.contains("(*process).Call"), "{dump}");
}

#[test]
fn flapping_peer_keeps_a_short_connection_uptime() {
    let mut world = world();
    let mut connection_uptimes = Vec::new();
    for second in (10..=300).step_by(7) {
        world.advance_to(second * 1_000);
        let peers = rows(&json_of(&mut world, SHOP, "network_nodes", json!({})));
        let payments = named(&peers, PAYMENTS);
        connection_uptimes.push(number(payments, "ConnectionUptime"));
        assert!(number(payments, "Uptime") > 60.0);
    }
    assert!(connection_uptimes.iter().all(|uptime| *uptime < 16.0));
    assert!(connection_uptimes.windows(2).any(|pair| pair[1] < pair[0]));
    let peers = rows(&json_of(&mut world, SHOP, "network_nodes", json!({})));
    assert!(number(named(&peers, BACKEND), "ConnectionUptime") > 250.0);
}

#[test]
fn message_loss_is_one_way() {
    let mut world = world();
    let sent = |world: &mut World| {
        number(
            named(&rows(&json_of(world, SHOP, "network_nodes", json!({}))), BACKEND),
            "MessagesOut",
        )
    };
    let received = |world: &mut World| {
        number(
            named(&rows(&json_of(world, BACKEND, "network_nodes", json!({}))), SHOP),
            "MessagesIn",
        )
    };
    let (sent_before, received_before) = (sent(&mut world), received(&mut world));
    world.advance_to(60_000);
    assert!(sent(&mut world) > sent_before + 100.0);
    assert_eq!(received(&mut world), received_before);

    let back_sent = number(
        named(&rows(&json_of(&mut world, BACKEND, "network_nodes", json!({}))), SHOP),
        "MessagesOut",
    );
    let back_received = number(
        named(&rows(&json_of(&mut world, SHOP, "network_nodes", json!({}))), BACKEND),
        "MessagesIn",
    );
    assert_eq!(back_sent, back_received);
}

#[test]
fn events_without_subscribers_or_publisher() {
    let mut world = world();
    world.advance_to(10_000);
    let lonely = rows(&json_of(
        &mut world,
        SHOP,
        "event_list",
        json!({"utilization_state": "no_subscribers"}),
    ));
    assert_eq!(lonely.len(), 1);
    assert!(lonely[0]["Event"].as_str().unwrap_or_default().ends_with(":orders>"));
    let waiting = rows(&json_of(
        &mut world,
        SHOP,
        "event_list",
        json!({"utilization_state": "no_publishing"}),
    ));
    assert_eq!(waiting.len(), 1);
    assert!(number(&waiting[0], "Subscribers") > 0.0);

    let published = world.publications_since(SHOP, "orders", 0);
    assert!(published.len() >= 60);
    assert_eq!(published[0].1["event"], "'orders'@'shop@localhost'");
    assert!(published[0].1["message"]["Seq"].is_number());
}

#[test]
fn goroutine_leak_grows_one_stack() {
    let mut world = world();
    let count = |world: &mut World| {
        number(&json_of(world, BACKEND, "runtime_stats", json!({})), "goroutines")
    };
    let before = count(&mut world);
    world.advance_to(120_000);
    assert!(count(&mut world) >= before + 55.0);
    let summary = text_of(&mut world, BACKEND, "pprof_goroutines", json!({"debug": 1, "limit": 1}));
    let block = summary.lines().nth(3).unwrap_or_default();
    let leading: u64 =
        block.split_whitespace().next().and_then(|word| word.parse().ok()).unwrap_or(0);
    assert!(leading > 60, "{summary}");
    assert!(summary.contains("webhookDispatcher"));
}

#[test]
fn healthy_cluster_is_calm() {
    let mut world = healthy();
    let seq = world.logs_since(SHOP, 0).last().map_or(0, |(seq, _)| *seq);
    let mut lows = Vec::new();
    let mut last_gc =
        json_of(&mut world, SHOP, "runtime_stats", json!({}))["num_gc"].as_u64().unwrap_or(0);
    for second in 1..=600 {
        world.advance_to(second * 1_000);
        let stats = json_of(&mut world, SHOP, "runtime_stats", json!({}));
        if stats["num_gc"].as_u64() != Some(last_gc) {
            last_gc = stats["num_gc"].as_u64().unwrap_or(0);
            lows.push(number(&stats, "heap_alloc"));
        }
    }
    let highest = lows.iter().cloned().fold(0.0, f64::max);
    let lowest = lows.iter().cloned().fold(f64::MAX, f64::min);
    assert!(highest < lowest * 1.1, "heap lows {lows:?}");

    for node in world.node_names() {
        let processes = rows(&json_of(&mut world, &node, "process_list", json!({"limit": -1})));
        assert!(
            processes.iter().all(|row| number(row, "MessagesMailbox") < 50.0),
            "{node} has a deep mailbox"
        );
        assert!(processes
            .iter()
            .all(|row| row["State"] != "zombee" && row["State"] != "wait response"));
        let peers = rows(&json_of(&mut world, &node, "network_nodes", json!({})));
        assert!(peers.iter().all(|peer| number(peer, "ConnectionUptime") > 500.0));
        let events = rows(&json_of(&mut world, &node, "event_list", json!({})));
        let utilization = ["no_subscribers", "no_publishing"];
        assert!(events.iter().all(|event| !utilization.contains(&event_state(event))));
    }
    let loud: Vec<_> =
        world.logs_since(SHOP, seq).into_iter().filter(|(_, line)| line.level != "info").collect();
    assert!(loud.is_empty(), "{loud:?}");
    let goroutines = |world: &mut World| {
        number(&json_of(world, BACKEND, "runtime_stats", json!({})), "goroutines")
    };
    let now = goroutines(&mut world);
    world.advance_to(700_000);
    assert_eq!(goroutines(&mut world), now);
}

fn event_state(event: &Value) -> &'static str {
    let (published, subscribers) =
        (number(event, "MessagesPublished"), number(event, "Subscribers"));
    match (published > 0.0, subscribers > 0.0) {
        (true, false) => "no_subscribers",
        (false, true) => "no_publishing",
        _ => "fine",
    }
}
