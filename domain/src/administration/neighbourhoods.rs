//! Neighbourhoods (INTs) and the organisations taking part in them: a deployment administrator's.
//! Taking part is what opens a neighbourhood's meetings, groups and (by the access policy) its
//! people to an organisation's staff, so membership changes are in the administration trail.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, TransactionSession, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use entity::{neighbourhood, neighbourhood_organisation, organisation, patient};

use super::{checked_text, record, Actor, Subject};
use crate::auth::Caller;
use crate::error::{AppError, AppResult};

/// Longest neighbourhood name.
pub const MAX_NAME_CHARS: usize = 120;
/// Largest planned population (an INT serves 30–50k people; a few serve more).
pub const MAX_POPULATION: i32 = 500_000;

/// A new neighbourhood and the organisations that take part in it from the start.
#[derive(Debug, Clone)]
pub struct NewNeighbourhood {
    pub name: String,
    pub planned_population: i32,
    pub organisation_ids: Vec<Uuid>,
}

fn checked_population(n: i32) -> AppResult<i32> {
    if !(1..=MAX_POPULATION).contains(&n) {
        return Err(AppError::bad_input("plannedPopulation", format!("must be between 1 and {MAX_POPULATION}")));
    }
    Ok(n)
}

async fn check_name_free(db: &impl ConnectionTrait, name: &str, except: Option<Uuid>) -> AppResult<()> {
    match neighbourhood::Entity::find().filter(neighbourhood::Column::Name.eq(name)).one(db).await? {
        Some(existing) if Some(existing.id) != except => {
            Err(AppError::conflict_with(format!("there is already a neighbourhood called {name}"), existing.id))
        }
        _ => Ok(()),
    }
}

async fn organisation(db: &impl ConnectionTrait, id: Uuid) -> AppResult<organisation::Model> {
    organisation::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::bad_input("organisationId", format!("no organisation has the id {id}")))
}

async fn neighbourhood_of(db: &impl ConnectionTrait, id: Uuid) -> AppResult<neighbourhood::Model> {
    neighbourhood::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found("neighbourhood", id))
}

fn subject(id: Uuid) -> Subject {
    Subject { kind: "neighbourhood", id, organisation_id: None }
}

/// Creates a neighbourhood with its first member organisations.
pub async fn create(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    new: NewNeighbourhood,
) -> AppResult<neighbourhood::Model> {
    caller.administration()?.check_deployment("adding a neighbourhood")?;
    let name = checked_text("name", &new.name, MAX_NAME_CHARS)?;
    let planned_population = checked_population(new.planned_population)?;
    let mut members = new.organisation_ids;
    members.sort_unstable();
    members.dedup();
    let txn = db.begin().await?;
    check_name_free(&txn, &name, None).await?;
    // The members in one statement; the first id that names no organisation is refused by name.
    let found = organisation::Entity::find().filter(organisation::Column::Id.is_in(members.clone())).all(&txn).await?;
    if let Some(missing) = members.iter().find(|id| !found.iter().any(|o| o.id == **id)) {
        return Err(AppError::bad_input("organisationIds", format!("no organisation has the id {missing}")));
    }
    let names: Vec<&str> = found.iter().map(|o| o.name.as_str()).collect();
    let now = Utc::now();
    let row = neighbourhood::Model { id: Uuid::now_v7(), name, planned_population, created_at: now };
    neighbourhood::Entity::insert(row.clone().into_active_model()).exec_without_returning(&txn).await?;
    if !members.is_empty() {
        neighbourhood_organisation::Entity::insert_many(members.iter().map(|org| {
            neighbourhood_organisation::Model { neighbourhood_id: row.id, organisation_id: *org, joined_at: now }
                .into_active_model()
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    let summary = format!("added the neighbourhood {} with {} organisations", row.name, members.len());
    let detail =
        json!({ "after": { "name": row.name, "plannedPopulation": planned_population, "organisations": names } });
    record(&txn, Actor::of(caller), "neighbourhood.create", subject(row.id), summary, detail).await?;
    txn.commit().await?;
    Ok(row)
}

/// Renames a neighbourhood or changes its planned population.
pub async fn update(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    id: Uuid,
    name: Option<String>,
    planned_population: Option<i32>,
) -> AppResult<neighbourhood::Model> {
    caller.administration()?.check_deployment("changing a neighbourhood")?;
    let name = name.map(|n| checked_text("name", &n, MAX_NAME_CHARS)).transpose()?;
    let planned_population = planned_population.map(checked_population).transpose()?;
    let txn = db.begin().await?;
    let before = neighbourhood_of(&txn, id).await?;
    let mut after = before.clone();
    if let Some(name) = name {
        check_name_free(&txn, &name, Some(id)).await?;
        after.name = name;
    }
    if let Some(n) = planned_population {
        after.planned_population = n;
    }
    if after == before {
        txn.commit().await?;
        return Ok(before);
    }
    let mut model = before.clone().into_active_model();
    model.name = Set(after.name.clone());
    model.planned_population = Set(after.planned_population);
    model.update(&txn).await?;
    let detail = json!({
        "before": { "name": before.name, "plannedPopulation": before.planned_population },
        "after": { "name": after.name, "plannedPopulation": after.planned_population },
    });
    let summary = format!("changed the neighbourhood {}", after.name);
    record(&txn, Actor::of(caller), "neighbourhood.update", subject(id), summary, detail).await?;
    txn.commit().await?;
    Ok(after)
}

/// Adds an organisation to a neighbourhood: its staff take part from their next request.
pub async fn add_member(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    neighbourhood_id: Uuid,
    organisation_id: Uuid,
) -> AppResult<neighbourhood::Model> {
    caller.administration()?.check_deployment("adding an organisation to a neighbourhood")?;
    let txn = db.begin().await?;
    let found = neighbourhood_of(&txn, neighbourhood_id).await?;
    let member = organisation(&txn, organisation_id).await?;
    let existing =
        neighbourhood_organisation::Entity::find_by_id((neighbourhood_id, organisation_id)).one(&txn).await?;
    if existing.is_some() {
        return Err(AppError::conflict_with(
            format!("{} already takes part in {}", member.name, found.name),
            organisation_id,
        ));
    }
    neighbourhood_organisation::Entity::insert(
        neighbourhood_organisation::Model { neighbourhood_id, organisation_id, joined_at: Utc::now() }
            .into_active_model(),
    )
    .exec_without_returning(&txn)
    .await?;
    let summary = format!("{} joined {}", member.name, found.name);
    let detail = json!({ "organisationId": organisation_id, "odsCode": member.ods_code });
    record(&txn, Actor::of(caller), "neighbourhood.add_member", subject(neighbourhood_id), summary, detail).await?;
    txn.commit().await?;
    Ok(found)
}

/// Takes an organisation out of a neighbourhood: its staff lose what taking part gave them at
/// their next request. Refused for a practice whose registered people belong to the neighbourhood
/// (they would be left in a neighbourhood without their practice).
pub async fn remove_member(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    neighbourhood_id: Uuid,
    organisation_id: Uuid,
) -> AppResult<neighbourhood::Model> {
    caller.administration()?.check_deployment("taking an organisation out of a neighbourhood")?;
    let txn = db.begin().await?;
    let found = neighbourhood_of(&txn, neighbourhood_id).await?;
    let member = organisation(&txn, organisation_id).await?;
    let registered = patient::Entity::find()
        .filter(patient::Column::NeighbourhoodId.eq(neighbourhood_id))
        .filter(patient::Column::RegisteredPracticeId.eq(organisation_id))
        .count(&txn)
        .await?;
    if registered > 0 {
        return Err(AppError::conflict_with(
            format!(
                "{registered} people registered at {} belong to {}; the practice stays while they do",
                member.name, found.name
            ),
            organisation_id,
        ));
    }
    let removed =
        neighbourhood_organisation::Entity::delete_by_id((neighbourhood_id, organisation_id)).exec(&txn).await?;
    if removed.rows_affected == 0 {
        return Err(AppError::bad_input(
            "organisationId",
            format!("{} does not take part in {}", member.name, found.name),
        ));
    }
    let summary = format!("{} left {}", member.name, found.name);
    let detail = json!({ "organisationId": organisation_id, "odsCode": member.ods_code });
    record(&txn, Actor::of(caller), "neighbourhood.remove_member", subject(neighbourhood_id), summary, detail).await?;
    txn.commit().await?;
    Ok(found)
}
