//! GraphQL for break-glass access (`domain::break_glass`): a clinician without a care
//! relationship opens a record in an emergency, with a coded reason and their own words, for a
//! limited time. The use is stored for the privacy officer's review and audited as `break_glass`.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};

use entity::break_glass;

use crate::context::{parse_id, request};
use crate::error::ApiResult;
use crate::patients::PatientNode;
use crate::scalars;
use domain::auth::Grant;

/// Why the glass was broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "domain::break_glass::BreakGlassReason")]
pub enum BreakGlassReason {
    /// Immediate risk to the person's health or life.
    EmergencyCare,
    /// A safeguarding concern about the person or someone they care for.
    Safeguarding,
    /// The person presented for unplanned care and no relationship is recorded yet.
    UnplannedCare,
    /// Care must continue while a referral or care team membership is being set up.
    ContinuityOfCare,
}

/// One use of break-glass access.
pub struct BreakGlassAccess {
    model: break_glass::Model,
    grant: Grant,
}

#[Object]
impl BreakGlassAccess {
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }
    /// The person, under the access this use opens.
    async fn patient(&self, ctx: &Context<'_>) -> ApiResult<PatientNode> {
        PatientNode::load_with(ctx, self.model.patient_id, self.grant).await
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
    /// When the access lapses (it ends at the first request after this).
    async fn expires_at(&self) -> scalars::DateTime {
        self.model.expires_at.into()
    }
}

#[derive(InputObject)]
pub struct BreakGlassInput {
    pub patient_id: ID,
    pub reason: BreakGlassReason,
    /// Why you need the record now, in your own words: required, at most 500 characters.
    pub detail: String,
}

#[derive(SimpleObject)]
pub struct BreakGlassPayload {
    pub access: BreakGlassAccess,
}

#[derive(Default)]
pub struct BreakGlassMutation;

#[Object]
impl BreakGlassMutation {
    /// Opens a person's full record to a clinician without a care relationship, in an emergency,
    /// for a limited time (`NEIGHBOURHOOD_BREAK_GLASS_HOURS`, 4 by default). Every use is recorded
    /// with its reason for the privacy officer's review, and every read under it is audited.
    /// Refused (FORBIDDEN) to VCSE, commissioning and administrative roles and outside the
    /// caller's neighbourhoods; BAD_USER_INPUT where a relationship already opens the record.
    async fn break_glass(&self, ctx: &Context<'_>, input: BreakGlassInput) -> ApiResult<BreakGlassPayload> {
        let req = request(ctx)?;
        let new = domain::break_glass::NewBreakGlass {
            patient_id: parse_id("patientId", &input.patient_id)?,
            reason: input.reason.into(),
            detail: input.detail,
        };
        let (model, grant) = domain::break_glass::open(&req.db, &req.caller, new).await?;
        req.audit_reads(ctx, &[(model.patient_id, grant.reason())]).await?;
        Ok(BreakGlassPayload { access: BreakGlassAccess { model, grant } })
    }
}
