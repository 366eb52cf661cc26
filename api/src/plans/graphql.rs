//! GraphQL for care and support plans. A plan travels with the caller's grant on the person: the
//! full plan (version, history, sharing) under a care relationship, the summary (what matters,
//! strengths, goals, actions, review date) where the person agreed to share it with the caller's
//! organisation. Every plan returned is audited as an access to the person's record.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};

use entity::{care_plan, care_plan_action, care_plan_goal, care_plan_revision, care_plan_share};

use crate::connection_type;
use crate::context::{opt_id, parse_id, request, RequestContext};
use crate::enums::{GoalStatus, PlanActionStatus, ReferralNeed};
use crate::error::ApiResult;
use crate::organisations::OrganisationNode;
use crate::patients::PatientNode;
use crate::practitioners::PractitionerNode;
use crate::scalars;
use domain::auth::policy::NOT_IN_YOUR_ACCESS;
use domain::auth::Grant;
use domain::auth::PatientAccessLevel;
use domain::error::{AppError, AppResult};
use domain::pagination::PageRequest;
use domain::plans::{ActionDraft, GoalDraft, PlanDraft};

/// A person's care and support plan as the caller may see it.
#[derive(Clone)]
pub struct CarePlanNode {
    model: care_plan::Model,
    patient: entity::patient::Model,
    grant: Grant,
}

impl CarePlanNode {
    pub fn new(model: care_plan::Model, patient: entity::patient::Model, grant: Grant) -> Self {
        Self { model, patient, grant }
    }

    fn full(&self) -> AppResult<&care_plan::Model> {
        if self.grant.level() == PatientAccessLevel::Full {
            Ok(&self.model)
        } else {
            Err(AppError::forbidden("only the plan summary is shared with your organisation"))
        }
    }
}

#[Object(name = "CarePlan")]
impl CarePlanNode {
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }
    /// The person, at the caller's level (the shared summary opens the name and access needs only).
    async fn patient(&self) -> PatientNode {
        PatientNode::new(self.patient.clone(), self.grant)
    }
    /// What the caller sees: FULL, or SHARED_SUMMARY where the person agreed to share it.
    async fn access_level(&self) -> crate::enums::PatientAccessLevel {
        self.grant.level().into()
    }
    /// Send this as `baseVersion` when saving a change.
    async fn version(&self) -> ApiResult<i32> {
        Ok(self.full()?.version)
    }
    /// "What matters to me", in the person's words.
    async fn what_matters(&self) -> &str {
        &self.model.what_matters
    }
    async fn strengths(&self) -> Option<&str> {
        self.model.strengths.as_deref()
    }
    async fn review_date(&self) -> Option<scalars::Date> {
        self.model.review_date.map(Into::into)
    }
    async fn goals(&self, ctx: &Context<'_>) -> ApiResult<Vec<PlanGoal>> {
        let rows = request(ctx)?.loaders.plan_goals.load_one(self.model.id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(PlanGoal).collect())
    }
    async fn actions(&self, ctx: &Context<'_>) -> ApiResult<Vec<PlanAction>> {
        let rows = request(ctx)?.loaders.plan_actions.load_one(self.model.id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(PlanAction).collect())
    }
    async fn updated_at(&self) -> scalars::DateTime {
        self.model.updated_at.into()
    }
    async fn updated_by(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.model.updated_by).await
    }
    async fn created_at(&self) -> ApiResult<scalars::DateTime> {
        Ok((self.full()?.created_at).into())
    }
    /// Organisations the person has agreed may see the plan summary now.
    async fn shared_with(&self, ctx: &Context<'_>) -> ApiResult<Vec<PlanShare>> {
        let id = self.full()?.id;
        let rows = request(ctx)?.loaders.plan_shares.load_one(id).await?.unwrap_or_default();
        Ok(rows.into_iter().filter(|s| s.open_key.is_some()).map(PlanShare).collect())
    }
    /// Every agreement, standing or withdrawn, oldest first.
    async fn sharing_history(&self, ctx: &Context<'_>) -> ApiResult<Vec<PlanShare>> {
        let id = self.full()?.id;
        let rows = request(ctx)?.loaders.plan_shares.load_one(id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(PlanShare).collect())
    }
    /// Every version of the plan, oldest first.
    async fn revisions(&self, ctx: &Context<'_>) -> ApiResult<Vec<PlanRevision>> {
        let id = self.full()?.id;
        let rows = request(ctx)?.loaders.plan_revisions.load_one(id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(PlanRevision).collect())
    }
}

pub struct PlanGoal(care_plan_goal::Model);

#[Object]
impl PlanGoal {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The need or domain it addresses.
    async fn need(&self) -> ReferralNeed {
        self.0.need.into()
    }
    async fn text(&self) -> &str {
        &self.0.text
    }
    async fn status(&self) -> GoalStatus {
        self.0.status.into()
    }
    async fn target_date(&self) -> Option<scalars::Date> {
        self.0.target_date.map(Into::into)
    }
}

pub struct PlanAction(care_plan_action::Model);

#[Object]
impl PlanAction {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The goal it serves, if any.
    async fn goal_id(&self) -> Option<ID> {
        self.0.goal_id.map(|g| ID(g.to_string()))
    }
    async fn text(&self) -> &str {
        &self.0.text
    }
    async fn owner_organisation(&self, ctx: &Context<'_>) -> ApiResult<Option<OrganisationNode>> {
        OrganisationNode::load(ctx, self.0.owner_organisation_id).await
    }
    async fn owner_practitioner(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.0.owner_practitioner_id).await
    }
    async fn due_date(&self) -> Option<scalars::Date> {
        self.0.due_date.map(Into::into)
    }
    async fn status(&self) -> PlanActionStatus {
        self.0.status.into()
    }
}

/// The person's agreement to share their plan summary with an organisation.
pub struct PlanShare(care_plan_share::Model);

#[Object]
impl PlanShare {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn organisation(&self, ctx: &Context<'_>) -> ApiResult<Option<OrganisationNode>> {
        OrganisationNode::load(ctx, self.0.organisation_id).await
    }
    /// Who recorded the person's agreement, and when.
    async fn recorded_by(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.0.recorded_by).await
    }
    async fn recorded_at(&self) -> scalars::DateTime {
        self.0.recorded_at.into()
    }
    async fn is_withdrawn(&self) -> bool {
        self.0.withdrawn_at.is_some()
    }
    async fn withdrawn_at(&self) -> Option<scalars::DateTime> {
        self.0.withdrawn_at.map(Into::into)
    }
    async fn withdrawn_by(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.0.withdrawn_by).await
    }
}

/// The plan as it stood at one version.
pub struct PlanRevision(care_plan_revision::Model);

#[Object]
impl PlanRevision {
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn changed_at(&self) -> scalars::DateTime {
        self.0.changed_at.into()
    }
    async fn changed_by(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.0.changed_by).await
    }
    async fn changed_organisation(&self, ctx: &Context<'_>) -> ApiResult<Option<OrganisationNode>> {
        OrganisationNode::load(ctx, self.0.changed_organisation_id).await
    }
    /// The whole plan at this version (what matters, strengths, review date, goals, actions).
    async fn content(&self) -> ApiResult<async_graphql::Json<serde_json::Value>> {
        let value = serde_json::from_str(&self.0.content).map_err(AppError::internal)?;
        Ok(async_graphql::Json(value))
    }
}

connection_type!(
    CarePlanConnection,
    CarePlanEdge,
    CarePlanNode,
    "A page of plans shared with the caller's organisation, oldest agreement first."
);

#[derive(InputObject)]
pub struct PlanGoalInput {
    /// An existing goal's id keeps its identity; leave empty for a new goal.
    pub id: Option<ID>,
    pub need: ReferralNeed,
    pub text: String,
    pub status: Option<GoalStatus>,
    pub target_date: Option<scalars::Date>,
}

#[derive(InputObject)]
pub struct PlanActionInput {
    pub id: Option<ID>,
    /// Position (from 0) of the goal it serves in `goals`.
    pub goal_index: Option<i32>,
    pub text: String,
    pub owner_organisation_id: Option<ID>,
    pub owner_practitioner_id: Option<ID>,
    pub due_date: Option<scalars::Date>,
    pub status: Option<PlanActionStatus>,
}

/// The whole plan: a save replaces its content and makes a new version.
#[derive(InputObject)]
pub struct SaveCarePlanInput {
    pub patient_id: ID,
    /// The version the change is based on (empty for the person's first plan). A stale version
    /// fails with CONFLICT and the current version.
    pub base_version: Option<i32>,
    pub what_matters: String,
    pub strengths: Option<String>,
    pub review_date: Option<scalars::Date>,
    pub goals: Vec<PlanGoalInput>,
    pub actions: Vec<PlanActionInput>,
}

#[derive(SimpleObject)]
pub struct SaveCarePlanPayload {
    pub plan: CarePlanNode,
}

#[derive(InputObject)]
pub struct CarePlanShareInput {
    pub patient_id: ID,
    pub organisation_id: ID,
}

#[derive(SimpleObject)]
pub struct CarePlanSharePayload {
    pub share: PlanShare,
    /// False when the agreement already stood (sharing) — nothing changed.
    pub changed: bool,
}

impl SaveCarePlanInput {
    fn draft(self) -> AppResult<PlanDraft> {
        let goals = self
            .goals
            .into_iter()
            .map(|g| {
                Ok(GoalDraft {
                    id: opt_id("goals.id", &g.id)?,
                    need: g.need.into(),
                    text: g.text,
                    status: g.status.map_or(entity::GoalStatus::NotStarted, Into::into),
                    target_date: g.target_date.map(Into::into),
                })
            })
            .collect::<AppResult<_>>()?;
        let actions = self
            .actions
            .into_iter()
            .map(|a| {
                Ok(ActionDraft {
                    id: opt_id("actions.id", &a.id)?,
                    goal_index: a
                        .goal_index
                        .map(|i| {
                            usize::try_from(i)
                                .map_err(|_| AppError::bad_input("actions", "goalIndex must not be negative"))
                        })
                        .transpose()?,
                    text: a.text,
                    owner_organisation_id: opt_id("actions.ownerOrganisationId", &a.owner_organisation_id)?,
                    owner_practitioner_id: opt_id("actions.ownerPractitionerId", &a.owner_practitioner_id)?,
                    due_date: a.due_date.map(Into::into),
                    status: a.status.map_or(entity::PlanActionStatus::Open, Into::into),
                })
            })
            .collect::<AppResult<_>>()?;
        Ok(PlanDraft {
            what_matters: self.what_matters,
            strengths: self.strengths,
            review_date: self.review_date.map(Into::into),
            goals,
            actions,
        })
    }
}

async fn audit_plans(ctx: &Context<'_>, req: &RequestContext, plans: &[&CarePlanNode]) -> AppResult<()> {
    let reads: Vec<_> = plans.iter().map(|p| (p.patient.id, p.grant.reason())).collect();
    req.audit_reads(ctx, &reads).await
}

#[derive(Default)]
pub struct PlanQuery;

#[Object]
impl PlanQuery {
    /// A person's current plan (null when they have none): in full under a care relationship, the
    /// summary where the person agreed to share it with the caller's organisation. Audited.
    async fn care_plan(&self, ctx: &Context<'_>, patient_id: ID) -> ApiResult<Option<CarePlanNode>> {
        let req = request(ctx)?;
        let found = domain::plans::read(&req.db, &req.caller, parse_id("patientId", &patient_id)?).await?;
        let Some((plan, patient, grant)) = found else { return Ok(None) };
        let node = CarePlanNode::new(plan, patient, grant);
        audit_plans(ctx, req, &[&node]).await?;
        Ok(Some(node))
    }

    /// Plans whose summary people have agreed to share with the caller's organisation (how a VCSE
    /// partner sees them). Every plan returned is audited.
    #[graphql(complexity = "crate::connection::page_cost(first, child_complexity)")]
    async fn shared_care_plans(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<CarePlanConnection> {
        let req = request(ctx)?;
        let shares = domain::plans::shared_with_me(&req.db, &req.caller, PageRequest::new(first, after)?).await?;
        let plans = req.loaders.care_plan.load_many(shares.items.iter().map(|(_, s)| s.plan_id)).await?;
        let patients = req.loaders.patient.load_many(shares.items.iter().map(|(_, s)| s.patient_id)).await?;
        let page = shares.try_map(|s| {
            let plan = plans.get(&s.plan_id).cloned().ok_or_else(|| AppError::not_found("care plan", s.plan_id))?;
            let patient =
                patients.get(&s.patient_id).cloned().ok_or_else(|| AppError::not_found("patient", s.patient_id))?;
            // The caller's own relationship, if any, or the agreement this row records.
            let grant =
                req.caller.grant_through_share(&patient, &s).ok_or_else(|| AppError::forbidden(NOT_IN_YOUR_ACCESS))?;
            Ok(CarePlanNode::new(plan, patient, grant))
        })?;
        let nodes: Vec<&CarePlanNode> = page.items.iter().map(|(_, n)| n).collect();
        audit_plans(ctx, req, &nodes).await?;
        Ok(CarePlanConnection(page))
    }
}

#[derive(Default)]
pub struct PlanMutation;

#[Object]
impl PlanMutation {
    /// Writes the person's first plan, or a new version of it based on `baseVersion`.
    async fn save_care_plan(&self, ctx: &Context<'_>, input: SaveCarePlanInput) -> ApiResult<SaveCarePlanPayload> {
        let req = request(ctx)?;
        let patient_id = parse_id("patientId", &input.patient_id)?;
        let base = input.base_version;
        let (plan, grant) = domain::plans::save(&req.db, &req.caller, patient_id, base, input.draft()?).await?;
        let patient = req
            .loaders
            .patient
            .load_one(patient_id)
            .await?
            .ok_or_else(|| AppError::not_found("patient", patient_id))?;
        let node = CarePlanNode::new(plan, patient, grant);
        audit_plans(ctx, req, &[&node]).await?;
        Ok(SaveCarePlanPayload { plan: node })
    }

    /// Records the person's agreement that an organisation of their neighbourhood may see their
    /// plan summary (who recorded it and when are kept).
    async fn share_care_plan(&self, ctx: &Context<'_>, input: CarePlanShareInput) -> ApiResult<CarePlanSharePayload> {
        let req = request(ctx)?;
        let patient_id = parse_id("patientId", &input.patient_id)?;
        let (share, changed, grant) =
            domain::plans::share(&req.db, &req.caller, patient_id, parse_id("organisationId", &input.organisation_id)?)
                .await?;
        req.audit_reads(ctx, &[(patient_id, grant.reason())]).await?;
        Ok(CarePlanSharePayload { share: PlanShare(share), changed })
    }

    /// Withdraws the person's agreement: the organisation loses access at once.
    async fn withdraw_care_plan_share(
        &self,
        ctx: &Context<'_>,
        input: CarePlanShareInput,
    ) -> ApiResult<CarePlanSharePayload> {
        let req = request(ctx)?;
        let patient_id = parse_id("patientId", &input.patient_id)?;
        let (share, grant) = domain::plans::withdraw(
            &req.db,
            &req.caller,
            patient_id,
            parse_id("organisationId", &input.organisation_id)?,
        )
        .await?;
        req.audit_reads(ctx, &[(patient_id, grant.reason())]).await?;
        Ok(CarePlanSharePayload { share: PlanShare(share), changed: true })
    }
}
