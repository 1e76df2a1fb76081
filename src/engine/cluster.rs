//! Which node a call goes to, and running a closure on many nodes at once.
//!
//! The session default lives in [`Shared`]; `on(NAME, || ...)` and the
//! threads of `each_node` override it for their own thread only, so
//! closures running side by side each see their own node.

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use rhai::{Array, Dynamic, Engine, EvalAltResult, FnPtr, Map, NativeCallContext};

use super::failure;
use super::state::{lock, Shared};
use super::tools;

/// Stack size of an `each_node` thread: deep scripts recurse in Rhai.
const THREAD_STACK: usize = 8 * 1024 * 1024;

thread_local! {
    /// Node overrides of this thread, innermost last.
    static SCOPED: RefCell<Vec<Option<String>>> = const { RefCell::new(Vec::new()) };
    /// Whether this thread runs an `each_node` closure.
    static FANNED_OUT: RefCell<bool> = const { RefCell::new(false) };
}

/// The node a call without `node` goes to.
pub(crate) fn current_node(shared: &Shared) -> Option<String> {
    SCOPED.with(|stack| stack.borrow().last().cloned()).unwrap_or_else(|| shared.session_node())
}

/// `use_node`: inside `on` / `each_node` it changes that scope only.
pub(crate) fn use_node(shared: &Shared, node: Option<String>) {
    let scoped = SCOPED.with(|stack| match stack.borrow_mut().last_mut() {
        Some(top) => {
            *top = node.clone();
            true
        }
        None => false,
    });
    if !scoped {
        shared.set_session_node(node);
    }
}

/// Whether the current thread runs inside `each_node`.
pub(crate) fn is_fanned_out() -> bool {
    FANNED_OUT.with(|flag| *flag.borrow())
}

/// Run `body` with the node overridden on this thread (`None`: the entry
/// node, whatever the session default).
pub(crate) fn with_node<T>(node: Option<String>, body: impl FnOnce() -> T) -> T {
    struct Restore;
    impl Drop for Restore {
        fn drop(&mut self) {
            SCOPED.with(|stack| stack.borrow_mut().pop());
        }
    }
    SCOPED.with(|stack| stack.borrow_mut().push(node));
    let _restore = Restore;
    body()
}

/// Call a closure that takes the node name, or none.
fn call_with_node(
    context: &NativeCallContext,
    closure: &FnPtr,
    node: &str,
) -> Result<Dynamic, Box<EvalAltResult>> {
    match closure.call_within_context::<Dynamic>(context, (Dynamic::from(node.to_string()),)) {
        Err(error) if is_arity_mismatch(&error, closure) => {
            closure.call_within_context::<Dynamic>(context, ())
        }
        other => other,
    }
}

fn is_arity_mismatch(error: &EvalAltResult, closure: &FnPtr) -> bool {
    matches!(error, EvalAltResult::ErrorFunctionNotFound(name, _)
        if name.starts_with(closure.fn_name()))
}

/// The nodes `each_node` visits by default: `cluster_nodes` entries whose
/// status is `self` or `connected`, asked of the entry node.
pub(crate) fn cluster_node_names(shared: &Shared) -> Result<Vec<String>, Box<EvalAltResult>> {
    let listed = with_node(None, || tools::call(shared, "cluster_nodes", Map::new()))?;
    let rows = listed.into_array().unwrap_or_default();
    let mut names = Vec::new();
    for row in rows {
        let Ok(map) = row.as_map_ref() else { continue };
        let status = map.get("status").map(|s| s.to_string()).unwrap_or_default();
        let name = map.get("name").map(|s| s.to_string()).unwrap_or_default();
        if !name.is_empty() && (status == "self" || status == "connected") {
            names.push(name);
        }
    }
    Ok(names)
}

/// What one node's closure returned.
type NodeResult = Result<Dynamic, Box<EvalAltResult>>;

/// Run the closure once per node, at most `fan_out` at a time, each with
/// its node as the default; results keyed by node name. A node whose
/// closure fails gets `#{error: "..."}`; Ctrl-C stops them all.
pub(crate) fn each_node(
    context: &NativeCallContext,
    shared: &Arc<Shared>,
    nodes: Vec<String>,
    closure: &FnPtr,
) -> Result<Map, Box<EvalAltResult>> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(String, NodeResult)>> = Mutex::new(Vec::with_capacity(nodes.len()));
    let workers = shared.fan_out.min(nodes.len());

    let work = || loop {
        let index = next.fetch_add(1, Ordering::SeqCst);
        let Some(node) = nodes.get(index) else { break };
        if shared.interrupt.is_raised() {
            lock(&results).push((node.clone(), Err(failure::interrupted())));
            break;
        }
        FANNED_OUT.with(|flag| *flag.borrow_mut() = true);
        let result = with_node(Some(node.clone()), || call_with_node(context, closure, node));
        FANNED_OUT.with(|flag| *flag.borrow_mut() = false);
        lock(&results).push((node.clone(), result));
    };

    let work = &work;
    let spawned = thread::scope(|scope| {
        let mut handles = Vec::new();
        for _ in 0..workers {
            let handle = thread::Builder::new().stack_size(THREAD_STACK).spawn_scoped(scope, work);
            match handle {
                Ok(handle) => handles.push(handle),
                Err(error) => return Err(error),
            }
        }
        for handle in handles {
            let _ = handle.join();
        }
        Ok(())
    });
    if let Err(error) = spawned {
        return Err(failure::thrown(format!("each_node: cannot start a thread: {error}")));
    }

    let mut map = Map::new();
    let mut interrupted = shared.interrupt.is_raised();
    for (node, result) in results.into_inner().unwrap_or_else(|p| p.into_inner()) {
        let value = match result {
            Ok(value) => value,
            Err(error) if failure::is_interrupted(&error) => {
                interrupted = true;
                continue;
            }
            Err(error) => {
                let mut entry = Map::new();
                entry.insert("error".into(), failure::message(&error).into());
                Dynamic::from_map(entry)
            }
        };
        map.insert(node.into(), value);
    }
    if interrupted {
        return Err(failure::interrupted());
    }
    Ok(map)
}

/// Node names from a Rhai array of strings.
fn names(list: Array) -> Vec<String> {
    list.into_iter().map(|n| n.to_string()).filter(|n| !n.is_empty()).collect()
}

/// `use_node`, `current_node`, `on`, `each_node`, `nodes`.
pub(crate) fn register(engine: &mut Engine, shared: &Arc<Shared>, names_out: &mut Vec<String>) {
    let s = shared.clone();
    engine.register_fn("use_node", move |node: &str| use_node(&s, Some(node.to_string())));
    let s = shared.clone();
    engine.register_fn("use_node", move |_: ()| use_node(&s, None));

    let s = shared.clone();
    engine
        .register_fn("current_node", move || current_node(&s).map_or(Dynamic::UNIT, Dynamic::from));

    engine.register_fn("on", |context: NativeCallContext, node: &str, closure: FnPtr| {
        with_node(Some(node.to_string()), || closure.call_within_context::<Dynamic>(&context, ()))
    });

    engine.register_fn("on", |context: NativeCallContext, _: (), closure: FnPtr| {
        with_node(None, || closure.call_within_context::<Dynamic>(&context, ()))
    });

    let s = shared.clone();
    engine.register_fn("nodes", move || -> Result<Array, Box<EvalAltResult>> {
        Ok(cluster_node_names(&s)?.into_iter().map(Dynamic::from).collect())
    });

    let s = shared.clone();
    engine.register_fn("each_node", move |context: NativeCallContext, closure: FnPtr| {
        let nodes = cluster_node_names(&s)?;
        each_node(&context, &s, nodes, &closure)
    });
    let s = shared.clone();
    engine.register_fn(
        "each_node",
        move |context: NativeCallContext, list: Array, closure: FnPtr| {
            each_node(&context, &s, names(list), &closure)
        },
    );

    names_out.extend(["use_node", "current_node", "on", "nodes", "each_node"].map(String::from));
}
