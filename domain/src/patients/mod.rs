//! Patients: the population of a neighbourhood, selected by criteria, read under the access policy.

pub mod criteria;
pub mod query;
pub mod registration;

pub use criteria::{ConditionMatch, PatientCriteria};
pub use query::{PatientOrder, PatientSelection};

use chrono::{Datelike, NaiveDate};

/// Age in whole years on `today`.
pub fn age_on(date_of_birth: NaiveDate, today: NaiveDate) -> i32 {
    let mut age = today.year() - date_of_birth.year();
    if (today.month(), today.day()) < (date_of_birth.month(), date_of_birth.day()) {
        age -= 1;
    }
    age
}
