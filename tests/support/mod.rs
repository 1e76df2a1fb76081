//! The harness of the fault matrix, the REPL fault rows and the soak
//! tests: a simulated cluster with a private home for the binary, runs
//! with their exit code and output, a relay that records every byte the
//! client sends (the simulator does not record notifications), and
//! measurements of a child process (peak and current RSS, open sockets).

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use ergosh::sim::{SimControl, SimOptions, Simulator};
use rexpect::session::PtySession;
use tempfile::TempDir;

pub const PROMPT: &str = "ergosh> ";

/// A simulated cluster, an optional recording relay in front of it and a
/// private home for the binary.
pub struct Harness {
    pub simulator: Simulator,
    pub home: TempDir,
    relay: Option<Relay>,
}

impl Harness {
    /// A three-node test cluster on a manual clock, a minute into its life.
    pub fn new() -> Harness {
        Harness::with(SimOptions::test())
    }

    pub fn with(options: SimOptions) -> Harness {
        let simulator = Simulator::start(options).expect("simulator starts");
        simulator.control().advance(Duration::from_secs(60));
        let home = tempfile::tempdir().expect("temp home");
        Harness { simulator, home, relay: None }
    }

    /// The same, with the client talking through a recording relay.
    pub fn relayed(mut self) -> Harness {
        self.relay = Some(Relay::start(self.simulator.address()));
        self
    }

    pub fn control(&self) -> SimControl {
        self.simulator.control()
    }

    /// The URL the binary is given: the relay's when there is one.
    pub fn url(&self) -> String {
        match &self.relay {
            Some(relay) => relay.url(),
            None => self.simulator.url(),
        }
    }

    pub fn relay(&self) -> &Relay {
        self.relay.as_ref().expect("a relayed harness")
    }

    /// `ergosh --url URL ARGS...` with its own HOME and XDG dirs.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = binary(self.home.path());
        command.arg("--url").arg(self.url()).args(args);
        command
    }

    pub fn run(&self, args: &[&str]) -> Run {
        run(&mut self.command(args))
    }

    /// A file in the home, written with `contents`; its path as text.
    pub fn file(&self, name: &str, contents: impl AsRef<[u8]>) -> String {
        let path = self.home.path().join(name);
        std::fs::write(&path, contents).expect("write a file");
        path.to_str().expect("utf-8 temp path").to_string()
    }

    /// How many `tools/call`s of `tool` reached the cluster.
    pub fn calls_of(&self, tool: &str) -> usize {
        self.control().calls().iter().filter(|call| call.tool == tool).count()
    }

    /// Samplers the cluster still runs, as `(node, id)`.
    pub fn running_samplers(&self) -> Vec<(String, String)> {
        self.control()
            .samplers()
            .into_iter()
            .filter(|(_, _, status)| status == "running")
            .map(|(node, id, _)| (node, id))
            .collect()
    }

    pub fn history_file(&self) -> PathBuf {
        self.home.path().join("data").join("ergosh").join("history")
    }

    pub fn scripts_dir(&self) -> PathBuf {
        self.home.path().join("config").join("ergosh").join("scripts")
    }

    /// The REPL in a pseudo-terminal, at its first prompt.
    pub fn repl(&self, args: &[&str]) -> PtySession {
        self.repl_with(args, |_| {})
    }

    /// The REPL, with the command adjusted first (environment, flags).
    pub fn repl_with(&self, args: &[&str], adjust: impl FnOnce(&mut Command)) -> PtySession {
        let mut command = self.command(args);
        command.env("TERM", "xterm").stdin(Stdio::inherit());
        adjust(&mut command);
        let mut session = rexpect::session::spawn_command(command, Some(15_000)).expect("spawn");
        session.exp_string(PROMPT).expect("first prompt");
        session
    }
}

/// The binary with every user directory inside `home` and no inherited
/// ergosh settings.
pub fn binary(home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ergosh"));
    command
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("NO_COLOR", "1")
        .env_remove("ERGOSH_URL")
        .env_remove("ERGOSH_TOKEN")
        .env_remove("ERGOSH_TOKEN_FILE")
        .env_remove("ERGOSH_TIMEOUT")
        .env_remove("ERGOSH_CONFIG")
        .env_remove("ERGOSH_PROFILE")
        .env_remove("ERGOSH_NODE")
        .env_remove("RUST_LOG")
        .env_remove("RUST_BACKTRACE")
        .env_remove("COLUMNS")
        .stdin(Stdio::null());
    command
}

/// A finished run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    /// The signal that ended it, if one did.
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// Peak resident set of the child, from `wait4`.
    pub peak_rss_kib: u64,
    pub elapsed: Duration,
}

impl Run {
    pub fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(self.code, code, "{self}");
        self
    }

    /// Exit `code`, stderr opening with one `error:` line that holds every
    /// needle; the lines after it are causes, a hint or a source snippet;
    /// nothing panicked.
    pub fn assert_error(&self, code: i32, needles: &[&str]) -> &Run {
        self.assert_code(code);
        let first = self.error_line();
        for needle in needles {
            assert!(first.contains(needle), "`{needle}` not in the error line:\n{self}");
        }
        let after = self.stderr.lines().skip_while(|line| !line.starts_with("error: ")).skip(1);
        for line in after.filter(|line| !is_log_line(line)) {
            let allowed = line.starts_with("  caused by: ")
                || line.starts_with("hint: ")
                || line.contains(" |");
            assert!(allowed, "unexpected line `{line}`:\n{self}");
        }
        self.assert_no_panic()
    }

    pub fn assert_no_panic(&self) -> &Run {
        assert!(self.signal.is_none(), "killed by signal {:?}:\n{self}", self.signal);
        for word in ["panicked", "RUST_BACKTRACE", "stack backtrace"] {
            assert!(!self.stderr.contains(word), "{self}");
        }
        self
    }

    /// The first stderr line that starts with `error: ` (demo banners and
    /// warnings may come before it).
    pub fn error_line(&self) -> &str {
        self.stderr
            .lines()
            .find(|line| line.starts_with("error: "))
            .unwrap_or_else(|| panic!("no `error:` line:\n{self}"))
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {} (signal {:?}) after {:?}\n--- stdout:\n{}\n--- stderr:\n{}",
            self.code,
            self.signal,
            self.elapsed,
            cut(&self.stdout),
            cut(&self.stderr)
        )
    }
}

/// A `tracing` line (`-v`, `RUST_LOG`): it opens with a timestamp.
fn is_log_line(line: &str) -> bool {
    line.len() > 20 && line.as_bytes()[..4].iter().all(u8::is_ascii_digit) && &line[4..5] == "-"
}

fn cut(text: &str) -> String {
    if text.len() <= 4000 {
        return text.to_string();
    }
    let mut end = 4000;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &text[..end], text.len())
}

/// Runs `command` to the end, reading both pipes, and measures the peak
/// RSS of the child with `wait4`.
#[allow(clippy::zombie_processes)] // reaped by `wait4`, which std does not see
pub fn run(command: &mut Command) -> Run {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command.spawn().expect("ergosh starts");
    let stdout = drain(child.stdout.take().expect("stdout"));
    let stderr = drain(child.stderr.take().expect("stderr"));
    let (status, peak_rss_kib) = wait4(&child);
    let elapsed = started.elapsed();
    Run {
        code: status.code().unwrap_or(-1),
        signal: status.signal(),
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
        peak_rss_kib,
        elapsed,
    }
}

/// A spawned child's output, collected on threads so pipes never fill.
pub struct Running {
    pub child: Child,
    stdout: Option<thread::JoinHandle<String>>,
    stderr: Option<thread::JoinHandle<String>>,
    started: Instant,
}

impl Running {
    pub fn spawn(mut command: Command) -> Running {
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().expect("ergosh starts");
        let stdout = Some(drain(child.stdout.take().expect("stdout")));
        let stderr = Some(drain(child.stderr.take().expect("stderr")));
        Running { child, stdout, stderr, started: Instant::now() }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    pub fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on the pid of a child this test spawned and has
        // not reaped yet.
        let result = unsafe { libc::kill(self.pid(), signal) };
        assert_eq!(result, 0, "kill({}, {signal})", self.pid());
    }

    /// Waits at most `limit` for the end; kills the child if it overruns.
    pub fn finish(mut self, limit: Duration) -> Run {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            thread::sleep(Duration::from_millis(20));
        }
        let overran = !matches!(self.child.try_wait(), Ok(Some(_)));
        if overran {
            let _ = self.child.kill();
        }
        let status = self.child.wait().expect("child status");
        let run = Run {
            code: status.code().unwrap_or(-1),
            signal: status.signal(),
            stdout: self.stdout.take().expect("stdout").join().expect("stdout reader"),
            stderr: self.stderr.take().expect("stderr").join().expect("stderr reader"),
            peak_rss_kib: 0,
            elapsed: self.started.elapsed(),
        };
        assert!(!overran, "still running after {limit:?}, killed:\n{run}");
        run
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Reaps `child` with `wait4`: its status and peak RSS in KiB.
fn wait4(child: &Child) -> (ExitStatus, u64) {
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data, zero is a valid value for it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our unreaped child; both pointers are valid.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            break;
        }
        let error = std::io::Error::last_os_error();
        assert_eq!(error.kind(), std::io::ErrorKind::Interrupted, "wait4: {error}");
    }
    (ExitStatus::from_raw(status), usage.ru_maxrss.max(0) as u64)
}

/// VmRSS of a live process, in KiB.
pub fn rss_kib(pid: i32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// How many TCP sockets a live process holds open: its socket inodes
/// that `/proc/PID/net/tcp{,6}` lists (signal pipes and other Unix
/// sockets do not count).
pub fn tcp_socket_count(pid: i32) -> Option<usize> {
    let entries = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    let inodes: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| std::fs::read_link(entry.path()).ok())
        .filter_map(|target| {
            let target = target.to_string_lossy().into_owned();
            let inode = target.strip_prefix("socket:[")?.strip_suffix(']')?.to_string();
            Some(inode)
        })
        .collect();
    let mut tcp = std::collections::HashSet::new();
    for table in ["tcp", "tcp6"] {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")) else {
            continue;
        };
        for row in text.lines().skip(1) {
            if let Some(inode) = row.split_whitespace().nth(9) {
                tcp.insert(inode.to_string());
            }
        }
    }
    Some(inodes.iter().filter(|inode| tcp.contains(inode.as_str())).count())
}

/// Polls `condition` every 20 ms for at most `limit`.
pub fn wait_until(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// A TCP relay on loopback that forwards to the simulator and keeps every
/// byte the client sent, so a test can see notifications the simulator
/// answers without recording (`notifications/cancelled`) and count the
/// connections the client opened.
pub struct Relay {
    address: SocketAddr,
    sent: Arc<Mutex<Vec<u8>>>,
    received: Arc<Mutex<Vec<u8>>>,
    accepted: Arc<AtomicUsize>,
    stopped: Arc<AtomicBool>,
}

impl Relay {
    pub fn start(target: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("relay binds");
        let address = listener.local_addr().expect("relay address");
        let sent = Arc::new(Mutex::new(Vec::new()));
        let received = Arc::new(Mutex::new(Vec::new()));
        let accepted = Arc::new(AtomicUsize::new(0));
        let stopped = Arc::new(AtomicBool::new(false));
        let (count, stop) = (accepted.clone(), stopped.clone());
        let records = (sent.clone(), received.clone());
        thread::spawn(move || {
            for client in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = client else { continue };
                count.fetch_add(1, Ordering::SeqCst);
                let Ok(server) = TcpStream::connect(target) else { continue };
                forward(client, server, records.clone());
            }
        });
        Relay { address, sent, received, accepted, stopped }
    }

    pub fn url(&self) -> String {
        format!("http://{}/mcp", self.address)
    }

    /// Everything the client sent so far, as text.
    pub fn sent(&self) -> String {
        let sent = self.sent.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        String::from_utf8_lossy(&sent).into_owned()
    }

    /// Everything the server answered so far, as text.
    pub fn received(&self) -> String {
        let received = self.received.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        String::from_utf8_lossy(&received).into_owned()
    }

    /// How often `needle` occurs in what the client sent.
    pub fn count(&self, needle: &str) -> usize {
        self.sent().matches(needle).count()
    }

    /// Connections the client opened.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Waits up to `limit` for `needle` to be sent.
    pub fn wait_for(&self, needle: &str, limit: Duration) -> bool {
        wait_until(limit, || self.sent().contains(needle))
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.address);
    }
}

/// What the client sent and what the server answered.
type Records = (Arc<Mutex<Vec<u8>>>, Arc<Mutex<Vec<u8>>>);

/// Copies both ways on two threads, recording each direction.
fn forward(client: TcpStream, server: TcpStream, (sent, received): Records) {
    let (Ok(client_read), Ok(server_write)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    thread::spawn(move || copy(client_read, server_write, sent));
    thread::spawn(move || copy(server, client, received));
}

fn copy(mut from: TcpStream, mut to: TcpStream, record: Arc<Mutex<Vec<u8>>>) {
    let mut buffer = vec![0_u8; 64 * 1024];
    loop {
        let read = match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        let mut kept = record.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        kept.extend_from_slice(&buffer[..read]);
        drop(kept);
        if to.write_all(&buffer[..read]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
    let _ = from.shutdown(Shutdown::Read);
}
