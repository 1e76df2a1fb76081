//! The subcommands that need no session: `tools`, `sim`, `completions`.

use std::time::Duration;

use clap_complete::Shell;
use rhai::{Array, Dynamic, Map};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::app::errors::report_error;
use crate::app::output::{Output, EXIT_CONNECTION, EXIT_FAILURE, EXIT_OK};
use crate::cli::{write_completions, SimArgs};
use crate::mcp::McpClient;
use crate::render::Format;
use crate::sim::{SimOptions, Simulator};

/// `completions SHELL`.
pub fn completions(shell: Shell) -> i32 {
    let mut stdout = std::io::stdout().lock();
    write_completions(shell, &mut stdout);
    EXIT_OK
}

/// `tools [--json]`: the endpoint's tools, as a table or the raw list.
pub fn tools(client: &McpClient, json: bool, output: &Output) -> i32 {
    let tools = client.tools();
    let written = if json || output.format == Format::Json {
        match serde_json::to_string_pretty(&*tools) {
            Ok(text) => output.write_text(&format!("{text}\n")),
            Err(error) => Err(std::io::Error::other(error)),
        }
    } else {
        let rows: Array = tools
            .iter()
            .map(|tool| {
                let mut row = Map::new();
                row.insert("name".into(), Dynamic::from(tool.name.clone()));
                let summary = tool.description.lines().next().unwrap_or_default().to_string();
                row.insert("description".into(), Dynamic::from(summary));
                Dynamic::from_map(row)
            })
            .collect();
        output.write_value(&Dynamic::from_array(rows), Format::Table)
    };
    match written {
        Ok(()) => EXIT_OK,
        Err(_) => EXIT_FAILURE,
    }
}

/// `sim`: serve a simulated cluster until Ctrl-C or SIGTERM.
pub fn sim(args: &SimArgs, output: &Output) -> i32 {
    let options = SimOptions {
        port: args.port,
        token: args.token.clone(),
        nodes: args.nodes.max(1),
        scenarios: args.scenarios.clone(),
        healthy: args.healthy,
        node_latency: Duration::from_millis(args.latency_ms),
        processes: args.processes,
        legacy: args.legacy,
        ..SimOptions::demo()
    };
    let mut signals = match Signals::new([SIGINT, SIGTERM]) {
        Ok(signals) => signals,
        Err(error) => {
            report_error(&anyhow::Error::new(error), output.error_paint());
            return EXIT_FAILURE;
        }
    };
    let simulator = match Simulator::start(options) {
        Ok(simulator) => simulator,
        Err(error) => {
            let error = anyhow::Error::new(error)
                .context(format!("cannot serve the simulated cluster on port {}", args.port));
            report_error(&error, output.error_paint());
            return EXIT_CONNECTION;
        }
    };

    let nodes = simulator.control().node_names().join(", ");
    eprintln!("ergosh sim: a simulated Ergo cluster ({nodes})");
    eprintln!("serving {} until Ctrl-C", simulator.url());

    let _ = signals.forever().next();
    drop(simulator);
    EXIT_OK
}
