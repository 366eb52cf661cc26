//! A person's care across areas in one nested query (what an MDT prepares from, what a patient
//! page shows): the trend of their outcome scores, who is involved in their care, and the priming
//! that loads whatever a list of patients selects in one statement per relationship.
//!
//! Priming runs in three rounds before the fields resolve: the patients' own children (conditions,
//! referrals, plan, measurements, connections, MDT actions), then their children (plan goals and
//! actions, assets, referral needs and events …), then every organisation and practitioner any of
//! them names, in one statement each (the practices alone go with round 1 when nothing else can
//! name an organisation); the statements of a round run at once, so a round waits for one round
//! trip, not one per relationship. So a list's statement count depends on what it selects, never
//! on how many people it holds or on how resolvers fall into DataLoader batch windows.

use std::collections::HashMap;

use async_graphql::{Context, Enum, Lookahead, Object, SimpleObject};
use uuid::Uuid;

use entity::{patient, ConnectionState, PlanActionStatus};

use crate::context::{request, RequestContext};
use crate::error::ApiResult;
use crate::loaders::{load_if, rows_if};
use crate::lookahead::{self as paths, Path};
use crate::organisations::OrganisationNode;
use crate::outcomes::graphql::OutcomeMeasurementNode;
use crate::practitioners::PractitionerNode;
use domain::error::AppResult;
use domain::label::label;
use domain::referrals::state::is_open;

/// What a list of patient nodes selects, across every path that reaches the list.
pub struct Selected<'a> {
    nodes: Vec<Lookahead<'a>>,
}

impl<'a> Selected<'a> {
    pub fn new(nodes: Vec<Lookahead<'a>>) -> Self {
        Self { nodes }
    }

    pub fn any(&self) -> bool {
        self.nodes.iter().any(|n| n.exists())
    }

    /// Whether any of the nodes selects `path` (a path from `Patient`).
    pub fn has(&self, path: &Path) -> bool {
        self.nodes.iter().any(|node| path.selected(node))
    }

    /// Whether any of the nodes selects `inner` below `outer` (`inner` starts at the type `outer`
    /// ends at).
    pub fn has_below(&self, outer: &Path, inner: &Path) -> bool {
        self.nodes.iter().any(|node| inner.selected(&outer.below(node)))
    }

    fn has_any(&self, paths: &[&Path]) -> bool {
        paths.iter().any(|p| self.has(p))
    }
}

/// Loads what `patients` select (see the module documentation).
pub async fn prime(req: &RequestContext, patients: &[&patient::Model], sel: &Selected<'_>) -> AppResult<()> {
    if patients.is_empty() || !sel.any() {
        return Ok(());
    }
    let l = &req.loaders;
    let ids: Vec<Uuid> = patients.iter().map(|p| p.id).collect();
    let team = sel.has(&paths::CARE_TEAM);
    let mut organisations: Vec<Uuid> = Vec::new();
    let mut practitioners: Vec<Uuid> = Vec::new();

    // Round 1: the patients' own children. The loads of a round are independent, so they run at
    // once, each on its own pooled connection: a round costs one round trip of waiting, not one
    // per relationship (the MDT preparation view waited for thirteen in a row).
    if sel.has(&paths::REGISTERED_PRACTICE) || team {
        organisations.extend(patients.iter().map(|p| p.registered_practice_id));
    }
    let neighbourhoods: Vec<Uuid> =
        if sel.has(&paths::NEIGHBOURHOOD) { patients.iter().map(|p| p.neighbourhood_id).collect() } else { Vec::new() };
    let want_conditions = sel.has_any(&[&paths::CONDITIONS, &paths::CONDITION_COUNT]);
    let want_referrals = sel.has(&paths::REFERRALS) || team;
    let want_plans = sel.has(&paths::CARE_PLAN) || team;
    let want_measurements = sel.has_any(&[&paths::OUTCOME_MEASUREMENTS, &paths::OUTCOME_TRENDS]);
    let want_connections = sel.has(&paths::ASSET_CONNECTIONS) || team;
    let want_actions = sel.has(&paths::MDT_ACTIONS) || team;
    // The registered practices are known before any round. When nothing loaded later can name an
    // organisation, they go out with round 1 instead of waiting for it (a patient record).
    let later_organisations = want_referrals || want_plans || want_connections || want_actions;
    let early_organisations = if later_organisations { Vec::new() } else { std::mem::take(&mut organisations) };
    let ids = &ids;
    let (_, _, _, referrals, plans, measurements, connections, actions) = futures::try_join!(
        load_if(!early_organisations.is_empty(), &l.organisation, early_organisations),
        load_if(!neighbourhoods.is_empty(), &l.neighbourhood, neighbourhoods),
        load_if(want_conditions, &l.conditions, ids.iter().copied()),
        rows_if(want_referrals, &l.referrals_by_patient, ids.iter().copied()),
        rows_if(want_plans, &l.care_plan_by_patient, ids.iter().copied()),
        rows_if(want_measurements, &l.measurements_by_patient, ids.iter().copied()),
        rows_if(want_connections, &l.connections_by_patient, ids.iter().copied()),
        rows_if(want_actions, &l.mdt_actions_by_patient, ids.iter().copied()),
    )?;
    let measurements: Vec<Uuid> = measurements.iter().map(|m| m.id).collect();

    // Round 2: their children, at once as well.
    let referral_ids: Vec<Uuid> = referrals.iter().map(|r| r.id).collect();
    let plan_ids: Vec<Uuid> = plans.iter().map(|p| p.id).collect();
    let asset_ids: Vec<Uuid> = connections.iter().map(|c| c.asset_id).collect();
    let connection_ids: Vec<Uuid> = connections.iter().map(|c| c.id).collect();
    let action_ids: Vec<Uuid> = actions.iter().map(|a| a.id).collect();
    let want_needs = sel.has(&paths::REFERRAL_NEEDS);
    let want_events = sel.has(&paths::REFERRAL_EVENTS);
    let want_feedback = sel.has(&paths::REFERRAL_FEEDBACK);
    let want_goals = sel.has(&paths::PLAN_GOALS);
    let want_plan_actions = sel.has(&paths::PLAN_ACTIONS) || team;
    let want_responses = sel.has_any(&[&paths::MEASUREMENT_RESPONSES, &paths::TREND_RESPONSES]);
    let want_connection_events = sel.has(&paths::CONNECTION_EVENTS);
    let want_action_events = sel.has(&paths::MDT_ACTION_HISTORY);
    let (referral_ids, plan_ids) = (&referral_ids, &plan_ids);
    let (_, _, _, _, plan_actions, _, assets, _, _) = futures::try_join!(
        load_if(want_needs, &l.referral_needs, referral_ids.iter().copied()),
        load_if(want_events, &l.referral_events, referral_ids.iter().copied()),
        load_if(want_feedback, &l.referral_feedback, referral_ids.iter().copied()),
        load_if(want_goals, &l.plan_goals, plan_ids.iter().copied()),
        rows_if(want_plan_actions, &l.plan_actions, plan_ids.iter().copied()),
        load_if(want_responses, &l.outcome_responses, measurements),
        l.community_asset.load_many(asset_ids),
        load_if(want_connection_events, &l.connection_events, connection_ids),
        load_if(want_action_events, &l.mdt_action_events, action_ids),
    )?;

    // Round 3: every organisation and practitioner the query shows (only those: a person's
    // referrals name GPs and services the query may never ask about). The care team names each
    // open referral's referrer, receiving service and assigned worker.
    let shows = |path: &Path| team || sel.has(path);
    crate::referrals::graphql::party_keys(
        &referrals,
        |path| sel.has_below(&paths::REFERRALS, path) || (team && *path != paths::CONSENT_RECORDED_BY),
        &mut organisations,
        &mut practitioners,
    );
    if shows(&paths::PLAN_UPDATED_BY) {
        practitioners.extend(plans.iter().map(|p| p.updated_by));
        organisations.extend(plans.iter().map(|p| p.updated_organisation_id));
    }
    let (action_organisations, action_practitioners) =
        (shows(&paths::PLAN_ACTION_OWNER_ORGANISATION), shows(&paths::PLAN_ACTION_OWNER_PRACTITIONER));
    for a in &plan_actions {
        organisations.extend(a.owner_organisation_id.filter(|_| action_organisations));
        practitioners.extend(a.owner_practitioner_id.filter(|_| action_practitioners));
    }
    if team || sel.has(&paths::CONNECTION_ASSET_PROVIDER) {
        organisations.extend(assets.values().map(|a| a.provider_organisation_id));
    }
    if team || sel.has_any(&[&paths::MDT_ACTION_OWNER_PRACTITIONER, &paths::MDT_ACTION_OWNER_ORGANISATION]) {
        for a in &actions {
            organisations.extend(a.owner_organisation_id);
            practitioners.extend(a.owner_practitioner_id);
        }
    }
    if sel.has(&paths::CONNECTION_CREATED_BY) {
        practitioners.extend(connections.iter().map(|c| c.created_by));
    }
    if team {
        // The care team names each practitioner's organisation, so those wait for the practitioners.
        let found = load_if(!practitioners.is_empty(), &l.practitioner, practitioners).await?;
        organisations.extend(found.values().map(|p| p.organisation_id));
        load_if(!organisations.is_empty(), &l.organisation, organisations).await?;
    } else {
        futures::try_join!(
            load_if(!practitioners.is_empty(), &l.practitioner, practitioners),
            load_if(!organisations.is_empty(), &l.organisation, organisations),
        )?;
    }
    Ok(())
}

/// How someone is involved in a person's care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Enum)]
pub enum InvolvementKind {
    /// The person's registered GP practice.
    RegisteredPractice,
    /// Made an open referral of the person.
    Referrer,
    /// Receives an open referral of the person.
    ReceivingService,
    /// The worker assigned to an open referral.
    AssignedWorker,
    /// Last updated the person's care plan.
    CarePlan,
    /// Owns an open action in the care plan.
    PlanActionOwner,
    /// Runs an activity the person is referred to or attends.
    ActivityProvider,
    /// Owns an open action agreed at an MDT meeting.
    MdtActionOwner,
}

#[derive(SimpleObject, Clone)]
pub struct Involvement {
    pub kind: InvolvementKind,
    /// In words, e.g. "Assigned worker: social prescribing (ACTIVE)".
    pub detail: String,
}

/// An organisation (and, where known, the practitioner in it) involved in the person's care.
pub struct CareTeamMember {
    organisation_id: Uuid,
    practitioner_id: Option<Uuid>,
    involvement: Vec<Involvement>,
}

#[Object]
impl CareTeamMember {
    async fn organisation(&self, ctx: &Context<'_>) -> ApiResult<Option<OrganisationNode>> {
        OrganisationNode::load(ctx, self.organisation_id).await
    }
    /// The practitioner, when the involvement is a person's rather than the organisation's.
    async fn practitioner(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.practitioner_id).await
    }
    async fn involvement(&self) -> &[Involvement] {
        &self.involvement
    }
}

/// Who is involved in `person`'s care now: their practice, the parties to open referrals the caller
/// is a party to, the care plan's author and action owners, providers of live activity connections
/// and owners of open MDT actions; one entry per organisation and practitioner, in that order of
/// first appearance.
pub async fn care_team(req: &RequestContext, person: &patient::Model) -> AppResult<Vec<CareTeamMember>> {
    let l = &req.loaders;
    let mut team: Vec<CareTeamMember> = Vec::new();
    let mut add = |organisation_id: Uuid, practitioner_id: Option<Uuid>, kind: InvolvementKind, detail: String| {
        let entry = match team
            .iter_mut()
            .find(|m| m.organisation_id == organisation_id && m.practitioner_id == practitioner_id)
        {
            Some(found) => found,
            None => {
                team.push(CareTeamMember { organisation_id, practitioner_id, involvement: Vec::new() });
                let last = team.len() - 1;
                &mut team[last]
            }
        };
        entry.involvement.push(Involvement { kind, detail });
    };
    add(person.registered_practice_id, None, InvolvementKind::RegisteredPractice, "Registered GP practice".to_owned());

    // Only referrals the caller is a party to: who else is involved through a referral between
    // other organisations (a mental health trust, say) is those parties' to know.
    let referrals = l.referrals_by_patient.load_one(person.id).await?.unwrap_or_default();
    for r in referrals.iter().filter(|r| is_open(r.status) && req.caller.may_see_referral(r)) {
        let service = domain::label::service_words(r.service);
        let state = label(r.status);
        add(
            r.referring_organisation_id,
            Some(r.referring_practitioner_id),
            InvolvementKind::Referrer,
            format!("Referred to {service} ({state})"),
        );
        add(
            r.receiving_organisation_id,
            None,
            InvolvementKind::ReceivingService,
            format!("Receives the referral to {service} ({state})"),
        );
        if let Some(worker) = r.assigned_practitioner_id {
            add(
                r.receiving_organisation_id,
                Some(worker),
                InvolvementKind::AssignedWorker,
                format!("Assigned worker: {service} ({state})"),
            );
        }
    }

    if let Some(plan) = l.care_plan_by_patient.load_one(person.id).await?.flatten() {
        add(
            plan.updated_organisation_id,
            Some(plan.updated_by),
            InvolvementKind::CarePlan,
            format!("Updated the care plan (version {})", plan.version),
        );
        let actions = l.plan_actions.load_one(plan.id).await?.unwrap_or_default();
        for a in actions.iter().filter(|a| a.status == PlanActionStatus::Open) {
            if let Some(org) = owner_org(req, a.owner_organisation_id, a.owner_practitioner_id).await? {
                add(
                    org,
                    a.owner_practitioner_id,
                    InvolvementKind::PlanActionOwner,
                    format!("Care plan action: {}", a.text),
                );
            }
        }
    }

    let connections = l.connections_by_patient.load_one(person.id).await?.unwrap_or_default();
    let live: Vec<_> = connections
        .iter()
        .filter(|c| matches!(c.state, ConnectionState::Referred | ConnectionState::Attending))
        .collect();
    let assets = l.community_asset.load_many(live.iter().map(|c| c.asset_id)).await?;
    for c in live {
        if let Some(asset) = assets.get(&c.asset_id) {
            add(
                asset.provider_organisation_id,
                None,
                InvolvementKind::ActivityProvider,
                format!("Runs {} ({})", asset.name, label(c.state)),
            );
        }
    }

    let actions = l.mdt_actions_by_patient.load_one(person.id).await?.unwrap_or_default();
    for a in actions.iter().filter(|a| a.status == PlanActionStatus::Open) {
        if let Some(org) = owner_org(req, a.owner_organisation_id, a.owner_practitioner_id).await? {
            let due = a.due_date.map(|d| format!(" (due {})", domain::label::day(d))).unwrap_or_default();
            add(org, a.owner_practitioner_id, InvolvementKind::MdtActionOwner, format!("MDT action{due}: {}", a.text));
        }
    }
    Ok(team)
}

/// The organisation an action's owner belongs to.
async fn owner_org(req: &RequestContext, org: Option<Uuid>, practitioner: Option<Uuid>) -> AppResult<Option<Uuid>> {
    if org.is_some() {
        return Ok(org);
    }
    let Some(id) = practitioner else { return Ok(None) };
    Ok(req.loaders.practitioner.load_one(id).await?.map(|p| p.organisation_id))
}

/// One instrument's latest score for a person, the score before it and the change.
pub struct OutcomeTrend {
    latest: entity::outcome_measurement::Model,
    previous: Option<entity::outcome_measurement::Model>,
}

#[Object]
impl OutcomeTrend {
    /// The instrument's key (`swemwbs`, `ons4` …).
    async fn instrument(&self) -> &str {
        &self.latest.instrument
    }
    async fn latest(&self) -> OutcomeMeasurementNode {
        OutcomeMeasurementNode(self.latest.clone())
    }
    async fn previous(&self) -> Option<OutcomeMeasurementNode> {
        self.previous.clone().map(OutcomeMeasurementNode)
    }
    /// Latest minus previous metric score, where the instrument has one (SWEMWBS; ONS4 items are
    /// not summed).
    async fn metric_change(&self) -> Option<f64> {
        metric_change(&self.latest, self.previous.as_ref())
    }
    /// The metric score fell as the agenda proposal counts falling wellbeing: by at least 1 point,
    /// the latest measurement taken in the last year.
    async fn is_falling(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        let today = request(ctx)?.today;
        Ok(self
            .previous
            .as_ref()
            .is_some_and(|before| domain::mdt::proposal::wellbeing_fall(&self.latest, before, today).is_some()))
    }
}

fn metric_change(
    latest: &entity::outcome_measurement::Model,
    previous: Option<&entity::outcome_measurement::Model>,
) -> Option<f64> {
    let change = latest.metric_score? - previous?.metric_score?;
    Some((change * 100.0).round() / 100.0)
}

/// Per instrument the person has been measured with, the latest two measurements (by date).
pub async fn outcome_trends(req: &RequestContext, person: Uuid) -> AppResult<Vec<OutcomeTrend>> {
    let rows = req.loaders.measurements_by_patient.load_one(person).await?.unwrap_or_default();
    let mut by_instrument: HashMap<String, Vec<entity::outcome_measurement::Model>> = HashMap::new();
    for m in rows {
        by_instrument.entry(m.instrument.clone()).or_default().push(m);
    }
    let mut trends: Vec<OutcomeTrend> = by_instrument
        .into_values()
        .filter_map(|mut list| {
            let latest = list.pop()?;
            Some(OutcomeTrend { latest, previous: list.pop() })
        })
        .collect();
    trends.sort_by(|a, b| a.latest.instrument.cmp(&b.latest.instrument));
    Ok(trends)
}
