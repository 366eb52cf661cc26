//! GraphQL for a person's objection to sharing beyond their GP practice (`domain::objections`):
//! recorded and withdrawn by the practice, read with the administrative record. While one stands
//! only the practice (and break-glass) opens the record.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};

use entity::sharing_objection;

use crate::context::{parse_id, request};
use crate::error::ApiResult;
use crate::organisations::OrganisationNode;
use crate::patients::PatientNode;
use crate::practitioners::PractitionerNode;
use crate::scalars;

/// An objection to sharing the record beyond the person's GP practice.
pub struct SharingObjectionNode(pub sharing_objection::Model);

#[Object(name = "SharingObjection")]
impl SharingObjectionNode {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Whether it stands now (not withdrawn).
    async fn is_standing(&self) -> bool {
        self.0.open_key.is_some()
    }
    async fn recorded_at(&self) -> scalars::DateTime {
        self.0.recorded_at.into()
    }
    async fn recorded_by(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.0.recorded_by).await
    }
    /// The practice that recorded it.
    async fn organisation(&self, ctx: &Context<'_>) -> ApiResult<Option<OrganisationNode>> {
        OrganisationNode::load(ctx, self.0.organisation_id).await
    }
    /// What the person said, or the practice's note of it.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn withdrawn_at(&self) -> Option<scalars::DateTime> {
        self.0.withdrawn_at.map(Into::into)
    }
    async fn withdrawn_by(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.0.withdrawn_by).await
    }
    async fn withdrawal_note(&self) -> Option<&str> {
        self.0.withdrawal_note.as_deref()
    }
}

#[derive(InputObject)]
pub struct SharingObjectionInput {
    pub patient_id: ID,
    /// What the person said, or the practice's note of it (optional, at most 2,000 characters).
    pub note: Option<String>,
}

#[derive(SimpleObject)]
pub struct SharingObjectionPayload {
    pub objection: SharingObjectionNode,
    /// The person, under the caller's access (their practice's).
    pub patient: PatientNode,
}

#[derive(Default)]
pub struct ObjectionMutation;

impl SharingObjectionPayload {
    /// The objection as written, with the person's record under the grant that let the caller
    /// write it: an audited read of them.
    async fn audited(
        ctx: &Context<'_>,
        patient_id: uuid::Uuid,
        (objection, grant): (entity::sharing_objection::Model, domain::auth::Grant),
    ) -> ApiResult<Self> {
        request(ctx)?.audit_reads(ctx, &[(patient_id, grant.reason())]).await?;
        Ok(Self {
            objection: SharingObjectionNode(objection),
            patient: PatientNode::load_with(ctx, patient_id, grant).await?,
        })
    }
}

#[Object]
impl ObjectionMutation {
    /// Records that the person objects to their record being shared beyond their GP practice
    /// (their practice's staff only). From the next request only the practice, and break-glass,
    /// open the record; what the person agreed to specifically (an open referral, a plan share, an
    /// activity) still opens its summary. CONFLICT naming the objection when one stands.
    async fn record_sharing_objection(
        &self,
        ctx: &Context<'_>,
        input: SharingObjectionInput,
    ) -> ApiResult<SharingObjectionPayload> {
        let req = request(ctx)?;
        let patient_id = parse_id("patientId", &input.patient_id)?;
        let written = domain::objections::record(&req.db, &req.caller, patient_id, input.note).await?;
        SharingObjectionPayload::audited(ctx, patient_id, written).await
    }

    /// Withdraws the person's standing objection (kept, with who withdrew it and when): the record
    /// is shared again as the access policy says. BAD_USER_INPUT when none stands.
    async fn withdraw_sharing_objection(
        &self,
        ctx: &Context<'_>,
        input: SharingObjectionInput,
    ) -> ApiResult<SharingObjectionPayload> {
        let req = request(ctx)?;
        let patient_id = parse_id("patientId", &input.patient_id)?;
        let written = domain::objections::withdraw(&req.db, &req.caller, patient_id, input.note).await?;
        SharingObjectionPayload::audited(ctx, patient_id, written).await
    }
}
