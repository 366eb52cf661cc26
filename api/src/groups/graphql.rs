//! GraphQL for support groups. Group details are visible across the neighbourhood; members and
//! registers are identifiable, so each is shown only under a grant on the person's record and every
//! one returned is audited.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::Utc;
use uuid::Uuid;

use entity::{group_attendance, group_participant, group_session, support_group};

use crate::connection_type;
use crate::context::{opt_id, parse_id, request, RequestContext};
use crate::enums::{AttendanceStatus, ReferralNeed};
use crate::error::ApiResult;
use crate::lookahead::{self as paths, Path};
use crate::neighbourhoods::NeighbourhoodNode;
use crate::organisations::OrganisationNode;
use crate::patients::PatientNode;
use crate::practitioners::PractitionerNode;
use crate::referrals::graphql::ReferralNode;
use crate::scalars;
use domain::auth::Caller;
use domain::error::{AppError, AppResult};
use domain::groups::NewGroup;
use domain::pagination::PageRequest;

#[derive(Clone)]
pub struct SupportGroupNode(pub support_group::Model);

pub struct GroupSessionNode(pub group_session::Model);

#[derive(Clone)]
pub struct GroupParticipantNode(pub group_participant::Model);

pub struct AttendanceEntry(pub group_attendance::Model);

/// Members the caller may see (a grant on each person's record), audited as reads.
async fn visible_members(
    ctx: &Context<'_>,
    req: &RequestContext,
    members: Vec<group_participant::Model>,
) -> AppResult<Vec<group_participant::Model>> {
    if members.is_empty() {
        return Ok(members);
    }
    req.caller.patient_scope()?;
    let ids: Vec<Uuid> = members.iter().map(|m| m.patient_id).collect();
    let patients = req.loaders.patient.load_many(ids).await?;
    let mut reads = Vec::new();
    let visible: Vec<_> = members
        .into_iter()
        .filter(|m| {
            let grant = patients.get(&m.patient_id).and_then(|p| req.caller.grant_for(p));
            if let Some(g) = grant {
                reads.push((m.patient_id, g.reason()));
            }
            grant.is_some()
        })
        .collect();
    req.audit_reads(ctx, &reads).await?;
    Ok(visible)
}

#[Object(name = "SupportGroup")]
impl SupportGroupNode {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// The need the group is for, if it has one focus.
    async fn focus_need(&self) -> Option<ReferralNeed> {
        self.0.focus_need.map(Into::into)
    }
    /// The organisation running the group.
    async fn organisation(&self, ctx: &Context<'_>) -> ApiResult<Option<OrganisationNode>> {
        OrganisationNode::load(ctx, self.0.organisation_id).await
    }
    async fn neighbourhood(&self, ctx: &Context<'_>) -> ApiResult<Option<NeighbourhoodNode>> {
        Ok(request(ctx)?.loaders.neighbourhood.load_one(self.0.neighbourhood_id).await?.map(Into::into))
    }
    async fn leader(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.0.leader_id).await
    }
    /// Most members at once, if limited.
    async fn capacity(&self) -> Option<i32> {
        self.0.capacity
    }
    /// Current members (a count, visible to the whole neighbourhood).
    async fn member_count(&self, ctx: &Context<'_>) -> ApiResult<u64> {
        Ok(request(ctx)?.loaders.group_member_count.load_one(self.0.id).await?.unwrap_or(0))
    }
    /// Places left, if the group is limited.
    async fn spaces_left(&self, ctx: &Context<'_>) -> ApiResult<Option<i64>> {
        let Some(capacity) = self.0.capacity else { return Ok(None) };
        let members = request(ctx)?.loaders.group_member_count.load_one(self.0.id).await?.unwrap_or(0);
        Ok(Some((i64::from(capacity) - members as i64).max(0)))
    }
    async fn created_at(&self) -> scalars::DateTime {
        self.0.created_at.into()
    }
    async fn closed_at(&self) -> Option<scalars::DateTime> {
        self.0.closed_at.map(Into::into)
    }
    /// Sessions, earliest first; `upcoming: true` keeps those that have not started yet.
    async fn sessions(&self, ctx: &Context<'_>, upcoming: Option<bool>) -> ApiResult<Vec<GroupSessionNode>> {
        let now = Utc::now();
        let rows = request(ctx)?.loaders.group_sessions.load_one(self.0.id).await?.unwrap_or_default();
        Ok(rows.into_iter().filter(|s| upcoming != Some(true) || s.starts_at > now).map(GroupSessionNode).collect())
    }
    /// Members (current ones unless `includeLeft`) whose records the caller may see; each one
    /// returned is audited.
    async fn participants(
        &self,
        ctx: &Context<'_>,
        include_left: Option<bool>,
    ) -> ApiResult<Vec<GroupParticipantNode>> {
        let req = request(ctx)?;
        let rows = req.loaders.group_participants.load_one(self.0.id).await?.unwrap_or_default();
        let rows: Vec<_> = rows.into_iter().filter(|m| include_left == Some(true) || m.left_at.is_none()).collect();
        Ok(visible_members(ctx, req, rows).await?.into_iter().map(GroupParticipantNode).collect())
    }
}

#[Object(name = "GroupSession")]
impl GroupSessionNode {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn starts_at(&self) -> scalars::DateTime {
        self.0.starts_at.into()
    }
    async fn duration_minutes(&self) -> i32 {
        self.0.duration_minutes
    }
    async fn place(&self) -> Option<&str> {
        self.0.place.as_deref()
    }
    /// The register, for members whose records the caller may see (each one audited).
    async fn attendance(&self, ctx: &Context<'_>) -> ApiResult<Vec<AttendanceEntry>> {
        let req = request(ctx)?;
        let entries = req.loaders.session_attendance.load_one(self.0.id).await?.unwrap_or_default();
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let members = req.loaders.group_participants.load_one(self.0.group_id).await?.unwrap_or_default();
        let present: Vec<_> =
            members.into_iter().filter(|m| entries.iter().any(|e| e.participant_id == m.id)).collect();
        let visible = visible_members(ctx, req, present).await?;
        Ok(entries
            .into_iter()
            .filter(|e| visible.iter().any(|m| m.id == e.participant_id))
            .map(AttendanceEntry)
            .collect())
    }
}

#[Object(name = "GroupParticipant")]
impl GroupParticipantNode {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn patient(&self, ctx: &Context<'_>) -> ApiResult<Option<PatientNode>> {
        PatientNode::load_granted(ctx, self.0.patient_id, Caller::grant_for).await.map(Some)
    }
    /// The referral the person is supported under, if the caller is a party to it.
    async fn referral(&self, ctx: &Context<'_>) -> ApiResult<Option<ReferralNode>> {
        let Some(id) = self.0.referral_id else { return Ok(None) };
        let req = request(ctx)?;
        let found = req.loaders.referral.load_one(id).await?;
        Ok(found.and_then(|r| ReferralNode::visible(&req.caller, r)))
    }
    async fn joined_at(&self) -> scalars::DateTime {
        self.0.joined_at.into()
    }
    async fn left_at(&self) -> Option<scalars::DateTime> {
        self.0.left_at.map(Into::into)
    }
    async fn is_current(&self) -> bool {
        self.0.left_at.is_none()
    }
}

#[Object(name = "GroupAttendance")]
impl AttendanceEntry {
    async fn participant_id(&self) -> ID {
        ID(self.0.participant_id.to_string())
    }
    async fn status(&self) -> AttendanceStatus {
        self.0.status.into()
    }
    async fn recorded_at(&self) -> scalars::DateTime {
        self.0.recorded_at.into()
    }
    async fn recorded_by(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.0.recorded_by).await
    }
}

connection_type!(SupportGroupConnection, SupportGroupEdge, SupportGroupNode, "A page of support groups, by name.");

#[derive(Default)]
pub struct GroupQuery;

#[Object]
impl GroupQuery {
    async fn support_group(&self, ctx: &Context<'_>, id: ID) -> ApiResult<SupportGroupNode> {
        let req = request(ctx)?;
        Ok(SupportGroupNode(domain::groups::get(&req.db, &req.caller, parse_id("id", &id)?).await?))
    }

    /// Support groups of the caller's neighbourhoods (or one of them), by name; open ones unless
    /// `includeClosed`.
    #[graphql(complexity = "crate::connection::page_cost(first, child_complexity)")]
    async fn support_groups(
        &self,
        ctx: &Context<'_>,
        neighbourhood_id: Option<ID>,
        include_closed: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<SupportGroupConnection> {
        let req = request(ctx)?;
        let neighbourhood = opt_id("neighbourhoodId", &neighbourhood_id)?;
        let page = domain::groups::list(
            &req.db,
            &req.caller,
            neighbourhood,
            include_closed.unwrap_or(false),
            PageRequest::new(first, after)?,
        )
        .await?;
        let ids: Vec<Uuid> = page.items.iter().map(|(_, g)| g.id).collect();
        let look = ctx.look_ahead();
        let nodes = [paths::NODES.below(&look), paths::EDGE_NODES.below(&look)];
        let selects = |path: &Path| nodes.iter().any(|n| path.selected(n));
        if selects(&paths::GROUP_MEMBER_COUNT) || selects(&paths::GROUP_SPACES_LEFT) {
            req.loaders.group_member_count.load_many(ids.iter().copied()).await?;
        }
        if selects(&paths::GROUP_SESSIONS) {
            req.loaders.group_sessions.load_many(ids.iter().copied()).await?;
        }
        if selects(&paths::GROUP_PARTICIPANTS) {
            req.loaders.group_participants.load_many(ids.iter().copied()).await?;
        }
        Ok(SupportGroupConnection(page.map(SupportGroupNode)))
    }
}

#[derive(InputObject)]
pub struct CreateSupportGroupInput {
    pub neighbourhood_id: ID,
    pub name: String,
    pub description: Option<String>,
    pub focus_need: Option<ReferralNeed>,
    /// A practitioner of the caller's organisation; the caller when absent.
    pub leader_id: Option<ID>,
    pub capacity: Option<i32>,
}

#[derive(InputObject)]
pub struct ScheduleGroupSessionInput {
    pub group_id: ID,
    pub starts_at: scalars::DateTime,
    pub duration_minutes: i32,
    pub place: Option<String>,
}

#[derive(InputObject)]
pub struct AddGroupParticipantInput {
    pub group_id: ID,
    pub patient_id: ID,
    /// The referral the person is waiting on, so that the figures count them as supported while waiting.
    pub referral_id: Option<ID>,
}

#[derive(InputObject)]
pub struct RemoveGroupParticipantInput {
    pub participant_id: ID,
}

#[derive(InputObject)]
pub struct AttendanceInput {
    pub participant_id: ID,
    pub status: AttendanceStatus,
}

#[derive(InputObject)]
pub struct RecordAttendanceInput {
    pub session_id: ID,
    pub entries: Vec<AttendanceInput>,
}

#[derive(SimpleObject)]
pub struct SupportGroupPayload {
    pub group: SupportGroupNode,
}

#[derive(SimpleObject)]
pub struct GroupSessionPayload {
    pub session: GroupSessionNode,
}

#[derive(SimpleObject)]
pub struct GroupParticipantPayload {
    pub participant: GroupParticipantNode,
}

#[derive(SimpleObject)]
pub struct RecordAttendancePayload {
    pub attendance: Vec<AttendanceEntry>,
}

#[derive(Default)]
pub struct GroupMutation;

#[Object]
impl GroupMutation {
    /// Starts a support group run by the caller's organisation.
    async fn create_support_group(
        &self,
        ctx: &Context<'_>,
        input: CreateSupportGroupInput,
    ) -> ApiResult<SupportGroupPayload> {
        let req = request(ctx)?;
        let new = NewGroup {
            neighbourhood_id: parse_id("neighbourhoodId", &input.neighbourhood_id)?,
            name: input.name,
            description: input.description,
            focus_need: input.focus_need.map(Into::into),
            leader_id: opt_id("leaderId", &input.leader_id)?,
            capacity: input.capacity,
        };
        Ok(SupportGroupPayload { group: SupportGroupNode(domain::groups::create(&req.db, &req.caller, new).await?) })
    }

    async fn schedule_group_session(
        &self,
        ctx: &Context<'_>,
        input: ScheduleGroupSessionInput,
    ) -> ApiResult<GroupSessionPayload> {
        let req = request(ctx)?;
        let session = domain::groups::schedule_session(
            &req.db,
            &req.caller,
            parse_id("groupId", &input.group_id)?,
            input.starts_at.into(),
            input.duration_minutes,
            input.place,
        )
        .await?;
        Ok(GroupSessionPayload { session: GroupSessionNode(session) })
    }

    /// Adds a person to a group. CONFLICT when the group is full or they are already a member.
    async fn add_group_participant(
        &self,
        ctx: &Context<'_>,
        input: AddGroupParticipantInput,
    ) -> ApiResult<GroupParticipantPayload> {
        let req = request(ctx)?;
        let member = domain::groups::add_participant(
            &req.db,
            &req.caller,
            parse_id("groupId", &input.group_id)?,
            parse_id("patientId", &input.patient_id)?,
            opt_id("referralId", &input.referral_id)?,
        )
        .await?;
        let member = visible_members(ctx, req, vec![member]).await?.into_iter().next();
        let member = member.ok_or_else(|| AppError::forbidden(domain::auth::policy::NOT_IN_YOUR_ACCESS))?;
        Ok(GroupParticipantPayload { participant: GroupParticipantNode(member) })
    }

    /// Ends a person's membership (kept in the group's history).
    async fn remove_group_participant(
        &self,
        ctx: &Context<'_>,
        input: RemoveGroupParticipantInput,
    ) -> ApiResult<GroupParticipantPayload> {
        let req = request(ctx)?;
        let member =
            domain::groups::remove_participant(&req.db, &req.caller, parse_id("participantId", &input.participant_id)?)
                .await?;
        Ok(GroupParticipantPayload { participant: GroupParticipantNode(member) })
    }

    /// Records (or corrects) a session's register, all entries in one transaction.
    async fn record_attendance(
        &self,
        ctx: &Context<'_>,
        input: RecordAttendanceInput,
    ) -> ApiResult<RecordAttendancePayload> {
        let req = request(ctx)?;
        let mut entries = Vec::with_capacity(input.entries.len());
        for entry in input.entries {
            entries.push((parse_id("participantId", &entry.participant_id)?, entry.status.into()));
        }
        let rows =
            domain::groups::record_attendance(&req.db, &req.caller, parse_id("sessionId", &input.session_id)?, entries)
                .await?;
        Ok(RecordAttendancePayload { attendance: rows.into_iter().map(AttendanceEntry).collect() })
    }
}
