//! GraphQL for referrals, caseloads and the referral figures.

pub mod figures_graphql;
pub mod graphql;

pub use figures_graphql::FiguresQuery;
pub use graphql::{ReferralMutation, ReferralQuery};
