//! GraphQL for patients, and the look-ahead priming of MDT preparation.

pub mod graphql;
pub mod prepare;

pub use graphql::{PatientCriteriaInput, PatientNode, PatientQuery};
