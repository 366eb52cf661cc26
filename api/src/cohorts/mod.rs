//! GraphQL for saved cohorts.

pub mod graphql;

pub use graphql::{CohortMutation, CohortNode, CohortQuery};
