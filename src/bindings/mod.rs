//! Tool bindings: what sits between the Rhai engine and the MCP client.
//!
//! - [`schema`]: each tool's parameters as its `inputSchema` describes them,
//!   and the [`Catalog`] of every listed tool;
//! - [`check`](ToolSchema::check): Rhai arguments checked against a schema
//!   and converted to JSON before anything is sent;
//! - [`convert`]: JSON ↔ Rhai values, with a fast parser for large results;
//! - [`output`]: a tool result as a Rhai value (or a [`ToolFailure`]);
//! - [`derived`]: the handbook's derived metrics over process rows;
//! - [`hint`]: what a tool's error message means for the user;
//! - [`Caller`]: blocking calls for the engine, cancelled on Ctrl-C.

mod caller;
mod check;
pub mod convert;
pub mod derived;
pub mod hint;
mod nearest;
pub mod output;
mod schema;

pub use caller::{request_timeout, CallError, Caller, DEFAULT_TIMEOUT};
pub use check::{ArgError, ArgProblem};
pub use nearest::nearest;
pub use output::{content_to_dynamic, output_to_dynamic, ToolFailure};
pub use schema::{Catalog, Param, ParamKind, ToolSchema};
