//! GraphQL for the provider's own edits of its directory entries (`domain::directory::edits`).

use async_graphql::{Context, InputObject, MaybeUndefined, Object, SimpleObject, ID};

use super::graphql::{CommunityAssetNode, Weekday};
use crate::context::{change, opt_id, parse_id, request};
use crate::enums::{AssetCategory, AssetCost, NoiseLevel};
use crate::error::ApiResult;
use domain::directory::edits::{self, AssetChange, AssetDetails, Session};

/// A weekly session of an activity.
#[derive(InputObject)]
pub struct AssetSessionInput {
    pub weekday: Weekday,
    /// Local time, `HH:MM`.
    pub starts_at: String,
    /// Local time, `HH:MM`, after `startsAt`.
    pub ends_at: String,
}

impl From<AssetSessionInput> for Session {
    fn from(s: AssetSessionInput) -> Self {
        Session { weekday: s.weekday.iso(), starts_at: s.starts_at, ends_at: s.ends_at }
    }
}

fn sessions(list: Vec<AssetSessionInput>) -> Vec<Session> {
    list.into_iter().map(Session::from).collect()
}

fn categories(list: Vec<AssetCategory>) -> Vec<entity::AssetCategory> {
    list.into_iter().map(Into::into).collect()
}

#[derive(InputObject)]
pub struct CreateCommunityAssetInput {
    /// A neighbourhood the provider takes part in: whose directory lists the entry.
    pub neighbourhood_id: ID,
    /// The organisation that runs it: the caller's own when left out (only the deployment's
    /// administrator names another).
    pub provider_organisation_id: Option<ID>,
    /// 1 to 200 characters.
    pub name: String,
    /// What it is, up to 4,000 characters.
    pub description: String,
    /// Where it takes place (1 to 500 characters).
    pub address: String,
    /// A UK postcode the service can place (distance searches measure from it).
    pub postcode: String,
    /// Phone, email or web, as published.
    pub contact: Option<String>,
    /// Beyond the weekly sessions ("term time only").
    pub schedule_note: Option<String>,
    pub cost: AssetCost,
    pub cost_note: Option<String>,
    /// 0 to 120.
    pub min_age: Option<i32>,
    /// 0 to 120, not below `minAge`.
    pub max_age: Option<i32>,
    pub eligibility_note: Option<String>,
    /// SNOMED CT codes or catalogue keys of `longTermConditions` it is meant for.
    #[graphql(default)]
    pub condition_codes: Vec<String>,
    #[graphql(default)]
    pub step_free: bool,
    #[graphql(default)]
    pub accessible_toilet: bool,
    pub noise_level: NoiseLevel,
    #[graphql(default)]
    pub sensory_friendly: bool,
    #[graphql(default)]
    pub hearing_loop: bool,
    #[graphql(default)]
    pub on_bus_route: bool,
    #[graphql(default)]
    pub transport_provided: bool,
    /// Places in all; left out when not limited.
    pub capacity: Option<i32>,
    /// False: signposting only.
    pub takes_referrals: bool,
    /// At least one.
    pub categories: Vec<AssetCategory>,
    /// Languages the activity is also run in (up to 20).
    #[graphql(default)]
    pub languages: Vec<String>,
    #[graphql(default)]
    pub sessions: Vec<AssetSessionInput>,
}

/// A change to an entry: a field left out keeps its value; a nullable field given null is cleared;
/// a list given replaces the list.
#[derive(InputObject)]
pub struct UpdateCommunityAssetInput {
    pub asset_id: ID,
    pub name: Option<String>,
    pub description: Option<String>,
    pub address: Option<String>,
    pub postcode: Option<String>,
    pub contact: MaybeUndefined<String>,
    pub schedule_note: MaybeUndefined<String>,
    pub cost: Option<AssetCost>,
    pub cost_note: MaybeUndefined<String>,
    pub min_age: MaybeUndefined<i32>,
    pub max_age: MaybeUndefined<i32>,
    pub eligibility_note: MaybeUndefined<String>,
    pub condition_codes: Option<Vec<String>>,
    pub step_free: Option<bool>,
    pub accessible_toilet: Option<bool>,
    pub noise_level: Option<NoiseLevel>,
    pub sensory_friendly: Option<bool>,
    pub hearing_loop: Option<bool>,
    pub on_bus_route: Option<bool>,
    pub transport_provided: Option<bool>,
    /// Not below the places held; null: not limited.
    pub capacity: MaybeUndefined<i32>,
    pub takes_referrals: Option<bool>,
    pub categories: Option<Vec<AssetCategory>>,
    pub languages: Option<Vec<String>>,
    pub sessions: Option<Vec<AssetSessionInput>>,
}

#[derive(InputObject)]
pub struct RetireCommunityAssetInput {
    pub asset_id: ID,
    /// Why it no longer runs (1 to 500 characters), for the administration trail.
    pub reason: String,
}

/// A directory entry as an edit left it.
#[derive(SimpleObject)]
pub struct CommunityAssetPayload {
    pub asset: CommunityAssetNode,
}

#[derive(Default)]
pub struct DirectoryEditMutation;

#[Object]
impl DirectoryEditMutation {
    /// Lists a new activity or service in a neighbourhood's directory, checked as of today: by the
    /// staff or administrator of the organisation that runs it (or the deployment's
    /// administrator), which must take part in the neighbourhood. One transaction with its row in
    /// the administration trail.
    async fn create_community_asset(
        &self,
        ctx: &Context<'_>,
        input: CreateCommunityAssetInput,
    ) -> ApiResult<CommunityAssetPayload> {
        let req = request(ctx)?;
        let neighbourhood_id = parse_id("neighbourhoodId", &input.neighbourhood_id)?;
        let provider_id = opt_id("providerOrganisationId", &input.provider_organisation_id)?;
        let details = AssetDetails {
            name: input.name,
            description: input.description,
            address: input.address,
            postcode: input.postcode,
            contact: input.contact,
            schedule_note: input.schedule_note,
            cost: input.cost.into(),
            cost_note: input.cost_note,
            min_age: input.min_age,
            max_age: input.max_age,
            eligibility_note: input.eligibility_note,
            condition_codes: input.condition_codes,
            step_free: input.step_free,
            accessible_toilet: input.accessible_toilet,
            noise_level: input.noise_level.into(),
            sensory_friendly: input.sensory_friendly,
            hearing_loop: input.hearing_loop,
            on_bus_route: input.on_bus_route,
            transport_provided: input.transport_provided,
            capacity: input.capacity,
            takes_referrals: input.takes_referrals,
            categories: categories(input.categories),
            languages: input.languages,
            sessions: sessions(input.sessions),
        };
        let model = edits::create(&req.db, &req.caller, neighbourhood_id, provider_id, details, req.today).await?;
        Ok(CommunityAssetPayload { asset: CommunityAssetNode { model, distance_km: None } })
    }

    /// Changes an entry's details (see the input), checked as of today: by its provider. The
    /// capacity may not fall below the places held (BAD_USER_INPUT; CONFLICT when a place was taken
    /// meanwhile).
    async fn update_community_asset(
        &self,
        ctx: &Context<'_>,
        input: UpdateCommunityAssetInput,
    ) -> ApiResult<CommunityAssetPayload> {
        let req = request(ctx)?;
        let id = parse_id("assetId", &input.asset_id)?;
        let c = AssetChange {
            name: input.name,
            description: input.description,
            address: input.address,
            postcode: input.postcode,
            contact: change(input.contact),
            schedule_note: change(input.schedule_note),
            cost: input.cost.map(Into::into),
            cost_note: change(input.cost_note),
            min_age: change(input.min_age),
            max_age: change(input.max_age),
            eligibility_note: change(input.eligibility_note),
            condition_codes: input.condition_codes,
            step_free: input.step_free,
            accessible_toilet: input.accessible_toilet,
            noise_level: input.noise_level.map(Into::into),
            sensory_friendly: input.sensory_friendly,
            hearing_loop: input.hearing_loop,
            on_bus_route: input.on_bus_route,
            transport_provided: input.transport_provided,
            capacity: change(input.capacity),
            takes_referrals: input.takes_referrals,
            categories: input.categories.map(categories),
            languages: input.languages,
            sessions: input.sessions.map(sessions),
        };
        let model = edits::update(&req.db, &req.caller, id, c, req.today).await?;
        Ok(CommunityAssetPayload { asset: CommunityAssetNode { model, distance_km: None } })
    }

    /// Retires an entry: it leaves searches and suggestions, its history stays. CONFLICT while
    /// people hold places on it; INVALID_TRANSITION when already retired.
    async fn retire_community_asset(
        &self,
        ctx: &Context<'_>,
        input: RetireCommunityAssetInput,
    ) -> ApiResult<CommunityAssetPayload> {
        let req = request(ctx)?;
        let id = parse_id("assetId", &input.asset_id)?;
        let model = edits::retire(&req.db, &req.caller, id, &input.reason).await?;
        Ok(CommunityAssetPayload { asset: CommunityAssetNode { model, distance_km: None } })
    }
}
