//! The person's named care team: the practitioners involved in their care, how and since when,
//! and their named care coordinator (at most one at a time), as NHS England's proactive care
//! guidance asks for. Membership is a care relationship: it opens the person's full record to the
//! member while it stands (`auth::load_caller` loads it with the caller), so ending it ends that
//! access at the member's next request. The team is kept by those who reach the person as part of
//! their population (their practice, PCN or INT coordinator: `Caller::may_manage_care_team`); a
//! service that reaches the person through a referral does not name others, or itself.

use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use entity::{care_team_member, neighbourhood_organisation, organisation, patient, practitioner};

use crate::auth::policy::identifiable_access_allowed;
use crate::auth::{Caller, Grant};
use crate::error::{AppError, AppResult};

/// Longest description of how a member is involved.
pub const MAX_TEAM_ROLE_CHARS: usize = 80;

/// A practitioner to name in a person's care team.
#[derive(Debug, Clone)]
pub struct NewMember {
    pub patient_id: Uuid,
    pub practitioner_id: Uuid,
    /// How they are involved, in words ("Community matron").
    pub team_role: String,
    /// Whether they become the person's named care coordinator.
    pub is_care_coordinator: bool,
    /// When their involvement began; today when not given.
    pub since: Option<NaiveDate>,
}

/// The key a standing membership holds: one per person and practitioner.
fn member_key(patient_id: Uuid, practitioner_id: Uuid) -> String {
    crate::open_key::of(patient_id, practitioner_id)
}

/// The person whose team the caller keeps, with the caller's grant on them.
async fn kept_by(db: &impl ConnectionTrait, caller: &Caller, patient_id: Uuid) -> AppResult<(patient::Model, Grant)> {
    let person = crate::auth::person(db, caller, patient_id).await?;
    caller.patient_scope()?;
    let grant = caller.may_manage_care_team(&person).ok_or_else(|| {
        AppError::forbidden(
            "a person's care team is kept by their practice, PCN or INT coordinator; you do not reach this person as part of your population",
        )
    })?;
    Ok((person, grant))
}

/// Names a practitioner in the person's care team. Returns the membership and the caller's grant
/// on the person (what the audit records).
pub async fn add(
    db: &impl ConnectionTrait,
    caller: &Caller,
    today: NaiveDate,
    new: NewMember,
) -> AppResult<(care_team_member::Model, Grant)> {
    let team_role = new.team_role.trim().to_owned();
    if team_role.is_empty() {
        return Err(AppError::bad_input("teamRole", "say how they are involved, e.g. \"Community matron\""));
    }
    if team_role.chars().count() > MAX_TEAM_ROLE_CHARS {
        return Err(AppError::bad_input("teamRole", format!("must be at most {MAX_TEAM_ROLE_CHARS} characters")));
    }
    let since = new.since.unwrap_or(today);
    if since > today {
        return Err(AppError::bad_input(
            "since",
            format!("{since} is in the future; a membership starts today or earlier"),
        ));
    }
    let (person, grant) = kept_by(db, caller, new.patient_id).await?;
    let member = practitioner::Entity::find_by_id(new.practitioner_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::bad_input("practitionerId", "no such practitioner"))?;
    if !member.active {
        return Err(AppError::bad_input("practitionerId", "that practitioner has left; name someone active"));
    }
    let organisation = organisation::Entity::find_by_id(member.organisation_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("organisation", member.organisation_id))?;
    if !identifiable_access_allowed(organisation.kind, member.professional_role) {
        return Err(AppError::bad_input(
            "practitionerId",
            "their role does not read identifiable records (VCSE staff, commissioners, roles the access policy does not list): they see what the person shares with their organisation",
        ));
    }
    let takes_part = neighbourhood_organisation::Entity::find()
        .filter(neighbourhood_organisation::Column::NeighbourhoodId.eq(person.neighbourhood_id))
        .filter(neighbourhood_organisation::Column::OrganisationId.eq(organisation.id))
        .count(db)
        .await?;
    if takes_part == 0 {
        return Err(AppError::bad_input(
            "practitionerId",
            format!("{} does not take part in the person's neighbourhood", organisation.name),
        ));
    }
    let key = member_key(person.id, member.id);
    if let Some(existing) =
        care_team_member::Entity::find().filter(care_team_member::Column::OpenKey.eq(key.clone())).one(db).await?
    {
        return Err(AppError::conflict_with("they are already in the person's care team", existing.id));
    }
    if new.is_care_coordinator {
        if let Some(existing) = care_team_member::Entity::find()
            .filter(care_team_member::Column::CoordinatorKey.eq(person.id.to_string()))
            .one(db)
            .await?
        {
            return Err(AppError::conflict_with(
                "the person already has a named care coordinator; end that membership first",
                existing.id,
            ));
        }
    }
    let row = care_team_member::Model {
        id: Uuid::now_v7(),
        patient_id: person.id,
        practitioner_id: member.id,
        organisation_id: organisation.id,
        team_role,
        is_care_coordinator: new.is_care_coordinator,
        since,
        open_key: Some(key),
        coordinator_key: new.is_care_coordinator.then(|| person.id.to_string()),
        added_by: caller.practitioner_id,
        added_at: Utc::now(),
        ended_by: None,
        ended_at: None,
        end_reason: None,
    };
    match care_team_member::Entity::insert(row.clone().into_active_model()).exec_without_returning(db).await {
        Ok(_) => Ok((row, grant)),
        Err(e) if crate::open_key::taken(&e) => {
            Err(AppError::conflict("the care team changed a moment ago (the same practitioner or another coordinator was named); read it again"))
        }
        Err(e) => Err(e.into()),
    }
}

/// Ends a membership (the row is kept, with who ended it, when and why): the practitioner loses
/// the access it gave at their next request. Returns the ended membership and the caller's grant.
pub async fn end(
    db: &impl ConnectionTrait,
    caller: &Caller,
    member_id: Uuid,
    reason: Option<String>,
) -> AppResult<(care_team_member::Model, Grant)> {
    let member = care_team_member::Entity::find_by_id(member_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("care team member", member_id))?;
    let (_, grant) = kept_by(db, caller, member.patient_id).await?;
    if member.open_key.is_none() {
        return Err(AppError::bad_input("memberId", "that membership has already ended"));
    }
    let reason = crate::referrals::bounded_text("reason", reason)?;
    let now = Utc::now();
    let result = care_team_member::Entity::update_many()
        .col_expr(care_team_member::Column::OpenKey, crate::open_key::closed())
        .col_expr(care_team_member::Column::CoordinatorKey, crate::open_key::closed())
        .col_expr(care_team_member::Column::EndedAt, Expr::value(Some(now)))
        .col_expr(care_team_member::Column::EndedBy, Expr::value(Some(caller.practitioner_id)))
        .col_expr(care_team_member::Column::EndReason, Expr::value(reason.clone()))
        .filter(care_team_member::Column::Id.eq(member.id))
        .filter(care_team_member::Column::OpenKey.is_not_null())
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Err(AppError::conflict_with("the membership was ended by someone else a moment ago", member.id));
    }
    let ended = care_team_member::Model {
        open_key: None,
        coordinator_key: None,
        ended_at: Some(now),
        ended_by: Some(caller.practitioner_id),
        end_reason: reason,
        ..member
    };
    Ok((ended, grant))
}
