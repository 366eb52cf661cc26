//! Multidisciplinary team (MDT) meetings of a neighbourhood: scheduling, invitations and
//! attendance with quoracy (the disciplines the neighbourhood requires), the agenda (one person per
//! item, ordered), and the decisions and owned actions recorded per item, with open actions
//! carried forward to later meetings. A closed meeting is read-only except the status of its actions.
//!
//! Organising a meeting (scheduling, inviting, the agenda) is for staff of the neighbourhood's
//! organisations who see its people's records; invited practitioners record decisions and actions.

pub mod proposal;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionSession, TransactionTrait,
};
use uuid::Uuid;

use entity::{
    mdt_action, mdt_action_event, mdt_agenda_item, mdt_decision, mdt_invitation, mdt_meeting,
    mdt_meeting_required_discipline, neighbourhood_required_discipline, patient, practitioner, AgendaItemKind,
    Discipline, MeetingAttendance, MeetingStatus, PlanActionStatus, ProfessionalRole,
};

use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::live::{ChangeKind, MeetingChanged};
use crate::referrals::bounded_text;

/// Required when a neighbourhood has not set its own: the core of an INT's MDT.
pub const DEFAULT_REQUIRED: &[Discipline] = &[
    Discipline::GeneralPractice,
    Discipline::AdultSocialCare,
    Discipline::MentalHealth,
    Discipline::CommunityNursing,
    Discipline::SocialPrescribing,
];
/// Longest meeting.
pub const MAX_MEETING_HOURS: i64 = 8;
/// Most people on one agenda.
pub const MAX_AGENDA_ITEMS: u64 = 60;

/// The discipline a practitioner brings to an MDT, from their professional role.
pub fn discipline_of(role: ProfessionalRole) -> Option<Discipline> {
    use ProfessionalRole as R;
    Some(match role {
        R::Gp => Discipline::GeneralPractice,
        R::PracticeNurse => Discipline::PracticeNursing,
        R::Pharmacist => Discipline::Pharmacy,
        R::SocialPrescribingLinkWorker | R::HealthAndWellbeingCoach | R::CareCoordinator => {
            Discipline::SocialPrescribing
        }
        R::SocialWorker => Discipline::AdultSocialCare,
        R::MentalHealthPractitioner => Discipline::MentalHealth,
        R::DistrictNurse => Discipline::CommunityNursing,
        R::OccupationalTherapist => Discipline::OccupationalTherapy,
        R::VcseWorker => Discipline::VoluntarySector,
        R::IntCoordinator => Discipline::Coordination,
        R::Receptionist | R::Commissioner => return None,
    })
}

/// What a meeting's quoracy is measured against: its own list and its neighbourhood's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Requirements {
    /// The meeting's own list (empty: it follows the neighbourhood).
    pub own: Vec<Discipline>,
    /// The neighbourhood's list (empty: the default).
    pub neighbourhood: Vec<Discipline>,
}

/// The requirements of each of `meeting_ids`, in one statement: the meetings' own rows and their
/// neighbourhoods' rows, as one union. A meeting that is not there is left out.
pub async fn requirements_of(
    db: &impl ConnectionTrait,
    meeting_ids: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, Requirements>> {
    use crate::sql::any_of;
    use entity::mdt_meeting_required_discipline as own;
    use neighbourhood_required_discipline as inherited;
    use sea_orm::sea_query::{Alias, Query, UnionType};
    let mut found: std::collections::HashMap<Uuid, Requirements> = std::collections::HashMap::new();
    if meeting_ids.is_empty() {
        return Ok(found);
    }
    let backend = db.get_database_backend();
    let (meeting, is_own, discipline) = (Alias::new("meeting_id"), Alias::new("is_own"), Alias::new("discipline"));
    let mut statement = Query::select()
        .expr_as(Expr::col((mdt_meeting::Entity, mdt_meeting::Column::Id)), meeting.clone())
        .expr_as(Expr::val(false), is_own.clone())
        .expr_as(Expr::col((inherited::Entity, inherited::Column::Discipline)), discipline.clone())
        .from(mdt_meeting::Entity)
        .inner_join(
            inherited::Entity,
            Expr::col((inherited::Entity, inherited::Column::NeighbourhoodId))
                .equals((mdt_meeting::Entity, mdt_meeting::Column::NeighbourhoodId)),
        )
        .and_where(any_of(backend, mdt_meeting::Column::Id, meeting_ids))
        .to_owned();
    statement.union(
        UnionType::All,
        Query::select()
            .expr_as(Expr::col((own::Entity, own::Column::MeetingId)), meeting.clone())
            .expr_as(Expr::val(true), is_own.clone())
            .expr_as(Expr::col((own::Entity, own::Column::Discipline)), discipline.clone())
            .from(own::Entity)
            .and_where(any_of(backend, own::Column::MeetingId, meeting_ids))
            .to_owned(),
    );
    for id in meeting_ids {
        found.insert(*id, Requirements::default());
    }
    for row in db.query_all(&statement).await? {
        let id: Uuid = row.try_get("", "meeting_id")?;
        let value: String = row.try_get("", "discipline")?;
        let d = Discipline::try_from_value(&value)?;
        let entry = found.entry(id).or_default();
        if row.try_get::<bool>("", "is_own")? {
            entry.own.push(d);
        } else {
            entry.neighbourhood.push(d);
        }
    }
    Ok(found)
}

/// The disciplines a meeting requires: its own list, else its neighbourhood's, else the default.
pub fn required_disciplines(requirements: Requirements) -> Vec<Discipline> {
    let mut list = if !requirements.own.is_empty() {
        requirements.own
    } else if !requirements.neighbourhood.is_empty() {
        requirements.neighbourhood
    } else {
        DEFAULT_REQUIRED.to_vec()
    };
    list.sort();
    list.dedup();
    list
}

/// Sets the disciplines a neighbourhood's meetings require (replacing the list in one
/// transaction); meetings with their own list keep it.
pub async fn set_required_disciplines(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    neighbourhood_id: Uuid,
    disciplines: Vec<Discipline>,
) -> AppResult<MeetingChanged<Vec<Discipline>>> {
    if !caller.may_manage_cohorts(neighbourhood_id) {
        return Err(AppError::forbidden("the neighbourhood's own staff set what its meetings require"));
    }
    let mut list = disciplines;
    list.sort();
    list.dedup();
    if list.is_empty() {
        return Err(AppError::bad_input("disciplines", "name at least one discipline"));
    }
    let txn = db.begin().await?;
    neighbourhood_required_discipline::Entity::delete_many()
        .filter(neighbourhood_required_discipline::Column::NeighbourhoodId.eq(neighbourhood_id))
        .exec(&txn)
        .await?;
    neighbourhood_required_discipline::Entity::insert_many(
        list.iter()
            .map(|d| neighbourhood_required_discipline::Model { neighbourhood_id, discipline: *d }.into_active_model()),
    )
    .exec_without_returning(&txn)
    .await?;
    let following = following_neighbourhood(&txn, neighbourhood_id).await?;
    txn.commit().await?;
    Ok(MeetingChanged::each(list, following, ChangeKind::Requirements))
}

/// The neighbourhood's meetings that follow its required disciplines: not closed, with no list of
/// their own. Their quoracy changes with the neighbourhood's list.
async fn following_neighbourhood(db: &impl ConnectionTrait, neighbourhood_id: Uuid) -> AppResult<Vec<Uuid>> {
    let own_list = Query::select()
        .expr(Expr::val(1))
        .from(mdt_meeting_required_discipline::Entity)
        .and_where(
            Expr::col((mdt_meeting_required_discipline::Entity, mdt_meeting_required_discipline::Column::MeetingId))
                .equals((mdt_meeting::Entity, mdt_meeting::Column::Id)),
        )
        .to_owned();
    Ok(mdt_meeting::Entity::find()
        .select_only()
        .column(mdt_meeting::Column::Id)
        .filter(mdt_meeting::Column::NeighbourhoodId.eq(neighbourhood_id))
        .filter(mdt_meeting::Column::Status.ne(MeetingStatus::Closed))
        .filter(Expr::exists(own_list).not())
        .into_tuple()
        .all(db)
        .await?)
}

/// Whether the disciplines present cover those required, and which are missing.
#[derive(Debug, Clone, PartialEq)]
pub struct Quoracy {
    pub required: Vec<Discipline>,
    /// Disciplines expected (invited, no apologies) or, once the meeting has started, present.
    pub present: Vec<Discipline>,
    pub missing: Vec<Discipline>,
}

impl Quoracy {
    pub fn is_quorate(&self) -> bool {
        self.missing.is_empty()
    }
}

/// Quoracy from a meeting's standing invitations: before it starts, everyone invited who has not
/// sent apologies counts; from the start, only those recorded as attending.
pub fn quoracy(
    meeting: &mdt_meeting::Model,
    required: Vec<Discipline>,
    invitations: &[mdt_invitation::Model],
) -> Quoracy {
    let counts = |i: &&mdt_invitation::Model| match meeting.status {
        MeetingStatus::Planned => i.attendance != MeetingAttendance::Apologies,
        MeetingStatus::InProgress | MeetingStatus::Closed => i.attendance == MeetingAttendance::Attended,
    };
    let present: BTreeSet<Discipline> =
        invitations.iter().filter(|i| i.open_key.is_some()).filter(counts).map(|i| i.discipline).collect();
    let missing = required.iter().copied().filter(|d| !present.contains(d)).collect();
    Quoracy { required, present: present.into_iter().collect(), missing }
}

/// A meeting the caller may see: staff of the neighbourhood's organisations, and anyone invited.
pub async fn get(db: &impl ConnectionTrait, caller: &Caller, id: Uuid) -> AppResult<mdt_meeting::Model> {
    let meeting =
        mdt_meeting::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found("meeting", id))?;
    if caller.neighbourhood_ids.contains(&meeting.neighbourhood_id) || is_invited(db, caller, id).await? {
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

/// The unique key of a standing invitation (NULL once withdrawn).
pub fn invitation_key(meeting: Uuid, practitioner: Uuid) -> String {
    crate::open_key::of(meeting, practitioner)
}

/// The unique key of a person's place on an agenda (NULL once taken off).
pub fn item_key(meeting: Uuid, patient: Uuid) -> String {
    crate::open_key::of(meeting, patient)
}

/// The meeting, if the caller may organise it (staff of the neighbourhood who see its people).
pub async fn organised(db: &impl ConnectionTrait, caller: &Caller, id: Uuid) -> AppResult<mdt_meeting::Model> {
    let meeting = get(db, caller, id).await?;
    if !caller.may_manage_cohorts(meeting.neighbourhood_id) {
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
    if !caller.may_manage_cohorts(new.neighbourhood_id) {
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
) -> AppResult<MeetingChanged<(mdt_meeting::Model, mdt_agenda_item::Model)>> {
    let meeting = organised(db, caller, meeting_id).await?;
    not_closed(&meeting)?;
    let reason = bounded_text("reason", Some(new.reason))?
        .ok_or_else(|| AppError::bad_input("reason", "say why the person is on the agenda"))?;
    if !(1..=120).contains(&new.minutes_allotted) {
        return Err(AppError::bad_input("minutesAllotted", "must be 1 to 120"));
    }
    let person = patient::Entity::find_by_id(new.patient_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::bad_input("patientId", "no such patient"))?;
    if person.neighbourhood_id != meeting.neighbourhood_id {
        return Err(AppError::bad_input("patientId", "the person belongs to another neighbourhood's team"));
    }
    caller.grant_for(&person).ok_or_else(|| AppError::forbidden("you have no care relationship with this person"))?;
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
        Ok(_) => Ok(MeetingChanged::one((meeting, model), meeting_id, ChangeKind::Agenda)),
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
    if !(caller.may_manage_cohorts(meeting.neighbourhood_id) || is_invited(db, caller, meeting.id).await?) {
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
    let may = action.owner_practitioner_id == Some(caller.practitioner_id)
        || action.owner_organisation_id == Some(caller.organisation_id)
        || caller.may_manage_cohorts(meeting.neighbourhood_id);
    if !may {
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

#[cfg(test)]
mod lists_as_rows_tests {
    use sea_orm::{ActiveEnum, Iterable};

    use super::*;

    /// Migration 000014 carried the disciplines it knew into rows and dropped the rest, as the old
    /// parser ignored them; every one it kept must read back as a `Discipline`.
    #[test]
    fn every_discipline_the_migration_keeps_reads_back() {
        let known: Vec<String> = Discipline::iter().map(|d| d.to_value()).collect();
        for value in migration::LISTED_DISCIPLINES {
            assert!(known.iter().any(|k| k == value), "{value} is not a Discipline");
        }
    }
}
