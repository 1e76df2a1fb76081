//! What can go wrong between ergosh and an MCP endpoint, in one line each.

use std::fmt;
use std::time::Duration;

/// Why a request to the MCP endpoint failed.
///
/// `Display` is one lowercase line naming the URL where it helps; it never
/// contains the token. [`McpError::hint`] says what to do about it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum McpError {
    /// No HTTP exchange happened: refused, DNS, TLS, connect timeout, or
    /// the connection closed before any answer.
    #[error("cannot connect to `{url}`: {reason}")]
    Connect { url: String, reason: String },

    /// The answer did not arrive in time.
    #[error("no answer from `{url}` within {}", HumanDuration(*.after))]
    Timeout { url: String, after: Duration },

    /// HTTP 401 or 403.
    #[error("authentication failed at `{url}` (http {status})")]
    Auth { url: String, status: u16 },

    /// Any other HTTP status outside 2xx.
    #[error("`{url}` answered http {status}{}", Snippet(.snippet))]
    Http { url: String, status: u16, snippet: String },

    /// A body that is not JSON (an HTML error page, plain text, ...).
    #[error("`{url}` answered `{content_type}`, not json{}", Snippet(.snippet))]
    NotJson { url: String, content_type: String, snippet: String },

    /// JSON that breaks the protocol: truncated, wrong id, no result, an
    /// event stream without the response, a body cut mid-way.
    #[error("protocol error from `{url}`: {message}")]
    Protocol { url: String, message: String },

    /// The JSON-RPC error of a call (the Ergo endpoint reports tool
    /// failures this way).
    #[error("json-rpc error {code}: {}", OneLine(.message))]
    Rpc { code: i64, message: String },

    /// The answer is larger than `max_response_bytes`.
    #[error("the answer from `{url}` is larger than the limit of {}", HumanBytes(*.limit))]
    TooLarge { url: String, limit: usize },

    /// The call was abandoned (Ctrl-C, or the client was closed).
    #[error("the call was cancelled")]
    Cancelled,
}

impl McpError {
    /// What the user can do about it, when there is something to say.
    pub fn hint(&self) -> Option<String> {
        let hint = match self {
            McpError::Connect { reason, .. } if reason.contains("resolve") => {
                "check the host name in `--url` / `ERGOSH_URL`, \
                 or start a simulated cluster with `ergosh --demo`"
            }
            McpError::Connect { .. } => {
                "check that the node serves MCP at this URL, \
                 or start a simulated cluster with `ergosh --demo`"
            }
            McpError::Timeout { .. } => {
                "the node may be overloaded; raise the limit with \
                 `--timeout SECONDS` or `ERGOSH_TIMEOUT`"
            }
            McpError::Auth { .. } => {
                "pass the endpoint's bearer token with `ERGOSH_TOKEN` or `--token-file`"
            }
            McpError::Http { status: 404, .. } => {
                "check the path of the URL: the Ergo endpoint serves `/mcp`"
            }
            McpError::Http { status: 405, .. } => {
                "the server does not take POST requests there: check the URL"
            }
            McpError::Http { status: 502..=504, .. } => {
                "a proxy or gateway between ergosh and the node failed or gave up"
            }
            McpError::Http { .. } => return None,
            McpError::NotJson { .. } => "is this an MCP endpoint? the URL usually ends in `/mcp`",
            McpError::TooLarge { .. } => "narrow the call (a filter or a `limit` argument)",
            McpError::Protocol { .. } | McpError::Rpc { .. } | McpError::Cancelled => return None,
        };
        Some(hint.to_string())
    }

    /// True when the endpoint could not be used at all (connect, DNS,
    /// authentication, HTTP-level failures): the front end exits with 2.
    pub fn is_connection(&self) -> bool {
        matches!(
            self,
            McpError::Connect { .. }
                | McpError::Auth { .. }
                | McpError::Http { .. }
                | McpError::NotJson { .. }
        )
    }
}

/// A duration as people read it: `250 ms`, `5 s`, `1.5 s`.
pub(crate) struct HumanDuration(pub Duration);

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = self.0.as_millis();
        if millis < 1000 {
            write!(f, "{millis} ms")
        } else if millis % 1000 == 0 {
            write!(f, "{} s", millis / 1000)
        } else {
            write!(f, "{:.1} s", self.0.as_secs_f64())
        }
    }
}

/// A byte count in binary units: `128 MiB`.
struct HumanBytes(usize);

impl fmt::Display for HumanBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 4] = ["bytes", "KiB", "MiB", "GiB"];
        let mut value = self.0 as f64;
        let mut unit = 0;
        while value >= 1024.0 && unit + 1 < UNITS.len() {
            value /= 1024.0;
            unit += 1;
        }
        if unit == 0 || value.fract() == 0.0 {
            write!(f, "{} {}", value as u64, UNITS[unit])
        } else {
            write!(f, "{value:.1} {}", UNITS[unit])
        }
    }
}

/// `: <snippet>` when there is one, nothing otherwise.
struct Snippet<'a>(&'a str);

impl fmt::Display for Snippet<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            Ok(())
        } else {
            write!(f, ": {}", OneLine(self.0))
        }
    }
}

/// Text on one line: control characters and runs of whitespace become one
/// space, and very long text is cut.
struct OneLine<'a>(&'a str);

impl fmt::Display for OneLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&one_line(self.0, 400))
    }
}

/// `text` on one line of at most `limit` characters (an ellipsis marks a cut).
pub(crate) fn one_line(text: &str, limit: usize) -> String {
    let mut line = String::with_capacity(text.len().min(limit + 3));
    let mut count = 0;
    let mut pending_space = false;
    for character in text.chars() {
        if character.is_whitespace() || character.is_control() {
            pending_space = !line.is_empty();
            continue;
        }
        if count >= limit {
            line.push('…');
            return line;
        }
        if pending_space {
            line.push(' ');
            count += 1;
            pending_space = false;
        }
        line.push(character);
        count += 1;
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_is_one_lowercase_line() {
        let url = "http://127.0.0.1:1/mcp".to_string();
        let errors = [
            McpError::Connect { url: url.clone(), reason: "connection refused".into() },
            McpError::Timeout { url: url.clone(), after: Duration::from_millis(1500) },
            McpError::Auth { url: url.clone(), status: 401 },
            McpError::Http { url: url.clone(), status: 500, snippet: "boom\n\nat line 1".into() },
            McpError::NotJson {
                url: url.clone(),
                content_type: "text/html".into(),
                snippet: "<html>\n<body>".into(),
            },
            McpError::Protocol { url: url.clone(), message: "empty body".into() },
            McpError::Rpc { code: -32602, message: "bad\nthing".into() },
            McpError::TooLarge { url, limit: 128 * 1024 * 1024 },
            McpError::Cancelled,
        ];
        for error in &errors {
            let text = error.to_string();
            assert!(!text.contains('\n'), "{text}");
            assert!(text.starts_with(|c: char| !c.is_uppercase()), "{text}");
        }
        assert_eq!(errors[1].to_string(), "no answer from `http://127.0.0.1:1/mcp` within 1.5 s");
        assert_eq!(
            errors[3].to_string(),
            "`http://127.0.0.1:1/mcp` answered http 500: boom at line 1"
        );
        assert_eq!(errors[6].to_string(), "json-rpc error -32602: bad thing");
        assert!(errors[7].to_string().ends_with("limit of 128 MiB"));
    }

    #[test]
    fn connection_failures_are_told_apart() {
        let connect = McpError::Connect { url: "u".into(), reason: "connection refused".into() };
        assert!(connect.is_connection());
        assert!(connect.hint().unwrap().contains("ergosh --demo"));
        let auth = McpError::Auth { url: "u".into(), status: 401 };
        assert!(auth.is_connection());
        assert!(auth.hint().unwrap().contains("ERGOSH_TOKEN"));
        assert!(!McpError::Rpc { code: -32602, message: "x".into() }.is_connection());
        assert!(!McpError::Cancelled.is_connection());
    }

    #[test]
    fn one_line_cuts_long_text_on_a_character_boundary() {
        let text = "é".repeat(50);
        let line = one_line(&text, 10);
        assert_eq!(line.chars().count(), 11);
        assert!(line.ends_with('…'));
        assert_eq!(one_line("  a \r\n b  ", 10), "a b");
    }
}
