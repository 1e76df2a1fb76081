//! The command line: flags, subcommands and shell completions (clap derive).

use std::path::PathBuf;

use clap::{ArgAction, Args, CommandFactory, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;

/// A scripting REPL for diagnosing live Ergo Framework clusters over MCP.
///
/// Every MCP tool of the node is a Rhai function: `process_list(#{sort_by:
/// "mailbox", limit: 5})`. Try it without a node: `ergosh --demo`.
#[derive(Debug, Parser)]
#[command(name = "ergosh", version, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub connection: Connection,

    /// Output format of results
    #[arg(long, value_enum, global = true)]
    pub format: Option<OutputFormat>,

    /// When to colour output
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    /// More logging to stderr (-v decisions, -vv wire bodies); RUST_LOG also works
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Evaluate EXPR, print its value and exit
    #[arg(short = 'e', long = "eval", value_name = "EXPR")]
    pub eval: Option<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Where and how to connect.
#[derive(Debug, Args, Clone, Default)]
pub struct Connection {
    /// MCP endpoint of the Ergo node [default: http://localhost:9922/mcp]
    #[arg(long, env = "ERGOSH_URL", value_name = "URL", global = true)]
    pub url: Option<String>,

    /// File holding the bearer token (the token itself may come from ERGOSH_TOKEN)
    #[arg(long, env = "ERGOSH_TOKEN_FILE", value_name = "FILE", global = true)]
    pub token_file: Option<PathBuf>,

    /// Request timeout in seconds (longer tool timeouts are honoured)
    #[arg(long, env = "ERGOSH_TIMEOUT", value_name = "SECONDS", global = true)]
    pub timeout: Option<f64>,

    /// Named profile from the config file
    #[arg(long, env = "ERGOSH_PROFILE", value_name = "NAME", global = true)]
    pub profile: Option<String>,

    /// Default node for every call (proxied through the entry point)
    #[arg(long, env = "ERGOSH_NODE", value_name = "NAME", global = true)]
    pub node: Option<String>,

    /// Start a simulated cluster in-process and connect to it
    #[arg(long, global = true)]
    pub demo: bool,

    /// Refuse every action tool (kill, exit, send, connect, log level)
    #[arg(long, global = true)]
    pub read_only: bool,

    /// Let scripts call action tools without asking
    #[arg(long, global = true, conflicts_with = "read_only")]
    pub allow_actions: bool,

    /// Calls in flight at once per entry point [default: 4]
    #[arg(long, env = "ERGOSH_CONCURRENCY", value_name = "N", global = true)]
    pub concurrency: Option<usize>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a script file or a named script from the scripts path
    Run(RunArgs),
    /// List the tools of the endpoint
    Tools {
        /// Print the full tool list as JSON
        #[arg(long)]
        json: bool,
    },
    /// Serve a simulated Ergo cluster over MCP until Ctrl-C
    Sim(SimArgs),
    /// Print shell completions
    Completions {
        /// The shell to complete for
        shell: Shell,
    },
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Script path or name (see --list)
    #[arg(required_unless_present = "list")]
    pub script: Option<String>,

    /// Arguments, reaching the script as `ARGS`
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,

    /// A named parameter, reaching the script in the map `PARAMS`
    #[arg(long = "arg", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub params: Vec<(String, String)>,

    /// List the scripts found on the scripts path
    #[arg(long)]
    pub list: bool,

    /// Exit with 3 when a report has a finding at or above this severity
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,
}

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Port to listen on (loopback only)
    #[arg(long, default_value_t = 9922)]
    pub port: u16,

    /// Require this bearer token
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,

    /// Number of nodes (the entry point included)
    #[arg(long, default_value_t = 3)]
    pub nodes: usize,

    /// Plant only these scenarios (default: all)
    #[arg(long = "scenario", value_name = "NAME")]
    pub scenarios: Vec<String>,

    /// Plant no trouble at all
    #[arg(long, conflicts_with = "scenarios")]
    pub healthy: bool,

    /// Latency of every remote node, in milliseconds
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,

    /// Give the entry node this many processes (scale mode)
    #[arg(long, value_name = "N")]
    pub processes: Option<usize>,

    /// Answer node_info like an older release (no newer counters)
    #[arg(long)]
    pub legacy: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Info,
    Warning,
    Critical,
}

fn parse_key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(format!("expected KEY=VALUE, got `{text}`")),
    }
}

/// Writes the completion script for `shell` to `out`.
pub fn write_completions(shell: Shell, out: &mut dyn std::io::Write) {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "ergosh", out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("ergosh").chain(args.iter().copied()))
            .unwrap_or_else(|error| panic!("{error}"))
    }

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn eval_with_connection_flags() {
        let cli = parse(&["--url", "http://h:1/mcp", "--node", "b@h", "-e", "node_info()"]);
        assert_eq!(cli.connection.url.as_deref(), Some("http://h:1/mcp"));
        assert_eq!(cli.connection.node.as_deref(), Some("b@h"));
        assert_eq!(cli.eval.as_deref(), Some("node_info()"));
        assert!(cli.command.is_none());
    }

    #[test]
    fn run_takes_trailing_args_and_key_values() {
        let cli = parse(&["run", "--arg", "limit=5", "--fail-on", "warning", "health", "a", "-x"]);
        let Some(Command::Run(run)) = cli.command else { panic!("not run") };
        assert_eq!(run.script.as_deref(), Some("health"));
        assert_eq!(run.args, ["a", "-x"]);
        assert_eq!(run.params, [("limit".to_string(), "5".to_string())]);
        assert_eq!(run.fail_on, Some(FailOn::Warning));
    }

    #[test]
    fn run_needs_a_script_unless_listing() {
        assert!(Cli::try_parse_from(["ergosh", "run"]).is_err());
        let cli = parse(&["run", "--list"]);
        assert!(matches!(cli.command, Some(Command::Run(RunArgs { list: true, .. }))));
    }

    #[test]
    fn bad_key_value_is_a_usage_error() {
        let error = Cli::try_parse_from(["ergosh", "run", "x", "--arg", "novalue"]).unwrap_err();
        assert!(error.to_string().contains("KEY=VALUE"), "{error}");
    }

    #[test]
    fn read_only_and_allow_actions_conflict() {
        assert!(Cli::try_parse_from(["ergosh", "--read-only", "--allow-actions"]).is_err());
    }

    #[test]
    fn sim_defaults() {
        let cli = parse(&["sim", "--scenario", "overload", "--scenario", "zombies"]);
        let Some(Command::Sim(sim)) = cli.command else { panic!("not sim") };
        assert_eq!(sim.port, 9922);
        assert_eq!(sim.nodes, 3);
        assert_eq!(sim.scenarios, ["overload", "zombies"]);
    }

    #[test]
    fn help_shows_the_environment_variables() {
        let help = Cli::command().render_long_help().to_string();
        for variable in ["ERGOSH_URL", "ERGOSH_TOKEN_FILE", "ERGOSH_TIMEOUT", "ERGOSH_TOKEN"] {
            assert!(help.contains(variable), "{variable} missing from --help");
        }
    }

    #[test]
    fn completions_name_the_binary() {
        let mut out = Vec::new();
        write_completions(Shell::Bash, &mut out);
        assert!(String::from_utf8_lossy(&out).contains("ergosh"));
    }
}
