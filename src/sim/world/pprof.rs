//! The profiling tools' text: goroutine dumps (debug 1 and 2) built from
//! what the node's processes are doing, and CPU profiles.

use super::node::Node;
use super::process::{Process, State};

/// A group of goroutines with the same stack.
pub struct Stack {
    pub count: u64,
    pub wait: &'static str,
    /// (function, file:line), innermost first.
    pub frames: Vec<(String, String)>,
    pub pid: Option<String>,
}

const PROCESS_GO: &str = "/root/go/pkg/mod/ergo.services/ergo/node/process.go";

fn frame(function: &str, file: &str) -> (String, String) {
    (function.to_string(), file.to_string())
}

/// `main.checkoutWorker` → `main.(*checkoutWorker)`.
fn receiver(behavior: &str) -> String {
    match behavior.split_once('.') {
        Some((package, kind)) => format!("{package}.(*{kind})"),
        None => behavior.to_string(),
    }
}

fn source_file(process: &Process) -> String {
    format!(
        "/srv/{}/{}.go:{}",
        process.application,
        process.behavior.trim_start_matches("main."),
        40 + process.id % 90
    )
}

/// The goroutine of a process that has one.
fn process_stack(node: &Node, process: &Process) -> Stack {
    let handler = format!("{}.HandleMessage", receiver(&process.behavior));
    let file = source_file(process);
    let (wait, mut frames) = match (process.state, process.frozen_ms.is_some()) {
        (State::WaitResponse, _) => (
            "select",
            vec![
                frame(
                    "ergo.services/ergo/node.(*process).waitResponse",
                    &format!("{PROCESS_GO}:2010"),
                ),
                frame("ergo.services/ergo/node.(*process).Call", &format!("{PROCESS_GO}:520")),
                frame(&handler, &file),
            ],
        ),
        (State::Zombee, _) => (
            "chan receive",
            vec![
                frame("runtime.chanrecv1", "/usr/local/go/src/runtime/chan.go:489"),
                frame(&handler, &file),
            ],
        ),
        _ if process.flow.busy_ns_per_sec > 0.0 => (
            "sync.Mutex.Lock",
            vec![
                frame("sync.runtime_SemacquireMutex", "/usr/local/go/src/runtime/sema.go:95"),
                frame("sync.(*Mutex).lockSlow", "/usr/local/go/src/sync/mutex.go:173"),
                frame("sync.(*Mutex).Lock", "/usr/local/go/src/sync/mutex.go:92"),
                frame(&handler, &file),
            ],
        ),
        _ if process.flow.run_ns_per_message >= 10_000_000.0 => (
            "sleep",
            vec![
                frame("time.Sleep", "/usr/local/go/src/runtime/time.go:368"),
                frame(&handler, &file),
            ],
        ),
        _ => ("runnable", vec![frame(&handler, &file)]),
    };
    frames.push(frame(
        "ergo.services/ergo/act.(*Actor).ProcessRun",
        "/root/go/pkg/mod/ergo.services/ergo/act/actor.go:201",
    ));
    frames
        .push(frame("ergo.services/ergo/node.(*process).run.func1", &format!("{PROCESS_GO}:1863")));
    let pid = node.pprof_tag.then(|| node.pid(process.id));
    Stack { count: 1, wait, frames, pid }
}

/// Every goroutine group of the node, the largest first.
pub fn stacks(node: &Node, peers: usize) -> Vec<Stack> {
    let mut stacks = base_stacks(node, peers);
    for process in node.processes.values().filter(|process| process.has_goroutine()) {
        stacks.push(process_stack(node, process));
    }
    if let Some(leak) = &node.goroutine_leak {
        if leak.count > 0 {
            let owner = node
                .processes
                .get(&leak.owner)
                .map_or("main.webhookDispatcher", |p| p.behavior.as_str());
            let owner = receiver(owner);
            stacks.push(Stack {
                count: leak.count,
                wait: "chan send",
                frames: vec![
                    frame("runtime.chansend1", "/usr/local/go/src/runtime/chan.go:161"),
                    frame(
                        &format!("{owner}.deliver.func1"),
                        "/srv/pricing/webhookDispatcher.go:88",
                    ),
                ],
                pid: None,
            });
        }
    }
    stacks.sort_by_key(|stack| std::cmp::Reverse(stack.count));
    stacks
}

fn base_stacks(node: &Node, peers: usize) -> Vec<Stack> {
    let single = |wait: &'static str, frames: Vec<(String, String)>| Stack {
        count: 1,
        wait,
        frames,
        pid: None,
    };
    let mut stacks = vec![
        Stack {
            count: 3 * peers.max(1) as u64,
            wait: "IO wait",
            frames: vec![
                frame("internal/poll.runtime_pollWait", "/usr/local/go/src/runtime/netpoll.go:351"),
                frame("internal/poll.(*FD).Read", "/usr/local/go/src/internal/poll/fd_unix.go:170"),
                frame("net.(*conn).Read", "/usr/local/go/src/net/net.go:196"),
                frame(
                    "ergo.services/ergo/net/proto.(*connection).read",
                    "/root/go/pkg/mod/ergo.services/ergo/net/proto/connection.go:2584",
                ),
                frame(
                    "ergo.services/ergo/net/proto.(*connection).serve",
                    "/root/go/pkg/mod/ergo.services/ergo/net/proto/connection.go:1516",
                ),
            ],
            pid: None,
        },
        single(
            "syscall",
            vec![
                frame("os/signal.signal_recv", "/usr/local/go/src/runtime/sigqueue.go:152"),
                frame("os/signal.loop", "/usr/local/go/src/os/signal/signal_unix.go:23"),
            ],
        ),
        single(
            "running",
            vec![
                frame(
                    "runtime/pprof.writeRuntimeProfile",
                    "/usr/local/go/src/runtime/pprof/pprof.go:848",
                ),
                frame(
                    "runtime/pprof.writeGoroutine",
                    "/usr/local/go/src/runtime/pprof/pprof.go:781",
                ),
                frame(
                    "ergo.services/application/mcp.toolPprofGoroutines",
                    "/root/go/pkg/mod/ergo.services/application/mcp/tools_debug.go:143",
                ),
                frame(
                    "ergo.services/application/mcp.(*MCPWorker).HandleMessage",
                    "/root/go/pkg/mod/ergo.services/application/mcp/worker.go:152",
                ),
            ],
        ),
        single("chan receive", vec![frame("main.main", "/srv/main.go:61")]),
        single(
            "IO wait",
            vec![
                frame("internal/poll.runtime_pollWait", "/usr/local/go/src/runtime/netpoll.go:351"),
                frame("net.(*TCPListener).Accept", "/usr/local/go/src/net/tcpsock.go:380"),
                frame(
                    "ergo.services/ergo/node.(*network).accept",
                    "/root/go/pkg/mod/ergo.services/ergo/node/network.go:1120",
                ),
            ],
        ),
        single(
            "select",
            vec![frame(
                "ergo.services/ergo/node.(*cron).start.func1",
                "/root/go/pkg/mod/ergo.services/ergo/node/cron.go:88",
            )],
        ),
        Stack {
            count: 2,
            wait: "GC worker (idle)",
            frames: vec![frame("runtime.gcBgMarkWorker", "/usr/local/go/src/runtime/mgc.go:1423")],
            pid: None,
        },
        single(
            "GC sweep wait",
            vec![frame("runtime.bgsweep", "/usr/local/go/src/runtime/mgcsweep.go:279")],
        ),
        single(
            "GC scavenge wait",
            vec![frame("runtime.bgscavenge", "/usr/local/go/src/runtime/mgcscavenge.go:425")],
        ),
        single(
            "finalizer wait",
            vec![frame("runtime.runfinq", "/usr/local/go/src/runtime/mfinal.go:193")],
        ),
    ];
    if node.index == 0 {
        stacks.push(single(
            "select",
            vec![
                frame(
                    "ergo.services/ergo/meta.(*webhandler).ServeHTTP",
                    "/root/go/pkg/mod/ergo.services/ergo/meta/web_handler.go:110",
                ),
                frame("net/http.(*conn).serve", "/usr/local/go/src/net/http/server.go:2157"),
            ],
        ));
        stacks.push(single(
            "IO wait",
            vec![
                frame("internal/poll.runtime_pollWait", "/usr/local/go/src/runtime/netpoll.go:351"),
                frame(
                    "ergo.services/ergo/net/registrar.(*server).serve",
                    "/root/go/pkg/mod/ergo.services/ergo/net/registrar/server.go:77",
                ),
            ],
        ));
    }
    stacks
}

/// The number of goroutines `runtime_stats` reports.
pub fn goroutine_count(node: &Node, peers: usize) -> u64 {
    stacks(node, peers).iter().map(|stack| stack.count).sum()
}

fn address(text: &str, salt: u64) -> u64 {
    let hash = super::node::crc32(text.as_bytes()) as u64 ^ salt.wrapping_mul(0x9E37_79B9);
    0x40_0000 + hash % 0x50_0000
}

/// One group as `pprof.Lookup("goroutine").WriteTo(w, 1)` prints it.
fn summary_block(stack: &Stack) -> String {
    let addresses: Vec<String> =
        stack.frames.iter().map(|(function, _)| format!("{:#x}", address(function, 1))).collect();
    let mut text = format!("{} @ {}\n", stack.count, addresses.join(" "));
    if let Some(pid) = &stack.pid {
        text.push_str(&format!("# labels: {{\"pid\":\"{pid}\"}}\n"));
    }
    let lines: Vec<String> = stack
        .frames
        .iter()
        .map(|(function, file)| {
            let offset = address(function, 2) % 0x400;
            format!("#\t{:#x}\t{function}+{offset:#x}\t\t\t\t{file}", address(function, 1) - 1)
        })
        .collect();
    text.push_str(&lines.join("\n"));
    text
}

/// One goroutine as `WriteTo(w, 2)` prints it.
fn trace_block(stack: &Stack, goroutine: u64) -> String {
    let mut text = format!("goroutine {goroutine} [{}]:\n", stack.wait);
    if let Some(pid) = &stack.pid {
        text.push_str(&format!("labels: {{\"pid\":\"{pid}\"}}\n"));
    }
    for (function, file) in &stack.frames {
        let offset = address(function, 2) % 0x400;
        text.push_str(&format!(
            "{function}(0xc000{:06x})\n\t{file} +{offset:#x}\n",
            address(function, goroutine) % 0xFF_FFFF
        ));
    }
    text.push_str(&format!(
        "created by ergo.services/ergo/node.(*process).run in goroutine {}\n\t{PROCESS_GO}:1844 +0x76",
        goroutine.saturating_sub(1).max(1)
    ));
    text
}

/// The blocks of a dump at `debug` level, as the tool splits them.
pub fn blocks(stacks: &[Stack], debug: i64) -> Vec<String> {
    let total: u64 = stacks.iter().map(|stack| stack.count).sum();
    if debug == 1 {
        let mut blocks: Vec<String> = stacks.iter().map(summary_block).collect();
        if let Some(first) = blocks.first_mut() {
            *first = format!("goroutine profile: total {total}\n{first}");
        }
        return blocks;
    }
    let mut blocks = Vec::new();
    let mut goroutine = 1;
    for stack in stacks {
        for _ in 0..stack.count {
            blocks.push(trace_block(stack, goroutine));
            goroutine += 1 + goroutine % 7;
        }
    }
    blocks
}

/// The `pprof_goroutines` text without a pid.
pub fn goroutines_text(
    stacks: &[Stack],
    debug: i64,
    limit: i64,
    filter: &str,
    exclude: &str,
) -> String {
    let total: u64 = stacks.iter().map(|stack| stack.count).sum();
    let debug = if debug < 1 { 2 } else { debug };
    let limit = if limit < 1 { 50 } else { limit as usize };
    let mut matched: Vec<String> = blocks(stacks, debug)
        .into_iter()
        .filter(|block| !block.trim().is_empty())
        .filter(|block| filter.is_empty() || block.contains(filter))
        .filter(|block| exclude.is_empty() || !block.contains(exclude))
        .collect();

    let count = matched.len();
    matched.truncate(limit);
    let mut header = format!("goroutine profile: total {total}");
    if !filter.is_empty() || !exclude.is_empty() {
        header.push_str(&format!(", matched {count}"));
    }
    header.push_str(&format!(", showing {}", matched.len()));
    let mut text = format!("{header}\n\n{}", matched.join("\n\n"));
    if matched.len() < count {
        text.push_str(&format!(
            "\n\n... {} more matched goroutines not shown",
            count - matched.len()
        ));
    }
    text
}

/// The trace of one process's goroutine on a `-tags=pprof` node.
pub fn process_trace(node: &Node, pid: &str, peers: usize) -> Result<String, String> {
    let label = format!("labels: {{\"pid\":\"{pid}\"}}");
    let found: Vec<String> = blocks(&stacks(node, peers), 2)
        .into_iter()
        .filter(|block| block.contains(&label))
        .collect();
    if found.is_empty() {
        return Err(format!(
            "no goroutine found with pid {pid} (pprof IS enabled). The process is likely in Sleep state; \
             sleeping processes park their goroutine so it does not appear in the dump. Use process_state \
             tool to verify. If the process is Running or WaitResponse, the PID may be incorrect"
        ));
    }
    Ok(found.join("\n\n"))
}

/// The `pprof_cpu` text: where the node's callbacks spent time.
pub fn cpu_text(node: &Node, duration: i64, limit: i64, filter: &str, exclude: &str) -> String {
    let mut rows: Vec<(String, f64)> = Vec::new();
    for process in node.processes.values() {
        let flow = &process.flow;
        let rate = if process.frozen_ms.is_some() {
            0.0
        } else {
            flow.handled_per_sec * flow.run_ns_per_message + flow.busy_ns_per_sec
        };
        if rate >= 1_000_000.0 {
            rows.push((format!("{}.HandleMessage", receiver(&process.behavior)), rate.min(1e9)));
        }
    }
    let runtime_share = node.runtime.alloc_per_sec * 0.4 + 2_000_000.0;
    rows.push(("runtime.mallocgc".to_string(), runtime_share));
    rows.push(("runtime.scanobject".to_string(), runtime_share * 0.6));
    rows.push(("runtime.futex".to_string(), 1_500_000.0));

    let total_per_sec: f64 = rows.iter().map(|(_, rate)| rate).sum();
    let total = (total_per_sec * duration as f64) as i64;
    rows.retain(|(function, _)| {
        (filter.is_empty() || function.contains(filter))
            && (exclude.is_empty() || !function.contains(exclude))
    });
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    let matched = rows.len();
    rows.truncate(if limit < 1 { 20 } else { limit as usize });

    let mut text = format!("CPU profile: {duration} seconds, {total} total samples");
    if !filter.is_empty() || !exclude.is_empty() {
        text.push_str(&format!(", matched {matched} functions"));
    }
    text.push_str(&format!(", showing {}\n\n", rows.len()));
    text.push_str(&format!("{:<8} {:<8} {}\n", "flat%", "cum%", "function"));
    for (function, rate) in &rows {
        let percent = rate / total_per_sec * 100.0;
        let cumulative = if function.ends_with("HandleMessage") { percent * 1.02 } else { percent };
        text.push_str(&format!("{percent:<8.1} {cumulative:<8.1} {function}\n"));
    }
    text
}
