//! From flags, environment and config to a connected client: which URL,
//! which token, which limits; and the in-process demo cluster.

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context};
use tracing::debug;

use crate::cli::Connection;
use crate::config::{Config, Profile};
use crate::mcp::{ClientOptions, Secret};
use crate::sim::{SimOptions, Simulator};

/// The endpoint when nothing else names one.
pub const DEFAULT_URL: &str = "http://localhost:9922/mcp";

/// The variable holding the bearer token itself.
pub const TOKEN_VARIABLE: &str = "ERGOSH_TOKEN";

/// What one run connects to, resolved once.
pub struct Target {
    pub options: ClientOptions,
    pub profile: Profile,
    /// Keeps the demo cluster alive as long as the run.
    pub demo: Option<Simulator>,
}

/// Resolves the connection: flags and their variables first, then the
/// profile, then the defaults; starts the demo cluster when asked.
pub fn resolve(connection: &Connection, config: &Config) -> anyhow::Result<Target> {
    let profile = config.profile(connection.profile.as_deref())?;

    let demo = if connection.demo { Some(start_demo()?) } else { None };
    let url = match (&demo, &connection.url, &profile.url) {
        (Some(simulator), _, _) => simulator.url(),
        (None, Some(url), _) | (None, None, Some(url)) => url.clone(),
        (None, None, None) => DEFAULT_URL.to_string(),
    };

    let mut options = ClientOptions::new(url);
    options.token = token(connection.token_file.as_deref().or(profile.token_file.as_deref()))?;
    if let Some(seconds) = connection.timeout {
        if !(seconds.is_finite() && seconds > 0.0) {
            bail!("`--timeout` must be a positive number of seconds, got {seconds}");
        }
        options.request_timeout = Duration::from_secs_f64(seconds);
    }
    if let Some(concurrency) = connection.concurrency {
        if concurrency == 0 {
            bail!("`--concurrency` must be at least 1");
        }
        options.max_concurrency = concurrency;
    }
    debug!(url = %options.url, token = options.token.is_some(), "endpoint chosen");

    Ok(Target { options, profile, demo })
}

/// The token from `ERGOSH_TOKEN`, else from the token file, trimmed.
fn token(file: Option<&Path>) -> anyhow::Result<Option<Secret>> {
    if let Ok(token) = std::env::var(TOKEN_VARIABLE) {
        let token = token.trim();
        if !token.is_empty() {
            return Ok(Some(Secret::new(token)));
        }
    }
    let Some(file) = file else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read token file `{}`", file.display()))?;
    let token = text.trim();
    if token.is_empty() {
        bail!("token file `{}` is empty", file.display());
    }
    Ok(Some(Secret::new(token)))
}

/// Starts the simulated cluster and says so on stderr, naming its nodes.
fn start_demo() -> anyhow::Result<Simulator> {
    let simulator =
        Simulator::start(SimOptions::demo()).context("cannot start the simulated cluster")?;
    let nodes = simulator.control().node_names().join(", ");
    eprintln!("ergosh: demo: a simulated Ergo cluster, not a real node: {nodes}");
    Ok(simulator)
}
