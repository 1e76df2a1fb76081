//! The fault matrix, subprocess rows: the real binary (`-e`, `run`)
//! against a simulated cluster that misbehaves (transport, protocol),
//! against hostile input, under signals, with action tools and tokens.
//! Each row checks the exit code, the one error line naming the cause and
//! the cluster's record of what was sent.

mod support;

use std::time::Duration;

use ergosh::sim::{Fault, FaultRule, SimOptions};
use support::{Harness, Running};

/// A PID the test cluster has on its entry node.
const PID: &str = "<51D05CCD.0.1012>";

/// `-e node_info()` with one fault on `node_info` calls.
fn node_info_with(fault: Fault) -> (Harness, support::Run) {
    let harness = Harness::new();
    harness.control().set_fault(FaultRule::for_tool("node_info", fault));
    let run = harness.run(&["-e", "node_info()"]);
    (harness, run)
}

// ---- transport ----------------------------------------------------------

#[test]
fn connection_refused_names_the_url_and_exits_2() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("address").port()
    };
    let home = tempfile::tempdir().expect("home");
    let url = format!("http://127.0.0.1:{port}/mcp");
    let mut command = support::binary(home.path());
    command.args(["--url", &url, "-e", "node_info()"]);
    let run = support::run(&mut command);
    run.assert_error(2, &[&url, "refused"]);
    assert!(run.stdout.is_empty(), "{run}");
}

#[test]
fn unresolvable_host_names_it_and_exits_2() {
    let home = tempfile::tempdir().expect("home");
    let mut command = support::binary(home.path());
    command.args(["--url", "http://ergosh-fault-matrix.invalid:9922/mcp", "-e", "node_info()"]);
    let run = support::run(&mut command);
    run.assert_error(2, &["ergosh-fault-matrix.invalid", "resolve"]);
    assert!(run.elapsed < Duration::from_secs(10), "{run}");
}

#[test]
fn a_silent_server_times_out_and_the_request_is_cancelled() {
    let harness = Harness::new().relayed();
    harness.control().set_fault(FaultRule::for_tool("node_info", Fault::NeverAnswer));

    let run = harness.run(&["--timeout", "1", "-e", "node_info()"]);
    run.assert_error(1, &["no answer", "within 1 s"]);
    assert!(run.elapsed < Duration::from_secs(5), "{run}");
    assert_eq!(harness.calls_of("node_info"), 1, "sent once, not retried");
    assert!(
        harness.relay().wait_for("notifications/cancelled", Duration::from_secs(2)),
        "no notifications/cancelled sent:\n{}",
        harness.relay().sent()
    );
}

#[test]
fn a_server_silent_from_the_first_request_fails_the_connect_within_the_timeout() {
    let harness = Harness::new();
    harness.control().set_fault(FaultRule::always(Fault::NeverAnswer));
    let run = harness.run(&["--timeout", "1", "-e", "node_info()"]);
    run.assert_error(2, &[&harness.simulator.url()]);
    assert!(run.elapsed < Duration::from_secs(5), "{run}");
    assert!(harness.control().calls().is_empty());
}

#[test]
fn a_body_cut_mid_way_is_a_protocol_error_and_not_retried() {
    let harness = Harness::new().relayed();
    harness.control().set_fault(FaultRule::for_tool("node_info", Fault::CloseMidBody));
    let run = harness.run(&["-e", "node_info()"]);
    // initialize, notifications/initialized, tools/list, then the cut answer.
    let answers = harness.relay().received().matches("HTTP/1.1 ").count();
    assert_eq!(answers, 4, "the server sent no headers before the cut:\n{run}");
    run.assert_error(1, &["mid-body"]);
    assert_eq!(harness.calls_of("node_info"), 1);
}

#[test]
fn a_dropped_connection_is_one_error_and_not_retried() {
    let (harness, run) = node_info_with(Fault::DropConnection);
    run.assert_no_panic();
    assert_ne!(run.code, 0, "{run}");
    assert!(run.error_line().contains(&harness.simulator.url()), "{run}");
    assert_eq!(harness.calls_of("node_info"), 1);
}

#[test]
fn http_statuses_each_give_one_line_naming_the_status() {
    for (status, code, needle) in [
        (401, 2, "authentication failed"),
        (403, 2, "authentication failed"),
        (404, 2, "http 404"),
        (405, 2, "http 405"),
        (500, 2, "http 500"),
        (502, 2, "http 502"),
        (504, 2, "http 504"),
    ] {
        let (harness, run) = node_info_with(Fault::Status(status));
        run.assert_error(code, &[needle, &status.to_string()]);
        assert_eq!(harness.calls_of("node_info"), 1, "http {status}: {run}");
        assert!(run.stdout.is_empty(), "{run}");
    }
}

#[test]
fn an_html_error_page_is_named_not_dumped() {
    let (harness, run) = node_info_with(Fault::HtmlPage);
    run.assert_error(2, &["502"]);
    assert!(run.stderr.lines().all(|line| !line.contains("<hr>")), "{run}");
    assert_eq!(harness.calls_of("node_info"), 1);
}

#[test]
fn an_empty_body_is_named() {
    let (harness, run) = node_info_with(Fault::EmptyBody);
    run.assert_error(1, &["empty body"]);
    assert_eq!(harness.calls_of("node_info"), 1);
}

#[test]
fn a_truncated_json_body_is_a_protocol_error() {
    let (harness, run) = node_info_with(Fault::Truncated);
    run.assert_error(1, &["protocol error"]);
    assert_eq!(harness.calls_of("node_info"), 1);
}

#[test]
fn a_malformed_json_body_is_a_protocol_error() {
    let (_harness, run) = node_info_with(Fault::Malformed);
    run.assert_no_panic();
    assert_ne!(run.code, 0, "{run}");
    assert!(run.error_line().contains("json"), "{run}");
}

#[test]
fn a_200_mb_body_stops_at_the_limit_in_bounded_memory() {
    let (harness, run) = node_info_with(Fault::Huge(200_000_000));
    run.assert_error(1, &["larger than the limit"]);
    let peak_mib = run.peak_rss_kib / 1024;
    eprintln!("200 MB answer: peak RSS {peak_mib} MiB, {:?}", run.elapsed);
    assert!(peak_mib < 400, "peak RSS {peak_mib} MiB:\n{run}");
    assert!(run.stdout.is_empty(), "{run}");
    assert_eq!(harness.calls_of("node_info"), 1);
}

// ---- protocol ------------------------------------------------------------

#[test]
fn a_local_tool_failure_is_json_rpc_32602_named() {
    let harness = Harness::new();
    let run = harness.run(&["-e", r#"process_info(#{pid: "<00000000.0.1>"})"#]);
    run.assert_error(1, &["process_info"]);
    assert!(run.stdout.is_empty(), "{run}");
    assert_eq!(harness.calls_of("process_info"), 1);
}

#[test]
fn a_failure_through_the_proxy_is_json_rpc_32603_named() {
    let harness = Harness::new();
    let run = harness.run(&["-e", r#"node_info(#{node: "nobody@nowhere"})"#]);
    run.assert_error(1, &["nobody@nowhere"]);
    let calls = harness.control().calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].arguments["node"], "nobody@nowhere");
}

#[test]
fn is_error_true_becomes_an_error_with_the_text() {
    let (harness, run) = node_info_with(Fault::IsError("the node is on fire".into()));
    run.assert_error(1, &["node_info", "the node is on fire"]);
    assert_eq!(harness.calls_of("node_info"), 1);
}

#[test]
fn a_result_with_no_content_is_not_a_crash() {
    let harness = Harness::new();
    harness.control().set_fault(FaultRule::for_tool("node_info", Fault::NoContent));
    let run = harness.run(&["-e", "type_of(node_info())"]);
    run.assert_code(0).assert_no_panic();
    assert_eq!(run.stdout.trim(), "()", "{run}");
}

#[test]
fn several_content_items_become_an_array() {
    let harness = Harness::new();
    harness.control().set_fault(FaultRule::for_tool("node_info", Fault::SeveralItems));
    let run = harness.run(&["-e", "let r = node_info(); `${type_of(r)} ${r.len()} ${r[0].Name}`"]);
    run.assert_code(0);
    let entry = harness.control().entry_node();
    assert_eq!(run.stdout.trim(), format!("array 2 {entry}"), "{run}");
}

#[test]
fn a_non_text_item_becomes_a_map_of_the_item() {
    let harness = Harness::new();
    harness.control().set_fault(FaultRule::for_tool("node_info", Fault::NonTextItem));
    let run = harness.run(&["-e", "let r = node_info(); `${type_of(r)} ${r.type}`"]);
    run.assert_code(0);
    assert_eq!(run.stdout.trim(), "map image", "{run}");
}

#[test]
fn text_that_is_not_json_is_a_string_and_field_access_fails_cleanly() {
    let harness = Harness::new();
    harness.control().set_fault(FaultRule::for_tool("node_info", Fault::TextNotJson).times(1));
    let run = harness.run(&["-e", "node_info()"]);
    run.assert_code(0);
    assert_eq!(run.stdout.trim(), "this answer is plain text, not JSON", "{run}");

    harness.control().set_fault(FaultRule::for_tool("node_info", Fault::TextNotJson).times(1));
    let run = harness.run(&["-e", "node_info().Name"]);
    run.assert_error(1, &[]);
    assert_eq!(harness.calls_of("node_info"), 2);
}

#[test]
fn an_answer_under_another_id_is_a_protocol_error() {
    let (harness, run) = node_info_with(Fault::WrongId);
    run.assert_error(1, &["protocol error", "id"]);
    assert_eq!(harness.calls_of("node_info"), 1);
}

#[test]
fn a_dropped_session_is_initialised_again_once() {
    let harness = Harness::new().relayed();
    harness.control().set_fault(FaultRule::for_tool("node_info", Fault::SessionIds));
    let run = harness.run(&["-e", "node_info().Name"]);
    run.assert_code(0);
    assert_eq!(run.stdout.trim(), harness.control().entry_node(), "{run}");
    assert_eq!(harness.relay().count(r#""method":"initialize""#), 2, "{}", harness.relay().sent());
    assert_eq!(harness.calls_of("node_info"), 1, "the expired attempt never ran");
}

#[test]
fn a_session_that_keeps_expiring_is_initialised_again_only_once() {
    let harness = Harness::new().relayed();
    let rule = FaultRule::for_tool("node_info", Fault::SessionIds).times(5);
    harness.control().set_fault(rule);
    let run = harness.run(&["-e", "node_info()"]);
    run.assert_no_panic();
    assert_ne!(run.code, 0, "{run}");
    assert!(run.error_line().contains("404") || run.error_line().contains("session"), "{run}");
    assert_eq!(harness.relay().count(r#""method":"initialize""#), 2, "{}", harness.relay().sent());
    assert_eq!(harness.calls_of("node_info"), 0);
}

#[test]
fn a_tool_list_that_changes_between_calls_is_survived() {
    let harness = Harness::new();
    harness.control().set_fault(FaultRule::always(Fault::ChangeTools));
    let source = format!(
        r#"let before = node_info().Name;
        let removed = "answered";
        try {{ send_exit(#{{pid: "{PID}"}}); }} catch (error) {{ removed = `${{error}}`; }}
        let added = "not sent";
        try {{ tool("process_top", #{{limit: 3}}); added = "answered"; }}
        catch (error) {{ added = `${{error}}`; }}
        `${{before}} / ${{node_info().Name}} / ${{removed}} / ${{added}}`"#
    );
    let run = harness.run(&["--allow-actions", "-e", &source]);
    run.assert_code(0);
    let entry = harness.control().entry_node();
    let parts: Vec<&str> = run.stdout.trim().split(" / ").collect();
    assert_eq!(parts[..2], [entry.as_str(), entry.as_str()], "{run}");
    assert!(parts[2].contains("send_exit") && !parts[2].contains('\n'), "{run}");
    assert_eq!(harness.calls_of("node_info"), 2);
    assert_eq!(
        harness.calls_of("process_top"),
        1,
        "a tool the server gained after connect is never looked up again:\n{run}"
    );
}

// ---- input ---------------------------------------------------------------

#[test]
fn wrong_arguments_are_named_and_nothing_is_sent() {
    let cases = [
        (r#"proces_list()"#, vec!["proces_list"]),
        (r#"tool("proces_list")"#, vec!["proces_list", "process_list"]),
        (r#"process_list(#{limit: "five"})"#, vec!["limit"]),
        (r#"process_list(#{limit: 2.5})"#, vec!["limit"]),
        (r#"process_info(#{})"#, vec!["pid"]),
        (r#"process_list(#{sort_by: "mailbx"})"#, vec!["sort_by", "mailbox"]),
        (r#"log_level_set(#{level: "warn"})"#, vec!["level", "warning"]),
    ];
    let harness = Harness::new();
    for (source, needles) in cases {
        let run = harness.run(&["--allow-actions", "-e", source]);
        run.assert_error(1, &needles);
        let calls = harness.control().calls();
        assert!(calls.is_empty(), "`{source}` sent {calls:?}");
    }
}

#[test]
fn a_syntax_error_puts_the_caret_under_the_fault() {
    let harness = Harness::new();
    let script = harness.file("broken.rhai", "let a = 1;\nlet b = 2;\nlet c = a + * b;\n");
    let run = harness.run(&["run", &script]);
    run.assert_error(1, &["line 3"]);
    let lines: Vec<&str> = run.stderr.lines().collect();
    let source = lines.iter().position(|line| line.ends_with("| let c = a + * b;")).expect("line");
    let caret = lines[source + 1];
    let column = caret.find('^').expect("a caret") - caret.find('|').expect("a gutter") - 2;
    assert_eq!(&"let c = a + * b;"[column..column + 1], "*", "{run}");
    assert!(harness.control().calls().is_empty());
}

#[test]
fn an_endless_loop_in_run_is_stopped_by_the_operations_limit() {
    let harness = Harness::new();
    let script = harness.file("spin.rhai", "// spins\nloop {}\n");
    let run = harness.run(&["run", &script]);
    run.assert_error(1, &["operations"]);
    eprintln!("operations limit reached after {:?}", run.elapsed);
    assert!(run.elapsed < Duration::from_secs(60), "{run}");
}

#[test]
fn a_huge_array_is_stopped_by_the_size_limit() {
    let harness = Harness::new();
    let run = harness.run(&["-e", "let a = [1]; loop { a += a; }"]);
    run.assert_error(1, &["too large"]);
    let peak_mib = run.peak_rss_kib / 1024;
    assert!(peak_mib < 1024, "peak RSS {peak_mib} MiB:\n{run}");
}

#[test]
fn a_huge_string_is_stopped_by_the_size_limit() {
    let harness = Harness::new();
    let run = harness.run(&["-e", r#"let s = "x"; loop { s += s; }"#]);
    run.assert_error(1, &["too large"]);
    let peak_mib = run.peak_rss_kib / 1024;
    assert!(peak_mib < 1024, "peak RSS {peak_mib} MiB:\n{run}");
}

#[test]
fn deep_recursion_is_an_error_not_a_crash() {
    let harness = Harness::new();
    let run = harness.run(&["-e", "fn down(n) { down(n + 1) } down(0)"]);
    run.assert_error(1, &["overflow"]);

    let nested = format!("{}1{}", "(".repeat(5000), ")".repeat(5000));
    let run = harness.run(&["-e", &nested]);
    run.assert_error(1, &[]);

    let closures =
        "let f = |x| x; for i in 0..10000 { let g = f; f = |x| g.call(x) + 1; } f.call(0)";
    let run = harness.run(&["-e", closures]);
    run.assert_error(1, &[]);
}

#[test]
fn a_missing_script_file_is_named() {
    let harness = Harness::new();
    let missing = harness.home.path().join("nowhere").join("gone.rhai");
    let missing = missing.to_str().expect("utf-8 path");
    let run = harness.run(&["run", missing]);
    run.assert_error(2, &["gone.rhai"]);
}

#[test]
fn a_script_that_is_not_utf8_is_named() {
    let harness = Harness::new();
    let script = harness.file("latin1.rhai", b"let caf\xe9 = \"cr\xe8me\";\n".as_slice());
    let run = harness.run(&["run", &script]);
    run.assert_no_panic();
    assert!(run.code == 1 || run.code == 2, "{run}");
    let line = run.error_line();
    assert!(line.contains("latin1.rhai"), "{run}");
    assert!(line.to_lowercase().contains("utf-8"), "{run}");
    assert!(harness.control().calls().is_empty());
}

// ---- interrupts ------------------------------------------------------------

#[test]
fn sigterm_on_run_stops_its_samplers_before_exiting() {
    let harness = Harness::new();
    let script = harness.file(
        "watch.rhai",
        r#"let s = sample_start(#{tool: "runtime_stats", interval_ms: 1000, duration_sec: 600});
           s.wait()"#,
    );
    let child = Running::spawn(harness.command(&["run", &script]));
    let started =
        support::wait_until(Duration::from_secs(10), || !harness.running_samplers().is_empty());
    assert!(started, "the sampler never started");
    std::thread::sleep(Duration::from_millis(300));

    child.signal(libc::SIGTERM);
    let run = child.finish(Duration::from_secs(8));
    assert_eq!(run.code, 143, "{run}");
    assert!(harness.running_samplers().is_empty(), "{:?}", harness.control().samplers());
    assert_eq!(harness.calls_of("sample_stop"), 1, "{run}");
}

#[test]
fn sigterm_on_run_while_a_call_is_in_flight_exits_within_the_grace() {
    let harness = Harness::new().relayed();
    let delay = FaultRule::for_tool("runtime_stats", Fault::Delay(Duration::from_secs(30)));
    harness.control().set_fault(delay);
    let script = harness.file(
        "slow.rhai",
        r#"let s = sample_start(#{tool: "node_info", duration_sec: 600});
           runtime_stats()"#,
    );
    let child = Running::spawn(harness.command(&["run", &script]));
    let in_flight =
        support::wait_until(Duration::from_secs(10), || harness.calls_of("runtime_stats") == 1);
    assert!(in_flight, "the slow call never went out");

    child.signal(libc::SIGTERM);
    let run = child.finish(Duration::from_secs(8));
    assert_eq!(run.code, 143, "{run}");
    assert!(harness.running_samplers().is_empty(), "{:?}", harness.control().samplers());
    assert!(harness.relay().wait_for("notifications/cancelled", Duration::from_secs(2)));
}

#[test]
fn ctrl_c_on_eval_during_a_slow_call_cancels_it_and_exits_130() {
    let harness = Harness::new().relayed();
    let slow = FaultRule::for_tool("runtime_stats", Fault::Delay(Duration::from_secs(30)));
    harness.control().set_fault(slow);
    let child = Running::spawn(harness.command(&["-e", "runtime_stats()"]));
    let in_flight =
        support::wait_until(Duration::from_secs(10), || harness.calls_of("runtime_stats") == 1);
    assert!(in_flight, "the slow call never went out");

    child.signal(libc::SIGINT);
    let run = child.finish(Duration::from_secs(3));
    assert_eq!(run.code, 130, "{run}");
    run.assert_no_panic();
    assert!(harness.relay().wait_for("notifications/cancelled", Duration::from_secs(2)));
}

// ---- safety ----------------------------------------------------------------

/// Valid arguments for every default action tool.
fn action_calls() -> Vec<(&'static str, String)> {
    let calls = [
        ("send_message", format!(r#"send_message(#{{to: "{PID}", message: #{{a: 1}}}})"#)),
        ("call_process", format!(r#"call_process(#{{to: "{PID}", request: #{{a: 1}}}})"#)),
        ("send_exit", format!(r#"send_exit(#{{pid: "{PID}"}})"#)),
        ("process_kill", format!(r#"process_kill(#{{pid: "{PID}"}})"#)),
        ("network_connect", r#"network_connect(#{name: "x@nowhere"})"#.to_string()),
        (
            "network_connect_route",
            r#"network_connect_route(#{name: "x@nowhere", host: "nowhere", port: 1})"#.to_string(),
        ),
        ("network_disconnect", r#"network_disconnect(#{name: "x@nowhere"})"#.to_string()),
        ("log_level_set", r#"log_level_set(#{level: "debug"})"#.to_string()),
    ];
    let names: Vec<&str> = calls.iter().map(|(name, _)| *name).collect();
    assert_eq!(names, ergosh::engine::DEFAULT_ACTION_TOOLS, "the matrix covers every one");
    calls.to_vec()
}

#[test]
fn every_action_tool_is_refused_in_scripts_without_allow_actions() {
    let harness = Harness::new();
    for (tool, source) in action_calls() {
        let run = harness.run(&["-e", &source]);
        run.assert_error(1, &["--allow-actions"]);

        let script = harness.file("action.rhai", &source);
        let run = harness.run(&["run", &script]);
        run.assert_error(1, &["--allow-actions"]);
        assert_eq!(harness.calls_of(tool), 0, "{tool} was sent");
    }
    assert!(harness.control().calls().is_empty(), "{:?}", harness.control().calls());
}

#[test]
fn every_action_tool_is_refused_with_read_only() {
    let harness = Harness::new();
    for (tool, source) in action_calls() {
        let run = harness.run(&["--read-only", "-e", &source]);
        run.assert_error(1, &["read-only"]);
        assert_eq!(harness.calls_of(tool), 0, "{tool} was sent");
    }
    let run = harness.run(&["--read-only", "--allow-actions", "-e", "1"]);
    run.assert_code(2);
    assert!(harness.control().calls().is_empty(), "{:?}", harness.control().calls());
}

#[test]
fn a_sampler_of_an_action_tool_is_refused_like_the_tool() {
    let harness = Harness::new();
    let source = format!(
        r#"sample_start(#{{tool: "process_kill", arguments: #{{pid: "{PID}"}}, duration_sec: 5}})"#
    );
    harness.run(&["-e", &source]).assert_error(1, &["--allow-actions"]);
    harness.run(&["--read-only", "-e", &source]).assert_error(1, &["read-only"]);
    assert!(harness.control().calls().is_empty(), "{:?}", harness.control().calls());
}

#[test]
fn allow_actions_sends_each_action_exactly_as_written() {
    let harness = Harness::new();
    let run = harness.run(&["--allow-actions", "-e", r#"log_level_set(#{level: "debug"})"#]);
    run.assert_code(0);
    let calls = harness.control().calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].tool, "log_level_set");
    assert_eq!(calls[0].arguments["level"], "debug");
}

// ---- secrets ---------------------------------------------------------------

const TOKEN: &str = "tok-f4ult-m4tr1x-53cr3t";

fn token_harness() -> Harness {
    Harness::with(SimOptions { token: Some(TOKEN.to_string()), ..SimOptions::test() })
}

fn assert_no_token(run: &support::Run, context: &str) {
    assert!(!run.stdout.contains(TOKEN), "{context}: token in stdout:\n{run}");
    assert!(!run.stderr.contains(TOKEN), "{context}: token in stderr:\n{run}");
}

#[test]
fn the_token_from_a_file_never_appears_in_output_logs_or_errors() {
    let harness = token_harness();
    let token_file = harness.file("token", format!("{TOKEN}\n"));
    harness.control().set_fault(FaultRule::for_tool("runtime_stats", Fault::Status(500)));
    harness.control().set_fault(FaultRule::for_tool("process_list", Fault::WrongId));

    for args in [
        vec!["-vv", "-e", "node_info().Name"],
        vec!["-vv", "-e", "runtime_stats()"],
        vec!["-vv", "-e", "process_list()"],
        vec!["-vv", "-e", "print(`${node_info()}`); no_such_function()"],
        vec!["-vv", "tools"],
    ] {
        let mut command = harness.command(&["--token-file", &token_file]);
        command.args(&args);
        let run = support::run(&mut command);
        run.assert_no_panic();
        assert_no_token(&run, &args.join(" "));
    }
    let mut command = harness.command(&["--token-file", &token_file, "-e", "1"]);
    let run = support::run(command.env("RUST_LOG", "trace"));
    run.assert_code(0);
    assert!(run.stderr.contains("initialize"), "trace logs are on:\n{run}");
    assert_no_token(&run, "RUST_LOG=trace");
    assert!(harness.calls_of("runtime_stats") >= 1);
}

#[test]
fn the_token_from_the_environment_never_appears_even_when_the_server_rejects_it() {
    let harness = token_harness();
    let mut command = harness.command(&["-vv", "-e", "runtime_stats()"]);
    harness.control().set_fault(FaultRule::for_tool("runtime_stats", Fault::Status(401)));
    let run = support::run(command.env("ERGOSH_TOKEN", TOKEN));
    run.assert_error(2, &["authentication failed"]);
    assert_no_token(&run, "401 on a call");

    harness.control().set_fault(FaultRule::for_tool("node_info", Fault::NeverAnswer));
    let mut command = harness.command(&["-vv", "--timeout", "1", "-e", "node_info()"]);
    let run = support::run(command.env("ERGOSH_TOKEN", TOKEN).env("RUST_LOG", "trace"));
    run.assert_error(1, &["no answer"]);
    assert_no_token(&run, "timeout");

    let wrong = format!("{TOKEN}-wrong");
    let mut command = harness.command(&["-vv", "-e", "1"]);
    let run = support::run(command.env("ERGOSH_TOKEN", &wrong).env("RUST_LOG", "trace"));
    run.assert_error(2, &["authentication failed"]);
    assert!(!run.stderr.contains(&wrong) && !run.stdout.contains(&wrong), "{run}");
}
