//! GraphQL for MDT meetings: scheduling, invitations and quoracy, the agenda, decisions and
//! actions. People on an agenda are shown under the caller's own grant; every agenda read that
//! returns people is audited.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::Utc;
use uuid::Uuid;

use entity::{mdt_action, mdt_action_event, mdt_agenda_item, mdt_decision, mdt_invitation, mdt_meeting};

use crate::connection_type;
use crate::context::{opt_id, parse_id, request};
use crate::enums::{AgendaItemKind, Discipline, MeetingAttendance, MeetingStatus, PlanActionStatus};
use crate::error::ApiResult;
use crate::loaders::load_if;
use crate::lookahead as paths;
use crate::neighbourhoods::NeighbourhoodNode;
use crate::organisations::OrganisationNode;
use crate::patients::PatientNode;
use crate::practitioners::PractitionerNode;
use crate::scalars;
use domain::auth::{AccessReason, Caller, Grant};
use domain::error::{AppError, AppResult};
use domain::mdt::{NewAction, NewItem, NewMeeting};
use domain::pagination::PageRequest;

/// Whether the disciplines the meeting requires are (or will be) present.
#[derive(SimpleObject)]
pub struct Quoracy {
    pub is_quorate: bool,
    pub required: Vec<Discipline>,
    /// Before the meeting: invited without apologies; from its start: attending.
    pub present: Vec<Discipline>,
    pub missing: Vec<Discipline>,
}

#[derive(Clone)]
pub struct MdtMeetingNode(pub mdt_meeting::Model);

#[Object(name = "MdtMeeting")]
impl MdtMeetingNode {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn neighbourhood(&self, ctx: &Context<'_>) -> ApiResult<Option<NeighbourhoodNode>> {
        Ok(request(ctx)?.loaders.neighbourhood.load_one(self.0.neighbourhood_id).await?.map(Into::into))
    }
    async fn starts_at(&self) -> scalars::DateTime {
        self.0.starts_at.into()
    }
    async fn ends_at(&self) -> scalars::DateTime {
        self.0.ends_at.into()
    }
    async fn place(&self) -> Option<&str> {
        self.0.place.as_deref()
    }
    async fn online_link(&self) -> Option<&str> {
        self.0.online_link.as_deref()
    }
    async fn chair(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.0.chair_id).await
    }
    async fn status(&self) -> MeetingStatus {
        self.0.status.into()
    }
    async fn quoracy(&self, ctx: &Context<'_>) -> ApiResult<Quoracy> {
        let req = request(ctx)?;
        let (requirements, invitations) = futures::try_join!(
            req.loaders.meeting_requirements.load_one(self.0.id),
            req.loaders.mdt_invitations.load_one(self.0.id)
        )?;
        let required = domain::mdt::required_disciplines(requirements.unwrap_or_default());
        let invitations = invitations.unwrap_or_default();
        let q = domain::mdt::quoracy(&self.0, required, &invitations);
        Ok(Quoracy {
            is_quorate: q.is_quorate(),
            required: q.required.into_iter().map(Into::into).collect(),
            present: q.present.into_iter().map(Into::into).collect(),
            missing: q.missing.into_iter().map(Into::into).collect(),
        })
    }
    /// Standing invitations (removed ones are not listed).
    async fn invitations(&self, ctx: &Context<'_>) -> ApiResult<Vec<MdtInvitationNode>> {
        let rows = request(ctx)?.loaders.mdt_invitations.load_one(self.0.id).await?.unwrap_or_default();
        Ok(rows.into_iter().filter(|i| i.open_key.is_some()).map(MdtInvitationNode).collect())
    }
    /// The people on the agenda, in order. Reading the people is audited.
    async fn agenda(&self, ctx: &Context<'_>) -> ApiResult<Vec<AgendaItemNode>> {
        let req = request(ctx)?;
        let (rows, people): (Vec<mdt_agenda_item::Model>, Vec<entity::patient::Model>) = req
            .loaders
            .mdt_agenda
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .filter(|(i, _)| i.open_key.is_some())
            .unzip();
        // The people came with the agenda: later fields read them from the request's cache. The
        // caller's grant on each person decides what of the item they see.
        req.loaders.patient.feed_many(people.iter().map(|p| (p.id, p.clone()))).await;
        let patients: std::collections::HashMap<Uuid, entity::patient::Model> =
            people.into_iter().map(|p| (p.id, p)).collect();
        let grants: Vec<Option<Grant>> =
            rows.iter().map(|i| patients.get(&i.patient_id).and_then(|p| req.caller.grant_for(p))).collect();
        let look = ctx.look_ahead();
        let reads: Vec<_> = if [paths::ITEM_PATIENT, paths::ITEM_REASON, paths::ITEM_DECISIONS, paths::ITEM_ACTIONS]
            .iter()
            .any(|path| path.selected(&look))
        {
            rows.iter().zip(&grants).filter_map(|(i, g)| g.map(|g| (i.patient_id, g.reason()))).collect()
        } else {
            Vec::new()
        };
        // The preparation view: everything the items select, one statement per relationship.
        let granted: Vec<&entity::patient::Model> = rows
            .iter()
            .zip(&grants)
            .filter(|(_, g)| g.is_some())
            .filter_map(|(i, _)| patients.get(&i.patient_id))
            .collect();
        let selected = crate::patients::prepare::Selected::new(vec![paths::ITEM_PATIENT.below(&look)]);
        let item_ids: Vec<Uuid> = rows.iter().zip(&grants).filter(|(_, g)| g.is_some()).map(|(i, _)| i.id).collect();
        // The audit's commit and the items' loads go out at once: what the loads bring is released
        // only with the response, which is never sent when the audit fails.
        let l = &req.loaders;
        futures::try_join!(
            req.audit_reads(ctx, &reads),
            crate::patients::prepare::prime(req, &granted, &selected),
            load_if(paths::ITEM_DECISIONS.selected(&look), &l.mdt_decisions, item_ids.iter().copied()),
            load_if(paths::ITEM_ACTIONS.selected(&look), &l.mdt_item_actions, item_ids.iter().copied()),
        )?;
        Ok(rows.into_iter().zip(grants).map(|(item, grant)| AgendaItemNode { item, grant }).collect())
    }
    /// The minutes as Markdown: attendance and quoracy, then per person the decisions and actions,
    /// then actions carried forward. People are named only under the reader's own access (audited).
    async fn minutes(&self, ctx: &Context<'_>) -> ApiResult<String> {
        let req = request(ctx)?;
        let (text, shown) = super::minutes::render(req, &self.0).await?;
        req.audit_reads(ctx, &shown).await?;
        Ok(text)
    }

    /// Open actions from this neighbourhood's earlier meetings, soonest due first.
    async fn carried_forward_actions(&self, ctx: &Context<'_>) -> ApiResult<Vec<MdtActionNode>> {
        let req = request(ctx)?;
        let actions = domain::mdt::carried_forward(&req.db, &self.0).await?;
        audited_actions(ctx, req, actions).await
    }
}

/// Actions agreed about people, as the caller may read them (`Caller::reads_action`): those about
/// people whose clinical record the caller's grant opens, and those the caller owns whatever their
/// grant (the meeting gave the action to them); audited as reads of those people, since an
/// action's text is about them. The others are left out.
async fn audited_actions(
    ctx: &Context<'_>,
    req: &crate::context::RequestContext,
    actions: Vec<mdt_action::Model>,
) -> ApiResult<Vec<MdtActionNode>> {
    let patients = req.loaders.patient.load_many(actions.iter().map(|a| a.patient_id)).await?;
    let mut reads = Vec::with_capacity(actions.len());
    let mut shown = Vec::with_capacity(actions.len());
    for action in actions {
        let Some(reason) = req.caller.reads_action(&action, patients.get(&action.patient_id)) else { continue };
        reads.push((action.patient_id, reason));
        shown.push(MdtActionNode::decided(action, Some(reason)));
    }
    req.audit_reads(ctx, &reads).await?;
    Ok(shown)
}

pub struct MdtInvitationNode(mdt_invitation::Model);

#[Object(name = "MdtInvitation")]
impl MdtInvitationNode {
    async fn practitioner(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.0.practitioner_id).await
    }
    async fn organisation(&self, ctx: &Context<'_>) -> ApiResult<Option<OrganisationNode>> {
        OrganisationNode::load(ctx, self.0.organisation_id).await
    }
    async fn discipline(&self) -> Discipline {
        self.0.discipline.into()
    }
    async fn attendance(&self) -> MeetingAttendance {
        self.0.attendance.into()
    }
    async fn invited_at(&self) -> scalars::DateTime {
        self.0.invited_at.into()
    }
}

/// An agenda item as the caller may see it: the reason, decisions and actions are about the
/// person, so they open only under the caller's own grant on the person's record.
pub struct AgendaItemNode {
    item: mdt_agenda_item::Model,
    grant: Option<Grant>,
}

impl AgendaItemNode {
    /// What is said about the person (why they are on the agenda, what was decided and agreed):
    /// clinical, so only under a grant that opens what is clinical.
    fn about_the_person(&self) -> AppResult<(&mdt_agenda_item::Model, Grant)> {
        self.grant.filter(|g| g.level().opens_clinical()).map(|g| (&self.item, g)).ok_or_else(|| {
            AppError::forbidden("what is said about this person is for those with access to their full record")
        })
    }
}

/// One person on a meeting's agenda. `patient`, `reason`, `decisions` and `actions` are about the
/// person: null, with a FORBIDDEN error, for a reader without access to their record (`reason`,
/// `decisions` and `actions` without access to the full record).
#[Object(name = "MdtAgendaItem")]
impl AgendaItemNode {
    async fn id(&self) -> ID {
        ID(self.item.id.to_string())
    }
    async fn position(&self) -> i32 {
        self.item.position
    }
    /// The person, under the caller's own access to their record.
    async fn patient(&self, ctx: &Context<'_>) -> ApiResult<Option<PatientNode>> {
        let grant = self.grant.ok_or_else(|| {
            AppError::forbidden("what is said about this person is for those with access to their record")
        })?;
        PatientNode::load_with(ctx, self.item.patient_id, grant).await.map(Some)
    }
    async fn reason(&self) -> ApiResult<Option<&str>> {
        Ok(Some(&self.about_the_person()?.0.reason))
    }
    async fn kind(&self) -> AgendaItemKind {
        self.item.kind.into()
    }
    async fn presenter(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.item.presenter_id).await
    }
    async fn minutes_allotted(&self) -> i32 {
        self.item.minutes_allotted
    }
    async fn decisions(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<MdtDecisionNode>>> {
        let id = self.about_the_person()?.0.id;
        let rows = request(ctx)?.loaders.mdt_decisions.load_one(id).await?.unwrap_or_default();
        Ok(Some(rows.into_iter().map(MdtDecisionNode).collect()))
    }
    async fn actions(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<MdtActionNode>>> {
        let id = self.about_the_person()?.0.id;
        let rows = request(ctx)?.loaders.mdt_item_actions.load_one(id).await?.unwrap_or_default();
        Ok(Some(rows.into_iter().map(MdtActionNode::readable).collect()))
    }
}

pub struct MdtDecisionNode(mdt_decision::Model);

#[Object(name = "MdtDecision")]
impl MdtDecisionNode {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn text(&self) -> &str {
        &self.0.text
    }
    async fn recorded_by(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.0.recorded_by).await
    }
    async fn recorded_at(&self) -> scalars::DateTime {
        self.0.recorded_at.into()
    }
}

#[derive(Clone)]
/// An MDT action as the caller may see it: what was agreed (its text and the notes of its history)
/// is about the person, so it opens only where the policy says the caller reads it
/// (`Caller::reads_action`: a grant on the person that opens what is clinical, or owning the action).
pub struct MdtActionNode {
    action: mdt_action::Model,
    text_open: bool,
}

impl MdtActionNode {
    /// An action on a path whose access already opens what is clinical about the person (an
    /// agenda item or a record under such a grant), or written by the caller.
    pub fn readable(action: mdt_action::Model) -> Self {
        Self { action, text_open: true }
    }

    /// An action with what the policy says of the caller's reading it.
    pub fn decided(action: mdt_action::Model, reads: Option<AccessReason>) -> Self {
        Self { action, text_open: reads.is_some() }
    }

    fn text_open(&self) -> ApiResult<()> {
        if self.text_open {
            Ok(())
        } else {
            Err(AppError::forbidden(
                "what was agreed about this person is for their action's owner and those who read their clinical record",
            )
            .into())
        }
    }
}

#[Object(name = "MdtAction")]
impl MdtActionNode {
    async fn id(&self) -> ID {
        ID(self.action.id.to_string())
    }
    /// What was agreed: for the action's owner and those who read the person's clinical record
    /// (FORBIDDEN to anyone else, such as an organiser who reads the administrative record only,
    /// answering the status change they made).
    async fn text(&self) -> ApiResult<&str> {
        self.text_open()?;
        Ok(&self.action.text)
    }
    async fn status(&self) -> PlanActionStatus {
        self.action.status.into()
    }
    async fn due_date(&self) -> Option<scalars::Date> {
        self.action.due_date.map(Into::into)
    }
    /// Open and past its due date.
    async fn is_overdue(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        let today = request(ctx)?.today;
        Ok(self.action.status == entity::PlanActionStatus::Open && self.action.due_date.is_some_and(|d| d < today))
    }
    async fn owner_practitioner(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.action.owner_practitioner_id).await
    }
    async fn owner_organisation(&self, ctx: &Context<'_>) -> ApiResult<Option<OrganisationNode>> {
        OrganisationNode::load(ctx, self.action.owner_organisation_id).await
    }
    /// The meeting it was agreed at.
    async fn meeting_id(&self) -> ID {
        ID(self.action.meeting_id.to_string())
    }
    /// The person it is for (their id; their record is read through `patient`).
    async fn patient_id(&self) -> ID {
        ID(self.action.patient_id.to_string())
    }
    /// The person it is for, as far as the caller's own access to their record goes: owning an
    /// action opens nothing more of the record (fields beyond the caller's access are null with
    /// FORBIDDEN; null altogether when the caller has no access to the person). Audited.
    async fn patient(&self, ctx: &Context<'_>) -> ApiResult<Option<PatientNode>> {
        let person = PatientNode::load_granted(ctx, self.action.patient_id, Caller::grant_for).await?;
        request(ctx)?.audit_reads(ctx, &[(self.action.patient_id, person.grant().reason())]).await?;
        Ok(Some(person))
    }
    /// The meeting it was agreed at, when the caller may see that meeting.
    async fn meeting(&self, ctx: &Context<'_>) -> ApiResult<Option<MdtMeetingNode>> {
        let req = request(ctx)?;
        let Some(meeting) = req.loaders.mdt_meeting.load_one(self.action.meeting_id).await? else { return Ok(None) };
        if req.caller.takes_part_in(meeting.neighbourhood_id) {
            return Ok(Some(MdtMeetingNode(meeting)));
        }
        // Someone from outside the neighbourhood sees it only as an invitee.
        Ok(Some(MdtMeetingNode(domain::mdt::get(&req.db, &req.caller, meeting.id).await?)))
    }
    async fn created_at(&self) -> scalars::DateTime {
        self.action.created_at.into()
    }
    /// Every status change, oldest first.
    async fn history(&self, ctx: &Context<'_>) -> ApiResult<Vec<MdtActionEventNode>> {
        self.text_open()?;
        let rows = request(ctx)?.loaders.mdt_action_events.load_one(self.action.id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(MdtActionEventNode).collect())
    }
}

pub struct MdtActionEventNode(mdt_action_event::Model);

#[Object(name = "MdtActionEvent")]
impl MdtActionEventNode {
    async fn from_status(&self) -> Option<PlanActionStatus> {
        self.0.from_status.map(Into::into)
    }
    async fn to_status(&self) -> PlanActionStatus {
        self.0.to_status.into()
    }
    async fn practitioner(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.0.practitioner_id).await
    }
    async fn occurred_at(&self) -> scalars::DateTime {
        self.0.occurred_at.into()
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
}

connection_type!(MdtMeetingConnection, MdtMeetingEdge, MdtMeetingNode, "A page of MDT meetings, earliest first.");

#[derive(InputObject)]
pub struct ScheduleMdtMeetingInput {
    pub neighbourhood_id: ID,
    pub title: String,
    pub starts_at: scalars::DateTime,
    pub ends_at: scalars::DateTime,
    /// Where the meeting is held. A meeting needs a place, an online link or both
    /// (`BAD_USER_INPUT` on `place` otherwise).
    pub place: Option<String>,
    /// The link to join online; see `place`.
    pub online_link: Option<String>,
    /// Who chairs: staff of one of the neighbourhood's organisations, not chairing another open
    /// meeting at an overlapping time (`CONFLICT` naming it). The chair is not invited by this:
    /// like everyone else, the chair counts for quoracy and opens the agenda's records once
    /// invited (`inviteToMdtMeeting`).
    pub chair_id: ID,
    /// Overrides the neighbourhood's required disciplines for this meeting.
    pub required_disciplines: Option<Vec<Discipline>>,
}

#[derive(InputObject)]
pub struct MdtInvitationInput {
    pub meeting_id: ID,
    pub practitioner_id: ID,
}

#[derive(InputObject)]
pub struct MdtAttendanceEntry {
    pub practitioner_id: ID,
    pub attendance: MeetingAttendance,
}

#[derive(InputObject)]
pub struct RecordMdtAttendanceInput {
    pub meeting_id: ID,
    pub entries: Vec<MdtAttendanceEntry>,
}

#[derive(InputObject)]
pub struct SetMdtMeetingStatusInput {
    pub meeting_id: ID,
    pub to: MeetingStatus,
}

#[derive(InputObject)]
pub struct AddMdtAgendaItemInput {
    pub meeting_id: ID,
    pub patient_id: ID,
    pub reason: String,
    pub kind: Option<AgendaItemKind>,
    pub presenter_id: Option<ID>,
    /// Default 10.
    pub minutes_allotted: Option<i32>,
}

#[derive(InputObject)]
pub struct RemoveMdtAgendaItemInput {
    pub item_id: ID,
}

#[derive(InputObject)]
pub struct ReorderMdtAgendaInput {
    pub meeting_id: ID,
    /// Every item on the agenda, in the new order.
    pub item_ids: Vec<ID>,
}

#[derive(InputObject)]
pub struct RecordMdtDecisionInput {
    pub item_id: ID,
    pub text: String,
}

#[derive(InputObject)]
pub struct AddMdtActionInput {
    pub item_id: ID,
    pub text: String,
    pub owner_practitioner_id: Option<ID>,
    pub owner_organisation_id: Option<ID>,
    pub due_date: Option<scalars::Date>,
}

#[derive(InputObject)]
pub struct SetMdtActionStatusInput {
    pub action_id: ID,
    pub to: PlanActionStatus,
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct SetRequiredDisciplinesInput {
    pub neighbourhood_id: ID,
    pub disciplines: Vec<Discipline>,
}

#[derive(SimpleObject)]
pub struct SetRequiredDisciplinesPayload {
    /// What the neighbourhood's meetings now require (meetings with their own list keep it).
    pub disciplines: Vec<Discipline>,
}

#[derive(SimpleObject)]
pub struct MdtMeetingPayload {
    pub meeting: MdtMeetingNode,
}

#[derive(SimpleObject)]
pub struct MdtDecisionPayload {
    pub decision: MdtDecisionNode,
}

#[derive(SimpleObject)]
pub struct MdtActionPayload {
    pub action: MdtActionNode,
}

#[derive(Default)]
pub struct MdtQuery;

#[Object]
impl MdtQuery {
    async fn mdt_meeting(&self, ctx: &Context<'_>, id: ID) -> ApiResult<MdtMeetingNode> {
        let req = request(ctx)?;
        Ok(MdtMeetingNode(domain::mdt::get(&req.db, &req.caller, parse_id("id", &id)?).await?))
    }

    /// A neighbourhood's meetings, earliest first; `upcoming: true` keeps those that have not
    /// ended and are not closed.
    #[graphql(complexity = "crate::connection::page_cost(first, child_complexity)")]
    async fn mdt_meetings(
        &self,
        ctx: &Context<'_>,
        neighbourhood_id: ID,
        upcoming: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<MdtMeetingConnection> {
        let req = request(ctx)?;
        let neighbourhood = parse_id("neighbourhoodId", &neighbourhood_id)?;
        let page = PageRequest::new(first, after)?;
        let page =
            domain::mdt::list_meetings(&req.db, &req.caller, neighbourhood, upcoming == Some(true), Utc::now(), page)
                .await?;
        Ok(MdtMeetingConnection(page.map(MdtMeetingNode)))
    }

    /// Actions the caller owns across meetings (open ones by default), soonest due first; audited
    /// as reads of the people they are about.
    async fn my_mdt_actions(
        &self,
        ctx: &Context<'_>,
        status: Option<PlanActionStatus>,
    ) -> ApiResult<Vec<MdtActionNode>> {
        let req = request(ctx)?;
        let status: entity::PlanActionStatus = status.map_or(entity::PlanActionStatus::Open, Into::into);
        let rows = domain::mdt::my_actions(&req.db, &req.caller, status).await?;
        audited_actions(ctx, req, rows).await
    }

    /// Open actions past their due date across a neighbourhood's meetings (for its coordinator),
    /// about people whose record the caller may open; audited as reads of them.
    async fn overdue_mdt_actions(&self, ctx: &Context<'_>, neighbourhood_id: ID) -> ApiResult<Vec<MdtActionNode>> {
        let req = request(ctx)?;
        let neighbourhood = parse_id("neighbourhoodId", &neighbourhood_id)?;
        let rows = domain::mdt::overdue_actions(&req.db, &req.caller, neighbourhood, req.today).await?;
        audited_actions(ctx, req, rows).await
    }
}

#[derive(Default)]
pub struct MdtMutation;

#[Object]
impl MdtMutation {
    /// Schedules a meeting (PLANNED) for a neighbourhood.
    async fn schedule_mdt_meeting(
        &self,
        ctx: &Context<'_>,
        input: ScheduleMdtMeetingInput,
    ) -> ApiResult<MdtMeetingPayload> {
        let req = request(ctx)?;
        let new = NewMeeting {
            neighbourhood_id: parse_id("neighbourhoodId", &input.neighbourhood_id)?,
            title: input.title,
            starts_at: input.starts_at.into(),
            ends_at: input.ends_at.into(),
            place: input.place,
            online_link: input.online_link,
            chair_id: parse_id("chairId", &input.chair_id)?,
            required_disciplines: input.required_disciplines.map(|l| l.into_iter().map(Into::into).collect()),
        };
        let meeting = domain::mdt::schedule(&req.db, &req.caller, new).await?.announce(&req.live).await;
        Ok(MdtMeetingPayload { meeting: MdtMeetingNode(meeting) })
    }

    /// Sets the disciplines the neighbourhood's MDT meetings require to be quorate: its organisers
    /// or a deployment administrator (recorded in the administration trail).
    async fn set_required_disciplines(
        &self,
        ctx: &Context<'_>,
        input: SetRequiredDisciplinesInput,
    ) -> ApiResult<SetRequiredDisciplinesPayload> {
        let req = request(ctx)?;
        let list = domain::mdt::set_required_disciplines(
            &req.db,
            &req.caller,
            parse_id("neighbourhoodId", &input.neighbourhood_id)?,
            input.disciplines.into_iter().map(Into::into).collect(),
        )
        .await?
        .announce(&req.live)
        .await;
        Ok(SetRequiredDisciplinesPayload { disciplines: list.into_iter().map(Into::into).collect() })
    }

    /// Starts or closes a meeting (PLANNED → IN_PROGRESS → CLOSED).
    async fn set_mdt_meeting_status(
        &self,
        ctx: &Context<'_>,
        input: SetMdtMeetingStatusInput,
    ) -> ApiResult<MdtMeetingPayload> {
        let req = request(ctx)?;
        let meeting =
            domain::mdt::set_status(&req.db, &req.caller, parse_id("meetingId", &input.meeting_id)?, input.to.into())
                .await?
                .announce(&req.live)
                .await;
        Ok(MdtMeetingPayload { meeting: MdtMeetingNode(meeting) })
    }

    async fn invite_to_mdt_meeting(
        &self,
        ctx: &Context<'_>,
        input: MdtInvitationInput,
    ) -> ApiResult<MdtMeetingPayload> {
        let req = request(ctx)?;
        let meeting_id = parse_id("meetingId", &input.meeting_id)?;
        let (meeting, _) =
            domain::mdt::invite(&req.db, &req.caller, meeting_id, parse_id("practitionerId", &input.practitioner_id)?)
                .await?
                .announce(&req.live)
                .await;
        Ok(MdtMeetingPayload { meeting: MdtMeetingNode(meeting) })
    }

    async fn remove_mdt_invitation(
        &self,
        ctx: &Context<'_>,
        input: MdtInvitationInput,
    ) -> ApiResult<MdtMeetingPayload> {
        let req = request(ctx)?;
        let meeting_id = parse_id("meetingId", &input.meeting_id)?;
        let (meeting, _) = domain::mdt::uninvite(
            &req.db,
            &req.caller,
            meeting_id,
            parse_id("practitionerId", &input.practitioner_id)?,
        )
        .await?
        .announce(&req.live)
        .await;
        Ok(MdtMeetingPayload { meeting: MdtMeetingNode(meeting) })
    }

    /// Records who attended or sent apologies.
    async fn record_mdt_attendance(
        &self,
        ctx: &Context<'_>,
        input: RecordMdtAttendanceInput,
    ) -> ApiResult<MdtMeetingPayload> {
        let req = request(ctx)?;
        let meeting_id = parse_id("meetingId", &input.meeting_id)?;
        let entries = input
            .entries
            .iter()
            .map(|e| Ok((parse_id("practitionerId", &e.practitioner_id)?, e.attendance.into())))
            .collect::<AppResult<Vec<_>>>()?;
        let (meeting, _) =
            domain::mdt::record_attendance(&req.db, &req.caller, meeting_id, entries).await?.announce(&req.live).await;
        Ok(MdtMeetingPayload { meeting: MdtMeetingNode(meeting) })
    }

    async fn add_mdt_agenda_item(
        &self,
        ctx: &Context<'_>,
        input: AddMdtAgendaItemInput,
    ) -> ApiResult<MdtMeetingPayload> {
        let req = request(ctx)?;
        let meeting_id = parse_id("meetingId", &input.meeting_id)?;
        let new = NewItem {
            patient_id: parse_id("patientId", &input.patient_id)?,
            reason: input.reason,
            kind: input.kind.map_or(entity::AgendaItemKind::FullDiscussion, Into::into),
            presenter_id: opt_id("presenterId", &input.presenter_id)?,
            minutes_allotted: input.minutes_allotted.unwrap_or(10),
        };
        let (meeting, item, grant) =
            domain::mdt::add_item(&req.db, &req.caller, meeting_id, new).await?.announce(&req.live).await;
        req.audit_reads(ctx, &[(item.patient_id, grant.reason())]).await?;
        Ok(MdtMeetingPayload { meeting: MdtMeetingNode(meeting) })
    }

    /// Takes a person off the agenda (any access the item gave ends with it).
    async fn remove_mdt_agenda_item(
        &self,
        ctx: &Context<'_>,
        input: RemoveMdtAgendaItemInput,
    ) -> ApiResult<MdtMeetingPayload> {
        let req = request(ctx)?;
        let (meeting, _) = domain::mdt::remove_item(&req.db, &req.caller, parse_id("itemId", &input.item_id)?)
            .await?
            .announce(&req.live)
            .await;
        Ok(MdtMeetingPayload { meeting: MdtMeetingNode(meeting) })
    }

    async fn reorder_mdt_agenda(
        &self,
        ctx: &Context<'_>,
        input: ReorderMdtAgendaInput,
    ) -> ApiResult<MdtMeetingPayload> {
        let req = request(ctx)?;
        let meeting_id = parse_id("meetingId", &input.meeting_id)?;
        let order = input.item_ids.iter().map(|i| parse_id("itemIds", i)).collect::<AppResult<Vec<_>>>()?;
        let meeting = domain::mdt::reorder(&req.db, &req.caller, meeting_id, order).await?.announce(&req.live).await;
        Ok(MdtMeetingPayload { meeting: MdtMeetingNode(meeting) })
    }

    async fn record_mdt_decision(
        &self,
        ctx: &Context<'_>,
        input: RecordMdtDecisionInput,
    ) -> ApiResult<MdtDecisionPayload> {
        let req = request(ctx)?;
        let decision =
            domain::mdt::record_decision(&req.db, &req.caller, parse_id("itemId", &input.item_id)?, input.text)
                .await?
                .announce(&req.live)
                .await;
        Ok(MdtDecisionPayload { decision: MdtDecisionNode(decision) })
    }

    async fn add_mdt_action(&self, ctx: &Context<'_>, input: AddMdtActionInput) -> ApiResult<MdtActionPayload> {
        let req = request(ctx)?;
        let new = NewAction {
            item_id: parse_id("itemId", &input.item_id)?,
            text: input.text,
            owner_practitioner_id: opt_id("ownerPractitionerId", &input.owner_practitioner_id)?,
            owner_organisation_id: opt_id("ownerOrganisationId", &input.owner_organisation_id)?,
            due_date: input.due_date.map(Into::into),
        };
        let action = domain::mdt::add_action(&req.db, &req.caller, new).await?.announce(&req.live).await;
        // The caller wrote what they read back.
        Ok(MdtActionPayload { action: MdtActionNode::readable(action) })
    }

    /// Marks an action done or cancelled (or reopens it); allowed after the meeting has closed.
    async fn set_mdt_action_status(
        &self,
        ctx: &Context<'_>,
        input: SetMdtActionStatusInput,
    ) -> ApiResult<MdtActionPayload> {
        let req = request(ctx)?;
        let action = domain::mdt::set_action_status(
            &req.db,
            &req.caller,
            parse_id("actionId", &input.action_id)?,
            input.to.into(),
            input.note,
        )
        .await?
        .announce(&req.live)
        .await;
        let person = req.loaders.patient.load_one(action.patient_id).await?;
        let reads = req.caller.reads_action(&action, person.as_ref());
        if let Some(reason) = reads {
            req.audit_reads(ctx, &[(action.patient_id, reason)]).await?;
        }
        Ok(MdtActionPayload { action: MdtActionNode::decided(action, reads) })
    }
}
