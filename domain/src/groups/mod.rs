//! Support groups: link-worker-led groups (e.g. people waiting with similar needs) with sessions,
//! participants and attendance. A person who is a current member of a group while their referral
//! waits for first contact is counted as "supported while waiting" in the waiting-list figures.
//!
//! Who may do what: staff of the running organisation manage the group (sessions, members,
//! attendance); its membership is identifiable, so it is shown only to callers with a grant on each
//! person's record; the group itself (name, schedule, spaces) is visible to every organisation of
//! its neighbourhood.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QuerySelect, TransactionSession, TransactionTrait,
};
use uuid::Uuid;

use entity::{
    group_attendance, group_participant, group_session, practitioner, support_group, AttendanceStatus, ReferralNeed,
};

use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::pagination::{after_name, keyset_page, Page, PageRequest};
use crate::referrals::bounded_text;
use crate::sql::any_of;

/// Longest a session may be (a day out, e.g. a green-gym trip).
pub const MAX_SESSION_MINUTES: i32 = 8 * 60;
/// Most entries one attendance register may carry.
pub const MAX_REGISTER_ENTRIES: usize = 200;

/// The unique key of a current membership (NULL once the person has left).
pub fn participant_open_key(group_id: Uuid, patient_id: Uuid) -> String {
    crate::open_key::of(group_id, patient_id)
}

pub struct NewGroup {
    pub neighbourhood_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub focus_need: Option<ReferralNeed>,
    pub leader_id: Option<Uuid>,
    pub capacity: Option<i32>,
}

fn manages(caller: &Caller, group: &support_group::Model) -> AppResult<()> {
    if caller.runs_group(group) {
        Ok(())
    } else {
        Err(AppError::forbidden("only staff of the organisation running the group manage it"))
    }
}

/// A group the caller may see: any organisation of its neighbourhood.
pub async fn get(db: &impl ConnectionTrait, caller: &Caller, id: Uuid) -> AppResult<support_group::Model> {
    let group =
        support_group::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found("support group", id))?;
    if !caller.may_see_group(&group) {
        return Err(AppError::forbidden("support groups are visible to the organisations of their neighbourhood"));
    }
    Ok(group)
}

/// Starts a group run by the caller's organisation, led by the caller or a colleague.
pub async fn create(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    new: NewGroup,
) -> AppResult<support_group::Model> {
    let name =
        bounded_text("name", Some(new.name))?.ok_or_else(|| AppError::bad_input("name", "give the group a name"))?;
    if name.chars().count() > 200 {
        return Err(AppError::bad_input("name", "must be at most 200 characters"));
    }
    let description = bounded_text("description", new.description)?;
    if let Some(c) = new.capacity {
        if !(1..=500).contains(&c) {
            return Err(AppError::bad_input("capacity", format!("must be between 1 and 500, got {c}")));
        }
    }
    caller.patient_scope()?;
    if !caller.may_start_groups(new.neighbourhood_id) {
        return Err(AppError::forbidden("your organisation does not take part in that neighbourhood"));
    }
    let leader_id = new.leader_id.unwrap_or(caller.practitioner_id);
    let leader = practitioner::Entity::find_by_id(leader_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::bad_input("leaderId", "no such practitioner"))?;
    if !caller.is_active_colleague(&leader) {
        return Err(AppError::bad_input("leaderId", "the leader must be an active practitioner of your organisation"));
    }
    let group = support_group::Model {
        id: Uuid::now_v7(),
        organisation_id: caller.organisation_id,
        neighbourhood_id: new.neighbourhood_id,
        name,
        description,
        focus_need: new.focus_need,
        leader_id,
        capacity: new.capacity,
        created_by: caller.practitioner_id,
        created_at: Utc::now(),
        closed_at: None,
    };
    support_group::Entity::insert(group.clone().into_active_model()).exec_without_returning(db).await?;
    Ok(group)
}

/// Schedules a session of a group.
pub async fn schedule_session(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    group_id: Uuid,
    starts_at: DateTime<Utc>,
    duration_minutes: i32,
    place: Option<String>,
) -> AppResult<group_session::Model> {
    let group = get(db, caller, group_id).await?;
    manages(caller, &group)?;
    if group.closed_at.is_some() {
        return Err(AppError::invalid_transition("the group has closed; no new sessions".to_owned()));
    }
    if !(1..=MAX_SESSION_MINUTES).contains(&duration_minutes) {
        return Err(AppError::bad_input(
            "durationMinutes",
            format!("must be between 1 and {MAX_SESSION_MINUTES}, got {duration_minutes}"),
        ));
    }
    let place = bounded_text("place", place)?;
    if place.as_ref().is_some_and(|p| p.chars().count() > 200) {
        return Err(AppError::bad_input("place", "must be at most 200 characters"));
    }
    let session = group_session::Model {
        id: Uuid::now_v7(),
        group_id,
        starts_at,
        duration_minutes,
        place,
        created_at: Utc::now(),
    };
    group_session::Entity::insert(session.clone().into_active_model()).exec_without_returning(db).await?;
    Ok(session)
}

/// Current members per group, in one statement.
pub async fn member_counts(
    db: &impl ConnectionTrait,
    groups: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, u64>> {
    let mut out: std::collections::HashMap<Uuid, u64> = groups.iter().map(|g| (*g, 0)).collect();
    if groups.is_empty() {
        return Ok(out);
    }
    let rows: Vec<(Uuid, i64)> = group_participant::Entity::find()
        .select_only()
        .column(group_participant::Column::GroupId)
        .column_as(Expr::col(group_participant::Column::Id).count(), "members")
        .filter(any_of(db.get_database_backend(), group_participant::Column::GroupId, groups))
        .filter(group_participant::Column::LeftAt.is_null())
        .group_by(group_participant::Column::GroupId)
        .into_tuple()
        .all(db)
        .await?;
    for (group, members) in rows {
        out.insert(group, u64::try_from(members).unwrap_or(0));
    }
    Ok(out)
}

/// Adds a person to a group (optionally under the referral they are waiting on). Refused when the
/// group is full or the person is already a member; the count and the insert are one transaction,
/// with the group's row locked on PostgreSQL so two additions cannot both take the last place.
pub async fn add_participant(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    group_id: Uuid,
    patient_id: Uuid,
    referral_id: Option<Uuid>,
) -> AppResult<group_participant::Model> {
    let group = get(db, caller, group_id).await?;
    manages(caller, &group)?;
    if group.closed_at.is_some() {
        return Err(AppError::invalid_transition("the group has closed; no new members".to_owned()));
    }
    let patient = crate::auth::load_person(db, caller, patient_id)
        .await?
        .ok_or_else(|| AppError::bad_input("patientId", "no such patient"))?;
    if patient.neighbourhood_id != group.neighbourhood_id {
        return Err(AppError::bad_input("patientId", "the person lives outside the group's neighbourhood"));
    }
    if let Some(referral_id) = referral_id {
        let referral = crate::referrals::get(db, caller, referral_id).await?;
        if referral.patient_id != patient.id {
            return Err(AppError::bad_input("referralId", "that referral is for someone else"));
        }
        if caller.grant_through_referral(&patient, &referral).is_none() {
            return Err(AppError::forbidden(crate::auth::policy::NOT_IN_YOUR_ACCESS));
        }
    } else if caller.grant_for(&patient).is_none() {
        return Err(AppError::forbidden(crate::auth::policy::NOT_IN_YOUR_ACCESS));
    }

    let txn = db.begin().await?;
    let mut group_query = support_group::Entity::find_by_id(group_id);
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        group_query = group_query.lock_exclusive();
    }
    let locked = group_query.one(&txn).await?.ok_or_else(|| AppError::not_found("support group", group_id))?;
    if let Some(capacity) = locked.capacity {
        let members = group_participant::Entity::find()
            .filter(group_participant::Column::GroupId.eq(group_id))
            .filter(group_participant::Column::LeftAt.is_null())
            .count(&txn)
            .await?;
        if members >= u64::try_from(capacity).unwrap_or(0) {
            return Err(AppError::conflict(format!("{} is full ({members} of {capacity})", locked.name)));
        }
    }
    let key = participant_open_key(group_id, patient_id);
    let member = group_participant::Model {
        id: Uuid::now_v7(),
        group_id,
        patient_id,
        referral_id,
        open_key: Some(key.clone()),
        joined_at: Utc::now(),
        left_at: None,
        added_by: caller.practitioner_id,
    };
    if let Err(e) =
        group_participant::Entity::insert(member.clone().into_active_model()).exec_without_returning(&txn).await
    {
        txn.rollback().await?;
        if crate::open_key::taken(&e) {
            let existing = group_participant::Entity::find()
                .filter(group_participant::Column::OpenKey.eq(key))
                .one(db)
                .await?
                .map(|m| m.id.to_string())
                .unwrap_or_default();
            return Err(AppError::conflict_with("the person is already a member of this group", existing));
        }
        return Err(e.into());
    }
    txn.commit().await?;
    Ok(member)
}

/// Ends a membership (kept, with when the person left).
pub async fn remove_participant(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    participant_id: Uuid,
) -> AppResult<group_participant::Model> {
    let member = group_participant::Entity::find_by_id(participant_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("group participant", participant_id))?;
    let group = get(db, caller, member.group_id).await?;
    manages(caller, &group)?;
    if member.left_at.is_some() {
        return Err(AppError::invalid_transition("the person has already left the group".to_owned()));
    }
    let now = Utc::now();
    group_participant::Entity::update_many()
        .col_expr(group_participant::Column::LeftAt, Expr::value(now))
        .col_expr(group_participant::Column::OpenKey, crate::open_key::closed())
        .filter(group_participant::Column::Id.eq(participant_id))
        .filter(group_participant::Column::LeftAt.is_null())
        .exec(db)
        .await?;
    Ok(group_participant::Model { left_at: Some(now), open_key: None, ..member })
}

/// Records (or corrects) a session's register in one transaction. Every entry must be a member at
/// the time of the session, and the session must have started.
pub async fn record_attendance(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    session_id: Uuid,
    entries: Vec<(Uuid, AttendanceStatus)>,
) -> AppResult<Vec<group_attendance::Model>> {
    if entries.is_empty() || entries.len() > MAX_REGISTER_ENTRIES {
        return Err(AppError::bad_input("entries", format!("give between 1 and {MAX_REGISTER_ENTRIES} entries")));
    }
    let session = group_session::Entity::find_by_id(session_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("group session", session_id))?;
    let group = get(db, caller, session.group_id).await?;
    manages(caller, &group)?;
    let now = Utc::now();
    if session.starts_at > now {
        return Err(AppError::bad_input("sessionId", "attendance is recorded once the session has started"));
    }
    let ids: Vec<Uuid> = entries.iter().map(|(p, _)| *p).collect();
    let members = group_participant::Entity::find()
        .filter(group_participant::Column::Id.is_in(ids.clone()))
        .filter(group_participant::Column::GroupId.eq(group.id))
        .all(db)
        .await?;
    let session_end = session.starts_at + chrono::Duration::minutes(i64::from(session.duration_minutes));
    for (participant, _) in &entries {
        let Some(member) = members.iter().find(|m| m.id == *participant) else {
            return Err(AppError::bad_input("entries", format!("{participant} is not a participant of this group")));
        };
        let joined_in_time = member.joined_at <= session_end;
        let still_member = member.left_at.is_none_or(|left| left > session.starts_at);
        if !joined_in_time || !still_member {
            return Err(AppError::bad_input(
                "entries",
                format!("{participant} was not a member of the group at the time of this session"),
            ));
        }
        if entries.iter().filter(|(p, _)| p == participant).count() > 1 {
            return Err(AppError::bad_input("entries", format!("{participant} is listed twice")));
        }
    }
    let rows: Vec<group_attendance::Model> = entries
        .into_iter()
        .map(|(participant_id, status)| group_attendance::Model {
            session_id,
            participant_id,
            status,
            recorded_by: caller.practitioner_id,
            recorded_at: now,
        })
        .collect();
    let txn = db.begin().await?;
    // A correction replaces the earlier entries for the same people.
    group_attendance::Entity::delete_many()
        .filter(group_attendance::Column::SessionId.eq(session_id))
        .filter(group_attendance::Column::ParticipantId.is_in(ids))
        .exec(&txn)
        .await?;
    group_attendance::Entity::insert_many(rows.iter().cloned().map(IntoActiveModel::into_active_model))
        .exec_without_returning(&txn)
        .await?;
    txn.commit().await?;
    Ok(rows)
}

/// Groups of the caller's neighbourhoods (or one neighbourhood), by name; open groups unless
/// `include_closed`.
pub async fn list(
    db: &(impl ConnectionTrait + Clone + Send + 'static),
    caller: &Caller,
    neighbourhood_id: Option<Uuid>,
    include_closed: bool,
    page: PageRequest,
) -> AppResult<Page<support_group::Model>> {
    use support_group::Column as C;
    let neighbourhoods: Vec<Uuid> = match neighbourhood_id {
        Some(n) if caller.takes_part_in(n) => vec![n],
        Some(_) => return Err(AppError::forbidden("your organisation does not take part in that neighbourhood")),
        None => caller.neighbourhood_ids.clone(),
    };
    let mut cond = Condition::any().add(C::OrganisationId.eq(caller.organisation_id));
    if !neighbourhoods.is_empty() {
        cond = cond.add(C::NeighbourhoodId.is_in(neighbourhoods.clone()));
    }
    let mut cond = Condition::all().add(cond);
    if let Some(n) = neighbourhood_id {
        cond = cond.add(C::NeighbourhoodId.eq(n));
    }
    if !include_closed {
        cond = cond.add(C::ClosedAt.is_null());
    }
    keyset_page(
        db,
        support_group::Entity::find().filter(cond),
        page,
        &[C::Name, C::Id],
        |key| after_name(C::Name, C::Id, key),
        |m| (m.name.clone(), m.id),
    )
    .await
}
