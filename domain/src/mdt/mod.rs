//! Multidisciplinary team (MDT) meetings of a neighbourhood: scheduling, invitations and
//! attendance with quoracy (the disciplines the neighbourhood requires), the agenda (one person per
//! item, ordered), and the decisions and owned actions recorded per item, with open actions
//! carried forward to later meetings. A closed meeting is read-only except the status of its actions.
//!
//! Organising a meeting (scheduling, inviting, the agenda) is for staff of the neighbourhood's
//! organisations who see its people's records; invited practitioners record decisions and actions.
//!
//! Files: meetings (scheduling, status), invitations (and attendance), quoracy (required
//! disciplines), agenda, records (decisions, actions, carry-forward), proposal (who to discuss).

mod agenda;
mod invitations;
mod meetings;
pub mod proposal;
mod quoracy;
mod records;

pub use agenda::*;
pub use invitations::*;
pub use meetings::*;
pub use quoracy::*;
pub use records::*;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use entity::{mdt_invitation, mdt_meeting, MeetingStatus};

use crate::auth::Caller;
use crate::error::{AppError, AppResult};

/// A meeting the caller may see: staff of the neighbourhood's organisations, and anyone invited.
pub async fn get(db: &impl ConnectionTrait, caller: &Caller, id: Uuid) -> AppResult<mdt_meeting::Model> {
    let meeting =
        mdt_meeting::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found("meeting", id))?;
    if caller.takes_part_in(meeting.neighbourhood_id) || is_invited(db, caller, id).await? {
        Ok(meeting)
    } else {
        Err(AppError::forbidden("the meeting belongs to a neighbourhood your organisation does not take part in"))
    }
}

async fn is_invited(db: &impl ConnectionTrait, caller: &Caller, meeting_id: Uuid) -> AppResult<bool> {
    Ok(mdt_invitation::Entity::find()
        .filter(mdt_invitation::Column::OpenKey.eq(invitation_key(meeting_id, caller.practitioner_id)))
        .count(db)
        .await?
        > 0)
}

/// The meeting, if the caller may organise it (staff of the neighbourhood who see its people).
pub async fn organised(db: &impl ConnectionTrait, caller: &Caller, id: Uuid) -> AppResult<mdt_meeting::Model> {
    let meeting = get(db, caller, id).await?;
    if !caller.may_organise_meetings(meeting.neighbourhood_id) {
        return Err(AppError::forbidden("meetings are organised by staff of the neighbourhood's organisations"));
    }
    Ok(meeting)
}

pub fn not_closed(meeting: &mdt_meeting::Model) -> AppResult<()> {
    if meeting.status == MeetingStatus::Closed {
        Err(AppError::invalid_transition(
            "the meeting is CLOSED: its agenda, attendance and decisions are read-only; only action statuses change"
                .to_owned(),
        ))
    } else {
        Ok(())
    }
}
