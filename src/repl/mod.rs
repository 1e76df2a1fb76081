//! The REPL: a prompt with history, completion, hints and multi-line
//! input; each line evaluated in one session (variables and functions
//! persist), its value rendered; `:` meta-commands.
//!
//! Ctrl-C at the prompt clears the line; during a line the signal thread
//! raises the session's interrupt, which stops the request, loop or
//! `follow` that runs. Ctrl-D exits.

mod complete;
mod helper;
mod history;
mod meta;

use rustyline::config::{BellStyle, ColorMode, CompletionType, Config};
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::Editor;

use crate::app::{report_failure, Connected, Output};
use crate::engine::{EvalFailure, Session};
use crate::render::Format;

use complete::Vocabulary;
use helper::ReplHelper;
use history::History;

pub use complete::{complete, spot, Spot, META_COMMANDS};

/// What the REPL borrows from the run that started it.
pub struct ReplContext<'a> {
    pub connected: &'a Connected,
    pub output: &'a Output,
    pub signals: &'a crate::app::SignalState,
}

/// Whether the loop goes on after a line.
pub(crate) enum Flow {
    Continue,
    Quit,
}

pub(crate) struct Repl<'a> {
    session: Session,
    context: ReplContext<'a>,
    editor: Editor<ReplHelper, FileHistory>,
    history: History,
    format: Format,
}

/// Runs the REPL until Ctrl-D or `:quit`; returns the exit code.
pub fn run(session: Session, context: ReplContext<'_>) -> anyhow::Result<i32> {
    let config = Config::builder()
        .auto_add_history(false)
        .history_ignore_space(true)
        .max_history_size(10_000)?
        .completion_type(CompletionType::List)
        .completion_show_all_if_ambiguous(true)
        .bell_style(BellStyle::None)
        .color_mode(if context.output.paint().color {
            ColorMode::Enabled
        } else {
            ColorMode::Disabled
        })
        .build();

    let vocabulary = Vocabulary { functions: session.function_names(), catalog: session.catalog() };
    let mut editor: Editor<ReplHelper, FileHistory> = Editor::with_config(config)?;
    editor.set_helper(Some(ReplHelper::new(vocabulary, context.output.paint().color)));

    let token = context.connected.options.token.as_ref().map(|token| token.expose().to_string());
    let history = History::new(token);
    history.load(&mut editor);

    let format = context.output.format;
    let mut repl = Repl { session, context, editor, history, format };
    repl.greet();
    let code = repl.read_loop()?;
    repl.session.finish();
    Ok(code)
}

impl Repl<'_> {
    fn greet(&self) {
        let tools = self.session.catalog().len();
        let url = self.context.connected.client.url();
        eprintln!("connected to {url}: {tools} tools; :help for help, Ctrl-D to quit");
    }

    fn prompt(&self) -> String {
        match self.session.default_node() {
            Some(node) => format!("ergosh {node}> "),
            None => "ergosh> ".to_string(),
        }
    }

    fn read_loop(&mut self) -> anyhow::Result<i32> {
        loop {
            let prompt = self.prompt();
            match self.editor.readline(&prompt) {
                Ok(line) => {
                    self.history.record(&mut self.editor, &line);
                    if let Flow::Quit = self.handle(&line) {
                        return Ok(0);
                    }
                    if self.context.signals.is_terminated() {
                        return Ok(crate::app::TERMINATED_EXIT);
                    }
                }
                Err(ReadlineError::Interrupted) => continue,
                Err(ReadlineError::Eof) => return Ok(0),
                Err(error) => return Err(error.into()),
            }
        }
    }

    fn handle(&mut self, line: &str) -> Flow {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            return Flow::Continue;
        }
        if trimmed.starts_with(':') {
            return self.meta(trimmed);
        }
        self.evaluate(line);
        Flow::Continue
    }

    /// Evaluates one line (or block) and prints its value or its failure.
    fn evaluate(&mut self, source: &str) {
        self.session.interrupt().clear();
        self.context.signals.set_evaluating(true);
        let result = self.session.eval(source);
        self.context.signals.set_evaluating(false);

        match result {
            Ok(value) => self.show(&value),
            Err(EvalFailure::Interrupted) => eprintln!("interrupted"),
            Err(failure) => {
                report_failure(&failure, Some(source), self.context.output.error_paint())
            }
        }
        self.refresh_vocabulary();
    }

    fn show(&self, value: &rhai::Dynamic) {
        if let Err(error) = self.context.output.write_value(value, self.format) {
            eprintln!("cannot write the result: {error}");
        }
    }

    /// New user functions become completable after the line that made them.
    fn refresh_vocabulary(&mut self) {
        let functions = self.session.function_names();
        let catalog = self.session.catalog();
        if let Some(helper) = self.editor.helper_mut() {
            helper.vocabulary = Vocabulary { functions, catalog };
        }
    }
}
