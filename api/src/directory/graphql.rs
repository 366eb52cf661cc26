//! GraphQL for the community asset directory, suggestions for a person, and connections.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};

use entity::{asset_connection, asset_connection_event, community_asset, community_asset_session};

use crate::connection_type;
use crate::context::{opt_id, parse_id, request, RequestContext};
use crate::enums::{AssetCategory, AssetCost, ConnectionState, LocationPrecision, NoiseLevel, ReferralNeed};
use crate::error::ApiResult;
use crate::neighbourhoods::NeighbourhoodNode;
use crate::organisations::OrganisationNode;
use crate::patients::PatientNode;
use crate::practitioners::PractitionerNode;
use crate::scalars;
use domain::auth::Grant;
use domain::auth::PatientAccessLevel;
use domain::directory::connections::{self, allowed_moves, NewConnection};
use domain::directory::geo::{self};
use domain::directory::{AssetFilter, Near, Requirements};
use domain::error::{AppError, AppResult};
use domain::pagination::PageRequest;
use domain::search::SearchText;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    pub(crate) fn iso(self) -> i16 {
        self as i16 + 1
    }

    fn from_iso(day: i16) -> Option<Self> {
        use Weekday::*;
        [Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday].get(usize::try_from(day - 1).ok()?).copied()
    }
}

/// An activity or service in the directory.
#[derive(Clone)]
pub struct CommunityAssetNode {
    pub model: community_asset::Model,
    /// Kilometres from the point searched from, for distance searches.
    pub distance_km: Option<f64>,
}

#[derive(SimpleObject)]
pub struct AssetSession {
    pub weekday: Weekday,
    /// Local time, `HH:MM`.
    pub starts_at: String,
    pub ends_at: String,
}

#[derive(SimpleObject)]
pub struct Accessibility {
    pub step_free: bool,
    pub accessible_toilet: bool,
    pub noise_level: NoiseLevel,
    pub sensory_friendly: bool,
    pub hearing_loop: bool,
    /// On or near a bus route.
    pub on_bus_route: bool,
    pub transport_provided: bool,
}

#[derive(SimpleObject)]
pub struct Eligibility {
    pub min_age: Option<i32>,
    pub max_age: Option<i32>,
    /// Long-term conditions it is meant for (anyone may come unless the note says otherwise).
    pub conditions: Vec<crate::patients::graphql::LongTermCondition>,
    pub note: Option<String>,
}

#[derive(SimpleObject)]
pub struct GeoPoint {
    pub latitude: f64,
    pub longitude: f64,
}

#[Object(name = "CommunityAsset")]
impl CommunityAssetNode {
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.model.name
    }
    async fn description(&self) -> &str {
        &self.model.description
    }
    async fn provider(&self, ctx: &Context<'_>) -> ApiResult<Option<OrganisationNode>> {
        OrganisationNode::load(ctx, self.model.provider_organisation_id).await
    }
    async fn neighbourhood(&self, ctx: &Context<'_>) -> ApiResult<Option<NeighbourhoodNode>> {
        Ok(request(ctx)?.loaders.neighbourhood.load_one(self.model.neighbourhood_id).await?.map(Into::into))
    }
    async fn categories(&self, ctx: &Context<'_>) -> ApiResult<Vec<AssetCategory>> {
        let rows = request(ctx)?.loaders.asset_categories.load_one(self.model.id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(|r| r.category.into()).collect())
    }
    /// Weekly sessions, Monday first.
    async fn sessions(&self, ctx: &Context<'_>) -> ApiResult<Vec<AssetSession>> {
        let rows: Vec<community_asset_session::Model> =
            request(ctx)?.loaders.asset_sessions.load_one(self.model.id).await?.unwrap_or_default();
        Ok(rows
            .into_iter()
            .filter_map(|s| {
                Weekday::from_iso(s.weekday).map(|weekday| AssetSession {
                    weekday,
                    starts_at: s.starts_at,
                    ends_at: s.ends_at,
                })
            })
            .collect())
    }
    async fn schedule_note(&self) -> Option<&str> {
        self.model.schedule_note.as_deref()
    }
    async fn address(&self) -> &str {
        &self.model.address
    }
    async fn postcode(&self) -> &str {
        &self.model.postcode
    }
    async fn location(&self) -> GeoPoint {
        GeoPoint { latitude: self.model.latitude, longitude: self.model.longitude }
    }
    /// Kilometres from the searched postcode (distance searches and suggestions only).
    async fn distance_km(&self) -> Option<f64> {
        self.distance_km
    }
    async fn contact(&self) -> Option<&str> {
        self.model.contact.as_deref()
    }
    async fn cost(&self) -> AssetCost {
        self.model.cost.into()
    }
    async fn cost_note(&self) -> Option<&str> {
        self.model.cost_note.as_deref()
    }
    async fn eligibility(&self, ctx: &Context<'_>) -> ApiResult<Eligibility> {
        let rows = request(ctx)?.loaders.asset_conditions.load_one(self.model.id).await?.unwrap_or_default();
        Ok(Eligibility {
            min_age: self.model.min_age,
            max_age: self.model.max_age,
            conditions: rows
                .iter()
                .filter_map(|r| domain::conditions::by_code(&r.snomed_code))
                .map(crate::patients::graphql::LongTermCondition::from)
                .collect(),
            note: self.model.eligibility_note.clone(),
        })
    }
    async fn accessibility(&self) -> Accessibility {
        let m = &self.model;
        Accessibility {
            step_free: m.step_free,
            accessible_toilet: m.accessible_toilet,
            noise_level: m.noise_level.into(),
            sensory_friendly: m.sensory_friendly,
            hearing_loop: m.hearing_loop,
            on_bus_route: m.on_bus_route,
            transport_provided: m.transport_provided,
        }
    }
    /// Languages sessions are run in besides English, alphabetically.
    async fn languages(&self, ctx: &Context<'_>) -> ApiResult<Vec<String>> {
        let rows = request(ctx)?.loaders.asset_languages.load_one(self.model.id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(|r| r.language).collect())
    }
    /// Places in all; null when not limited.
    async fn capacity(&self) -> Option<i32> {
        self.model.capacity
    }
    /// Places held by people referred or attending.
    async fn places_taken(&self) -> i32 {
        self.model.places_taken
    }
    /// Places left; null when not limited.
    async fn spaces_left(&self) -> Option<i32> {
        self.model.capacity.map(|c| (c - self.model.places_taken).max(0))
    }
    async fn takes_referrals(&self) -> bool {
        self.model.takes_referrals
    }
    /// The person contacts them directly; no referral.
    async fn signposting_only(&self) -> bool {
        !self.model.takes_referrals
    }
    async fn last_checked_on(&self) -> scalars::Date {
        self.model.last_checked_on.into()
    }
    /// Not checked for six months: confirm the details before referring.
    async fn is_stale(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        Ok(domain::directory::is_stale(&self.model, request(ctx)?.today))
    }
    async fn active(&self) -> bool {
        self.model.active
    }
}

connection_type!(
    CommunityAssetConnection,
    CommunityAssetEdge,
    CommunityAssetNode,
    "A page of community assets: by name, or nearest first for a distance search."
);

/// A person's connection to a community asset, as the caller may see it.
#[derive(Clone)]
pub struct AssetConnectionNode {
    model: asset_connection::Model,
    asset: community_asset::Model,
    /// The caller's grant on the person, if any.
    grant: Option<Grant>,
}

/// A person's link to a community asset (referred, attending, finished, …). Named `AssetLink`
/// rather than a "connection", which GraphQL clients (Relay) take for a page of a list.
#[Object(name = "AssetLink")]
impl AssetConnectionNode {
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }
    /// The person: the care team's own access, or for the provider the summary while the person is
    /// referred or attending.
    async fn patient(&self, ctx: &Context<'_>) -> ApiResult<Option<PatientNode>> {
        let grant = self.grant.ok_or_else(|| {
            AppError::forbidden("the person's details close to the provider once the connection has ended")
        })?;
        PatientNode::load_with(ctx, self.model.patient_id, grant).await.map(Some)
    }
    async fn asset(&self) -> CommunityAssetNode {
        CommunityAssetNode { model: self.asset.clone(), distance_km: None }
    }
    async fn state(&self) -> ConnectionState {
        self.model.state.into()
    }
    async fn allowed_moves(&self) -> Vec<ConnectionState> {
        allowed_moves(self.model.state).iter().map(|s| (*s).into()).collect()
    }
    /// The referral it was made under (its id), for the referral's parties only: to anyone else
    /// even its existence is not theirs to know.
    async fn referral_id(&self, ctx: &Context<'_>) -> ApiResult<Option<ID>> {
        let Some(id) = self.model.referral_id else { return Ok(None) };
        let req = request(ctx)?;
        let referral = req.loaders.referral.load_one(id).await?;
        Ok(referral.filter(|r| req.caller.may_see_referral(r)).map(|r| ID(r.id.to_string())))
    }
    async fn created_at(&self) -> scalars::DateTime {
        self.model.created_at.into()
    }
    async fn started_at(&self) -> Option<scalars::DateTime> {
        self.model.started_at.map(Into::into)
    }
    async fn ended_at(&self) -> Option<scalars::DateTime> {
        self.model.ended_at.map(Into::into)
    }
    async fn created_by(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.model.created_by).await
    }
    /// Every move, oldest first.
    async fn events(&self, ctx: &Context<'_>) -> ApiResult<Vec<AssetConnectionEventNode>> {
        let rows = request(ctx)?.loaders.connection_events.load_one(self.model.id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(AssetConnectionEventNode).collect())
    }
}

pub struct AssetConnectionEventNode(asset_connection_event::Model);

#[Object(name = "AssetConnectionEvent")]
impl AssetConnectionEventNode {
    async fn from_state(&self) -> Option<ConnectionState> {
        self.0.from_state.map(Into::into)
    }
    async fn to_state(&self) -> ConnectionState {
        self.0.to_state.into()
    }
    async fn occurred_at(&self) -> scalars::DateTime {
        self.0.occurred_at.into()
    }
    /// The note made with the move. A caller who may not read identifiable records (the VCSE
    /// provider of the activity) reads only its own organisation's notes (FORBIDDEN otherwise):
    /// another's may be clinical.
    async fn note(&self, ctx: &Context<'_>) -> ApiResult<Option<&str>> {
        match self.0.note.as_deref() {
            Some(_) if !request(ctx)?.caller.reads_text_written_by(self.0.organisation_id) => Err(AppError::forbidden(
                "a note written by another organisation may be clinical and is not shared with voluntary-sector partners",
            )
            .into()),
            note => Ok(note),
        }
    }
    async fn practitioner(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.0.practitioner_id).await
    }
    async fn organisation(&self, ctx: &Context<'_>) -> ApiResult<Option<OrganisationNode>> {
        OrganisationNode::load(ctx, self.0.organisation_id).await
    }
}

connection_type!(
    AssetLinkConnection,
    AssetLinkEdge,
    AssetConnectionNode,
    "A page of people's links to community assets, oldest first."
);

/// A suggested asset for a person, with why it matched.
#[derive(SimpleObject)]
pub struct AssetSuggestion {
    pub asset: CommunityAssetNode,
    pub distance_km: Option<f64>,
    /// Higher is a better fit (needs met, access, distance).
    pub score: f64,
    pub matched_needs: Vec<ReferralNeed>,
    /// Why it was suggested, in plain words.
    pub reasons: Vec<String>,
}

#[derive(InputObject, Default)]
pub struct AccessRequirementsInput {
    pub step_free: Option<bool>,
    pub accessible_toilet: Option<bool>,
    pub quiet: Option<bool>,
    pub sensory_friendly: Option<bool>,
    pub hearing_loop: Option<bool>,
    /// On a bus route or with transport provided.
    pub reachable_without_car: Option<bool>,
}

#[derive(InputObject, Default)]
pub struct CommunityAssetFilterInput {
    pub neighbourhood_id: Option<ID>,
    /// Words in the name or description.
    pub search: Option<String>,
    /// Any of these categories.
    pub categories: Option<Vec<AssetCategory>>,
    pub requirements: Option<AccessRequirementsInput>,
    /// Runs on this day.
    pub weekday: Option<Weekday>,
    /// Has a place free (or no limit).
    pub spaces_available: Option<bool>,
    pub takes_referrals: Option<bool>,
    /// Open to a person of this age.
    pub age: Option<i32>,
    pub include_inactive: Option<bool>,
}

#[derive(InputObject)]
pub struct NearInput {
    pub postcode: String,
    /// Default 5, at most 50.
    pub within_km: Option<f64>,
}

impl CommunityAssetFilterInput {
    fn into_filter(self) -> AppResult<AssetFilter> {
        let r = self.requirements.unwrap_or_default();
        Ok(AssetFilter {
            neighbourhood_id: opt_id("neighbourhoodId", &self.neighbourhood_id)?,
            text: SearchText::parse(self.search)?,
            categories: self.categories.unwrap_or_default().into_iter().map(Into::into).collect(),
            requirements: Requirements {
                step_free: r.step_free.unwrap_or(false),
                accessible_toilet: r.accessible_toilet.unwrap_or(false),
                quiet: r.quiet.unwrap_or(false),
                sensory_friendly: r.sensory_friendly.unwrap_or(false),
                hearing_loop: r.hearing_loop.unwrap_or(false),
                reachable_without_car: r.reachable_without_car.unwrap_or(false),
            },
            weekday: self.weekday.map(Weekday::iso),
            spaces_available: self.spaces_available.unwrap_or(false),
            takes_referrals: self.takes_referrals,
            age: self.age,
            include_inactive: self.include_inactive.unwrap_or(false),
        })
    }
}

/// Where a distance search was measured from.
#[derive(SimpleObject)]
pub struct SearchOrigin {
    pub postcode: String,
    pub precision: LocationPrecision,
}

#[derive(InputObject)]
pub struct ConnectToAssetInput {
    pub patient_id: ID,
    pub asset_id: ID,
    /// SUGGESTED (no place held), REFERRED or ATTENDING (each holds a place).
    pub state: ConnectionState,
    pub referral_id: Option<ID>,
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct MoveAssetConnectionInput {
    pub connection_id: ID,
    pub to: ConnectionState,
    pub note: Option<String>,
}

#[derive(SimpleObject)]
pub struct AssetConnectionPayload {
    pub connection: AssetConnectionNode,
}

#[derive(InputObject)]
pub struct RecordAssetCheckInput {
    pub asset_id: ID,
    /// Places in all, if it changed (null keeps it).
    pub capacity: Option<i32>,
    /// False when the activity no longer runs.
    pub active: Option<bool>,
}

#[derive(SimpleObject)]
pub struct RecordAssetCheckPayload {
    pub asset: CommunityAssetNode,
}

async fn audit_people(ctx: &Context<'_>, req: &RequestContext, reads: &[(uuid::Uuid, Grant)]) -> AppResult<()> {
    let reads: Vec<_> = reads.iter().map(|(p, g)| (*p, g.reason())).collect();
    req.audit_reads(ctx, &reads).await
}

#[derive(Default)]
pub struct DirectoryQuery;

#[Object]
impl DirectoryQuery {
    /// Searches the directory by text, category, accessibility, day and spaces; with `near`,
    /// within a distance of a postcode, nearest first.
    #[graphql(complexity = "crate::connection::page_cost(first, child_complexity)")]
    async fn community_assets(
        &self,
        ctx: &Context<'_>,
        filter: Option<CommunityAssetFilterInput>,
        near: Option<NearInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<CommunityAssetConnection> {
        let req = request(ctx)?;
        let filter = filter.unwrap_or_default().into_filter()?;
        let near = match near {
            Some(n) => {
                let (centre, _) = geo::locate(&req.db, "postcode", &n.postcode).await?;
                Some(Near { centre, within_km: n.within_km.unwrap_or(5.0) })
            }
            None => None,
        };
        let page = domain::directory::search(&req.db, &filter, near, PageRequest::new(first, after)?).await?;
        Ok(CommunityAssetConnection(page.map(|(model, distance_km)| CommunityAssetNode { model, distance_km })))
    }

    async fn community_asset(&self, ctx: &Context<'_>, id: ID) -> ApiResult<CommunityAssetNode> {
        let req = request(ctx)?;
        Ok(CommunityAssetNode {
            model: domain::directory::get(&req.db, parse_id("id", &id)?).await?,
            distance_km: None,
        })
    }

    /// Where a postcode is placed for distance searches (exactly, or its district's centre).
    async fn locate_postcode(&self, ctx: &Context<'_>, postcode: String) -> ApiResult<SearchOrigin> {
        let req = request(ctx)?;
        let (_, precision) = geo::locate(&req.db, "postcode", &postcode).await?;
        Ok(SearchOrigin { postcode: geo::normalise_postcode("postcode", &postcode)?, precision: precision.into() })
    }

    /// Ranked suggestions for a person from their recorded needs (open referrals, plan goals),
    /// access needs and distance from home; each says why it matched. Audited.
    async fn suggest_community_assets(
        &self,
        ctx: &Context<'_>,
        patient_id: ID,
        within_km: Option<f64>,
        first: Option<i32>,
    ) -> ApiResult<Vec<AssetSuggestion>> {
        let req = request(ctx)?;
        let (patient, grant) =
            domain::outcomes::patient_with_full_access(&req.db, &req.caller, parse_id("patientId", &patient_id)?)
                .await?;
        let limit = first.unwrap_or(10);
        if !(1..=50).contains(&limit) {
            return Err(AppError::bad_input("first", "must be between 1 and 50").into());
        }
        let found = domain::directory::matching::suggest(
            &req.db,
            &req.caller,
            &patient,
            req.today,
            within_km.unwrap_or(5.0),
            limit as usize,
        )
        .await?;
        audit_people(ctx, req, &[(patient.id, grant)]).await?;
        Ok(found
            .into_iter()
            .map(|s| AssetSuggestion {
                distance_km: s.distance_km.map(|d| (d * 100.0).round() / 100.0),
                asset: CommunityAssetNode { model: s.asset, distance_km: s.distance_km },
                score: (s.score * 100.0).round() / 100.0,
                matched_needs: s.matched_needs.into_iter().map(Into::into).collect(),
                reasons: s.reasons,
            })
            .collect())
    }

    /// Connections to the activities the caller's organisation runs (how a provider sees who is
    /// referred and attending), oldest first; `states` narrows them. People are audited.
    #[graphql(complexity = "crate::connection::page_cost(first, child_complexity)")]
    async fn asset_connections(
        &self,
        ctx: &Context<'_>,
        asset_id: Option<ID>,
        states: Option<Vec<ConnectionState>>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<AssetLinkConnection> {
        let req = request(ctx)?;
        let asset = asset_id.as_ref().map(|id| parse_id("assetId", id)).transpose()?;
        let states: Vec<entity::ConnectionState> = states.unwrap_or_default().into_iter().map(Into::into).collect();
        let page = PageRequest::new(first, after)?;
        let page = domain::directory::connections::of_my_activities(&req.db, &req.caller, asset, &states, page).await?;
        let rows: Vec<&asset_connection::Model> = page.items.iter().map(|(_, m)| m).collect();
        let (assets, patients) = connection_context(req, &rows).await?;
        let page = page.try_map(|model| connection_node(req, &assets, &patients, model))?;
        let reads: Vec<_> = page.items.iter().filter_map(|(_, n)| n.grant.map(|g| (n.model.patient_id, g))).collect();
        audit_people(ctx, req, &reads).await?;
        Ok(AssetLinkConnection(page))
    }
}

type Assets = std::collections::HashMap<uuid::Uuid, community_asset::Model>;
type Patients = std::collections::HashMap<uuid::Uuid, entity::patient::Model>;

/// The assets and people behind connection rows (one statement per table, through the loaders).
async fn connection_context(req: &RequestContext, rows: &[&asset_connection::Model]) -> AppResult<(Assets, Patients)> {
    let assets = req.loaders.community_asset.load_many(rows.iter().map(|r| r.asset_id)).await?;
    let patients = req.loaders.patient.load_many(rows.iter().map(|r| r.patient_id)).await?;
    Ok((assets, patients))
}

/// A connection node with the caller's grant on its person.
fn connection_node(
    req: &RequestContext,
    assets: &Assets,
    patients: &Patients,
    model: asset_connection::Model,
) -> AppResult<AssetConnectionNode> {
    let asset =
        assets.get(&model.asset_id).cloned().ok_or_else(|| AppError::not_found("community asset", model.asset_id))?;
    let grant = patients.get(&model.patient_id).and_then(|p| req.caller.grant_through_connection(p, &model, &asset));
    Ok(AssetConnectionNode { model, asset, grant })
}

/// A person's connections (part of their full record).
pub async fn connections_of_patient(
    req: &RequestContext,
    patient_id: uuid::Uuid,
) -> AppResult<Vec<AssetConnectionNode>> {
    let rows = req.loaders.connections_by_patient.load_one(patient_id).await?.unwrap_or_default();
    let (assets, patients) = connection_context(req, &rows.iter().collect::<Vec<_>>()).await?;
    rows.into_iter().map(|m| connection_node(req, &assets, &patients, m)).collect()
}

#[derive(Default)]
pub struct DirectoryMutation;

#[Object]
impl DirectoryMutation {
    /// Connects a person to a community asset. REFERRED and ATTENDING take one of its places
    /// (CONFLICT when it is full); a second live connection to the same asset is CONFLICT.
    async fn connect_to_asset(
        &self,
        ctx: &Context<'_>,
        input: ConnectToAssetInput,
    ) -> ApiResult<AssetConnectionPayload> {
        let req = request(ctx)?;
        let new = NewConnection {
            patient_id: parse_id("patientId", &input.patient_id)?,
            asset_id: parse_id("assetId", &input.asset_id)?,
            state: input.state.into(),
            referral_id: opt_id("referralId", &input.referral_id)?,
            note: input.note,
        };
        let (model, grant) = connections::connect(&req.db, &req.caller, req.today, new).await?;
        audit_people(ctx, req, &[(model.patient_id, grant)]).await?;
        let asset = domain::directory::get(&req.db, model.asset_id).await?;
        Ok(AssetConnectionPayload { connection: AssetConnectionNode { model, asset, grant: Some(grant) } })
    }

    /// Moves a connection (e.g. the provider records that a referred person is now attending, or
    /// has stopped); places are taken and released with it. Illegal moves: INVALID_TRANSITION.
    async fn move_asset_connection(
        &self,
        ctx: &Context<'_>,
        input: MoveAssetConnectionInput,
    ) -> ApiResult<AssetConnectionPayload> {
        let req = request(ctx)?;
        let (model, asset, grant) = connections::move_connection(
            &req.db,
            &req.caller,
            parse_id("connectionId", &input.connection_id)?,
            input.to.into(),
            input.note,
        )
        .await?;
        audit_people(ctx, req, &[(model.patient_id, grant)]).await?;
        let grant =
            (grant.level() == PatientAccessLevel::Full || connections::holds_place(model.state)).then_some(grant);
        Ok(AssetConnectionPayload { connection: AssetConnectionNode { model, asset, grant } })
    }

    /// Records that an entry's details were checked today (and its capacity or whether it still
    /// runs, if changed): by the organisation that runs it or staff of its neighbourhood.
    async fn record_asset_check(
        &self,
        ctx: &Context<'_>,
        input: RecordAssetCheckInput,
    ) -> ApiResult<RecordAssetCheckPayload> {
        let req = request(ctx)?;
        let check = domain::directory::AssetCheck { capacity: input.capacity, active: input.active };
        let id = parse_id("assetId", &input.asset_id)?;
        let model = domain::directory::record_check(&req.db, &req.caller, id, check, req.today).await?;
        Ok(RecordAssetCheckPayload { asset: CommunityAssetNode { model, distance_km: None } })
    }
}
