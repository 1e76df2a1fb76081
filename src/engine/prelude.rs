//! The prelude: every `prelude/*.rhai` file, embedded by `build.rs` and
//! loaded into each session as a global module, so its functions are seen
//! at the prompt, in scripts, in imported modules and in closures.

use rhai::{Engine, Module, Scope, AST};

include!(concat!(env!("OUT_DIR"), "/prelude_files.rs"));

/// One prelude function for `:help prelude`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionDoc {
    pub name: String,
    pub params: Vec<String>,
    /// The `///` lines above it, without the markers.
    pub doc: String,
}

/// The compiled prelude files and what went wrong compiling them.
pub(crate) struct Prelude {
    files: Vec<(String, AST)>,
    warnings: Vec<String>,
}

/// Compile every embedded file; a file that fails is left out with a
/// warning naming it.
pub(crate) fn compile(engine: &Engine) -> Prelude {
    compile_files(engine, PRELUDE_FILES)
}

pub(crate) fn compile_files(engine: &Engine, files: &[(&str, &str)]) -> Prelude {
    let mut compiled = Vec::new();
    let mut warnings = Vec::new();
    for (name, source) in files {
        match engine.compile(source) {
            Ok(mut file) => {
                file.set_source(format!("prelude/{name}"));
                compiled.push((name.to_string(), file));
            }
            Err(error) => warnings.push(format!("prelude `{name}` not loaded: {error}")),
        }
    }
    Prelude { files: compiled, warnings }
}

/// Run the prelude's statements once and turn it into modules, with the
/// ASTs they came from. All files together form one module, so they share
/// constants; when that fails, each file is tried on its own and those
/// that fail are left out with a warning.
pub(crate) fn into_modules(engine: &Engine, prelude: Prelude) -> (Vec<(Module, AST)>, Vec<String>) {
    let mut warnings = prelude.warnings;
    let whole = prelude.files.iter().fold(AST::empty(), |all, (_, file)| all.merge(file));
    if let Ok(module) = Module::eval_ast_as_new(Scope::new(), &whole, engine) {
        return (vec![(module, whole)], warnings);
    }

    let mut modules = Vec::new();
    for (name, file) in prelude.files {
        match Module::eval_ast_as_new(Scope::new(), &file, engine) {
            Ok(module) => modules.push((module, file)),
            Err(error) => warnings.push(format!("prelude `{name}` not loaded: {error}")),
        }
    }
    (modules, warnings)
}

/// The functions of the prelude meant for people, with their doc
/// comments: not the shared `pb_*` steps, nor a playbook's own steps
/// (`health_observe` beside `health`).
pub(crate) fn docs(ast: &AST) -> Vec<FunctionDoc> {
    let names: std::collections::BTreeSet<&str> = ast.iter_functions().map(|f| f.name).collect();
    let is_step = |name: &str| {
        name.starts_with("pb_")
            || names.iter().any(|other| {
                name.len() > other.len() + 1
                    && name.starts_with(other)
                    && name.as_bytes()[other.len()] == b'_'
            })
    };
    let mut docs: Vec<FunctionDoc> = ast
        .iter_functions()
        .filter(|f| !f.access.is_private() && !is_closure(f.name) && !is_step(f.name))
        .map(|f| FunctionDoc {
            name: f.name.to_string(),
            params: f.params.iter().map(|p| p.to_string()).collect(),
            doc: doc_text(&f.comments),
        })
        .collect();
    docs.sort_by(|a, b| a.name.cmp(&b.name).then(a.params.len().cmp(&b.params.len())));
    docs
}

/// Closures compile to hidden functions named `anon$...`.
pub(crate) fn is_closure(name: &str) -> bool {
    name.starts_with("anon$")
}

/// Doc comment lines without `///` or `/** */`.
fn doc_text(comments: &[&str]) -> String {
    let lines: Vec<&str> = comments
        .iter()
        .flat_map(|c| c.lines())
        .map(|line| {
            let line = line.trim();
            let line =
                line.strip_prefix("///").or_else(|| line.strip_prefix("/**")).unwrap_or(line);
            let line = line.strip_suffix("*/").unwrap_or(line);
            line.strip_prefix('*').unwrap_or(line).trim()
        })
        .filter(|line| !line.is_empty())
        .collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_file_is_left_out_with_its_name() {
        let engine = Engine::new();
        let files = [
            ("a.rhai", "/// Twice a number.\nfn twice(x) { x * 2 }\nconst LIMIT = 3;"),
            ("b.rhai", "fn broken( {"),
            ("c.rhai", "fn fine() { 1 }\nlet x = 1 / 0;"),
        ];
        let (modules, warnings) = into_modules(&engine, compile_files(&engine, &files));
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("`b.rhai`"), "{}", warnings[0]);
        assert!(warnings[1].contains("`c.rhai`"), "{}", warnings[1]);

        assert_eq!(modules.len(), 1);
        let docs = docs(&modules[0].1);
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].name, "twice");
        assert_eq!(docs[0].params, ["x"]);
        assert_eq!(docs[0].doc, "Twice a number.");
    }

    #[test]
    fn prelude_functions_are_global_and_see_their_constants() {
        let mut engine = Engine::new();
        let files = [
            ("a.rhai", "const LIMIT = 3;\nfn limit() { global::LIMIT }"),
            ("b.rhai", "fn twice_limit() { limit() * 2 }"),
        ];
        let (modules, warnings) = into_modules(&engine, compile_files(&engine, &files));
        assert!(warnings.is_empty(), "{warnings:?}");
        for (module, _) in modules {
            engine.register_global_module(module.into());
        }
        assert_eq!(engine.eval::<i64>("twice_limit()").unwrap(), 6);
    }

    #[test]
    fn every_embedded_file_is_a_rhai_file_in_order() {
        let names: Vec<&str> = PRELUDE_FILES.iter().map(|(name, _)| *name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert!(names.iter().all(|n| n.ends_with(".rhai")));
    }
}
