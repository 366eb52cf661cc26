//! Live updates to clients: the MDT subscription and its websocket transport.

pub mod graphql;
pub mod ws;

pub use graphql::MdtSubscription;
