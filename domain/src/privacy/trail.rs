//! The access trail: every audited read of a person, newest first, as one row per person and
//! operation (who, as what, when, through which operation and field path, on what grounds), for
//! one person, one practitioner, or one practitioner's reads of one person.
//!
//! A person's trail is one range of `access_event_patient`'s key; a practitioner's starts from
//! their events (`idx_access_event_practitioner`) and reaches the people each read through
//! `idx_access_event_patient_event`. Either way only the people of the officer's neighbourhoods
//! are listed: a practitioner's reads elsewhere are another officer's to review.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};
use uuid::Uuid;

use entity::{access_event, access_event_patient, break_glass, patient};

use crate::auth::{AccessReason, Caller};
use crate::error::{AppError, AppResult};
use crate::pagination::{KeyedPageRequest, LazyCount, Page};

/// Which reads to list.
#[derive(Debug, Clone, Default)]
pub struct TrailFilter {
    /// Reads of this person (in the officer's scope; `super::person_in_scope`).
    pub patient: Option<patient::Model>,
    /// Reads by this practitioner.
    pub practitioner_id: Option<Uuid>,
    /// Reads at or after.
    pub from: Option<DateTime<Utc>>,
    /// Reads before.
    pub to: Option<DateTime<Utc>>,
    /// Reads on these grounds only.
    pub reason: Option<AccessReason>,
}

/// One person read by one audited operation.
#[derive(Debug, Clone, PartialEq)]
pub struct TrailEntry {
    pub event: access_event::Model,
    pub patient_id: Uuid,
    /// As stored (`AccessReason::as_str`).
    pub reason: String,
    /// For a read under break-glass: the use that opened it (its coded reason and the
    /// practitioner's own words).
    pub break_glass: Option<break_glass::Model>,
}

/// A cursor: the event and the person of the last row seen (ids only).
pub type TrailKey = (Uuid, Uuid);

/// One page of the trail, newest first. FORBIDDEN to anyone but a privacy officer; BAD_USER_INPUT
/// without a person or a practitioner, or with `from` not before `to`.
pub async fn trail<C>(
    db: &C,
    caller: &Caller,
    filter: TrailFilter,
    page: KeyedPageRequest<TrailKey>,
) -> AppResult<Page<TrailEntry>>
where
    C: ConnectionTrait + Clone + Send + 'static,
{
    use access_event_patient::Column as P;
    let scope = caller.review_scope()?;
    if filter.patient.is_none() && filter.practitioner_id.is_none() {
        return Err(AppError::bad_input(
            "patientId",
            "name a person (patientId or nhsNumber), a practitioner (practitionerId), or both",
        ));
    }
    if let (Some(from), Some(to)) = (filter.from, filter.to) {
        if from >= to {
            return Err(AppError::bad_input("from", "must be before `to`"));
        }
    }
    let mut base =
        access_event_patient::Entity::find().join(JoinType::InnerJoin, access_event_patient::Relation::Event.def());
    match &filter.patient {
        Some(person) if scope.covers(person) => base = base.filter(P::PatientId.eq(person.id)),
        Some(person) => return Err(AppError::not_found("patient in the neighbourhoods you review", person.id)),
        None => {
            let reviewed = Query::select()
                .column(patient::Column::Id)
                .from(patient::Entity)
                .cond_where(scope.condition())
                .to_owned();
            base = base.filter(P::PatientId.in_subquery(reviewed));
        }
    }
    if let Some(practitioner) = filter.practitioner_id {
        base = base.filter(access_event::Column::PractitionerId.eq(practitioner));
    }
    if let Some(from) = filter.from {
        base = base.filter(access_event::Column::OccurredAt.gte(from));
    }
    if let Some(to) = filter.to {
        base = base.filter(access_event::Column::OccurredAt.lt(to));
    }
    if let Some(reason) = filter.reason {
        base = base.filter(P::AccessReason.eq(reason.as_str()));
    }
    let total = LazyCount::of(db, base.clone());
    let had_cursor = page.after.is_some();
    let mut rows_select = base;
    if let Some((event, person)) = page.after {
        rows_select = rows_select.filter(
            Condition::any()
                .add(P::EventId.lt(event))
                .add(Condition::all().add(P::EventId.eq(event)).add(P::PatientId.lt(person))),
        );
    }
    let rows = rows_select
        .select_also(access_event::Entity)
        .order_by_desc(P::EventId)
        .order_by_desc(P::PatientId)
        .limit(page.limit + 1)
        .all(db)
        .await?;
    let mut entries = Vec::with_capacity(rows.len());
    for (person, event) in rows {
        let event =
            event.ok_or_else(|| AppError::internal(anyhow::anyhow!("an audited person without their event")))?;
        entries.push(TrailEntry {
            event,
            patient_id: person.patient_id,
            reason: person.access_reason,
            break_glass: None,
        });
    }
    attach_break_glass(db, &mut entries).await?;
    Ok(Page::from_rows(entries, page.limit, had_cursor, |e| (e.event.id, e.patient_id), |e| e, total))
}

/// Each read under break-glass with the use that opened it: the practitioner's latest use for the
/// person that began before the read. One statement, only when the page has such reads.
async fn attach_break_glass(db: &impl ConnectionTrait, entries: &mut [TrailEntry]) -> AppResult<()> {
    let broken: Vec<&TrailEntry> = entries.iter().filter(|e| e.reason == AccessReason::BreakGlass.as_str()).collect();
    if broken.is_empty() {
        return Ok(());
    }
    let practitioners: Vec<Uuid> = broken.iter().map(|e| e.event.practitioner_id).collect();
    let people: Vec<Uuid> = broken.iter().map(|e| e.patient_id).collect();
    let latest = broken.iter().map(|e| e.event.occurred_at).max();
    let mut uses = break_glass::Entity::find()
        .filter(break_glass::Column::PractitionerId.is_in(practitioners))
        .filter(break_glass::Column::PatientId.is_in(people));
    if let Some(latest) = latest {
        uses = uses.filter(break_glass::Column::StartedAt.lte(latest));
    }
    let uses = uses.order_by_desc(break_glass::Column::StartedAt).all(db).await?;
    for entry in entries.iter_mut().filter(|e| e.reason == AccessReason::BreakGlass.as_str()) {
        entry.break_glass = uses
            .iter()
            .find(|u| {
                u.practitioner_id == entry.event.practitioner_id
                    && u.patient_id == entry.patient_id
                    && u.started_at <= entry.event.occurred_at
            })
            .cloned();
    }
    Ok(())
}
