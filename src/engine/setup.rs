//! Building the Rhai engine of a session: limits, output hooks, the
//! import resolver and every registered function.

use std::path::PathBuf;
use std::sync::Arc;

use rhai::{Dynamic, Engine};

use super::state::Shared;
use super::{cluster, helpers, sampler, tools};
use crate::bindings::Catalog;

/// Check Ctrl-C every this many operations.
const INTERRUPT_CHECK_EVERY: u64 = 2048;

/// Limits that keep a script from hanging the REPL or exhausting memory.
const MAX_CALL_LEVELS: usize = 128;
const MAX_EXPR_DEPTH: usize = 256;
const MAX_FUNCTION_EXPR_DEPTH: usize = 128;
const MAX_STRING_SIZE: usize = 256 * 1024 * 1024;
const MAX_ARRAY_SIZE: usize = 10_000_000;
/// Rhai counts the entries of every map nested in a value: a full
/// `process_list` of 100,000 processes holds 1.6 million.
const MAX_MAP_SIZE: usize = 20_000_000;

/// An engine with every function of the session registered; returns the
/// names of the native functions too.
pub(crate) fn build_engine(
    shared: &Arc<Shared>,
    catalog: &Catalog,
    script_paths: &[PathBuf],
    max_operations: u64,
) -> (Engine, Vec<String>) {
    let mut engine = Engine::new();
    set_limits(&mut engine, max_operations);

    let interrupt = shared.interrupt.clone();
    engine.on_progress(move |operations| {
        let check = operations % INTERRUPT_CHECK_EVERY == 0;
        (check && interrupt.is_raised()).then(|| Dynamic::from("interrupted"))
    });
    let frontend = shared.frontend.clone();
    engine.on_print(move |text| frontend.print(text));
    let frontend = shared.frontend.clone();
    engine.on_debug(move |text, source, position| {
        let line = match (source, position.line()) {
            (Some(source), Some(line)) => format!("{source}:{line}: {text}"),
            (None, Some(line)) => format!("line {line}: {text}"),
            _ => text.to_string(),
        };
        frontend.print(&line);
    });
    engine.set_module_resolver(super::scripts::PathResolver::new(script_paths.to_vec()));

    let mut names = Vec::new();
    tools::register(&mut engine, shared, catalog, &mut names);
    sampler::register(&mut engine, shared, &mut names);
    cluster::register(&mut engine, shared, &mut names);
    helpers::register(&mut engine, shared);
    names.extend(helpers::NAMES.iter().map(|n| n.to_string()));
    (engine, names)
}

fn set_limits(engine: &mut Engine, max_operations: u64) {
    engine
        .set_max_call_levels(MAX_CALL_LEVELS)
        .set_max_expr_depths(MAX_EXPR_DEPTH, MAX_FUNCTION_EXPR_DEPTH)
        .set_max_string_size(MAX_STRING_SIZE)
        .set_max_array_size(MAX_ARRAY_SIZE)
        .set_max_map_size(MAX_MAP_SIZE)
        .set_max_operations(max_operations);
}
