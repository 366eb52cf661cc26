//! Patients: the population of a neighbourhood, selected by criteria, read under the access policy.

pub mod criteria;
pub mod graphql;
pub mod prepare;
pub mod query;

pub use criteria::{ConditionMatch, PatientCriteria};
pub use graphql::{PatientCriteriaInput, PatientNode, PatientQuery};
pub use query::{PatientOrder, PatientSelection};
