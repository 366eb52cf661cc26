//! Meetings: scheduling (a chair of the neighbourhood, no overlap for the chair, a place or a
//! link) and the status PLANNED → IN_PROGRESS → CLOSED.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    TransactionSession, TransactionTrait,
};
use uuid::Uuid;

use entity::{mdt_meeting, practitioner, Discipline, MeetingStatus};

use super::organised;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::live::{ChangeKind, MeetingChanged};
use crate::referrals::bounded_text;

/// Longest meeting.
pub const MAX_MEETING_HOURS: i64 = 8;

/// What a coordinator schedules.
#[derive(Debug, Clone)]
pub struct NewMeeting {
    pub neighbourhood_id: Uuid,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub place: Option<String>,
    pub online_link: Option<String>,
    pub chair_id: Uuid,
    pub required_disciplines: Option<Vec<Discipline>>,
}

pub async fn schedule(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    new: NewMeeting,
) -> AppResult<MeetingChanged<mdt_meeting::Model>> {
    if !caller.may_organise_meetings(new.neighbourhood_id) {
        return Err(AppError::forbidden("meetings are organised by staff of the neighbourhood's organisations"));
    }
    let title =
        bounded_text("title", Some(new.title))?.ok_or_else(|| AppError::bad_input("title", "must not be empty"))?;
    if new.ends_at <= new.starts_at {
        return Err(AppError::bad_input("endsAt", "must be after startsAt"));
    }
    if new.ends_at - new.starts_at > Duration::hours(MAX_MEETING_HOURS) {
        return Err(AppError::bad_input("endsAt", format!("a meeting lasts at most {MAX_MEETING_HOURS} hours")));
    }
    let place = bounded_text("place", new.place)?;
    let online_link = bounded_text("onlineLink", new.online_link)?;
    if place.is_none() && online_link.is_none() {
        return Err(AppError::bad_input("place", "give a place, an online link or both"));
    }
    let chair = practitioner::Entity::find_by_id(new.chair_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::bad_input("chairId", "no such practitioner"))?;
    let takes_part = entity::neighbourhood_organisation::Entity::find()
        .filter(entity::neighbourhood_organisation::Column::NeighbourhoodId.eq(new.neighbourhood_id))
        .filter(entity::neighbourhood_organisation::Column::OrganisationId.eq(chair.organisation_id))
        .count(db)
        .await?;
    if takes_part == 0 {
        return Err(AppError::bad_input("chairId", "the chair must work for an organisation of the neighbourhood"));
    }
    let overlapping = mdt_meeting::Entity::find()
        .filter(mdt_meeting::Column::ChairId.eq(chair.id))
        .filter(mdt_meeting::Column::Status.ne(MeetingStatus::Closed))
        .filter(mdt_meeting::Column::StartsAt.lt(new.ends_at))
        .filter(mdt_meeting::Column::EndsAt.gt(new.starts_at))
        .one(db)
        .await?;
    if let Some(other) = overlapping {
        return Err(AppError::conflict_with(
            format!(
                "{} {} already chairs \"{}\" from {} to {}, which overlaps; choose another time or chair",
                chair.given_name,
                chair.family_name,
                other.title,
                other.starts_at.to_rfc3339(),
                other.ends_at.to_rfc3339()
            ),
            other.id,
        ));
    }
    let required = match new.required_disciplines {
        Some(list) if list.is_empty() => {
            return Err(AppError::bad_input(
                "requiredDisciplines",
                "name at least one, or leave it out for the default",
            ))
        }
        Some(mut list) => {
            list.sort();
            list.dedup();
            list
        }
        None => Vec::new(),
    };
    let now = Utc::now();
    let model = mdt_meeting::Model {
        id: Uuid::now_v7(),
        neighbourhood_id: new.neighbourhood_id,
        title,
        starts_at: new.starts_at,
        ends_at: new.ends_at,
        place,
        online_link,
        chair_id: chair.id,
        status: MeetingStatus::Planned,
        created_by: caller.practitioner_id,
        created_at: now,
        updated_at: now,
    };
    let txn = db.begin().await?;
    mdt_meeting::Entity::insert(model.clone().into_active_model()).exec_without_returning(&txn).await?;
    if !required.is_empty() {
        entity::mdt_meeting_required_discipline::Entity::insert_many(required.iter().map(|d| {
            entity::mdt_meeting_required_discipline::Model { meeting_id: model.id, discipline: *d }.into_active_model()
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    txn.commit().await?;
    let id = model.id;
    Ok(MeetingChanged::one(model, id, ChangeKind::Scheduled))
}

/// Moves a meeting PLANNED → IN_PROGRESS → CLOSED.
pub async fn set_status(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    id: Uuid,
    to: MeetingStatus,
) -> AppResult<MeetingChanged<mdt_meeting::Model>> {
    let meeting = organised(db, caller, id).await?;
    let allowed = matches!(
        (meeting.status, to),
        (MeetingStatus::Planned, MeetingStatus::InProgress) | (MeetingStatus::InProgress, MeetingStatus::Closed)
    );
    if !allowed {
        let next = match meeting.status {
            MeetingStatus::Planned => vec![MeetingStatus::InProgress],
            MeetingStatus::InProgress => vec![MeetingStatus::Closed],
            MeetingStatus::Closed => vec![],
        };
        return Err(AppError::invalid_move(
            format!(
                "a {} meeting cannot move to {}; meetings go PLANNED → IN_PROGRESS → CLOSED",
                crate::label::label(meeting.status),
                crate::label::label(to)
            ),
            meeting.status,
            next,
        ));
    }
    let now = Utc::now();
    let done = mdt_meeting::Entity::update_many()
        .col_expr(mdt_meeting::Column::Status, Expr::value(to.to_value()))
        .col_expr(mdt_meeting::Column::UpdatedAt, Expr::value(now))
        .filter(mdt_meeting::Column::Id.eq(id))
        .filter(mdt_meeting::Column::Status.eq(meeting.status))
        .exec(db)
        .await?;
    if done.rows_affected != 1 {
        return Err(AppError::conflict_with("the meeting was moved by someone else; reload it", id));
    }
    Ok(MeetingChanged::one(mdt_meeting::Model { status: to, updated_at: now, ..meeting }, id, ChangeKind::Status))
}

/// A neighbourhood's meetings, earliest first; `upcoming` keeps those that have not ended by
/// `now` and are not closed. For the organisations that take part in the neighbourhood.
pub async fn list_meetings(
    db: &(impl ConnectionTrait + Clone + Send + 'static),
    caller: &Caller,
    neighbourhood_id: Uuid,
    upcoming: bool,
    now: DateTime<Utc>,
    page: crate::pagination::PageRequest,
) -> AppResult<crate::pagination::Page<mdt_meeting::Model>> {
    use mdt_meeting::Column as M;
    use sea_orm::Condition;
    if !caller.takes_part_in(neighbourhood_id) {
        return Err(AppError::forbidden("meetings are listed for the neighbourhood's organisations"));
    }
    let mut select = mdt_meeting::Entity::find().filter(M::NeighbourhoodId.eq(neighbourhood_id));
    if upcoming {
        select = select.filter(M::EndsAt.gte(now)).filter(M::Status.ne(MeetingStatus::Closed));
    }
    crate::pagination::keyset_page(
        db,
        select,
        page,
        &[M::StartsAt, M::Id],
        |(at, id): &(DateTime<Utc>, Uuid)| {
            Condition::any().add(M::StartsAt.gt(*at)).add(Condition::all().add(M::StartsAt.eq(*at)).add(M::Id.gt(*id)))
        },
        |m| (m.starts_at, m.id),
    )
    .await
}
