//! A person's objection to their record being shared beyond their GP practice: recorded and
//! withdrawn by the practice (`Caller::may_record_objection`), with who, when and the person's
//! words, and kept. While one stands the access policy opens the record to the practice's staff
//! and to break-glass only (`Caller::grant_for`; the scope of every patient select says the same),
//! so the INT coordinator, the PCN and every service lose it at their next request; what the person
//! agreed to specifically (a referral while it is open, a plan share, an activity) still opens the
//! summary it opened.
//!
//! Each write is one transaction over the objection row and `patient.objects_to_sharing`, which
//! the policy reads from the patient row it already holds.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, TransactionSession, TransactionTrait,
};
use uuid::Uuid;

use entity::{patient, sharing_objection};

use crate::auth::policy::NOT_IN_YOUR_ACCESS;
use crate::auth::{Caller, Grant};
use crate::error::{AppError, AppResult};

/// Longest note of an objection or its withdrawal.
pub const MAX_NOTE_CHARS: usize = 2_000;

/// The person, if the caller records their objections, with the caller's grant on them.
async fn held_by(db: &impl ConnectionTrait, caller: &Caller, patient_id: Uuid) -> AppResult<(patient::Model, Grant)> {
    let person = crate::auth::person(db, caller, patient_id).await?;
    caller.patient_scope()?;
    if let Some(grant) = caller.may_record_objection(&person) {
        return Ok((person, grant));
    }
    Err(AppError::forbidden(if caller.grant_for(&person).is_some() {
        "an objection to sharing is recorded by the person's GP practice, which holds it with their record"
    } else {
        NOT_IN_YOUR_ACCESS
    }))
}

fn checked_note(note: Option<String>) -> AppResult<Option<String>> {
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
        return Err(AppError::bad_input("note", format!("must be at most {MAX_NOTE_CHARS} characters")));
    }
    Ok(note)
}

/// Sets `patient.objects_to_sharing` from `was` to `now`, or CONFLICT: someone changed it first.
async fn set_objecting(db: &impl ConnectionTrait, patient_id: Uuid, was: bool, now: bool) -> AppResult<()> {
    let updated = patient::Entity::update_many()
        .col_expr(patient::Column::ObjectsToSharing, Expr::value(now))
        .col_expr(patient::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(patient::Column::Id.eq(patient_id))
        .filter(patient::Column::ObjectsToSharing.eq(was))
        .exec(db)
        .await?;
    if updated.rows_affected == 1 {
        Ok(())
    } else {
        Err(AppError::conflict("the person's objection was changed by someone else just now; read it again"))
    }
}

/// Records that the person objects to sharing beyond their practice. CONFLICT naming the standing
/// objection when one stands. Returns it and the caller's grant on the person.
pub async fn record(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    patient_id: Uuid,
    note: Option<String>,
) -> AppResult<(sharing_objection::Model, Grant)> {
    let note = checked_note(note)?;
    let (person, grant) = held_by(db, caller, patient_id).await?;
    if let Some(standing) = standing(db, person.id).await? {
        return Err(AppError::conflict_with("an objection to sharing already stands for this person", standing.id));
    }
    let row = sharing_objection::Model {
        id: Uuid::now_v7(),
        patient_id: person.id,
        organisation_id: caller.organisation_id,
        recorded_by: caller.practitioner_id,
        recorded_at: Utc::now(),
        note,
        open_key: Some(person.id.to_string()),
        withdrawn_by: None,
        withdrawn_at: None,
        withdrawal_note: None,
    };
    let txn = db.begin().await?;
    match sharing_objection::Entity::insert(row.clone().into_active_model()).exec_without_returning(&txn).await {
        // Recorded by someone else between the check and the insert.
        Err(e) if crate::open_key::taken(&e) => {
            return Err(AppError::conflict(
                "an objection to sharing was recorded for this person a moment ago; read it again",
            ))
        }
        other => other?,
    };
    set_objecting(&txn, person.id, false, true).await?;
    txn.commit().await?;
    Ok((row, grant))
}

/// Withdraws the standing objection (kept, with who withdrew it, when and why): the record is shared
/// again as the policy says from the next request. BAD_USER_INPUT when none stands.
pub async fn withdraw(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    patient_id: Uuid,
    note: Option<String>,
) -> AppResult<(sharing_objection::Model, Grant)> {
    let note = checked_note(note)?;
    let (person, grant) = held_by(db, caller, patient_id).await?;
    let Some(standing) = standing(db, person.id).await? else {
        return Err(AppError::bad_input("patientId", "no objection to sharing stands for this person"));
    };
    let now = Utc::now();
    let txn = db.begin().await?;
    let updated = sharing_objection::Entity::update_many()
        .col_expr(sharing_objection::Column::OpenKey, crate::open_key::closed())
        .col_expr(sharing_objection::Column::WithdrawnBy, Expr::value(caller.practitioner_id))
        .col_expr(sharing_objection::Column::WithdrawnAt, Expr::value(now))
        .col_expr(sharing_objection::Column::WithdrawalNote, Expr::value(note.clone()))
        .filter(sharing_objection::Column::Id.eq(standing.id))
        .filter(sharing_objection::Column::OpenKey.is_not_null())
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(AppError::conflict_with("the objection was withdrawn by someone else just now", standing.id));
    }
    set_objecting(&txn, person.id, true, false).await?;
    txn.commit().await?;
    let withdrawn = sharing_objection::Model {
        open_key: None,
        withdrawn_by: Some(caller.practitioner_id),
        withdrawn_at: Some(now),
        withdrawal_note: note,
        ..standing
    };
    Ok((withdrawn, grant))
}

/// The objection standing for the person, if any.
pub async fn standing(db: &impl ConnectionTrait, patient_id: Uuid) -> AppResult<Option<sharing_objection::Model>> {
    Ok(sharing_objection::Entity::find()
        .filter(sharing_objection::Column::OpenKey.eq(patient_id.to_string()))
        .one(db)
        .await?)
}
