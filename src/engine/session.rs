//! A session: one engine, a scope and the user's functions kept between
//! evaluations, the prelude, and the samplers started along the way.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use rhai::{Array, Dynamic, Engine, EvalAltResult, Map, ParseError, Scope, AST};

use super::failure::{self, EvalFailure};
use super::prelude::{self, FunctionDoc};
use super::sampler::{self, SamplerInfo};
use super::scripts::{self, ScriptInfo};
use super::setup::build_engine;
use super::state::{Pending, Shared};
use super::{input, tools, Frontend, SessionOptions};
use crate::bindings::{Caller, Catalog};
use crate::interrupt::Interrupt;

/// A Rhai session over one MCP connection.
pub struct Session {
    engine: Engine,
    scope: Scope<'static>,
    /// The user's functions (statements cleared after each evaluation).
    functions: AST,
    prelude: AST,
    /// Lines that defined functions or variables, for `:save`.
    lines: Vec<String>,
    native_names: Vec<String>,
    shared: Arc<Shared>,
    script_paths: Vec<PathBuf>,
    max_operations: u64,
    load_prelude: bool,
}

impl Session {
    pub fn new(
        caller: Caller,
        options: SessionOptions,
        frontend: Arc<dyn Frontend>,
    ) -> anyhow::Result<Session> {
        let shared = Arc::new(Shared::new(caller, frontend, &options));
        let mut scope = Scope::new();
        let args: Array = options.args.iter().map(|a| Dynamic::from(a.clone())).collect();
        scope.push_constant("ARGS", args);
        let params: Map = options
            .params
            .iter()
            .map(|(k, v)| (k.as_str().into(), Dynamic::from(v.clone())))
            .collect();
        scope.push_constant("PARAMS", params);

        let mut session = Session {
            engine: Engine::new_raw(),
            scope,
            functions: AST::empty(),
            prelude: AST::empty(),
            lines: Vec::new(),
            native_names: Vec::new(),
            shared,
            script_paths: options.script_paths,
            max_operations: options.max_operations,
            load_prelude: options.load_prelude,
        };
        session.build();
        Ok(session)
    }

    /// (Re)build the engine for the current catalog, with the prelude.
    fn build(&mut self) {
        let catalog = self.shared.caller().catalog();
        let (mut engine, names) =
            build_engine(&self.shared, &catalog, &self.script_paths, self.max_operations);
        tracing::debug!("{} tools bound", catalog.len());

        self.prelude = AST::empty();
        if self.load_prelude {
            let compiled = prelude::compile(&engine);
            let (modules, warnings) = prelude::into_modules(&engine, compiled);
            for warning in &warnings {
                self.shared.frontend.warn(warning);
            }
            for (module, ast) in modules {
                engine.register_global_module(module.into());
                self.prelude = self.prelude.merge(&ast);
            }
            tracing::debug!("prelude loaded");
        }
        self.engine = engine;
        self.native_names = names;
    }

    /// Evaluate one input; variables and functions persist.
    pub fn eval(&mut self, source: &str) -> Result<Dynamic, EvalFailure> {
        self.evaluate(source, None)
    }

    /// Run a script file in this session.
    pub fn run_file(&mut self, path: &Path) -> Result<Dynamic, EvalFailure> {
        let text = fs::read_to_string(path).map_err(|error| EvalFailure::Script {
            message: format!("cannot read `{}`: {error}", path.display()),
            line: None,
            column: None,
        })?;
        let name = path.to_string_lossy().into_owned();
        self.evaluate(scripts::without_shebang(&text), Some(&name))
    }

    fn evaluate(&mut self, source: &str, file: Option<&str>) -> Result<Dynamic, EvalFailure> {
        if self.shared.tools_changed.swap(false, Ordering::SeqCst) {
            self.build();
        }
        let evaluation = self.shared.begin_evaluation();
        let mut ast = self.engine.compile_with_scope(&self.scope, source).map_err(parse_failure)?;
        if let Some(file) = file {
            ast.set_source(file);
        }
        let defines_functions = ast.iter_functions().next().is_some();
        let variables_before = self.scope.len();

        let mut merged = self.functions.merge(&ast);
        let result = self.engine.eval_ast_with_scope::<Dynamic>(&mut self.scope, &merged);
        merged.clear_statements();
        self.functions = merged;

        match result {
            Ok(value) => {
                let defines = defines_functions || self.scope.len() > variables_before;
                if file.is_none() && defines {
                    self.lines.push(source.trim_end().to_string());
                }
                Ok(value)
            }
            Err(error) => {
                let failure = self.failure(*error, file.is_some());
                if matches!(failure, EvalFailure::Interrupted) {
                    sampler::stop_tracked(&self.shared, Some(evaluation));
                }
                Err(failure)
            }
        }
    }

    fn failure(&self, error: EvalAltResult, in_file: bool) -> EvalFailure {
        if failure::is_interrupted(&error) {
            return EvalFailure::Interrupted;
        }
        let inner = failure::innermost(&error);
        if let EvalAltResult::ErrorRuntime(value, _) = inner {
            let message = value.to_string();
            match self.shared.take_pending(&message) {
                Some(Pending::Tool(call_error)) => return EvalFailure::Tool(call_error),
                Some(Pending::Refused) => return EvalFailure::Refused(message),
                None => {}
            }
        }
        let position = if in_file { inner.position() } else { error.position() };
        if let Some(message) = self.newly_offered(inner) {
            return EvalFailure::script(message, position);
        }
        EvalFailure::script(failure::message(&error), position)
    }

    /// For a call of a function that does not exist: whether the server
    /// has offered a tool of that name since connect (the tool list is
    /// fetched again, and the next line has the function).
    fn newly_offered(&self, error: &EvalAltResult) -> Option<String> {
        let EvalAltResult::ErrorFunctionNotFound(signature, _) = error else {
            return None;
        };
        let name = signature.split(|c: char| c == ' ' || c == '(').next()?;
        let caller = self.shared.caller();
        if name.is_empty() || caller.catalog().get(name).is_some() {
            return None;
        }
        let catalog = tools::refreshed(&self.shared, &caller)?;
        catalog.get(name)?;
        Some(format!(
            "`{name}` is a tool the server added after ergosh connected; \
             it is bound now: run the line again"
        ))
    }

    /// A script named on the search path, or a file path as given.
    pub fn resolve_script(&self, name_or_path: &str) -> Option<PathBuf> {
        scripts::resolve(&self.script_paths, name_or_path)
    }

    /// Every script on the search path with its header line.
    pub fn scripts(&self) -> Vec<ScriptInfo> {
        scripts::list(&self.script_paths)
    }

    /// Whether the REPL should read another line before evaluating.
    pub fn is_incomplete(source: &str) -> bool {
        input::is_incomplete(source)
    }

    /// The Ctrl-C flag the session and its calls watch.
    pub fn interrupt(&self) -> Interrupt {
        self.shared.interrupt.clone()
    }

    /// Stop every sampler this session started, except `keep: true` ones.
    pub fn finish(&mut self) {
        sampler::stop_tracked(&self.shared, None);
    }

    /// The samplers started by this session and still running.
    pub fn samplers(&self) -> Vec<SamplerInfo> {
        sampler::infos(&self.shared)
    }

    pub fn catalog(&self) -> Arc<Catalog> {
        self.shared.caller().catalog()
    }

    /// Tools, helpers, prelude and user functions, sorted, once each.
    pub fn function_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.native_names.clone();
        names.extend(prelude::docs(&self.prelude).into_iter().map(|doc| doc.name));
        let user = self.functions.iter_functions().filter(|f| !prelude::is_closure(f.name));
        names.extend(user.map(|f| f.name.to_string()));
        names.sort();
        names.dedup();
        names
    }

    /// The prelude's public functions with their doc comments.
    pub fn prelude_functions(&self) -> Vec<FunctionDoc> {
        prelude::docs(&self.prelude)
    }

    pub fn default_node(&self) -> Option<String> {
        self.shared.session_node()
    }

    pub fn set_default_node(&mut self, node: Option<String>) {
        self.shared.set_session_node(node);
    }

    /// Switch to another connection: the old one's samplers are stopped,
    /// functions are bound anew for the new tool list; variables stay.
    pub fn reconnect(&mut self, caller: Caller) -> anyhow::Result<()> {
        sampler::stop_tracked(&self.shared, None);
        self.shared.set_caller(caller);
        self.build();
        Ok(())
    }

    /// The user's function definitions and variable-defining lines, in
    /// the order they were typed, as a script.
    pub fn definitions(&self) -> String {
        let mut text = self.lines.join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        text
    }
}

fn parse_failure(error: ParseError) -> EvalFailure {
    EvalFailure::script(error.err_type().to_string(), error.position())
}
