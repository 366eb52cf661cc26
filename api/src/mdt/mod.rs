//! GraphQL for MDT meetings: meetings, agendas, decisions and actions, proposals and minutes.

pub mod graphql;
pub mod minutes;
pub mod proposal;

pub use graphql::{MdtMutation, MdtQuery};
pub use proposal::{MdtProposalMutation, MdtProposalQuery};
