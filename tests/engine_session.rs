//! The engine against the simulated cluster over real HTTP on loopback:
//! tools as functions, argument checks, fan-out, samplers, the action
//! policy and Ctrl-C.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use ergosh::bindings::{CallError, Caller};
use ergosh::engine::{ActionPolicy, EvalFailure, Frontend, Session, SessionOptions};
use ergosh::interrupt::Interrupt;
use ergosh::mcp::{ClientOptions, McpClient};
use ergosh::sim::{SimControl, SimOptions, Simulator};
use rhai::Dynamic;

/// A front end that records what the session told it.
#[derive(Default)]
struct Recorder {
    answer: AtomicBool,
    confirmations: Mutex<Vec<String>>,
    warnings: Mutex<Vec<String>>,
    printed: Mutex<Vec<String>>,
}

impl Frontend for Recorder {
    fn confirm(&self, call: &str) -> bool {
        self.confirmations.lock().unwrap().push(call.to_string());
        self.answer.load(Ordering::SeqCst)
    }
    fn warn(&self, message: &str) {
        self.warnings.lock().unwrap().push(message.to_string());
    }
    fn print(&self, text: &str) {
        self.printed.lock().unwrap().push(text.to_string());
    }
    fn call_started(&self, _: &str) {}
    fn call_finished(&self) {}
    fn width(&self) -> usize {
        100
    }
}

struct Harness {
    session: Session,
    frontend: Arc<Recorder>,
    control: SimControl,
    _runtime: tokio::runtime::Runtime,
    sim: Option<Simulator>,
}

impl Harness {
    fn start(options: SessionOptions) -> Harness {
        let sim = Simulator::start(SimOptions::test()).expect("simulator starts");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let client = runtime
            .block_on(McpClient::connect(ClientOptions::new(sim.url())))
            .expect("client connects");
        let caller = Caller::new(client, runtime.handle().clone(), Interrupt::new());
        let frontend = Arc::new(Recorder::default());
        let session = Session::new(caller, options, frontend.clone()).expect("session");
        Harness { session, frontend, control: sim.control(), _runtime: runtime, sim: Some(sim) }
    }

    fn plain() -> Harness {
        Harness::start(options())
    }

    fn eval(&mut self, source: &str) -> Dynamic {
        match self.session.eval(source) {
            Ok(value) => value,
            Err(failure) => panic!("`{source}` failed: {failure}"),
        }
    }

    /// Evaluate for the effect only.
    fn run(&mut self, source: &str) {
        let _ = self.eval(source);
    }

    fn calls_of(&self, tool: &str) -> Vec<serde_json::Value> {
        self.control.calls().into_iter().filter(|c| c.tool == tool).map(|c| c.arguments).collect()
    }
}

fn options() -> SessionOptions {
    SessionOptions { load_prelude: false, script_paths: Vec::new(), ..SessionOptions::default() }
}

#[test]
fn every_tool_is_a_function_with_map_and_string_forms() {
    let mut h = Harness::plain();
    let info = h.eval("node_info()");
    assert!(info.is_map(), "node_info() gave {info}");

    let rows = h.eval(r#"process_list(#{sort_by: "mailbox", limit: 3})"#);
    let rows = rows.into_array().expect("an array");
    assert!(!rows.is_empty() && rows.len() <= 3);

    let pid = h.eval(r#"process_list(#{limit: 1})[0].PID"#).to_string();
    let by_string = h.eval(&format!("process_info({pid:?})"));
    assert!(by_string.is_map(), "process_info(\"{pid}\") gave {by_string}");
    let sent = h.calls_of("process_info");
    assert_eq!(sent.last().and_then(|a| a.get("pid")).and_then(|p| p.as_str()), Some(pid.as_str()));
}

#[test]
fn unknown_parameter_fails_before_anything_is_sent() {
    let mut h = Harness::plain();
    let before = h.calls_of("process_list").len();
    let failure = h.session.eval(r#"process_list(#{sort: "mailbox"})"#).unwrap_err();
    match &failure {
        EvalFailure::Tool(CallError::Args(error)) => {
            assert!(error.to_string().contains("sort_by"), "{error}")
        }
        other => panic!("expected an argument error, got {other:?}"),
    }
    assert_eq!(failure.exit_code(), 1);
    assert_eq!(h.calls_of("process_list").len(), before);
}

#[test]
fn tool_errors_are_catchable_and_unknown_tools_suggest_the_nearest() {
    let mut h = Harness::plain();
    let caught = h.eval(r#"try { process_info("<0.0.0>"); "no" } catch (e) { e }"#);
    assert_ne!(caught.to_string(), "no");

    let failure = h.session.eval(r#"tool("proces_list")"#).unwrap_err();
    assert!(failure.to_string().contains("process_list"), "{failure}");
    let listed = h.eval(r#"tool("process_list", #{limit: 2})"#).into_array().unwrap();
    assert!(listed.len() <= 2);
}

#[test]
fn variables_and_functions_persist_and_are_kept_for_save() {
    let mut h = Harness::plain();
    h.run("let x = 40;");
    h.run("fn plus_two(n) { n + 2 }");
    assert_eq!(h.eval("plus_two(x)").as_int(), Ok(42));
    h.run("x + 1");
    let saved = h.session.definitions();
    assert_eq!(saved, "let x = 40;\nfn plus_two(n) { n + 2 }\n");
    assert!(h.session.function_names().contains(&"plus_two".to_string()));
    assert!(h.session.function_names().contains(&"process_list".to_string()));
}

#[test]
fn each_node_keys_results_by_node_and_isolates_a_failing_node() {
    let mut h = Harness::plain();
    let nodes = h.control.node_names();
    let result = h.eval("each_node(|n| node_info().Name ?? n)");
    let map = result.try_cast::<rhai::Map>().expect("a map");
    let keys: Vec<String> = map.keys().map(|k| k.to_string()).collect();
    let mut expected = nodes.clone();
    expected.sort();
    assert_eq!(keys, expected);

    let script = format!(r#"each_node(["{}", "ghost@nowhere"], |n| current_node())"#, nodes[1]);
    let map = h.eval(&script).try_cast::<rhai::Map>().expect("a map");
    assert_eq!(map[nodes[1].as_str()].to_string(), nodes[1]);

    let failing = format!(r#"each_node(["{}", "ghost@nowhere"], |n| node_info())"#, nodes[1]);
    let map = h.eval(&failing).try_cast::<rhai::Map>().expect("a map");
    assert!(map[nodes[1].as_str()].is_map());
    let ghost = map["ghost@nowhere"].as_map_ref().map(|m| m.clone()).unwrap();
    assert!(ghost.contains_key("error"), "{ghost:?}");

    let targeted: Vec<String> = h
        .calls_of("node_info")
        .iter()
        .filter_map(|a| a.get("node").and_then(|n| n.as_str()).map(str::to_string))
        .collect();
    assert!(targeted.contains(&nodes[1]));
}

#[test]
fn use_node_and_on_fill_the_node_argument() {
    let mut h = Harness::plain();
    let other = h.control.node_names()[1].clone();
    h.run(&format!("use_node({other:?})"));
    assert_eq!(h.session.default_node(), Some(other.clone()));
    h.run("runtime_stats()");
    h.run("use_node(())");
    h.run(&format!("on({other:?}, || node_env())"));
    h.run("node_env()");
    h.run(&format!("use_node({other:?}); on((), || node_env()); use_node(())"));

    let stats = h.calls_of("runtime_stats");
    assert_eq!(stats[0].get("node").and_then(|n| n.as_str()), Some(other.as_str()));
    let env = h.calls_of("node_env");
    assert_eq!(env[0].get("node").and_then(|n| n.as_str()), Some(other.as_str()));
    assert!(env[1].get("node").is_none(), "{:?}", env[1]);
    assert!(env[2].get("node").is_none(), "on(()) is the entry node: {:?}", env[2]);
}

#[test]
fn samplers_read_incrementally_and_finish_stops_them() {
    let mut h = Harness::plain();
    h.run(r#"let s = sample_start(#{tool: "node_info", interval_ms: 1000});"#);
    let sent = h.calls_of("sample_start");
    assert_eq!(sent[0].get("duration_sec").and_then(|d| d.as_i64()), Some(60));

    h.control.advance(Duration::from_millis(3500));
    let first = h.eval("s.read()").into_array().unwrap();
    assert!(!first.is_empty());
    assert!(first[0].as_map_ref().unwrap()["data"].is_map(), "data converted like node_info()");
    let last_seen = sequence(first.last().unwrap());

    h.control.advance(Duration::from_millis(2000));
    let second = h.eval("s.read()").into_array().unwrap();
    assert!(!second.is_empty());
    assert!(second.iter().all(|s| sequence(s) > last_seen));
    assert!(h.eval("s.read()").into_array().unwrap().is_empty());

    h.run(r#"let kept = sample_listen(#{keep: true});"#);
    let id = h.eval("s.id").to_string();
    let kept = h.eval("kept.id").to_string();
    assert_eq!(h.session.samplers().len(), 2);

    h.session.finish();
    let alive: Vec<String> = h.control.samplers().into_iter().map(|(_, id, _)| id).collect();
    assert!(!alive.contains(&id), "{alive:?}");
    assert!(alive.contains(&kept), "{alive:?}");
}

fn sequence(sample: &Dynamic) -> i64 {
    sample.as_map_ref().unwrap()["sequence"].as_int().unwrap()
}

#[test]
fn follow_stops_when_the_closure_answers_false() {
    let mut h = Harness::plain();
    h.run(r#"let s = sample_start(#{tool: "node_info", interval_ms: 500});"#);
    h.control.advance(Duration::from_millis(2200));
    assert_eq!(h.eval("s.follow(|x| false)").as_int(), Ok(1));
    let seen =
        h.eval("let seen = []; s.follow(|x| { seen.push(x.sequence); seen.len() < 2 }); seen");
    assert_eq!(seen.into_array().unwrap().len(), 2);
}

#[test]
fn raw_sampler_tools_stay_callable_and_untracked() {
    let mut h = Harness::plain();
    let started = h.eval(r#"tool("sample_start", #{tool: "node_info", interval_ms: 1000})"#);
    assert!(started.is_map(), "{started}");
    assert!(h.session.samplers().is_empty());
    assert_eq!(
        h.calls_of("sample_start")[0].get("duration_sec").and_then(|d| d.as_i64()),
        Some(60)
    );
}

#[test]
fn a_node_that_went_away_is_a_connection_failure() {
    let mut h = Harness::plain();
    h.run("node_info()");
    drop(h.sim.take());
    let failure = h.session.eval("node_info()").unwrap_err();
    assert!(matches!(failure, EvalFailure::Tool(CallError::Mcp(_))), "{failure:?}");
    assert_eq!(failure.exit_code(), 2, "{failure}");
}

#[test]
fn unbounded_sampler_gets_the_maximum_with_a_warning() {
    let mut h = Harness::plain();
    h.run(r#"sample_start(#{tool: "runtime_stats", duration_sec: 0})"#);
    let sent = h.calls_of("sample_start");
    assert_eq!(sent[0].get("duration_sec").and_then(|d| d.as_i64()), Some(3600));
    assert!(h.frontend.warnings.lock().unwrap().iter().any(|w| w.contains("3600")));
}

#[test]
fn refused_action_is_never_sent() {
    let policy = ActionPolicy::Refuse { reason: "run with --allow-actions".into() };
    let mut h = Harness::start(SessionOptions { policy, ..options() });
    let failure = h.session.eval(r#"process_kill(#{pid: "<ABC.0.1>"})"#).unwrap_err();
    match &failure {
        EvalFailure::Refused(message) => {
            assert!(message.contains("process_kill is an action tool"), "{message}");
            assert!(message.contains("--allow-actions"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(failure.exit_code(), 1);
    let sampled =
        h.session.eval(r#"sample_start(#{tool: "send_exit", arguments: #{pid: "<A.0.1>"}})"#);
    assert!(matches!(sampled, Err(EvalFailure::Refused(_))));
    assert!(h.calls_of("process_kill").is_empty());
    assert!(h.calls_of("sample_start").is_empty());
}

#[test]
fn confirmation_shows_the_exact_call_and_a_no_sends_nothing() {
    let mut h = Harness::start(SessionOptions { policy: ActionPolicy::Confirm, ..options() });
    let other = h.control.node_names()[1].clone();
    let pid =
        h.eval(&format!(r#"process_list(#{{limit: 1, node: {other:?}}})[0].PID"#)).to_string();
    let call = format!(r#"process_kill(#{{pid: {pid:?}, node: {other:?}}})"#);

    let declined = h.session.eval(&call).unwrap_err();
    assert!(matches!(declined, EvalFailure::Refused(_)), "{declined:?}");
    assert!(h.calls_of("process_kill").is_empty());
    let asked = h.frontend.confirmations.lock().unwrap().clone();
    assert_eq!(asked, [format!("process_kill(#{{pid: {pid:?}}}) on node {other}")]);

    h.frontend.answer.store(true, Ordering::SeqCst);
    let _ = h.session.eval(&call);
    let sent = h.calls_of("process_kill");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].get("pid").and_then(|p| p.as_str()), Some(pid.as_str()));
}

#[test]
fn allowed_action_runs_without_asking() {
    let mut h = Harness::start(SessionOptions { policy: ActionPolicy::Allow, ..options() });
    let _ = h.session.eval(r#"log_level_set(#{level: "info"})"#);
    assert_eq!(h.calls_of("log_level_set").len(), 1);
    assert!(h.frontend.confirmations.lock().unwrap().is_empty());
}

#[test]
fn profiles_in_a_loop_warn_once() {
    let mut h = Harness::plain();
    h.run("for i in 0..6 { pprof_heap(#{limit: 5}); }");
    let warnings = h.frontend.warnings.lock().unwrap().clone();
    assert_eq!(warnings.iter().filter(|w| w.contains("repeatedly")).count(), 1, "{warnings:?}");
}

#[test]
fn unfiltered_goroutine_dump_of_a_remote_node_warns() {
    let mut h = Harness::plain();
    let other = h.control.node_names()[1].clone();
    h.run(&format!(r#"pprof_goroutines(#{{node: {other:?}, limit: 5}})"#));
    let warnings = h.frontend.warnings.lock().unwrap().clone();
    assert!(warnings.iter().any(|w| w.contains(&other)), "{warnings:?}");
}

/// Raise Ctrl-C from another thread after `delay`.
fn interrupt_after(interrupt: Interrupt, delay: Duration) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        thread::sleep(delay);
        interrupt.raise();
    })
}

#[test]
fn ctrl_c_stops_an_endless_loop_and_the_next_line_works() {
    let mut h = Harness::plain();
    let raiser = interrupt_after(h.session.interrupt(), Duration::from_millis(300));
    let started = Instant::now();
    let failure = h.session.eval("let n = 0; loop { n += 1; }").unwrap_err();
    raiser.join().unwrap();
    assert!(matches!(failure, EvalFailure::Interrupted), "{failure:?}");
    assert_eq!(failure.exit_code(), 130);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(h.eval("1 + 1").as_int(), Ok(2));
}

#[test]
fn ctrl_c_stops_a_follow_and_the_line_s_sampler() {
    let mut h = Harness::plain();
    let raiser = interrupt_after(h.session.interrupt(), Duration::from_millis(500));
    let script = r#"let s = sample_start(#{tool: "node_info", interval_ms: 200}); s.follow(|x| print(x.sequence))"#;
    let failure = h.session.eval(script).unwrap_err();
    raiser.join().unwrap();
    assert!(matches!(failure, EvalFailure::Interrupted), "{failure:?}");
    assert!(h.session.samplers().is_empty());
    assert!(h.control.samplers().is_empty(), "{:?}", h.control.samplers());
}

#[test]
fn scripts_get_args_params_and_import_from_the_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lib.rhai"), "fn double(x) { x * 2 }").unwrap();
    std::fs::write(
        dir.path().join("main.rhai"),
        "//! doubles the first argument\nimport \"lib\" as lib;\nlib::double(parse_int(ARGS[0])) + parse_int(PARAMS.extra)",
    )
    .unwrap();
    let mut params = std::collections::BTreeMap::new();
    params.insert("extra".to_string(), "1".to_string());
    let mut h = Harness::start(SessionOptions {
        script_paths: vec![dir.path().to_path_buf()],
        args: vec!["20".to_string()],
        params,
        ..options()
    });

    let path = h.session.resolve_script("main").expect("found on the path");
    let value = h.session.run_file(&path).unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(value.as_int(), Ok(41));
    let scripts = h.session.scripts();
    let main = scripts.iter().find(|s| s.name == "main").expect("listed");
    assert_eq!(main.summary, "doubles the first argument");
}

#[test]
fn script_errors_carry_their_position() {
    let mut h = Harness::plain();
    match h.session.eval("let a = 1;\nlet b = nope + 1;") {
        Err(EvalFailure::Script { line, column, message }) => {
            assert_eq!(line, Some(2), "{message}");
            assert!(column.is_some());
        }
        other => panic!("expected a script error, got {other:?}"),
    }
}

#[test]
fn helpers_work_on_tool_results() {
    let mut h = Harness::plain();
    let top = h.eval(r#"top(process_list(#{limit: 20}), 3, "MessagesMailbox")"#);
    let top = top.into_array().unwrap();
    assert!(top.len() <= 3);
    let counted = h.eval(r#"count_by(process_list(#{limit: 20}), "State")"#);
    assert!(counted.is_map());
    let text = h.eval(r#"table(process_list(#{limit: 3}), ["PID", "Name"])"#).to_string();
    assert!(text.contains("PID"), "{text}");
    let window = h.eval(
        r#"let a = process_list(#{limit: 5}); let b = process_list(#{limit: 5}); delta(a, b, "PID")"#,
    );
    assert!(window.into_array().is_ok());

    let kept = h.eval(
        r#"let rows = process_list(#{limit: 20});
           let n = rows.len();
           let busy = where(rows, |r| r.MessagesIn >= 0);
           let best = top(rows, 2, "MessagesIn");
           let names = select(rows, ["Name"]);
           [n, rows.len(), busy.len(), best.len(), names[0].len(), sum(rows, "MessagesIn") >= 0]"#,
    );
    let kept: Vec<String> = kept.into_array().unwrap().iter().map(|v| v.to_string()).collect();
    assert_eq!(kept[0], kept[1], "the variable is left as it was");
    assert_eq!(kept[2], kept[0]);
    assert_eq!(kept[3], "2");
    assert_eq!(kept[4], "1");
    assert_eq!(kept[5], "true");
}

#[test]
fn the_prelude_loads_into_every_session() {
    let mut h = Harness::start(SessionOptions { load_prelude: true, ..options() });
    let warnings = h.frontend.warnings.lock().unwrap().clone();
    assert!(warnings.iter().all(|w| !w.contains("prelude")), "{warnings:?}");
    let docs = h.session.prelude_functions();
    assert!(!docs.is_empty());
    let names = h.session.function_names();
    assert!(docs.iter().all(|d| names.contains(&d.name)));
    let first = &docs[0];
    assert!(!first.doc.is_empty(), "{} has no /// line", first.name);
    assert_eq!(h.eval("1 + 2").as_int(), Ok(3));
}
