//! The agenda: one person per item, in order, each with a reason, a kind and minutes allotted; a
//! person taken off keeps the item as history.

use std::collections::BTreeSet;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, TransactionSession,
    TransactionTrait,
};
use uuid::Uuid;

use entity::{mdt_agenda_item, mdt_meeting, practitioner, AgendaItemKind};

use super::{not_closed, organised};
use crate::auth::{Caller, Grant};
use crate::error::{AppError, AppResult};
use crate::live::{ChangeKind, MeetingChanged};
use crate::referrals::bounded_text;

/// Most people on one agenda.
pub const MAX_AGENDA_ITEMS: u64 = 60;

/// The unique key of a person's place on an agenda (NULL once taken off).
pub fn item_key(meeting: Uuid, patient: Uuid) -> String {
    crate::open_key::of(meeting, patient)
}

/// What goes on the agenda.
#[derive(Debug, Clone)]
pub struct NewItem {
    pub patient_id: Uuid,
    pub reason: String,
    pub kind: AgendaItemKind,
    pub presenter_id: Option<Uuid>,
    pub minutes_allotted: i32,
}

/// Adds a person to the end of the agenda.
pub async fn add_item(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    meeting_id: Uuid,
    new: NewItem,
) -> AppResult<MeetingChanged<(mdt_meeting::Model, mdt_agenda_item::Model, Grant)>> {
    let meeting = organised(db, caller, meeting_id).await?;
    not_closed(&meeting)?;
    let reason = bounded_text("reason", Some(new.reason))?
        .ok_or_else(|| AppError::bad_input("reason", "say why the person is on the agenda"))?;
    if !(1..=120).contains(&new.minutes_allotted) {
        return Err(AppError::bad_input("minutesAllotted", "must be 1 to 120"));
    }
    let person = crate::auth::load_person(db, caller, new.patient_id)
        .await?
        .ok_or_else(|| AppError::bad_input("patientId", "no such patient"))?;
    if person.neighbourhood_id != meeting.neighbourhood_id {
        return Err(AppError::bad_input("patientId", "the person belongs to another neighbourhood's team"));
    }
    let grant = caller
        .grant_for(&person)
        .ok_or_else(|| AppError::forbidden("you have no care relationship with this person"))?;
    if let Some(presenter) = new.presenter_id {
        practitioner::Entity::find_by_id(presenter)
            .one(db)
            .await?
            .ok_or_else(|| AppError::bad_input("presenterId", "no such practitioner"))?;
    }
    let open = mdt_agenda_item::Entity::find()
        .filter(mdt_agenda_item::Column::MeetingId.eq(meeting.id))
        .filter(mdt_agenda_item::Column::OpenKey.is_not_null())
        .order_by_desc(mdt_agenda_item::Column::Position)
        .all(db)
        .await?;
    if let Some(same) = open.iter().find(|i| i.patient_id == person.id) {
        return Err(AppError::conflict_with("the person is already on this agenda", same.id));
    }
    if open.len() as u64 >= MAX_AGENDA_ITEMS {
        return Err(AppError::bad_input("patientId", format!("an agenda holds at most {MAX_AGENDA_ITEMS} people")));
    }
    let model = mdt_agenda_item::Model {
        id: Uuid::now_v7(),
        meeting_id: meeting.id,
        patient_id: person.id,
        position: open.first().map_or(0, |i| i.position + 1),
        reason,
        kind: new.kind,
        presenter_id: new.presenter_id,
        minutes_allotted: new.minutes_allotted,
        open_key: Some(item_key(meeting.id, person.id)),
        added_by: caller.practitioner_id,
        added_at: Utc::now(),
        removed_at: None,
    };
    match mdt_agenda_item::Entity::insert(model.clone().into_active_model()).exec_without_returning(db).await {
        Ok(_) => Ok(MeetingChanged::one((meeting, model, grant), meeting_id, ChangeKind::Agenda)),
        Err(e) if crate::open_key::taken(&e) => {
            Err(AppError::conflict("the person was added to this agenda a moment ago"))
        }
        Err(e) => Err(e.into()),
    }
}

/// Takes a person off the agenda (the item is kept, marked removed).
pub async fn remove_item(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    item_id: Uuid,
) -> AppResult<MeetingChanged<(mdt_meeting::Model, mdt_agenda_item::Model)>> {
    let item = mdt_agenda_item::Entity::find_by_id(item_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("agenda item", item_id))?;
    let meeting = organised(db, caller, item.meeting_id).await?;
    not_closed(&meeting)?;
    if item.open_key.is_none() {
        return Err(AppError::bad_input("itemId", "already removed"));
    }
    let now = Utc::now();
    mdt_agenda_item::Entity::update_many()
        .col_expr(mdt_agenda_item::Column::OpenKey, crate::open_key::closed())
        .col_expr(mdt_agenda_item::Column::RemovedAt, Expr::value(Some(now)))
        .filter(mdt_agenda_item::Column::Id.eq(item.id))
        .exec(db)
        .await?;
    let meeting_id = item.meeting_id;
    let removed = mdt_agenda_item::Model { open_key: None, removed_at: Some(now), ..item };
    Ok(MeetingChanged::one((meeting, removed), meeting_id, ChangeKind::Agenda))
}

/// Puts the agenda in the order given (every current item exactly once), in one transaction.
pub async fn reorder(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    meeting_id: Uuid,
    order: Vec<Uuid>,
) -> AppResult<MeetingChanged<mdt_meeting::Model>> {
    let meeting = organised(db, caller, meeting_id).await?;
    not_closed(&meeting)?;
    let current: BTreeSet<Uuid> = mdt_agenda_item::Entity::find()
        .filter(mdt_agenda_item::Column::MeetingId.eq(meeting.id))
        .filter(mdt_agenda_item::Column::OpenKey.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .map(|i| i.id)
        .collect();
    let given: BTreeSet<Uuid> = order.iter().copied().collect();
    if given.len() != order.len() || given != current {
        return Err(AppError::bad_input("itemIds", "list every item on the agenda exactly once"));
    }
    let txn = db.begin().await?;
    for (position, id) in order.iter().enumerate() {
        mdt_agenda_item::Entity::update_many()
            .col_expr(mdt_agenda_item::Column::Position, Expr::value(position as i32))
            .filter(mdt_agenda_item::Column::Id.eq(*id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(MeetingChanged::one(meeting, meeting_id, ChangeKind::Agenda))
}
