//! End-to-end tests: the real server over HTTP (and the schema directly), on a fresh database per
//! test. SQLite by default; set `NEIGHBOURHOOD_TEST_DATABASE=postgres://user@host:port` to run
//! every test against PostgreSQL (each test creates and drops its own database).

// The schema's resolver futures nest deeper than the default limit of 128 when a clean build lays
// them out (`queries overflow the depth limit`); incremental builds did not show it.
#![recursion_limit = "256"]

mod helpers;

mod access;
mod administration;
mod audit;
mod brakes;
mod break_glass;
mod care_team;
mod cli;
mod client_input;
mod cohorts;
mod composition;
mod conformance;
mod connections;
mod directory;
mod directory_edits;
mod disclosure;
mod figures;
mod groups;
mod http_limits;
mod imports;
mod live;
mod mdt;
mod mdt_domain;
mod mdt_prepare;
mod objections;
mod operations;
mod oracles;
mod outcomes;
mod patients;
mod permissions;
mod plans;
mod plans_domain;
mod pool;
mod privacy;
mod referrals;
mod register_import;
mod registration;
mod scenarios;
mod schema_sync;
mod sensitive;
mod statements;
mod tokens;
mod ws;
