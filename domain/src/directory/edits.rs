//! The provider's own edits of its directory entries: create an entry, change any of its details
//! (categories, languages, eligibility conditions and weekly sessions replaced as a whole when
//! given), retire it. Kept by the organisation that runs it (`Caller::may_edit_assets_of`), in the
//! neighbourhoods it takes part in. Every change is one transaction with its row in the
//! administration trail (who, when, what before and after). An entry checked by its provider is
//! checked as of that day (`last_checked_on`): an edit is a check.

use std::collections::BTreeSet;

use chrono::{NaiveDate, NaiveTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, TransactionSession,
    TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use entity::{
    community_asset, community_asset_category, community_asset_condition, community_asset_language,
    community_asset_session, neighbourhood_organisation, AssetCategory, AssetCost, NoiseLevel,
};

use crate::administration::{checked_text, optional_text, record, Actor, Subject};
use crate::auth::Caller;
use crate::error::{AppError, AppResult};

/// Longest name of an entry.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest description.
pub const MAX_DESCRIPTION_CHARS: usize = 4_000;
/// Longest of the other texts (address, contact, notes).
pub const MAX_NOTE_CHARS: usize = 500;
/// Most weekly sessions an entry lists.
pub const MAX_SESSIONS: usize = 50;
/// Most languages an entry lists.
pub const MAX_LANGUAGES: usize = 20;
/// Oldest age an eligibility bound may name.
pub const MAX_AGE: i32 = 120;

/// A weekly session: ISO weekday (1 Monday … 7 Sunday), local times `HH:MM`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Session {
    pub weekday: i16,
    pub starts_at: String,
    pub ends_at: String,
}

/// Everything an entry says, as its provider publishes it.
#[derive(Debug, Clone, PartialEq)]
pub struct AssetDetails {
    pub name: String,
    pub description: String,
    pub address: String,
    pub postcode: String,
    pub contact: Option<String>,
    pub schedule_note: Option<String>,
    pub cost: AssetCost,
    pub cost_note: Option<String>,
    pub min_age: Option<i32>,
    pub max_age: Option<i32>,
    pub eligibility_note: Option<String>,
    /// SNOMED CT codes (or catalogue keys) of the long-term conditions it is for, if it is for some.
    pub condition_codes: Vec<String>,
    pub step_free: bool,
    pub accessible_toilet: bool,
    pub noise_level: NoiseLevel,
    pub sensory_friendly: bool,
    pub hearing_loop: bool,
    pub on_bus_route: bool,
    pub transport_provided: bool,
    /// Places in all; `None` when not limited.
    pub capacity: Option<i32>,
    pub takes_referrals: bool,
    pub categories: Vec<AssetCategory>,
    pub languages: Vec<String>,
    pub sessions: Vec<Session>,
}

/// A change to some of an entry's details: `None` leaves a detail as it is; for a detail that may
/// be empty, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssetChange {
    pub name: Option<String>,
    pub description: Option<String>,
    pub address: Option<String>,
    pub postcode: Option<String>,
    pub contact: Option<Option<String>>,
    pub schedule_note: Option<Option<String>>,
    pub cost: Option<AssetCost>,
    pub cost_note: Option<Option<String>>,
    pub min_age: Option<Option<i32>>,
    pub max_age: Option<Option<i32>>,
    pub eligibility_note: Option<Option<String>>,
    pub condition_codes: Option<Vec<String>>,
    pub step_free: Option<bool>,
    pub accessible_toilet: Option<bool>,
    pub noise_level: Option<NoiseLevel>,
    pub sensory_friendly: Option<bool>,
    pub hearing_loop: Option<bool>,
    pub on_bus_route: Option<bool>,
    pub transport_provided: Option<bool>,
    pub capacity: Option<Option<i32>>,
    pub takes_referrals: Option<bool>,
    pub categories: Option<Vec<AssetCategory>>,
    pub languages: Option<Vec<String>>,
    pub sessions: Option<Vec<Session>>,
}

impl AssetChange {
    /// `current` with this change applied.
    fn applied_to(self, current: AssetDetails) -> AssetDetails {
        AssetDetails {
            name: self.name.unwrap_or(current.name),
            description: self.description.unwrap_or(current.description),
            address: self.address.unwrap_or(current.address),
            postcode: self.postcode.unwrap_or(current.postcode),
            contact: self.contact.unwrap_or(current.contact),
            schedule_note: self.schedule_note.unwrap_or(current.schedule_note),
            cost: self.cost.unwrap_or(current.cost),
            cost_note: self.cost_note.unwrap_or(current.cost_note),
            min_age: self.min_age.unwrap_or(current.min_age),
            max_age: self.max_age.unwrap_or(current.max_age),
            eligibility_note: self.eligibility_note.unwrap_or(current.eligibility_note),
            condition_codes: self.condition_codes.unwrap_or(current.condition_codes),
            step_free: self.step_free.unwrap_or(current.step_free),
            accessible_toilet: self.accessible_toilet.unwrap_or(current.accessible_toilet),
            noise_level: self.noise_level.unwrap_or(current.noise_level),
            sensory_friendly: self.sensory_friendly.unwrap_or(current.sensory_friendly),
            hearing_loop: self.hearing_loop.unwrap_or(current.hearing_loop),
            on_bus_route: self.on_bus_route.unwrap_or(current.on_bus_route),
            transport_provided: self.transport_provided.unwrap_or(current.transport_provided),
            capacity: self.capacity.unwrap_or(current.capacity),
            takes_referrals: self.takes_referrals.unwrap_or(current.takes_referrals),
            categories: self.categories.unwrap_or(current.categories),
            languages: self.languages.unwrap_or(current.languages),
            sessions: self.sessions.unwrap_or(current.sessions),
        }
    }
}

/// Details checked and put in their stored form: texts trimmed and bounded, the postcode
/// normalised and placed, ages and capacity in range, categories, languages, conditions and
/// sessions without repeats and sorted.
struct Checked {
    details: AssetDetails,
    latitude: f64,
    longitude: f64,
}

fn time_of(field: &str, text: &str) -> AppResult<NaiveTime> {
    NaiveTime::parse_from_str(text.trim(), "%H:%M")
        .map_err(|_| AppError::bad_input(field, format!("{text:?} is not a time of day as HH:MM (e.g. 09:30)")))
}

async fn checked(db: &impl ConnectionTrait, d: AssetDetails) -> AppResult<Checked> {
    let name = checked_text("name", &d.name, MAX_NAME_CHARS)?;
    let description = d.description.trim().to_owned();
    if description.is_empty() {
        return Err(AppError::bad_input("description", "say what the activity or service is"));
    }
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(AppError::bad_input("description", format!("must be at most {MAX_DESCRIPTION_CHARS} characters")));
    }
    let address = checked_text("address", &d.address, MAX_NOTE_CHARS)?;
    let postcode = super::geo::normalise_postcode("postcode", &d.postcode)?;
    let (point, _) = super::geo::locate(db, "postcode", &postcode).await?;
    for (field, age) in [("minAge", d.min_age), ("maxAge", d.max_age)] {
        if age.is_some_and(|a| !(0..=MAX_AGE).contains(&a)) {
            return Err(AppError::bad_input(field, format!("must be 0 to {MAX_AGE}")));
        }
    }
    if let (Some(min), Some(max)) = (d.min_age, d.max_age) {
        if min > max {
            return Err(AppError::bad_input("maxAge", format!("must not be below minAge ({min})")));
        }
    }
    if d.capacity.is_some_and(|c| c < 0) {
        return Err(AppError::bad_input(
            "capacity",
            "must not be negative (leave it empty when places are not limited)",
        ));
    }
    if d.categories.is_empty() {
        return Err(AppError::bad_input("categories", "give at least one category, so that the entry can be found"));
    }
    let mut categories = d.categories.clone();
    sort_categories(&mut categories);
    if d.languages.len() > MAX_LANGUAGES {
        return Err(AppError::bad_input("languages", format!("at most {MAX_LANGUAGES}")));
    }
    let mut languages = BTreeSet::new();
    for language in &d.languages {
        languages.insert(checked_text("languages", language, 60)?);
    }
    let mut conditions = BTreeSet::new();
    for code in &d.condition_codes {
        let condition = crate::conditions::resolve(code.trim()).ok_or_else(|| {
            AppError::bad_input("conditionCodes", format!("{code:?} is not a long-term condition of the catalogue"))
        })?;
        conditions.insert(condition.snomed_code.clone());
    }
    if d.sessions.len() > MAX_SESSIONS {
        return Err(AppError::bad_input("sessions", format!("at most {MAX_SESSIONS} a week")));
    }
    let mut sessions = BTreeSet::new();
    for s in &d.sessions {
        if !(1..=7).contains(&s.weekday) {
            return Err(AppError::bad_input("sessions.weekday", "must be 1 (Monday) to 7 (Sunday)"));
        }
        let (starts, ends) = (time_of("sessions.startsAt", &s.starts_at)?, time_of("sessions.endsAt", &s.ends_at)?);
        if starts >= ends {
            return Err(AppError::bad_input(
                "sessions.endsAt",
                format!("a session ends after it starts ({} is not after {})", s.ends_at.trim(), s.starts_at.trim()),
            ));
        }
        sessions.insert(Session {
            weekday: s.weekday,
            starts_at: starts.format("%H:%M").to_string(),
            ends_at: ends.format("%H:%M").to_string(),
        });
    }
    Ok(Checked {
        details: AssetDetails {
            name,
            description,
            address,
            postcode,
            contact: optional_text("contact", d.contact, MAX_NOTE_CHARS)?,
            schedule_note: optional_text("scheduleNote", d.schedule_note, MAX_NOTE_CHARS)?,
            cost_note: optional_text("costNote", d.cost_note, MAX_NOTE_CHARS)?,
            eligibility_note: optional_text("eligibilityNote", d.eligibility_note, MAX_NOTE_CHARS)?,
            condition_codes: conditions.into_iter().collect(),
            categories,
            languages: languages.into_iter().collect(),
            sessions: sessions.into_iter().collect(),
            ..d
        },
        latitude: point.latitude,
        longitude: point.longitude,
    })
}

/// Categories in their stored order, each once.
fn sort_categories(categories: &mut Vec<AssetCategory>) {
    categories.sort_by_key(|c| c.to_value());
    categories.dedup();
}

/// What an entry says now, with its child rows (in the order [`checked`] puts them).
async fn details_of(db: &impl ConnectionTrait, asset: &community_asset::Model) -> AppResult<AssetDetails> {
    let mut categories: Vec<AssetCategory> = community_asset_category::Entity::find()
        .filter(community_asset_category::Column::AssetId.eq(asset.id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.category)
        .collect();
    sort_categories(&mut categories);
    let languages: BTreeSet<String> = community_asset_language::Entity::find()
        .filter(community_asset_language::Column::AssetId.eq(asset.id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.language)
        .collect();
    let condition_codes: BTreeSet<String> = community_asset_condition::Entity::find()
        .filter(community_asset_condition::Column::AssetId.eq(asset.id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.snomed_code)
        .collect();
    let sessions: BTreeSet<Session> = community_asset_session::Entity::find()
        .filter(community_asset_session::Column::AssetId.eq(asset.id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| Session { weekday: s.weekday, starts_at: s.starts_at, ends_at: s.ends_at })
        .collect();
    Ok(AssetDetails {
        name: asset.name.clone(),
        description: asset.description.clone(),
        address: asset.address.clone(),
        postcode: asset.postcode.clone(),
        contact: asset.contact.clone(),
        schedule_note: asset.schedule_note.clone(),
        cost: asset.cost,
        cost_note: asset.cost_note.clone(),
        min_age: asset.min_age,
        max_age: asset.max_age,
        eligibility_note: asset.eligibility_note.clone(),
        condition_codes: condition_codes.into_iter().collect(),
        step_free: asset.step_free,
        accessible_toilet: asset.accessible_toilet,
        noise_level: asset.noise_level,
        sensory_friendly: asset.sensory_friendly,
        hearing_loop: asset.hearing_loop,
        on_bus_route: asset.on_bus_route,
        transport_provided: asset.transport_provided,
        capacity: asset.capacity,
        takes_referrals: asset.takes_referrals,
        categories,
        languages: languages.into_iter().collect(),
        sessions: sessions.into_iter().collect(),
    })
}

/// The details as the trail records them (before and after a change).
fn as_json(d: &AssetDetails) -> serde_json::Value {
    json!({
        "name": d.name, "description": d.description, "address": d.address, "postcode": d.postcode,
        "contact": d.contact, "scheduleNote": d.schedule_note, "cost": d.cost.to_value(), "costNote": d.cost_note,
        "minAge": d.min_age, "maxAge": d.max_age, "eligibilityNote": d.eligibility_note,
        "conditionCodes": d.condition_codes, "stepFree": d.step_free, "accessibleToilet": d.accessible_toilet,
        "noiseLevel": d.noise_level.to_value(), "sensoryFriendly": d.sensory_friendly, "hearingLoop": d.hearing_loop,
        "onBusRoute": d.on_bus_route, "transportProvided": d.transport_provided, "capacity": d.capacity,
        "takesReferrals": d.takes_referrals,
        "categories": d.categories.iter().map(|c| c.to_value()).collect::<Vec<_>>(),
        "languages": d.languages,
        "sessions": d.sessions.iter().map(|s| json!({ "weekday": s.weekday, "startsAt": s.starts_at, "endsAt": s.ends_at })).collect::<Vec<_>>(),
    })
}

/// Replaces an entry's child rows (categories, languages, conditions, sessions) with `d`'s.
async fn write_children(db: &impl ConnectionTrait, asset_id: Uuid, d: &AssetDetails) -> AppResult<()> {
    community_asset_category::Entity::delete_many()
        .filter(community_asset_category::Column::AssetId.eq(asset_id))
        .exec(db)
        .await?;
    community_asset_language::Entity::delete_many()
        .filter(community_asset_language::Column::AssetId.eq(asset_id))
        .exec(db)
        .await?;
    community_asset_condition::Entity::delete_many()
        .filter(community_asset_condition::Column::AssetId.eq(asset_id))
        .exec(db)
        .await?;
    community_asset_session::Entity::delete_many()
        .filter(community_asset_session::Column::AssetId.eq(asset_id))
        .exec(db)
        .await?;
    community_asset_category::Entity::insert_many(
        d.categories.iter().map(|c| community_asset_category::Model { asset_id, category: *c }.into_active_model()),
    )
    .exec_without_returning(db)
    .await?;
    if !d.languages.is_empty() {
        community_asset_language::Entity::insert_many(
            d.languages
                .iter()
                .map(|l| community_asset_language::Model { asset_id, language: l.clone() }.into_active_model()),
        )
        .exec_without_returning(db)
        .await?;
    }
    if !d.condition_codes.is_empty() {
        community_asset_condition::Entity::insert_many(
            d.condition_codes
                .iter()
                .map(|c| community_asset_condition::Model { asset_id, snomed_code: c.clone() }.into_active_model()),
        )
        .exec_without_returning(db)
        .await?;
    }
    if !d.sessions.is_empty() {
        community_asset_session::Entity::insert_many(d.sessions.iter().map(|s| {
            community_asset_session::Model {
                id: Uuid::now_v7(),
                asset_id,
                weekday: s.weekday,
                starts_at: s.starts_at.clone(),
                ends_at: s.ends_at.clone(),
            }
            .into_active_model()
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// A new directory entry in `neighbourhood_id`, run by `provider_id` (the caller's own
/// organisation unless they are the deployment's administrator): refused unless the caller keeps
/// that provider's entries and the provider takes part in the neighbourhood. Checked as of `today`.
pub async fn create(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    neighbourhood_id: Uuid,
    provider_id: Option<Uuid>,
    details: AssetDetails,
    today: NaiveDate,
) -> AppResult<community_asset::Model> {
    let provider_id = provider_id.unwrap_or(caller.organisation_id);
    caller.may_edit_assets_of(provider_id)?;
    if neighbourhood_organisation::Entity::find_by_id((neighbourhood_id, provider_id)).one(db).await?.is_none() {
        return Err(AppError::bad_input(
            "neighbourhoodId",
            "the provider does not take part in that neighbourhood, so its directory does not list the provider's activities",
        ));
    }
    let c = checked(db, details).await?;
    let d = &c.details;
    let now = Utc::now();
    let row = community_asset::Model {
        id: Uuid::now_v7(),
        provider_organisation_id: provider_id,
        neighbourhood_id,
        name: d.name.clone(),
        description: d.description.clone(),
        address: d.address.clone(),
        postcode: d.postcode.clone(),
        latitude: c.latitude,
        longitude: c.longitude,
        contact: d.contact.clone(),
        schedule_note: d.schedule_note.clone(),
        cost: d.cost,
        cost_note: d.cost_note.clone(),
        min_age: d.min_age,
        max_age: d.max_age,
        eligibility_note: d.eligibility_note.clone(),
        step_free: d.step_free,
        accessible_toilet: d.accessible_toilet,
        noise_level: d.noise_level,
        sensory_friendly: d.sensory_friendly,
        hearing_loop: d.hearing_loop,
        on_bus_route: d.on_bus_route,
        transport_provided: d.transport_provided,
        capacity: d.capacity,
        places_taken: 0,
        takes_referrals: d.takes_referrals,
        last_checked_on: today,
        active: true,
        created_at: now,
        updated_at: now,
    };
    let txn = db.begin().await?;
    community_asset::Entity::insert(row.clone().into_active_model()).exec_without_returning(&txn).await?;
    write_children(&txn, row.id, d).await?;
    record(
        &txn,
        Actor::of(caller),
        "asset.create",
        Subject { kind: "community_asset", id: row.id, organisation_id: Some(provider_id) },
        format!("listed {} in the directory", row.name),
        json!({ "after": as_json(d), "neighbourhoodId": neighbourhood_id }),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Changes an entry's details (see [`AssetChange`]): refused unless the caller keeps its
/// provider's entries; the capacity may not fall below the places held (guarded against a place
/// taken meanwhile: CONFLICT). Checked as of `today`. A change that changes nothing writes nothing.
pub async fn update(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    asset_id: Uuid,
    change: AssetChange,
    today: NaiveDate,
) -> AppResult<community_asset::Model> {
    use community_asset::Column as A;
    let asset = super::get(db, asset_id).await?;
    caller.may_edit_assets_of(asset.provider_organisation_id)?;
    let before = details_of(db, &asset).await?;
    let c = checked(db, change.applied_to(before.clone())).await?;
    let d = &c.details;
    super::check_capacity(&asset, d.capacity)?;
    if *d == before {
        return Ok(asset);
    }
    let txn = db.begin().await?;
    let mut update = community_asset::Entity::update_many()
        .col_expr(A::Name, Expr::value(d.name.clone()))
        .col_expr(A::Description, Expr::value(d.description.clone()))
        .col_expr(A::Address, Expr::value(d.address.clone()))
        .col_expr(A::Postcode, Expr::value(d.postcode.clone()))
        .col_expr(A::Latitude, Expr::value(c.latitude))
        .col_expr(A::Longitude, Expr::value(c.longitude))
        .col_expr(A::Contact, Expr::value(d.contact.clone()))
        .col_expr(A::ScheduleNote, Expr::value(d.schedule_note.clone()))
        .col_expr(A::Cost, Expr::value(d.cost.to_value()))
        .col_expr(A::CostNote, Expr::value(d.cost_note.clone()))
        .col_expr(A::MinAge, Expr::value(d.min_age))
        .col_expr(A::MaxAge, Expr::value(d.max_age))
        .col_expr(A::EligibilityNote, Expr::value(d.eligibility_note.clone()))
        .col_expr(A::StepFree, Expr::value(d.step_free))
        .col_expr(A::AccessibleToilet, Expr::value(d.accessible_toilet))
        .col_expr(A::NoiseLevel, Expr::value(d.noise_level.to_value()))
        .col_expr(A::SensoryFriendly, Expr::value(d.sensory_friendly))
        .col_expr(A::HearingLoop, Expr::value(d.hearing_loop))
        .col_expr(A::OnBusRoute, Expr::value(d.on_bus_route))
        .col_expr(A::TransportProvided, Expr::value(d.transport_provided))
        .col_expr(A::Capacity, Expr::value(d.capacity))
        .col_expr(A::TakesReferrals, Expr::value(d.takes_referrals))
        .col_expr(A::LastCheckedOn, Expr::value(today))
        .col_expr(A::UpdatedAt, Expr::value(Utc::now()))
        .filter(A::Id.eq(asset.id));
    if let Some(capacity) = d.capacity {
        // Guarded: a place taken in between must still fit.
        update = update.filter(A::PlacesTaken.lte(capacity));
    }
    if update.exec(&txn).await?.rows_affected != 1 {
        txn.rollback().await?;
        return Err(AppError::conflict_with("a place was taken meanwhile; check the capacity again", asset.id));
    }
    write_children(&txn, asset.id, d).await?;
    record(
        &txn,
        Actor::of(caller),
        "asset.update",
        Subject { kind: "community_asset", id: asset.id, organisation_id: Some(asset.provider_organisation_id) },
        format!("changed the directory entry {}", d.name),
        json!({ "before": as_json(&before), "after": as_json(d) }),
    )
    .await?;
    txn.commit().await?;
    super::get(db, asset.id).await
}

/// Retires an entry: it leaves the directory's searches and suggestions (its history and past
/// connections stay), with the reason in the trail. Refused (CONFLICT) while people hold places on
/// it: their connections are ended first, so that nobody is left referred to what no longer runs.
pub async fn retire(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    asset_id: Uuid,
    reason: &str,
) -> AppResult<community_asset::Model> {
    use community_asset::Column as A;
    let asset = super::get(db, asset_id).await?;
    caller.may_edit_assets_of(asset.provider_organisation_id)?;
    let reason = checked_text("reason", reason, MAX_NOTE_CHARS)?;
    if !asset.active {
        return Err(AppError::invalid_transition(format!("{} is already retired", asset.name)));
    }
    let txn = db.begin().await?;
    let result = community_asset::Entity::update_many()
        .col_expr(A::Active, Expr::value(false))
        .col_expr(A::UpdatedAt, Expr::value(Utc::now()))
        .filter(A::Id.eq(asset.id))
        .filter(A::Active.eq(true))
        .filter(A::PlacesTaken.eq(0))
        .exec(&txn)
        .await?;
    if result.rows_affected != 1 {
        txn.rollback().await?;
        let now = super::get(db, asset.id).await?;
        return Err(AppError::conflict_with(
            format!(
                "{} people are referred to or attending {}; end their connections before retiring it",
                now.places_taken, now.name
            ),
            asset.id,
        ));
    }
    record(
        &txn,
        Actor::of(caller),
        "asset.retire",
        Subject { kind: "community_asset", id: asset.id, organisation_id: Some(asset.provider_organisation_id) },
        format!("retired the directory entry {}", asset.name),
        json!({ "reason": reason }),
    )
    .await?;
    txn.commit().await?;
    super::get(db, asset.id).await
}
