//! GraphQL for patients, and the look-ahead priming of MDT preparation.

pub mod break_glass;
pub mod care_team;
pub mod graphql;
pub mod objections;
pub mod prepare;
pub mod registration;

pub use break_glass::BreakGlassMutation;
pub use care_team::CareTeamMutation;
pub use graphql::{PatientCriteriaInput, PatientNode, PatientQuery};
pub use objections::ObjectionMutation;
pub use registration::RegistrationMutation;
