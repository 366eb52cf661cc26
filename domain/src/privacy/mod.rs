//! The privacy officer's review of access (the Caldicott Guardian or information-governance lead):
//! who read whose record, when, through which operation and on what grounds ([`trail`]), the
//! break-glass uses waiting for review and their outcomes (`crate::break_glass`), unusual patterns
//! flagged for a look ([`flags`]), and a person's own trail for a subject access request
//! ([`subject_access`]).
//!
//! Whose access an officer reviews is the policy's (`Caller::review_scope`): the people of the
//! neighbourhoods their organisation takes part in. A review names people (their name and NHS
//! number, never their record), so every person it names is itself an audited read, under
//! `AccessReason::PrivacyReview`. Nothing here writes to the trail it reads.

pub mod flags;
pub mod subject_access;
pub mod trail;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use entity::patient;

use crate::auth::policy::ReviewScope;
use crate::error::{AppError, AppResult};
use crate::nhs_number::NhsNumber;

/// The longest period one review query covers.
pub const MAX_WINDOW_DAYS: i64 = 366;

/// The person a review is about, named by id or by NHS number (a subject access request arrives
/// with the number), within the officer's scope: NOT_FOUND otherwise, whether the person is
/// elsewhere or nowhere, so that a review is no way to learn who is registered where.
pub async fn person_in_scope(
    db: &impl ConnectionTrait,
    scope: &ReviewScope,
    id: Option<Uuid>,
    nhs_number: Option<&str>,
) -> AppResult<patient::Model> {
    let (found, named) = match (id, nhs_number) {
        (Some(id), None) => (patient::Entity::find_by_id(id).one(db).await?, id.to_string()),
        (None, Some(number)) => {
            let number = NhsNumber::parse(number).map_err(|e| AppError::bad_input("nhsNumber", e.to_string()))?;
            let digits = number.as_digits();
            (patient::Entity::find().filter(patient::Column::NhsNumber.eq(digits.clone())).one(db).await?, digits)
        }
        _ => return Err(AppError::bad_input("patientId", "name the person by exactly one of patientId and nhsNumber")),
    };
    found
        .filter(|p| scope.covers(p))
        .ok_or_else(|| AppError::not_found("patient in the neighbourhoods you review", named))
}

/// A period `[from, to)` of a review, checked: `to` defaults to now, `from` to `default_days`
/// before `to`; `from` before `to`, and at most [`MAX_WINDOW_DAYS`] apart.
pub fn window(
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    default_days: i64,
    now: DateTime<Utc>,
) -> AppResult<(DateTime<Utc>, DateTime<Utc>)> {
    let to = to.unwrap_or(now);
    let from = from.unwrap_or(to - Duration::days(default_days));
    if from >= to {
        return Err(AppError::bad_input("from", "must be before `to`"));
    }
    if to - from > Duration::days(MAX_WINDOW_DAYS) {
        return Err(AppError::bad_input("from", format!("a review covers at most {MAX_WINDOW_DAYS} days at a time")));
    }
    Ok((from, to))
}
