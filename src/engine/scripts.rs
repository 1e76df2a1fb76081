//! The script search path: `run NAME`, `:scripts` and `import "name"`.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

use rhai::{Engine, EvalAltResult, Module, ModuleResolver, Position, Scope, Shared};

/// One script found on the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptInfo {
    pub name: String,
    pub path: PathBuf,
    /// The first `//!` line, without the marker.
    pub summary: String,
}

/// `./scripts`, the user's config dir `ergosh/scripts`, then every entry
/// of `ERGOSH_SCRIPTS` (colon-separated).
pub fn default_script_paths() -> Vec<PathBuf> {
    let mut paths = vec![PathBuf::from("scripts")];
    if let Some(config) = dirs::config_dir() {
        paths.push(config.join("ergosh").join("scripts"));
    }
    if let Some(extra) = env::var_os("ERGOSH_SCRIPTS") {
        paths.extend(env::split_paths(&extra).filter(|p| !p.as_os_str().is_empty()));
    }
    paths
}

/// A file as given, or `NAME` / `NAME.rhai` in the first folder that has it.
pub(crate) fn resolve(paths: &[PathBuf], name_or_path: &str) -> Option<PathBuf> {
    let given = Path::new(name_or_path);
    if given.is_file() {
        return Some(given.to_path_buf());
    }
    let file_name = if name_or_path.ends_with(".rhai") {
        name_or_path.to_string()
    } else {
        format!("{name_or_path}.rhai")
    };
    paths.iter().map(|dir| dir.join(&file_name)).find(|candidate| candidate.is_file())
}

/// Every `.rhai` file on the path, by name; an earlier folder wins.
pub(crate) fn list(paths: &[PathBuf]) -> Vec<ScriptInfo> {
    let mut found: Vec<ScriptInfo> = Vec::new();
    for dir in paths {
        let Ok(entries) = fs::read_dir(dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "rhai") && path.is_file())
            .collect();
        files.sort();
        for path in files {
            let name =
                path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            if found.iter().any(|script| script.name == name) {
                continue;
            }
            let summary = fs::read_to_string(&path).map(|text| summary(&text)).unwrap_or_default();
            found.push(ScriptInfo { name, path, summary });
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

/// The first `//!` line of a script.
pub(crate) fn summary(text: &str) -> String {
    text.lines()
        .map(str::trim_start)
        .find_map(|line| line.strip_prefix("//!"))
        .map(|rest| rest.trim().to_string())
        .unwrap_or_default()
}

/// A shebang line blanked (kept as an empty line so positions still match).
pub(crate) fn without_shebang(text: &str) -> &str {
    if text.starts_with("#!") {
        text.find('\n').map_or("", |end| &text[end..])
    } else {
        text
    }
}

/// Resolves `import "name"`: the importing script's folder first, then the
/// search path. Not cached, so an edited script is picked up at once.
pub(crate) struct PathResolver {
    paths: Vec<PathBuf>,
}

impl PathResolver {
    pub(crate) fn new(paths: Vec<PathBuf>) -> PathResolver {
        PathResolver { paths }
    }

    fn find(&self, source: Option<&str>, path: &str) -> Option<PathBuf> {
        let importer_dir = source
            .map(Path::new)
            .filter(|p| p.is_file())
            .and_then(Path::parent)
            .map(Path::to_path_buf);
        let mut folders: Vec<PathBuf> = importer_dir.into_iter().collect();
        folders.extend(self.paths.iter().cloned());
        resolve(&folders, path).filter(|found| found.extension().is_some_and(|e| e == "rhai"))
    }
}

impl ModuleResolver for PathResolver {
    fn resolve(
        &self,
        engine: &Engine,
        source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<Shared<Module>, Box<EvalAltResult>> {
        let not_found = || Box::new(EvalAltResult::ErrorModuleNotFound(path.to_string(), pos));
        let file = self.find(source, path).ok_or_else(not_found)?;
        let in_module = |error: Box<EvalAltResult>| {
            Box::new(EvalAltResult::ErrorInModule(path.to_string(), error, pos))
        };

        let text = fs::read_to_string(&file).map_err(|_| not_found())?;
        let mut ast =
            engine.compile(without_shebang(&text)).map_err(|error| in_module(error.into()))?;
        ast.set_source(file.to_string_lossy().into_owned());
        let module = Module::eval_ast_as_new(Scope::new(), &ast, engine).map_err(in_module)?;
        Ok(module.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_is_the_first_header_line() {
        let text = "// comment\n//! who grew most in the last minute\n//! more\nlet x = 1;";
        assert_eq!(summary(text), "who grew most in the last minute");
        assert_eq!(summary("let x = 1;"), "");
    }

    #[test]
    fn shebang_is_blanked_but_lines_kept() {
        assert_eq!(without_shebang("#!/usr/bin/env ergosh run\nx"), "\nx");
        assert_eq!(without_shebang("x"), "x");
    }

    #[test]
    fn earlier_folders_win_and_names_resolve_with_or_without_extension() {
        let first = tempfile::tempdir().unwrap();
        let second = tempfile::tempdir().unwrap();
        fs::write(first.path().join("top.rhai"), "//! first\n1").unwrap();
        fs::write(second.path().join("top.rhai"), "//! second\n2").unwrap();
        fs::write(second.path().join("other.rhai"), "3").unwrap();
        let paths = vec![first.path().to_path_buf(), second.path().to_path_buf()];

        assert_eq!(resolve(&paths, "top"), Some(first.path().join("top.rhai")));
        assert_eq!(resolve(&paths, "other.rhai"), Some(second.path().join("other.rhai")));
        assert_eq!(resolve(&paths, "missing"), None);

        let scripts = list(&paths);
        let names: Vec<&str> = scripts.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["other", "top"]);
        assert_eq!(scripts[1].summary, "first");
    }
}
