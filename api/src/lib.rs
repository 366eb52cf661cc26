//! Neighbourhood's GraphQL schema: nodes, resolvers, loaders and look-ahead priming. The `server`
//! crate serves it over HTTP and WebSocket with its configuration, tokens and telemetry; nothing
//! here knows HTTP, JWT or the command line.
//!
//! Resolvers authorise, call a `domain` function, map the result; the rules, queries and
//! transactions live in the `domain` crate, which knows nothing of GraphQL. Every enum of the
//! schema mirrors a stored or domain enum in `enums`; relay connections are in `connection`.

// The schema's resolver futures nest deeper than the default limit of 128 when a clean build lays
// them out (`queries overflow the depth limit`); incremental builds did not show it.
#![recursion_limit = "256"]

pub mod administration;
pub mod cohorts;
pub mod connection;
pub mod context;
pub mod directory;
pub mod enums;
pub mod error;
pub mod groups;
pub mod imports;
pub mod input_check;
pub mod live;
pub mod loaders;
pub mod lookahead;
pub mod mdt;
pub mod neighbourhoods;
pub mod organisations;
pub mod outcomes;
pub mod patients;
pub mod plans;
pub mod practitioners;
pub mod privacy;
pub mod referrals;
pub mod response_shape;
pub mod scalars;
pub mod schema;
