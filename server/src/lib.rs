//! The service around the GraphQL schema: HTTP (`http`) and WebSocket (`ws`) endpoints over one
//! shared state (`state`), bearer tokens (`auth`), typed configuration (`config`), metrics, the
//! database connection (`db`), GraphiQL, the command line's token minting (`cli`) and the start
//! and graceful stop of the process (`serve`).
//!
//! The schema itself (nodes, resolvers, loaders, look-ahead priming) is the `api` crate's, the
//! rules, queries and transactions the `domain` crate's; this crate turns requests into executions
//! of that schema and knows how to check who is asking.

// The schema's resolver futures nest deeper than the default limit of 128 when a clean build lays
// them out (`queries overflow the depth limit`); incremental builds did not show it.
#![recursion_limit = "256"]

pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod graphiql;
pub mod http;
pub mod metrics;
pub mod serve;
pub mod state;
pub mod ws;
