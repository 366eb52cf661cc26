//! Practitioners: the staff of an organisation, added, changed and deactivated by its
//! administrator (or a deployment administrator), with the identity they sign in with: the `sub`
//! claim the identity provider puts in their tokens, unique across the deployment.
//!
//! What the records say decides at every request (`auth::load_caller`): a deactivated
//! practitioner is refused at their next request, and a changed role or organisation applies at
//! once (a token still claiming the old one is refused). Deactivating leaves their history (what
//! they recorded, referrals they worked, meetings they attended) as it is; their standing places in
//! people's care teams end with it, since a care team names who is involved now.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, TransactionSession, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use entity::{care_team_member, organisation, practitioner, referral, ProfessionalRole};

use super::{checked_text, record, Actor, Subject};
use crate::auth::policy::AdminScope;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};

/// Longest given or family name.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest identity-provider subject.
pub const MAX_SUBJECT_CHARS: usize = 255;
/// Largest caseload capacity.
pub const MAX_CASELOAD_CAPACITY: i32 = 1000;
/// Why a care team membership ends when its practitioner is deactivated.
pub const LEFT_REASON: &str = "the practitioner was deactivated (left the organisation)";

/// A subject claim as the identity provider sends it: 1 to 255 characters, no spaces or control
/// characters (NHS CIS2 sends a 12-digit UUID; others a GUID or an email-like name).
pub fn checked_subject(text: &str) -> AppResult<String> {
    let subject = text.trim();
    if subject.is_empty() || subject.chars().count() > MAX_SUBJECT_CHARS {
        return Err(AppError::bad_input(
            "identitySubject",
            format!("must be 1 to {MAX_SUBJECT_CHARS} characters: the `sub` claim of the person's tokens"),
        ));
    }
    if subject.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AppError::bad_input("identitySubject", "must not contain spaces or control characters"));
    }
    Ok(subject.to_owned())
}

/// A new practitioner.
#[derive(Debug, Clone)]
pub struct NewPractitioner {
    pub given_name: String,
    pub family_name: String,
    pub professional_role: ProfessionalRole,
    pub organisation_id: Uuid,
    pub fte: f64,
    pub caseload_capacity: Option<i32>,
    /// The `sub` of their tokens; none: they cannot sign in until it is set.
    pub identity_subject: Option<String>,
    /// The organisation's own reference for them (staff number), unique within it.
    pub staff_ref: Option<String>,
}

/// Changes to a practitioner; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct PractitionerChanges {
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub professional_role: Option<ProfessionalRole>,
    pub organisation_id: Option<Uuid>,
    pub fte: Option<f64>,
    pub caseload_capacity: Option<Option<i32>>,
    pub identity_subject: Option<Option<String>>,
    pub staff_ref: Option<Option<String>>,
}

/// A deactivated practitioner and what their leaving left to do.
#[derive(Debug, Clone)]
pub struct Deactivated {
    pub practitioner: practitioner::Model,
    /// Care team memberships that ended with it.
    pub care_team_memberships_ended: u64,
    /// Open referrals still assigned to them: for their team to reassign.
    pub open_referrals_assigned: u64,
}

fn checked_fte(fte: f64) -> AppResult<f64> {
    if !(fte > 0.0 && fte <= 1.0) {
        return Err(AppError::bad_input("fte", "whole-time equivalent must be above 0 and at most 1 (e.g. 0.6)"));
    }
    Ok(fte)
}

fn checked_capacity(capacity: Option<i32>) -> AppResult<Option<i32>> {
    match capacity {
        Some(n) if !(0..=MAX_CASELOAD_CAPACITY).contains(&n) => Err(AppError::bad_input(
            "caseloadCapacity",
            format!("must be between 0 and {MAX_CASELOAD_CAPACITY} people"),
        )),
        other => Ok(other),
    }
}

/// Refuses a role the administrator may not give: only a deployment administrator makes another.
fn check_role_given(scope: AdminScope, role: ProfessionalRole) -> AppResult<()> {
    if role == ProfessionalRole::DeploymentAdministrator {
        scope.check_deployment("making someone a deployment administrator")?;
    }
    Ok(())
}

async fn check_subject_free(db: &impl ConnectionTrait, subject: &str, except: Option<Uuid>) -> AppResult<()> {
    let existing =
        practitioner::Entity::find().filter(practitioner::Column::IdentitySubject.eq(subject)).one(db).await?;
    match existing {
        Some(other) if Some(other.id) != except => Err(AppError::conflict_with(
            format!(
                "that identity already signs in as {} {} ({}); one sign-in names one practitioner",
                other.given_name, other.family_name, other.id
            ),
            other.id,
        )),
        _ => Ok(()),
    }
}

/// Longest staff reference.
pub const MAX_STAFF_REF_CHARS: usize = 64;

fn checked_staff_ref(text: Option<&str>) -> AppResult<Option<String>> {
    text.map(str::trim).filter(|t| !t.is_empty()).map(|t| checked_text("staffRef", t, MAX_STAFF_REF_CHARS)).transpose()
}

async fn check_staff_ref_free(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    staff_ref: &str,
    except: Option<Uuid>,
) -> AppResult<()> {
    let existing = practitioner::Entity::find()
        .filter(practitioner::Column::OrganisationId.eq(organisation_id))
        .filter(practitioner::Column::StaffRef.eq(staff_ref))
        .one(db)
        .await?;
    match existing {
        Some(other) if Some(other.id) != except => Err(AppError::conflict_with(
            format!("staff reference {staff_ref} is already {} {} ({})", other.given_name, other.family_name, other.id),
            other.id,
        )),
        _ => Ok(()),
    }
}

/// The practitioner of `organisation_id` with the organisation's own reference `staff_ref`.
pub async fn by_staff_ref(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    staff_ref: &str,
) -> AppResult<Option<practitioner::Model>> {
    Ok(practitioner::Entity::find()
        .filter(practitioner::Column::OrganisationId.eq(organisation_id))
        .filter(practitioner::Column::StaffRef.eq(staff_ref))
        .one(db)
        .await?)
}

async fn organisation_of(db: &impl ConnectionTrait, id: Uuid) -> AppResult<organisation::Model> {
    organisation::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::bad_input("organisationId", format!("no organisation has the id {id}")))
}

fn described(p: &practitioner::Model) -> serde_json::Value {
    json!({
        "givenName": p.given_name,
        "familyName": p.family_name,
        "professionalRole": p.professional_role.to_value(),
        "organisationId": p.organisation_id,
        "fte": p.fte,
        "caseloadCapacity": p.caseload_capacity,
        // Whether they can sign in, not the identity itself: the trail is read more widely (privacy
        // officers) than `Practitioner.identitySubject` is shown.
        "signsIn": p.identity_subject.is_some(),
        "staffRef": p.staff_ref,
        "active": p.active,
    })
}

fn subject(p: &practitioner::Model) -> Subject {
    Subject { kind: "practitioner", id: p.id, organisation_id: Some(p.organisation_id) }
}

fn unique_taken(e: &sea_orm::DbErr) -> bool {
    crate::open_key::taken(e)
}

/// Adds a practitioner to an organisation the caller administers.
pub async fn create(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    new: NewPractitioner,
) -> AppResult<practitioner::Model> {
    let scope = caller.administration()?;
    scope.check_manages(new.organisation_id)?;
    check_role_given(scope, new.professional_role)?;
    create_as(db, Actor::of(caller), new).await
}

/// Adds a practitioner for `actor` (the policy already asked).
pub(crate) async fn create_as(
    db: &(impl ConnectionTrait + TransactionTrait),
    actor: Actor,
    new: NewPractitioner,
) -> AppResult<practitioner::Model> {
    let given_name = checked_text("givenName", &new.given_name, MAX_NAME_CHARS)?;
    let family_name = checked_text("familyName", &new.family_name, MAX_NAME_CHARS)?;
    let fte = checked_fte(new.fte)?;
    let caseload_capacity = checked_capacity(new.caseload_capacity)?;
    let identity_subject = new.identity_subject.as_deref().map(checked_subject).transpose()?;
    let staff_ref = checked_staff_ref(new.staff_ref.as_deref())?;
    let txn = db.begin().await?;
    let organisation = organisation_of(&txn, new.organisation_id).await?;
    if let Some(s) = &identity_subject {
        check_subject_free(&txn, s, None).await?;
    }
    if let Some(r) = &staff_ref {
        check_staff_ref_free(&txn, organisation.id, r, None).await?;
    }
    let row = practitioner::Model {
        id: Uuid::now_v7(),
        given_name,
        family_name,
        professional_role: new.professional_role,
        organisation_id: organisation.id,
        fte,
        caseload_capacity,
        active: true,
        created_at: Utc::now(),
        identity_subject,
        left_at: None,
        staff_ref,
    };
    match practitioner::Entity::insert(row.clone().into_active_model()).exec_without_returning(&txn).await {
        Ok(_) => {}
        Err(e) if unique_taken(&e) => {
            return Err(AppError::conflict(
                "that identity or staff reference was given to another practitioner a moment ago",
            ))
        }
        Err(e) => return Err(e.into()),
    }
    let summary = format!(
        "added {} {} ({}) to {}",
        row.given_name,
        row.family_name,
        crate::label::label(row.professional_role),
        organisation.name
    );
    record(&txn, actor, "practitioner.create", subject(&row), summary, json!({ "after": described(&row) })).await?;
    txn.commit().await?;
    Ok(row)
}

async fn managed(
    db: &impl ConnectionTrait,
    scope: AdminScope,
    caller: &Caller,
    id: Uuid,
) -> AppResult<practitioner::Model> {
    let found =
        practitioner::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found("practitioner", id))?;
    scope.check_manages(found.organisation_id)?;
    if found.professional_role == ProfessionalRole::DeploymentAdministrator && found.id != caller.practitioner_id {
        scope.check_deployment("changing a deployment administrator")?;
    }
    Ok(found)
}

/// Changes a practitioner of an organisation the caller administers (moving them needs the
/// caller to administer the new organisation too).
pub async fn update(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    id: Uuid,
    changes: PractitionerChanges,
) -> AppResult<practitioner::Model> {
    let scope = caller.administration()?;
    if let Some(role) = changes.professional_role {
        check_role_given(scope, role)?;
    }
    if let Some(org) = changes.organisation_id {
        scope.check_manages(org)?;
    }
    let txn = db.begin().await?;
    let before = managed(&txn, scope, caller, id).await?;
    let mut after = before.clone();
    if let Some(name) = &changes.given_name {
        after.given_name = checked_text("givenName", name, MAX_NAME_CHARS)?;
    }
    if let Some(name) = &changes.family_name {
        after.family_name = checked_text("familyName", name, MAX_NAME_CHARS)?;
    }
    if let Some(role) = changes.professional_role {
        after.professional_role = role;
    }
    if let Some(org) = changes.organisation_id {
        after.organisation_id = organisation_of(&txn, org).await?.id;
    }
    if let Some(fte) = changes.fte {
        after.fte = checked_fte(fte)?;
    }
    if let Some(capacity) = changes.caseload_capacity {
        after.caseload_capacity = checked_capacity(capacity)?;
    }
    if let Some(subject_claim) = &changes.identity_subject {
        after.identity_subject = subject_claim.as_deref().map(checked_subject).transpose()?;
        if let Some(s) = &after.identity_subject {
            check_subject_free(&txn, s, Some(id)).await?;
        }
    }
    if let Some(staff_ref) = &changes.staff_ref {
        after.staff_ref = checked_staff_ref(staff_ref.as_deref())?;
    }
    if let Some(r) = &after.staff_ref {
        if after.staff_ref != before.staff_ref || after.organisation_id != before.organisation_id {
            check_staff_ref_free(&txn, after.organisation_id, r, Some(id)).await?;
        }
    }
    if id == caller.practitioner_id
        && (after.professional_role != before.professional_role || after.organisation_id != before.organisation_id)
    {
        return Err(AppError::bad_input(
            "id",
            "you cannot change your own role or organisation; ask another administrator",
        ));
    }
    if after == before {
        txn.commit().await?;
        return Ok(before);
    }
    let mut model = before.clone().into_active_model();
    model.given_name = Set(after.given_name.clone());
    model.family_name = Set(after.family_name.clone());
    model.professional_role = Set(after.professional_role);
    model.organisation_id = Set(after.organisation_id);
    model.fte = Set(after.fte);
    model.caseload_capacity = Set(after.caseload_capacity);
    model.identity_subject = Set(after.identity_subject.clone());
    model.staff_ref = Set(after.staff_ref.clone());
    match model.update(&txn).await {
        Ok(_) => {}
        Err(e) if unique_taken(&e) => {
            return Err(AppError::conflict("that identity was given to another practitioner a moment ago"))
        }
        Err(e) => return Err(e.into()),
    }
    let summary = format!("changed {} {}", after.given_name, after.family_name);
    let detail = json!({ "before": described(&before), "after": described(&after) });
    record(&txn, Actor::of(caller), "practitioner.update", subject(&after), summary, detail).await?;
    // Moved to another organisation: the trail of the one they left shows it too.
    if after.organisation_id != before.organisation_id {
        let left = Subject { organisation_id: Some(before.organisation_id), ..subject(&after) };
        let summary = format!("{} {} moved to another organisation", after.given_name, after.family_name);
        record(&txn, Actor::of(caller), "practitioner.move", left, summary, json!({ "to": after.organisation_id }))
            .await?;
    }
    txn.commit().await?;
    Ok(after)
}

/// Deactivates a practitioner: refused at their next request, history kept, standing care team
/// memberships ended (with who and why). Deactivating someone already inactive changes nothing.
pub async fn deactivate(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    id: Uuid,
    reason: Option<String>,
) -> AppResult<Deactivated> {
    let scope = caller.administration()?;
    if id == caller.practitioner_id {
        return Err(AppError::bad_input("id", "you cannot deactivate yourself; ask another administrator"));
    }
    let reason = crate::referrals::bounded_text("reason", reason)?;
    let txn = db.begin().await?;
    let before = managed(&txn, scope, caller, id).await?;
    let open_referrals_assigned = referral::Entity::find()
        .filter(referral::Column::AssignedPractitionerId.eq(id))
        .filter(referral::Column::EndedAt.is_null())
        .count(&txn)
        .await?;
    if !before.active {
        txn.commit().await?;
        return Ok(Deactivated { practitioner: before, care_team_memberships_ended: 0, open_referrals_assigned });
    }
    let now = Utc::now();
    let mut model = before.clone().into_active_model();
    model.active = Set(false);
    model.left_at = Set(Some(now));
    let after = model.update(&txn).await?;
    let ended = care_team_member::Entity::update_many()
        .col_expr(care_team_member::Column::OpenKey, crate::open_key::closed())
        .col_expr(care_team_member::Column::CoordinatorKey, crate::open_key::closed())
        .col_expr(care_team_member::Column::EndedAt, Expr::value(Some(now)))
        .col_expr(care_team_member::Column::EndedBy, Expr::value(Some(caller.practitioner_id)))
        .col_expr(care_team_member::Column::EndReason, Expr::value(Some(LEFT_REASON.to_owned())))
        .filter(care_team_member::Column::PractitionerId.eq(id))
        .filter(care_team_member::Column::OpenKey.is_not_null())
        .exec(&txn)
        .await?
        .rows_affected;
    let summary = format!("deactivated {} {}", after.given_name, after.family_name);
    let detail = json!({
        "reason": reason,
        "careTeamMembershipsEnded": ended,
        "openReferralsAssigned": open_referrals_assigned,
    });
    record(&txn, Actor::of(caller), "practitioner.deactivate", subject(&after), summary, detail).await?;
    txn.commit().await?;
    Ok(Deactivated { practitioner: after, care_team_memberships_ended: ended, open_referrals_assigned })
}

/// Makes a deactivated practitioner active again (they sign in with their identity as before).
pub async fn reactivate(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    id: Uuid,
) -> AppResult<practitioner::Model> {
    let scope = caller.administration()?;
    let txn = db.begin().await?;
    let before = managed(&txn, scope, caller, id).await?;
    if before.active {
        txn.commit().await?;
        return Ok(before);
    }
    let mut model = before.into_active_model();
    model.active = Set(true);
    model.left_at = Set(None);
    let after = model.update(&txn).await?;
    let summary = format!("reactivated {} {}", after.given_name, after.family_name);
    record(&txn, Actor::of(caller), "practitioner.reactivate", subject(&after), summary, json!({})).await?;
    txn.commit().await?;
    Ok(after)
}

/// Whether the deployment has an active deployment administrator yet.
pub async fn has_deployment_administrator(db: &impl ConnectionTrait) -> AppResult<bool> {
    let found = practitioner::Entity::find()
        .filter(practitioner::Column::ProfessionalRole.eq(ProfessionalRole::DeploymentAdministrator))
        .filter(practitioner::Column::Active.eq(true))
        .count(db)
        .await?;
    Ok(found > 0)
}

/// The first deployment administrator, from the deployment's command line: their organisation (by
/// ODS code: found, or created with `organisation` when new) and themselves. Refused once the
/// deployment has an active deployment administrator, who then adds the others through the API.
pub async fn bootstrap(
    db: &(impl ConnectionTrait + TransactionTrait),
    organisation: super::organisations::NewOrganisation,
    administrator: NewPractitioner,
) -> AppResult<practitioner::Model> {
    let txn = db.begin().await?;
    if has_deployment_administrator(&txn).await? {
        return Err(AppError::conflict(
            "the deployment already has a deployment administrator; they add others through the API",
        ));
    }
    let code = super::organisations::normalise_ods_code("odsCode", &organisation.ods_code)?;
    let org = match super::organisations::by_ods_code(&txn, &code).await? {
        Some(found) => found,
        None => super::organisations::create_as(&txn, Actor::CommandLine, organisation).await?,
    };
    let administrator = NewPractitioner {
        organisation_id: org.id,
        professional_role: ProfessionalRole::DeploymentAdministrator,
        ..administrator
    };
    if administrator.identity_subject.is_none() {
        return Err(AppError::bad_input(
            "identitySubject",
            "the first administrator needs the identity they sign in with",
        ));
    }
    let row = create_as(&txn, Actor::CommandLine, administrator).await?;
    txn.commit().await?;
    Ok(row)
}
