//! Matching: ranked community asset suggestions for one person, each saying why it matched.
//!
//! * **Needs** come from the person's open referrals (their coded reasons) and the open goals of
//!   their care plan; each need maps to directory categories ([`categories_for`]). An asset must
//!   serve at least one of them (when the person has any recorded need).
//! * **Access**: sensory needs (hearing or visual impairment) exclude loud venues and favour quiet,
//!   hearing-loop and sensory-friendly ones; moderate or severe frailty, or age 80 and over,
//!   requires step-free access and favours places on a bus route or with transport (people this
//!   frail rarely drive); an interpreter language favours sessions run in it.
//! * **Conditions**: an activity meant for a long-term condition the person lives with (singing
//!   for better breathing and COPD) ranks higher.
//! * **Distance** from the person's postcode: nearer is better; beyond the radius is excluded.
//! * Only active assets with a place free and open to the person's age are suggested.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use entity::{
    care_plan_goal, community_asset, community_asset_category, community_asset_condition, community_asset_language,
    patient, patient_condition, referral, referral_need, AssetCategory as C, GoalStatus, NoiseLevel, ReferralNeed as N,
};

use super::geo;
use super::{is_stale, AssetFilter, Near};
use crate::auth::Caller;
use crate::error::AppResult;
use crate::frailty::FrailtyCategory;
use crate::pagination::PageRequest;
use crate::sql::any_of;

/// The directory categories that can meet a need.
pub fn categories_for(need: N) -> &'static [C] {
    match need {
        N::LonelinessOrIsolation => &[C::Befriending, C::PeerSupport, C::ArtsAndCulture, C::GreenAndBlue],
        N::Housing => &[C::Housing],
        N::DebtAndMoney => &[C::DebtAndMoneyAdvice],
        N::Employment => &[C::Employment, C::Learning],
        N::PhysicalActivity => &[C::PhysicalActivity, C::GreenAndBlue],
        N::LowMoodOrAnxiety => &[C::MentalWellbeing, C::GreenAndBlue, C::PeerSupport, C::ArtsAndCulture],
        N::CarerSupport => &[C::Carers],
        N::FoodInsecurity => &[C::Food],
        N::Bereavement => &[C::PeerSupport, C::MentalWellbeing],
        N::LongTermConditionSelfManagement => &[C::PhysicalActivity, C::PeerSupport, C::Learning],
        N::Other => &[],
    }
}

/// Where a need was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NeedSource {
    Referral,
    PlanGoal,
}

/// One suggestion.
#[derive(Debug, Clone)]
pub struct Suggestion {
    pub asset: community_asset::Model,
    pub distance_km: Option<f64>,
    pub score: f64,
    pub matched_needs: Vec<N>,
    pub reasons: Vec<String>,
}

fn need_label(need: N) -> String {
    need.to_value().replace('_', " ")
}

/// The person's recorded needs: the reasons of open referrals that `caller` is a party to (a
/// referral between other organisations is theirs to know, needs included) and open plan goals.
pub async fn needs_of(
    db: &impl ConnectionTrait,
    caller: &Caller,
    patient_id: Uuid,
) -> AppResult<BTreeMap<N, NeedSource>> {
    let mut needs = BTreeMap::new();
    let open: Vec<Uuid> = referral::Entity::find()
        .filter(referral::Column::PatientId.eq(patient_id))
        .filter(referral::Column::OpenKey.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .filter(|r| caller.may_see_referral(r))
        .map(|r| r.id)
        .collect();
    if !open.is_empty() {
        for n in referral_need::Entity::find().filter(referral_need::Column::ReferralId.is_in(open)).all(db).await? {
            needs.insert(n.need, NeedSource::Referral);
        }
    }
    if let Some(plan) = crate::plans::find_for_patient(db, patient_id).await? {
        for g in care_plan_goal::Entity::find().filter(care_plan_goal::Column::PlanId.eq(plan.id)).all(db).await? {
            if matches!(g.status, GoalStatus::NotStarted | GoalStatus::InProgress) {
                needs.entry(g.need).or_insert(NeedSource::PlanGoal);
            }
        }
    }
    Ok(needs)
}

/// Ranked suggestions for `patient` within `within_km` of their home, best first, at most `limit`.
pub async fn suggest(
    db: &(impl ConnectionTrait + Clone + Send + 'static),
    caller: &Caller,
    patient: &patient::Model,
    today: NaiveDate,
    within_km: f64,
    limit: usize,
) -> AppResult<Vec<Suggestion>> {
    let needs = needs_of(db, caller, patient.id).await?;
    let age = crate::patients::age_on(patient.date_of_birth, today);
    let frail = patient.efi_score.map(FrailtyCategory::from_efi).is_some_and(|c| c >= FrailtyCategory::Moderate)
        || patient.clinical_frailty_scale.is_some_and(|cfs| cfs >= 6);
    let mobility = frail || age >= 80;
    let sensory = patient.hearing_impairment || patient.visual_impairment;
    let home = geo::locate(db, "postcode", &patient.postcode).await.ok().map(|(p, _)| p);

    let mut filter = AssetFilter {
        neighbourhood_id: Some(patient.neighbourhood_id),
        spaces_available: true,
        age: Some(age),
        ..AssetFilter::default()
    };
    filter.requirements.step_free = mobility;
    let wanted: Vec<C> = {
        let mut all: Vec<C> = needs.keys().flat_map(|n| categories_for(*n).iter().copied()).collect();
        all.sort_by_key(|c| c.to_value());
        all.dedup();
        all
    };
    filter.categories = wanted.clone();
    if !needs.is_empty() && wanted.is_empty() {
        return Ok(Vec::new());
    }
    // Every candidate in the neighbourhood's directory within the radius (or all of it when the
    // person's home cannot be placed).
    let near = home.map(|centre| Near { centre, within_km });
    let mut candidates = Vec::new();
    let mut after = None;
    loop {
        let page =
            super::search(db, &filter, near, PageRequest { limit: crate::pagination::MAX_PAGE_SIZE, after }).await?;
        let more = page.page_info.has_next_page;
        after = page.items.last().map(|(_, (m, _))| m.id);
        candidates.extend(page.items.into_iter().map(|(_, found)| found));
        if !more {
            break;
        }
    }
    // Key lists as one array parameter on PostgreSQL (`sql::any_of`): one prepared statement
    // whatever the number of candidates.
    let backend = db.get_database_backend();
    let ids: Vec<Uuid> = candidates.iter().map(|(m, _)| m.id).collect();
    let mut categories: BTreeMap<Uuid, Vec<C>> = BTreeMap::new();
    if !ids.is_empty() {
        for row in community_asset_category::Entity::find()
            .filter(any_of(backend, community_asset_category::Column::AssetId, &ids))
            .all(db)
            .await?
        {
            categories.entry(row.asset_id).or_default().push(row.category);
        }
    }

    let with_categories: Vec<Uuid> = categories.keys().copied().collect();
    // Activities run in the person's interpreter language (as the provider names it, in any case).
    let mut in_language: BTreeSet<Uuid> = BTreeSet::new();
    if let (Some(language), false) = (&patient.interpreter_language, categories.is_empty()) {
        use community_asset_language::Column as L;
        for row in community_asset_language::Entity::find()
            .filter(any_of(backend, L::AssetId, &with_categories))
            .filter(Expr::expr(Func::lower(Expr::col(L::Language))).eq(language.trim().to_lowercase()))
            .all(db)
            .await?
        {
            in_language.insert(row.asset_id);
        }
    }

    // Activities meant for a condition the person lives with.
    let mut meant_for: BTreeMap<Uuid, Vec<String>> = BTreeMap::new();
    if !categories.is_empty() {
        for row in community_asset_condition::Entity::find()
            .filter(any_of(backend, community_asset_condition::Column::AssetId, &with_categories))
            .all(db)
            .await?
        {
            meant_for.entry(row.asset_id).or_default().push(row.snomed_code);
        }
    }
    // Only the conditions the caller reads: a reason naming another would disclose it.
    let view = caller.condition_view();
    let conditions: Vec<String> = patient_condition::Entity::find()
        .filter(patient_condition::Column::PatientId.eq(patient.id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.snomed_code)
        .filter(|code| view.shows(code))
        .collect();

    let mut out = Vec::new();
    for (asset, distance) in candidates {
        if sensory && asset.noise_level == NoiseLevel::Loud {
            continue;
        }
        let cats = categories.get(&asset.id).cloned().unwrap_or_default();
        let mut score = 0.0;
        let mut reasons = Vec::new();
        let mut matched = Vec::new();
        for (need, source) in &needs {
            let serves: Vec<&C> = categories_for(*need).iter().filter(|c| cats.contains(c)).collect();
            if !serves.is_empty() {
                matched.push(*need);
                score += if *source == NeedSource::Referral { 12.0 } else { 10.0 };
                reasons.push(format!(
                    "meets the need for {} ({}): {}",
                    need_label(*need),
                    if *source == NeedSource::Referral { "open referral" } else { "care plan goal" },
                    serves.iter().map(|c| c.to_value().replace('_', " ")).collect::<Vec<_>>().join(", ")
                ));
            }
        }
        if needs.is_empty() {
            reasons.push("no needs recorded yet: nearby activities with space".to_owned());
        }
        for code in meant_for.get(&asset.id).into_iter().flatten() {
            if conditions.contains(code) {
                score += 5.0;
                let name = crate::conditions::by_code(code).map_or(code.as_str(), |c| c.name.as_str());
                reasons.push(format!("meant for people with {name}"));
            }
        }
        if sensory {
            if asset.noise_level == NoiseLevel::Quiet {
                score += 4.0;
                reasons.push("quiet venue (sensory needs)".to_owned());
            }
            if patient.hearing_impairment && asset.hearing_loop {
                score += 3.0;
                reasons.push("hearing loop (hearing impairment)".to_owned());
            }
            if asset.sensory_friendly {
                score += 2.0;
                reasons.push("sensory-friendly sessions".to_owned());
            }
        }
        if mobility {
            reasons.push(format!("step-free access ({})", if frail { "frailty" } else { "aged 80 or over" }));
            if asset.transport_provided {
                score += 4.0;
                reasons.push("transport provided (unlikely to drive)".to_owned());
            } else if asset.on_bus_route {
                score += 2.0;
                reasons.push("on a bus route (unlikely to drive)".to_owned());
            }
        }
        if let Some(language) = &patient.interpreter_language {
            if in_language.contains(&asset.id) {
                score += 3.0;
                reasons.push(format!("sessions in {language}"));
            }
        }
        match (distance, home) {
            (Some(d), Some(_)) => {
                score -= d;
                reasons.push(format!("{d:.1} km from home"));
            }
            _ => reasons.push("distance unknown (home postcode not placed)".to_owned()),
        }
        if let Some(capacity) = asset.capacity {
            reasons.push(format!("{} of {capacity} places free", capacity - asset.places_taken));
        }
        if asset.cost == entity::AssetCost::Free {
            score += 1.0;
            reasons.push("free".to_owned());
        }
        if !asset.takes_referrals {
            reasons.push("signposting only: the person contacts them".to_owned());
        }
        if is_stale(&asset, today) {
            score -= 2.0;
            reasons.push(format!("details last checked {}: confirm before referring", asset.last_checked_on));
        }
        out.push(Suggestion { asset, distance_km: distance, score, matched_needs: matched, reasons });
    }
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.distance_km.unwrap_or(f64::MAX).total_cmp(&b.distance_km.unwrap_or(f64::MAX)))
            .then(a.asset.id.cmp(&b.asset.id))
    });
    out.truncate(limit);
    Ok(out)
}
