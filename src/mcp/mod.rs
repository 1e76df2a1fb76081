//! The MCP client: JSON-RPC 2.0 over streamable HTTP (a JSON body or an SSE
//! stream per request), sessions, bearer tokens, timeouts, cancellation and
//! size caps. It knows nothing of Rhai or the terminal.
//!
//! | file | owns |
//! |---|---|
//! | `client.rs` | [`McpClient`]: tools, calls under permits and timeouts, close |
//! | `handshake.rs` | `initialize`, and again when the server forgets the session |
//! | `cancel.rs` | `notifications/cancelled` on timeout or a dropped call |
//! | `transport.rs` | one HTTP exchange: headers, statuses, failure mapping |
//! | `body.rs` | reading a JSON body or an SSE stream within the size cap |
//! | `reader.rs` | bytes → one JSON-RPC result, for JSON bodies and SSE events |
//! | `answer.rs` | the result types; `tools/call` texts borrowed, then unescaped |
//! | `unescape.rs` | one JSON string literal decoded fast, on two threads when long |
//! | `sse.rs` | the incremental `text/event-stream` parser |
//! | `error.rs` | [`McpError`], one line each, with hints |
//! | `options.rs`, `secret.rs` | [`ClientOptions`], [`Secret`] |

mod answer;
mod body;
mod cancel;
mod client;
mod error;
mod handshake;
mod options;
mod reader;
mod secret;
mod sse;
mod transport;
mod unescape;

pub use crate::protocol::Implementation;
pub use client::{McpClient, ToolOutput};
pub use error::McpError;
pub use options::ClientOptions;
pub use secret::Secret;
pub use sse::{SseEvent, SseParser};
