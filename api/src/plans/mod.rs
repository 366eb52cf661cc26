//! GraphQL for personalised care and support plans.

pub mod graphql;

pub use graphql::{PlanMutation, PlanQuery};
