//! Invitations and attendance: who is asked to a meeting (their discipline from their role), who
//! sent apologies and who attended; quoracy is counted from them.

use std::collections::BTreeSet;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, TransactionSession,
    TransactionTrait,
};
use uuid::Uuid;

use entity::{mdt_invitation, mdt_meeting, practitioner, MeetingAttendance, MeetingStatus};

use super::{discipline_of, not_closed, organised};
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::live::{ChangeKind, MeetingChanged};

/// The unique key of a standing invitation (NULL once withdrawn).
pub fn invitation_key(meeting: Uuid, practitioner: Uuid) -> String {
    crate::open_key::of(meeting, practitioner)
}

/// Invites a practitioner (their discipline comes from their role).
pub async fn invite(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    meeting_id: Uuid,
    practitioner_id: Uuid,
) -> AppResult<MeetingChanged<(mdt_meeting::Model, mdt_invitation::Model)>> {
    let meeting = organised(db, caller, meeting_id).await?;
    not_closed(&meeting)?;
    let invitee = practitioner::Entity::find_by_id(practitioner_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::bad_input("practitionerId", "no such practitioner"))?;
    let discipline = discipline_of(invitee.professional_role).ok_or_else(|| {
        AppError::bad_input("practitionerId", "that practitioner's role brings no discipline to an MDT")
    })?;
    let key = invitation_key(meeting.id, invitee.id);
    let existing = || mdt_invitation::Entity::find().filter(mdt_invitation::Column::OpenKey.eq(key.clone())).one(db);
    if let Some(found) = existing().await? {
        return Err(AppError::conflict_with("already invited", found.id));
    }
    let model = mdt_invitation::Model {
        id: Uuid::now_v7(),
        meeting_id: meeting.id,
        practitioner_id: invitee.id,
        organisation_id: invitee.organisation_id,
        discipline,
        attendance: MeetingAttendance::Invited,
        open_key: Some(key.clone()),
        invited_by: caller.practitioner_id,
        invited_at: Utc::now(),
        removed_at: None,
    };
    match mdt_invitation::Entity::insert(model.clone().into_active_model()).exec_without_returning(db).await {
        Ok(_) => Ok(MeetingChanged::one((meeting, model), meeting_id, ChangeKind::Invitations)),
        Err(e) if crate::open_key::taken(&e) => {
            let found = existing().await?.ok_or_else(|| AppError::from(e))?;
            Err(AppError::conflict_with("already invited", found.id))
        }
        Err(e) => Err(e.into()),
    }
}

/// Withdraws an invitation (and with it any access the invitation gave).
pub async fn uninvite(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    meeting_id: Uuid,
    practitioner_id: Uuid,
) -> AppResult<MeetingChanged<(mdt_meeting::Model, mdt_invitation::Model)>> {
    let meeting = organised(db, caller, meeting_id).await?;
    not_closed(&meeting)?;
    let found = mdt_invitation::Entity::find()
        .filter(mdt_invitation::Column::OpenKey.eq(invitation_key(meeting.id, practitioner_id)))
        .one(db)
        .await?
        .ok_or_else(|| AppError::bad_input("practitionerId", "that practitioner is not invited"))?;
    let now = Utc::now();
    mdt_invitation::Entity::update_many()
        .col_expr(mdt_invitation::Column::OpenKey, crate::open_key::closed())
        .col_expr(mdt_invitation::Column::RemovedAt, Expr::value(Some(now)))
        .filter(mdt_invitation::Column::Id.eq(found.id))
        .exec(db)
        .await?;
    let removed = mdt_invitation::Model { open_key: None, removed_at: Some(now), ..found };
    Ok(MeetingChanged::one((meeting, removed), meeting_id, ChangeKind::Invitations))
}

/// Records attendance (or apologies) for invited practitioners, in one transaction.
pub async fn record_attendance(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    meeting_id: Uuid,
    entries: Vec<(Uuid, MeetingAttendance)>,
) -> AppResult<MeetingChanged<(mdt_meeting::Model, Vec<mdt_invitation::Model>)>> {
    let meeting = organised(db, caller, meeting_id).await?;
    not_closed(&meeting)?;
    if entries.is_empty() {
        return Err(AppError::bad_input("entries", "give at least one practitioner"));
    }
    let standing: Vec<mdt_invitation::Model> = mdt_invitation::Entity::find()
        .filter(mdt_invitation::Column::MeetingId.eq(meeting.id))
        .filter(mdt_invitation::Column::OpenKey.is_not_null())
        .all(db)
        .await?;
    let mut seen = BTreeSet::new();
    for (p, status) in &entries {
        if !seen.insert(*p) {
            return Err(AppError::bad_input("entries", format!("practitioner {p} is listed twice")));
        }
        if !standing.iter().any(|i| i.practitioner_id == *p) {
            return Err(AppError::bad_input("entries", format!("practitioner {p} is not invited to this meeting")));
        }
        if *status == MeetingAttendance::Attended && meeting.status == MeetingStatus::Planned {
            return Err(AppError::bad_input(
                "entries",
                "attendance is recorded once the meeting is IN_PROGRESS; before it, record apologies",
            ));
        }
    }
    let txn = db.begin().await?;
    for (p, status) in &entries {
        mdt_invitation::Entity::update_many()
            .col_expr(mdt_invitation::Column::Attendance, Expr::value(status.to_value()))
            .filter(mdt_invitation::Column::OpenKey.eq(invitation_key(meeting.id, *p)))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    let invitations = standing
        .into_iter()
        .map(|mut i| {
            if let Some((_, s)) = entries.iter().find(|(p, _)| *p == i.practitioner_id) {
                i.attendance = *s;
            }
            i
        })
        .collect();
    Ok(MeetingChanged::one((meeting, invitations), meeting_id, ChangeKind::Attendance))
}
