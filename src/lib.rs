//! ergosh: a scripting REPL over the MCP endpoint of an Ergo Framework node.
//!
//! The data path runs one way (see `src/README.md`): front end (`repl`,
//! `app`) → `engine` → `bindings` → `mcp` → the wire, and back as values to
//! `render`. The simulated cluster in `sim` shares only `protocol` with the
//! client.

pub mod app;
pub mod bindings;
pub mod cli;
pub mod config;
pub mod engine;
pub mod interrupt;
pub mod json_escape;
pub mod mcp;
pub mod protocol;
pub mod render;
pub mod repl;
pub mod sim;
