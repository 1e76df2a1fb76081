//! Where results go: stdout, in the chosen format, coloured only when
//! allowed, fitted to the terminal, streamed through a buffer; a closed
//! pipe ends the output quietly.

use std::io::{self, BufWriter, IsTerminal, Write};

use rhai::Dynamic;

use crate::app::frontend::terminal_width;
use crate::cli::{Cli, ColorChoice, OutputFormat};
use crate::render::{self, Format, Paint, RenderOptions};

pub const EXIT_OK: i32 = 0;
/// A script or tool failed.
pub const EXIT_FAILURE: i32 = 1;
/// Usage or connection error.
pub const EXIT_CONNECTION: i32 = 2;
/// A report had findings at or above `--fail-on`.
pub const EXIT_FINDINGS: i32 = 3;

/// How this run prints.
#[derive(Clone, Debug)]
pub struct Output {
    pub format: Format,
    color_stdout: bool,
    color_stderr: bool,
}

impl Output {
    pub fn new(cli: &Cli) -> Output {
        let format = match cli.format {
            Some(OutputFormat::Json) => Format::Json,
            Some(OutputFormat::Table) | None => Format::Table,
        };
        Output {
            format,
            color_stdout: color_allowed(cli.color, io::stdout().is_terminal()),
            color_stderr: color_allowed(cli.color, io::stderr().is_terminal()),
        }
    }

    /// Paint for stderr (errors, warnings, banners).
    pub fn error_paint(&self) -> Paint {
        Paint::new(self.color_stderr)
    }

    /// Paint for stdout.
    pub fn paint(&self) -> Paint {
        Paint::new(self.color_stdout)
    }

    /// Writes `value` to stdout in `format`. A closed pipe is not an error.
    pub fn write_value(&self, value: &Dynamic, format: Format) -> io::Result<()> {
        let options = RenderOptions {
            format,
            width: terminal_width().unwrap_or(usize::MAX),
            color: self.color_stdout,
        };
        let stdout = io::stdout();
        let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
        let written = render::render(value, &options, &mut out).and_then(|()| out.flush());
        quiet_broken_pipe(written)
    }

    /// Writes text lines to stdout, quietly stopping at a closed pipe.
    pub fn write_text(&self, text: &str) -> io::Result<()> {
        let mut out = io::stdout().lock();
        quiet_broken_pipe(out.write_all(text.as_bytes()).and_then(|()| out.flush()))
    }
}

/// `--color`, then `NO_COLOR`, then whether the stream is a terminal.
pub fn color_allowed(choice: ColorChoice, is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
            !no_color && is_terminal
        }
    }
}

/// A reader that went away (`| head`) ends the output, not the run.
fn quiet_broken_pipe(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => std::process::exit(EXIT_OK),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_choice_beats_the_terminal() {
        assert!(color_allowed(ColorChoice::Always, false));
        assert!(!color_allowed(ColorChoice::Never, true));
        assert!(!color_allowed(ColorChoice::Auto, false));
    }
}
