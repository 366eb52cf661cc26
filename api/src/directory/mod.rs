//! GraphQL for the community asset directory: searching it, connecting people to it, and its
//! providers' edits.

pub mod edits;
pub mod graphql;

pub use edits::DirectoryEditMutation;
pub use graphql::{DirectoryMutation, DirectoryQuery};
