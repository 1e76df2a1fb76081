//! One HTTP exchange of a JSON-RPC message with a streamable-HTTP MCP
//! endpoint: headers, the session id, timeouts at connect, size caps, JSON
//! or SSE answers, and the mapping of every failure to an [`McpError`].

use std::error::Error as _;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{StatusCode, Url};
use tracing::{debug, trace, Level};

use crate::mcp::answer::Answer;
use crate::mcp::body::read_prefix;
use crate::mcp::error::{one_line, HumanDuration};
use crate::mcp::reader::snippet;
use crate::mcp::{ClientOptions, McpError};
use crate::protocol::RpcError;

pub const SESSION_ID: HeaderName = HeaderName::from_static("mcp-session-id");
pub const PROTOCOL_VERSION: HeaderName = HeaderName::from_static("mcp-protocol-version");

/// How much of a request or response body a trace line shows.
const TRACE_BYTES: usize = 4096;

/// The headers that tie a request to the session: none before the
/// handshake, then the server's session id (when it set one) and the
/// negotiated protocol version.
#[derive(Debug, Clone, Default)]
pub struct SessionHeaders {
    pub id: Option<HeaderValue>,
    pub protocol_version: Option<HeaderValue>,
}

/// The HTTP side of a client: one reqwest pool for every request.
pub struct Transport {
    http: reqwest::Client,
    url: Url,
    /// The URL as messages show it (a password in it is masked).
    pub(super) display_url: String,
    connect_timeout: Duration,
    pub(super) max_response_bytes: usize,
}

impl Transport {
    pub fn new(options: &ClientOptions) -> Result<Transport, McpError> {
        let url = Url::parse(options.url.trim()).map_err(|error| McpError::Connect {
            url: options.url.clone(),
            reason: format!("not a valid url ({error})"),
        })?;
        let display_url = masked(&url);
        if !matches!(url.scheme(), "http" | "https") {
            return Err(McpError::Connect {
                url: display_url,
                reason: "the url must start with `http://` or `https://`".into(),
            });
        }

        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json, text/event-stream"));
        if let Some(token) = &options.token {
            let mut value =
                HeaderValue::try_from(format!("Bearer {}", token.expose())).map_err(|_| {
                    McpError::Connect {
                        url: display_url.clone(),
                        reason: "the token holds characters an http header cannot carry".into(),
                    }
                })?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }

        let http = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(concat!("ergosh/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(options.connect_timeout)
            .pool_max_idle_per_host(options.max_concurrency.max(1) + 1)
            .pool_idle_timeout(Duration::from_secs(50))
            .tcp_nodelay(true)
            .tcp_keepalive(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| McpError::Connect {
                url: display_url.clone(),
                reason: format!("cannot set up the http client: {}", deepest(&error)),
            })?;

        Ok(Transport {
            http,
            url,
            display_url,
            connect_timeout: options.connect_timeout,
            max_response_bytes: options.max_response_bytes,
        })
    }

    /// The endpoint as messages show it.
    pub fn url(&self) -> &str {
        &self.display_url
    }

    /// POSTs one JSON-RPC message; the caller checks the status (a 404 may
    /// mean an expired session) and then reads the answer with [`Transport::read`].
    pub async fn post(
        &self,
        body: Bytes,
        session: &SessionHeaders,
    ) -> Result<reqwest::Response, McpError> {
        if tracing::enabled!(Level::TRACE) {
            trace!(body = %preview(&body), "sending");
        }
        let mut request = self
            .http
            .post(self.url.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(id) = &session.id {
            request = request.header(SESSION_ID, id.clone());
        }
        if let Some(version) = &session.protocol_version {
            request = request.header(PROTOCOL_VERSION, version.clone());
        }
        request.body(body).send().await.map_err(|error| self.send_error(&error))
    }

    /// The result of request `expected` from its HTTP answer: a JSON body or
    /// an SSE stream carrying it.
    pub async fn read<T: Answer>(
        &self,
        mut response: reqwest::Response,
        expected: u64,
    ) -> Result<T, McpError> {
        if !response.status().is_success() {
            return Err(self.status_error(response).await);
        }
        let content_type = content_type(&response);
        if content_type.starts_with("text/event-stream") {
            return self.read_event_stream(response, expected).await;
        }
        let body = self.read_body(&mut response).await?;
        if tracing::enabled!(Level::TRACE) {
            trace!(bytes = body.len(), body = %preview(&body), "received");
        }
        T::from_body(&body, &content_type, expected, &self.display_url)
    }

    /// Checks the answer to a notification (202 and an empty body, or any
    /// 2xx) and reads what little body it has so the connection is reused.
    pub async fn accepted(&self, mut response: reqwest::Response) -> Result<(), McpError> {
        if !response.status().is_success() {
            return Err(self.status_error(response).await);
        }
        let _ = read_prefix(&mut response, 64 * 1024).await;
        Ok(())
    }

    /// Ends the session on the server: DELETE with its id. The answer does
    /// not matter (405 means the server does not support it).
    pub async fn delete(&self, session: &SessionHeaders) -> Result<StatusCode, McpError> {
        let mut request = self.http.delete(self.url.clone());
        if let Some(id) = &session.id {
            request = request.header(SESSION_ID, id.clone());
        }
        if let Some(version) = &session.protocol_version {
            request = request.header(PROTOCOL_VERSION, version.clone());
        }
        let mut response = request.send().await.map_err(|error| self.send_error(&error))?;
        let status = response.status();
        let _ = read_prefix(&mut response, 64 * 1024).await;
        Ok(status)
    }

    /// The error for a status outside 2xx, with a short excerpt of the body.
    async fn status_error(&self, mut response: reqwest::Response) -> McpError {
        let status = response.status().as_u16();
        let url = self.display_url.clone();
        if status == 401 || status == 403 {
            return McpError::Auth { url, status };
        }
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .map(|location| one_line(location, 200));
        let body = read_prefix(&mut response, 4096).await;
        let snippet = match location {
            Some(location) if response_is_redirect(status) => format!("redirects to `{location}`"),
            _ => rpc_error_text(&body).unwrap_or_else(|| snippet(&body)),
        };
        McpError::Http { url, status, snippet }
    }

    fn send_error(&self, error: &reqwest::Error) -> McpError {
        let chain = chain(error);
        let reason = if chain.contains("dns error") || chain.contains("failed to lookup address") {
            let host = self.url.host_str().unwrap_or("");
            format!("cannot resolve host `{host}`")
        } else if error.is_connect() && error.is_timeout() {
            format!("no connection within {}", HumanDuration(self.connect_timeout))
        } else if error.is_connect() {
            deepest(error)
        } else {
            debug!(error = %chain, "request failed before an answer");
            "the connection closed before an answer arrived".to_string()
        };
        McpError::Connect { url: self.display_url.clone(), reason }
    }

    pub(super) fn protocol(&self, message: &str) -> McpError {
        McpError::Protocol { url: self.display_url.clone(), message: message.to_string() }
    }
}

fn response_is_redirect(status: u16) -> bool {
    (300..400).contains(&status)
}

fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(|value| value.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// `json-rpc error CODE: MESSAGE` when an error body is a JSON-RPC error
/// (the Python SDK answers a stale session that way).
fn rpc_error_text(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        error: RpcError,
    }
    let parsed: ErrorBody = serde_json::from_slice(body).ok()?;
    Some(format!("json-rpc error {}: {}", parsed.error.code, one_line(&parsed.error.message, 200)))
}

/// The URL with any password replaced by `***`.
fn masked(url: &Url) -> String {
    if url.password().is_none() {
        return url.as_str().to_string();
    }
    let mut copy = url.clone();
    let _ = copy.set_password(Some("***"));
    copy.as_str().to_string()
}

/// Every message in an error's source chain, for decisions and logs.
pub(super) fn chain(error: &reqwest::Error) -> String {
    let mut text = String::new();
    let mut source = error.source();
    while let Some(cause) = source {
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.to_ascii_lowercase()
}

/// The innermost cause, as a lowercase phrase: `connection refused`.
pub(super) fn deepest(error: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let text = cause.to_string().to_ascii_lowercase();
    let text = match text.find(" (os error") {
        Some(at) => &text[..at],
        None => &text,
    };
    one_line(text, 200)
}

/// A body for a trace line: the first few KB, one line.
pub(super) fn preview(body: &[u8]) -> String {
    let head = &body[..body.len().min(TRACE_BYTES)];
    let mut text = one_line(&String::from_utf8_lossy(head), TRACE_BYTES);
    if body.len() > TRACE_BYTES {
        text.push_str(&format!(" ... ({} bytes)", body.len()));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_in_the_url_is_masked() {
        let url = Url::parse("http://admin:hunter2@node:9922/mcp").unwrap();
        assert_eq!(masked(&url), "http://admin:***@node:9922/mcp");
    }

    #[test]
    fn error_bodies_in_json_rpc_form_are_read() {
        let body =
            br#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Session not found"}}"#;
        assert_eq!(rpc_error_text(body).unwrap(), "json-rpc error -32600: Session not found");
        assert!(rpc_error_text(b"<html>").is_none());
    }

    #[test]
    fn a_url_that_is_not_http_is_refused() {
        let error = Transport::new(&ClientOptions::new("ftp://node/mcp")).err().unwrap();
        assert!(error.to_string().contains("http://"), "{error}");
        assert!(Transport::new(&ClientOptions::new("not a url")).is_err());
    }
}
