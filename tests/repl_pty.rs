//! The REPL driven through a pseudo-terminal, as a person types: TAB
//! completion, multi-line input, Ctrl-C, Ctrl-D, history across restarts,
//! the consent prompt.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use ergosh::sim::{SimOptions, Simulator};
use rexpect::process::signal::Signal;
use rexpect::process::wait::WaitStatus;
use rexpect::session::PtySession;
use tempfile::TempDir;

const PROMPT: &str = "ergosh> ";
const TIMEOUT_MS: u64 = 10_000;

struct Harness {
    simulator: Simulator,
    home: TempDir,
    token: Option<String>,
}

impl Harness {
    fn new() -> Harness {
        Harness::with_token(None)
    }

    fn with_token(token: Option<&str>) -> Harness {
        let token = token.map(str::to_string);
        let options = SimOptions { token: token.clone(), ..SimOptions::test() };
        let simulator = Simulator::start(options).expect("simulator starts");
        simulator.control().advance(Duration::from_secs(30));
        Harness { simulator, home: tempfile::tempdir().expect("temp home"), token }
    }

    /// Starts the REPL in a pseudo-terminal and waits for its prompt.
    fn repl(&self) -> PtySession {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ergosh"));
        let home = self.home.path();
        command
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("TERM", "xterm")
            .env("NO_COLOR", "1")
            .env_remove("ERGOSH_TOKEN")
            .env_remove("ERGOSH_URL")
            .env_remove("ERGOSH_CONFIG")
            .env_remove("RUST_LOG")
            .arg("--url")
            .arg(self.simulator.url());
        if let Some(token) = &self.token {
            command.env("ERGOSH_TOKEN", token);
        }
        let mut session =
            rexpect::session::spawn_command(command, Some(TIMEOUT_MS)).expect("spawn");
        session.exp_string(PROMPT).expect("first prompt");
        session
    }

    fn history_file(&self) -> PathBuf {
        history_path(self.home.path())
    }

    fn calls_of(&self, tool: &str) -> usize {
        self.simulator.control().calls().iter().filter(|call| call.tool == tool).count()
    }
}

fn history_path(home: &Path) -> PathBuf {
    home.join("data").join("ergosh").join("history")
}

/// Sends a line and waits for its output and the next prompt.
fn line(session: &mut PtySession, text: &str, expect: &str) {
    session.send_line(text).expect("send");
    session.exp_string(expect).unwrap_or_else(|error| panic!("`{text}`: no `{expect}`: {error}"));
    session.exp_string(PROMPT).expect("prompt after the line");
}

#[test]
fn tab_completes_the_process_tools() {
    let harness = Harness::new();
    let mut session = harness.repl();
    session.send("proc").expect("send");
    session.flush().expect("flush");
    session.send("\t").expect("tab");
    session.flush().expect("flush");
    session.exp_string("process_children").expect("listed");
    session.exp_string("process_list").expect("listed");
    session.send_control('c').expect("clear the line");
    session.exp_string(PROMPT).expect("prompt");
}

#[test]
fn tab_completes_parameter_names_then_enum_values() {
    let harness = Harness::new();
    let mut session = harness.repl();
    session.send("process_list(#{so").expect("send");
    session.flush().expect("flush");
    session.send("\t").expect("tab");
    session.flush().expect("flush");
    session.exp_string("sort_by: ").expect("parameter completed");

    session.send("\"").expect("quote");
    session.flush().expect("flush");
    session.send("\t").expect("tab");
    session.flush().expect("flush");
    session.exp_string("mailbox_latency").expect("enum values listed");
    session.exp_string("running_time").expect("enum values listed");

    session.send("mailbox\", limit: 2})\r").expect("finish the line");
    session.flush().expect("flush");
    session.exp_string("MessagesMailbox").expect("a table");
    session.exp_string(PROMPT).expect("prompt");
}

#[test]
fn multi_line_function_is_accepted_and_persists() {
    let harness = Harness::new();
    let mut session = harness.repl();
    session.send_line("fn double(x) {").expect("send");
    session.send_line("    x * 2").expect("send");
    session.send_line("}").expect("send");
    session.exp_string(PROMPT).expect("prompt after the block");
    line(&mut session, "double(21)", "42");
}

#[test]
fn ctrl_c_stops_a_running_loop_and_the_next_line_works() {
    let harness = Harness::new();
    let mut session = harness.repl();
    session.send_line("loop { node_info(); }").expect("send");
    std::thread::sleep(Duration::from_millis(700));

    let sent = Instant::now();
    session.send_control('c').expect("ctrl-c");
    session.exp_string("interrupted").expect("the loop stops");
    session.exp_string(PROMPT).expect("prompt");
    // The target is one second; the margin is for a loaded CI machine.
    assert!(sent.elapsed() < Duration::from_secs(3), "took {:?}", sent.elapsed());

    line(&mut session, "40 + 2", "42");
}

#[test]
fn ctrl_c_at_the_prompt_stays_and_ctrl_d_exits() {
    let harness = Harness::new();
    let mut session = harness.repl();
    session.send("half typed").expect("send");
    session.flush().expect("flush");
    session.send_control('c').expect("ctrl-c");
    session.exp_string(PROMPT).expect("still there");
    line(&mut session, "1 + 1", "2");

    session.send_control('d').expect("ctrl-d");
    session.exp_eof().expect("exits");
    let status = session.process().wait().expect("status");
    assert!(matches!(status, WaitStatus::Exited(_, 0)), "{status:?}");
}

#[test]
fn history_is_kept_across_restarts() {
    let harness = Harness::new();
    let mut first = harness.repl();
    line(&mut first, "let remembered = 40 + 7; remembered", "47");
    first.send_control('d').expect("ctrl-d");
    first.exp_eof().expect("exits");

    let mut second = harness.repl();
    second.send("\x1b[A").expect("arrow up");
    second.flush().expect("flush");
    second.exp_string("let remembered = 40 + 7").expect("recalled");
    second.send("\r").expect("enter");
    second.flush().expect("flush");
    second.exp_string("47").expect("runs again");
}

#[test]
fn sigkill_loses_no_finished_line() {
    let harness = Harness::new();
    let mut session = harness.repl();
    line(&mut session, "let before_the_kill = 1; before_the_kill", "1");
    session.process_mut().kill(Signal::SIGKILL).expect("kill");

    let history = std::fs::read_to_string(harness.history_file()).expect("history file");
    assert!(history.contains("before_the_kill"), "{history}");
}

#[test]
fn action_needs_a_yes_at_the_consent_prompt() {
    let harness = Harness::new();
    let mut session = harness.repl();
    let pid = first_pid(&mut session);
    let call = format!(r#"process_kill(#{{pid: "{pid}"}})"#);

    session.send_line(&call).expect("send");
    session.exp_string("process_kill").expect("the call is shown");
    session.exp_string("type yes to confirm").expect("asked");
    session.send_line("sure").expect("answer");
    session.exp_string(PROMPT).expect("prompt");
    assert_eq!(harness.calls_of("process_kill"), 0, "anything but yes sends nothing");

    session.send_line(&call).expect("send");
    session.exp_string("type yes to confirm").expect("asked");
    session.send_line("yes").expect("answer");
    session.exp_string(PROMPT).expect("prompt");
    assert_eq!(harness.calls_of("process_kill"), 1);
}

/// The PID of a running process, read through the REPL itself.
fn first_pid(session: &mut PtySession) -> String {
    session
        .send_line(r#"print("pid=" + process_list(#{sort_by: "mailbox", limit: 1})[0].PID)"#)
        .expect("send");
    let (_, found) = session.exp_regex(r"pid=<[0-9A-F]+\.0\.[0-9]+>").expect("a pid");
    session.exp_string(PROMPT).expect("prompt");
    found.trim_start_matches("pid=").to_string()
}

#[test]
fn a_line_holding_the_token_is_not_stored() {
    let secret = "tok-n0t-1n-h1st0ry";
    let harness = Harness::with_token(Some(secret));
    let mut session = harness.repl();
    line(&mut session, "let kept_line = 5; kept_line", "5");
    line(&mut session, &format!(r#"let leaked = "{secret}"; leaked.len()"#), "18");
    session.send_control('d').expect("ctrl-d");
    session.exp_eof().expect("exits");

    let history = std::fs::read_to_string(harness.history_file()).expect("history file");
    assert!(history.contains("kept_line"), "{history}");
    assert!(!history.contains(secret), "{history}");
}

#[test]
fn save_writes_a_script_and_never_overwrites_without_a_yes() {
    let harness = Harness::new();
    let mut session = harness.repl();
    session.send_line("fn triple(x) { x * 3 }").expect("send");
    session.exp_string(PROMPT).expect("prompt");

    line(&mut session, ":save triage", "saved");
    let path =
        harness.home.path().join("config").join("ergosh").join("scripts").join("triage.rhai");
    let saved = std::fs::read_to_string(&path).expect("saved script");
    assert!(saved.contains("fn triple"), "{saved}");

    std::fs::write(&path, "// edited by hand\n").expect("edit");
    session.send_line(":save triage").expect("send");
    session.exp_string("overwrite it?").expect("asked");
    session.send_line("no").expect("answer");
    session.exp_string("not saved").expect("refused");
    session.exp_string(PROMPT).expect("prompt");
    assert_eq!(std::fs::read_to_string(&path).expect("script"), "// edited by hand\n");
}
