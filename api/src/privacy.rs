//! GraphQL for the privacy officer (`domain::privacy`, `domain::break_glass`): the access trail
//! of a person or a practitioner, the break-glass review queue and its outcomes, flags of unusual
//! patterns, and a person's own trail for a subject access request. The officer reads no record:
//! a person appears as an `AuditedPerson` (who they are, to recognise them), and every person a
//! review names is an audited read under `PRIVACY_REVIEW`.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::Utc;
use sea_orm::ActiveEnum;
use uuid::Uuid;

use entity::{break_glass, patient};

use crate::connection_type;
use crate::context::{opt_id, parse_id, request, RequestContext};
use crate::enums::{
    AccessFlagKind, AccessReasonCode, BreakGlassReviewOutcome, BreakGlassReviewStatus, ProfessionalRole,
};
use crate::error::ApiResult;
use crate::organisations::OrganisationNode;
use crate::patients::break_glass::BreakGlassReason;
use crate::practitioners::PractitionerNode;
use crate::scalars;
use domain::auth::AccessReason;
use domain::error::AppError;
use domain::pagination::{KeyedPageRequest, PageRequest};
use domain::privacy::flags::{self, AccessFlag};
use domain::privacy::subject_access::{self, SubjectAccessReport};
use domain::privacy::trail::{self, TrailEntry, TrailFilter};

/// A person as a review names them: enough to recognise them, nothing of their record.
#[derive(Clone)]
pub struct AuditedPerson(patient::Model);

#[Object]
impl AuditedPerson {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn nhs_number(&self) -> &str {
        &self.0.nhs_number
    }
    async fn name(&self) -> String {
        format!("{} {}", self.0.given_name, self.0.family_name)
    }
    async fn family_name(&self) -> &str {
        &self.0.family_name
    }
    async fn date_of_birth(&self) -> scalars::Date {
        self.0.date_of_birth.into()
    }
    async fn registered_practice(&self, ctx: &Context<'_>) -> ApiResult<Option<OrganisationNode>> {
        OrganisationNode::load(ctx, self.0.registered_practice_id).await
    }
}

/// The people of `ids` as a review names them, read through the request's loader in one
/// statement, and audited as the officer's reads of them.
async fn named_people(
    ctx: &Context<'_>,
    req: &RequestContext,
    ids: impl IntoIterator<Item = Uuid>,
) -> ApiResult<std::collections::HashMap<Uuid, patient::Model>> {
    let people = req.loaders.patient.load_many(ids).await?;
    let reads: Vec<(Uuid, AccessReason)> = people.keys().map(|id| (*id, AccessReason::PrivacyReview)).collect();
    req.audit_reads(ctx, &reads).await?;
    Ok(people)
}

/// One person read by one audited operation.
#[derive(Clone)]
pub struct AccessTrailEntryNode {
    entry: TrailEntry,
    person: patient::Model,
}

#[Object(name = "AccessTrailEntry")]
impl AccessTrailEntryNode {
    async fn occurred_at(&self) -> scalars::DateTime {
        self.entry.event.occurred_at.into()
    }
    /// Who read the record (as the records say now; null if no longer recorded).
    async fn practitioner(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.entry.event.practitioner_id).await
    }
    async fn practitioner_id(&self) -> ID {
        ID(self.entry.event.practitioner_id.to_string())
    }
    /// Their organisation and role when they read it.
    async fn organisation(&self, ctx: &Context<'_>) -> ApiResult<Option<OrganisationNode>> {
        OrganisationNode::load(ctx, self.entry.event.organisation_id).await
    }
    async fn professional_role(&self) -> Option<ProfessionalRole> {
        entity::ProfessionalRole::try_from_value(&self.entry.event.professional_role).ok().map(Into::into)
    }
    /// The GraphQL operation, e.g. `query CohortPage`.
    async fn operation(&self) -> &str {
        &self.entry.event.operation
    }
    /// The field path the read went through, e.g. `patients` or `mdtMeeting.agenda`.
    async fn field_path(&self) -> Option<&str> {
        self.entry.event.field_path.as_deref()
    }
    /// The server's request id (`x-request-id`), which the logs carry too.
    async fn request_id(&self) -> Option<&str> {
        self.entry.event.request_id.as_deref()
    }
    /// The relationship (or break-glass) that opened the record.
    async fn reason(&self) -> Option<AccessReasonCode> {
        AccessReason::from_stored(&self.entry.reason).map(Into::into)
    }
    /// Whom it read.
    async fn person(&self) -> AuditedPerson {
        AuditedPerson(self.person.clone())
    }
    /// For a read under break-glass: the use that opened it, with its reason in the practitioner's words.
    async fn break_glass(&self) -> Option<BreakGlassUseNode> {
        self.entry.break_glass.clone().map(|model| BreakGlassUseNode {
            model,
            person: self.person.clone(),
            reads: None,
        })
    }
    /// Outside working hours (weekdays 07:00 to 19:00, UK time).
    async fn out_of_hours(&self) -> bool {
        flags::out_of_hours(self.entry.event.occurred_at)
    }
    /// The person shares the reader's family name.
    async fn same_family_name(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        let reader = request(ctx)?.loaders.practitioner.load_one(self.entry.event.practitioner_id).await?;
        Ok(reader.is_some_and(|r| r.family_name.eq_ignore_ascii_case(&self.person.family_name)))
    }
}

connection_type!(
    AccessTrailConnection,
    AccessTrailEdge,
    AccessTrailEntryNode,
    "A page of the access trail, newest first."
);

/// A clinician's break-glass use as the privacy officer reviews it.
#[derive(Clone)]
pub struct BreakGlassUseNode {
    model: break_glass::Model,
    person: patient::Model,
    /// Audited reads under it (counted by the queue; null elsewhere).
    reads: Option<u64>,
}

#[Object(name = "BreakGlassUse")]
impl BreakGlassUseNode {
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }
    async fn practitioner(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.model.practitioner_id).await
    }
    /// Their organisation and role when they broke the glass.
    async fn organisation(&self, ctx: &Context<'_>) -> ApiResult<Option<OrganisationNode>> {
        OrganisationNode::load(ctx, self.model.organisation_id).await
    }
    async fn professional_role(&self) -> Option<ProfessionalRole> {
        entity::ProfessionalRole::try_from_value(&self.model.professional_role).ok().map(Into::into)
    }
    async fn person(&self) -> AuditedPerson {
        AuditedPerson(self.person.clone())
    }
    async fn reason(&self) -> Option<BreakGlassReason> {
        domain::break_glass::BreakGlassReason::from_stored(&self.model.reason).map(Into::into)
    }
    /// Why, in the practitioner's words.
    async fn detail(&self) -> &str {
        &self.model.detail
    }
    async fn started_at(&self) -> scalars::DateTime {
        self.model.started_at.into()
    }
    async fn expires_at(&self) -> scalars::DateTime {
        self.model.expires_at.into()
    }
    /// How many audited reads it opened (in the review queue; see the trail for each).
    async fn reads(&self) -> Option<u64> {
        self.reads
    }
    /// The privacy officer's review; null while it waits for one.
    async fn review(&self) -> Option<BreakGlassReview> {
        let (by, at) = (self.model.reviewed_by?, self.model.reviewed_at?);
        Some(BreakGlassReview {
            reviewed_by_id: by,
            reviewed_at: at.into(),
            outcome: self
                .model
                .review_outcome
                .as_deref()
                .and_then(domain::break_glass::ReviewOutcome::from_stored)
                .map(Into::into),
            note: self.model.review_note.clone(),
        })
    }
}

connection_type!(
    BreakGlassUseConnection,
    BreakGlassUseEdge,
    BreakGlassUseNode,
    "A page of break-glass uses, oldest first."
);

/// A privacy officer's finding on a break-glass use.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct BreakGlassReview {
    #[graphql(skip)]
    reviewed_by_id: Uuid,
    pub reviewed_at: scalars::DateTime,
    pub outcome: Option<BreakGlassReviewOutcome>,
    pub note: Option<String>,
}

#[async_graphql::ComplexObject]
impl BreakGlassReview {
    async fn reviewed_by(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.reviewed_by_id).await
    }
}

/// One practitioner's unusual pattern in a period, for the privacy officer to look into (their
/// trail says what each read was).
pub struct AccessFlagNode(AccessFlag);

#[Object(name = "AccessFlag")]
impl AccessFlagNode {
    async fn kind(&self) -> AccessFlagKind {
        self.0.kind.into()
    }
    async fn practitioner(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.0.practitioner_id).await
    }
    async fn practitioner_id(&self) -> ID {
        ID(self.0.practitioner_id.to_string())
    }
    /// Reads, break-glass uses, or refusals by the per-minute limits, as `kind` says.
    async fn count(&self) -> u64 {
        self.0.count
    }
    /// How many people they concern (0 for refusals, which read no one).
    async fn people(&self) -> u64 {
        self.0.people
    }
    async fn first_at(&self) -> scalars::DateTime {
        self.0.first_at.into()
    }
    async fn last_at(&self) -> scalars::DateTime {
        self.0.last_at.into()
    }
}

/// A person's own access trail, for a subject access request.
pub struct SubjectAccessReportNode(SubjectAccessReport);

/// Reads of the person by one organisation.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct SubjectAccessOrganisation {
    #[graphql(skip)]
    organisation_id: Uuid,
    /// As the records say now.
    pub name: String,
    pub ods_code: String,
    pub reads: u64,
    pub first_at: scalars::DateTime,
    pub last_at: scalars::DateTime,
}

#[async_graphql::ComplexObject]
impl SubjectAccessOrganisation {
    async fn organisation(&self, ctx: &Context<'_>) -> ApiResult<Option<OrganisationNode>> {
        OrganisationNode::load(ctx, self.organisation_id).await
    }
}

#[Object(name = "SubjectAccessReport")]
impl SubjectAccessReportNode {
    async fn person(&self) -> AuditedPerson {
        AuditedPerson(self.0.person.clone())
    }
    async fn generated_at(&self) -> scalars::DateTime {
        self.0.generated_at.into()
    }
    /// Every audited read of the person's record.
    async fn reads(&self) -> usize {
        self.0.entries.len()
    }
    /// Reads per organisation, most first.
    async fn organisations(&self) -> Vec<SubjectAccessOrganisation> {
        let mut by: Vec<SubjectAccessOrganisation> = Vec::new();
        for e in &self.0.entries {
            match by.iter_mut().find(|o| o.organisation_id == e.organisation_id) {
                Some(o) => {
                    o.reads += 1;
                    o.last_at = e.occurred_at.into();
                }
                None => by.push(SubjectAccessOrganisation {
                    organisation_id: e.organisation_id,
                    name: e.organisation_name.clone(),
                    ods_code: e.ods_code.clone(),
                    reads: 1,
                    first_at: e.occurred_at.into(),
                    last_at: e.occurred_at.into(),
                }),
            }
        }
        by.sort_by(|a, b| b.reads.cmp(&a.reads).then_with(|| a.name.cmp(&b.name)));
        by
    }
    /// The whole trail as CSV, oldest first, to send to the person: `when` (UK time),
    /// `organisation`, `ods_code`, `role`, `practitioner`, `why` (in words), and for emergency
    /// access `emergency_reason` and `emergency_statement`.
    async fn csv(&self) -> ApiResult<String> {
        Ok(self.0.to_csv()?)
    }
}

#[derive(Default)]
pub struct PrivacyQuery;

#[Object]
impl PrivacyQuery {
    /// The access trail, newest first (privacy officers only, over the people of the
    /// neighbourhoods their organisation takes part in): every audited read of a person (by
    /// `patientId` or `nhsNumber`), by a practitioner (`practitionerId`), or both. Every person
    /// listed is an audited read (`PRIVACY_REVIEW`).
    #[allow(clippy::too_many_arguments)]
    async fn access_trail(
        &self,
        ctx: &Context<'_>,
        patient_id: Option<ID>,
        nhs_number: Option<String>,
        practitioner_id: Option<ID>,
        from: Option<scalars::DateTime>,
        to: Option<scalars::DateTime>,
        reason: Option<AccessReasonCode>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<AccessTrailConnection> {
        let req = request(ctx)?;
        let scope = req.caller.review_scope()?;
        let patient_id = opt_id("patientId", &patient_id)?;
        let patient = if patient_id.is_some() || nhs_number.is_some() {
            Some(domain::privacy::person_in_scope(&req.db, &scope, patient_id, nhs_number.as_deref()).await?)
        } else {
            None
        };
        let filter = TrailFilter {
            patient,
            practitioner_id: opt_id("practitionerId", &practitioner_id)?,
            from: from.map(|t| t.0),
            to: to.map(|t| t.0),
            reason: reason.map(Into::into),
        };
        let page = trail::trail(&req.db, &req.caller, filter, KeyedPageRequest::new(first, after)?).await?;
        let people = named_people(ctx, req, page.items.iter().map(|(_, e)| e.patient_id)).await?;
        Ok(AccessTrailConnection(page.try_map(|entry| {
            let person = people
                .get(&entry.patient_id)
                .cloned()
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("a trail entry's person is not recorded")))?;
            Ok(AccessTrailEntryNode { entry, person })
        })?))
    }

    /// Break-glass uses of people of the neighbourhoods the privacy officer reviews (or one of
    /// them), oldest first: those waiting for review by default. Each person is an audited read.
    async fn break_glass_uses(
        &self,
        ctx: &Context<'_>,
        neighbourhood_id: Option<ID>,
        #[graphql(desc = "Default: `UNREVIEWED`, the queue.")] status: Option<BreakGlassReviewStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<BreakGlassUseConnection> {
        let req = request(ctx)?;
        let neighbourhood = opt_id("neighbourhoodId", &neighbourhood_id)?;
        let page = domain::break_glass::queue(
            &req.db,
            &req.caller,
            neighbourhood,
            status.unwrap_or_default().into(),
            PageRequest::new(first, after)?,
        )
        .await?;
        let people = named_people(ctx, req, page.items.iter().map(|(_, u)| u.model.patient_id)).await?;
        Ok(BreakGlassUseConnection(page.try_map(|u| {
            let person = people
                .get(&u.model.patient_id)
                .cloned()
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("a break-glass use's person is not recorded")))?;
            Ok(BreakGlassUseNode { model: u.model, person, reads: Some(u.reads) })
        })?))
    }

    /// Unusual patterns in the period (default: the 7 days to now; at most 366), per practitioner:
    /// reads out of hours, reads of people who share the reader's family name, repeated
    /// break-glass, refusals by the per-minute limits. Names no person.
    async fn access_flags(
        &self,
        ctx: &Context<'_>,
        neighbourhood_id: Option<ID>,
        from: Option<scalars::DateTime>,
        to: Option<scalars::DateTime>,
    ) -> ApiResult<Vec<AccessFlagNode>> {
        let req = request(ctx)?;
        let (from, to) = domain::privacy::window(from.map(|t| t.0), to.map(|t| t.0), 7, Utc::now())?;
        let neighbourhood = opt_id("neighbourhoodId", &neighbourhood_id)?;
        let found = flags::flags(&req.db, &req.caller, neighbourhood, from, to).await?;
        Ok(found.into_iter().map(AccessFlagNode).collect())
    }

    /// A person's whole access trail (by `patientId` or `nhsNumber`), for a subject access
    /// request: per organisation, and as CSV to send. An audited read of the person.
    async fn subject_access_report(
        &self,
        ctx: &Context<'_>,
        patient_id: Option<ID>,
        nhs_number: Option<String>,
    ) -> ApiResult<SubjectAccessReportNode> {
        let req = request(ctx)?;
        let scope = req.caller.review_scope()?;
        let patient_id = opt_id("patientId", &patient_id)?;
        let person = domain::privacy::person_in_scope(&req.db, &scope, patient_id, nhs_number.as_deref()).await?;
        req.audit_reads(ctx, &[(person.id, AccessReason::PrivacyReview)]).await?;
        let report = subject_access::report(&req.db, &req.caller, person, Utc::now()).await?;
        Ok(SubjectAccessReportNode(report))
    }
}

#[derive(InputObject)]
pub struct ReviewBreakGlassInput {
    pub break_glass_id: ID,
    pub outcome: BreakGlassReviewOutcome,
    /// What follows: required unless `JUSTIFIED`, at most 2,000 characters.
    pub note: Option<String>,
}

#[derive(SimpleObject)]
pub struct ReviewBreakGlassPayload {
    pub break_glass_use: BreakGlassUseNode,
}

#[derive(Default)]
pub struct PrivacyMutation;

#[Object]
impl PrivacyMutation {
    /// Records the privacy officer's review of a break-glass use, once (CONFLICT when it has been
    /// reviewed already). An audited read of the person.
    async fn review_break_glass(
        &self,
        ctx: &Context<'_>,
        input: ReviewBreakGlassInput,
    ) -> ApiResult<ReviewBreakGlassPayload> {
        let req = request(ctx)?;
        let id = parse_id("breakGlassId", &input.break_glass_id)?;
        let (model, person) =
            domain::break_glass::review(&req.db, &req.caller, id, input.outcome.into(), input.note).await?;
        req.audit_reads(ctx, &[(person.id, AccessReason::PrivacyReview)]).await?;
        Ok(ReviewBreakGlassPayload { break_glass_use: BreakGlassUseNode { model, person, reads: None } })
    }
}
