//! Break-glass: a clinician without a care relationship opens a person's record in an emergency,
//! with a coded reason and their own words, for a limited time (`AccessWindows::break_glass_hours`).
//! Every use is stored for the privacy officer's review, and every read under it is audited as
//! `break_glass`. Refused to roles that do not read clinical records (VCSE staff, commissioners,
//! receptionists), outside the caller's neighbourhoods, and where a relationship already opens the
//! record (`Caller::may_break_glass`).

use chrono::{Duration, Utc};
use sea_orm::{ActiveEnum, ConnectionTrait, EntityTrait, IntoActiveModel};
use uuid::Uuid;

use entity::{break_glass, patient};

use crate::auth::{Caller, Grant};
use crate::error::{AppError, AppResult};

/// Longest statement of why.
pub const MAX_DETAIL_CHARS: usize = 500;

/// Why the glass was broken, from a coded list (and the practitioner's own words beside it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakGlassReason {
    /// Immediate risk to the person's health or life.
    EmergencyCare,
    /// A safeguarding concern about the person or someone they care for.
    Safeguarding,
    /// The person presented for unplanned care and no relationship is recorded yet.
    UnplannedCare,
    /// Care must continue while a referral or care team membership is being set up.
    ContinuityOfCare,
}

impl BreakGlassReason {
    pub const ALL: [Self; 4] = [Self::EmergencyCare, Self::Safeguarding, Self::UnplannedCare, Self::ContinuityOfCare];

    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EmergencyCare => "emergency_care",
            Self::Safeguarding => "safeguarding",
            Self::UnplannedCare => "unplanned_care",
            Self::ContinuityOfCare => "continuity_of_care",
        }
    }

    pub fn from_stored(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == value)
    }
}

/// A request to break the glass.
#[derive(Debug, Clone)]
pub struct NewBreakGlass {
    pub patient_id: Uuid,
    pub reason: BreakGlassReason,
    /// Why, in the practitioner's words: required, at most [`MAX_DETAIL_CHARS`].
    pub detail: String,
}

/// Opens the person's record to the caller for the configured hours: stored first (the use is
/// recorded even if nothing is read), then in force from the caller's next request and in the
/// returned grant. Returns the use and the grant (audited as `break_glass`).
pub async fn open(
    db: &impl ConnectionTrait,
    caller: &Caller,
    new: NewBreakGlass,
) -> AppResult<(break_glass::Model, Grant)> {
    let detail = new.detail.trim().to_owned();
    if detail.is_empty() {
        return Err(AppError::bad_input("detail", "say why you need the record now, in your own words"));
    }
    if detail.chars().count() > MAX_DETAIL_CHARS {
        return Err(AppError::bad_input("detail", format!("must be at most {MAX_DETAIL_CHARS} characters")));
    }
    let person = patient::Entity::find_by_id(new.patient_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("patient", new.patient_id))?;
    caller.may_break_glass(&person)?;
    let started_at = Utc::now();
    let row = break_glass::Model {
        id: Uuid::now_v7(),
        practitioner_id: caller.practitioner_id,
        organisation_id: caller.organisation_id,
        professional_role: caller.role.to_value(),
        patient_id: person.id,
        reason: new.reason.as_str().to_owned(),
        detail,
        started_at,
        expires_at: started_at + Duration::hours(i64::from(caller.break_glass_hours)),
        reviewed_by: None,
        reviewed_at: None,
        review_outcome: None,
        review_note: None,
    };
    break_glass::Entity::insert(row.clone().into_active_model()).exec_without_returning(db).await?;
    let grant = caller
        .grant_through_break_glass(&person, &row, started_at)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("a break-glass use just stored opens nothing")))?;
    Ok((row, grant))
}
