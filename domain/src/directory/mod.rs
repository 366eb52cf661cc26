//! The community asset directory: activities and services people can be connected to, shaped like
//! Open Referral UK (provider, categories, location, weekly sessions, cost, eligibility,
//! accessibility, languages, capacity, referral or signposting only, date last checked). Search
//! by text, category, distance from a postcode, accessibility, day of week and spaces; matching
//! (`matching`) suggests assets for a person and says why; connections (`connections`) link a
//! person to an asset and hold its places; its provider keeps an entry (`edits`).
//!
//! The directory itself is not patient data: every signed-in practitioner may search it.

pub mod connections;
pub mod edits;
pub mod geo;
pub mod matching;

use chrono::{Months, NaiveDate};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use entity::{community_asset, community_asset_category, community_asset_session, AssetCategory, NoiseLevel};

use crate::error::{AppError, AppResult};
use crate::pagination::{keyset_page, LazyCount, Page, PageRequest};
use crate::search::{like_pattern, lower_like, SearchText};
use geo::{bounding_box, distance_km, Point};

/// Entries not checked for this long are flagged stale.
pub const STALE_AFTER_MONTHS: u32 = 6;
/// Longest search radius.
pub const MAX_RADIUS_KM: f64 = 50.0;
/// A distance search sorts its candidates in memory; more than this within the radius must be narrowed.
pub const MAX_DISTANCE_CANDIDATES: u64 = 5_000;

/// Whether an entry is due a check on `today`.
pub fn is_stale(asset: &community_asset::Model, today: NaiveDate) -> bool {
    today.checked_sub_months(Months::new(STALE_AFTER_MONTHS)).is_some_and(|limit| asset.last_checked_on < limit)
}

/// Accessibility a person needs; each `true` must be met.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Requirements {
    pub step_free: bool,
    pub accessible_toilet: bool,
    pub quiet: bool,
    pub sensory_friendly: bool,
    pub hearing_loop: bool,
    /// On a bus route or with transport provided.
    pub reachable_without_car: bool,
}

#[derive(Debug, Clone, Default)]
pub struct AssetFilter {
    pub neighbourhood_id: Option<Uuid>,
    pub text: Option<SearchText>,
    /// Any of these.
    pub categories: Vec<AssetCategory>,
    pub requirements: Requirements,
    /// ISO weekday (1 Monday … 7 Sunday) with a session.
    pub weekday: Option<i16>,
    /// Has a place free (or no limit).
    pub spaces_available: bool,
    pub takes_referrals: Option<bool>,
    /// Open to a person of this age.
    pub age: Option<i32>,
    pub include_inactive: bool,
}

/// A distance search: within `within_km` of `centre`, nearest first.
#[derive(Debug, Clone, Copy)]
pub struct Near {
    pub centre: Point,
    pub within_km: f64,
}

impl AssetFilter {
    pub fn condition(&self) -> Condition {
        use community_asset::Column as A;
        let mut cond = Condition::all();
        if !self.include_inactive {
            cond = cond.add(A::Active.eq(true));
        }
        if let Some(n) = self.neighbourhood_id {
            cond = cond.add(A::NeighbourhoodId.eq(n));
        }
        if let Some(text) = &self.text {
            for word in text.as_str().split_whitespace() {
                cond = cond.add(
                    Condition::any()
                        .add(lower_like(A::Name, like_pattern(word, false)))
                        .add(lower_like(A::Description, like_pattern(word, false))),
                );
            }
        }
        if !self.categories.is_empty() {
            cond = cond.add(
                A::Id.in_subquery(
                    Query::select()
                        .column(community_asset_category::Column::AssetId)
                        .from(community_asset_category::Entity)
                        .and_where(community_asset_category::Column::Category.is_in(self.categories.clone()))
                        .to_owned(),
                ),
            );
        }
        if let Some(day) = self.weekday {
            cond = cond.add(
                A::Id.in_subquery(
                    Query::select()
                        .column(community_asset_session::Column::AssetId)
                        .from(community_asset_session::Entity)
                        .and_where(community_asset_session::Column::Weekday.eq(day))
                        .to_owned(),
                ),
            );
        }
        let r = self.requirements;
        for (needed, column) in [
            (r.step_free, A::StepFree),
            (r.accessible_toilet, A::AccessibleToilet),
            (r.sensory_friendly, A::SensoryFriendly),
            (r.hearing_loop, A::HearingLoop),
        ] {
            if needed {
                cond = cond.add(column.eq(true));
            }
        }
        if r.quiet {
            cond = cond.add(A::NoiseLevel.eq(NoiseLevel::Quiet));
        }
        if r.reachable_without_car {
            cond = cond.add(Condition::any().add(A::OnBusRoute.eq(true)).add(A::TransportProvided.eq(true)));
        }
        if self.spaces_available {
            cond = cond.add(
                Condition::any().add(A::Capacity.is_null()).add(Expr::col(A::PlacesTaken).lt(Expr::col(A::Capacity))),
            );
        }
        if let Some(t) = self.takes_referrals {
            cond = cond.add(A::TakesReferrals.eq(t));
        }
        if let Some(age) = self.age {
            cond = cond
                .add(Condition::any().add(A::MinAge.is_null()).add(A::MinAge.lte(age)))
                .add(Condition::any().add(A::MaxAge.is_null()).add(A::MaxAge.gte(age)));
        }
        cond
    }
}

/// One search result: the asset and, for a distance search, how far it is.
pub type Found = (community_asset::Model, Option<f64>);

/// Searches the directory: by name without `near`, nearest first with it.
pub async fn search(
    db: &(impl ConnectionTrait + Clone + Send + 'static),
    filter: &AssetFilter,
    near: Option<Near>,
    page: PageRequest,
) -> AppResult<Page<Found>> {
    use community_asset::Column as A;
    let base = community_asset::Entity::find().filter(filter.condition());
    let Some(near) = near else {
        let page = keyset_page(
            db,
            base,
            page,
            &[A::Name, A::Id],
            |(name, id): &(String, Uuid)| {
                Condition::any()
                    .add(A::Name.gt(name.clone()))
                    .add(Condition::all().add(A::Name.eq(name.clone())).add(A::Id.gt(*id)))
            },
            |m| (m.name.clone(), m.id),
        )
        .await?;
        return Ok(page.map(|m| (m, None)));
    };
    if !(near.within_km > 0.0 && near.within_km <= MAX_RADIUS_KM) {
        return Err(AppError::bad_input("withinKm", format!("must be more than 0 and at most {MAX_RADIUS_KM}")));
    }
    let (lat0, lat1, lon0, lon1) = bounding_box(near.centre, near.within_km);
    let candidates = base
        .filter(A::Latitude.between(lat0, lat1))
        .filter(A::Longitude.between(lon0, lon1))
        .limit(MAX_DISTANCE_CANDIDATES + 1)
        .all(db)
        .await?;
    if candidates.len() as u64 > MAX_DISTANCE_CANDIDATES {
        return Err(AppError::bad_input(
            "withinKm",
            "more activities lie within that distance than one search sorts; narrow it (a smaller radius, a category)",
        ));
    }
    let mut found: Vec<(f64, community_asset::Model)> = candidates
        .into_iter()
        .map(|m| (distance_km(near.centre, Point { latitude: m.latitude, longitude: m.longitude }), m))
        .filter(|(d, _)| *d <= near.within_km)
        .collect();
    found.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.id.cmp(&b.1.id)));
    let total = found.len() as u64;
    let start = match page.after {
        None => 0,
        Some(after) => found
            .iter()
            .position(|(_, m)| m.id == after)
            .map(|i| i + 1)
            .ok_or_else(crate::pagination::cursor_not_in_list)?,
    };
    let rows: Vec<(f64, community_asset::Model)> =
        found.into_iter().skip(start).take(page.limit as usize + 1).collect();
    Ok(Page::from_rows(
        rows,
        page.limit,
        page.after.is_some(),
        |(_, m)| m.id,
        |(d, m)| (m, Some((d * 100.0).round() / 100.0)),
        LazyCount::new(move || Box::pin(async move { Ok(total) })),
    ))
}

/// One asset by id.
pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> AppResult<community_asset::Model> {
    community_asset::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found("community asset", id))
}

/// Refuses a capacity below the places people referred or attending hold.
pub(crate) fn check_capacity(asset: &community_asset::Model, capacity: Option<i32>) -> AppResult<()> {
    match capacity {
        Some(c) if c < asset.places_taken => Err(AppError::bad_input(
            "capacity",
            format!("{} places are held by people referred or attending; capacity cannot be less", asset.places_taken),
        )),
        _ => Ok(()),
    }
}

/// What a check of a directory entry found: its capacity or whether it still runs, if changed.
#[derive(Debug, Clone, Default)]
pub struct AssetCheck {
    pub capacity: Option<i32>,
    pub active: Option<bool>,
}

/// Records that an entry's details were checked on `today` (and its capacity or whether it still
/// runs, if changed): by the organisation that runs it or staff of its neighbourhood. The capacity
/// may not fall below the places held; the update is guarded so that a place taken in between
/// must still fit (CONFLICT otherwise). Returns the entry as it is now.
pub async fn record_check(
    db: &impl ConnectionTrait,
    caller: &crate::auth::Caller,
    asset_id: Uuid,
    check: AssetCheck,
    today: NaiveDate,
) -> AppResult<community_asset::Model> {
    use community_asset::Column as A;
    let asset = get(db, asset_id).await?;
    if !caller.may_check_asset(&asset) {
        return Err(AppError::forbidden("the provider or the neighbourhood's staff keep an entry up to date"));
    }
    check_capacity(&asset, check.capacity)?;
    let mut update = community_asset::Entity::update_many()
        .col_expr(A::LastCheckedOn, Expr::value(today))
        .col_expr(A::UpdatedAt, Expr::value(chrono::Utc::now()))
        .filter(A::Id.eq(asset.id));
    if let Some(c) = check.capacity {
        // Guarded: a place taken in between must still fit.
        update = update.col_expr(A::Capacity, Expr::value(c)).filter(A::PlacesTaken.lte(c));
    }
    if let Some(active) = check.active {
        update = update.col_expr(A::Active, Expr::value(active));
    }
    if update.exec(db).await?.rows_affected != 1 {
        return Err(AppError::conflict_with("a place was taken meanwhile; check the capacity again", asset.id));
    }
    get(db, asset.id).await
}
