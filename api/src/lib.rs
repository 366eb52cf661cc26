//! Neighbourhood's GraphQL service: the schema (nodes, resolvers, loaders and look-ahead priming),
//! served over HTTP and WebSocket with its configuration and telemetry.
//!
//! Resolvers authorise, call a `domain` function, map the result; the rules, queries and
//! transactions live in the `domain` crate, which knows nothing of GraphQL. Every enum of the
//! schema mirrors a stored or domain enum in `enums`; relay connections are in `connection`.

pub mod auth;
pub mod cli;
pub mod cohorts;
pub mod config;
pub mod connection;
pub mod context;
pub mod db;
pub mod directory;
pub mod enums;
pub mod error;
pub mod graphiql;
pub mod groups;
pub mod http;
pub mod input_check;
pub mod live;
pub mod loaders;
pub mod lookahead;
pub mod mdt;
pub mod metrics;
pub mod neighbourhoods;
pub mod organisations;
pub mod outcomes;
pub mod patients;
pub mod plans;
pub mod practitioners;
pub mod referrals;
pub mod response_shape;
pub mod scalars;
pub mod schema;
pub mod server;
