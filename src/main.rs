//! The `ergosh` binary: parse the command line, run, exit with the code.

use std::process::ExitCode;

use clap::Parser;

use ergosh::app;
use ergosh::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = app::run(cli);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
