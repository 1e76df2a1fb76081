//! The binary as a subprocess against a simulated cluster started here:
//! `-e` output, formats, exit codes, `tools`, `run`, refusals, secrets.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use ergosh::sim::{SimOptions, Simulator};
use tempfile::TempDir;

/// A simulated cluster and a private home for the binary.
struct Harness {
    simulator: Simulator,
    home: TempDir,
}

impl Harness {
    fn new() -> Harness {
        Harness::with(SimOptions::test())
    }

    fn with(options: SimOptions) -> Harness {
        let simulator = Simulator::start(options).expect("simulator starts");
        // A minute of simulated life: mailboxes fill, counters move.
        simulator.control().advance(Duration::from_secs(60));
        let home = tempfile::tempdir().expect("temp home");
        Harness { simulator, home }
    }

    /// `ergosh --url SIM ARGS...` with its own HOME and XDG dirs.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ergosh"));
        isolate(&mut command, self.home.path());
        command.arg("--url").arg(self.simulator.url()).args(args);
        command
    }

    fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().expect("ergosh runs"))
    }

    fn tools_called(&self, tool: &str) -> usize {
        self.simulator.control().calls().iter().filter(|call| call.tool == tool).count()
    }
}

/// Points every user directory into `home` and clears inherited settings.
fn isolate(command: &mut Command, home: &Path) {
    command
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("NO_COLOR", "1")
        .env_remove("ERGOSH_URL")
        .env_remove("ERGOSH_TOKEN")
        .env_remove("ERGOSH_TOKEN_FILE")
        .env_remove("ERGOSH_CONFIG")
        .env_remove("ERGOSH_PROFILE")
        .env_remove("RUST_LOG")
        .env_remove("COLUMNS")
        .stdin(Stdio::null());
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Run {
    fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(self.code, code, "stdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("not JSON ({error}):\n{}", self.stdout))
    }
}

#[test]
fn eval_prints_a_table_deepest_mailbox_first() {
    let harness = Harness::new();
    let run = harness.run(&["-e", r#"process_list(#{sort_by: "mailbox", limit: 5})"#]);
    run.assert_code(0);

    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 7, "header, rule and five rows:\n{}", run.stdout);
    let header: Vec<&str> = lines[0].split('│').map(str::trim).collect();
    let column = header.iter().position(|name| *name == "MessagesMailbox").expect("mailbox column");
    let depths: Vec<i64> = lines[2..]
        .iter()
        .map(|line| line.split('│').nth(column).unwrap_or("").trim().parse().unwrap_or(-1))
        .collect();
    let mut sorted = depths.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(depths, sorted, "{}", run.stdout);
    assert!(depths[0] > 0, "{}", run.stdout);
}

#[test]
fn format_json_prints_json() {
    let harness = Harness::new();
    let run = harness.run(&["--format", "json", "-e", "node_info()"]);
    run.assert_code(0);
    assert!(run.json().get("Name").is_some(), "{}", run.stdout);
}

#[test]
fn tools_json_lists_every_tool() {
    let harness = Harness::new();
    let run = harness.run(&["tools", "--json"]);
    run.assert_code(0);
    let tools = run.json();
    let names: Vec<&str> = tools
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|tool| tool.get("name").and_then(|name| name.as_str()))
        .collect();
    assert!(names.contains(&"process_list"), "{names:?}");
    assert!(names.len() > 40, "{names:?}");
}

#[test]
fn tools_without_json_is_a_table_of_names() {
    let harness = Harness::new();
    let run = harness.run(&["tools"]);
    run.assert_code(0);
    assert!(run.stdout.lines().any(|line| line.contains("process_list")), "{}", run.stdout);
}

#[test]
fn script_error_exits_1_with_a_caret() {
    let harness = Harness::new();
    let run = harness.run(&["-e", "let x = ;"]);
    run.assert_code(1);
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert!(run.stderr.contains('^'), "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

#[test]
fn unknown_parameter_names_the_likely_one_and_sends_nothing() {
    let harness = Harness::new();
    let run = harness.run(&["-e", r#"process_list(#{sort: "mailbox"})"#]);
    run.assert_code(1);
    assert!(run.stderr.contains("sort_by"), "{}", run.stderr);
    assert_eq!(harness.tools_called("process_list"), 0);
}

#[test]
fn unreachable_url_is_one_error_naming_it_with_exit_2() {
    let home = tempfile::tempdir().expect("temp home");
    let mut command = Command::new(env!("CARGO_BIN_EXE_ergosh"));
    isolate(&mut command, home.path());
    let run = Run::from(
        command
            .args(["--url", "http://127.0.0.1:1/mcp", "-e", "node_info()"])
            .output()
            .expect("ergosh runs"),
    );
    run.assert_code(2);
    let first = run.stderr.lines().next().unwrap_or_default();
    assert!(first.starts_with("error: "), "{}", run.stderr);
    assert!(first.contains("http://127.0.0.1:1/mcp"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked") && !run.stderr.contains("backtrace"));
    assert!(run.stderr.lines().skip(1).all(|line| line.starts_with("hint:")), "{}", run.stderr);
}

#[test]
fn usage_error_exits_2() {
    let harness = Harness::new();
    harness.run(&["--format", "yaml", "-e", "1"]).assert_code(2);
}

#[test]
fn action_tool_in_a_script_is_refused_without_allow_actions() {
    let harness = Harness::new();
    let script = harness.home.path().join("kill.rhai");
    std::fs::write(&script, r#"process_kill(#{pid: "<51D05CCD.0.1012>"})"#).expect("script");

    let run = harness.run(&["run", script.to_str().expect("utf-8 path")]);
    run.assert_code(1);
    assert!(run.stderr.contains("--allow-actions"), "{}", run.stderr);
    assert_eq!(harness.tools_called("process_kill"), 0);
}

#[test]
fn read_only_refuses_even_with_a_confirming_policy() {
    let harness = Harness::new();
    let run = harness.run(&["--read-only", "-e", r#"process_kill(#{pid: "<51D05CCD.0.1012>"})"#]);
    run.assert_code(1);
    assert!(run.stderr.contains("read-only"), "{}", run.stderr);
    assert_eq!(harness.tools_called("process_kill"), 0);
}

#[test]
fn run_passes_args_and_params() {
    let harness = Harness::new();
    let script = harness.home.path().join("echo.rhai");
    std::fs::write(&script, r#"ARGS[0] + "/" + PARAMS["limit"]"#).expect("script");

    let path = script.to_str().expect("utf-8 path");
    let run = harness.run(&["run", "--arg", "limit=5", path, "first"]);
    run.assert_code(0);
    assert_eq!(run.stdout, "first/5\n");
}

#[test]
fn missing_script_is_a_usage_error() {
    let harness = Harness::new();
    let run = harness.run(&["run", "no_such_script_here"]);
    run.assert_code(2);
    assert!(run.stderr.contains("no_such_script_here"), "{}", run.stderr);
}

#[test]
fn fail_on_turns_findings_into_exit_3() {
    let harness = Harness::new();
    let script = harness.home.path().join("report.rhai");
    let report = r#"#{playbook: "demo", checked: ["x"], skipped: [],
        findings: [#{severity: "warning", title: "deep mailbox", culprit: "w",
                     evidence: [#{depth: 10}], recommendation: "look"}]}"#;
    std::fs::write(&script, report).expect("script");
    let path = script.to_str().expect("utf-8 path");

    let run = harness.run(&["run", "--fail-on", "warning", path]);
    run.assert_code(3);
    assert!(run.stdout.contains("WARNING  deep mailbox"), "{}", run.stdout);
    harness.run(&["run", "--fail-on", "critical", path]).assert_code(0);
}

#[test]
fn token_never_appears_in_output_or_logs() {
    let secret = "tok-5up3r-s3cr3t";
    let harness =
        Harness::with(SimOptions { token: Some(secret.to_string()), ..SimOptions::test() });

    let mut command = harness.command(&["-vv", "-e", "node_info()"]);
    let run = Run::from(command.env("ERGOSH_TOKEN", secret).output().expect("ergosh runs"));
    run.assert_code(0);
    assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret));

    let mut command = harness.command(&["-vv", "-e", "node_info()"]);
    let wrong = Run::from(command.env("ERGOSH_TOKEN", "wrong").output().expect("ergosh runs"));
    wrong.assert_code(2);
    assert!(!wrong.stderr.contains(secret));
}

#[test]
fn closed_pipe_ends_quietly() {
    let harness = Harness::new();
    let source =
        "let rows = []; rows.pad(20000, 0); rows.map(|v, i| #{index: i, name: `row ${i}`})";
    let mut child = harness
        .command(&["-e", source])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ergosh runs");

    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0_u8; 256];
    stdout.read_exact(&mut first).expect("some rows");
    drop(stdout);

    let status = child.wait().expect("ergosh exits");
    let mut stderr = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("stderr");
    assert!(status.success(), "{status:?} {stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

/// Runs a script that starts a sampler and loops, sends `signal` once the
/// sampler runs, and returns the exit code.
fn signal_a_sampling_script(harness: &Harness, signal: i32) -> i32 {
    let script = harness.home.path().join("sampling.rhai");
    let source = r#"let s = sample_start(#{tool: "node_info", interval_ms: 500, duration_sec: 60});
print("started " + s.id);
loop { sleep(50); }"#;
    std::fs::write(&script, source).expect("script");

    let mut child = harness
        .command(&["run", script.to_str().expect("utf-8 path")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ergosh runs");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut seen = Vec::new();
    let mut byte = [0_u8; 1];
    while !String::from_utf8_lossy(&seen).contains("started") {
        assert_eq!(stdout.read(&mut byte).expect("read"), 1, "exited before sampling");
        seen.push(byte[0]);
    }

    assert_eq!(running_samplers(harness).len(), 1, "the sampler runs before the signal");

    let pid = i32::try_from(child.id()).expect("pid");
    // SAFETY: sends a signal to the child this test started.
    unsafe { libc::kill(pid, signal) };
    child.wait().expect("ergosh exits").code().unwrap_or(-1)
}

fn running_samplers(harness: &Harness) -> Vec<(String, String, String)> {
    let samplers = harness.simulator.control().samplers();
    samplers.into_iter().filter(|(_, _, status)| status == "running").collect()
}

#[test]
fn sigterm_during_run_stops_the_scripts_samplers() {
    let harness = Harness::new();
    assert_eq!(signal_a_sampling_script(&harness, libc::SIGTERM), 143);
    assert_eq!(running_samplers(&harness), []);
}

#[test]
fn ctrl_c_during_run_stops_the_scripts_samplers() {
    let harness = Harness::new();
    assert_eq!(signal_a_sampling_script(&harness, libc::SIGINT), 130);
    assert_eq!(running_samplers(&harness), []);
}

#[test]
fn profile_from_ergosh_config_supplies_url_node_and_read_only() {
    let harness = Harness::new();
    let node = harness.simulator.control().node_names()[1].clone();
    let config = harness.home.path().join("ergosh.toml");
    let text = format!(
        "[profile.lab]\nurl = \"{}\"\nnode = \"{node}\"\nread_only = true\n",
        harness.simulator.url()
    );
    std::fs::write(&config, text).expect("config");

    let mut command = Command::new(env!("CARGO_BIN_EXE_ergosh"));
    isolate(&mut command, harness.home.path());
    command.env("ERGOSH_CONFIG", &config).args(["--profile", "lab", "-e", "node_info().Name"]);
    let run = Run::from(command.output().expect("ergosh runs"));
    run.assert_code(0);
    assert_eq!(run.stdout.trim(), node);

    let mut command = Command::new(env!("CARGO_BIN_EXE_ergosh"));
    isolate(&mut command, harness.home.path());
    let kill = r#"process_kill(#{pid: "<51D05CCD.0.1012>"})"#;
    command.env("ERGOSH_CONFIG", &config).args(["--profile", "lab", "--allow-actions", "-e", kill]);
    Run::from(command.output().expect("ergosh runs")).assert_code(1);
    assert_eq!(harness.tools_called("process_kill"), 0);
}

#[test]
fn unknown_profile_is_a_usage_error() {
    let harness = Harness::new();
    let config = harness.home.path().join("ergosh.toml");
    std::fs::write(&config, "[profile.lab]\nurl = \"http://127.0.0.1:1/mcp\"\n").expect("config");
    let mut command = harness.command(&["--profile", "prod", "-e", "1"]);
    let run = Run::from(command.env("ERGOSH_CONFIG", &config).output().expect("ergosh runs"));
    run.assert_code(2);
    assert!(run.stderr.contains("unknown profile `prod` (known: lab)"), "{}", run.stderr);
}
