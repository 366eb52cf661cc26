//! GraphQL for the community asset directory.

pub mod graphql;

pub use graphql::{DirectoryMutation, DirectoryQuery};
