//! GraphQL for agenda proposals: `proposeMdtAgenda` and `addProposedToMdtAgenda`.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};

use crate::context::{parse_id, request, RequestContext};
use crate::enums::ProposalReasonKind;
use crate::error::ApiResult;
use crate::lookahead as paths;
use crate::mdt::graphql::MdtMeetingPayload;
use crate::patients::{PatientCriteriaInput, PatientNode};
use domain::error::{AppError, AppResult};
use domain::mdt::proposal::{self, ProposalRequest, DEFAULT_LIMIT, DEFAULT_NOT_DISCUSSED_DAYS};

/// Whom to propose: a saved cohort of the meeting's neighbourhood or ad-hoc criteria.
#[derive(InputObject)]
pub struct ProposeMdtAgendaInput {
    pub meeting_id: ID,
    /// A saved cohort (its neighbourhood must be the meeting's).
    pub cohort_id: Option<ID>,
    /// Or criteria given here (exactly one of `cohortId` and `criteria`).
    pub criteria: Option<PatientCriteriaInput>,
    /// Leave out people on one of the neighbourhood's agendas in this many days before the
    /// meeting (default 90).
    pub not_discussed_days: Option<i32>,
    /// At most this many people (default 20).
    pub limit: Option<i32>,
}

/// A reason from the data for discussing the person.
#[derive(SimpleObject)]
pub struct MdtProposalReason {
    pub kind: ProposalReasonKind,
    pub detail: String,
    /// Points added to the urgency.
    pub weight: i32,
}

/// A person proposed for the agenda, with why.
#[derive(SimpleObject)]
pub struct MdtAgendaProposal {
    pub patient: PatientNode,
    /// The sum of the reasons' weights; the list is ordered by it, highest first.
    pub urgency: i32,
    pub reasons: Vec<MdtProposalReason>,
    /// The reasons in one line (what `addProposedToMdtAgenda` writes as the item's reason).
    pub summary: String,
    /// The last meeting of the neighbourhood the person was discussed at, if ever.
    pub last_discussed_on: Option<crate::scalars::Date>,
}

#[derive(InputObject)]
pub struct AddProposedToMdtAgendaInput {
    pub proposal: ProposeMdtAgendaInput,
    /// Minutes allotted to each person (default 10).
    pub minutes_each: Option<i32>,
}

async fn proposals(
    req: &RequestContext,
    input: ProposeMdtAgendaInput,
) -> AppResult<(entity::mdt_meeting::Model, Vec<proposal::Proposal>)> {
    let meeting_id = parse_id("meetingId", &input.meeting_id)?;
    let (criteria, cohort_neighbourhood) = match (input.cohort_id, input.criteria) {
        (Some(id), None) => {
            let cohort = domain::cohorts::get(&req.db, &req.caller, parse_id("cohortId", &id)?).await?;
            (cohort.criteria, Some(cohort.model.neighbourhood_id))
        }
        (None, Some(criteria)) => (criteria.into_criteria()?, None),
        _ => return Err(AppError::bad_input("cohortId", "give exactly one of cohortId and criteria")),
    };
    let request = ProposalRequest {
        meeting_id,
        criteria,
        cohort_neighbourhood,
        not_discussed_days: input.not_discussed_days.map_or(DEFAULT_NOT_DISCUSSED_DAYS, i64::from),
        limit: match input.limit {
            None => DEFAULT_LIMIT,
            Some(n) => u64::try_from(n).map_err(|_| AppError::bad_input("limit", "must not be negative"))?,
        },
    };
    proposal::propose(&req.db, &req.caller, req.today, chrono::Utc::now(), &request).await
}

#[derive(Default)]
pub struct MdtProposalQuery;

#[Object]
impl MdtProposalQuery {
    /// People from a cohort proposed for a meeting's agenda, most urgent first, each with the
    /// reasons the data gives (severe frailty, a referral waiting over 8 weeks, an overdue
    /// action, falling wellbeing, several conditions). For the meeting's organisers; audited.
    async fn propose_mdt_agenda(
        &self,
        ctx: &Context<'_>,
        input: ProposeMdtAgendaInput,
    ) -> ApiResult<Vec<MdtAgendaProposal>> {
        let req = request(ctx)?;
        let (_, list) = proposals(req, input).await?;
        let reads: Vec<_> = list.iter().map(|p| (p.patient.id, p.grant.reason())).collect();
        // Whatever the proposals' people select, one statement per relationship, sent at once
        // with the audit's commit (the response, never sent when the audit fails, releases them).
        let people: Vec<&entity::patient::Model> = list.iter().map(|p| &p.patient).collect();
        let selected = crate::patients::prepare::Selected::new(vec![paths::PROPOSAL_PATIENT.below(&ctx.look_ahead())]);
        futures::try_join!(req.audit_reads(ctx, &reads), crate::patients::prepare::prime(req, &people, &selected))?;
        Ok(list
            .into_iter()
            .map(|p| MdtAgendaProposal {
                summary: p.summary(),
                urgency: p.urgency,
                reasons: p
                    .reasons
                    .into_iter()
                    .map(|r| MdtProposalReason { kind: r.kind.into(), detail: r.detail, weight: r.weight })
                    .collect(),
                last_discussed_on: p.last_discussed_on.map(Into::into),
                patient: PatientNode::new(p.patient, p.grant),
            })
            .collect())
    }
}

#[derive(Default)]
pub struct MdtProposalMutation;

#[Object]
impl MdtProposalMutation {
    /// Proposes as `proposeMdtAgenda` does and adds everyone proposed to the end of the agenda
    /// in one transaction, each with the reasons as the item's reason.
    async fn add_proposed_to_mdt_agenda(
        &self,
        ctx: &Context<'_>,
        input: AddProposedToMdtAgendaInput,
    ) -> ApiResult<MdtMeetingPayload> {
        let req = request(ctx)?;
        let (meeting, list) = proposals(req, input.proposal).await?;
        proposal::add_proposed(&req.db, &req.caller, &meeting, &list, input.minutes_each.unwrap_or(10))
            .await?
            .announce(&req.live)
            .await;
        let reads: Vec<_> = list.iter().map(|p| (p.patient.id, p.grant.reason())).collect();
        req.audit_reads(ctx, &reads).await?;
        // Adding items changes no column of the meeting; its agenda is read fresh by the payload.
        Ok(MdtMeetingPayload { meeting: crate::mdt::graphql::MdtMeetingNode(meeting) })
    }
}
