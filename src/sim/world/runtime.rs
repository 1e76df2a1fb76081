//! The Go runtime of one node: a heap that fills with garbage and is
//! collected when it doubles its live size, CPU time, and the heap profile.

use serde_json::{json, Value};

/// Heap, GC and CPU state, stepped by the clock.
#[derive(Debug, Clone)]
pub struct Runtime {
    /// Bytes reachable after the last collection would keep.
    pub live: f64,
    garbage: f64,
    marked: f64,
    /// Garbage produced per second.
    pub alloc_per_sec: f64,
    /// Live bytes added per second (a leak when above zero).
    pub growth_per_sec: f64,
    /// Live bytes added so far by `growth_per_sec`.
    pub grown: f64,
    pub num_gc: u64,
    total_alloc: f64,
    last_pause_ns: u64,
    heap_sys: u64,
    /// Share of one core the node burns.
    pub cpu_share: f64,
    cpu_ns: f64,
    gc_cpu_ns: f64,
}

impl Runtime {
    pub fn new(live: f64, alloc_per_sec: f64, cpu_share: f64) -> Runtime {
        Runtime {
            live,
            garbage: 0.0,
            marked: live,
            alloc_per_sec,
            growth_per_sec: 0.0,
            grown: 0.0,
            num_gc: 0,
            total_alloc: live,
            last_pause_ns: 0,
            heap_sys: round_up(live * 2.2, 4 << 20),
            cpu_share,
            cpu_ns: 0.0,
            gc_cpu_ns: 0.0,
        }
    }

    /// Moves the runtime `dt_ms` forward; `seed` varies GC pauses.
    pub fn step(&mut self, dt_ms: u64, seed: u64) {
        let seconds = dt_ms as f64 / 1000.0;
        let added = self.alloc_per_sec * seconds;
        let grown = self.growth_per_sec * seconds;
        self.garbage += added;
        self.live += grown;
        self.grown += grown;
        self.total_alloc += added + grown;
        self.cpu_ns += self.cpu_share * seconds * 1e9;

        let goal = (self.marked * 2.0).max(4.0 * 1024.0 * 1024.0);
        if self.live + self.garbage >= goal {
            self.collect(seed);
        }
        let inuse = self.heap_inuse();
        if inuse > self.heap_sys {
            self.heap_sys = round_up(inuse as f64 * 1.25, 4 << 20);
        }
    }

    fn collect(&mut self, seed: u64) {
        self.num_gc += 1;
        // A little floating garbage survives each cycle.
        self.garbage = self.live * 0.03;
        self.marked = self.live;
        self.last_pause_ns = 40_000 + (seed.wrapping_mul(2_654_435_761) % 400_000);
        self.gc_cpu_ns += 2_000_000.0 + self.live / 4.0;
    }

    pub fn heap_alloc(&self) -> u64 {
        (self.live + self.garbage) as u64
    }

    pub fn heap_inuse(&self) -> u64 {
        round_up(self.heap_alloc() as f64 * 1.12 + 1_100_000.0, 8192)
    }

    pub fn sys(&self) -> u64 {
        self.heap_sys + 6_200_000
    }

    pub fn user_time_ns(&self) -> u64 {
        (self.cpu_ns * 0.62) as u64
    }

    pub fn system_time_ns(&self) -> u64 {
        (self.cpu_ns * 0.38) as u64
    }

    /// `runtime_stats`, in the node's key order.
    pub fn stats(&self, goroutines: u64) -> Value {
        let heap_alloc = self.heap_alloc();
        let gc_percent =
            if self.cpu_ns > 0.0 { self.gc_cpu_ns / (self.cpu_ns * 40.0) * 100.0 } else { 0.0 };
        json!({
            "goroutines": goroutines,
            "cpus": 2,
            "heap_alloc": heap_alloc,
            "heap_sys": self.heap_sys,
            "heap_inuse": self.heap_inuse(),
            "heap_objects": heap_alloc / 272,
            "stack_inuse": round_up(goroutines as f64 * 16_384.0 + 262_144.0, 32_768),
            "total_alloc": self.total_alloc as u64,
            "sys": self.sys(),
            "num_gc": self.num_gc,
            "last_gc_pause_ns": self.last_pause_ns,
            "gc_cpu_percent": gc_percent
        })
    }
}

fn round_up(value: f64, unit: u64) -> u64 {
    let value = value.max(0.0) as u64;
    value.div_ceil(unit) * unit
}

/// Go's `formatBytes` of the MCP heap profile.
pub fn format_bytes(bytes: i64) -> String {
    let value = bytes as f64;
    if bytes >= 1 << 30 {
        format!("{:.1}GB", value / (1u64 << 30) as f64)
    } else if bytes >= 1 << 20 {
        format!("{:.1}MB", value / (1u64 << 20) as f64)
    } else if bytes >= 1 << 10 {
        format!("{:.1}KB", value / 1024.0)
    } else {
        format!("{bytes}B")
    }
}

/// One line of the heap profile.
pub struct HeapEntry {
    pub function: String,
    pub inuse: i64,
    pub alloc: i64,
}

/// The `pprof_heap` text for `entries`, filtered and limited like the node.
pub fn heap_text(mut entries: Vec<HeapEntry>, limit: i64, filter: &str, exclude: &str) -> String {
    let total: i64 = entries.iter().map(|entry| entry.inuse).sum();
    entries.retain(|entry| {
        (filter.is_empty() || entry.function.contains(filter))
            && (exclude.is_empty() || !entry.function.contains(exclude))
    });
    entries.sort_by_key(|entry| std::cmp::Reverse(entry.inuse));

    let limit = if limit < 1 { 20 } else { limit as usize };
    let matched = entries.len();
    entries.truncate(limit);

    let mut text = format!("heap profile: total inuse {}", format_bytes(total));
    if !filter.is_empty() || !exclude.is_empty() {
        text.push_str(&format!(", matched {matched} functions"));
    }
    text.push_str(&format!(", showing {}\n\n", entries.len()));
    text.push_str(&format!("{:<12} {:<12} {}\n", "inuse", "alloc", "function"));
    for entry in &entries {
        text.push_str(&format!(
            "{:<12} {:<12} {}\n",
            format_bytes(entry.inuse),
            format_bytes(entry.alloc),
            entry.function
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::{format_bytes, Runtime};

    #[test]
    fn heap_falls_at_each_collection() {
        let mut runtime = Runtime::new(6e6, 400_000.0, 0.1);
        let mut samples = Vec::new();
        for tick in 0..3_000 {
            runtime.step(100, tick);
            samples.push(runtime.heap_alloc());
        }
        assert!(runtime.num_gc > 3);
        assert!(samples.windows(2).any(|pair| pair[1] < pair[0]));
    }

    #[test]
    fn growth_raises_the_heap_after_collections() {
        let mut runtime = Runtime::new(6e6, 400_000.0, 0.1);
        runtime.growth_per_sec = 50_000.0;
        let mut lows = Vec::new();
        let mut last_gc = 0;
        for tick in 0..6_000 {
            runtime.step(100, tick);
            if runtime.num_gc != last_gc {
                last_gc = runtime.num_gc;
                lows.push(runtime.heap_alloc());
            }
        }
        assert!(lows.len() > 3);
        assert!(lows.last() > lows.first());
    }

    #[test]
    fn bytes_read_like_the_node() {
        assert_eq!(format_bytes(3_460_300), "3.3MB");
        assert_eq!(format_bytes(540_876), "528.2KB");
        assert_eq!(format_bytes(512), "512B");
    }
}
