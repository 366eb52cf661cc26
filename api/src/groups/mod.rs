//! GraphQL for support groups, their members and registers.

pub mod graphql;

pub use graphql::{GroupMutation, GroupQuery};
