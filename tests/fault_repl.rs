//! The fault matrix, pseudo-terminal rows: the REPL as a person drives it
//! while calls hang, samplers run and playbooks wait. Ctrl-C brings the
//! prompt back within a second, cancels what was in flight and stops the
//! samplers the line started; actions wait for a typed `yes`; the token
//! stays out of the terminal and the history; `:save` asks before it
//! overwrites.

mod support;

use std::time::{Duration, Instant};

use ergosh::sim::{Fault, FaultRule, SimOptions};
use rexpect::process::signal::Signal;
use rexpect::process::wait::WaitStatus;
use rexpect::session::PtySession;
use support::{wait_until, Harness, PROMPT};

/// How long the prompt may take to come back after Ctrl-C.
const PROMPT_BACK: Duration = Duration::from_secs(1);

/// Sends a line and waits for `expect`, then the next prompt; `expect`
/// must not occur in `text` (the echo would match it).
fn line(session: &mut PtySession, text: &str, expect: &str) {
    session.send_line(text).expect("send");
    session.exp_string(expect).unwrap_or_else(|error| panic!("`{text}`: no `{expect}`: {error}"));
    session.exp_string(PROMPT).expect("prompt after the line");
}

/// Ctrl-C, then `interrupted` and the prompt; how long that took.
fn interrupt(session: &mut PtySession) -> Duration {
    let sent = Instant::now();
    session.send_control('c').expect("ctrl-c");
    session.exp_string("interrupted").expect("the line is interrupted");
    session.exp_string(PROMPT).expect("the prompt comes back");
    sent.elapsed()
}

/// Answers a question: a line, or `^C` / `^D` for the control keys.
fn answer(session: &mut PtySession, reply: &str) {
    match reply {
        "^C" => session.send_control('c').expect("ctrl-c"),
        "^D" => session.send_control('d').expect("ctrl-d"),
        text => {
            session.send_line(text).expect("answer");
        }
    }
}

fn assert_quick(took: Duration) {
    assert!(took < PROMPT_BACK, "the prompt took {took:?} to come back");
}

#[test]
fn ctrl_c_during_a_slow_call_cancels_it() {
    let harness = Harness::new().relayed();
    let slow = FaultRule::for_tool("runtime_stats", Fault::Delay(Duration::from_secs(30)));
    harness.control().set_fault(slow);
    let mut session = harness.repl(&[]);

    session.send_line("runtime_stats()").expect("send");
    assert!(wait_until(Duration::from_secs(10), || harness.calls_of("runtime_stats") == 1));
    std::thread::sleep(Duration::from_millis(200));
    assert_quick(interrupt(&mut session));

    let relay = harness.relay();
    assert!(
        relay.wait_for("notifications/cancelled", Duration::from_secs(2)),
        "no notifications/cancelled:\n{}",
        relay.sent()
    );
    line(&mut session, "node_info().Name", &harness.control().entry_node());
}

#[test]
fn ctrl_c_during_follow_stops_the_sampler_on_the_server() {
    let harness = Harness::new();
    let mut session = harness.repl(&[]);
    let source = r#"sample_start(#{tool: "node_info", interval_ms: 1000, duration_sec: 600}).follow(|s| print(`seen ${s.sequence}`))"#;
    session.send_line(source).expect("send");
    assert!(wait_until(Duration::from_secs(10), || harness.running_samplers().len() == 1));
    harness.control().advance(Duration::from_secs(3));
    session.exp_string("seen 1").expect("samples are followed");

    assert_quick(interrupt(&mut session));
    assert!(
        wait_until(Duration::from_secs(2), || harness.running_samplers().is_empty()),
        "still running: {:?}",
        harness.control().samplers()
    );
    assert_eq!(harness.calls_of("sample_stop"), 1);
}

#[test]
fn ctrl_c_during_each_node_cancels_every_call_and_stops_every_sampler() {
    let harness = Harness::new().relayed();
    let slow = FaultRule::for_tool("runtime_stats", Fault::Delay(Duration::from_secs(30)));
    harness.control().set_fault(slow);
    let nodes = harness.control().node_names().len();
    let mut session = harness.repl(&[]);

    let source = r#"each_node(|| { let s = sample_start(#{tool: "node_info", duration_sec: 600}); runtime_stats() })"#;
    session.send_line(source).expect("send");
    let all_waiting = wait_until(Duration::from_secs(10), || {
        harness.calls_of("runtime_stats") == nodes && harness.running_samplers().len() == nodes
    });
    assert!(all_waiting, "calls: {:?}", harness.control().calls());
    std::thread::sleep(Duration::from_millis(200));

    assert_quick(interrupt(&mut session));
    assert!(
        wait_until(Duration::from_secs(2), || harness.running_samplers().is_empty()),
        "still running: {:?}",
        harness.control().samplers()
    );
    let relay = harness.relay();
    let cancelled =
        wait_until(Duration::from_secs(2), || relay.count("notifications/cancelled") == nodes);
    assert!(
        cancelled,
        "{} of {nodes} cancelled:\n{}",
        relay.count("notifications/cancelled"),
        relay.sent()
    );
}

#[test]
fn ctrl_c_during_a_playbook_stops_its_samplers() {
    let harness = Harness::new();
    let mut session = harness.repl(&[]);
    session.send_line("memory(#{window_sec: 600})").expect("send");
    let observing = wait_until(Duration::from_secs(15), || !harness.running_samplers().is_empty());
    assert!(observing, "the playbook started no sampler: {:?}", harness.control().calls());
    std::thread::sleep(Duration::from_millis(300));

    assert_quick(interrupt(&mut session));
    assert!(
        wait_until(Duration::from_secs(2), || harness.running_samplers().is_empty()),
        "still running: {:?}",
        harness.control().samplers()
    );
    line(&mut session, "40 + 2", "42");
}

#[test]
fn ctrl_c_stops_a_loop_that_calls_nothing() {
    let harness = Harness::new();
    let mut session = harness.repl(&[]);
    session.send_line("loop {}").expect("send");
    std::thread::sleep(Duration::from_millis(500));
    assert_quick(interrupt(&mut session));
    line(&mut session, "6 * 7", "42");
}

#[test]
fn ctrl_c_at_an_empty_prompt_stays_and_ctrl_d_exits_0() {
    let harness = Harness::new();
    let mut session = harness.repl(&[]);
    for _ in 0..3 {
        session.send_control('c').expect("ctrl-c");
        session.exp_string(PROMPT).expect("still at the prompt");
    }
    line(&mut session, "1 + 1", "2");
    session.send_control('d').expect("ctrl-d");
    session.exp_eof().expect("exits");
    let status = session.process().wait().expect("status");
    assert!(matches!(status, WaitStatus::Exited(_, 0)), "{status:?}");
    assert!(harness.control().calls().is_empty());
}

// ---- safety ------------------------------------------------------------

const ACTION: &str = r#"log_level_set(#{level: "debug"})"#;

#[test]
fn an_action_is_sent_only_after_yes_to_the_exact_call() {
    let harness = Harness::new();
    let mut session = harness.repl(&[]);
    for reply in ["no", "", "yes please", "^C", "^D"] {
        session.send_line(ACTION).expect("send");
        session.exp_string(&format!("action: {ACTION}")).expect("the exact call is shown");
        session.exp_string("type yes to confirm").expect("asked");
        answer(&mut session, reply);
        session.exp_string(PROMPT).expect("prompt");
        assert_eq!(harness.calls_of("log_level_set"), 0, "anything but yes sends nothing");
    }

    session.send_line(ACTION).expect("send");
    session.exp_string("type yes to confirm").expect("asked");
    session.send_line("yes").expect("answer");
    session.exp_string(PROMPT).expect("prompt");
    let calls = harness.control().calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(
        (calls[0].tool.as_str(), &calls[0].arguments["level"]),
        ("log_level_set", &"debug".into())
    );
}

#[test]
fn read_only_refuses_an_action_in_the_repl_without_asking() {
    let harness = Harness::new();
    let mut session = harness.repl(&["--read-only"]);
    session.send_line(ACTION).expect("send");
    session.exp_string("read-only").expect("refused");
    session.exp_string(PROMPT).expect("prompt");
    line(&mut session, "1 + 2", "3");
    assert!(harness.control().calls().is_empty(), "{:?}", harness.control().calls());
}

// ---- secrets -----------------------------------------------------------

#[test]
fn the_token_stays_out_of_the_terminal_the_logs_and_the_history() {
    let token = "tok-r3pl-n3v3r-pr1nt3d";
    let harness =
        Harness::with(SimOptions { token: Some(token.to_string()), ..SimOptions::test() });
    let token_file = harness.file("token", token);
    harness.control().set_fault(FaultRule::for_tool("runtime_stats", Fault::Status(500)));
    let mut session = harness.repl(&["-vv", "--token-file", &token_file]);

    let mut transcript = String::new();
    let mut expect = |session: &mut PtySession, text: &str| {
        let before = session.exp_string(text).unwrap_or_else(|e| panic!("no `{text}`: {e}"));
        transcript.push_str(&before);
        transcript.push_str(text);
    };
    session.send_line("node_info().Name").expect("send");
    expect(&mut session, &harness.control().entry_node());
    expect(&mut session, PROMPT);
    session.send_line("runtime_stats()").expect("send");
    expect(&mut session, "http 500");
    expect(&mut session, PROMPT);
    session.send_control('d').expect("ctrl-d");
    transcript.push_str(&session.exp_eof().expect("exits"));

    assert!(transcript.contains("TRACE"), "trace logs are on:\n{transcript}");
    assert!(!transcript.contains(token), "the token reached the terminal:\n{transcript}");
    let history = std::fs::read_to_string(harness.history_file()).expect("history");
    assert!(history.contains("runtime_stats()") && !history.contains(token), "{history}");
}

// ---- history and saved scripts -----------------------------------------

#[test]
fn sigkill_loses_only_the_line_being_typed() {
    let harness = Harness::new();
    let mut session = harness.repl(&[]);
    // Each answer differs from its line: the echo cannot be mistaken for it.
    let lines: Vec<String> =
        (1..=5).map(|n| format!("let kept_{n} = {n}; kept_{n} * 1000")).collect();
    for (n, text) in lines.iter().enumerate() {
        line(&mut session, text, &format!("{}000", n + 1));
    }
    session.send("let half_typed = ").expect("type");
    std::thread::sleep(Duration::from_millis(200));
    session.process_mut().kill(Signal::SIGKILL).expect("kill");

    let history = std::fs::read_to_string(harness.history_file()).expect("history");
    let found: Vec<&str> = history.lines().filter(|entry| entry.contains("kept_")).collect();
    assert_eq!(found, lines, "{history}");
    assert!(!history.contains("half_typed"), "{history}");
}

#[test]
fn save_never_overwrites_a_script_without_a_yes() {
    let harness = Harness::new();
    let dir = harness.scripts_dir();
    std::fs::create_dir_all(&dir).expect("scripts dir");
    let path = dir.join("triage.rhai");
    let mine = "//! triage: written by hand, not to be lost\nfn triage() { 1 }\n";
    std::fs::write(&path, mine).expect("a script of the user");

    let mut session = harness.repl(&[]);
    session.send_line("fn triage() { 42 }").expect("send");
    session.exp_string(PROMPT).expect("prompt");
    for reply in ["no", "", "^C"] {
        session.send_line(":save triage").expect("send");
        session.exp_string("overwrite").expect("asked before overwriting");
        answer(&mut session, reply);
        session.exp_string("not saved").expect("told");
        session.exp_string(PROMPT).expect("prompt");
        assert_eq!(std::fs::read_to_string(&path).expect("script"), mine);
    }

    session.send_line(":save triage").expect("send");
    session.exp_string("overwrite").expect("asked");
    session.send_line("yes").expect("answer");
    session.exp_string("saved").expect("saved");
    session.exp_string(PROMPT).expect("prompt");
    let saved = std::fs::read_to_string(&path).expect("script");
    assert!(saved.contains("42") && saved != mine, "{saved}");
}

#[test]
fn save_of_a_new_name_writes_without_asking() {
    let harness = Harness::new();
    let mut session = harness.repl(&[]);
    session.send_line("fn fresh_one() { 7 }").expect("send");
    session.exp_string(PROMPT).expect("prompt");
    session.send_line(":save fresh").expect("send");
    session.exp_string("saved").expect("saved");
    session.exp_string(PROMPT).expect("prompt");
    let saved = std::fs::read_to_string(harness.scripts_dir().join("fresh.rhai")).expect("saved");
    assert!(saved.contains("fn fresh_one()"), "{saved}");
}
