//! Non-interactive runs: `-e EXPR`, `run FILE_OR_NAME`, `run --list`.

use std::path::Path;

use rhai::{Array, Dynamic, Map};

use crate::app::errors::{report_failure, warn};
use crate::app::output::{Output, EXIT_CONNECTION, EXIT_FAILURE, EXIT_FINDINGS, EXIT_OK};
use crate::app::signals::{SignalState, TERMINATED_EXIT};
use crate::cli::{FailOn, RunArgs};
use crate::engine::{EvalFailure, Session};
use crate::render::{report, Severity};

/// Operations a script may run before it is stopped (a runaway loop).
pub const MAX_OPERATIONS: u64 = 50_000_000;

/// `-e EXPR`: evaluate, print the value, exit.
pub fn eval(mut session: Session, source: &str, output: &Output, signals: &SignalState) -> i32 {
    signals.set_evaluating(true);
    let result = session.eval(source);
    signals.set_evaluating(false);
    finish(session, result, Some(source), None, output, signals)
}

/// `run FILE_OR_NAME`: resolve on the scripts path, run, print the final
/// value; `--fail-on` turns findings into exit code 3.
pub fn run(mut session: Session, args: &RunArgs, output: &Output, signals: &SignalState) -> i32 {
    if args.list {
        return list(&session, output);
    }
    let Some(name) = args.script.as_deref() else {
        return list(&session, output);
    };
    let Some(path) = session.resolve_script(name) else {
        let paint = output.error_paint();
        let error = anyhow::anyhow!("no script `{name}` (a file, or a name on the scripts path)");
        crate::app::errors::report_error(&error, paint);
        eprintln!("{} `ergosh run --list` shows the scripts found", paint.cyan("hint:"));
        return EXIT_CONNECTION;
    };

    signals.set_evaluating(true);
    let result = session.run_file(&path);
    signals.set_evaluating(false);

    let source = std::fs::read_to_string(&path).ok();
    finish(session, result, source.as_deref(), args.fail_on, output, signals)
}

/// Stops the samplers, prints the value or the failure, picks the code.
fn finish(
    mut session: Session,
    result: Result<Dynamic, EvalFailure>,
    source: Option<&str>,
    fail_on: Option<FailOn>,
    output: &Output,
    signals: &SignalState,
) -> i32 {
    session.finish();
    if signals.is_terminated() {
        return TERMINATED_EXIT;
    }
    // The process ends next: freeing a result of 100,000 maps one by one
    // would only delay the exit, so the session and the value are left to
    // the operating system.
    std::mem::forget(session);

    match result {
        Ok(value) => {
            let written = output.write_value(&value, output.format);
            let findings = fail_on.is_some_and(|threshold| has_findings_at(&value, threshold));
            std::mem::forget(value);
            if let Err(error) = written {
                warn(&format!("cannot write the result: {error}"), output.error_paint());
                return EXIT_FAILURE;
            }
            if findings {
                EXIT_FINDINGS
            } else {
                EXIT_OK
            }
        }
        Err(failure) => {
            report_failure(&failure, source, output.error_paint());
            failure.exit_code()
        }
    }
}

/// Whether the value holds a report with a finding at or above `threshold`.
fn has_findings_at(value: &Dynamic, threshold: FailOn) -> bool {
    let threshold = match threshold {
        FailOn::Info => Severity::Info,
        FailOn::Warning => Severity::Warning,
        FailOn::Critical => Severity::Critical,
    };
    report::worst_severity(value).is_some_and(|worst| worst >= threshold)
}

/// `run --list`: the scripts on the path as a table.
fn list(session: &Session, output: &Output) -> i32 {
    let rows: Array = session
        .scripts()
        .into_iter()
        .map(|script| {
            let mut row = Map::new();
            row.insert("name".into(), Dynamic::from(script.name));
            row.insert("summary".into(), Dynamic::from(script.summary));
            row.insert("path".into(), Dynamic::from(display(&script.path)));
            Dynamic::from_map(row)
        })
        .collect();
    match output.write_value(&Dynamic::from_array(rows), output.format) {
        Ok(()) => EXIT_OK,
        Err(_) => EXIT_FAILURE,
    }
}

fn display(path: &Path) -> String {
    path.display().to_string()
}
