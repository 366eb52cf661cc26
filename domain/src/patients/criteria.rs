//! Patient selection criteria: the shared shape of the `patients` filter and of saved cohort
//! definitions (stored as JSON in `cohort.definition`). Validated before use.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::conditions;
use crate::error::{AppError, AppResult};
use crate::frailty::FrailtyCategory;

/// Whether a patient must have all listed conditions or at least one of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConditionMatch {
    #[default]
    All,
    Any,
}

/// Criteria over the population. Every field narrows the selection; empty criteria select everyone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatientCriteria {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frailty_categories: Vec<FrailtyCategory>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_condition_count: Option<u32>,
    /// SNOMED CT codes of long-term conditions from the catalogue.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub condition_codes: Vec<String>,
    #[serde(default)]
    pub condition_match: ConditionMatch,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_min: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_max: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub practice_id: Option<Uuid>,
}

/// Oldest age a filter may name; beyond it a bound is certainly a typing error.
pub const MAX_AGE: u32 = 130;

impl PatientCriteria {
    /// The criteria about who someone is (age, registered practice), without those about their
    /// health: what a question about a few people's health names them by.
    pub fn demographic(&self) -> PatientCriteria {
        PatientCriteria {
            age_min: self.age_min,
            age_max: self.age_max,
            practice_id: self.practice_id,
            ..PatientCriteria::default()
        }
    }

    /// Whether the criteria ask about health (frailty, conditions).
    pub fn clinical(&self) -> bool {
        !self.frailty_categories.is_empty()
            || self.min_condition_count.is_some_and(|n| n > 0)
            || !self.condition_codes.is_empty()
    }

    /// Whether the criteria narrow the population at all.
    pub fn narrows(&self) -> bool {
        *self != PatientCriteria { condition_match: self.condition_match, ..PatientCriteria::default() }
    }

    /// Checks the criteria and normalises condition keys to SNOMED CT codes.
    pub fn validated(mut self) -> AppResult<Self> {
        if let Some(min) = self.min_condition_count {
            let max = conditions::catalogue().len() as u32;
            if min > max {
                return Err(AppError::bad_input(
                    "minConditionCount",
                    format!("must be between 0 and {max} (the number of coded long-term conditions), got {min}"),
                ));
            }
        }
        for (field, age) in [("ageMin", self.age_min), ("ageMax", self.age_max)] {
            if let Some(age) = age.filter(|a| *a > MAX_AGE) {
                return Err(AppError::bad_input(field, format!("must be between 0 and {MAX_AGE}, got {age}")));
            }
        }
        if let (Some(min), Some(max)) = (self.age_min, self.age_max) {
            if min > max {
                return Err(AppError::bad_input("ageMin", format!("ageMin ({min}) is greater than ageMax ({max})")));
            }
        }
        let mut codes = Vec::with_capacity(self.condition_codes.len());
        for given in &self.condition_codes {
            let condition = conditions::resolve(given.trim()).ok_or_else(|| {
                AppError::bad_input(
                    "conditionCodes",
                    format!(
                        "{given:?} is not a coded long-term condition; use a SNOMED CT code or key from the longTermConditions query"
                    ),
                )
            })?;
            if !codes.contains(&condition.snomed_code) {
                codes.push(condition.snomed_code.clone());
            }
        }
        self.condition_codes = codes;
        self.frailty_categories.sort();
        self.frailty_categories.dedup();
        Ok(self)
    }
}
