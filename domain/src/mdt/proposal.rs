//! The proposed agenda: from a cohort of a meeting's neighbourhood, the people not discussed
//! recently, each with the reasons the data gives for discussing them, most urgent first.
//!
//! Reasons and their weights (the urgency is their sum):
//! * **severe frailty** (eFI > 0.36, or a Clinical Frailty Scale of 7 or more): 40; moderate: 15;
//! * **a referral waiting for first contact over 8 weeks**: 25, plus 1 a week beyond 8 (at most
//!   20 more), per referral the proposer is a party to (only a referral's parties know of it);
//! * **an overdue MDT action** about the person: 20 each;
//! * **falling wellbeing**: the latest SWEMWBS metric score, taken in the last year, at least 1
//!   point below the one before (the lower end of the change usually treated as meaningful): 20,
//!   plus 5 a point;
//! * **several long-term conditions**: 2 a condition, from two (at most 10).
//!
//! Ties go to the higher eFI. Everything comes from a handful of statements over the cohort (each
//! signal one statement with the cohort as a subquery), whatever the cohort's size.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, JoinType, QueryFilter, QueryOrder, QuerySelect,
    TransactionSession, TransactionTrait,
};
use uuid::Uuid;

use entity::{
    mdt_action, mdt_agenda_item, mdt_meeting, outcome_measurement, patient, patient_condition, referral,
    AgendaItemKind, PlanActionStatus,
};

use super::{item_key, organised, MAX_AGENDA_ITEMS};
use crate::auth::{Caller, Grant};
use crate::error::{AppError, AppResult};
use crate::frailty::FrailtyCategory;
use crate::label::{day, service_words};
use crate::live::{ChangeKind, MeetingChanged};
use crate::patients::query::criteria_condition;
use crate::patients::PatientCriteria;
use crate::referrals::MAX_TEXT_CHARS;

/// A referral waiting for first contact longer than this is a reason to discuss the person.
pub const LONG_WAIT_DAYS: i64 = 56;
/// A fall in the SWEMWBS metric score of at least this much is a reason.
pub const WELLBEING_FALL: f64 = 1.0;
/// Only a fall whose latest measurement is this recent counts.
pub const WELLBEING_RECENT_DAYS: i64 = 365;
/// Default look-back: people on an agenda in this many days before the meeting are left out.
pub const DEFAULT_NOT_DISCUSSED_DAYS: i64 = 90;
pub const DEFAULT_LIMIT: u64 = 20;

/// Why a person is proposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ProposalReasonKind {
    SevereFrailty,
    ModerateFrailty,
    ReferralWaiting,
    OverdueAction,
    FallingWellbeing,
    Multimorbidity,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProposalReason {
    pub kind: ProposalReasonKind,
    /// What the data says, in words, e.g. "Referral to adult social care waiting 11 weeks (since 3 Sep 2026)".
    pub detail: String,
    /// The points it adds to the urgency.
    pub weight: i32,
}

/// One person proposed for the agenda.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub patient: patient::Model,
    pub grant: Grant,
    pub urgency: i32,
    /// Most heavily weighted first.
    pub reasons: Vec<ProposalReason>,
    /// When the person was last on one of the neighbourhood's agendas (before the look-back), if ever.
    pub last_discussed_on: Option<NaiveDate>,
}

impl Proposal {
    /// The reasons in one line, as the proposer reads them.
    pub fn summary(&self) -> String {
        one_line(self.reasons.iter())
    }

    /// The reasons an agenda item keeps: every invitee with access to the person reads the item,
    /// and only a referral's parties may know of it, so a waiting referral's reason stays with the
    /// proposer (the parties read the referral itself in the person's `referrals`).
    pub fn agenda_reason(&self) -> String {
        let reason = one_line(self.reasons.iter().filter(|r| r.kind != ProposalReasonKind::ReferralWaiting));
        if reason.is_empty() {
            "Proposed for review from the cohort".to_owned()
        } else {
            reason
        }
    }
}

/// Reasons joined into one line, cut to what an agenda item holds.
fn one_line<'a>(reasons: impl Iterator<Item = &'a ProposalReason>) -> String {
    let text = reasons.map(|r| r.detail.as_str()).collect::<Vec<_>>().join("; ");
    if text.chars().count() <= MAX_TEXT_CHARS {
        return text;
    }
    let mut short: String = text.chars().take(MAX_TEXT_CHARS - 1).collect();
    short.push('…');
    short
}

/// What to propose from.
#[derive(Debug, Clone)]
pub struct ProposalRequest {
    pub meeting_id: Uuid,
    pub criteria: PatientCriteria,
    /// When the criteria are a saved cohort's: its neighbourhood, which must be the meeting's.
    pub cohort_neighbourhood: Option<Uuid>,
    pub not_discussed_days: i64,
    pub limit: u64,
}

/// The neighbourhood's agenda items (not removed) at meetings other than `meeting` that started
/// after `since` and no later than `meeting`, plus the items already on `meeting`: whoever is on
/// one is left out of the proposal.
fn recently_discussed(meeting: &mdt_meeting::Model, since: DateTime<Utc>) -> SelectStatement {
    use mdt_agenda_item::Column as I;
    use mdt_meeting::Column as M;
    Query::select()
        .expr(Expr::val(1))
        .from(mdt_agenda_item::Entity)
        .inner_join(
            mdt_meeting::Entity,
            Expr::col((mdt_meeting::Entity, M::Id)).equals((mdt_agenda_item::Entity, I::MeetingId)),
        )
        .and_where(Expr::col((mdt_agenda_item::Entity, I::PatientId)).equals((patient::Entity, patient::Column::Id)))
        .and_where(Expr::col((mdt_agenda_item::Entity, I::OpenKey)).is_not_null())
        .and_where(Expr::col((mdt_meeting::Entity, M::NeighbourhoodId)).eq(meeting.neighbourhood_id))
        .cond_where(
            Condition::any().add(Expr::col((mdt_meeting::Entity, M::Id)).eq(meeting.id)).add(
                Condition::all()
                    .add(Expr::col((mdt_meeting::Entity, M::StartsAt)).gt(since))
                    .add(Expr::col((mdt_meeting::Entity, M::StartsAt)).lte(meeting.starts_at)),
            ),
        )
        .to_owned()
}

/// Proposes people for `request.meeting_id`'s agenda, returning the meeting with them. For the
/// meeting's organisers; the meeting must not be closed.
pub async fn propose(
    db: &impl ConnectionTrait,
    caller: &Caller,
    today: NaiveDate,
    now: DateTime<Utc>,
    request: &ProposalRequest,
) -> AppResult<(mdt_meeting::Model, Vec<Proposal>)> {
    let meeting = checked_meeting(db, caller, request).await?;
    let since = meeting.starts_at - Duration::days(request.not_discussed_days);
    let scope = caller.patient_scope()?;
    // Conditions the caller's role does not read neither select people nor count as reasons.
    scope.check_condition_codes(&request.criteria.condition_codes)?;
    let view = scope.conditions();
    let cohort = scope
        .condition()
        .add(patient::Column::NeighbourhoodId.eq(meeting.neighbourhood_id))
        .add(criteria_condition(&request.criteria, today, view))
        .add(Expr::exists(recently_discussed(&meeting, since)).not());
    let people = crate::auth::load_people(db, caller, patient::Entity::find().filter(cohort.clone())).await?;
    if people.is_empty() {
        return Ok((meeting, Vec::new()));
    }
    let evidence = Evidence::load(db, &meeting, &cohort, view, today, now).await?;
    let reasons = evidence.reasons(caller, today, now);
    Ok((meeting, ranked(people, reasons, &evidence, caller, request.limit)))
}

/// The meeting a proposal is for, with the request checked against it: organised by the caller,
/// whose role reads clinical records; not closed; a cohort and a practice of its own
/// neighbourhood; bounds in range.
async fn checked_meeting(
    db: &impl ConnectionTrait,
    caller: &Caller,
    request: &ProposalRequest,
) -> AppResult<mdt_meeting::Model> {
    let meeting = organised(db, caller, request.meeting_id).await?;
    caller.may_have_agenda_proposed(meeting.neighbourhood_id)?;
    super::not_closed(&meeting)?;
    if request.cohort_neighbourhood.is_some_and(|n| n != meeting.neighbourhood_id) {
        return Err(AppError::bad_input("cohortId", "the cohort belongs to another neighbourhood"));
    }
    if !(1..=730).contains(&request.not_discussed_days) {
        return Err(AppError::bad_input("notDiscussedDays", "must be 1 to 730 days"));
    }
    if !(1..=MAX_AGENDA_ITEMS).contains(&request.limit) {
        return Err(AppError::bad_input("limit", format!("must be 1 to {MAX_AGENDA_ITEMS}")));
    }
    if let Some(practice) = request.criteria.practice_id {
        // A practice of another neighbourhood would silently select nobody.
        let in_neighbourhood = patient::Entity::find()
            .filter(patient::Column::RegisteredPracticeId.eq(practice))
            .filter(patient::Column::NeighbourhoodId.eq(meeting.neighbourhood_id))
            .one(db)
            .await?;
        if in_neighbourhood.is_none() {
            return Err(AppError::bad_input("practiceId", "no one in the meeting's neighbourhood is registered there"));
        }
    }
    Ok(meeting)
}

/// What the records say about a cohort, each signal one statement with the cohort as a subquery.
struct Evidence {
    condition_counts: HashMap<Uuid, i64>,
    /// Referrals waiting for first contact since before the long wait, oldest first.
    long_waits: Vec<referral::Model>,
    /// Open MDT actions past their due date, most overdue first.
    overdue: Vec<mdt_action::Model>,
    /// SWEMWBS measurements with a metric score, oldest first.
    wellbeing: Vec<outcome_measurement::Model>,
    /// When each person was last on one of the neighbourhood's agendas up to this meeting.
    last_discussed: HashMap<Uuid, DateTime<Utc>>,
}

impl Evidence {
    async fn load(
        db: &impl ConnectionTrait,
        meeting: &mdt_meeting::Model,
        cohort: &Condition,
        view: crate::conditions::ConditionView,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> AppResult<Self> {
        let cohort_ids = || {
            Query::select()
                .column((patient::Entity, patient::Column::Id))
                .from(patient::Entity)
                .cond_where(cohort.clone())
                .to_owned()
        };
        let hidden = view.hidden_codes();
        let mut counted = patient_condition::Entity::find()
            .select_only()
            .column(patient_condition::Column::PatientId)
            .column_as(patient_condition::Column::Id.count(), "n")
            .filter(patient_condition::Column::PatientId.in_subquery(cohort_ids()));
        if !hidden.is_empty() {
            counted = counted.filter(patient_condition::Column::SnomedCode.is_not_in(hidden));
        }
        let condition_counts = counted
            .group_by(patient_condition::Column::PatientId)
            .into_tuple::<(Uuid, i64)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        let long_waits = referral::Entity::find()
            .filter(referral::Column::Status.is_in(crate::referrals::state::WAITING))
            .filter(referral::Column::CreatedAt.lt(now - Duration::days(LONG_WAIT_DAYS)))
            .filter(referral::Column::PatientId.in_subquery(cohort_ids()))
            .order_by_asc(referral::Column::CreatedAt)
            .all(db)
            .await?;
        let overdue = mdt_action::Entity::find()
            .filter(mdt_action::Column::Status.eq(PlanActionStatus::Open))
            .filter(mdt_action::Column::DueDate.lt(today))
            .filter(mdt_action::Column::PatientId.in_subquery(cohort_ids()))
            .order_by_asc(mdt_action::Column::DueDate)
            .all(db)
            .await?;
        let wellbeing = outcome_measurement::Entity::find()
            .filter(outcome_measurement::Column::Instrument.eq("swemwbs"))
            .filter(outcome_measurement::Column::MetricScore.is_not_null())
            .filter(outcome_measurement::Column::PatientId.in_subquery(cohort_ids()))
            .order_by_asc(outcome_measurement::Column::TakenOn)
            .order_by_asc(outcome_measurement::Column::Id)
            .all(db)
            .await?;
        let last_discussed = mdt_agenda_item::Entity::find()
            .select_only()
            .column(mdt_agenda_item::Column::PatientId)
            .column_as(Expr::col((mdt_meeting::Entity, mdt_meeting::Column::StartsAt)).max(), "last")
            .join(
                JoinType::InnerJoin,
                mdt_agenda_item::Entity::belongs_to(mdt_meeting::Entity)
                    .from(mdt_agenda_item::Column::MeetingId)
                    .to(mdt_meeting::Column::Id)
                    .into(),
            )
            .filter(mdt_agenda_item::Column::OpenKey.is_not_null())
            .filter(mdt_meeting::Column::NeighbourhoodId.eq(meeting.neighbourhood_id))
            .filter(mdt_meeting::Column::StartsAt.lte(meeting.starts_at))
            .filter(mdt_agenda_item::Column::PatientId.in_subquery(cohort_ids()))
            .group_by(mdt_agenda_item::Column::PatientId)
            .into_tuple::<(Uuid, DateTime<Utc>)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        Ok(Self { condition_counts, long_waits, overdue, wellbeing, last_discussed })
    }

    /// The reasons of the waits, overdue actions and falls in wellbeing, by person (frailty and
    /// multimorbidity come with the person: see `ranked`).
    fn reasons(&self, caller: &Caller, today: NaiveDate, now: DateTime<Utc>) -> HashMap<Uuid, Vec<ProposalReason>> {
        let mut reasons: HashMap<Uuid, Vec<ProposalReason>> = HashMap::new();
        // Only referrals the proposer is a party to: a referral between other organisations is
        // theirs to know, and a reason becomes the agenda item's text, which every invitee reads.
        for r in self.long_waits.iter().filter(|r| caller.may_see_referral(r)) {
            reasons.entry(r.patient_id).or_default().push(waiting_reason(r, now));
        }
        for a in &self.overdue {
            if let Some(reason) = overdue_reason(a) {
                reasons.entry(a.patient_id).or_default().push(reason);
            }
        }
        let mut series: BTreeMap<Uuid, Vec<&outcome_measurement::Model>> = BTreeMap::new();
        for m in &self.wellbeing {
            series.entry(m.patient_id).or_default().push(m);
        }
        for (patient_id, list) in series {
            let [.., before, latest] = list.as_slice() else { continue };
            if let Some(reason) = wellbeing_reason(before, latest, today) {
                reasons.entry(patient_id).or_default().push(reason);
            }
        }
        reasons
    }
}

/// The people the caller may see who have a reason, each with all of theirs, most urgent first
/// (ties to the higher eFI, then the id), at most `limit`.
fn ranked(
    people: Vec<patient::Model>,
    mut reasons: HashMap<Uuid, Vec<ProposalReason>>,
    evidence: &Evidence,
    caller: &Caller,
    limit: u64,
) -> Vec<Proposal> {
    let mut proposals: Vec<Proposal> = people
        .into_iter()
        .filter_map(|p| {
            let grant = caller.grant_for(&p)?;
            let mut list = reasons.remove(&p.id).unwrap_or_default();
            list.extend(frailty_reason(&p));
            list.extend(multimorbidity_reason(evidence.condition_counts.get(&p.id).copied().unwrap_or(0)));
            list.sort_by(|a, b| b.weight.cmp(&a.weight).then(a.kind.cmp(&b.kind)));
            Some(Proposal {
                urgency: list.iter().map(|r| r.weight).sum(),
                reasons: list,
                last_discussed_on: evidence.last_discussed.get(&p.id).map(|at| at.date_naive()),
                grant,
                patient: p,
            })
        })
        .filter(|p| !p.reasons.is_empty())
        .collect();
    proposals.sort_by(|a, b| {
        b.urgency
            .cmp(&a.urgency)
            .then(b.patient.efi_score.unwrap_or(0.0).total_cmp(&a.patient.efi_score.unwrap_or(0.0)))
            .then(a.patient.id.cmp(&b.patient.id))
    });
    proposals.truncate(limit as usize);
    proposals
}

/// A referral waiting for first contact: 25, and 1 a week beyond the long wait (at most 20 more).
pub fn waiting_reason(r: &referral::Model, now: DateTime<Utc>) -> ProposalReason {
    let days = (now - r.created_at).num_days();
    let weeks = days / 7;
    ProposalReason {
        kind: ProposalReasonKind::ReferralWaiting,
        detail: format!(
            "Referral to {} waiting {weeks} weeks for first contact (since {})",
            service_words(r.service),
            day(r.created_at.date_naive())
        ),
        weight: 25 + ((days - LONG_WAIT_DAYS) / 7).clamp(0, 20) as i32,
    }
}

/// An overdue MDT action (one without a due date is never overdue): 20.
pub fn overdue_reason(a: &mdt_action::Model) -> Option<ProposalReason> {
    let due = a.due_date?;
    Some(ProposalReason {
        kind: ProposalReasonKind::OverdueAction,
        detail: format!("MDT action overdue since {}: {}", day(due), a.text),
        weight: 20,
    })
}

/// Falling wellbeing from `before` to `latest` (see `wellbeing_fall`): 20, and 5 a point.
pub fn wellbeing_reason(
    before: &outcome_measurement::Model,
    latest: &outcome_measurement::Model,
    today: NaiveDate,
) -> Option<ProposalReason> {
    let fall = wellbeing_fall(latest, before, today)?;
    let (was, is) = (before.metric_score?, latest.metric_score?);
    Some(ProposalReason {
        kind: ProposalReasonKind::FallingWellbeing,
        detail: format!(
            "Wellbeing falling: SWEMWBS {was:.1} on {} to {is:.1} on {} (−{fall:.1})",
            day(before.taken_on),
            day(latest.taken_on)
        ),
        weight: 20 + (5.0 * fall).round() as i32,
    })
}

/// Two or more long-term conditions: 2 a condition, at most 10.
pub fn multimorbidity_reason(conditions: i64) -> Option<ProposalReason> {
    (conditions >= 2).then(|| ProposalReason {
        kind: ProposalReasonKind::Multimorbidity,
        detail: format!("{conditions} long-term conditions"),
        weight: std::cmp::min(2 * conditions as i32, 10),
    })
}

/// How far the metric score fell from `before` to `latest`, when that counts as falling wellbeing:
/// at least [`WELLBEING_FALL`], with `latest` taken in the last [`WELLBEING_RECENT_DAYS`].
pub fn wellbeing_fall(
    latest: &outcome_measurement::Model,
    before: &outcome_measurement::Model,
    today: NaiveDate,
) -> Option<f64> {
    let fall = before.metric_score? - latest.metric_score?;
    (fall >= WELLBEING_FALL && (today - latest.taken_on).num_days() <= WELLBEING_RECENT_DAYS).then_some(fall)
}

pub fn frailty_reason(p: &patient::Model) -> Option<ProposalReason> {
    let efi = p.efi_score.map(FrailtyCategory::from_efi);
    let cfs_severe = p.clinical_frailty_scale.is_some_and(|c| c >= 7);
    let efi_text = p.efi_score.map(|s| format!("eFI {s:.3}"));
    let cfs_text = p.clinical_frailty_scale.map(|c| format!("CFS {c}"));
    let evidence = [efi_text, cfs_text].into_iter().flatten().collect::<Vec<_>>().join(", ");
    if efi == Some(FrailtyCategory::Severe) || cfs_severe {
        Some(ProposalReason {
            kind: ProposalReasonKind::SevereFrailty,
            detail: format!("Severe frailty ({evidence})"),
            weight: 40,
        })
    } else if efi == Some(FrailtyCategory::Moderate) {
        Some(ProposalReason {
            kind: ProposalReasonKind::ModerateFrailty,
            detail: format!("Moderate frailty ({evidence})"),
            weight: 15,
        })
    } else {
        None
    }
}

/// Adds the proposed people to the end of the meeting's agenda in one transaction, each with
/// their reasons as the item's reason (but a waiting referral's: see `Proposal::agenda_reason`);
/// people already on it are CONFLICT, and nothing is added.
pub async fn add_proposed(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    meeting: &mdt_meeting::Model,
    proposals: &[Proposal],
    minutes_each: i32,
) -> AppResult<MeetingChanged<Vec<mdt_agenda_item::Model>>> {
    // `meeting` is the one `propose` checked the caller may organise; checked again without a read.
    caller.may_have_agenda_proposed(meeting.neighbourhood_id)?;
    super::not_closed(meeting)?;
    if !(1..=120).contains(&minutes_each) {
        return Err(AppError::bad_input("minutesEach", "must be 1 to 120"));
    }
    let txn = db.begin().await?;
    let open = mdt_agenda_item::Entity::find()
        .filter(mdt_agenda_item::Column::MeetingId.eq(meeting.id))
        .filter(mdt_agenda_item::Column::OpenKey.is_not_null())
        .all(&txn)
        .await?;
    if open.len() + proposals.len() > MAX_AGENDA_ITEMS as usize {
        return Err(AppError::bad_input(
            "limit",
            format!("the agenda has {} people and holds at most {MAX_AGENDA_ITEMS}", open.len()),
        ));
    }
    if let Some(same) = open.iter().find(|i| proposals.iter().any(|p| p.patient.id == i.patient_id)) {
        return Err(AppError::conflict_with("a proposed person is already on this agenda", same.id));
    }
    let start = open.iter().map(|i| i.position + 1).max().unwrap_or(0);
    let now = Utc::now();
    let items: Vec<mdt_agenda_item::Model> = proposals
        .iter()
        .enumerate()
        .map(|(n, p)| mdt_agenda_item::Model {
            id: Uuid::now_v7(),
            meeting_id: meeting.id,
            patient_id: p.patient.id,
            position: start + n as i32,
            reason: p.agenda_reason(),
            kind: AgendaItemKind::FullDiscussion,
            presenter_id: None,
            minutes_allotted: minutes_each,
            open_key: Some(item_key(meeting.id, p.patient.id)),
            added_by: caller.practitioner_id,
            added_at: now,
            removed_at: None,
        })
        .collect();
    if !items.is_empty() {
        let inserted =
            mdt_agenda_item::Entity::insert_many(items.iter().cloned().map(IntoActiveModel::into_active_model))
                .exec_without_returning(&txn)
                .await;
        match inserted {
            Ok(_) => {}
            Err(e) if crate::open_key::taken(&e) => {
                return Err(AppError::conflict(
                    "a proposed person was added to this agenda a moment ago; propose again",
                ))
            }
            Err(e) => return Err(e.into()),
        }
    }
    txn.commit().await?;
    Ok(MeetingChanged::one(items, meeting.id, ChangeKind::Agenda))
}

#[cfg(test)]
mod reason_tests {
    use super::*;

    fn swemwbs(score: Option<f64>, taken_on: NaiveDate) -> outcome_measurement::Model {
        outcome_measurement::Model {
            id: Uuid::now_v7(),
            patient_id: Uuid::nil(),
            instrument: "swemwbs".to_owned(),
            kind: entity::MeasurementKind::FollowUp,
            baseline_id: None,
            referral_id: None,
            taken_on,
            raw_score: None,
            metric_score: score,
            recorded_by: Uuid::nil(),
            recorded_organisation_id: Uuid::nil(),
            recorded_at: Utc::now(),
        }
    }

    #[test]
    fn wellbeing_falls_from_one_point_within_the_year() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let before = swemwbs(Some(23.2), today - Duration::days(120));
        let recent = |score| swemwbs(Some(score), today - Duration::days(10));
        assert_eq!(wellbeing_fall(&recent(23.2 - WELLBEING_FALL), &before, today), Some(WELLBEING_FALL));
        assert_eq!(wellbeing_fall(&recent(22.4), &before, today), None, "a fall of 0.8 is within the noise");
        assert_eq!(wellbeing_fall(&recent(25.0), &before, today), None, "a rise is no fall");
        let last_year = swemwbs(Some(17.0), today - Duration::days(WELLBEING_RECENT_DAYS + 1));
        assert_eq!(wellbeing_fall(&last_year, &before, today), None, "an old measurement is not a current concern");
        let on_the_edge = swemwbs(Some(17.0), today - Duration::days(WELLBEING_RECENT_DAYS));
        assert!(wellbeing_fall(&on_the_edge, &before, today).is_some());
        assert_eq!(wellbeing_fall(&swemwbs(None, today), &before, today), None, "no score, no fall");
    }

    #[test]
    fn a_fall_in_wellbeing_weighs_twenty_and_five_a_point() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let before = swemwbs(Some(23.2), NaiveDate::from_ymd_opt(2026, 8, 6).unwrap());
        let latest = swemwbs(Some(20.2), NaiveDate::from_ymd_opt(2026, 11, 24).unwrap());
        let reason = wellbeing_reason(&before, &latest, today).expect("a fall of 3 points");
        assert_eq!(reason.kind, ProposalReasonKind::FallingWellbeing);
        assert_eq!(reason.weight, 35);
        assert_eq!(reason.detail, "Wellbeing falling: SWEMWBS 23.2 on 6 Aug 2026 to 20.2 on 24 Nov 2026 (−3.0)");
        assert_eq!(wellbeing_reason(&latest, &before, today), None, "a rise is no reason");
    }

    fn waiting_since(created_at: DateTime<Utc>) -> referral::Model {
        referral::Model {
            id: Uuid::now_v7(),
            patient_id: Uuid::nil(),
            source: entity::ReferralSource::Gp,
            referring_practitioner_id: Uuid::nil(),
            referring_organisation_id: Uuid::nil(),
            service: entity::ReferralService::AdultSocialCare,
            receiving_organisation_id: Uuid::nil(),
            urgency: entity::Urgency::Routine,
            context: None,
            partner_summary: None,
            consent_recorded_by: Uuid::nil(),
            consent_recorded_at: created_at,
            status: entity::ReferralStatus::Received,
            open_key: None,
            assigned_practitioner_id: None,
            idempotency_key: None,
            first_contact_at: None,
            ended_at: None,
            outcome: None,
            rejection_reason: None,
            suggested_alternative: None,
            created_at,
            updated_at: created_at,
        }
    }

    #[test]
    fn a_long_wait_weighs_twenty_five_and_a_point_a_week_beyond_eight_up_to_forty_five() {
        let now = "2026-12-04T12:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let weight = |days: i64| waiting_reason(&waiting_since(now - Duration::days(days)), now).weight;
        assert_eq!(weight(LONG_WAIT_DAYS), 25);
        assert_eq!(weight(LONG_WAIT_DAYS + 6), 25, "a part week adds nothing");
        assert_eq!(weight(LONG_WAIT_DAYS + 7), 26);
        assert_eq!(weight(LONG_WAIT_DAYS + 7 * 20), 45);
        assert_eq!(weight(LONG_WAIT_DAYS + 7 * 40), 45, "at most 20 more");
        let reason = waiting_reason(&waiting_since(now - Duration::days(80)), now);
        assert_eq!(reason.kind, ProposalReasonKind::ReferralWaiting);
        assert_eq!(
            reason.detail,
            "Referral to adult social care waiting 11 weeks for first contact (since 15 Sep 2026)"
        );
    }

    #[test]
    fn an_action_is_overdue_only_with_a_due_date() {
        let at = Utc::now();
        let mut action = mdt_action::Model {
            id: Uuid::now_v7(),
            meeting_id: Uuid::nil(),
            item_id: Uuid::nil(),
            patient_id: Uuid::nil(),
            text: "Book a falls assessment".to_owned(),
            owner_practitioner_id: None,
            owner_organisation_id: None,
            due_date: None,
            status: PlanActionStatus::Open,
            created_by: Uuid::nil(),
            created_at: at,
            updated_at: at,
        };
        assert_eq!(overdue_reason(&action), None);
        action.due_date = NaiveDate::from_ymd_opt(2026, 11, 20);
        let reason = overdue_reason(&action).expect("overdue");
        assert_eq!((reason.kind, reason.weight), (ProposalReasonKind::OverdueAction, 20));
        assert_eq!(reason.detail, "MDT action overdue since 20 Nov 2026: Book a falls assessment");
    }

    #[test]
    fn conditions_count_from_two_at_two_points_each_up_to_ten() {
        let weight = |n| multimorbidity_reason(n).map(|r| r.weight);
        assert_eq!(weight(0), None);
        assert_eq!(weight(1), None, "one condition is not multimorbidity");
        assert_eq!(weight(2), Some(4));
        assert_eq!(weight(5), Some(10));
        assert_eq!(weight(9), Some(10), "at most 10");
        assert_eq!(multimorbidity_reason(3).unwrap().detail, "3 long-term conditions");
    }
}
