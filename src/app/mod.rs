//! One run of ergosh: resolve the connection (or start the demo cluster),
//! connect, build the session, dispatch to `-e`, `run`, `tools`, `sim` or
//! the REPL, and print errors once at top level.
//!
//! | file | owns |
//! |---|---|
//! | `connect.rs` | flags + environment + config → client options; the demo cluster |
//! | `frontend.rs`, `spinner.rs` | the session's [`Frontend`](crate::engine::Frontend) on a terminal |
//! | `errors.rs` | `error:` / `caused by:` / `hint:` on stderr |
//! | `output.rs` | colour, width, writing values to stdout |
//! | `signals.rs` | Ctrl-C and SIGTERM |
//! | `script.rs` | `-e`, `run`, `run --list` |
//! | `standalone.rs` | `tools`, `sim`, `completions` |

mod connect;
mod errors;
mod frontend;
mod output;
mod script;
mod signals;
mod spinner;
mod standalone;

use std::sync::Arc;

use anyhow::Context;
use tracing::debug;

use crate::bindings::Caller;
use crate::cli::{Cli, Command};
use crate::config::Config;
use crate::engine::{ActionPolicy, Session, SessionOptions, DEFAULT_ACTION_TOOLS};
use crate::interrupt::Interrupt;
use crate::mcp::{ClientOptions, McpClient};
use crate::repl::{self, ReplContext};

pub use connect::DEFAULT_URL;
pub use errors::{report_error, report_failure};
pub use frontend::{ask_yes, terminal_width};
pub use output::{Output, EXIT_CONNECTION, EXIT_FAILURE, EXIT_FINDINGS, EXIT_OK};
pub use signals::{SignalState, TERMINATED_EXIT};

/// Runs ergosh as the command line says and returns the exit code.
pub fn run(cli: Cli) -> i32 {
    init_logging(cli.verbose);
    let output = Output::new(&cli);

    match &cli.command {
        Some(Command::Completions { shell }) => return standalone::completions(*shell),
        Some(Command::Sim(args)) => return standalone::sim(args, &output),
        _ => {}
    }

    match connect_and_dispatch(&cli, &output) {
        Ok(code) => code,
        Err(error) => {
            report_error(&error, output.error_paint());
            EXIT_CONNECTION
        }
    }
}

/// `-v` turns on ergosh's debug logs, `-vv` its traces; `RUST_LOG` wins.
fn init_logging(verbose: u8) {
    let from_env = std::env::var_os("RUST_LOG").is_some();
    if verbose == 0 && !from_env {
        return;
    }
    let filter = if from_env {
        tracing_subscriber::EnvFilter::from_default_env()
    } else if verbose == 1 {
        tracing_subscriber::EnvFilter::new("ergosh=debug")
    } else {
        tracing_subscriber::EnvFilter::new("ergosh=trace")
    };
    let _ =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// Everything one connected run keeps: the runtime the client lives on,
/// the client options (for `:connect`) and the demo cluster.
pub struct Connected {
    pub runtime: tokio::runtime::Runtime,
    pub options: ClientOptions,
    pub client: McpClient,
    pub interrupt: Interrupt,
    _demo: Option<crate::sim::Simulator>,
}

impl Connected {
    /// A caller on this connection, for a new session or after `:connect`.
    pub fn caller(&self) -> Caller {
        self.caller_for(self.client.clone())
    }

    /// A caller on another client of this run (after `:connect`).
    pub fn caller_for(&self, client: McpClient) -> Caller {
        Caller::new(client, self.runtime.handle().clone(), self.interrupt.clone())
            .with_timeout(self.options.request_timeout)
    }

    /// Connects to another endpoint with the same token and limits.
    pub fn connect_to(&self, url: &str) -> anyhow::Result<McpClient> {
        let mut options = self.options.clone();
        options.url = url.to_string();
        let client = self.runtime.block_on(McpClient::connect(options))?;
        Ok(client)
    }
}

fn connect_and_dispatch(cli: &Cli, output: &Output) -> anyhow::Result<i32> {
    let config = Config::load()?;
    let target = connect::resolve(&cli.connection, &config)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let client = runtime.block_on(McpClient::connect(target.options.clone()))?;
    debug!(tools = client.tools().len(), url = client.url(), "connected");

    let connected = Connected {
        runtime,
        options: target.options,
        client,
        interrupt: Interrupt::new(),
        _demo: target.demo,
    };

    if let Some(Command::Tools { json }) = &cli.command {
        let code = standalone::tools(&connected.client, *json, output);
        close(&connected);
        return Ok(code);
    }

    let interactive = cli.eval.is_none() && cli.command.is_none();
    let read_only = cli.connection.read_only || target.profile.read_only;
    let policy = policy(interactive, read_only, cli.connection.allow_actions);
    let signals = signals::install(connected.interrupt.clone(), interactive)?;

    let mut options = SessionOptions {
        policy,
        action_tools: config
            .action_tools
            .clone()
            .unwrap_or_else(|| DEFAULT_ACTION_TOOLS.iter().map(|name| name.to_string()).collect()),
        default_node: cli.connection.node.clone().or(target.profile.node.clone()),
        fan_out: connected.options.max_concurrency,
        ..SessionOptions::default()
    };
    options.script_paths.splice(0..0, config.scripts.iter().cloned());
    if let Some(Command::Run(run)) = &cli.command {
        options.args = run.args.clone();
        options.params = run.params.iter().cloned().collect();
        options.max_operations = script::MAX_OPERATIONS;
    }
    if cli.eval.is_some() {
        options.max_operations = script::MAX_OPERATIONS;
    }

    let frontend = Arc::new(frontend::TerminalFrontend::new(interactive, output.error_paint()));
    let session = Session::new(connected.caller(), options, frontend)?;
    debug!("session ready");

    let code = match (&cli.eval, &cli.command) {
        (Some(source), _) => script::eval(session, source, output, &signals),
        (None, Some(Command::Run(run))) => script::run(session, run, output, &signals),
        _ => {
            let context = ReplContext { connected: &connected, output, signals: &signals };
            repl::run(session, context)?
        }
    };
    close(&connected);
    Ok(code)
}

/// What action tools may do in this run.
fn policy(interactive: bool, read_only: bool, allow_actions: bool) -> ActionPolicy {
    if read_only {
        return ActionPolicy::Refuse {
            reason: "refused: this session is read-only (`--read-only` or the profile)".to_string(),
        };
    }
    if allow_actions {
        return ActionPolicy::Allow;
    }
    if interactive {
        return ActionPolicy::Confirm;
    }
    ActionPolicy::Refuse {
        reason: "refused: scripts may not call action tools; pass `--allow-actions` to allow it"
            .to_string(),
    }
}

/// Ends the MCP session politely, without holding up the exit.
fn close(connected: &Connected) {
    let close = connected.client.close();
    let _ = connected
        .runtime
        .block_on(async { tokio::time::timeout(std::time::Duration::from_secs(1), close).await });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_wins_over_everything() {
        assert!(matches!(policy(true, true, true), ActionPolicy::Refuse { .. }));
        assert!(matches!(policy(false, true, false), ActionPolicy::Refuse { .. }));
    }

    #[test]
    fn scripts_refuse_unless_allowed_and_the_repl_asks() {
        assert!(matches!(policy(false, false, false), ActionPolicy::Refuse { .. }));
        assert_eq!(policy(false, false, true), ActionPolicy::Allow);
        assert_eq!(policy(true, false, false), ActionPolicy::Confirm);
    }
}
