//! Three years of referral history for one neighbourhood: who was referred, by whom, to which
//! service, and every move each referral made through the state machine, cut at `today` so that
//! the present holds a realistic waiting list and caseloads.
//!
//! Every row obeys the rules the API enforces (`domain::referrals`): legal moves only, at least
//! [`MIN_CONTACT_ATTEMPTS`] attempts before "unable to contact", one open referral per person and
//! service, receiving organisations that provide the service in the person's neighbourhood, and
//! caseloads that never exceed capacity: a referral waits on the list until a worker has room.
//! Referrals ending other than by the referrer's cancellation carry their feedback to the referrer.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, Utc, Weekday};
use entity::{
    practitioner, referral, referral_event, referral_feedback, referral_need, OrganisationKind,
    ProfessionalRole as Role, ReferralEventKind, ReferralNeed as N, ReferralOutcome, ReferralService as Svc,
    ReferralSource as Src, ReferralStatus as S, Urgency,
};
use rand::seq::SliceRandom;
use rand::Rng;
use uuid::Uuid;

use super::texts::{self, Person};
use super::{at, population, DemoData, Gen, NeighbourhoodCtx};
use domain::error::{AppError, AppResult};
use domain::frailty::FrailtyCategory;
use domain::referrals::open_key;
use domain::referrals::state::{feedback_codes, join_codes, snomed_code, MIN_CONTACT_ATTEMPTS};

/// Referrals a year per 50,000 registered people: the briefing's 16,400 in 2024-25 across 23 PCNs.
pub const REFERRALS_PER_YEAR_PER_50K: f64 = 700.0;
/// Years of history before `today`.
pub const HISTORY_YEARS: u64 = 3;
/// Feedback older than this is mostly filed by the referring practice; newer feedback is still waiting.
pub const FILING_LAG_DAYS: i64 = 14;

const SERVICES: &[(Svc, f64)] = &[
    (Svc::SocialPrescribing, 0.60),
    (Svc::AdultSocialCare, 0.15),
    (Svc::CommunityMentalHealth, 0.10),
    (Svc::CommunityNursing, 0.10),
    (Svc::Vcse, 0.05),
];

/// Overall source mix (per cent), shaped per service by [`source_weights`].
const SOURCES: &[(Src, f64)] = &[
    (Src::Gp, 45.0),
    (Src::PracticeNurse, 12.0),
    (Src::Pharmacist, 5.0),
    (Src::Receptionist, 5.0),
    (Src::OtherPracticeStaff, 5.0),
    (Src::AdultSocialCare, 6.0),
    (Src::MentalHealth, 5.0),
    (Src::CommunityHealth, 6.0),
    (Src::Vcse, 5.0),
    (Src::SecondaryCare, 3.0),
    (Src::SelfReferral, 3.0),
];

/// Where a referral from each source comes from for each service: nobody refers to their own
/// organisation (self and secondary care referrals are entered by the receiving service), hospital
/// discharges go to social care and nursing, receptionists and pharmacists refer mostly to link workers.
fn source_weights(service: Svc) -> Vec<(Src, f64)> {
    SOURCES
        .iter()
        .map(|&(source, w)| {
            let factor = match (service, source) {
                (Svc::AdultSocialCare, Src::AdultSocialCare)
                | (Svc::CommunityMentalHealth, Src::MentalHealth)
                | (Svc::CommunityNursing, Src::CommunityHealth)
                | (Svc::Vcse, Src::Vcse) => 0.0,
                (Svc::AdultSocialCare | Svc::CommunityNursing, Src::SecondaryCare) => 3.0,
                (Svc::AdultSocialCare, Src::CommunityHealth) => 2.0,
                (Svc::CommunityNursing, Src::PracticeNurse) => 2.0,
                (Svc::CommunityMentalHealth | Svc::Vcse, Src::SelfReferral) => 2.0,
                (Svc::SocialPrescribing, _) => 1.0,
                (_, Src::Receptionist | Src::Pharmacist) => 0.3,
                _ => 1.0,
            };
            (source, w * factor)
        })
        .collect()
}

/// Share of referrals ending each way (the rest are closed with an outcome).
const DECLINED: f64 = 0.08;
const REJECTED: f64 = 0.04;
const UNABLE_TO_CONTACT: f64 = 0.05;
const CANCELLED: f64 = 0.02;
const OUTCOMES: &[(ReferralOutcome, f64)] = &[
    (ReferralOutcome::GoalsMet, 0.45),
    (ReferralOutcome::GoalsPartlyMet, 0.30),
    (ReferralOutcome::MovedToAnotherService, 0.10),
    (ReferralOutcome::PatientWithdrew, 0.15),
];

/// (median, 90th centile) calendar days from referral to first contact, routine referrals.
fn wait_shape(service: Svc) -> (f64, f64) {
    match service {
        Svc::SocialPrescribing => (21.0, 56.0),
        Svc::AdultSocialCare => (35.0, 84.0),
        Svc::CommunityMentalHealth => (28.0, 70.0),
        Svc::CommunityNursing => (7.0, 21.0),
        Svc::Vcse => (14.0, 35.0),
    }
}

/// When a social prescribing referral was waiting and when it was being worked, for the support
/// groups. Each period runs from the move into the state to the move out of it (`None`: not before today).
pub struct Spell {
    pub referral_id: Uuid,
    pub patient_id: Uuid,
    pub needs: Vec<N>,
    pub is_carer: bool,
    pub waiting: (DateTime<Utc>, Option<DateTime<Utc>>),
    pub active: Option<(DateTime<Utc>, Option<DateTime<Utc>>)>,
}

/// How a referral will end, if nothing cuts it short at `today`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Fate {
    Closed(ReferralOutcome),
    DeclinedWhileWaiting,
    DeclinedAfterContact,
    RejectedAtTriage,
    RejectedAfterContact,
    UnableToContact,
    Cancelled,
}

/// Working days forward, then a time of day.
#[derive(Clone, Copy)]
pub struct Gap {
    pub days: u64,
    pub minute: i64,
}

/// Every random choice about a referral's timing, drawn once; [`realize`] turns it into events.
struct Plan {
    fate: Fate,
    triage: Gap,
    /// From the move to the waiting list to the day a worker picks the referral up.
    wait: Gap,
    /// Minutes from pick-up to the first attempt.
    first_attempt: i64,
    /// Gaps between further attempts.
    attempts: Vec<Gap>,
    /// From the last attempt to contact (or decline, or giving up).
    contact: Gap,
    /// From contact to the next move (active, declined, rejected).
    next: Gap,
    /// Time active before closing.
    close: Gap,
    /// For cancellations: from creation, and, once picked up, from the first attempt.
    cancel: Gap,
    cancel_late: Gap,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Step {
    Created,
    Move(S, S),
    Assign,
    Attempt,
}

/// A referral's events up to `today`, in order.
#[derive(Clone)]
struct Timeline(Vec<(DateTime<Utc>, Step)>);

impl Timeline {
    fn assigned_at(&self) -> Option<DateTime<Utc>> {
        self.0.iter().find(|(_, s)| *s == Step::Assign).map(|(t, _)| *t)
    }

    fn ended_at(&self) -> Option<DateTime<Utc>> {
        self.0
            .iter()
            .find(|(_, s)| matches!(s, Step::Move(_, to) if !domain::referrals::state::is_open(*to)))
            .map(|(t, _)| *t)
    }

    fn status(&self) -> S {
        self.0
            .iter()
            .rev()
            .find_map(|(_, s)| match s {
                Step::Move(_, to) => Some(*to),
                _ => None,
            })
            .unwrap_or(S::Received)
    }
}

fn is_weekday(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// `days` working days after `date` (a weekend date first rolls on to Monday).
fn add_working_days(date: NaiveDate, days: u64) -> NaiveDate {
    let mut d = date;
    while !is_weekday(d) {
        d = d.succ_opt().unwrap_or(d);
    }
    let mut left = days;
    while left > 0 {
        d = d.succ_opt().unwrap_or(d);
        if is_weekday(d) {
            left -= 1;
        }
    }
    d
}

/// The time `gap` after `prev`, always strictly later.
pub fn after(prev: DateTime<Utc>, gap: Gap) -> DateTime<Utc> {
    let t = at(add_working_days(prev.date_naive(), gap.days), gap.minute);
    if t > prev {
        t
    } else {
        prev + Duration::minutes(7)
    }
}

/// A time in office hours (08:30–17:30).
pub fn office_minute(rng: &mut impl Rng) -> i64 {
    rng.random_range(510..1050)
}

pub fn gap(rng: &mut impl Rng, days: std::ops::RangeInclusive<u64>) -> Gap {
    Gap { days: rng.random_range(days), minute: office_minute(rng) }
}

/// Calendar days to working days.
fn working(days: f64) -> u64 {
    (days.max(0.0) * 5.0 / 7.0).round() as u64
}

fn draw_plan(rng: &mut impl Rng, service: Svc, urgency: Urgency) -> Plan {
    let urgent = urgency == Urgency::Urgent;
    let u: f64 = rng.random();
    let fate = if u < DECLINED {
        if rng.random_bool(0.5) {
            Fate::DeclinedWhileWaiting
        } else {
            Fate::DeclinedAfterContact
        }
    } else if u < DECLINED + REJECTED {
        if rng.random_bool(0.8) {
            Fate::RejectedAtTriage
        } else {
            Fate::RejectedAfterContact
        }
    } else if u < DECLINED + REJECTED + UNABLE_TO_CONTACT {
        Fate::UnableToContact
    } else if u < DECLINED + REJECTED + UNABLE_TO_CONTACT + CANCELLED {
        Fate::Cancelled
    } else {
        let i = population::weighted_index(rng, OUTCOMES.iter().map(|(_, w)| *w));
        Fate::Closed(OUTCOMES[i].0)
    };

    let attempt_count = match fate {
        Fate::UnableToContact => rng.random_range(MIN_CONTACT_ATTEMPTS..=MIN_CONTACT_ATTEMPTS + 1),
        Fate::DeclinedWhileWaiting | Fate::Cancelled => rng.random_range(1..=2),
        _ => [1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 4, 4][rng.random_range(0..20)],
    };
    let attempt_gap = if urgent { 0..=1 } else { 1..=4 };
    let attempt_gap = match fate {
        Fate::UnableToContact => 2..=6,
        _ => attempt_gap,
    };
    let attempts: Vec<Gap> = (1..attempt_count).map(|_| gap(rng, attempt_gap.clone())).collect();
    let contact = match fate {
        Fate::UnableToContact => gap(rng, 3..=8),
        _ if urgent => gap(rng, 0..=1),
        _ => gap(rng, 0..=3),
    };
    let triage = if urgent { gap(rng, 0..=1) } else { gap(rng, 0..=3) };

    // Time to first contact: log-normal with the service's median and 90th centile, less what
    // triage, the attempts and the call back take. Urgent referrals are seen about four times sooner.
    let (median, p90) = wait_shape(service);
    let sigma = (p90 / median).ln() / 1.2816;
    let mut to_contact = median * (sigma * population::standard_normal(rng)).exp();
    if urgent {
        to_contact /= 4.0;
    }
    let spent = triage.days as f64 + attempts.iter().map(|g| g.days as f64).sum::<f64>() + contact.days as f64;
    let wait = Gap { days: working(to_contact).saturating_sub(spent.round() as u64), minute: office_minute(rng) };

    let next = match fate {
        Fate::DeclinedAfterContact => gap(rng, 1..=6),
        Fate::RejectedAfterContact => gap(rng, 2..=8),
        _ => gap(rng, 1..=8),
    };
    // Active for 6–16 weeks.
    let close = gap(rng, 30..=80);
    let cancel = gap(rng, 1..=25);
    let cancel_late = gap(rng, 1..=5);
    Plan {
        fate,
        triage,
        wait,
        first_attempt: rng.random_range(3..=25),
        attempts,
        contact,
        next,
        close,
        cancel,
        cancel_late,
    }
}

/// The referral's events if a worker picks it up no earlier than `floor`, cut at `cutoff`.
fn realize(plan: &Plan, created: DateTime<Utc>, floor: Option<DateTime<Utc>>, cutoff: DateTime<Utc>) -> Timeline {
    let mut ev: Vec<(DateTime<Utc>, Step)> = Vec::with_capacity(10);
    ev.push((created, Step::Created));
    let triage = after(created, plan.triage);
    let cancel_at = (plan.fate == Fate::Cancelled).then(|| after(created, plan.cancel));
    let cut = |mut ev: Vec<(DateTime<Utc>, Step)>| {
        let keep = ev.iter().take_while(|(t, _)| *t < cutoff).count();
        ev.truncate(keep);
        Timeline(ev)
    };
    if let Some(c) = cancel_at.filter(|c| *c <= triage) {
        ev.push((c, Step::Move(S::Received, S::CancelledByReferrer)));
        return cut(ev);
    }
    if plan.fate == Fate::RejectedAtTriage {
        ev.push((triage, Step::Move(S::Received, S::RejectedByService)));
        return cut(ev);
    }
    ev.push((triage, Step::Move(S::Received, S::AwaitingContact)));
    let desired = after(triage, plan.wait);
    let pickup = floor.map_or(desired, |f| f.max(desired));
    if let Some(c) = cancel_at.filter(|c| *c < pickup) {
        ev.push((c, Step::Move(S::AwaitingContact, S::CancelledByReferrer)));
        return cut(ev);
    }
    ev.push((pickup, Step::Assign));
    let mut last = pickup + Duration::minutes(plan.first_attempt);
    ev.push((last, Step::Attempt));
    for g in &plan.attempts {
        last = after(last, *g);
        ev.push((last, Step::Attempt));
    }
    let reached = after(last, plan.contact);
    match plan.fate {
        Fate::Cancelled => {
            let first_attempt = pickup + Duration::minutes(plan.first_attempt);
            let c = after(first_attempt, plan.cancel_late);
            // Cancelled between attempts: drop the attempts that would have come after it.
            ev.retain(|(t, s)| *s != Step::Attempt || *t < c);
            ev.push((c, Step::Move(S::AwaitingContact, S::CancelledByReferrer)));
        }
        Fate::UnableToContact => ev.push((reached, Step::Move(S::AwaitingContact, S::UnableToContact))),
        Fate::DeclinedWhileWaiting => ev.push((reached, Step::Move(S::AwaitingContact, S::DeclinedByPatient))),
        Fate::RejectedAtTriage => {}
        Fate::DeclinedAfterContact | Fate::RejectedAfterContact | Fate::Closed(_) => {
            ev.push((reached, Step::Move(S::AwaitingContact, S::Contacted)));
            let next = after(reached, plan.next);
            match plan.fate {
                Fate::DeclinedAfterContact => ev.push((next, Step::Move(S::Contacted, S::DeclinedByPatient))),
                Fate::RejectedAfterContact => ev.push((next, Step::Move(S::Contacted, S::RejectedByService))),
                _ => {
                    ev.push((next, Step::Move(S::Contacted, S::Active)));
                    ev.push((after(next, plan.close), Step::Move(S::Active, S::Closed)));
                }
            }
        }
    }
    cut(ev)
}

/// A place held from the first time until the second (`None`: still held today).
pub type Hold = (DateTime<Utc>, Option<DateTime<Utc>>);

/// Places held over time against a capacity: a worker's caseload, a group's membership. Each hold
/// runs from its start to its end, `None` while it is still held.
pub struct Occupancy {
    pub capacity: usize,
    pub holds: Vec<Hold>,
}

impl Occupancy {
    pub fn held_at(&self, t: DateTime<Utc>) -> usize {
        self.holds.iter().filter(|(s, e)| *s <= t && e.is_none_or(|e| e > t)).count()
    }

    /// Would one more hold over [start, end) stay within capacity throughout?
    pub fn fits(&self, start: DateTime<Utc>, end: Option<DateTime<Utc>>) -> bool {
        let mut held = 0usize;
        let mut changes: Vec<(DateTime<Utc>, i32)> = Vec::new();
        for &(s, e) in &self.holds {
            let overlaps = e.is_none_or(|e| e > start) && end.is_none_or(|end| s < end);
            if !overlaps {
                continue;
            }
            if s <= start {
                held += 1;
            } else {
                changes.push((s, 1));
            }
            if let Some(e) = e.filter(|e| end.is_none_or(|end| *e < end)) {
                changes.push((e, -1));
            }
        }
        if held >= self.capacity {
            return false;
        }
        // At the same instant, an end frees its place before a start takes one.
        changes.sort();
        let mut now = held as i64;
        for (_, change) in changes {
            now += i64::from(change);
            if now >= self.capacity as i64 {
                return false;
            }
        }
        true
    }
}

/// A caseload-holding worker and the referrals they hold (from assignment to the end).
struct Worker {
    id: Uuid,
    load: Occupancy,
}

/// Picks the worker who can take the referral soonest (least loaded among equals) and the timeline
/// that follows; `None` when nobody picks it up before today.
fn schedule(
    plan: &Plan,
    created: DateTime<Utc>,
    workers: &[Worker],
    rotation: usize,
    cutoff: DateTime<Utc>,
) -> (Option<usize>, Timeline) {
    let first = realize(plan, created, None, cutoff);
    let Some(desired) = first.assigned_at() else {
        return (None, first);
    };
    // (pick-up, held then, rotated index, worker, timeline)
    let mut best: Option<(DateTime<Utc>, usize, usize, usize, Timeline)> = None;
    for (w, worker) in workers.iter().enumerate() {
        let mut candidates: Vec<DateTime<Utc>> = vec![desired];
        candidates.extend(
            worker
                .load
                .holds
                .iter()
                .filter_map(|(_, e)| *e)
                .filter(|e| *e > desired)
                .map(|e| e + Duration::minutes(30)),
        );
        candidates.sort();
        candidates.dedup();
        for candidate in candidates {
            if best.as_ref().is_some_and(|b| candidate > b.0) {
                break;
            }
            let timeline =
                if candidate == desired { first.clone() } else { realize(plan, created, Some(candidate), cutoff) };
            let Some(start) = timeline.assigned_at() else { break };
            if worker.load.fits(start, timeline.ended_at()) {
                let held = worker.load.held_at(start);
                let order = (w + workers.len() - rotation % workers.len().max(1)) % workers.len().max(1);
                if best.as_ref().is_none_or(|b| (start, held, order) < (b.0, b.1, b.2)) {
                    best = Some((start, held, order, w, timeline));
                }
                break;
            }
        }
    }
    match best {
        Some((_, _, _, w, timeline)) => (Some(w), timeline),
        None => (None, realize(plan, created, Some(cutoff), cutoff)),
    }
}

/// What propensity to be referred depends on.
#[derive(Clone, Copy)]
struct Facts {
    person: Person,
    frailty: usize,
    deprivation: i16,
    conditions: u32,
}

fn age_factor(age: u32, table: &[(u32, f64)]) -> f64 {
    table.iter().rev().find(|(from, _)| age >= *from).map_or(0.0, |(_, f)| *f)
}

/// Relative chance of being referred to `service`: older, frailer people and people living alone
/// more, and each service its own shape.
fn propensity(service: Svc, f: &Facts) -> f64 {
    let p = f.person;
    let alone = |x: f64| if p.lives_alone { x } else { 1.0 };
    let deprived = |x: f64| (1.0 + (5.5 - f64::from(f.deprivation)) * x).max(0.3);
    match service {
        Svc::SocialPrescribing => {
            age_factor(p.age, &[(16, 0.5), (25, 0.7), (50, 1.0), (65, 1.4), (75, 2.0), (85, 2.4)])
                * [1.0, 1.5, 2.2, 2.8][f.frailty]
                * alone(2.2)
                * if p.is_carer { 1.6 } else { 1.0 }
                * deprived(0.08)
                * (1.0 + 0.1 * f64::from(f.conditions.min(5)))
        }
        Svc::AdultSocialCare => {
            age_factor(p.age, &[(18, 0.15), (65, 0.8), (75, 2.5), (85, 5.0)])
                * [1.0, 2.5, 5.0, 9.0][f.frailty]
                * alone(1.8)
                * if p.is_carer { 1.3 } else { 1.0 }
        }
        Svc::CommunityMentalHealth => {
            age_factor(p.age, &[(18, 1.2), (35, 1.0), (65, 0.5), (75, 0.4)]) * alone(1.4) * deprived(0.12)
        }
        Svc::CommunityNursing => {
            age_factor(p.age, &[(18, 0.1), (65, 0.6), (75, 2.0), (85, 4.5)])
                * [1.0, 2.0, 4.0, 8.0][f.frailty]
                * (1.0 + 0.2 * f64::from(f.conditions.min(6)))
        }
        Svc::Vcse => age_factor(p.age, &[(16, 0.8), (65, 1.2)]) * alone(1.6) * deprived(0.05),
    }
}

fn need_weights(service: Svc, f: &Facts) -> Vec<(N, f64)> {
    let p = f.person;
    let flag = |b: bool, x: f64| if b { x } else { 0.0 };
    let deprived = (1.0 + (5.5 - f64::from(f.deprivation)) * 0.15).max(0.3);
    let working_age = (18..65).contains(&p.age);
    match service {
        Svc::SocialPrescribing => vec![
            (N::LonelinessOrIsolation, 1.0 + flag(p.lives_alone, 3.0) + flag(p.age >= 75, 0.8)),
            (N::LowMoodOrAnxiety, 1.4),
            (N::PhysicalActivity, 0.8 + 0.1 * f64::from(f.conditions.min(5))),
            (N::DebtAndMoney, (0.5 + flag(working_age, 0.5)) * deprived),
            (N::Housing, 0.4 * deprived),
            (N::Employment, flag(working_age, 0.5)),
            (N::CarerSupport, flag(p.is_carer, 3.0)),
            (N::FoodInsecurity, 0.3 * deprived),
            (N::Bereavement, 0.2 + flag(p.age >= 70, 1.0)),
            (N::LongTermConditionSelfManagement, 0.2 + 0.2 * f64::from(f.conditions.min(5))),
            (N::Other, 0.3),
        ],
        Svc::AdultSocialCare => vec![
            (N::Other, 2.0),
            (N::CarerSupport, 0.2 + flag(p.is_carer, 1.5)),
            (N::Housing, 0.4),
            (N::LonelinessOrIsolation, 0.3 + flag(p.lives_alone, 0.6)),
            (N::LongTermConditionSelfManagement, 0.4),
        ],
        Svc::CommunityMentalHealth => vec![
            (N::LowMoodOrAnxiety, 6.0),
            (N::Bereavement, 0.4),
            (N::Employment, flag(working_age, 0.4)),
            (N::DebtAndMoney, 0.3 * deprived),
            (N::LonelinessOrIsolation, 0.3 + flag(p.lives_alone, 0.3)),
        ],
        Svc::CommunityNursing => vec![(N::LongTermConditionSelfManagement, 2.0), (N::Other, 3.0)],
        Svc::Vcse => vec![
            (N::LonelinessOrIsolation, 1.5 + flag(p.lives_alone, 1.0)),
            (N::PhysicalActivity, 1.5),
            (N::FoodInsecurity, 0.6 * deprived),
            (N::DebtAndMoney, 0.5 * deprived),
            (N::LowMoodOrAnxiety, 0.6),
            (N::Other, 0.3),
        ],
    }
}

/// One to three distinct needs, the main one first.
fn draw_needs(rng: &mut impl Rng, service: Svc, f: &Facts) -> Vec<N> {
    let mut weights = need_weights(service, f);
    let count = [1, 1, 2, 2, 3][rng.random_range(0..5)];
    let mut needs = Vec::with_capacity(count);
    while needs.len() < count && weights.iter().any(|(_, w)| *w > 0.0) {
        let i = population::weighted_index(rng, weights.iter().map(|(_, w)| *w));
        needs.push(weights[i].0);
        weights[i].1 = 0.0;
    }
    needs
}

/// Who works where, for one neighbourhood.
struct Staff<'a> {
    by_role: HashMap<(Role, Uuid), Vec<&'a practitioner::Model>>,
    by_org: HashMap<Uuid, Vec<&'a practitioner::Model>>,
}

impl<'a> Staff<'a> {
    fn new(practitioners: &'a [practitioner::Model]) -> Self {
        let mut by_role: HashMap<(Role, Uuid), Vec<&practitioner::Model>> = HashMap::new();
        let mut by_org: HashMap<Uuid, Vec<&practitioner::Model>> = HashMap::new();
        for p in practitioners {
            by_role.entry((p.professional_role, p.organisation_id)).or_default().push(p);
            by_org.entry(p.organisation_id).or_default().push(p);
        }
        Self { by_role, by_org }
    }

    fn of(&self, role: Role, org: Uuid) -> &[&'a practitioner::Model] {
        self.by_role.get(&(role, org)).map_or(&[], Vec::as_slice)
    }

    fn at(&self, org: Uuid) -> &[&'a practitioner::Model] {
        self.by_org.get(&org).map_or(&[], Vec::as_slice)
    }

    /// Everyone in `role` across `orgs`.
    fn in_role(&self, role: Role, orgs: &[Uuid]) -> Vec<&'a practitioner::Model> {
        orgs.iter().flat_map(|o| self.of(role, *o).iter().copied()).collect()
    }
}

fn choose<'b, T>(rng: &mut impl Rng, items: &'b [T], what: &str) -> AppResult<&'b T> {
    if items.is_empty() {
        return Err(AppError::internal(anyhow::anyhow!("demo neighbourhood has no {what}")));
    }
    Ok(&items[rng.random_range(0..items.len())])
}

/// The organisations a neighbourhood's services are received by.
struct Receivers {
    splw: Uuid,
    asc: Uuid,
    mental_health: Uuid,
    community: Uuid,
    /// VCSE organisations with workers in this neighbourhood.
    vcse: Vec<Uuid>,
}

impl Receivers {
    fn new(shared: &[(OrganisationKind, Uuid)], staff: &Staff) -> AppResult<Self> {
        Ok(Self {
            splw: shared_id(shared, OrganisationKind::SplwProvider)?,
            asc: shared_id(shared, OrganisationKind::AdultSocialCare)?,
            mental_health: shared_id(shared, OrganisationKind::MentalHealthTrust)?,
            community: shared_id(shared, OrganisationKind::CommunityHealthTrust)?,
            vcse: shared
                .iter()
                .filter(|(k, id)| *k == OrganisationKind::Vcse && !staff.of(Role::VcseWorker, *id).is_empty())
                .map(|(_, id)| *id)
                .collect(),
        })
    }

    /// The organisation that receives a referral to `service` (one of the VCSE organisations, drawn).
    fn of(&self, rng: &mut impl Rng, service: Svc) -> AppResult<Uuid> {
        Ok(match service {
            Svc::SocialPrescribing => self.splw,
            Svc::AdultSocialCare => self.asc,
            Svc::CommunityMentalHealth => self.mental_health,
            Svc::CommunityNursing => self.community,
            Svc::Vcse => *choose(rng, &self.vcse, "VCSE organisation with workers")?,
        })
    }
}

fn shared_id(shared: &[(OrganisationKind, Uuid)], kind: OrganisationKind) -> AppResult<Uuid> {
    shared
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, id)| *id)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("no shared organisation of kind {kind:?}")))
}

/// The roles that work each service's referrals at the receiving organisation.
fn receiving_roles(service: Svc) -> &'static [Role] {
    match service {
        Svc::SocialPrescribing => &[Role::SocialPrescribingLinkWorker],
        Svc::AdultSocialCare => &[Role::SocialWorker],
        Svc::CommunityMentalHealth => &[Role::MentalHealthPractitioner],
        Svc::CommunityNursing => &[Role::DistrictNurse, Role::DistrictNurse, Role::OccupationalTherapist],
        Svc::Vcse => &[Role::VcseWorker],
    }
}

/// Generates the neighbourhood's referrals, needs, events and feedback into `data`, and returns
/// its social prescribing referrals' spells.
pub fn generate(
    g: &mut Gen,
    ctx: &NeighbourhoodCtx,
    shared: &[(OrganisationKind, Uuid)],
    condition_counts: &HashMap<Uuid, u32>,
    data: &mut DemoData,
) -> AppResult<Vec<Spell>> {
    let today = g.today;
    let count =
        (REFERRALS_PER_YEAR_PER_50K * HISTORY_YEARS as f64 * f64::from(ctx.population) / 50_000.0).round() as usize;
    if count == 0 || ctx.patients.is_empty() {
        return Ok(Vec::new());
    }
    let practitioners = data.practitioners.get(ctx.staff.clone()).unwrap_or_default().to_vec();
    let staff = Staff::new(&practitioners);
    let receivers = Receivers::new(shared, &staff)?;
    let setting = Setting {
        ctx,
        practice_ids: ctx.practices.iter().map(|p| p.id).collect(),
        place_names: ctx.area.places.iter().map(|(p, _)| *p).collect(),
        cutoff: at(today, 0),
        staff,
        receivers,
    };

    // Who may be referred, and how likely, per service.
    let patients = data.patients.get(ctx.patients.clone()).unwrap_or_default();
    let facts = facts_of(patients, condition_counts, today);
    let cumulative = cumulative_propensities(&facts);
    let created = creation_times(g, today, count);
    let mut pools = worker_pools(g, &setting.staff, &setting.receivers);

    // Open until: per (person, service), the end of their latest referral (`None`: still open).
    let mut latest: HashMap<(usize, Svc), Option<DateTime<Utc>>> = HashMap::new();
    let mut spells = Vec::new();
    for (n, created_at) in created.into_iter().enumerate() {
        let service = SERVICES[population::weighted_index(&mut g.rng, SERVICES.iter().map(|(_, w)| *w))].0;
        let Some((_, weights)) = cumulative.iter().find(|(s, _)| *s == service) else { continue };
        let Some(pi) = pick_person(&mut g.rng, weights, &latest, service, created_at) else { continue };
        let patient = &patients[pi];
        let fact = facts[pi];

        let urgency = if g.rng.random_bool(urgent_share(service)) { Urgency::Urgent } else { Urgency::Routine };
        let receiving_org = setting.receivers.of(&mut g.rng, service)?;
        let receiving_staff: Vec<&practitioner::Model> =
            receiving_roles(service).iter().flat_map(|r| setting.staff.of(*r, receiving_org).iter().copied()).collect();
        // Who triages it and, for services without caseloads, who works it.
        let handler: &practitioner::Model = *choose(&mut g.rng, &receiving_staff, "worker for a receiving service")?;
        let source = g.pick_weighted(&source_weights(service));
        let referrer = setting.referrer(&mut g.rng, source, patient, receiving_org, handler)?.clone();

        let needs = draw_needs(&mut g.rng, service, &fact);
        let other_detail = needs.contains(&N::Other).then(|| texts::other_detail(&mut g.rng, service));
        let main_need = needs.first().copied().unwrap_or(N::Other);
        let context = texts::context(
            &mut g.rng,
            service,
            main_need,
            other_detail.as_deref(),
            fact.person,
            urgency == Urgency::Urgent,
        );

        let plan = draw_plan(&mut g.rng, service, urgency);
        let (worker, timeline) = match pools.get_mut(&service) {
            Some(workers) if !workers.is_empty() => {
                // Holds that ended before this referral was made cannot overlap it or any later one.
                workers.iter_mut().for_each(|w| w.load.holds.retain(|(_, e)| e.is_none_or(|e| e > created_at)));
                let (w, timeline) = schedule(&plan, created_at, workers, n, setting.cutoff);
                let assigned = w.and_then(|w| {
                    let start = timeline.assigned_at()?;
                    workers[w].load.holds.push((start, timeline.ended_at()));
                    Some(workers[w].id)
                });
                (assigned, timeline)
            }
            _ => (None, realize(&plan, created_at, None, setting.cutoff)),
        };
        latest.insert((pi, service), timeline.ended_at());

        // The rows.
        let id = g.uuid();
        let status = timeline.status();
        let referring_org = match source {
            Src::SecondaryCare | Src::SelfReferral => receiving_org,
            _ => referrer.organisation_id,
        };
        let mut model = referral::Model {
            id,
            patient_id: patient.id,
            source,
            referring_practitioner_id: referrer.id,
            referring_organisation_id: referring_org,
            service,
            receiving_organisation_id: receiving_org,
            urgency,
            context: Some(context),
            partner_summary: (service == Svc::Vcse).then(|| texts::partner_summary(&needs, fact.person)),
            consent_recorded_by: referrer.id,
            consent_recorded_at: created_at,
            status,
            open_key: domain::referrals::state::is_open(status).then(|| open_key(patient.id, service)),
            assigned_practitioner_id: None,
            idempotency_key: None,
            first_contact_at: None,
            ended_at: None,
            outcome: None,
            rejection_reason: None,
            suggested_alternative: None,
            created_at,
            updated_at: created_at,
        };
        for need in &needs {
            data.referral_needs.push(referral_need::Model {
                referral_id: id,
                need: *need,
                detail: (*need == N::Other).then(|| other_detail.clone()).flatten(),
            });
        }
        let course = record_events(g, &timeline, &mut model, worker, handler.id, &mut data.referral_events);
        if let Some(Fate::Closed(outcome)) = (status == S::Closed).then_some(plan.fate) {
            model.outcome = Some(outcome);
        }
        if let Some(feedback) = setting.feedback(g, &model, &course, main_need, other_detail.as_deref())? {
            data.referral_feedback.push(feedback);
        }
        if service == Svc::SocialPrescribing {
            if let Some(from) = course.waiting.0 {
                spells.push(Spell {
                    referral_id: id,
                    patient_id: patient.id,
                    needs: needs.clone(),
                    is_carer: patient.is_carer,
                    waiting: (from, course.waiting.1),
                    active: course.active.0.map(|a| (a, course.active.1)),
                });
            }
        }
        data.referrals.push(model);
    }
    Ok(spells)
}

/// What one neighbourhood's referrals are drawn among.
struct Setting<'a> {
    ctx: &'a NeighbourhoodCtx,
    staff: Staff<'a>,
    receivers: Receivers,
    practice_ids: Vec<Uuid>,
    place_names: Vec<&'static str>,
    /// The start of `today`: nothing happens after it.
    cutoff: DateTime<Utc>,
}

/// What referral is to be expected of each person: age, living alone, caring, frailty,
/// deprivation and their number of long-term conditions.
fn facts_of(
    patients: &[entity::patient::Model],
    condition_counts: &HashMap<Uuid, u32>,
    today: NaiveDate,
) -> Vec<Facts> {
    patients
        .iter()
        .map(|p| Facts {
            person: Person {
                age: population::completed_years(p.date_of_birth, today),
                lives_alone: p.lives_alone,
                is_carer: p.is_carer,
            },
            frailty: p
                .efi_score
                .map(FrailtyCategory::from_efi)
                .and_then(|c| FrailtyCategory::ALL.iter().position(|x| *x == c))
                .unwrap_or(0),
            deprivation: p.deprivation_decile.unwrap_or(5),
            conditions: condition_counts.get(&p.id).copied().unwrap_or(0),
        })
        .collect()
}

/// Per service, the running total of everyone's propensity, to draw people in proportion to it.
fn cumulative_propensities(facts: &[Facts]) -> Vec<(Svc, Vec<f64>)> {
    SERVICES
        .iter()
        .map(|(svc, _)| {
            let mut total = 0.0;
            let c = facts
                .iter()
                .map(|f| {
                    total += propensity(*svc, f);
                    total
                })
                .collect();
            (*svc, c)
        })
        .collect()
}

/// When `count` referrals were made: over the last three years, slowly rising, weekdays in working
/// hours (a few on Saturday mornings), oldest first.
fn creation_times(g: &mut Gen, today: NaiveDate, count: usize) -> Vec<DateTime<Utc>> {
    let days = HISTORY_YEARS * 365;
    let start = today.checked_sub_days(Days::new(days)).unwrap_or(today);
    let mut created: Vec<DateTime<Utc>> = Vec::with_capacity(count);
    while created.len() < count {
        let u: f64 = g.rng.random();
        if !g.rng.random_bool((0.85 + 0.3 * u) / 1.15) {
            continue;
        }
        let day = start.checked_add_days(Days::new((u * days as f64) as u64)).unwrap_or(start);
        if day >= today {
            continue;
        }
        let minute = if is_weekday(day) {
            g.rng.random_range(480..1110)
        } else if g.rng.random_bool(0.08) {
            g.rng.random_range(540..780)
        } else {
            continue;
        };
        created.push(at(day, minute));
    }
    created.sort();
    created
}

/// The caseload-holding workers of the services that keep caseloads, in a shuffled order.
fn worker_pools(g: &mut Gen, staff: &Staff, receivers: &Receivers) -> HashMap<Svc, Vec<Worker>> {
    let mut pools: HashMap<Svc, Vec<Worker>> = HashMap::new();
    for (svc, org) in [
        (Svc::SocialPrescribing, receivers.splw),
        (Svc::AdultSocialCare, receivers.asc),
        (Svc::CommunityMentalHealth, receivers.mental_health),
    ] {
        let mut workers: Vec<Worker> = staff
            .of(receiving_roles(svc)[0], org)
            .iter()
            .filter_map(|p| {
                p.caseload_capacity.map(|c| Worker {
                    id: p.id,
                    load: Occupancy { capacity: usize::try_from(c).unwrap_or(0), holds: Vec::new() },
                })
            })
            .collect();
        workers.shuffle(&mut g.rng);
        pools.insert(svc, workers);
    }
    pools
}

/// Someone drawn in proportion to their propensity (`weights`, cumulative) who has no referral to
/// `service` open at `created_at`: one open referral per person and service. `None` after 30 tries.
fn pick_person(
    rng: &mut impl Rng,
    weights: &[f64],
    latest: &HashMap<(usize, Svc), Option<DateTime<Utc>>>,
    service: Svc,
    created_at: DateTime<Utc>,
) -> Option<usize> {
    let total = weights.last().copied().unwrap_or(0.0);
    if total <= 0.0 {
        return None;
    }
    for _ in 0..30 {
        let target = rng.random::<f64>() * total;
        let i = weights.partition_point(|c| *c <= target).min(weights.len() - 1);
        let open = latest.get(&(i, service)).is_some_and(|end| end.is_none_or(|e| e > created_at));
        if !open {
            return Some(i);
        }
    }
    None
}

/// The share of a service's referrals that are urgent.
fn urgent_share(service: Svc) -> f64 {
    match service {
        Svc::AdultSocialCare | Svc::CommunityMentalHealth => 0.15,
        Svc::CommunityNursing => 0.12,
        _ => 0.06,
    }
}

/// What happened to one referral beyond its row: counted attempts, who ended it and why, and
/// when it waited and was worked (from the move in to the move out; `None`: not before today).
struct Course {
    attempts: usize,
    ended_by: Option<Uuid>,
    reason_given: Option<String>,
    waiting: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    active: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
}

/// The referral's events from its timeline, in order, into `events`; `model` follows them (its
/// worker, first contact, end, rejection and last update).
fn record_events(
    g: &mut Gen,
    timeline: &Timeline,
    model: &mut referral::Model,
    worker: Option<Uuid>,
    handler: Uuid,
    events: &mut Vec<referral_event::Model>,
) -> Course {
    let (service, referrer, referring_org, receiving_org) = (
        model.service,
        model.referring_practitioner_id,
        model.referring_organisation_id,
        model.receiving_organisation_id,
    );
    let mut course =
        Course { attempts: 0, ended_by: None, reason_given: None, waiting: (None, None), active: (None, None) };
    let mut current = S::Received;
    for &(t, step) in &timeline.0 {
        let worked_by = model.assigned_practitioner_id.unwrap_or(handler);
        let (kind, from, to, actor, org, reason, assigned) = match step {
            Step::Created => (ReferralEventKind::Created, None, Some(S::Received), referrer, referring_org, None, None),
            Step::Assign => {
                let Some(w) = worker else { continue };
                model.assigned_practitioner_id = Some(w);
                (ReferralEventKind::Assigned, Some(current), Some(current), w, receiving_org, None, Some(w))
            }
            Step::Attempt => {
                course.attempts += 1;
                let note = texts::attempt_note(&mut g.rng).to_owned();
                (
                    ReferralEventKind::ContactAttempt,
                    Some(current),
                    Some(current),
                    worked_by,
                    receiving_org,
                    Some(note),
                    None,
                )
            }
            Step::Move(from, to) => {
                current = to;
                let reason = match to {
                    S::RejectedByService => {
                        let (why, alt) = texts::rejection(&mut g.rng, service);
                        model.rejection_reason = Some(why.to_owned());
                        model.suggested_alternative = alt.map(str::to_owned);
                        Some(why.to_owned())
                    }
                    S::DeclinedByPatient => Some(texts::decline_reason(&mut g.rng).to_owned()),
                    S::CancelledByReferrer => Some(texts::cancel_reason(&mut g.rng).to_owned()),
                    S::UnableToContact => Some(texts::unable_reason(course.attempts)),
                    S::Contacted if course.attempts > 1 && g.rng.random_bool(0.3) => {
                        Some("Returned our call".to_owned())
                    }
                    _ => None,
                };
                match (from, to) {
                    (_, S::AwaitingContact) => course.waiting.0 = Some(t),
                    (S::AwaitingContact, _) => course.waiting.1 = Some(t),
                    (_, S::Active) => course.active.0 = Some(t),
                    (S::Active, _) => course.active.1 = Some(t),
                    _ => {}
                }
                if to == S::Contacted {
                    model.first_contact_at = Some(t);
                }
                let (actor, org) =
                    if to == S::CancelledByReferrer { (referrer, referring_org) } else { (worked_by, receiving_org) };
                if !domain::referrals::state::is_open(to) {
                    model.ended_at = Some(t);
                    course.ended_by = Some(actor);
                    course.reason_given = reason.clone();
                }
                (ReferralEventKind::StatusChanged, Some(from), Some(to), actor, org, reason, None)
            }
        };
        let snomed = match step {
            Step::Created => snomed_code(service, None),
            Step::Move(_, to) => snomed_code(service, Some(to)),
            _ => None,
        };
        events.push(referral_event::Model {
            id: g.uuid(),
            referral_id: model.id,
            kind,
            from_status: from,
            to_status: to,
            practitioner_id: actor,
            organisation_id: org,
            occurred_at: t,
            reason,
            snomed_code: snomed.map(str::to_owned),
            assigned_practitioner_id: assigned,
        });
        model.updated_at = t;
    }
    course
}

impl<'a> Setting<'a> {
    /// Who made a referral from `source`: practice staff of the person's own practice (else any
    /// in the PCN's), the PCN's own roles, a worker of another service, or for secondary care and
    /// self-referrals the receiving service's handler, who enters them.
    fn referrer(
        &self,
        rng: &mut impl Rng,
        source: Src,
        patient: &entity::patient::Model,
        receiving_org: Uuid,
        handler: &'a practitioner::Model,
    ) -> AppResult<&'a practitioner::Model> {
        let (staff, receivers) = (&self.staff, &self.receivers);
        Ok(match source {
            Src::Gp | Src::PracticeNurse | Src::Pharmacist | Src::Receptionist => {
                let role = match source {
                    Src::Gp => Role::Gp,
                    Src::PracticeNurse => Role::PracticeNurse,
                    Src::Pharmacist => Role::Pharmacist,
                    _ => Role::Receptionist,
                };
                let own = staff.of(role, patient.registered_practice_id);
                if own.is_empty() {
                    choose(rng, &staff.in_role(role, &self.practice_ids), "practice staff")?
                } else {
                    choose(rng, own, "practice staff")?
                }
            }
            Src::OtherPracticeStaff => {
                let role = if rng.random_bool(0.6) { Role::CareCoordinator } else { Role::HealthAndWellbeingCoach };
                choose(rng, staff.of(role, self.ctx.pcn_id), "PCN staff")?
            }
            Src::AdultSocialCare => choose(rng, staff.of(Role::SocialWorker, receivers.asc), "social worker")?,
            Src::MentalHealth => {
                choose(rng, staff.of(Role::MentalHealthPractitioner, receivers.mental_health), "MH practitioner")?
            }
            Src::CommunityHealth => {
                let role = if rng.random_bool(0.75) { Role::DistrictNurse } else { Role::OccupationalTherapist };
                choose(rng, staff.of(role, receivers.community), "community health staff")?
            }
            Src::Vcse => {
                let others: Vec<Uuid> = receivers.vcse.iter().copied().filter(|o| *o != receiving_org).collect();
                choose(rng, &staff.in_role(Role::VcseWorker, &others), "VCSE worker")?
            }
            Src::SecondaryCare | Src::SelfReferral => handler,
        })
    }

    /// The feedback to the referrer of an ended referral (not one the referrer cancelled), filed
    /// at the referring organisation after a few days unless it ended within the filing lag.
    fn feedback(
        &self,
        g: &mut Gen,
        model: &referral::Model,
        course: &Course,
        main_need: N,
        other_detail: Option<&str>,
    ) -> AppResult<Option<referral_feedback::Model>> {
        let (Some(ended_at), Some(written_by)) = (model.ended_at, course.ended_by) else { return Ok(None) };
        let (status, service) = (model.status, model.service);
        if status == S::CancelledByReferrer {
            return Ok(None);
        }
        let place = *choose(&mut g.rng, &self.place_names, "places")?;
        let summary = match status {
            S::Closed => texts::closed_summary(
                &mut g.rng,
                service,
                model.outcome.unwrap_or(ReferralOutcome::GoalsMet),
                main_need,
                other_detail,
                place,
            ),
            S::DeclinedByPatient => {
                texts::declined_summary(course.reason_given.as_deref().unwrap_or("no reason given"))
            }
            S::RejectedByService => texts::rejected_summary(
                model.rejection_reason.as_deref().unwrap_or("no reason recorded"),
                model.suggested_alternative.as_deref(),
            ),
            _ => texts::unable_summary(service, course.attempts),
        };
        let referring_org = model.referring_organisation_id;
        let cutoff = self.cutoff;
        let (filed_at, filed_by) = if ended_at < cutoff - Duration::days(FILING_LAG_DAYS) && g.rng.random_bool(0.92) {
            let filed_at = after(ended_at, gap(&mut g.rng, 1..=8));
            let filer = filer(&mut g.rng, &self.staff, referring_org, model.referring_practitioner_id);
            (Some(filed_at).filter(|t| *t < cutoff), Some(filer))
        } else {
            (None, None)
        };
        Ok(Some(referral_feedback::Model {
            id: g.uuid(),
            referral_id: model.id,
            patient_id: model.patient_id,
            referring_organisation_id: referring_org,
            ended_status: status,
            outcome: model.outcome,
            snomed_codes: join_codes(&feedback_codes(service, status)),
            summary,
            worker_id: model.assigned_practitioner_id,
            written_by,
            created_at: ended_at,
            filed_at,
            filed_by: filed_at.and(filed_by),
        }))
    }
}

/// Who files feedback at the referring organisation: at a practice mostly a receptionist, else a
/// GP; elsewhere anyone there (the referrer when nobody else is known).
fn filer(rng: &mut impl Rng, staff: &Staff, org: Uuid, referrer: Uuid) -> Uuid {
    let receptionists = staff.of(Role::Receptionist, org);
    let gps = staff.of(Role::Gp, org);
    let pool = if !receptionists.is_empty() && (gps.is_empty() || rng.random_bool(0.7)) {
        receptionists
    } else if !gps.is_empty() {
        gps
    } else {
        staff.at(org)
    };
    if pool.is_empty() {
        referrer
    } else {
        pool[rng.random_range(0..pool.len())].id
    }
}
