//! Personalised care and support plans: one current plan per person ("what matters to me",
//! strengths, goals, actions with owners and dates, review date), every change a new version with
//! its revision kept, and the person's agreement to share the plan summary with named
//! organisations (withdrawn at any time, closing access at once).
//!
//! Concurrent edits: every save names the version it was based on; the update applies only if the
//! plan is still at that version (checked in the UPDATE itself), else `CONFLICT` with the current
//! version, so nobody's change is silently overwritten.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, TransactionSession,
    TransactionTrait,
};
use serde::Serialize;
use uuid::Uuid;

use entity::{
    care_plan, care_plan_action, care_plan_goal, care_plan_revision, care_plan_share, neighbourhood_organisation,
    organisation, patient, practitioner, GoalStatus, OrganisationKind, PlanActionStatus, ReferralNeed,
};

use crate::auth::{Caller, Grant};
use crate::error::{AppError, AppResult};
use crate::outcomes::patient_with_full_access;
use crate::pagination::{keyset_page, Page, PageRequest};
use crate::referrals::bounded_text;

pub const MAX_GOALS: usize = 30;
pub const MAX_ACTIONS: usize = 60;

#[derive(Debug, Clone)]
pub struct GoalDraft {
    /// Keeps the identity of an existing goal of this plan; new goals leave it empty.
    pub id: Option<Uuid>,
    pub need: ReferralNeed,
    pub text: String,
    pub status: GoalStatus,
    pub target_date: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
pub struct ActionDraft {
    pub id: Option<Uuid>,
    /// Position of the goal it serves in the submitted goals.
    pub goal_index: Option<usize>,
    pub text: String,
    pub owner_organisation_id: Option<Uuid>,
    pub owner_practitioner_id: Option<Uuid>,
    pub due_date: Option<NaiveDate>,
    pub status: PlanActionStatus,
}

/// The whole content of a plan as the client sends it (a save replaces the content).
#[derive(Debug, Clone)]
pub struct PlanDraft {
    pub what_matters: String,
    pub strengths: Option<String>,
    pub review_date: Option<NaiveDate>,
    pub goals: Vec<GoalDraft>,
    pub actions: Vec<ActionDraft>,
}

/// What a revision keeps: the plan as it stood at one version.
#[derive(Debug, Serialize)]
struct Snapshot<'a> {
    what_matters: &'a str,
    strengths: Option<&'a str>,
    review_date: Option<NaiveDate>,
    goals: Vec<SnapshotGoal<'a>>,
    actions: Vec<SnapshotAction<'a>>,
}

#[derive(Debug, Serialize)]
struct SnapshotGoal<'a> {
    id: Uuid,
    need: String,
    text: &'a str,
    status: String,
    target_date: Option<NaiveDate>,
}

#[derive(Debug, Serialize)]
struct SnapshotAction<'a> {
    id: Uuid,
    goal_id: Option<Uuid>,
    text: &'a str,
    owner_organisation_id: Option<Uuid>,
    owner_practitioner_id: Option<Uuid>,
    due_date: Option<NaiveDate>,
    status: String,
}

fn required_text(field: &str, text: String) -> AppResult<String> {
    bounded_text(field, Some(text))?.ok_or_else(|| AppError::bad_input(field, "must not be empty"))
}

/// Checks a draft and resolves what it refers to; returns the rows to write (ids fixed).
async fn rows_for(
    db: &impl ConnectionTrait,
    plan_id: Uuid,
    draft: PlanDraft,
    existing_goals: &HashSet<Uuid>,
    existing_actions: &HashSet<Uuid>,
) -> AppResult<(String, Option<String>, Vec<care_plan_goal::Model>, Vec<care_plan_action::Model>)> {
    let what_matters = required_text("whatMatters", draft.what_matters)?;
    let strengths = bounded_text("strengths", draft.strengths)?;
    if draft.goals.len() > MAX_GOALS {
        return Err(AppError::bad_input("goals", format!("a plan holds at most {MAX_GOALS} goals")));
    }
    if draft.actions.len() > MAX_ACTIONS {
        return Err(AppError::bad_input("actions", format!("a plan holds at most {MAX_ACTIONS} actions")));
    }
    let mut goals = Vec::with_capacity(draft.goals.len());
    let mut seen = HashSet::new();
    for (k, g) in draft.goals.into_iter().enumerate() {
        let id = match g.id {
            Some(id) if existing_goals.contains(&id) && seen.insert(id) => id,
            Some(id) => {
                return Err(AppError::bad_input(
                    "goals",
                    format!("goal {k}: {id} is not a goal of this plan (leave id empty for a new goal)"),
                ))
            }
            None => Uuid::now_v7(),
        };
        goals.push(care_plan_goal::Model {
            id,
            plan_id,
            position: k as i32,
            need: g.need,
            text: required_text("goals", g.text)
                .map_err(|_| AppError::bad_input("goals", format!("goal {k} needs its text")))?,
            status: g.status,
            target_date: g.target_date,
        });
    }
    let mut actions = Vec::with_capacity(draft.actions.len());
    let mut organisations = HashSet::new();
    let mut practitioners = HashSet::new();
    for (k, a) in draft.actions.into_iter().enumerate() {
        let id = match a.id {
            Some(id) if existing_actions.contains(&id) && seen.insert(id) => id,
            Some(id) => {
                return Err(AppError::bad_input(
                    "actions",
                    format!("action {k}: {id} is not an action of this plan (leave id empty for a new action)"),
                ))
            }
            None => Uuid::now_v7(),
        };
        let goal_id = match a.goal_index {
            Some(i) => Some(goals.get(i).map(|g| g.id).ok_or_else(|| {
                AppError::bad_input("actions", format!("action {k}: goalIndex {i} is not one of the plan's goals"))
            })?),
            None => None,
        };
        if a.owner_organisation_id.is_none() && a.owner_practitioner_id.is_none() {
            return Err(AppError::bad_input(
                "actions",
                format!("action {k} needs an owner: an organisation, a practitioner or both"),
            ));
        }
        organisations.extend(a.owner_organisation_id);
        practitioners.extend(a.owner_practitioner_id);
        actions.push(care_plan_action::Model {
            id,
            plan_id,
            goal_id,
            position: k as i32,
            text: required_text("actions", a.text)
                .map_err(|_| AppError::bad_input("actions", format!("action {k} needs its text")))?,
            owner_organisation_id: a.owner_organisation_id,
            owner_practitioner_id: a.owner_practitioner_id,
            due_date: a.due_date,
            status: a.status,
        });
    }
    if !organisations.is_empty() {
        let found = organisation::Entity::find()
            .filter(organisation::Column::Id.is_in(organisations.iter().copied()))
            .count(db)
            .await? as usize;
        if found != organisations.len() {
            return Err(AppError::bad_input("actions", "an owner organisation does not exist"));
        }
    }
    if !practitioners.is_empty() {
        let found: HashMap<Uuid, practitioner::Model> = practitioner::Entity::find()
            .filter(practitioner::Column::Id.is_in(practitioners.iter().copied()))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        if found.len() != practitioners.len() {
            return Err(AppError::bad_input("actions", "an owner practitioner does not exist"));
        }
        for (k, a) in actions.iter().enumerate() {
            if let (Some(org), Some(p)) = (a.owner_organisation_id, a.owner_practitioner_id) {
                if found[&p].organisation_id != org {
                    return Err(AppError::bad_input(
                        "actions",
                        format!("action {k}: the owner practitioner does not work for the owner organisation"),
                    ));
                }
            }
        }
    }
    Ok((what_matters, strengths, goals, actions))
}

/// The JSON a revision keeps (also written by the demo generator).
pub fn snapshot(
    plan: &care_plan::Model,
    goals: &[care_plan_goal::Model],
    actions: &[care_plan_action::Model],
) -> AppResult<String> {
    use sea_orm::ActiveEnum;
    let content = Snapshot {
        what_matters: &plan.what_matters,
        strengths: plan.strengths.as_deref(),
        review_date: plan.review_date,
        goals: goals
            .iter()
            .map(|g| SnapshotGoal {
                id: g.id,
                need: g.need.to_value(),
                text: &g.text,
                status: g.status.to_value(),
                target_date: g.target_date,
            })
            .collect(),
        actions: actions
            .iter()
            .map(|a| SnapshotAction {
                id: a.id,
                goal_id: a.goal_id,
                text: &a.text,
                owner_organisation_id: a.owner_organisation_id,
                owner_practitioner_id: a.owner_practitioner_id,
                due_date: a.due_date,
                status: a.status.to_value(),
            })
            .collect(),
    };
    serde_json::to_string(&content).map_err(AppError::internal)
}

/// The person's plan, if any.
pub async fn find_for_patient(db: &impl ConnectionTrait, patient_id: Uuid) -> AppResult<Option<care_plan::Model>> {
    Ok(care_plan::Entity::find().filter(care_plan::Column::PatientId.eq(patient_id)).one(db).await?)
}

fn stale(current: &care_plan::Model, base: i32) -> AppError {
    AppError::stale(
        format!(
            "the plan was changed by someone else: it is now at version {} (you edited version {base}); reload it, reapply your change and save against version {}",
            current.version, current.version
        ),
        current.id,
        current.version,
    )
}

/// Writes a new plan (`base_version` absent) or a new version of the current one, with its
/// revision, in one transaction. Returns the plan and the caller's grant on the person.
pub async fn save(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    patient_id: Uuid,
    base_version: Option<i32>,
    draft: PlanDraft,
) -> AppResult<(care_plan::Model, Grant)> {
    let (patient, grant) = patient_with_full_access(db, caller, patient_id).await?;
    let current = find_for_patient(db, patient.id).await?;
    let now = Utc::now();
    match (current, base_version) {
        (None, Some(_)) => Err(AppError::bad_input(
            "baseVersion",
            "the person has no plan yet; leave baseVersion empty to write the first",
        )),
        (Some(current), None) => Err(AppError::stale(
            format!(
                "the person already has a plan (version {}); save against baseVersion {}",
                current.version, current.version
            ),
            current.id,
            current.version,
        )),
        (Some(current), Some(base)) if current.version != base => Err(stale(&current, base)),
        (None, None) => {
            let id = Uuid::now_v7();
            let (what_matters, strengths, goals, actions) =
                rows_for(db, id, draft.clone(), &HashSet::new(), &HashSet::new()).await?;
            let plan = care_plan::Model {
                id,
                patient_id: patient.id,
                version: 1,
                what_matters,
                strengths,
                review_date: draft.review_date,
                created_by: caller.practitioner_id,
                created_at: now,
                updated_by: caller.practitioner_id,
                updated_organisation_id: caller.organisation_id,
                updated_at: now,
            };
            let revision = revision_row(caller, &plan, &goals, &actions)?;
            let txn = db.begin().await?;
            let inserted =
                care_plan::Entity::insert(plan.clone().into_active_model()).exec_without_returning(&txn).await;
            if let Err(e) = inserted {
                txn.rollback().await?;
                if crate::open_key::taken(&e) {
                    if let Some(winner) = find_for_patient(db, patient.id).await? {
                        return Err(AppError::conflict_with(
                            format!(
                                "someone else wrote this person's plan first (version {}); reload it",
                                winner.version
                            ),
                            winner.id,
                        ));
                    }
                }
                return Err(e.into());
            }
            write_children(&txn, &goals, &actions).await?;
            care_plan_revision::Entity::insert(revision.into_active_model()).exec_without_returning(&txn).await?;
            txn.commit().await?;
            Ok((plan, grant))
        }
        (Some(current), Some(base)) => {
            let existing_goals: HashSet<Uuid> = care_plan_goal::Entity::find()
                .filter(care_plan_goal::Column::PlanId.eq(current.id))
                .all(db)
                .await?
                .into_iter()
                .map(|g| g.id)
                .collect();
            let existing_actions: HashSet<Uuid> = care_plan_action::Entity::find()
                .filter(care_plan_action::Column::PlanId.eq(current.id))
                .all(db)
                .await?
                .into_iter()
                .map(|a| a.id)
                .collect();
            let (what_matters, strengths, goals, actions) =
                rows_for(db, current.id, draft.clone(), &existing_goals, &existing_actions).await?;
            let plan = care_plan::Model {
                version: base + 1,
                what_matters,
                strengths,
                review_date: draft.review_date,
                updated_by: caller.practitioner_id,
                updated_organisation_id: caller.organisation_id,
                updated_at: now,
                ..current.clone()
            };
            let revision = revision_row(caller, &plan, &goals, &actions)?;
            let txn = db.begin().await?;
            // The version check is part of the UPDATE: of two saves based on the same version, one applies.
            let updated = care_plan::Entity::update_many()
                .col_expr(care_plan::Column::Version, Expr::value(plan.version))
                .col_expr(care_plan::Column::WhatMatters, Expr::value(plan.what_matters.clone()))
                .col_expr(care_plan::Column::Strengths, Expr::value(plan.strengths.clone()))
                .col_expr(care_plan::Column::ReviewDate, Expr::value(plan.review_date))
                .col_expr(care_plan::Column::UpdatedBy, Expr::value(plan.updated_by))
                .col_expr(care_plan::Column::UpdatedOrganisationId, Expr::value(plan.updated_organisation_id))
                .col_expr(care_plan::Column::UpdatedAt, Expr::value(plan.updated_at))
                .filter(care_plan::Column::Id.eq(current.id))
                .filter(care_plan::Column::Version.eq(base))
                .exec(&txn)
                .await?;
            if updated.rows_affected != 1 {
                txn.rollback().await?;
                let now_current = find_for_patient(db, patient.id).await?.unwrap_or(current);
                return Err(stale(&now_current, base));
            }
            care_plan_action::Entity::delete_many()
                .filter(care_plan_action::Column::PlanId.eq(current.id))
                .exec(&txn)
                .await?;
            care_plan_goal::Entity::delete_many()
                .filter(care_plan_goal::Column::PlanId.eq(current.id))
                .exec(&txn)
                .await?;
            write_children(&txn, &goals, &actions).await?;
            care_plan_revision::Entity::insert(revision.into_active_model()).exec_without_returning(&txn).await?;
            txn.commit().await?;
            Ok((plan, grant))
        }
    }
}

fn revision_row(
    caller: &Caller,
    plan: &care_plan::Model,
    goals: &[care_plan_goal::Model],
    actions: &[care_plan_action::Model],
) -> AppResult<care_plan_revision::Model> {
    Ok(care_plan_revision::Model {
        id: Uuid::now_v7(),
        plan_id: plan.id,
        version: plan.version,
        content: snapshot(plan, goals, actions)?,
        changed_by: caller.practitioner_id,
        changed_organisation_id: caller.organisation_id,
        changed_at: plan.updated_at,
    })
}

async fn write_children(
    txn: &impl ConnectionTrait,
    goals: &[care_plan_goal::Model],
    actions: &[care_plan_action::Model],
) -> AppResult<()> {
    if !goals.is_empty() {
        care_plan_goal::Entity::insert_many(goals.iter().cloned().map(IntoActiveModel::into_active_model))
            .exec_without_returning(txn)
            .await?;
    }
    if !actions.is_empty() {
        care_plan_action::Entity::insert_many(actions.iter().cloned().map(IntoActiveModel::into_active_model))
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// The unique key of an open sharing agreement (NULL once withdrawn).
pub fn share_key(plan_id: Uuid, organisation_id: Uuid) -> String {
    crate::open_key::of(plan_id, organisation_id)
}

/// Records the person's agreement that `organisation_id` may see their plan summary. Returns the
/// agreement, whether it was recorded now (false: it already stood) and the caller's grant on the
/// person (what the audit records).
pub async fn share(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    patient_id: Uuid,
    organisation_id: Uuid,
) -> AppResult<(care_plan_share::Model, bool, Grant)> {
    let (patient, grant) = patient_with_full_access(db, caller, patient_id).await?;
    let plan = find_for_patient(db, patient.id)
        .await?
        .ok_or_else(|| AppError::bad_input("patientId", "the person has no plan to share yet"))?;
    let org = organisation::Entity::find_by_id(organisation_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::bad_input("organisationId", "no such organisation"))?;
    if org.kind == OrganisationKind::Icb {
        return Err(AppError::bad_input(
            "organisationId",
            "commissioners see aggregates only; a plan is not shared with them",
        ));
    }
    let takes_part = neighbourhood_organisation::Entity::find()
        .filter(neighbourhood_organisation::Column::NeighbourhoodId.eq(patient.neighbourhood_id))
        .filter(neighbourhood_organisation::Column::OrganisationId.eq(org.id))
        .count(db)
        .await?;
    if takes_part == 0 {
        return Err(AppError::bad_input(
            "organisationId",
            format!("{} does not take part in the person's neighbourhood", org.name),
        ));
    }
    let key = share_key(plan.id, org.id);
    let open = |db| care_plan_share::Entity::find().filter(care_plan_share::Column::OpenKey.eq(key.clone())).one(db);
    if let Some(existing) = open(db).await? {
        return Ok((existing, false, grant));
    }
    let row = care_plan_share::Model {
        id: Uuid::now_v7(),
        plan_id: plan.id,
        patient_id: patient.id,
        organisation_id: org.id,
        open_key: Some(key.clone()),
        recorded_by: caller.practitioner_id,
        recorded_at: Utc::now(),
        withdrawn_by: None,
        withdrawn_at: None,
    };
    match care_plan_share::Entity::insert(row.clone().into_active_model()).exec_without_returning(db).await {
        Ok(_) => Ok((row, true, grant)),
        Err(e) if crate::open_key::taken(&e) => {
            // A concurrent request recorded the same agreement.
            open(db).await?.map(|s| (s, false, grant)).ok_or_else(|| e.into())
        }
        Err(e) => Err(e.into()),
    }
}

/// Withdraws the agreement: from now on the organisation sees nothing of the plan. Returns the
/// withdrawn agreement and the caller's grant on the person.
pub async fn withdraw(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    patient_id: Uuid,
    organisation_id: Uuid,
) -> AppResult<(care_plan_share::Model, Grant)> {
    let (patient, grant) = patient_with_full_access(db, caller, patient_id).await?;
    let plan = find_for_patient(db, patient.id)
        .await?
        .ok_or_else(|| AppError::bad_input("patientId", "the person has no plan"))?;
    let Some(open) = care_plan_share::Entity::find()
        .filter(care_plan_share::Column::OpenKey.eq(share_key(plan.id, organisation_id)))
        .one(db)
        .await?
    else {
        return Err(AppError::bad_input("organisationId", "the plan is not shared with that organisation"));
    };
    let now = Utc::now();
    let result = care_plan_share::Entity::update_many()
        .col_expr(care_plan_share::Column::OpenKey, crate::open_key::closed())
        .col_expr(care_plan_share::Column::WithdrawnAt, Expr::value(Some(now)))
        .col_expr(care_plan_share::Column::WithdrawnBy, Expr::value(Some(caller.practitioner_id)))
        .filter(care_plan_share::Column::Id.eq(open.id))
        .filter(care_plan_share::Column::OpenKey.is_not_null())
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Err(AppError::conflict_with("the agreement was withdrawn by someone else a moment ago", open.id));
    }
    let withdrawn = care_plan_share::Model {
        open_key: None,
        withdrawn_at: Some(now),
        withdrawn_by: Some(caller.practitioner_id),
        ..open
    };
    Ok((withdrawn, grant))
}

/// Whether an agreement to share `plan_id` with the caller's organisation stands now.
pub async fn share_with_caller(
    db: &impl ConnectionTrait,
    caller: &Caller,
    plan_id: Uuid,
) -> AppResult<Option<care_plan_share::Model>> {
    Ok(care_plan_share::Entity::find()
        .filter(care_plan_share::Column::OpenKey.eq(share_key(plan_id, caller.organisation_id)))
        .one(db)
        .await?)
}

/// The caller's view of a person's plan: the full plan under a care relationship, the summary
/// where the person agreed to share it with the caller's organisation, otherwise nothing.
pub async fn read(
    db: &impl ConnectionTrait,
    caller: &Caller,
    patient_id: Uuid,
) -> AppResult<Option<(care_plan::Model, patient::Model, Grant)>> {
    let patient = crate::auth::person(db, caller, patient_id).await?;
    let plan = find_for_patient(db, patient.id).await?;
    let own = caller.grant_for(&patient);
    if let Some(grant) = own.filter(|g| g.level().opens_clinical()) {
        return Ok(plan.map(|p| (p, patient, grant)));
    }
    if let Some(plan) = plan {
        let share = share_with_caller(db, caller, plan.id).await?;
        if let Some(grant) = share.and_then(|share| caller.grant_through_share(&patient, &share)) {
            return Ok(Some((plan, patient, grant)));
        }
    }
    if own.is_some() {
        return Err(AppError::forbidden(
            "a care plan is clinical and your role reads the administrative record only (unless the person shares the plan with your organisation)",
        ));
    }
    Err(AppError::forbidden("the person has not agreed to share their plan with your organisation"))
}

/// Agreements that share a plan summary with the caller's organisation now, oldest first.
pub async fn shared_with_me(
    db: &(impl ConnectionTrait + Clone + Send + 'static),
    caller: &Caller,
    page: PageRequest,
) -> AppResult<Page<care_plan_share::Model>> {
    use care_plan_share::Column as C;
    keyset_page(
        db,
        care_plan_share::Entity::find()
            .filter(C::OrganisationId.eq(caller.organisation_id))
            .filter(C::OpenKey.is_not_null()),
        page,
        &[C::RecordedAt, C::Id],
        |(at, id): &(chrono::DateTime<Utc>, Uuid)| {
            sea_orm::sea_query::Condition::any()
                .add(C::RecordedAt.gt(*at))
                .add(sea_orm::sea_query::Condition::all().add(C::RecordedAt.eq(*at)).add(C::Id.gt(*id)))
        },
        |m| (m.recorded_at, m.id),
    )
    .await
}
