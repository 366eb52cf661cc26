//! GraphQL for outcome measurements and the outcome report.

pub mod graphql;

pub use graphql::{OutcomeMutation, OutcomeQuery};
