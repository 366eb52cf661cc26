//! GraphQL for referrals. Every referral returned counts as an access to its patient's record and
//! is audited; the patient itself is shown only under the caller's patient grant.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::Utc;
use uuid::Uuid;

use entity::{referral, referral_event, referral_feedback};

use crate::connection_type;
use crate::context::{opt_id, parse_id, request, RequestContext};
use crate::enums::{
    ReferralEventKind, ReferralNeed, ReferralOutcome, ReferralService, ReferralSource, ReferralStatus, Urgency,
};
use crate::error::ApiResult;
use crate::loaders::load_if;
use crate::lookahead::{self as paths, Path};
use crate::organisations::OrganisationNode;
use crate::patients::PatientNode;
use crate::practitioners::PractitionerNode;
use crate::scalars;
use domain::auth::{AccessReason, Caller, ReferralView};
use domain::error::{AppError, AppResult};
use domain::pagination::{Page, PageRequest};
use domain::referrals::state::{allowed_moves, is_open, moves_now, precondition, required_inputs, snomed_term};
use domain::referrals::{Move, NewReferral, ReferralFilter};

/// A referral as one of its parties reads it. Built only by `visible` and `read`, which ask the
/// policy (`Caller::referral_view`), so no path (a list, a person's referrals, feedback, an
/// outcome measurement, a group membership, a mutation's payload) shows a referral to a non-party,
/// and what it hangs (needs, events, free text) follows the same view.
#[derive(Clone)]
pub struct ReferralNode {
    model: referral::Model,
    view: ReferralView,
}

impl ReferralNode {
    /// The referral, if the caller is a party to it.
    pub fn visible(caller: &Caller, model: referral::Model) -> Option<Self> {
        caller.referral_view(&model).map(|view| Self { model, view })
    }

    /// The referral, or FORBIDDEN when the caller is no party to it.
    pub fn read(caller: &Caller, model: referral::Model) -> AppResult<Self> {
        Self::visible(caller, model).ok_or_else(|| AppError::forbidden(domain::auth::policy::REFERRAL_PARTIES_ONLY))
    }

    pub fn model(&self) -> &referral::Model {
        &self.model
    }

    /// What judging a move needs: the caller's side, and the contact attempts when they matter
    /// (the receiver of a referral awaiting contact).
    async fn move_context(&self, ctx: &Context<'_>) -> ApiResult<domain::referrals::state::MoveContext> {
        let req = request(ctx)?;
        let mut context = domain::referrals::move_context(&req.caller, &self.model, 0);
        if context.is_receiver && self.model.status == entity::ReferralStatus::AwaitingContact {
            let events = req.loaders.referral_events.load_one(self.model.id).await?.unwrap_or_default();
            context.contact_attempts =
                events.iter().filter(|e| e.kind == entity::ReferralEventKind::ContactAttempt).count();
        }
        Ok(context)
    }
}

/// A move the state machine allows from a referral's state, as the caller may make it now.
#[derive(SimpleObject)]
pub struct ReferralMove {
    pub to: ReferralStatus,
    /// Whether `moveReferral` to this state would be accepted now (given the inputs below).
    pub allowed: bool,
    /// Why not, when not: the error the move would get.
    pub refusal: Option<String>,
    /// The `MoveReferralInput` fields this move requires (`outcome` to close, `reason` to reject).
    pub needs: Vec<String>,
}

/// Free text written by `author` (an organisation), as `view` may read it: withheld (FORBIDDEN)
/// from a voluntary-sector party when another organisation wrote it, and from a role that reads
/// the administrative record only, since it may be clinical.
fn text_for(view: ReferralView, author: Uuid, text: Option<&str>) -> AppResult<Option<&str>> {
    match text {
        Some(_) if view == ReferralView::Administrative => Err(AppError::forbidden(
            "a referral's free text may be clinical and your role reads the administrative record only; \
             read its state, partnerSummary and the need categories",
        )),
        Some(_) if !view.reads_text_of(author) => {
            Err(AppError::forbidden(
                "free text written by another organisation may be clinical and is not shared with voluntary-sector partners; \
                 read partnerSummary and the need categories",
            ))
        }
        text => Ok(text),
    }
}

/// One of a referral's needs: the coded category, and the referrer's detail under the referral's view.
pub struct ReferralNeedEntry {
    need: ReferralNeed,
    detail: Option<String>,
    author: Uuid,
    view: ReferralView,
}

#[Object]
impl ReferralNeedEntry {
    async fn need(&self) -> ReferralNeed {
        self.need
    }
    /// What the need is, for OTHER (and any extra detail). Withheld from voluntary-sector parties
    /// (FORBIDDEN) unless their own organisation referred.
    async fn detail(&self) -> ApiResult<Option<&str>> {
        Ok(text_for(self.view, self.author, self.detail.as_deref())?)
    }
}

/// One immutable entry in a referral's history.
pub struct ReferralEventNode {
    model: referral_event::Model,
    view: ReferralView,
}

impl ReferralEventNode {
    pub fn new(model: referral_event::Model, view: ReferralView) -> Self {
        Self { model, view }
    }
}

#[Object(name = "ReferralEvent")]
impl ReferralEventNode {
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }
    async fn kind(&self) -> ReferralEventKind {
        self.model.kind.into()
    }
    async fn from_status(&self) -> Option<ReferralStatus> {
        self.model.from_status.map(Into::into)
    }
    async fn to_status(&self) -> Option<ReferralStatus> {
        self.model.to_status.map(Into::into)
    }
    async fn occurred_at(&self) -> scalars::DateTime {
        self.model.occurred_at.into()
    }
    /// Why, in the words of whoever made the move. Withheld from voluntary-sector parties
    /// (FORBIDDEN) when another organisation wrote it.
    async fn reason(&self) -> ApiResult<Option<&str>> {
        Ok(text_for(self.view, self.model.organisation_id, self.model.reason.as_deref())?)
    }
    /// SNOMED CT code of the event, where one exists (871731000000106, 871711000000103).
    async fn snomed_code(&self) -> Option<&str> {
        self.model.snomed_code.as_deref()
    }
    async fn practitioner(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.model.practitioner_id).await
    }
    /// For ASSIGNED events: who the referral was assigned to.
    async fn assigned_practitioner(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.model.assigned_practitioner_id).await
    }
    async fn organisation(&self, ctx: &Context<'_>) -> ApiResult<Option<OrganisationNode>> {
        OrganisationNode::load(ctx, self.model.organisation_id).await
    }
}

#[Object(name = "Referral")]
impl ReferralNode {
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }

    /// The person referred, under the caller's own access to their record or, for the receiving
    /// side of an open referral without it, the summary the person's consent opens.
    async fn patient(&self, ctx: &Context<'_>) -> ApiResult<Option<PatientNode>> {
        patient_for(ctx, self.model.patient_id, &self.model).await.map(Some)
    }

    async fn status(&self) -> ReferralStatus {
        self.model.status.into()
    }

    /// Whether the referral is still being worked.
    async fn is_open(&self) -> bool {
        is_open(self.model.status)
    }

    /// The moves the caller's organisation can make now with `moveReferral`: the state
    /// machine's next states, less the other party's (only the referrer cancels; the receiver
    /// works the rest) and those whose precondition is not met yet (`UNABLE_TO_CONTACT` after 3
    /// recorded contact attempts). A listed move is accepted with the inputs `moves` names.
    async fn allowed_moves(&self, ctx: &Context<'_>) -> ApiResult<Vec<ReferralStatus>> {
        let context = self.move_context(ctx).await?;
        Ok(moves_now(&context).into_iter().map(Into::into).collect())
    }

    /// Every next state of the state machine, each with whether the caller can move there now,
    /// why not if not, and the `moveReferral` inputs it needs.
    async fn moves(&self, ctx: &Context<'_>) -> ApiResult<Vec<ReferralMove>> {
        let context = self.move_context(ctx).await?;
        Ok(allowed_moves(self.model.status)
            .iter()
            .map(|to| {
                let refusal = precondition(&context, *to).err().map(|e| e.client_message());
                ReferralMove {
                    to: (*to).into(),
                    allowed: refusal.is_none(),
                    refusal,
                    needs: required_inputs(*to).iter().map(|s| (*s).to_owned()).collect(),
                }
            })
            .collect())
    }

    async fn source(&self) -> ReferralSource {
        self.model.source.into()
    }

    async fn service(&self) -> ReferralService {
        self.model.service.into()
    }

    async fn urgency(&self) -> Urgency {
        self.model.urgency.into()
    }

    async fn needs(&self, ctx: &Context<'_>) -> ApiResult<Vec<ReferralNeedEntry>> {
        let rows = request(ctx)?.loaders.referral_needs.load_one(self.model.id).await?.unwrap_or_default();
        Ok(rows
            .into_iter()
            .map(|n| ReferralNeedEntry {
                need: n.need.into(),
                detail: n.detail,
                author: self.model.referring_organisation_id,
                view: self.view,
            })
            .collect())
    }

    /// The referrer's free text for the receiving team. Withheld from voluntary-sector parties
    /// (FORBIDDEN) unless their own organisation referred: it may be clinical.
    async fn context(&self) -> ApiResult<Option<&str>> {
        Ok(text_for(self.view, self.model.referring_organisation_id, self.model.context.as_deref())?)
    }

    /// What the referrer wrote for a voluntary-sector receiver, with nothing clinical in it (what
    /// the person would like, how to reach them). Every party reads it.
    async fn partner_summary(&self) -> Option<&str> {
        self.model.partner_summary.as_deref()
    }

    async fn referring_practitioner(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.model.referring_practitioner_id).await
    }

    async fn referring_organisation(&self, ctx: &Context<'_>) -> ApiResult<OrganisationNode> {
        OrganisationNode::find(ctx, self.model.referring_organisation_id).await
    }

    async fn receiving_organisation(&self, ctx: &Context<'_>) -> ApiResult<OrganisationNode> {
        OrganisationNode::find(ctx, self.model.receiving_organisation_id).await
    }

    async fn assigned_practitioner(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.model.assigned_practitioner_id).await
    }

    async fn consent_recorded_by(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.model.consent_recorded_by).await
    }

    async fn consent_recorded_at(&self) -> scalars::DateTime {
        self.model.consent_recorded_at.into()
    }

    async fn created_at(&self) -> scalars::DateTime {
        self.model.created_at.into()
    }

    async fn first_contact_at(&self) -> Option<scalars::DateTime> {
        self.model.first_contact_at.map(Into::into)
    }

    /// Still waiting for first contact (RECEIVED or AWAITING_CONTACT).
    async fn is_waiting(&self) -> bool {
        domain::referrals::state::is_waiting(self.model.status)
    }

    /// Days from the referral to first contact; while still waiting, to now; for a referral that
    /// ended without contact, to its end.
    async fn days_waited(&self) -> i64 {
        let until = self.model.first_contact_at.or(self.model.ended_at).unwrap_or_else(Utc::now);
        (until - self.model.created_at).num_days().max(0)
    }

    async fn ended_at(&self) -> Option<scalars::DateTime> {
        self.model.ended_at.map(Into::into)
    }

    async fn outcome(&self) -> Option<ReferralOutcome> {
        self.model.outcome.map(Into::into)
    }

    /// The receiving service's reason for rejecting the referral (withheld from a
    /// voluntary-sector referrer, as other organisations' free text is).
    async fn rejection_reason(&self) -> ApiResult<Option<&str>> {
        Ok(text_for(self.view, self.model.receiving_organisation_id, self.model.rejection_reason.as_deref())?)
    }

    /// Where the receiving service suggests the person might be helped instead (withheld as
    /// `rejectionReason` is).
    async fn suggested_alternative(&self) -> ApiResult<Option<&str>> {
        Ok(text_for(self.view, self.model.receiving_organisation_id, self.model.suggested_alternative.as_deref())?)
    }

    /// The feedback sent to the referrer when the referral ended (none while open or after a cancellation).
    async fn feedback(&self, ctx: &Context<'_>) -> ApiResult<Option<ReferralFeedbackNode>> {
        let rows = request(ctx)?.loaders.referral_feedback.load_one(self.model.id).await?.unwrap_or_default();
        Ok(rows.into_iter().next().map(ReferralFeedbackNode))
    }

    /// The referral's history, oldest first (immutable).
    async fn events(&self, ctx: &Context<'_>) -> ApiResult<Vec<ReferralEventNode>> {
        let rows = request(ctx)?.loaders.referral_events.load_one(self.model.id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(|e| ReferralEventNode::new(e, self.view)).collect())
    }
}

connection_type!(ReferralConnection, ReferralEdge, ReferralNode, "A page of referrals, oldest first.");

/// A SNOMED CT concept, ready to file in a clinical record.
#[derive(SimpleObject)]
pub struct CodedConcept {
    /// `http://snomed.info/sct`
    pub system: &'static str,
    pub code: String,
    pub display: Option<&'static str>,
}

/// Structured feedback to the referring organisation on a referral that ended.
#[derive(Clone)]
pub struct ReferralFeedbackNode(pub referral_feedback::Model);

#[Object(name = "ReferralFeedback")]
impl ReferralFeedbackNode {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn referral(&self, ctx: &Context<'_>) -> ApiResult<Option<ReferralNode>> {
        let req = request(ctx)?;
        let id = self.0.referral_id;
        let model = req.loaders.referral.load_one(id).await?.ok_or_else(|| AppError::not_found("referral", id))?;
        Ok(Some(ReferralNode::read(&req.caller, model)?))
    }

    /// The person, under the caller's own access to their record; the organisation the feedback is
    /// addressed to sees at least the summary (whom it is about).
    async fn patient(&self, ctx: &Context<'_>) -> ApiResult<Option<PatientNode>> {
        let feedback = &self.0;
        PatientNode::load_granted(ctx, feedback.patient_id, |caller, patient| {
            caller.grant_through_feedback(patient, feedback)
        })
        .await
        .map(Some)
    }

    /// The state the referral ended in.
    async fn ended_status(&self) -> ReferralStatus {
        self.0.ended_status.into()
    }

    async fn outcome(&self) -> Option<ReferralOutcome> {
        self.0.outcome.map(Into::into)
    }

    /// SNOMED CT codes to file with the feedback (none where no national code exists for the service).
    async fn codes(&self) -> Vec<CodedConcept> {
        self.0
            .snomed_codes
            .split(',')
            .filter(|c| !c.is_empty())
            .map(|code| CodedConcept {
                system: "http://snomed.info/sct",
                code: code.to_owned(),
                display: snomed_term(code),
            })
            .collect()
    }

    /// What happened, in the worker's words, e.g. "attending weekly art group — mood improved".
    async fn summary(&self) -> &str {
        &self.0.summary
    }

    /// The worker who supported the person.
    async fn worker(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.0.worker_id).await
    }

    async fn written_by(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.0.written_by).await
    }

    async fn created_at(&self) -> scalars::DateTime {
        self.0.created_at.into()
    }

    async fn is_filed(&self) -> bool {
        self.0.filed_at.is_some()
    }

    async fn filed_at(&self) -> Option<scalars::DateTime> {
        self.0.filed_at.map(Into::into)
    }

    async fn filed_by(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.0.filed_by).await
    }
}

connection_type!(
    ReferralFeedbackConnection,
    ReferralFeedbackEdge,
    ReferralFeedbackNode,
    "A page of referral feedback, oldest first."
);

/// A patient reached through a referral, under the caller's own grant (or the one the referral
/// gives, see `Caller::grant_through_referral`).
async fn patient_for(ctx: &Context<'_>, patient_id: Uuid, referral: &referral::Model) -> ApiResult<PatientNode> {
    PatientNode::load_granted(ctx, patient_id, |caller, patient| caller.grant_through_referral(patient, referral)).await
}

/// Audits the patients behind referrals the caller has just read.
async fn audit_referrals(ctx: &Context<'_>, req: &RequestContext, referrals: &[&referral::Model]) -> AppResult<()> {
    let reads: Vec<_> = referrals.iter().map(|r| (r.patient_id, AccessReason::ReferralParty)).collect();
    req.audit_reads(ctx, &reads).await
}

/// Loads what a page's referrals select, one statement per relationship, before the fields resolve
/// (as `patients::prepare::prime`: the statement count must not depend on batch windows). The loads
/// are independent, so they go out at once. A person's own referrals are keyed by the person, so
/// they go out with the people rather than after them (a caseload shows each person's other open
/// referrals).
async fn prime_loaders(
    req: &RequestContext,
    rows: &[&referral::Model],
    nodes: &[async_graphql::Lookahead<'_>],
) -> AppResult<()> {
    let selects = |path: &Path| nodes.iter().any(|n| path.selected(n));
    let l = &req.loaders;
    let patients: Vec<Uuid> = rows.iter().map(|r| r.patient_id).collect();
    let referral_ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let (mut organisations, mut practitioners) = (Vec::new(), Vec::new());
    party_keys(rows.iter().copied(), selects, &mut organisations, &mut practitioners);
    let persons_referrals = selects(&paths::REFERRAL_PATIENT_REFERRALS);
    let (referral_ids, patients) = (&referral_ids, &patients);
    futures::try_join!(
        load_if(selects(&paths::REFERRAL_PATIENT), &l.patient, patients.iter().copied()),
        load_if(persons_referrals, &l.referrals_by_patient, patients.iter().copied()),
        load_if(selects(&paths::NEEDS), &l.referral_needs, referral_ids.iter().copied()),
        load_if(selects(&paths::EVENTS), &l.referral_events, referral_ids.iter().copied()),
        load_if(selects(&paths::FEEDBACK), &l.referral_feedback, referral_ids.iter().copied()),
        load_if(!organisations.is_empty(), &l.organisation, organisations),
        load_if(!practitioners.is_empty(), &l.practitioner, practitioners),
    )?;
    Ok(())
}

/// Adds the organisations and practitioners that `rows` name in the party fields the query shows
/// (`shows` is asked once per field of `Referral`, not per row). Only those: an inbox that shows the
/// assigned worker would otherwise also read every referring GP, which in a county-wide provider's
/// inbox are a hundred people from every neighbourhood it serves.
pub(crate) fn party_keys<'a>(
    rows: impl IntoIterator<Item = &'a referral::Model>,
    shows: impl Fn(&Path) -> bool,
    organisations: &mut Vec<Uuid>,
    practitioners: &mut Vec<Uuid>,
) {
    let (referring_organisation, receiving_organisation) =
        (shows(&paths::REFERRING_ORGANISATION), shows(&paths::RECEIVING_ORGANISATION));
    let (referrer, assignee, consent) = (
        shows(&paths::REFERRING_PRACTITIONER),
        shows(&paths::ASSIGNED_PRACTITIONER),
        shows(&paths::CONSENT_RECORDED_BY),
    );
    for r in rows {
        organisations.extend(referring_organisation.then_some(r.referring_organisation_id));
        organisations.extend(receiving_organisation.then_some(r.receiving_organisation_id));
        practitioners.extend(referrer.then_some(r.referring_practitioner_id));
        practitioners.extend(r.assigned_practitioner_id.filter(|_| assignee));
        practitioners.extend(consent.then_some(r.consent_recorded_by));
    }
}

#[derive(InputObject, Default)]
pub struct ReferralFilterInput {
    pub patient_id: Option<ID>,
    /// Any of these states (e.g. `[AWAITING_CONTACT]` for a waiting list).
    pub statuses: Option<Vec<ReferralStatus>>,
    pub service: Option<ReferralService>,
    /// Referrals received by this organisation (an inbox).
    pub receiving_organisation_id: Option<ID>,
    /// Referrals sent by this organisation.
    pub referring_organisation_id: Option<ID>,
    /// Referrals assigned to this worker.
    pub assigned_practitioner_id: Option<ID>,
    /// `true`: only referrals no worker has been assigned yet (what a team lead allocates from);
    /// not together with `assignedPractitionerId`.
    pub unassigned: Option<bool>,
}

/// A page of referrals through `filter`, audited and with its loaders primed.
async fn referral_page(
    ctx: &Context<'_>,
    req: &RequestContext,
    filter: ReferralFilter,
    first: Option<i32>,
    after: Option<String>,
) -> ApiResult<ReferralConnection> {
    let page: Page<referral::Model> =
        domain::referrals::list(&req.db, &req.caller, filter, PageRequest::new(first, after)?).await?;
    let models: Vec<&referral::Model> = page.items.iter().map(|(_, m)| m).collect();
    let look = ctx.look_ahead();
    let nodes = [paths::NODES.below(&look), paths::EDGE_NODES.below(&look)];
    // The audit's commit and the page's loads go out at once: what the loads bring is released only
    // with the response, which is never sent when the audit fails.
    futures::try_join!(audit_referrals(ctx, req, &models), prime_loaders(req, &models, &nodes))?;
    Ok(ReferralConnection(page.filter_map(|m| ReferralNode::visible(&req.caller, m))))
}

#[derive(Default)]
pub struct ReferralQuery;

#[Object]
impl ReferralQuery {
    /// One referral the caller is a party to. Audited as an access to the patient's record.
    async fn referral(&self, ctx: &Context<'_>, id: ID) -> ApiResult<ReferralNode> {
        let req = request(ctx)?;
        let model = domain::referrals::get(&req.db, &req.caller, parse_id("id", &id)?).await?;
        audit_referrals(ctx, req, &[&model]).await?;
        Ok(ReferralNode::read(&req.caller, model)?)
    }

    /// Feedback on ended referrals sent to the caller's organisation, newest first. `filed: false`
    /// is the list still to file in the practice record. Each one returned is audited.
    #[graphql(complexity = "crate::connection::page_cost(first, child_complexity)")]
    async fn referral_feedback(
        &self,
        ctx: &Context<'_>,
        filed: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<ReferralFeedbackConnection> {
        let req = request(ctx)?;
        let page =
            domain::referrals::feedback::list(&req.db, &req.caller, filed, PageRequest::new(first, after)?).await?;
        let reads: Vec<_> = page.items.iter().map(|(_, f)| (f.patient_id, AccessReason::ReferralParty)).collect();
        req.audit_reads(ctx, &reads).await?;
        let look = ctx.look_ahead();
        let nodes = [paths::NODES.below(&look), paths::EDGE_NODES.below(&look)];
        let selects = |path: &Path| nodes.iter().any(|n| path.selected(n));
        let l = &req.loaders;
        let patients: Vec<Uuid> = page.items.iter().map(|(_, f)| f.patient_id).collect();
        let referrals: Vec<Uuid> = page.items.iter().map(|(_, f)| f.referral_id).collect();
        let practitioners: Vec<Uuid> =
            page.items.iter().flat_map(|(_, f)| [f.worker_id, Some(f.written_by), f.filed_by]).flatten().collect();
        futures::try_join!(
            load_if(selects(&paths::FEEDBACK_PATIENT), &l.patient, patients),
            load_if(selects(&paths::FEEDBACK_REFERRAL), &l.referral, referrals),
            load_if(
                selects(&paths::FEEDBACK_WORKER)
                    || selects(&paths::FEEDBACK_WRITTEN_BY)
                    || selects(&paths::FEEDBACK_FILED_BY),
                &l.practitioner,
                practitioners,
            ),
        )?;
        Ok(ReferralFeedbackConnection(page.map(ReferralFeedbackNode)))
    }

    /// A worker's caseload against their capacity (the worker themselves or their organisation's staff).
    async fn caseload(&self, ctx: &Context<'_>, practitioner_id: Option<ID>) -> ApiResult<Caseload> {
        let req = request(ctx)?;
        let id = match &practitioner_id {
            Some(id) => parse_id("practitionerId", id)?,
            None => req.caller.practitioner_id,
        };
        let worker =
            req.loaders.practitioner.load_one(id).await?.ok_or_else(|| AppError::not_found("practitioner", id))?;
        if !req.caller.may_see_caseload(&worker) {
            return Err(AppError::forbidden("a caseload is visible to the worker and their own organisation").into());
        }
        Ok(Caseload { worker })
    }

    /// Workers of the receiving organisation who could take this referral, most spare capacity first.
    async fn suggest_assignees(&self, ctx: &Context<'_>, referral_id: ID) -> ApiResult<Vec<AssigneeSuggestion>> {
        let req = request(ctx)?;
        let ranked =
            domain::referrals::caseload::suggest_assignees(&req.db, &req.caller, parse_id("referralId", &referral_id)?)
                .await?;
        Ok(ranked
            .into_iter()
            .map(|(worker, held)| AssigneeSuggestion {
                capacity: worker.caseload_capacity,
                active_count: held,
                spare_capacity: i64::from(worker.caseload_capacity.unwrap_or(0)) - held as i64,
                practitioner: worker.into(),
            })
            .collect())
    }

    /// Referrals the caller's organisation sent or received (or assigned to the caller), oldest
    /// first (`newestFirst: true` for an inbox). Each one returned is audited as an access to its
    /// patient's record.
    #[graphql(complexity = "crate::connection::page_cost(first, child_complexity)")]
    async fn referrals(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<ReferralFilterInput>,
        #[graphql(default = false)] newest_first: bool,
    ) -> ApiResult<ReferralConnection> {
        let req = request(ctx)?;
        let f = filter.unwrap_or_default();
        let filter = ReferralFilter {
            patient_id: opt_id("patientId", &f.patient_id)?,
            statuses: f.statuses.unwrap_or_default().into_iter().map(Into::into).collect(),
            service: f.service.map(Into::into),
            receiving_organisation_id: opt_id("receivingOrganisationId", &f.receiving_organisation_id)?,
            referring_organisation_id: opt_id("referringOrganisationId", &f.referring_organisation_id)?,
            assigned_practitioner_id: opt_id("assignedPractitionerId", &f.assigned_practitioner_id)?,
            unassigned: f.unassigned.unwrap_or(false),
            newest_first,
        };
        if filter.unassigned && filter.assigned_practitioner_id.is_some() {
            return Err(AppError::bad_input(
                "filter.unassigned",
                "a referral is either unassigned or assigned to a worker: give one of unassigned and assignedPractitionerId",
            )
            .into());
        }
        referral_page(ctx, req, filter, first, after).await
    }
}

#[derive(InputObject)]
pub struct ReferralNeedInput {
    pub need: ReferralNeed,
    pub detail: Option<String>,
}

#[derive(InputObject)]
pub struct CreateReferralInput {
    pub patient_id: ID,
    pub source: ReferralSource,
    pub service: ReferralService,
    pub receiving_organisation_id: ID,
    pub needs: Vec<ReferralNeedInput>,
    pub urgency: Option<Urgency>,
    /// Free text for the receiving team, e.g. "support with loneliness and housing concerns".
    /// A voluntary-sector receiver does not read it (it may be clinical): write `partnerSummary`
    /// for them.
    pub context: Option<String>,
    /// For a voluntary-sector (VCSE) receiver: what the person would like and how to reach them,
    /// with nothing clinical in it. Every party to the referral reads it.
    pub partner_summary: Option<String>,
    /// The person has agreed to the referral (recorded with who and when).
    pub consent_given: bool,
    /// A key the client chooses per referral: a retried request with the same key returns the
    /// first referral instead of creating a second.
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct CreateReferralPayload {
    pub referral: ReferralNode,
    /// False when an earlier request with the same idempotency key created the referral.
    pub created: bool,
}

#[derive(InputObject)]
pub struct MoveReferralInput {
    pub referral_id: ID,
    pub to: ReferralStatus,
    /// Why (required when rejecting).
    pub reason: Option<String>,
    /// Required when closing.
    pub outcome: Option<ReferralOutcome>,
    /// When rejecting: where the person might be helped instead.
    pub suggested_alternative: Option<String>,
    /// For the referring practice when the service ends the referral: required when closing
    /// ("attending weekly art group — mood improved"); otherwise a plain statement is filed.
    pub feedback_summary: Option<String>,
}

#[derive(InputObject)]
pub struct MarkFeedbackFiledInput {
    pub feedback_id: ID,
}

#[derive(SimpleObject)]
pub struct MarkFeedbackFiledPayload {
    pub feedback: ReferralFeedbackNode,
}

#[derive(SimpleObject)]
pub struct MoveReferralPayload {
    pub referral: ReferralNode,
    pub event: ReferralEventNode,
}

#[derive(InputObject)]
pub struct AssignReferralInput {
    pub referral_id: ID,
    /// A worker of the receiving organisation who holds a caseload.
    pub practitioner_id: ID,
    /// Required when the worker's caseload is full; recorded in the referral's history.
    pub override_reason: Option<String>,
}

/// A worker's caseload against their capacity.
pub struct Caseload {
    worker: entity::practitioner::Model,
}

impl Caseload {
    /// Open referrals held, counted through the request's loader when a field first asks: the
    /// count then goes out at once with the referrals page instead of before it.
    async fn held(&self, ctx: &Context<'_>) -> AppResult<u64> {
        Ok(request(ctx)?.loaders.caseload_count.load_one(self.worker.id).await?.unwrap_or(0))
    }
}

#[Object]
impl Caseload {
    async fn practitioner(&self) -> PractitionerNode {
        self.worker.clone().into()
    }

    /// How many people the worker can hold at once.
    async fn capacity(&self) -> Option<i32> {
        self.worker.caseload_capacity
    }

    /// Open referrals assigned to the worker (awaiting contact, contacted or active).
    async fn active_count(&self, ctx: &Context<'_>) -> ApiResult<u64> {
        Ok(self.held(ctx).await?)
    }

    /// Capacity left (negative when over capacity).
    async fn spare_capacity(&self, ctx: &Context<'_>) -> ApiResult<Option<i64>> {
        let Some(capacity) = self.worker.caseload_capacity else { return Ok(None) };
        Ok(Some(i64::from(capacity) - self.held(ctx).await? as i64))
    }

    async fn over_capacity(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        let Some(capacity) = self.worker.caseload_capacity else { return Ok(false) };
        Ok(self.held(ctx).await? > u64::try_from(capacity).unwrap_or(0))
    }

    /// The referrals held, oldest first. Each one returned is audited.
    #[graphql(complexity = "crate::connection::page_cost(first, child_complexity)")]
    async fn referrals(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<ReferralConnection> {
        let req = request(ctx)?;
        let filter = ReferralFilter {
            statuses: domain::referrals::caseload::CASELOAD_STATES.to_vec(),
            assigned_practitioner_id: Some(self.worker.id),
            ..ReferralFilter::default()
        };
        referral_page(ctx, req, filter, first, after).await
    }
}

/// A worker who could take a referral, with their caseload.
#[derive(SimpleObject)]
pub struct AssigneeSuggestion {
    pub practitioner: PractitionerNode,
    pub capacity: Option<i32>,
    pub active_count: u64,
    pub spare_capacity: i64,
}

#[derive(InputObject)]
pub struct RecordContactAttemptInput {
    pub referral_id: ID,
    pub note: Option<String>,
}

/// The payload of a change that wrote one event, after auditing the patient access it made.
async fn event_payload(
    ctx: &Context<'_>,
    req: &RequestContext,
    model: referral::Model,
    event: referral_event::Model,
) -> ApiResult<MoveReferralPayload> {
    audit_referrals(ctx, req, &[&model]).await?;
    let referral = ReferralNode::read(&req.caller, model)?;
    let event = ReferralEventNode::new(event, referral.view);
    Ok(MoveReferralPayload { referral, event })
}

#[derive(Default)]
pub struct ReferralMutation;

#[Object]
impl ReferralMutation {
    /// Refers a patient to a receiving service. Refused with CONFLICT (and `existingId`) while the
    /// patient has an open referral to the same service.
    async fn create_referral(&self, ctx: &Context<'_>, input: CreateReferralInput) -> ApiResult<CreateReferralPayload> {
        let req = request(ctx)?;
        let new = NewReferral {
            patient_id: parse_id("patientId", &input.patient_id)?,
            source: input.source.into(),
            service: input.service.into(),
            receiving_organisation_id: parse_id("receivingOrganisationId", &input.receiving_organisation_id)?,
            needs: input.needs.into_iter().map(|n| (n.need.into(), n.detail)).collect(),
            urgency: input.urgency.map_or(entity::Urgency::Routine, Into::into),
            context: input.context,
            partner_summary: input.partner_summary,
            consent_given: input.consent_given,
            idempotency_key: input.idempotency_key,
        };
        let (model, created) = domain::referrals::create(&req.db, &req.caller, new).await?;
        audit_referrals(ctx, req, &[&model]).await?;
        Ok(CreateReferralPayload { referral: ReferralNode::read(&req.caller, model)?, created })
    }

    /// Moves a referral to another state. An illegal move fails with INVALID_TRANSITION naming the
    /// current state and the allowed moves; nothing changes.
    async fn move_referral(&self, ctx: &Context<'_>, input: MoveReferralInput) -> ApiResult<MoveReferralPayload> {
        let req = request(ctx)?;
        let request_move = Move {
            to: input.to.into(),
            reason: input.reason,
            outcome: input.outcome.map(Into::into),
            suggested_alternative: input.suggested_alternative,
            feedback_summary: input.feedback_summary,
        };
        let (model, event) = domain::referrals::move_referral(
            &req.db,
            &req.caller,
            parse_id("referralId", &input.referral_id)?,
            request_move,
        )
        .await?;
        event_payload(ctx, req, model, event).await
    }

    /// Assigns a referral to a worker of the receiving organisation. Beyond the worker's capacity
    /// it is refused (CONFLICT) unless `overrideReason` is given, which is recorded.
    async fn assign_referral(&self, ctx: &Context<'_>, input: AssignReferralInput) -> ApiResult<MoveReferralPayload> {
        let req = request(ctx)?;
        let (model, event) = domain::referrals::caseload::assign(
            &req.db,
            &req.caller,
            parse_id("referralId", &input.referral_id)?,
            parse_id("practitionerId", &input.practitioner_id)?,
            input.override_reason,
        )
        .await?;
        event_payload(ctx, req, model, event).await
    }

    /// Marks feedback as filed in the referring organisation's record (filing again changes nothing).
    async fn mark_feedback_filed(
        &self,
        ctx: &Context<'_>,
        input: MarkFeedbackFiledInput,
    ) -> ApiResult<MarkFeedbackFiledPayload> {
        let req = request(ctx)?;
        let model =
            domain::referrals::feedback::mark_filed(&req.db, &req.caller, parse_id("feedbackId", &input.feedback_id)?)
                .await?;
        req.audit_reads(ctx, &[(model.patient_id, AccessReason::ReferralParty)]).await?;
        Ok(MarkFeedbackFiledPayload { feedback: ReferralFeedbackNode(model) })
    }

    /// Records an attempt to contact the person on a waiting referral.
    async fn record_contact_attempt(
        &self,
        ctx: &Context<'_>,
        input: RecordContactAttemptInput,
    ) -> ApiResult<MoveReferralPayload> {
        let req = request(ctx)?;
        let (model, event) = domain::referrals::record_contact_attempt(
            &req.db,
            &req.caller,
            parse_id("referralId", &input.referral_id)?,
            input.note,
        )
        .await?;
        event_payload(ctx, req, model, event).await
    }
}
