//! GraphQL for patients. `PatientNode` carries the grant that let the caller see the record; every
//! field asks it again, so nested paths cannot outrun the policy.

use async_graphql::{ComplexObject, Context, InputObject, Object, SimpleObject, ID};

use entity::{patient, patient_condition};
use uuid::Uuid;

use crate::connection_type;
use crate::context::{opt_id, parse_id, request, RequestContext};
use crate::enums::{ConditionMatch, Direction, FrailtyCategory, PatientSortKey, Sex};
use crate::error::ApiResult;
use crate::lookahead as paths;
use crate::neighbourhoods::NeighbourhoodNode;
use crate::organisations::OrganisationNode;
use crate::practitioners::PractitionerNode;
use crate::scalars;
use domain::auth::policy::NOT_IN_YOUR_ACCESS;
use domain::auth::PatientAccessLevel;
use domain::auth::{Caller, Grant};
use domain::conditions;
use domain::error::{AppError, AppResult};
use domain::frailty::clinical_frailty_scale_label;
use domain::nhs_number::NhsNumber;
use domain::pagination::{LazyCount, Page, PageRequest};
use domain::patients::criteria::PatientCriteria;
use domain::patients::query::{self, PatientOrder, PatientSelection};
use domain::search::SearchText;

/// A patient record as the signed-in practitioner may see it.
#[derive(Clone)]
pub struct PatientNode {
    model: patient::Model,
    grant: Grant,
}

impl PatientNode {
    pub fn new(model: patient::Model, grant: Grant) -> Self {
        Self { model, grant }
    }

    /// Person `id` under a grant the caller already holds on this path (an agenda item of a
    /// meeting they are invited to, a connection to their activity), read through the request's
    /// batching loader: NOT_FOUND when there is no such person.
    pub async fn load_with(ctx: &Context<'_>, id: Uuid, grant: Grant) -> ApiResult<Self> {
        let patient =
            request(ctx)?.loaders.patient.load_one(id).await?.ok_or_else(|| AppError::not_found("patient", id))?;
        Ok(Self::new(patient, grant))
    }

    /// Person `id` under the grant `policy` gives the caller for them (the policy's rule for the
    /// path the field is on, say `Caller::grant_for`): FORBIDDEN when it gives none. The node
    /// carries the grant, so every field of it opens only what the grant's level does.
    pub async fn load_granted(
        ctx: &Context<'_>,
        id: Uuid,
        policy: impl FnOnce(&Caller, &patient::Model) -> Option<Grant>,
    ) -> ApiResult<Self> {
        let req = request(ctx)?;
        let patient = req.loaders.patient.load_one(id).await?.ok_or_else(|| AppError::not_found("patient", id))?;
        let grant = policy(&req.caller, &patient).ok_or_else(|| AppError::forbidden(NOT_IN_YOUR_ACCESS))?;
        Ok(Self::new(patient, grant))
    }

    /// What the caller's access opens of this record, and why.
    pub fn grant(&self) -> Grant {
        self.grant
    }

    /// The non-clinical summary (name and what helps to make contact), open from the shared
    /// summary level up.
    fn summary(&self) -> AppResult<&patient::Model> {
        if self.grant.level() >= PatientAccessLevel::SharedSummary {
            Ok(&self.model)
        } else {
            Err(AppError::forbidden("this patient's record is not shared with your organisation"))
        }
    }

    /// The administrative record (demographics and registration), open from the administrative
    /// level up.
    fn demographics(&self) -> AppResult<&patient::Model> {
        if self.grant.level().opens_demographics() {
            Ok(&self.model)
        } else {
            self.full()
        }
    }

    /// The record, if the grant opens the full record.
    fn full(&self) -> AppResult<&patient::Model> {
        if self.grant.level() == PatientAccessLevel::Full {
            Ok(&self.model)
        } else {
            Err(AppError::forbidden("this field is part of the full record, which your access does not include"))
        }
    }

    /// The person's coded conditions the caller reads (`Caller::condition_view`), oldest first.
    async fn shown_conditions(&self, ctx: &Context<'_>) -> ApiResult<Vec<patient_condition::Model>> {
        let id = self.full()?.id;
        let req = request(ctx)?;
        let view = req.caller.condition_view();
        let rows = req.loaders.conditions.load_one(id).await?.unwrap_or_default();
        Ok(rows.into_iter().filter(|c| view.shows(&c.snomed_code)).collect())
    }
}

/// A person's record as the signed-in practitioner may see it. Every field but `id` and
/// `accessLevel` is null, with a FORBIDDEN error saying why, where the caller's access does not
/// open it (ask `accessLevel` first): the name and access needs from the shared summary up, the
/// rest with the full record.
#[Object(name = "Patient")]
impl PatientNode {
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }

    /// The level of access the signed-in practitioner has to this record.
    async fn access_level(&self) -> crate::enums::PatientAccessLevel {
        self.grant.level().into()
    }

    /// Ten digits, e.g. `9990000018`.
    async fn nhs_number(&self) -> ApiResult<Option<String>> {
        Ok(Some(self.demographics()?.nhs_number.clone()))
    }

    /// Grouped for reading, e.g. `999 000 0018`.
    async fn nhs_number_formatted(&self) -> ApiResult<Option<String>> {
        let digits = &self.demographics()?.nhs_number;
        Ok(Some(NhsNumber::parse(digits).map(|n| n.to_display_form()).unwrap_or_else(|_| digits.clone())))
    }

    async fn given_name(&self) -> ApiResult<Option<&str>> {
        Ok(Some(&self.summary()?.given_name))
    }

    async fn family_name(&self) -> ApiResult<Option<&str>> {
        Ok(Some(&self.summary()?.family_name))
    }

    async fn name(&self) -> ApiResult<Option<String>> {
        let m = self.summary()?;
        Ok(Some(format!("{} {}", m.given_name, m.family_name)))
    }

    async fn date_of_birth(&self) -> ApiResult<Option<scalars::Date>> {
        Ok(Some((self.demographics()?.date_of_birth).into()))
    }

    /// Age in whole years today.
    async fn age(&self, ctx: &Context<'_>) -> ApiResult<Option<i32>> {
        Ok(Some(domain::patients::age_on(self.demographics()?.date_of_birth, request(ctx)?.today)))
    }

    async fn sex(&self) -> ApiResult<Option<Sex>> {
        Ok(Some(self.demographics()?.sex.into()))
    }

    async fn postcode(&self) -> ApiResult<Option<&str>> {
        Ok(Some(&self.demographics()?.postcode))
    }

    /// Index of Multiple Deprivation decile (1 = most deprived 10%).
    async fn deprivation_decile(&self) -> ApiResult<Option<i16>> {
        Ok(self.demographics()?.deprivation_decile)
    }

    async fn registered_practice(&self, ctx: &Context<'_>) -> ApiResult<Option<OrganisationNode>> {
        let id = self.demographics()?.registered_practice_id;
        Ok(Some(OrganisationNode::find(ctx, id).await?))
    }

    async fn neighbourhood(&self, ctx: &Context<'_>) -> ApiResult<Option<NeighbourhoodNode>> {
        let id = self.demographics()?.neighbourhood_id;
        let found = request(ctx)?.loaders.neighbourhood.load_one(id).await?;
        Ok(Some(found.map(Into::into).ok_or_else(|| AppError::not_found("neighbourhood", id))?))
    }

    async fn frailty(&self) -> ApiResult<Option<Frailty>> {
        let m = self.full()?;
        Ok(Some(Frailty {
            efi_score: m.efi_score,
            category: m.efi_score.map(|score| domain::frailty::FrailtyCategory::from_efi(score).into()),
            efi_calculated_on: m.efi_calculated_on.map(Into::into),
            clinical_frailty_scale: m.clinical_frailty_scale,
            clinical_frailty_scale_label: m
                .clinical_frailty_scale
                .and_then(clinical_frailty_scale_label)
                .map(str::to_owned),
            cfs_assessed_on: m.cfs_assessed_on.map(Into::into),
            efi_recorded_by: m.efi_recorded_by,
            cfs_assessed_by: m.cfs_assessed_by,
        }))
    }

    /// Coded long-term conditions, oldest diagnosis first: those in a sensitive category only for
    /// the clinical roles that read them.
    async fn conditions(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<PatientCondition>>> {
        Ok(Some(self.shown_conditions(ctx).await?.into_iter().map(PatientCondition).collect()))
    }

    /// How many of `conditions` there are (the same ones).
    async fn condition_count(&self, ctx: &Context<'_>) -> ApiResult<Option<usize>> {
        Ok(Some(self.shown_conditions(ctx).await?.len()))
    }

    /// What the team must know to reach and support the person.
    async fn needs(&self) -> ApiResult<Option<AccessNeeds>> {
        let m = self.summary()?;
        Ok(Some(AccessNeeds {
            lives_alone: m.lives_alone,
            is_carer: m.is_carer,
            hearing_impairment: m.hearing_impairment,
            visual_impairment: m.visual_impairment,
            interpreter_needed: m.interpreter_language.is_some(),
            interpreter_language: m.interpreter_language.clone(),
        }))
    }

    /// The person's current care and support plan, if they have one (part of the full record;
    /// partners the person shares it with read it through `carePlan(patientId:)`).
    async fn care_plan(&self, ctx: &Context<'_>) -> ApiResult<Option<crate::plans::graphql::CarePlanNode>> {
        let m = self.full()?;
        let plan = request(ctx)?.loaders.care_plan_by_patient.load_one(m.id).await?.flatten();
        Ok(plan.map(|p| crate::plans::graphql::CarePlanNode::new(p, m.clone(), self.grant)))
    }

    /// Connections to community assets (suggested, referred, attending, ended), oldest first.
    async fn asset_connections(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Option<Vec<crate::directory::graphql::AssetConnectionNode>>> {
        let id = self.full()?.id;
        Ok(Some(crate::directory::graphql::connections_of_patient(request(ctx)?, id).await?))
    }

    /// Outcome measurements (SWEMWBS, ONS4 …), oldest first; `instrument` narrows to one.
    async fn outcome_measurements(
        &self,
        ctx: &Context<'_>,
        instrument: Option<String>,
    ) -> ApiResult<Option<Vec<crate::outcomes::graphql::OutcomeMeasurementNode>>> {
        let id = self.full()?.id;
        let wanted = instrument.map(|k| domain::outcomes::instruments::by_key(&k)).transpose()?;
        let rows = request(ctx)?.loaders.measurements_by_patient.load_one(id).await?.unwrap_or_default();
        Ok(Some(
            rows.into_iter()
                .filter(|m| wanted.is_none_or(|i| i.key == m.instrument))
                .map(crate::outcomes::graphql::OutcomeMeasurementNode)
                .collect(),
        ))
    }

    /// Referrals of the person that the caller is a party to (open ones unless `openOnly:
    /// false`), oldest first; with each its state and wait. Part of the administrative record
    /// (free text only for roles that read clinical content). Referrals between other
    /// organisations are not listed: only a referral's parties see it.
    async fn referrals(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = true)] open_only: bool,
    ) -> ApiResult<Option<Vec<crate::referrals::graphql::ReferralNode>>> {
        let id = self.demographics()?.id;
        let req = request(ctx)?;
        let rows = req.loaders.referrals_by_patient.load_one(id).await?.unwrap_or_default();
        Ok(Some(
            rows.into_iter()
                .filter(|r| !open_only || domain::referrals::state::is_open(r.status))
                .filter_map(|r| crate::referrals::graphql::ReferralNode::visible(&req.caller, r))
                .collect(),
        ))
    }

    /// Per outcome instrument, the latest measurement, the one before it and the change.
    async fn outcome_trends(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<super::prepare::OutcomeTrend>>> {
        let id = self.full()?.id;
        Ok(Some(super::prepare::outcome_trends(request(ctx)?, id).await?))
    }

    /// Actions agreed about the person at MDT meetings (open ones unless `openOnly: false`),
    /// oldest first, from every meeting of their neighbourhood.
    async fn mdt_actions(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = true)] open_only: bool,
    ) -> ApiResult<Option<Vec<crate::mdt::graphql::MdtActionNode>>> {
        let id = self.full()?.id;
        let rows = request(ctx)?.loaders.mdt_actions_by_patient.load_one(id).await?.unwrap_or_default();
        Ok(Some(
            rows.into_iter()
                .filter(|a| !open_only || a.status == entity::PlanActionStatus::Open)
                .map(crate::mdt::graphql::MdtActionNode::readable)
                .collect(),
        ))
    }

    /// The organisations and practitioners involved in the person's care now, and how (through
    /// referrals, only those the caller is a party to).
    async fn care_team(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<super::prepare::CareTeamMember>>> {
        let m = self.full()?;
        Ok(Some(super::prepare::care_team(request(ctx)?, m).await?))
    }

    /// The person's named care team: who is involved, how and since when, and their named care
    /// coordinator (standing memberships, or every one with `includeEnded`). Each standing member
    /// reads the full record.
    async fn named_care_team(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] include_ended: bool,
    ) -> ApiResult<Option<Vec<super::care_team::NamedCareTeamMember>>> {
        let id = self.full()?.id;
        let rows = request(ctx)?.loaders.care_team.load_one(id).await?.unwrap_or_default();
        Ok(Some(
            rows.into_iter()
                .filter(|m| include_ended || m.open_key.is_some())
                .map(super::care_team::NamedCareTeamMember)
                .collect(),
        ))
    }

    /// The person has registered a national data opt-out (their data must not be used beyond their
    /// care: published statistics leave them out).
    async fn national_data_opt_out(&self) -> ApiResult<Option<bool>> {
        Ok(Some(self.demographics()?.national_data_opt_out))
    }

    /// The person objects to their record being shared beyond their GP practice: only the practice,
    /// and break-glass, open it while this is true.
    async fn objects_to_sharing(&self) -> ApiResult<Option<bool>> {
        Ok(Some(self.demographics()?.objects_to_sharing))
    }

    /// Objections to sharing, standing and withdrawn, oldest first, with who recorded each and when.
    async fn sharing_objections(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Option<Vec<super::objections::SharingObjectionNode>>> {
        let id = self.demographics()?.id;
        let rows = request(ctx)?.loaders.sharing_objections.load_one(id).await?.unwrap_or_default();
        Ok(Some(rows.into_iter().map(super::objections::SharingObjectionNode).collect()))
    }
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Frailty {
    /// Electronic Frailty Index score, 0–1 (deficits present / 36); absent under 50 or when not calculated.
    pub efi_score: Option<f64>,
    /// The eFI category: fit ≤ 0.12 < mild ≤ 0.24 < moderate ≤ 0.36 < severe.
    pub category: Option<FrailtyCategory>,
    pub efi_calculated_on: Option<scalars::Date>,
    /// Clinical Frailty Scale 1–9, when a clinician has assessed it.
    pub clinical_frailty_scale: Option<i16>,
    pub clinical_frailty_scale_label: Option<String>,
    pub cfs_assessed_on: Option<scalars::Date>,
    #[graphql(skip)]
    pub efi_recorded_by: Option<Uuid>,
    #[graphql(skip)]
    pub cfs_assessed_by: Option<Uuid>,
}

#[ComplexObject]
impl Frailty {
    /// Who recorded the eFI (null when it came with the practice register).
    async fn efi_recorded_by(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.efi_recorded_by).await
    }
    /// The clinician who assessed the Clinical Frailty Scale.
    async fn cfs_assessed_by(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.cfs_assessed_by).await
    }
}

#[derive(SimpleObject)]
pub struct AccessNeeds {
    pub lives_alone: bool,
    pub is_carer: bool,
    pub hearing_impairment: bool,
    pub visual_impairment: bool,
    pub interpreter_needed: bool,
    pub interpreter_language: Option<String>,
}

/// A long-term condition on a patient's record.
pub struct PatientCondition(pub patient_condition::Model);

#[Object]
impl PatientCondition {
    /// SNOMED CT concept id.
    async fn code(&self) -> &str {
        &self.0.snomed_code
    }

    async fn name(&self) -> String {
        conditions::by_code(&self.0.snomed_code).map_or_else(|| self.0.snomed_code.clone(), |c| c.name.clone())
    }

    /// Catalogue key, e.g. `heart_failure`.
    async fn key(&self) -> Option<&str> {
        conditions::by_code(&self.0.snomed_code).map(|c| c.key.as_str())
    }

    async fn diagnosed_on(&self) -> Option<scalars::Date> {
        self.0.diagnosed_on.map(Into::into)
    }

    async fn recorded_at(&self) -> scalars::DateTime {
        self.0.recorded_at.into()
    }

    /// Who recorded it (null when it came with the practice register).
    async fn recorded_by(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.0.recorded_by).await
    }

    /// The sensitive category of the condition, if it falls in one (only the clinical roles that
    /// read such conditions see them).
    async fn sensitive_category(&self) -> Option<crate::enums::SensitiveCategory> {
        conditions::by_code(&self.0.snomed_code).and_then(|c| c.sensitive).map(Into::into)
    }
}

/// A coded long-term condition the service knows (SNOMED CT, with its QOF cluster).
#[derive(SimpleObject)]
pub struct LongTermCondition {
    pub key: String,
    pub name: String,
    pub code: String,
    pub snomed_term: String,
    pub qof_cluster: Option<String>,
    /// The sensitive category the condition falls in, if any: such conditions appear in a
    /// person's record, counts and selections only for the clinical roles that read them.
    pub sensitive_category: Option<crate::enums::SensitiveCategory>,
}

impl From<&conditions::LongTermCondition> for LongTermCondition {
    fn from(c: &conditions::LongTermCondition) -> Self {
        Self {
            key: c.key.clone(),
            name: c.name.clone(),
            code: c.snomed_code.clone(),
            snomed_term: c.snomed_term.clone(),
            qof_cluster: c.qof_cluster.clone(),
            sensitive_category: c.sensitive.map(Into::into),
        }
    }
}

connection_type!(PatientConnection, PatientEdge, PatientNode, "A page of patients, by family name then given name.");

/// The order of a patient list. People with the same value are listed by name (A to Z), so the
/// order is stable and paging with `after` never skips or repeats anyone. A cursor names a person,
/// not a position: it may be used with another order, and the next page follows that person in it.
#[derive(InputObject, Debug, Clone, Copy, Default)]
pub struct PatientOrderInput {
    /// Sorted by what. Default: `NAME`.
    #[graphql(default)]
    pub by: PatientSortKey,
    /// Default: `ASC` (A to Z; lowest score first). `DESC` with `EFI_SCORE` lists the frailest first.
    #[graphql(default)]
    pub direction: Direction,
}

impl From<PatientOrderInput> for PatientOrder {
    fn from(order: PatientOrderInput) -> Self {
        Self { by: order.by.into(), direction: order.direction.into() }
    }
}

/// Criteria shared by the `patients` filter and cohort definitions.
#[derive(InputObject, Default, Clone)]
pub struct PatientCriteriaInput {
    /// Any of these eFI categories.
    pub frailty_categories: Option<Vec<FrailtyCategory>>,
    /// At least this many coded long-term conditions.
    pub min_condition_count: Option<i32>,
    /// SNOMED CT codes (or catalogue keys) of long-term conditions.
    pub condition_codes: Option<Vec<String>>,
    /// Whether all listed conditions are required (default) or any one.
    pub condition_match: Option<ConditionMatch>,
    /// Age in whole years, inclusive.
    pub age_min: Option<i32>,
    pub age_max: Option<i32>,
    /// Registered GP practice.
    pub practice_id: Option<ID>,
}

impl PatientCriteriaInput {
    pub fn into_criteria(self) -> AppResult<PatientCriteria> {
        let non_negative = |field: &str, v: Option<i32>| -> AppResult<Option<u32>> {
            v.map(|n| {
                u32::try_from(n).map_err(|_| AppError::bad_input(field, format!("must not be negative, got {n}")))
            })
            .transpose()
        };
        PatientCriteria {
            frailty_categories: self.frailty_categories.unwrap_or_default().into_iter().map(Into::into).collect(),
            min_condition_count: non_negative("minConditionCount", self.min_condition_count)?,
            condition_codes: self.condition_codes.unwrap_or_default(),
            condition_match: self.condition_match.map(Into::into).unwrap_or_default(),
            age_min: non_negative("ageMin", self.age_min)?,
            age_max: non_negative("ageMax", self.age_max)?,
            practice_id: opt_id("practiceId", &self.practice_id)?,
        }
        .validated()
    }
}

#[derive(InputObject, Default)]
pub struct PatientFilterInput {
    /// Only this neighbourhood (must be one the caller's organisation takes part in).
    pub neighbourhood_id: Option<ID>,
    /// Members of this saved cohort.
    pub cohort_id: Option<ID>,
    #[graphql(flatten)]
    pub criteria: PatientCriteriaInput,
    /// Start of a name (any word), or the first digits of an NHS number.
    pub search: Option<String>,
}

/// Reads a page of patients through `selection`. Every answer about identifiable people is an
/// audited read of them: the page's people whenever the page is fetched (a cursor is a person's
/// id, so `edges { cursor }` alone reads them), the people a search names when other criteria
/// narrow it (an empty page answers "that person does not have that condition"), and what
/// `totalCount` singles out ([`PatientSelection::singled_out`]). A count of a broad selection
/// reads no record and writes no row.
pub async fn patient_page(
    ctx: &Context<'_>,
    req: &RequestContext,
    selection: PatientSelection,
    first: Option<i32>,
    after: Option<String>,
    order: Option<PatientOrder>,
) -> ApiResult<PatientConnection> {
    let look = ctx.look_ahead();
    let selected = super::prepare::Selected::new(vec![paths::NODES.below(&look), paths::EDGE_NODES.below(&look)]);
    let page_request = PageRequest::new(first, after)?;
    let total = audited_count(ctx, req, &selection)?;
    if ![paths::NODES, paths::PAGE_INFO, paths::EDGES].iter().any(|path| path.selected(&look)) {
        return Ok(PatientConnection(Page::count_only(total)));
    }
    let mut page = selection.page(&req.db, &req.caller, page_request, order.unwrap_or_default()).await?;
    page.total = total;
    let mut reads: Vec<_> = page.items.iter().map(|(_, (m, g))| (m.id, g.reason())).collect();
    if selection.criteria.iter().any(PatientCriteria::narrows) {
        let named = selection.singled_out(&req.db, &req.caller, 0).await?;
        reads.extend(named.iter().map(|(m, g)| (m.id, g.reason())));
    }
    let rows: Vec<&patient::Model> = page.items.iter().map(|(_, (m, _))| m).collect();
    // The audit's commit and the page's loads go out at once: what the loads bring is released
    // only with the response, which is never sent when the audit fails.
    futures::try_join!(req.audit_reads(ctx, &reads), load_selected(req, &rows, &selected))?;
    Ok(PatientConnection(page.map(|(m, g)| PatientNode::new(m, g))))
}

/// `totalCount` of `selection`, counted when asked; the people it singles out
/// ([`PatientSelection::singled_out`]) are audited as read before the count is answered.
fn audited_count(ctx: &Context<'_>, req: &RequestContext, selection: &PatientSelection) -> AppResult<LazyCount> {
    let select = selection.select()?;
    let selection = selection.clone();
    let (db, caller, audit) = (req.db.clone(), req.caller.clone(), req.audit.clone());
    let (operation, request_id) = (req.operation.clone(), req.request_id.clone());
    let path = ctx.path_node.map(|p| format!("{p}.totalCount"));
    Ok(LazyCount::new(move || {
        let (select, selection, db, caller, audit) =
            (select.clone(), selection.clone(), db.clone(), caller.clone(), audit.clone());
        let (operation, request_id, path) = (operation.clone(), request_id.clone(), path.clone());
        Box::pin(async move {
            let count = sea_orm::PaginatorTrait::count(select, &db).await?;
            let people = selection.singled_out(&db, &caller, count).await?;
            let reads: Vec<_> = people.iter().map(|(m, g)| (m.id, g.reason())).collect();
            audit.record_reads(&caller, &reads, &operation, path.as_deref(), &request_id).await?;
            Ok(count)
        })
    }))
}

/// Loads what the query selects of `rows` into the request's loaders (see `prepare::prime`), and
/// the parents of their practices when asked for.
async fn load_selected(
    req: &RequestContext,
    rows: &[&patient::Model],
    selected: &super::prepare::Selected<'_>,
) -> AppResult<()> {
    super::prepare::prime(req, rows, selected).await?;
    if selected.has(&paths::PRACTICE_PARENT) {
        let practices = req.loaders.organisation.load_many(rows.iter().map(|m| m.registered_practice_id)).await?;
        req.loaders.organisation.load_many(practices.values().filter_map(|p| p.parent_id)).await?;
    }
    Ok(())
}

#[derive(Default)]
pub struct PatientQuery;

#[Object]
impl PatientQuery {
    /// One patient's record. Every read is audited.
    async fn patient(&self, ctx: &Context<'_>, id: ID) -> ApiResult<PatientNode> {
        let req = request(ctx)?;
        let id = parse_id("id", &id)?;
        let (model, grant) = query::get(&req.db, &req.caller, id).await?;
        // The audit's commit and the record's loads go out at once, as for a page.
        let look = ctx.look_ahead();
        let selected = super::prepare::Selected::new(vec![look]);
        let (read, rows) = ([(model.id, grant.reason())], [&model]);
        futures::try_join!(req.audit_reads(ctx, &read), load_selected(req, &rows, &selected))?;
        Ok(PatientNode::new(model, grant))
    }

    /// Patients of the caller's neighbourhoods, narrowed by `filter`, by name unless `orderBy`
    /// says otherwise. Every record returned is audited.
    #[graphql(complexity = "crate::connection::page_cost(first, child_complexity)")]
    async fn patients(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<PatientFilterInput>,
        order_by: Option<PatientOrderInput>,
    ) -> ApiResult<PatientConnection> {
        let req = request(ctx)?;
        let filter = filter.unwrap_or_default();
        let mut criteria = vec![filter.criteria.into_criteria()?];
        let scope = req.caller.patient_scope()?;
        let mut neighbourhood_id = opt_id("neighbourhoodId", &filter.neighbourhood_id)?;
        if let Some(cohort_id) = &filter.cohort_id {
            let cohort = domain::cohorts::get(&req.db, &req.caller, parse_id("cohortId", cohort_id)?).await?;
            if neighbourhood_id.is_some_and(|n| n != cohort.model.neighbourhood_id) {
                return Err(AppError::bad_input(
                    "cohortId",
                    "the cohort belongs to a different neighbourhood from neighbourhoodId",
                )
                .into());
            }
            neighbourhood_id = Some(cohort.model.neighbourhood_id);
            criteria.push(cohort.criteria);
        }
        let selection = PatientSelection {
            scope,
            criteria,
            neighbourhood_id,
            search: SearchText::parse(filter.search)?,
            today: req.today,
        };
        patient_page(ctx, req, selection, first, after, order_by.map(Into::into)).await
    }

    /// The coded long-term conditions the service knows.
    async fn long_term_conditions(&self) -> Vec<LongTermCondition> {
        conditions::catalogue().iter().map(LongTermCondition::from).collect()
    }
}
