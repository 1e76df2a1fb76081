//! The TOML config file in the platform config dir: named profiles, the
//! action tool list and the scripts path; and the other places ergosh keeps
//! user files (history, saved scripts).
//!
//! ```toml
//! action_tools = ["process_kill", "send_exit"]
//! scripts = ["~/ops/ergosh"]
//!
//! [profile.prod]
//! url = "https://ergo.example.com/mcp"
//! token_file = "~/.config/ergosh/prod.token"
//! node = "backend@host"
//! read_only = true
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Deserialize;

/// The variable that points at another config file.
pub const CONFIG_VARIABLE: &str = "ERGOSH_CONFIG";

/// The whole config file; every field optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Replaces the built-in list of tools that need consent.
    pub action_tools: Option<Vec<String>>,
    /// Extra script folders, searched before the user's scripts dir.
    #[serde(default)]
    pub scripts: Vec<PathBuf>,
    /// Profile used when `--profile` is not given.
    pub default_profile: Option<String>,
    #[serde(default)]
    pub profile: BTreeMap<String, Profile>,
}

/// One named connection.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub url: Option<String>,
    pub token_file: Option<PathBuf>,
    pub node: Option<String>,
    #[serde(default)]
    pub read_only: bool,
}

impl Config {
    /// Reads the config file: `ERGOSH_CONFIG` when set, else the platform
    /// config dir. A missing default file is an empty config; a missing file
    /// named by the variable is an error.
    pub fn load() -> anyhow::Result<Config> {
        match std::env::var_os(CONFIG_VARIABLE) {
            Some(path) => Config::read(Path::new(&path)),
            None => match default_path() {
                Some(path) if path.exists() => Config::read(&path),
                _ => Ok(Config::default()),
            },
        }
    }

    /// Reads and parses the file at `path`.
    pub fn read(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config `{}`", path.display()))?;
        Config::parse(&text).with_context(|| format!("invalid config `{}`", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<Config> {
        let mut config: Config = toml::from_str(text)?;
        config.scripts = config.scripts.iter().map(|path| expand_home(path)).collect();
        for profile in config.profile.values_mut() {
            profile.token_file = profile.token_file.as_deref().map(expand_home);
        }
        Ok(config)
    }

    /// The profile called `name`, or the default profile when `name` is
    /// `None`; an unknown name is an error listing the known ones.
    pub fn profile(&self, name: Option<&str>) -> anyhow::Result<Profile> {
        let Some(name) = name.or(self.default_profile.as_deref()) else {
            return Ok(Profile::default());
        };
        match self.profile.get(name) {
            Some(profile) => Ok(profile.clone()),
            None if self.profile.is_empty() => {
                bail!("unknown profile `{name}`: the config file defines no profiles")
            }
            None => {
                let known: Vec<&str> = self.profile.keys().map(String::as_str).collect();
                bail!("unknown profile `{name}` (known: {})", known.join(", "))
            }
        }
    }
}

/// `config.toml` in the platform config dir (`~/.config/ergosh` on Linux).
pub fn default_path() -> Option<PathBuf> {
    dirs::config_dir().map(|dir| dir.join("ergosh").join("config.toml"))
}

/// The REPL history file in the platform data dir.
pub fn history_path() -> Option<PathBuf> {
    dirs::data_dir().map(|dir| dir.join("ergosh").join("history"))
}

/// Where `:save` writes scripts: `ergosh/scripts` in the platform config
/// dir, which is also on the engine's default scripts path.
pub fn scripts_dir() -> Option<PathBuf> {
    dirs::config_dir().map(|dir| dir.join("ergosh").join("scripts"))
}

/// `~/x` → the home dir joined with `x`.
fn expand_home(path: &Path) -> PathBuf {
    match (path.strip_prefix("~"), dirs::home_dir()) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
action_tools = ["process_kill"]
scripts = ["/opt/ergosh"]
default_profile = "staging"

[profile.prod]
url = "https://prod.example/mcp"
token_file = "/etc/ergosh/prod.token"
node = "backend@prod"
read_only = true

[profile.staging]
url = "http://staging:9922/mcp"
"#;

    #[test]
    fn profiles_and_lists_are_read() {
        let config = Config::parse(SAMPLE).unwrap_or_else(|error| panic!("{error:#}"));
        assert_eq!(config.action_tools.as_deref(), Some(&["process_kill".to_string()][..]));
        assert_eq!(config.scripts, [PathBuf::from("/opt/ergosh")]);

        let prod = config.profile(Some("prod")).unwrap_or_else(|error| panic!("{error:#}"));
        assert_eq!(prod.url.as_deref(), Some("https://prod.example/mcp"));
        assert_eq!(prod.node.as_deref(), Some("backend@prod"));
        assert!(prod.read_only);
    }

    #[test]
    fn default_profile_applies_without_a_name() {
        let config = Config::parse(SAMPLE).unwrap_or_else(|error| panic!("{error:#}"));
        let profile = config.profile(None).unwrap_or_else(|error| panic!("{error:#}"));
        assert_eq!(profile.url.as_deref(), Some("http://staging:9922/mcp"));
        assert!(!profile.read_only);
    }

    #[test]
    fn unknown_profile_names_the_known_ones() {
        let config = Config::parse(SAMPLE).unwrap_or_else(|error| panic!("{error:#}"));
        let error = config.profile(Some("qa")).unwrap_err().to_string();
        assert_eq!(error, "unknown profile `qa` (known: prod, staging)");
    }

    #[test]
    fn unknown_keys_are_errors() {
        let error = Config::parse("[profile.x]\nurll = \"u\"\n").unwrap_err();
        assert!(format!("{error:#}").contains("urll"), "{error:#}");
    }

    #[test]
    fn empty_file_is_an_empty_config() {
        let config = Config::parse("").unwrap_or_else(|error| panic!("{error:#}"));
        assert!(config.profile.is_empty());
        assert!(config.profile(None).is_ok());
    }

    #[test]
    fn file_named_by_path_is_read_and_missing_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
        let path = dir.path().join("config.toml");
        std::fs::write(&path, SAMPLE).unwrap_or_else(|error| panic!("{error}"));
        assert!(Config::read(&path).is_ok());

        let missing = Config::read(&dir.path().join("absent.toml")).unwrap_err();
        assert!(missing.to_string().starts_with("cannot read config `"), "{missing}");
    }
}
