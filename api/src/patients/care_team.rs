//! GraphQL for a person's named care team (`domain::care_team`): who is involved, how and since
//! when, and the named care coordinator. The list is part of the full record; naming a member and
//! ending a membership are audited as reads of the person.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};

use entity::care_team_member;

use crate::context::{parse_id, request};
use crate::error::ApiResult;
use crate::organisations::OrganisationNode;
use crate::practitioners::PractitionerNode;
use crate::scalars;

/// A practitioner named in a person's care team.
pub struct NamedCareTeamMember(pub care_team_member::Model);

#[Object]
impl NamedCareTeamMember {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn practitioner(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.0.practitioner_id).await
    }
    /// Their organisation when they joined the team.
    async fn organisation(&self, ctx: &Context<'_>) -> ApiResult<Option<OrganisationNode>> {
        OrganisationNode::load(ctx, self.0.organisation_id).await
    }
    /// How they are involved, in words ("Community matron").
    async fn team_role(&self) -> &str {
        &self.0.team_role
    }
    /// Whether they are the person's named care coordinator (at most one at a time).
    async fn is_care_coordinator(&self) -> bool {
        self.0.is_care_coordinator
    }
    /// The day their involvement began.
    async fn since(&self) -> scalars::Date {
        self.0.since.into()
    }
    async fn added_by(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.0.added_by).await
    }
    async fn added_at(&self) -> scalars::DateTime {
        self.0.added_at.into()
    }
    /// When the membership ended (null while it stands), by whom and why.
    async fn ended_at(&self) -> Option<scalars::DateTime> {
        self.0.ended_at.map(Into::into)
    }
    async fn ended_by(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.0.ended_by).await
    }
    async fn end_reason(&self) -> Option<&str> {
        self.0.end_reason.as_deref()
    }
}

#[derive(InputObject)]
pub struct AddCareTeamMemberInput {
    pub patient_id: ID,
    /// An active practitioner of an organisation taking part in the person's neighbourhood, in a
    /// role that reads identifiable records.
    pub practitioner_id: ID,
    /// How they are involved, 1 to 80 characters ("Community matron").
    pub team_role: String,
    /// Whether they become the named care coordinator (refused while the person has one).
    #[graphql(default = false)]
    pub is_care_coordinator: bool,
    /// When their involvement began (today when absent; never in the future).
    pub since: Option<scalars::Date>,
}

#[derive(InputObject)]
pub struct EndCareTeamMembershipInput {
    pub member_id: ID,
    /// Why it ended (optional, at most 2,000 characters).
    pub reason: Option<String>,
}

#[derive(SimpleObject)]
pub struct CareTeamMemberPayload {
    pub member: NamedCareTeamMember,
}

#[derive(Default)]
pub struct CareTeamMutation;

#[Object]
impl CareTeamMutation {
    /// Names a practitioner in the person's care team, which opens the person's full record to
    /// them while the membership stands. Kept by the person's practice, PCN or INT coordinator.
    async fn add_care_team_member(
        &self,
        ctx: &Context<'_>,
        input: AddCareTeamMemberInput,
    ) -> ApiResult<CareTeamMemberPayload> {
        let req = request(ctx)?;
        let new = domain::care_team::NewMember {
            patient_id: parse_id("patientId", &input.patient_id)?,
            practitioner_id: parse_id("practitionerId", &input.practitioner_id)?,
            team_role: input.team_role,
            is_care_coordinator: input.is_care_coordinator,
            since: input.since.map(|d| d.0),
        };
        let (member, grant) = domain::care_team::add(&req.db, &req.caller, req.today, new).await?;
        req.audit_reads(ctx, &[(member.patient_id, grant.reason())]).await?;
        Ok(CareTeamMemberPayload { member: NamedCareTeamMember(member) })
    }

    /// Ends a membership (kept, with who ended it, when and why): the practitioner loses the access
    /// it gave at their next request.
    async fn end_care_team_membership(
        &self,
        ctx: &Context<'_>,
        input: EndCareTeamMembershipInput,
    ) -> ApiResult<CareTeamMemberPayload> {
        let req = request(ctx)?;
        let id = parse_id("memberId", &input.member_id)?;
        let (member, grant) = domain::care_team::end(&req.db, &req.caller, id, input.reason).await?;
        req.audit_reads(ctx, &[(member.patient_id, grant.reason())]).await?;
        Ok(CareTeamMemberPayload { member: NamedCareTeamMember(member) })
    }
}
