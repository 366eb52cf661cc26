//! Neighbourhood: the GraphQL service shared by an Integrated Neighbourhood Team.
//!
//! Domain areas (patients, cohorts, organisations, neighbourhoods, practitioners) keep their
//! GraphQL types and domain rules side by side; cross-cutting pieces (auth and the access policy,
//! loaders, errors, pagination, config, telemetry) have their own modules. Resolvers authorise,
//! call a domain function, map the result; domain functions take a connection and know nothing of
//! GraphQL.

pub mod audit;
pub mod auth;
pub mod brake;
pub mod cli;
pub mod cohorts;
pub mod conditions;
pub mod config;
pub mod context;
pub mod db;
pub mod demo;
pub mod directory;
pub mod disclosure;
pub mod error;
pub mod frailty;
pub mod graphiql;
pub mod groups;
pub mod http;
pub mod input_check;
pub mod label;
pub mod live;
pub mod loaders;
pub mod mdt;
pub mod metrics;
pub mod neighbourhoods;
pub mod nhs_number;
pub mod organisations;
pub mod outcomes;
pub mod pagination;
pub mod patients;
pub mod plans;
pub mod practitioners;
pub mod referrals;
pub mod response_shape;
pub mod scalars;
pub mod schema;
pub mod search;
pub mod server;
pub mod sql;
pub mod telemetry;
