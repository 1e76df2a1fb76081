//! Samplers over real HTTP: active samplers with `count`, `duration_sec`,
//! `buffer_size`, `since`, `linger_sec` and stop; passive ones on log
//! lines and event publications; samplers on another node of the cluster.

mod sim_support;

use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sim_support::{call, error, fast, json_text, manual, text};

fn start_sampler(address: SocketAddr, arguments: Value) -> String {
    let answer = call(address, "sample_start", arguments);
    json_text(&answer)["sampler_id"].as_str().unwrap_or_else(|| panic!("{answer}")).to_string()
}

fn read(address: SocketAddr, id: &str, since: u64) -> Value {
    json_text(&call(address, "sample_read", json!({"sampler_id": id, "since": since})))
}

fn sequences(read: &Value) -> Vec<u64> {
    read["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|sample| sample["sequence"].as_u64().unwrap())
        .collect()
}

#[test]
fn an_active_sampler_stops_after_count_successes() {
    let (_sim, address, control) = manual();
    let id = start_sampler(address, json!({"tool": "node_info", "interval_ms": 1000, "count": 3}));
    assert!(id.starts_with("mcp_sampler_") && id.len() == 20, "{id}");
    control.advance(Duration::from_secs(10));
    let answer = read(address, &id, 0);
    assert_eq!(sequences(&answer), [1, 2, 3]);
    assert_eq!(answer["completed"], true);
    assert_eq!(answer["mode"], "active");
    assert_eq!(answer["tool"], "node_info");
    assert_eq!(answer["sequence"], 4, "the next sequence number");
    let data = &answer["samples"][0]["data"];
    let inner: Value = serde_json::from_str(data["content"][0]["text"].as_str().unwrap()).unwrap();
    assert!(inner.is_object());
    assert_eq!(data["content"][0]["type"], "text");
}

#[test]
fn the_first_sample_is_taken_at_once_and_reads_are_incremental() {
    let (_sim, address, control) = manual();
    let id = start_sampler(address, json!({"tool": "runtime_stats", "interval_ms": 1000}));
    assert_eq!(sequences(&read(address, &id, 0)), [1]);
    control.advance(Duration::from_millis(2500));
    assert_eq!(sequences(&read(address, &id, 0)), [1, 2, 3]);
    assert_eq!(sequences(&read(address, &id, 2)), [3]);
    assert_eq!(read(address, &id, 2)["completed"], false);
}

#[test]
fn a_sampler_ends_at_its_duration_and_lingers() {
    let (_sim, address, control) = manual();
    let id = start_sampler(
        address,
        json!({"tool": "node_info", "interval_ms": 500, "duration_sec": 2, "linger_sec": 5}),
    );
    control.advance(Duration::from_secs(3));
    let answer = read(address, &id, 0);
    assert_eq!(sequences(&answer), [1, 2, 3, 4]);
    assert_eq!(answer["completed"], true);
    assert_eq!(control.samplers()[0].2, "completed");
    control.advance(Duration::from_secs(5));
    let answer = call(address, "sample_read", json!({"sampler_id": id}));
    assert_eq!(
        error(&answer),
        (-32602, format!("sampler {id} not found or not responding: unknown process"))
    );
    assert!(control.samplers().is_empty());
}

#[test]
fn a_full_buffer_drops_the_oldest_entries() {
    let (_sim, address, control) = manual();
    let id =
        start_sampler(address, json!({"tool": "node_info", "interval_ms": 100, "buffer_size": 2}));
    control.advance(Duration::from_secs(1));
    assert_eq!(sequences(&read(address, &id, 0)), [10, 11]);
    let rows = json_text(&call(address, "sample_list", json!({})));
    assert_eq!(rows[0]["samples"], "11 collected, buffer 2/2");
    assert_eq!(rows[0]["status"], "running");
    assert_eq!(rows[0]["description"], "node_info() every 100ms");
}

#[test]
fn intervals_below_the_minimum_are_raised() {
    let (_sim, address, _) = manual();
    let answer =
        json_text(&call(address, "sample_start", json!({"tool": "node_info", "interval_ms": 10})));
    assert_eq!(answer["interval_ms"], 100);
    assert_eq!(answer["buffer_size"], 256);
    assert_eq!(answer["duration_sec"], 60);
    assert_eq!(answer["mode"], "active");
}

#[test]
fn sample_list_describes_each_sampler_as_the_node_words_it() {
    let (_sim, address, control) = manual();
    let id = start_sampler(
        address,
        json!({"tool": "process_list", "arguments": {"sort_by": "mailbox", "limit": 2}, "interval_ms": 1000, "count": 5}),
    );
    control.advance(Duration::from_millis(2000));
    let rows = json_text(&call(address, "sample_list", json!({})));
    let row = &rows[0];
    assert_eq!(row["id"], id.as_str());
    assert_eq!(row["description"], "process_list(sort_by=mailbox, limit=2) every 1s");
    assert_eq!(row["progress"], "3/5 samples");
    assert_eq!(row["remaining"], "58s");
    assert_eq!(row["uptime"], "2s");
    assert_eq!(row["owner"], control.entry_node().as_str());
    let keys: Vec<&str> = row.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "deadline",
            "description",
            "id",
            "owner",
            "pid",
            "progress",
            "remaining",
            "samples",
            "status",
            "uptime"
        ]
    );
}

#[test]
fn a_stopped_sampler_is_gone() {
    let (_sim, address, control) = manual();
    let id = start_sampler(address, json!({"tool": "node_info"}));
    let answer = call(address, "sample_stop", json!({"sampler_id": id}));
    assert_eq!(text(&answer), format!("sampler {id} stopping"));
    let answer = call(address, "sample_read", json!({"sampler_id": id, "since": 0}));
    assert_eq!(
        error(&answer),
        (-32602, format!("sampler {id} not found or not responding: unknown process"))
    );
    assert!(control.samplers().is_empty());
}

#[test]
fn sample_start_needs_a_tool() {
    let (_sim, address, _) = manual();
    let answer = call(address, "sample_start", json!({"interval_ms": 1000}));
    assert_eq!(error(&answer), (-32602, "tool is required".to_string()));
}

#[test]
fn a_sampler_lives_on_the_node_it_was_started_on() {
    let (_sim, address, control) = manual();
    let backend = control.node_names()[1].clone();
    let id = start_sampler(
        address,
        json!({"node": backend, "tool": "runtime_stats", "interval_ms": 500, "count": 3}),
    );
    assert_eq!(control.samplers(), [(backend.clone(), id.clone(), "running".to_string())]);
    control.advance(Duration::from_secs(2));
    let answer =
        json_text(&call(address, "sample_read", json!({"node": backend, "sampler_id": id})));
    assert_eq!(sequences(&answer), [1, 2, 3]);
    let answer = call(address, "sample_read", json!({"sampler_id": id}));
    assert_eq!(error(&answer).0, -32602);
    let answer = call(address, "sample_stop", json!({"node": backend, "sampler_id": id}));
    assert_eq!(text(&answer), format!("sampler {id} stopping"));
}

#[test]
fn a_passive_sampler_keeps_log_lines_of_the_chosen_levels() {
    let (_sim, address, control) = manual();
    let answer = json_text(&call(
        address,
        "sample_listen",
        json!({"log_levels": ["info", "warning", "error"], "duration_sec": 120}),
    ));
    assert_eq!(answer["mode"], "passive");
    assert_eq!(answer["log_source"], "");
    let id = answer["sampler_id"].as_str().unwrap().to_string();
    control.advance(Duration::from_secs(60));
    let answer = read(address, &id, 0);
    let samples = answer["samples"].as_array().unwrap();
    assert!(!samples.is_empty(), "the world logs something in a minute");
    for sample in samples {
        let data = &sample["data"];
        let level = data["level"].as_str().unwrap();
        assert!(["info", "warning", "error"].contains(&level), "{level}");
        for key in ["message", "source", "time", "type"] {
            assert!(data[key].is_string(), "{key} in {data}");
        }
    }
}

#[test]
fn a_passive_sampler_keeps_publications_of_an_event() {
    let (_sim, address, control) = manual();
    let answer =
        call(address, "sample_listen", json!({"log_levels": [], "event": "no_such_event"}));
    assert_eq!(error(&answer).0, -32602);

    let events = json_text(&call(address, "event_list", json!({"sort_by": "published"})));
    assert!(events[0]["MessagesPublished"].as_u64() > Some(0), "{events}");
    let event = events[0]["Event"].as_str().expect("a published event").to_string();
    let name = event.rsplit(':').next().unwrap().trim_end_matches('>').to_string();
    let answer =
        json_text(&call(address, "sample_listen", json!({"log_levels": [], "event": name})));
    assert_eq!(answer["event"], name.as_str());
    assert!(answer.get("log_levels").is_none());
    let id = answer["sampler_id"].as_str().unwrap().to_string();
    control.advance(Duration::from_secs(30));
    let answer = read(address, &id, 0);
    let samples = answer["samples"].as_array().unwrap();
    assert!(!samples.is_empty(), "{name} is published within 30 s");
    let data = &samples[0]["data"];
    assert_eq!(data["event"], format!("'{name}'@'{}'", control.entry_node()));
    assert!(!data["message"].is_null());
}

#[test]
fn samplers_tick_on_their_own_with_a_real_clock() {
    let (_sim, address, _) = fast(20.0);
    let started = Instant::now();
    let id = start_sampler(address, json!({"tool": "node_info", "interval_ms": 1000}));
    thread::sleep(Duration::from_millis(400));
    let taken = sequences(&read(address, &id, 0)).len() as f64;
    let most = started.elapsed().as_secs_f64() * 20.0 + 2.0;
    assert!(taken >= 5.0 && taken <= most, "one sample a sim second: {taken} of at most {most}");
}

#[test]
fn a_sampler_gives_up_after_max_errors_in_a_row() {
    let (_sim, address, control) = manual();
    let failing = json!({"tool": "process_info", "arguments": {"pid": "<00000000.0.99999>"}, "interval_ms": 100});
    let patient = start_sampler(address, failing.clone());
    let mut strict = failing;
    strict["max_errors"] = json!(3);
    let strict = start_sampler(address, strict);
    control.advance(Duration::from_secs(1));

    let answer = read(address, &strict, 0);
    assert_eq!(answer["completed"], true);
    assert!(sequences(&answer).is_empty(), "failures are not samples");
    let answer = read(address, &patient, 0);
    assert_eq!(answer["completed"], false, "max_errors 0 keeps trying");
    let statuses: Vec<String> =
        control.samplers().into_iter().map(|(_, _, status)| status).collect();
    assert_eq!(statuses, ["running", "failed"]);
}

#[test]
fn a_zero_duration_runs_until_stopped() {
    let (_sim, address, control) = manual();
    let id = start_sampler(
        address,
        json!({"tool": "node_info", "interval_ms": 60000, "duration_sec": 0}),
    );
    control.advance(Duration::from_secs(7200));
    let answer = read(address, &id, 0);
    assert_eq!(answer["completed"], false);
    assert_eq!(sequences(&answer).len(), 121);
    let rows = json_text(&call(address, "sample_list", json!({})));
    assert_eq!(rows[0]["remaining"], "unlimited");
}
