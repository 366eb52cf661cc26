//! Patients: the population of a neighbourhood, selected by criteria, read under the access policy.

pub mod criteria;
pub mod graphql;
pub mod query;

pub use criteria::{ConditionMatch, PatientCriteria};
pub use graphql::{PatientNode, PatientQuery};
pub use query::PatientSelection;
