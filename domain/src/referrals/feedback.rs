//! Feedback to the referrer: when a referral ends (other than by the referrer's own cancellation),
//! a structured record — how it ended, the outcome, the national codes, a summary and the worker —
//! is written in the same transaction as the ending move. The referring organisation lists what it
//! has not yet filed in its record system and marks each one filed.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use entity::{referral, referral_feedback, ReferralStatus};

use super::state::{feedback_codes, join_codes, MIN_CONTACT_ATTEMPTS};
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::pagination::{keyset_page_in, Direction, Page, PageRequest};

/// Whether ending a referral in `to` sends feedback to the referrer (a cancellation came from them).
pub fn sends_feedback(to: ReferralStatus) -> bool {
    !super::state::is_open(to) && to != ReferralStatus::CancelledByReferrer
}

/// The summary filed when the worker wrote none: said plainly from how the referral ended.
fn default_summary(ended: &referral::Model) -> AppResult<String> {
    let reason = ended.rejection_reason.as_deref().unwrap_or("no reason recorded");
    Ok(match ended.status {
        ReferralStatus::DeclinedByPatient => "The person declined the referral.".to_owned(),
        ReferralStatus::RejectedByService => match &ended.suggested_alternative {
            Some(alternative) => {
                format!("The service could not take the referral: {reason}. Suggested instead: {alternative}.")
            }
            None => format!("The service could not take the referral: {reason}."),
        },
        ReferralStatus::UnableToContact => {
            format!("The service could not reach the person after at least {MIN_CONTACT_ATTEMPTS} attempts.")
        }
        other => {
            return Err(AppError::internal(anyhow::anyhow!("no default feedback for a referral ending in {other:?}")))
        }
    })
}

/// The feedback row for a referral that has just ended (`ended` is the updated referral).
/// Closing needs the worker's own summary; other endings fall back to a plain statement.
pub fn for_ending(
    ended: &referral::Model,
    caller: &Caller,
    summary: Option<String>,
    at: DateTime<Utc>,
) -> AppResult<referral_feedback::Model> {
    let summary = match summary {
        Some(s) => s,
        None if ended.status == ReferralStatus::Closed => {
            return Err(AppError::bad_input(
                "feedbackSummary",
                "closing a referral needs a summary for the referring practice, e.g. \"attending weekly art group — mood improved\"",
            ))
        }
        None => default_summary(ended)?,
    };
    Ok(referral_feedback::Model {
        id: Uuid::now_v7(),
        referral_id: ended.id,
        patient_id: ended.patient_id,
        referring_organisation_id: ended.referring_organisation_id,
        ended_status: ended.status,
        outcome: ended.outcome,
        snomed_codes: join_codes(&feedback_codes(ended.service, ended.status)),
        summary,
        worker_id: ended.assigned_practitioner_id,
        written_by: caller.practitioner_id,
        created_at: at,
        filed_at: None,
        filed_by: None,
    })
}

/// Feedback addressed to the caller's organisation, oldest first; `filed` narrows to filed or
/// unfiled records (the practice's to-file list is `filed: false`).
pub async fn list(
    db: &(impl ConnectionTrait + Clone + Send + 'static),
    caller: &Caller,
    filed: Option<bool>,
    page: PageRequest,
) -> AppResult<Page<referral_feedback::Model>> {
    use referral_feedback::Column as C;
    let mut cond = Condition::all().add(C::ReferringOrganisationId.eq(caller.organisation_id));
    match filed {
        Some(true) => cond = cond.add(C::FiledAt.is_not_null()),
        Some(false) => cond = cond.add(C::FiledAt.is_null()),
        None => {}
    }
    // Newest first: what came back last is what the practice looks for.
    let list = referral_feedback::Entity::find().filter(cond);
    let cursors = referral_feedback::Entity::find().filter(C::ReferringOrganisationId.eq(caller.organisation_id));
    keyset_page_in(
        db,
        list,
        cursors,
        page,
        &[C::CreatedAt, C::Id],
        Direction::Descending,
        |(created, id): &(DateTime<Utc>, Uuid)| {
            Condition::any()
                .add(C::CreatedAt.lt(*created))
                .add(Condition::all().add(C::CreatedAt.eq(*created)).add(C::Id.lt(*id)))
        },
        |m| (m.created_at, m.id),
    )
    .await
}

/// Marks feedback as filed in the referring organisation's record. Filing again changes nothing
/// (a retried request gets the first filing back).
pub async fn mark_filed(db: &impl ConnectionTrait, caller: &Caller, id: Uuid) -> AppResult<referral_feedback::Model> {
    let found = referral_feedback::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("referral feedback", id))?;
    if !caller.files_feedback(&found) {
        return Err(AppError::forbidden("only the referring organisation files the feedback on its referral"));
    }
    if found.filed_at.is_some() {
        return Ok(found);
    }
    let now = Utc::now();
    // Guarded by `filed_at IS NULL`: of two concurrent filings, the first one is kept.
    referral_feedback::Entity::update_many()
        .col_expr(referral_feedback::Column::FiledAt, Expr::value(now))
        .col_expr(referral_feedback::Column::FiledBy, Expr::value(caller.practitioner_id))
        .filter(referral_feedback::Column::Id.eq(id))
        .filter(referral_feedback::Column::FiledAt.is_null())
        .exec(db)
        .await?;
    referral_feedback::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found("referral feedback", id))
}
