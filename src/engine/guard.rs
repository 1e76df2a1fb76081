//! The handbook's common mistakes, caught before the call goes out:
//! unbounded samplers, an unfiltered goroutine dump of a remote node, and
//! goroutine or heap profiles taken in a loop or across many nodes.

use rhai::{Dynamic, Map};

/// A sampler's duration when none is given (the server's own default).
pub(crate) const DEFAULT_DURATION_SEC: i64 = 60;
/// The longest a sampler may run.
pub(crate) const MAX_DURATION_SEC: i64 = 3600;

/// More profiles than this in one evaluation warn.
const MANY_PROFILES: u32 = 3;
/// More profiles than this across one fan-out warn (two per node of a
/// three-node cluster, as a leak check takes, is fine).
const MANY_FANNED_PROFILES: u32 = 6;

/// Profiles that stop the world or dump every goroutine.
const PROFILES: &[&str] = &["pprof_goroutines", "pprof_heap"];

/// Warnings already given in this evaluation.
#[derive(Debug, Default)]
pub(crate) struct GuardState {
    profiles: u32,
    warned_loop: bool,
    warned_fan_out: bool,
    warned_remote: bool,
}

/// Give a sampler an explicit `duration_sec`: the default when absent, the
/// maximum instead of 0 (unbounded). Returns a warning for the latter.
pub(crate) fn bound_duration(args: &mut Map) -> Option<String> {
    let given = args.get("duration_sec").and_then(|d| d.as_int().ok());
    match given {
        None => {
            args.insert("duration_sec".into(), Dynamic::from_int(DEFAULT_DURATION_SEC));
            None
        }
        Some(0) => {
            args.insert("duration_sec".into(), Dynamic::from_int(MAX_DURATION_SEC));
            Some(format!(
                "sampler duration_sec 0 (unbounded) replaced by the {MAX_DURATION_SEC} s maximum"
            ))
        }
        Some(_) => None,
    }
}

/// Take `keep` out of sampler arguments (it is ergosh's, not the tool's).
pub(crate) fn take_keep(args: &mut Map) -> bool {
    args.remove("keep").is_some_and(|k| k.as_bool().unwrap_or(false))
}

/// What the call about to go out should be warned about, at most once per
/// kind and evaluation. `is_remote` tells whether a node is not the entry.
pub(crate) fn warnings(
    state: &mut GuardState,
    tool: &str,
    args: &Map,
    fanned_out: bool,
    is_remote: impl FnOnce(&str) -> bool,
) -> Vec<String> {
    let mut out = Vec::new();
    if !PROFILES.contains(&tool) {
        return out;
    }

    // Every profile makes the node collect the whole profile, whatever the
    // filter: a playbook's two or three are fine, a loop or a wide fan-out
    // is not.
    state.profiles += 1;
    if fanned_out && state.profiles > MANY_FANNED_PROFILES && !state.warned_fan_out {
        state.warned_fan_out = true;
        out.push(format!(
            "{tool} inside each_node profiles many nodes at once; each profile is heavy: \
             profile the suspect node only"
        ));
    } else if state.profiles > MANY_PROFILES && !state.warned_loop && !fanned_out {
        state.warned_loop = true;
        out.push(format!(
            "{tool} called repeatedly in one evaluation (a loop?); each profile is heavy: \
             take one and filter it"
        ));
    }

    let unfiltered = tool == "pprof_goroutines" && !is_narrowed(tool, args);
    if unfiltered && !state.warned_remote {
        if let Some(node) = args.get("node").filter(|n| !n.is_unit()).map(|n| n.to_string()) {
            if is_remote(&node) {
                state.warned_remote = true;
                out.push(format!(
                    "pprof_goroutines on remote node {node} without filter or pid dumps every \
                     goroutine through the proxy: pass filter or pid"
                ));
            }
        }
    }
    out
}

/// Whether a profile call brings back a small part only: a filter, one
/// PID, or a short goroutine summary (`debug: 1`) or heap top list.
fn is_narrowed(tool: &str, args: &Map) -> bool {
    const SHORT: i64 = 50;
    let int = |key: &str| args.get(key).and_then(|v| v.as_int().ok());
    let short = int("limit").is_some_and(|limit| (1..=SHORT).contains(&limit));
    let summary = match tool {
        "pprof_goroutines" => int("debug") == Some(1),
        _ => true,
    };
    has_text(args, "filter") || has_text(args, "pid") || (short && summary)
}

fn has_text(args: &Map, key: &str) -> bool {
    args.get(key).is_some_and(|v| !v.is_unit() && !v.to_string().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(pairs: &[(&str, &str)]) -> Map {
        pairs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect()
    }

    #[test]
    fn samplers_always_carry_a_bounded_duration() {
        let mut absent = Map::new();
        assert_eq!(bound_duration(&mut absent), None);
        assert_eq!(absent["duration_sec"].as_int(), Ok(60));

        let mut unbounded = Map::new();
        unbounded.insert("duration_sec".into(), Dynamic::from_int(0));
        assert!(bound_duration(&mut unbounded).is_some_and(|w| w.contains("3600")));
        assert_eq!(unbounded["duration_sec"].as_int(), Ok(3600));

        let mut given = Map::new();
        given.insert("duration_sec".into(), Dynamic::from_int(5));
        assert_eq!(bound_duration(&mut given), None);
        assert_eq!(given["duration_sec"].as_int(), Ok(5));
    }

    #[test]
    fn keep_is_taken_out() {
        let mut map = Map::new();
        map.insert("keep".into(), Dynamic::TRUE);
        map.insert("tool".into(), "node_info".into());
        assert!(take_keep(&mut map));
        assert!(!map.contains_key("keep"));
        assert!(!take_keep(&mut map));
    }

    #[test]
    fn unfiltered_goroutine_dump_of_a_remote_node_warns_once() {
        let mut state = GuardState::default();
        let remote = args(&[("node", "backend@host")]);
        let first = warnings(&mut state, "pprof_goroutines", &remote, false, |_| true);
        assert_eq!(first.len(), 1);
        assert!(first[0].contains("backend@host"));

        let mut fresh = GuardState::default();
        let filtered = args(&[("node", "backend@host"), ("filter", "main.")]);
        assert!(warnings(&mut fresh, "pprof_goroutines", &filtered, false, |_| true).is_empty());
        let local = args(&[("node", "demo@host")]);
        let mut fresh = GuardState::default();
        assert!(warnings(&mut fresh, "pprof_goroutines", &local, false, |_| false).is_empty());
        let mut fresh = GuardState::default();
        assert!(warnings(&mut fresh, "pprof_goroutines", &Map::new(), false, |_| true).is_empty());
    }

    #[test]
    fn profiles_in_a_loop_or_fan_out_warn_once() {
        let mut state = GuardState::default();
        for _ in 0..MANY_PROFILES {
            assert!(warnings(&mut state, "pprof_heap", &Map::new(), false, |_| false).is_empty());
        }
        let next = warnings(&mut state, "pprof_heap", &Map::new(), false, |_| false);
        assert!(next[0].contains("repeatedly"));
        assert!(warnings(&mut state, "pprof_heap", &Map::new(), false, |_| false).is_empty());

        let mut state = GuardState::default();
        for _ in 0..MANY_FANNED_PROFILES {
            assert!(
                warnings(&mut state, "pprof_goroutines", &Map::new(), true, |_| false).is_empty()
            );
        }
        let fanned = warnings(&mut state, "pprof_goroutines", &Map::new(), true, |_| false);
        assert!(fanned[0].contains("each_node"));
        assert!(warnings(&mut state, "pprof_goroutines", &Map::new(), true, |_| false).is_empty());
        assert!(warnings(&mut state, "node_info", &Map::new(), true, |_| false).is_empty());
    }

    #[test]
    fn a_short_goroutine_summary_of_a_remote_node_does_not_warn() {
        let mut state = GuardState::default();
        let mut summary = args(&[("node", "backend@host")]);
        summary.insert("debug".into(), Dynamic::from_int(1));
        summary.insert("limit".into(), Dynamic::from_int(20));
        assert!(warnings(&mut state, "pprof_goroutines", &summary, false, |_| true).is_empty());

        let mut full = summary.clone();
        full.insert("debug".into(), Dynamic::from_int(2));
        assert!(!warnings(&mut state, "pprof_goroutines", &full, false, |_| true).is_empty());
    }
}
