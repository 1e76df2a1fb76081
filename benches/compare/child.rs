//! Child processes (jq, the Python baselines, the ergosh binary): wall time
//! and peak resident memory, read from `wait4`'s rusage.

use std::io::{self, BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// What one finished child did.
pub struct Outcome {
    pub wall: Duration,
    /// Peak resident set size in KiB (`ru_maxrss`).
    pub max_rss_kib: u64,
    pub stdout: String,
    pub stderr: String,
    pub is_success: bool,
}

impl Outcome {
    /// The child's stdout, trimmed, or an error naming what failed.
    pub fn output(&self, what: &str) -> io::Result<&str> {
        if self.is_success {
            return Ok(self.stdout.trim());
        }
        let stderr = self.stderr.trim();
        Err(io::Error::other(format!("{what} failed: {stderr}")))
    }
}

/// The flag that makes the bench binary a measuring helper (see
/// [`helper_main`]).
pub const HELPER_FLAG: &str = "--measure-child";

/// Runs `command` to the end, its stdout and stderr read fully.
///
/// A child spawned from this process would report this process's peak RSS
/// (Linux records the old address space's high-water mark at `exec`, and a
/// vforked child's is ours), so the child is started by a fresh copy of the
/// bench binary, whose own footprint is a few MiB, and that helper reports
/// the child's wall time and `wait4` peak RSS in a file.
pub fn run(command: &Command) -> io::Result<Outcome> {
    let report = tempfile::NamedTempFile::new()?;
    let mut helper = Command::new(std::env::current_exe()?);
    helper.arg(HELPER_FLAG).arg(report.path()).arg(command.get_program());
    helper.args(command.get_args());
    for (name, value) in command.get_envs() {
        match value {
            Some(value) => helper.env(name, value),
            None => helper.env_remove(name),
        };
    }
    let outcome = run_direct(&mut helper)?;

    let measured = std::fs::read_to_string(report.path())?;
    let numbers: Vec<u64> =
        measured.split_whitespace().filter_map(|number| number.parse().ok()).collect();
    let [wall_nanos, max_rss_kib, status] = numbers[..] else {
        return Err(io::Error::other(format!(
            "the measuring helper failed: {}",
            outcome.stderr.trim()
        )));
    };
    Ok(Outcome {
        wall: Duration::from_nanos(wall_nanos),
        max_rss_kib,
        is_success: status == 0,
        ..outcome
    })
}

/// The helper's side of [`run`]: `bench --measure-child REPORT PROGRAM ARGS...`
/// runs the program with this process's stdio and writes
/// `WALL_NANOS MAX_RSS_KIB STATUS` to REPORT.
pub fn helper_main(args: &[String]) -> io::Result<()> {
    let [report, program, rest @ ..] = args else {
        return Err(io::Error::other("usage: --measure-child REPORT PROGRAM ARGS..."));
    };
    let started = Instant::now();
    let child = Command::new(program).args(rest).spawn()?;
    let (is_success, max_rss_kib) = reap(child.id())?;
    let wall = started.elapsed();
    let status = if is_success { 0 } else { 1 };
    std::fs::write(report, format!("{} {max_rss_kib} {status}\n", wall.as_nanos()))
}

/// Runs `command` from this process, stdout and stderr read fully.
fn run_direct(command: &mut Command) -> io::Result<Outcome> {
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command.spawn()?;

    let mut stderr = child.stderr.take().expect("stderr is piped");
    let stderr_reader = thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut stdout = String::new();
    child.stdout.take().expect("stdout is piped").read_to_string(&mut stdout)?;

    let (is_success, max_rss_kib) = reap(child.id())?;
    let wall = started.elapsed();
    let stderr = stderr_reader.join().unwrap_or_default();
    Ok(Outcome { wall, max_rss_kib, stdout, stderr, is_success })
}

/// Time to the first line of stdout, and to exit after the pipe is dropped
/// right then (what `| head -1` sees).
pub struct FirstLine {
    pub first_line: Duration,
    pub exit: Duration,
}

/// Runs `command`, reads one line of its stdout, then closes the pipe.
pub fn first_line(command: &mut Command) -> io::Result<FirstLine> {
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null());
    let started = Instant::now();
    let mut child = command.spawn()?;

    let stdout = child.stdout.take().expect("stdout is piped");
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let first_line = started.elapsed();
    drop(reader);

    reap(child.id())?;
    let exit = started.elapsed();
    if line.is_empty() {
        return Err(io::Error::other("the child printed nothing"));
    }
    Ok(FirstLine { first_line, exit })
}

/// `struct rusage` of Linux on 64-bit targets: two timevals, then 14
/// longs, `ru_maxrss` (KiB) first.
#[repr(C)]
struct Rusage {
    user_time: [i64; 2],
    system_time: [i64; 2],
    max_rss: i64,
    rest: [i64; 13],
}

extern "C" {
    // From the C library std already links; declared here rather than
    // adding the `libc` crate for one call.
    fn wait4(pid: i32, status: *mut i32, options: i32, usage: *mut Rusage) -> i32;
}

/// Waits for the child with `wait4`: (exited with 0, peak RSS in KiB).
fn reap(pid: u32) -> io::Result<(bool, u64)> {
    let mut status = 0;
    let mut usage = Rusage { user_time: [0; 2], system_time: [0; 2], max_rss: 0, rest: [0; 13] };
    let pid = pid as i32;
    loop {
        // SAFETY: valid pointers to locals; pid is a child we spawned and
        // have not waited for.
        let reaped = unsafe { wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            break;
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
    // WIFEXITED and WEXITSTATUS.
    let is_success = status & 0x7f == 0 && (status >> 8) & 0xff == 0;
    Ok((is_success, usage.max_rss.max(0) as u64))
}

/// Whether `program args...` runs and exits with 0.
pub fn is_available(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|status| status.success())
        .unwrap_or(false)
}
