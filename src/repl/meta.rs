//! The `:` commands: help, tools, connect, node, load, save, scripts,
//! format, samplers, quit.

use std::path::{Path, PathBuf};

use rhai::{Array, Dynamic, Map};

use crate::app::{ask_yes, report_error, report_failure};
use crate::bindings::{nearest, ParamKind, ToolSchema};
use crate::config;
use crate::engine::SamplerInfo;
use crate::render::Format;
use crate::repl::{Flow, Repl};

const HELP: &str = "\
Every tool of the node is a function: process_list(#{sort_by: \"mailbox\", limit: 5})
Values persist between lines; TAB completes names, parameters and enum values.

  :help [NAME|prelude]   a tool's parameters, a prelude function, or the prelude
  :tools                 the tools of this endpoint
  :connect URL           connect to another endpoint (same token and limits)
  :node [NAME]           show or set the default node (:node - to clear)
  :load FILE             run a script file in this session
  :save NAME             save this session's definitions as a script
  :scripts               the scripts on the scripts path
  :format table|json|raw how values are printed
  :samplers              samplers started in this session
  :quit                  leave (Ctrl-D works too)

Ctrl-C stops the running line; at the prompt it clears the line.";

impl Repl<'_> {
    pub(crate) fn meta(&mut self, line: &str) -> Flow {
        let (command, argument) = match line.split_once(char::is_whitespace) {
            Some((command, rest)) => (command, rest.trim()),
            None => (line, ""),
        };
        match command {
            ":help" | ":h" | ":?" => self.help(argument),
            ":tools" => self.tools(),
            ":connect" => self.connect(argument),
            ":node" => self.node(argument),
            ":load" => self.load(argument),
            ":save" => self.save(argument),
            ":scripts" => self.list_scripts(),
            ":format" => self.set_format(argument),
            ":samplers" => self.samplers(),
            ":quit" | ":q" | ":exit" => return Flow::Quit,
            other => {
                let suggestion = nearest(other, crate::repl::META_COMMANDS.iter().copied())
                    .map(|name| format!("; did you mean `{name}`?"))
                    .unwrap_or_default();
                self.problem(&format!("unknown command `{other}`{suggestion} (:help lists them)"));
            }
        }
        Flow::Continue
    }

    fn problem(&self, message: &str) {
        report_error(&anyhow::anyhow!("{message}"), self.context.output.error_paint());
    }

    fn text(&self, text: &str) {
        let _ = self.context.output.write_text(text);
    }

    fn help(&self, topic: &str) {
        if topic.is_empty() {
            self.text(&format!("{HELP}\n"));
            return;
        }
        if topic == "prelude" {
            self.show(&prelude_rows(&self.session.prelude_functions()));
            return;
        }
        let catalog = self.session.catalog();
        if let Some(schema) = catalog.get(topic) {
            self.text(&format!("{}\n\n{}\n", schema.name, schema.description.trim_end()));
            if !schema.params.is_empty() {
                let columns: Vec<String> = ["name", "type", "required", "values", "description"]
                    .iter()
                    .map(|name| name.to_string())
                    .collect();
                let rows = param_rows(schema).into_array().unwrap_or_default();
                let width = crate::app::terminal_width().unwrap_or(usize::MAX);
                self.text(&crate::render::table(&rows, Some(&columns), width));
            }
            return;
        }
        let prelude = self.session.prelude_functions();
        if let Some(function) = prelude.iter().find(|function| function.name == topic) {
            let signature = format!("{}({})", function.name, function.params.join(", "));
            self.text(&format!("{signature}\n\n{}\n", function.doc.trim_end()));
            return;
        }
        let names = self.session.function_names();
        let suggestion = nearest(topic, names.iter().map(String::as_str))
            .map(|name| format!("; did you mean `{name}`?"))
            .unwrap_or_default();
        self.problem(&format!("no tool or prelude function `{topic}`{suggestion}"));
    }

    fn tools(&self) {
        let catalog = self.session.catalog();
        let rows: Array = catalog
            .schemas()
            .map(|schema| {
                let summary = schema.description.lines().next().unwrap_or_default();
                row(&[("name", schema.name.as_str()), ("description", summary)])
            })
            .collect();
        self.show(&Dynamic::from_array(rows));
    }

    fn connect(&mut self, url: &str) {
        if url.is_empty() {
            self.problem("`:connect` needs a URL, e.g. `:connect http://localhost:9922/mcp`");
            return;
        }
        let client = match self.context.connected.connect_to(url) {
            Ok(client) => client,
            Err(error) => {
                report_error(&error, self.context.output.error_paint());
                return;
            }
        };
        let tools = client.tools().len();
        let caller = self.context.connected.caller_for(client);
        match self.session.reconnect(caller) {
            Ok(()) => eprintln!("connected to {url}: {tools} tools"),
            Err(error) => report_error(&error, self.context.output.error_paint()),
        }
        self.refresh_vocabulary();
    }

    fn node(&mut self, name: &str) {
        match name {
            "" => match self.session.default_node() {
                Some(node) => self.text(&format!("{node}\n")),
                None => self.text("(the entry node: no default set)\n"),
            },
            "-" => self.session.set_default_node(None),
            name => self.session.set_default_node(Some(name.to_string())),
        }
    }

    fn load(&mut self, file: &str) {
        if file.is_empty() {
            self.problem("`:load` needs a file or a script name");
            return;
        }
        let Some(path) = self.session.resolve_script(file) else {
            self.problem(&format!("no script `{file}` (a file, or a name on the scripts path)"));
            return;
        };
        self.session.interrupt().clear();
        self.context.signals.set_evaluating(true);
        let result = self.session.run_file(&path);
        self.context.signals.set_evaluating(false);
        match result {
            Ok(value) => self.show(&value),
            Err(failure) => {
                let source = std::fs::read_to_string(&path).ok();
                report_failure(&failure, source.as_deref(), self.context.output.error_paint());
            }
        }
        self.refresh_vocabulary();
    }

    fn save(&mut self, name: &str) {
        let Some(file_name) = script_file_name(name) else {
            self.problem(
                "`:save` needs a name of letters, digits, `_` or `-`, e.g. `:save triage`",
            );
            return;
        };
        let Some(dir) = config::scripts_dir() else {
            self.problem("no config dir to save scripts in");
            return;
        };
        let path = dir.join(file_name);
        if path.exists()
            && !ask_yes(&format!("`{}` exists; overwrite it? (yes/no) ", path.display()))
        {
            eprintln!("not saved");
            return;
        }
        match write_script(&path, &self.session.definitions()) {
            Ok(()) => eprintln!("saved `{}`", path.display()),
            Err(error) => report_error(&error, self.context.output.error_paint()),
        }
    }

    fn list_scripts(&self) {
        let rows: Array = self
            .session
            .scripts()
            .iter()
            .map(|script| {
                let path = script.path.display().to_string();
                row(&[("name", &script.name), ("summary", &script.summary), ("path", &path)])
            })
            .collect();
        self.show(&Dynamic::from_array(rows));
    }

    fn set_format(&mut self, name: &str) {
        match Format::parse(name) {
            Some(format) => self.format = format,
            None => self.problem(&format!("unknown format `{name}`: use table, json or raw")),
        }
    }

    fn samplers(&self) {
        let rows: Array = self.session.samplers().iter().map(sampler_row).collect();
        if rows.is_empty() {
            self.text("(no samplers started in this session)\n");
            return;
        }
        self.show(&Dynamic::from_array(rows));
    }
}

/// `NAME` → `NAME.rhai` when the name is safe as a file name.
fn script_file_name(name: &str) -> Option<String> {
    let stem = name.strip_suffix(".rhai").unwrap_or(name);
    let safe = !stem.is_empty()
        && stem
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || "_-".contains(character));
    safe.then(|| format!("{stem}.rhai"))
}

fn write_script(path: &Path, definitions: &str) -> anyhow::Result<()> {
    use anyhow::Context;

    let dir = path.parent().map(PathBuf::from).unwrap_or_default();
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let name = path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default();
    let text = format!("//! {name}: saved from an ergosh session\n\n{}\n", definitions.trim_end());
    std::fs::write(path, text).with_context(|| format!("cannot write `{}`", path.display()))
}

fn row(pairs: &[(&str, &str)]) -> Dynamic {
    let mut map = Map::new();
    for (key, value) in pairs {
        map.insert((*key).into(), Dynamic::from(value.to_string()));
    }
    Dynamic::from_map(map)
}

/// One row per parameter: name, type, required, allowed values, meaning.
fn param_rows(schema: &ToolSchema) -> Dynamic {
    let rows: Array = schema
        .params
        .iter()
        .map(|param| {
            let kind = kind_name(&param.kind);
            let required = if param.required { "yes" } else { "" };
            let values = param.enum_values.join(", ");
            row(&[
                ("name", &param.name),
                ("type", &kind),
                ("required", required),
                ("values", &values),
                ("description", &param.description),
            ])
        })
        .collect();
    Dynamic::from_array(rows)
}

fn sampler_row(sampler: &SamplerInfo) -> Dynamic {
    let status = if sampler.completed { "completed" } else { "running" };
    let mut map = Map::new();
    map.insert("id".into(), Dynamic::from(sampler.id.clone()));
    map.insert("node".into(), Dynamic::from(sampler.node.clone().unwrap_or_default()));
    map.insert("tool".into(), Dynamic::from(sampler.tool.clone()));
    map.insert("status".into(), Dynamic::from(status));
    map.insert("duration_sec".into(), Dynamic::from(sampler.duration_sec));
    map.insert("keep".into(), Dynamic::from(sampler.keep));
    Dynamic::from_map(map)
}

fn prelude_rows(functions: &[crate::engine::FunctionDoc]) -> Dynamic {
    let rows: Array = functions
        .iter()
        .map(|function| {
            let signature = format!("{}({})", function.name, function.params.join(", "));
            let summary = function.doc.lines().next().unwrap_or_default();
            row(&[("function", &signature), ("summary", summary)])
        })
        .collect();
    Dynamic::from_array(rows)
}

fn kind_name(kind: &ParamKind) -> String {
    match kind {
        ParamKind::String => "string".to_string(),
        ParamKind::Integer => "integer".to_string(),
        ParamKind::Number => "number".to_string(),
        ParamKind::Boolean => "boolean".to_string(),
        ParamKind::Array(item) => format!("array of {}", kind_name(item)),
        ParamKind::Object => "map".to_string(),
        ParamKind::Any => "any".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_names_are_safe_file_names() {
        assert_eq!(script_file_name("triage").as_deref(), Some("triage.rhai"));
        assert_eq!(script_file_name("triage.rhai").as_deref(), Some("triage.rhai"));
        assert_eq!(script_file_name("../etc/passwd"), None);
        assert_eq!(script_file_name(""), None);
    }

    #[test]
    fn kinds_read_as_types() {
        assert_eq!(kind_name(&ParamKind::Array(Box::new(ParamKind::String))), "array of string");
    }
}
