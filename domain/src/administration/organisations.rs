//! Organisations: created by a deployment administrator, their details kept by their own
//! administrator too. The ODS code is the organisation's key for imports and for FHIR
//! (`https://fhir.nhs.uk/Id/ods-organization-code`): checked for form and unique.

use chrono::Utc;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, TransactionSession, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use entity::{organisation, OrganisationKind};

use super::{checked_text, record, Actor, Subject};
use crate::auth::Caller;
use crate::error::{AppError, AppResult};

/// Longest organisation name.
pub const MAX_NAME_CHARS: usize = 200;
/// Largest registered list a practice may be given.
pub const MAX_LIST_SIZE: i32 = 200_000;

/// `a81001` → `A81001`: an ODS organisation code is 3 to 6 letters and digits (trusts `RX1`,
/// ICBs `QT1`, practices `A81001`, PCNs `U12345`), stored in capitals.
pub fn normalise_ods_code(field: &str, text: &str) -> AppResult<String> {
    let code = text.trim().to_ascii_uppercase();
    if !(3..=6).contains(&code.len()) || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(AppError::bad_input(
            field,
            format!("{text:?} is not an ODS organisation code: 3 to 6 letters and digits, e.g. A81001"),
        ));
    }
    Ok(code)
}

/// A new organisation.
#[derive(Debug, Clone)]
pub struct NewOrganisation {
    pub ods_code: String,
    pub name: String,
    pub kind: OrganisationKind,
    pub parent_id: Option<Uuid>,
    /// Registered list size (GP practices only).
    pub list_size: Option<i32>,
    pub postcode: Option<String>,
}

/// Changes to an organisation; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct OrganisationChanges {
    pub ods_code: Option<String>,
    pub name: Option<String>,
    pub kind: Option<OrganisationKind>,
    pub parent_id: Option<Option<Uuid>>,
    pub list_size: Option<Option<i32>>,
    pub postcode: Option<Option<String>>,
}

impl OrganisationChanges {
    /// Whether the changes touch what only a deployment administrator changes: the code other
    /// systems know the organisation by, its kind (which decides what its staff read) and where it
    /// sits.
    fn structural(&self) -> bool {
        self.ods_code.is_some() || self.kind.is_some() || self.parent_id.is_some()
    }
}

/// The organisation with `ods_code`, if there is one.
pub async fn by_ods_code(db: &impl ConnectionTrait, ods_code: &str) -> AppResult<Option<organisation::Model>> {
    Ok(organisation::Entity::find().filter(organisation::Column::OdsCode.eq(ods_code)).one(db).await?)
}

async fn check_ods_code_free(db: &impl ConnectionTrait, code: &str, except: Option<Uuid>) -> AppResult<()> {
    match by_ods_code(db, code).await? {
        Some(existing) if Some(existing.id) != except => Err(AppError::conflict_with(
            format!("ODS code {code} is already {} ({})", existing.name, existing.id),
            existing.id,
        )),
        _ => Ok(()),
    }
}

/// Refuses a parent that does not exist or would put the organisation above itself.
async fn check_parent(db: &impl ConnectionTrait, id: Uuid, parent: Option<Uuid>) -> AppResult<()> {
    let mut next = parent;
    let mut steps = 0;
    while let Some(ancestor) = next {
        if ancestor == id {
            return Err(AppError::bad_input("parentId", "an organisation cannot sit below itself"));
        }
        let found = organisation::Entity::find_by_id(ancestor)
            .one(db)
            .await?
            .ok_or_else(|| AppError::bad_input("parentId", format!("no organisation has the id {ancestor}")))?;
        next = found.parent_id;
        steps += 1;
        if steps > 16 {
            return Err(AppError::bad_input("parentId", "the organisations above it go more than 16 levels up"));
        }
    }
    Ok(())
}

fn checked_list_size(kind: OrganisationKind, list_size: Option<i32>) -> AppResult<Option<i32>> {
    match list_size {
        Some(_) if kind != OrganisationKind::GpPractice => {
            Err(AppError::bad_input("listSize", "only a GP practice has a registered list"))
        }
        Some(n) if !(0..=MAX_LIST_SIZE).contains(&n) => {
            Err(AppError::bad_input("listSize", format!("must be between 0 and {MAX_LIST_SIZE}")))
        }
        other => Ok(other),
    }
}

fn checked_postcode(postcode: Option<String>) -> AppResult<Option<String>> {
    postcode
        .filter(|p| !p.trim().is_empty())
        .map(|p| crate::directory::geo::normalise_postcode("postcode", &p))
        .transpose()
}

fn described(o: &organisation::Model) -> serde_json::Value {
    json!({
        "odsCode": o.ods_code,
        "name": o.name,
        "kind": o.kind.to_value(),
        "parentId": o.parent_id,
        "listSize": o.list_size,
        "postcode": o.postcode,
    })
}

/// Creates an organisation (a deployment administrator).
pub async fn create(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    new: NewOrganisation,
) -> AppResult<organisation::Model> {
    caller.administration()?.check_deployment("adding an organisation")?;
    create_as(db, Actor::of(caller), new).await
}

/// Creates an organisation for `actor` (the policy already asked).
pub(crate) async fn create_as(
    db: &(impl ConnectionTrait + TransactionTrait),
    actor: Actor,
    new: NewOrganisation,
) -> AppResult<organisation::Model> {
    let ods_code = normalise_ods_code("odsCode", &new.ods_code)?;
    let name = checked_text("name", &new.name, MAX_NAME_CHARS)?;
    let list_size = checked_list_size(new.kind, new.list_size)?;
    let postcode = checked_postcode(new.postcode)?;
    let id = Uuid::now_v7();
    let txn = db.begin().await?;
    check_ods_code_free(&txn, &ods_code, None).await?;
    check_parent(&txn, id, new.parent_id).await?;
    let row = organisation::Model {
        id,
        ods_code,
        name,
        kind: new.kind,
        parent_id: new.parent_id,
        list_size,
        postcode,
        created_at: Utc::now(),
    };
    insert_checked(&txn, &row).await?;
    let subject = Subject { kind: "organisation", id, organisation_id: Some(id) };
    let summary = format!("added {} ({}, {})", row.name, row.ods_code, crate::label::label(row.kind));
    record(&txn, actor, "organisation.create", subject, summary, json!({ "after": described(&row) })).await?;
    txn.commit().await?;
    Ok(row)
}

async fn insert_checked(db: &impl ConnectionTrait, row: &organisation::Model) -> AppResult<()> {
    match organisation::Entity::insert(row.clone().into_active_model()).exec_without_returning(db).await {
        Ok(_) => Ok(()),
        Err(e) if crate::open_key::taken(&e) => Err(AppError::conflict(format!(
            "ODS code {} was given to another organisation a moment ago; read the organisations again",
            row.ods_code
        ))),
        Err(e) => Err(e.into()),
    }
}

/// Changes an organisation: its details (name, list size, postcode) by its own administrator or a
/// deployment administrator; its ODS code, kind and parent by a deployment administrator only.
pub async fn update(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    id: Uuid,
    changes: OrganisationChanges,
) -> AppResult<organisation::Model> {
    let scope = caller.administration()?;
    if changes.structural() {
        scope.check_deployment("changing an organisation's ODS code, kind or parent")?;
    }
    scope.check_manages(id)?;
    let txn = db.begin().await?;
    let before =
        organisation::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| AppError::not_found("organisation", id))?;
    let mut after = before.clone();
    if let Some(code) = &changes.ods_code {
        after.ods_code = normalise_ods_code("odsCode", code)?;
        check_ods_code_free(&txn, &after.ods_code, Some(id)).await?;
    }
    if let Some(name) = &changes.name {
        after.name = checked_text("name", name, MAX_NAME_CHARS)?;
    }
    if let Some(kind) = changes.kind {
        after.kind = kind;
    }
    if let Some(parent) = changes.parent_id {
        check_parent(&txn, id, parent).await?;
        after.parent_id = parent;
    }
    if let Some(list_size) = changes.list_size {
        after.list_size = list_size;
    }
    // A practice that becomes another kind keeps no list size.
    if after.kind != OrganisationKind::GpPractice && changes.list_size.is_none() {
        after.list_size = None;
    }
    after.list_size = checked_list_size(after.kind, after.list_size)?;
    if let Some(postcode) = changes.postcode {
        after.postcode = checked_postcode(postcode)?;
    }
    if after == before {
        txn.commit().await?;
        return Ok(before);
    }
    let mut model = before.clone().into_active_model();
    model.ods_code = Set(after.ods_code.clone());
    model.name = Set(after.name.clone());
    model.kind = Set(after.kind);
    model.parent_id = Set(after.parent_id);
    model.list_size = Set(after.list_size);
    model.postcode = Set(after.postcode.clone());
    match model.update(&txn).await {
        Ok(_) => {}
        Err(e) if crate::open_key::taken(&e) => {
            return Err(AppError::conflict(format!(
                "ODS code {} was given to another organisation a moment ago",
                after.ods_code
            )))
        }
        Err(e) => return Err(e.into()),
    }
    let subject = Subject { kind: "organisation", id, organisation_id: Some(id) };
    let summary = format!("changed {} ({})", after.name, after.ods_code);
    let detail = json!({ "before": described(&before), "after": described(&after) });
    record(&txn, Actor::of(caller), "organisation.update", subject, summary, detail).await?;
    txn.commit().await?;
    Ok(after)
}
