//! GraphQL for patients, and the look-ahead priming of MDT preparation.

pub mod care_team;
pub mod graphql;
pub mod prepare;

pub use care_team::CareTeamMutation;
pub use graphql::{PatientCriteriaInput, PatientNode, PatientQuery};
