//! The referral relationship, read with the people a request loads rather than with the caller.
//!
//! A referral to the caller's organisation, or assigned to the caller, open or ended within
//! `AccessWindows::referral_days_after_end`, opens the person's record (`AccessReason::ReferralParty`).
//! A provider's worker, reached through relationships alone, may have thousands of such referrals,
//! so theirs are never loaded as a list:
//! - their scope carries their relationships as a sub-select ([`Caller::related_people`], in
//!   `PatientScope::condition`), one plan whatever their number;
//! - every statement that loads people for a decision (`Caller::grant_for`) answers, per person,
//!   whether a referral relates them to the caller ([`Caller::referral_party`]), and the loader
//!   tells the caller ([`load_people`], [`load_person`]). The caller keeps the answers for the
//!   request; a person it was never told about is refused (and, in a debug build, a panic names
//!   the load that forgot), never granted.
//!
//! Staff of a practice or PCN, who reach a population and receive few referrals beyond it, hold
//! theirs as a list loaded with them (`Caller::practice_referred_ids`) instead.
//!
//! The MDT, care-team and break-glass relationships stay with the caller (`auth::load_caller`):
//! an agenda, a team and a few uses are small by nature.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, JoinType, Query, SelectStatement, SimpleExpr, UnionType};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryResult, QuerySelect,
    Select,
};
use uuid::Uuid;

use entity::{care_team_member, mdt_agenda_item, mdt_invitation, mdt_meeting, patient, referral};

use super::Caller;
use crate::error::{AppError, AppResult};

/// The column each people-loading statement adds: whether a referral relates the person to the caller.
pub const REFERRAL_PARTY: &str = "referral_party";

/// What the request has learnt of the referral relationship, person by person. Shared by the
/// clones of one request's caller; a new request starts with none.
#[derive(Debug, Clone, Default)]
pub struct ReferralParties(Arc<Mutex<HashMap<Uuid, bool>>>);

impl PartialEq for ReferralParties {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || *self.known() == *other.known()
    }
}

impl ReferralParties {
    fn known(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, bool>> {
        // A panic elsewhere while the map was held leaves it whole: every insert is one call.
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records what a loading statement answered for a person.
    pub fn learn(&self, patient_id: Uuid, related: bool) {
        self.known().insert(patient_id, related);
    }

    /// Whether a referral relates the person to the caller; `None` when no statement said.
    pub fn of(&self, patient_id: Uuid) -> Option<bool> {
        self.known().get(&patient_id).copied()
    }
}

/// A moment `days` before now: on PostgreSQL written as `now()` and the configured days (numbers
/// from the configuration, never from a request), so that the statement keeps one generic plan;
/// on SQLite bound (it plans once per prepared statement anyway).
pub fn days_ago(backend: DatabaseBackend, days: i64) -> SimpleExpr {
    match backend {
        DatabaseBackend::Postgres => Expr::cust(format!("(now() - interval '{days} days')")),
        _ => Expr::val(chrono::Utc::now() - chrono::Duration::days(days)),
    }
}

impl Caller {
    /// The two halves of a referral's window, each an index seek on its own: open, or ended since
    /// the window began. `r` names the referral table.
    fn referral_window(&self, r: &Alias) -> [SimpleExpr; 2] {
        let since = days_ago(self.backend, i64::from(self.windows.referral_days_after_end));
        [
            Expr::col((r.clone(), referral::Column::EndedAt)).is_null(),
            Expr::col((r.clone(), referral::Column::EndedAt)).gte(since),
        ]
    }

    /// The referrals that relate a person to the caller: to their organisation or assigned to them,
    /// open or ended within the window. `r` names the referral table.
    fn relating_referrals(&self, r: &Alias) -> Condition {
        let [open, ended_since] = self.referral_window(r);
        Condition::all()
            .add(
                Condition::any()
                    .add(Expr::col((r.clone(), referral::Column::ReceivingOrganisationId)).eq(self.organisation_id))
                    .add(Expr::col((r.clone(), referral::Column::AssignedPractitionerId)).eq(self.practitioner_id)),
            )
            .add(Condition::any().add(open).add(ended_since))
    }

    /// The column a people-loading statement adds (as [`REFERRAL_PARTY`]): whether a referral
    /// relates the person in `patient_table` (the name or alias of the patient table in that
    /// statement) to the caller, for a caller reached through relationships alone (one seek of
    /// `idx_referral_patient` a person); NULL for everyone else, whom `grant_for` never asks about.
    pub fn referral_party(&self, patient_table: impl sea_orm::sea_query::IntoIden) -> SimpleExpr {
        let table = patient_table.into_iden();
        let r = Alias::new("r");
        let related: SimpleExpr = Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from_as(referral::Entity, r.clone())
                .and_where(
                    Expr::col((r.clone(), referral::Column::PatientId)).equals((table.clone(), patient::Column::Id)),
                )
                .cond_where(self.relating_referrals(&r))
                .to_owned(),
        );
        // Only those reached through relationships alone ask (practice and PCN staff hold theirs
        // as a list, and a caller who reads no record is never granted one by a referral).
        if self.reach() == Some(super::Reach::CareRelationships) {
            related
        } else {
            Expr::cust("CAST(NULL AS BOOLEAN)")
        }
    }

    /// Everyone the caller reaches through a care relationship (referral, care team, MDT agenda),
    /// as one sub-select: a scope reads it as `patient.id IN (…)`, which both planners drive from
    /// the relationship's own indexes when nothing else reaches (a provider's worker) and evaluate
    /// once per statement otherwise.
    pub fn related_people(&self) -> SelectStatement {
        let (r, t, i, m, a) = (Alias::new("r"), Alias::new("t"), Alias::new("i"), Alias::new("m"), Alias::new("a"));
        // Four selects (received, assigned; open, ended since), each an index seek on its first
        // columns (`idx_referral_receiving_ended`, `idx_referral_assigned_ended`).
        let mut referrals = Vec::new();
        for party in [
            Expr::col((r.clone(), referral::Column::ReceivingOrganisationId)).eq(self.organisation_id),
            Expr::col((r.clone(), referral::Column::AssignedPractitionerId)).eq(self.practitioner_id),
        ] {
            for window in self.referral_window(&r) {
                referrals.push(
                    Query::select()
                        .column((r.clone(), referral::Column::PatientId))
                        .from_as(referral::Entity, r.clone())
                        .and_where(party.clone())
                        .and_where(window)
                        .to_owned(),
                );
            }
        }
        let in_team = Query::select()
            .column((t.clone(), care_team_member::Column::PatientId))
            .from_as(care_team_member::Entity, t.clone())
            .and_where(Expr::col((t.clone(), care_team_member::Column::PractitionerId)).eq(self.practitioner_id))
            .and_where(Expr::col((t, care_team_member::Column::OpenKey)).is_not_null())
            .to_owned();
        let before = i64::from(self.windows.mdt_days_before);
        let after = i64::from(self.windows.mdt_days_after);
        let on_agenda = Query::select()
            .column((a.clone(), mdt_agenda_item::Column::PatientId))
            .from_as(mdt_invitation::Entity, i.clone())
            .join_as(
                JoinType::InnerJoin,
                mdt_meeting::Entity,
                m.clone(),
                Expr::col((m.clone(), mdt_meeting::Column::Id)).equals((i.clone(), mdt_invitation::Column::MeetingId)),
            )
            .join_as(
                JoinType::InnerJoin,
                mdt_agenda_item::Entity,
                a.clone(),
                Expr::col((a.clone(), mdt_agenda_item::Column::MeetingId)).equals((m.clone(), mdt_meeting::Column::Id)),
            )
            .and_where(Expr::col((i.clone(), mdt_invitation::Column::PractitionerId)).eq(self.practitioner_id))
            .and_where(Expr::col((i, mdt_invitation::Column::OpenKey)).is_not_null())
            .and_where(Expr::col((a, mdt_agenda_item::Column::OpenKey)).is_not_null())
            .and_where(Expr::col((m.clone(), mdt_meeting::Column::StartsAt)).lte(days_ago(self.backend, -before)))
            .and_where(Expr::col((m, mdt_meeting::Column::EndsAt)).gte(days_ago(self.backend, after)))
            .to_owned();
        let mut parts = referrals.into_iter().chain([in_team, on_agenda]);
        let mut all = parts.next().expect("four referral selects");
        for part in parts {
            all.union(UnionType::Distinct, part);
        }
        all
    }
}

impl Caller {
    /// Tells the request about the people of referrals it has read: a referral that relates its
    /// person to the caller by the rule of [`Caller::referral_party`] (to their organisation or
    /// assigned to them, open or ended within the window) settles the question for that person, so
    /// a later load of them need not ask the database again (a provider's inbox or a worker's
    /// caseload: every person on the page is related by the referral shown). Only ever learns that
    /// a person is related; a referral that does not relate them says nothing (another may).
    pub fn learn_from_referrals<'a>(&self, referrals: impl IntoIterator<Item = &'a referral::Model>) {
        if self.reach() != Some(super::Reach::CareRelationships) {
            return;
        }
        let since = chrono::Utc::now() - chrono::Duration::days(i64::from(self.windows.referral_days_after_end));
        for r in referrals {
            let party = r.receiving_organisation_id == self.organisation_id
                || r.assigned_practitioner_id == Some(self.practitioner_id);
            if party && r.ended_at.is_none_or(|ended| ended >= since) {
                self.referral_parties.learn(r.patient_id, true);
            }
        }
    }
}

/// A patient row with the [`REFERRAL_PARTY`] column.
struct PersonRow {
    patient: patient::Model,
    related: Option<bool>,
}

impl FromQueryResult for PersonRow {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        Ok(Self { patient: patient::Model::from_query_result(res, pre)?, related: res.try_get(pre, REFERRAL_PARTY)? })
    }
}

/// The people `select` returns, the caller told for each whether a referral relates them: every
/// load of people a decision is made on goes through here (or adds [`Caller::referral_party`] to
/// its own statement and tells the caller with [`read_person`]).
pub async fn load_people(
    db: &impl ConnectionTrait,
    caller: &Caller,
    select: Select<patient::Entity>,
) -> AppResult<Vec<patient::Model>> {
    let rows = select
        .column_as(caller.referral_party(patient::Entity), REFERRAL_PARTY)
        .into_model::<PersonRow>()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            if let Some(related) = row.related {
                caller.referral_parties.learn(row.patient.id, related);
            }
            row.patient
        })
        .collect())
}

/// The people with these ids ([`load_people`]); when the request already knows, for every one of
/// them, whether a referral relates them to the caller, the statement does not ask again.
pub async fn load_people_by_id(
    db: &impl ConnectionTrait,
    caller: &Caller,
    ids: &[Uuid],
) -> AppResult<Vec<patient::Model>> {
    let select =
        patient::Entity::find().filter(crate::sql::any_of(db.get_database_backend(), patient::Column::Id, ids));
    if ids.iter().all(|id| caller.referral_parties.of(*id).is_some()) {
        return Ok(select.all(db).await?);
    }
    load_people(db, caller, select).await
}

/// One person by id ([`load_people`]); `None` when there is no such person.
pub async fn load_person(db: &impl ConnectionTrait, caller: &Caller, id: Uuid) -> AppResult<Option<patient::Model>> {
    Ok(load_people(db, caller, patient::Entity::find_by_id(id)).await?.into_iter().next())
}

/// One person, by id, or NOT_FOUND ([`load_person`]).
pub async fn person(db: &impl ConnectionTrait, caller: &Caller, id: Uuid) -> AppResult<patient::Model> {
    load_person(db, caller, id).await?.ok_or_else(|| AppError::not_found("patient", id))
}

/// The patient of a row of a statement that added [`Caller::referral_party`] as
/// [`REFERRAL_PARTY`], with the caller told; `pre` as sea-orm's prefix of the patient's columns.
pub fn read_person(caller: &Caller, row: &QueryResult, pre: &str) -> Result<patient::Model, DbErr> {
    let person = patient::Model::from_query_result(row, pre)?;
    let related: Option<bool> = row.try_get("", REFERRAL_PARTY)?;
    if let Some(related) = related {
        caller.referral_parties.learn(person.id, related);
    }
    Ok(person)
}
