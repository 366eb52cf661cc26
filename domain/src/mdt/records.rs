//! What a meeting records per agenda item: decisions, and actions with an owner, a due date and
//! a history of status changes; open actions carry forward to the neighbourhood's later meetings.

use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    TransactionSession, TransactionTrait,
};
use uuid::Uuid;

use entity::{
    mdt_action, mdt_action_event, mdt_agenda_item, mdt_decision, mdt_meeting, practitioner, PlanActionStatus,
};

use super::{get, is_invited, not_closed};
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::live::{ChangeKind, MeetingChanged};
use crate::referrals::bounded_text;

/// The item and its meeting, if the caller may record against it (invited, or an organiser).
async fn item_for_recording(
    db: &impl ConnectionTrait,
    caller: &Caller,
    item_id: Uuid,
) -> AppResult<(mdt_agenda_item::Model, mdt_meeting::Model)> {
    let item = mdt_agenda_item::Entity::find_by_id(item_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("agenda item", item_id))?;
    let meeting = get(db, caller, item.meeting_id).await?;
    if !(caller.may_organise_meetings(meeting.neighbourhood_id) || is_invited(db, caller, meeting.id).await?) {
        return Err(AppError::forbidden("decisions and actions are recorded by the meeting's invitees"));
    }
    if item.open_key.is_none() {
        return Err(AppError::bad_input("itemId", "the person was taken off this agenda"));
    }
    Ok((item, meeting))
}

pub async fn record_decision(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    item_id: Uuid,
    text: String,
) -> AppResult<MeetingChanged<mdt_decision::Model>> {
    let (item, meeting) = item_for_recording(db, caller, item_id).await?;
    not_closed(&meeting)?;
    let text = bounded_text("text", Some(text))?.ok_or_else(|| AppError::bad_input("text", "must not be empty"))?;
    let model = mdt_decision::Model {
        id: Uuid::now_v7(),
        item_id: item.id,
        text,
        recorded_by: caller.practitioner_id,
        recorded_at: Utc::now(),
    };
    mdt_decision::Entity::insert(model.clone().into_active_model()).exec_without_returning(db).await?;
    Ok(MeetingChanged::one(model, meeting.id, ChangeKind::Decision))
}

#[derive(Debug, Clone)]
pub struct NewAction {
    pub item_id: Uuid,
    pub text: String,
    pub owner_practitioner_id: Option<Uuid>,
    pub owner_organisation_id: Option<Uuid>,
    pub due_date: Option<NaiveDate>,
}

/// Records an action with its owner; the first event of its history is written with it.
pub async fn add_action(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    new: NewAction,
) -> AppResult<MeetingChanged<mdt_action::Model>> {
    let (item, meeting) = item_for_recording(db, caller, new.item_id).await?;
    not_closed(&meeting)?;
    let text = bounded_text("text", Some(new.text))?.ok_or_else(|| AppError::bad_input("text", "must not be empty"))?;
    let mut owner_org = new.owner_organisation_id;
    match (new.owner_practitioner_id, new.owner_organisation_id) {
        (None, None) => {
            return Err(AppError::bad_input(
                "ownerPractitionerId",
                "an action needs an owner: a practitioner or an organisation",
            ))
        }
        (Some(p), org) => {
            let owner = practitioner::Entity::find_by_id(p)
                .one(db)
                .await?
                .ok_or_else(|| AppError::bad_input("ownerPractitionerId", "no such practitioner"))?;
            if org.is_some_and(|o| o != owner.organisation_id) {
                return Err(AppError::bad_input("ownerOrganisationId", "the owner works for another organisation"));
            }
            owner_org = Some(owner.organisation_id);
        }
        (None, Some(o)) => {
            entity::organisation::Entity::find_by_id(o)
                .one(db)
                .await?
                .ok_or_else(|| AppError::bad_input("ownerOrganisationId", "no such organisation"))?;
        }
    }
    let now = Utc::now();
    let model = mdt_action::Model {
        id: Uuid::now_v7(),
        meeting_id: meeting.id,
        item_id: item.id,
        patient_id: item.patient_id,
        text,
        owner_practitioner_id: new.owner_practitioner_id,
        owner_organisation_id: owner_org,
        due_date: new.due_date,
        status: PlanActionStatus::Open,
        created_by: caller.practitioner_id,
        created_at: now,
        updated_at: now,
    };
    let event = mdt_action_event::Model {
        id: Uuid::now_v7(),
        action_id: model.id,
        from_status: None,
        to_status: PlanActionStatus::Open,
        practitioner_id: caller.practitioner_id,
        occurred_at: now,
        note: None,
    };
    let txn = db.begin().await?;
    mdt_action::Entity::insert(model.clone().into_active_model()).exec_without_returning(&txn).await?;
    mdt_action_event::Entity::insert(event.into_active_model()).exec_without_returning(&txn).await?;
    txn.commit().await?;
    let meeting_id = model.meeting_id;
    Ok(MeetingChanged::one(model, meeting_id, ChangeKind::Action))
}

/// Changes an action's status (also after the meeting has closed), keeping the history: by its
/// owner, its owning organisation, or the meeting's organisers.
pub async fn set_action_status(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    action_id: Uuid,
    to: PlanActionStatus,
    note: Option<String>,
) -> AppResult<MeetingChanged<mdt_action::Model>> {
    let action = mdt_action::Entity::find_by_id(action_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("action", action_id))?;
    let meeting = get(db, caller, action.meeting_id).await?;
    if !caller.may_update_action(&action, meeting.neighbourhood_id) {
        return Err(AppError::forbidden("an action is updated by its owner or the meeting's organisers"));
    }
    if action.status == to {
        return Err(AppError::invalid_transition(format!("the action is already {}", crate::label::label(to))));
    }
    let note = bounded_text("note", note)?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let done = mdt_action::Entity::update_many()
        .col_expr(mdt_action::Column::Status, Expr::value(to.to_value()))
        .col_expr(mdt_action::Column::UpdatedAt, Expr::value(now))
        .filter(mdt_action::Column::Id.eq(action.id))
        .filter(mdt_action::Column::Status.eq(action.status))
        .exec(&txn)
        .await?;
    if done.rows_affected != 1 {
        txn.rollback().await?;
        return Err(AppError::conflict_with("the action was changed by someone else; reload it", action.id));
    }
    mdt_action_event::Entity::insert(
        mdt_action_event::Model {
            id: Uuid::now_v7(),
            action_id: action.id,
            from_status: Some(action.status),
            to_status: to,
            practitioner_id: caller.practitioner_id,
            occurred_at: now,
            note,
        }
        .into_active_model(),
    )
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await?;
    let meeting_id = action.meeting_id;
    Ok(MeetingChanged::one(mdt_action::Model { status: to, updated_at: now, ..action }, meeting_id, ChangeKind::Action))
}

/// Open actions from the neighbourhood's meetings held before `meeting`: what carries forward.
pub async fn carried_forward(
    db: &impl ConnectionTrait,
    meeting: &mdt_meeting::Model,
) -> AppResult<Vec<mdt_action::Model>> {
    let earlier: Vec<Uuid> = mdt_meeting::Entity::find()
        .filter(mdt_meeting::Column::NeighbourhoodId.eq(meeting.neighbourhood_id))
        .filter(mdt_meeting::Column::StartsAt.lt(meeting.starts_at))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect();
    if earlier.is_empty() {
        return Ok(Vec::new());
    }
    Ok(mdt_action::Entity::find()
        .filter(mdt_action::Column::MeetingId.is_in(earlier))
        .filter(mdt_action::Column::Status.eq(PlanActionStatus::Open))
        .order_by_asc(mdt_action::Column::DueDate)
        .order_by_asc(mdt_action::Column::Id)
        .all(db)
        .await?)
}

/// The actions the caller owns across meetings in `status`, soonest due first.
pub async fn my_actions(
    db: &impl ConnectionTrait,
    caller: &Caller,
    status: PlanActionStatus,
) -> AppResult<Vec<mdt_action::Model>> {
    use sea_orm::QueryOrder;
    Ok(mdt_action::Entity::find()
        .filter(mdt_action::Column::OwnerPractitionerId.eq(caller.practitioner_id))
        .filter(mdt_action::Column::Status.eq(status))
        .order_by_asc(mdt_action::Column::DueDate)
        .order_by_asc(mdt_action::Column::Id)
        .all(db)
        .await?)
}

/// Open actions past their due date (before `today`) across a neighbourhood's meetings, soonest
/// due first. For the neighbourhood's organisers.
pub async fn overdue_actions(
    db: &impl ConnectionTrait,
    caller: &Caller,
    neighbourhood_id: Uuid,
    today: NaiveDate,
) -> AppResult<Vec<mdt_action::Model>> {
    use sea_orm::QueryOrder;
    if !caller.may_organise_meetings(neighbourhood_id) {
        return Err(AppError::forbidden("overdue actions are for the neighbourhood's organisers"));
    }
    let meetings: Vec<Uuid> = mdt_meeting::Entity::find()
        .filter(mdt_meeting::Column::NeighbourhoodId.eq(neighbourhood_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect();
    if meetings.is_empty() {
        return Ok(Vec::new());
    }
    Ok(mdt_action::Entity::find()
        .filter(mdt_action::Column::MeetingId.is_in(meetings))
        .filter(mdt_action::Column::Status.eq(PlanActionStatus::Open))
        .filter(mdt_action::Column::DueDate.lt(today))
        .order_by_asc(mdt_action::Column::DueDate)
        .order_by_asc(mdt_action::Column::Id)
        .all(db)
        .await?)
}
