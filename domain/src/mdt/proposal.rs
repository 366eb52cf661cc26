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
    let meeting = organised(db, caller, request.meeting_id).await?;
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
    let since = meeting.starts_at - Duration::days(request.not_discussed_days);
    let cohort = caller
        .patient_scope()?
        .condition()
        .add(patient::Column::NeighbourhoodId.eq(meeting.neighbourhood_id))
        .add(criteria_condition(&request.criteria, today))
        .add(Expr::exists(recently_discussed(&meeting, since)).not());
    let cohort_ids = || {
        Query::select()
            .column((patient::Entity, patient::Column::Id))
            .from(patient::Entity)
            .cond_where(cohort.clone())
            .to_owned()
    };

    let people = patient::Entity::find().filter(cohort.clone()).all(db).await?;
    if people.is_empty() {
        return Ok((meeting, Vec::new()));
    }

    let condition_counts: HashMap<Uuid, i64> = patient_condition::Entity::find()
        .select_only()
        .column(patient_condition::Column::PatientId)
        .column_as(patient_condition::Column::Id.count(), "n")
        .filter(patient_condition::Column::PatientId.in_subquery(cohort_ids()))
        .group_by(patient_condition::Column::PatientId)
        .into_tuple::<(Uuid, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();

    let waiting_since = now - Duration::days(LONG_WAIT_DAYS);
    let long_waits = referral::Entity::find()
        .filter(referral::Column::Status.is_in(crate::referrals::state::WAITING))
        .filter(referral::Column::CreatedAt.lt(waiting_since))
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

    let last_discussed: HashMap<Uuid, DateTime<Utc>> = mdt_agenda_item::Entity::find()
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

    let mut reasons: HashMap<Uuid, Vec<ProposalReason>> = HashMap::new();
    // Only referrals the proposer is a party to: a referral between other organisations is theirs
    // to know, and a reason becomes the agenda item's text, which every invitee reads.
    for r in long_waits.iter().filter(|r| caller.may_see_referral(r)) {
        let days = (now - r.created_at).num_days();
        let weeks = days / 7;
        reasons.entry(r.patient_id).or_default().push(ProposalReason {
            kind: ProposalReasonKind::ReferralWaiting,
            detail: format!(
                "Referral to {} waiting {weeks} weeks for first contact (since {})",
                service_words(r.service),
                day(r.created_at.date_naive())
            ),
            weight: 25 + ((days - LONG_WAIT_DAYS) / 7).clamp(0, 20) as i32,
        });
    }
    for a in &overdue {
        let Some(due) = a.due_date else { continue };
        reasons.entry(a.patient_id).or_default().push(ProposalReason {
            kind: ProposalReasonKind::OverdueAction,
            detail: format!("MDT action overdue since {}: {}", day(due), a.text),
            weight: 20,
        });
    }
    let mut series: BTreeMap<Uuid, Vec<&outcome_measurement::Model>> = BTreeMap::new();
    for m in &wellbeing {
        series.entry(m.patient_id).or_default().push(m);
    }
    for (patient_id, list) in series {
        let [.., before, latest] = list.as_slice() else { continue };
        let Some(fall) = wellbeing_fall(latest, before, today) else { continue };
        if let (Some(was), Some(is)) = (before.metric_score, latest.metric_score) {
            reasons.entry(patient_id).or_default().push(ProposalReason {
                kind: ProposalReasonKind::FallingWellbeing,
                detail: format!(
                    "Wellbeing falling: SWEMWBS {was:.1} on {} to {is:.1} on {} (−{fall:.1})",
                    day(before.taken_on),
                    day(latest.taken_on)
                ),
                weight: 20 + (5.0 * fall).round() as i32,
            });
        }
    }

    let mut proposals: Vec<Proposal> = people
        .into_iter()
        .filter_map(|p| {
            let grant = caller.grant_for(&p)?;
            let mut list = reasons.remove(&p.id).unwrap_or_default();
            if let Some(r) = frailty_reason(&p) {
                list.push(r);
            }
            let conditions = condition_counts.get(&p.id).copied().unwrap_or(0);
            if conditions >= 2 {
                list.push(ProposalReason {
                    kind: ProposalReasonKind::Multimorbidity,
                    detail: format!("{conditions} long-term conditions"),
                    weight: std::cmp::min(2 * conditions as i32, 10),
                });
            }
            list.sort_by(|a, b| b.weight.cmp(&a.weight).then(a.kind.cmp(&b.kind)));
            Some(Proposal {
                urgency: list.iter().map(|r| r.weight).sum(),
                reasons: list,
                last_discussed_on: last_discussed.get(&p.id).map(|at| at.date_naive()),
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
    proposals.truncate(request.limit as usize);
    Ok((meeting, proposals))
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
    if !caller.may_manage_cohorts(meeting.neighbourhood_id) {
        return Err(AppError::forbidden("meetings are organised by staff of the neighbourhood's organisations"));
    }
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
}
