//! Care and support plans and outcome measurements from each neighbourhood's social prescribing
//! history: a person whose support got under way has a plan written with their link worker (goals
//! from the reasons they were referred, actions owned by the link worker and the activities they
//! were connected to, the summary shared with those activities' providers) and, for most, SWEMWBS
//! and ONS4 at the start of support and at follow-up, so the outcome report has real rows to count.
//!
//! Follow-up responses move from baseline with item-by-item chances of improving shaped like the
//! briefing's green social prescribing findings (thinking clearly and optimism improve most, feeling
//! useful and dealing with problems least); scores are computed by the server's own scoring functions.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entity::{
    care_plan, care_plan_action, care_plan_goal, care_plan_revision, care_plan_share, outcome_measurement,
    outcome_response, GoalStatus, MeasurementKind, OrganisationKind, PlanActionStatus, ReferralNeed as N,
};
use rand::Rng;
use uuid::Uuid;

use super::referrals::Spell;
use super::{DemoData, Gen, NeighbourhoodCtx};
use domain::error::AppResult;
use domain::outcomes::instruments::{Instrument, ONS4, SWEMWBS};

/// Chance that each SWEMWBS item is better at follow-up, in catalogue order.
const SWEMWBS_IMPROVES: [f64; 7] = [0.60, 0.38, 0.52, 0.38, 0.62, 0.45, 0.40];
/// Chance that each ONS4 item is better at follow-up (for anxiety: lower).
const ONS4_IMPROVES: [f64; 4] = [0.55, 0.50, 0.55, 0.50];

fn goal_text(need: N) -> (&'static str, &'static str) {
    match need {
        N::LonelinessOrIsolation => {
            ("Get out and meet people once a week", "Go along to a group with the link worker the first time")
        }
        N::Housing => (
            "Sort out the damp in the flat or move somewhere suitable",
            "Book a housing advice appointment and bring the landlord's letters",
        ),
        N::DebtAndMoney => ("Get on top of the bills", "See a money adviser and check benefits entitlement"),
        N::Employment => ("Find work or volunteering that fits my health", "Meet the employment support worker"),
        N::PhysicalActivity => {
            ("Walk to the shops and back without stopping", "Join a walking group or chair-based exercise")
        }
        N::LowMoodOrAnxiety => ("Feel calmer and sleep better", "Try a talking café or nature mindfulness session"),
        N::CarerSupport => {
            ("Have some time for myself each week", "Ask for a carer's assessment and try the carers' café")
        }
        N::FoodInsecurity => ("Have enough food every week", "Food bank voucher now; money advice for the longer term"),
        N::Bereavement => ("Find a way to cope with the loss", "Join a bereavement support group"),
        N::LongTermConditionSelfManagement => {
            ("Feel more in control of my condition", "Go to a peer support or singing for breathing group")
        }
        N::Other => ("Work out what would help most", "Follow-up conversation with the link worker"),
    }
}

const WHAT_MATTERS: &[&str] = &[
    "Getting out of the house again and having people to talk to.",
    "Staying in my own home and keeping my independence.",
    "Being well enough to look after my grandchildren.",
    "Not feeling so on edge all the time; sleeping through the night.",
    "Keeping my garden going and getting back to church.",
    "Sorting out the money worries so I can think about anything else.",
    "Having a bit of time for myself while caring for my husband.",
];

/// Responses for one administration, drawn around `centre` or moved from a baseline.
fn responses(g: &mut Gen, instrument: &Instrument, baseline: Option<&[i16]>, improves: &[f64]) -> Vec<i16> {
    instrument
        .items
        .iter()
        .enumerate()
        .map(|(k, item)| {
            let value = match baseline {
                None => {
                    // Low wellbeing at the start: the lower half of the scale (ONS4 anxiety: the upper half).
                    let span = i32::from(item.max - item.min);
                    let low = i32::from(item.min) + g.rng.random_range(0..=span / 2);
                    if item.higher_is_better {
                        low
                    } else {
                        i32::from(item.max) - (low - i32::from(item.min))
                    }
                }
                Some(base) => {
                    let b = i32::from(base[k]);
                    let roll: f64 = g.rng.random();
                    let step = if roll < improves[k] {
                        if g.rng.random_bool(0.25) {
                            2
                        } else {
                            1
                        }
                    } else if roll < improves[k] + 0.12 {
                        -1
                    } else {
                        0
                    };
                    if item.higher_is_better {
                        b + step
                    } else {
                        b - step
                    }
                }
            };
            value.clamp(i32::from(item.min), i32::from(item.max)) as i16
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn measurement(
    g: &mut Gen,
    data: &mut DemoData,
    instrument: &Instrument,
    spell: &Spell,
    kind: MeasurementKind,
    baseline_id: Option<Uuid>,
    taken_at: DateTime<Utc>,
    values: &[i16],
    worker: (Uuid, Uuid),
) -> Uuid {
    let id = g.uuid();
    let scores = (instrument.score)(values);
    data.measurements.push(outcome_measurement::Model {
        id,
        patient_id: spell.patient_id,
        instrument: instrument.key.to_owned(),
        kind,
        baseline_id,
        referral_id: Some(spell.referral_id),
        taken_on: taken_at.date_naive(),
        raw_score: scores.raw,
        metric_score: scores.metric,
        recorded_by: worker.0,
        recorded_organisation_id: worker.1,
        recorded_at: taken_at + Duration::hours(2),
    });
    for (item, value) in instrument.items.iter().zip(values) {
        data.responses.push(outcome_response::Model { measurement_id: id, item: item.key.to_owned(), value: *value });
    }
    id
}

pub fn generate(g: &mut Gen, ctx: &NeighbourhoodCtx, spells: &[Spell], data: &mut DemoData) -> AppResult<()> {
    let cutoff = super::at(g.today, 0);
    let workers = ctx.link_workers(data);
    if workers.is_empty() {
        return Ok(());
    }
    // The asset providers each person is connected to (for owned actions and sharing).
    let providers: HashMap<Uuid, Uuid> = data.assets.iter().map(|a| (a.id, a.provider_organisation_id)).collect();
    let kinds: HashMap<Uuid, OrganisationKind> = data.top_organisations.iter().map(|o| (o.id, o.kind)).collect();
    let mut connected: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for c in &data.connections {
        if let Some(org) = providers.get(&c.asset_id) {
            if kinds.get(org) == Some(&OrganisationKind::Vcse) {
                connected.entry(c.patient_id).or_default().push(*org);
            }
        }
    }
    // One plan per person, from their latest spell of support.
    let mut latest: HashMap<Uuid, usize> = HashMap::new();
    for (k, spell) in spells.iter().enumerate() {
        if spell.active.is_some_and(|(start, _)| start < cutoff) {
            latest.insert(spell.patient_id, k);
        }
    }
    for (k, spell) in spells.iter().enumerate() {
        let Some((started, ended)) = spell.active else { continue };
        if started >= cutoff {
            continue;
        }
        let worker = workers[g.rng.random_range(0..workers.len())];

        // Outcome measures: most people at the start, most of those again 10–16 weeks on.
        if g.rng.random_bool(0.75) {
            let follow_up_at = match ended {
                Some(end) if end - started >= Duration::weeks(6) => Some(end.min(cutoff - Duration::hours(3))),
                Some(_) => None,
                None => Some(started + Duration::weeks(g.rng.random_range(10..17)))
                    .filter(|t| *t < cutoff - Duration::hours(3)),
            };
            for (instrument, improves) in [(&SWEMWBS, &SWEMWBS_IMPROVES[..]), (&ONS4, &ONS4_IMPROVES[..])] {
                let base = responses(g, instrument, None, improves);
                let base_id =
                    measurement(g, data, instrument, spell, MeasurementKind::Baseline, None, started, &base, worker);
                if let Some(at) = follow_up_at.filter(|_| g.rng.random_bool(0.8)) {
                    let later = responses(g, instrument, Some(&base), improves);
                    measurement(
                        g,
                        data,
                        instrument,
                        spell,
                        MeasurementKind::FollowUp,
                        Some(base_id),
                        at,
                        &later,
                        worker,
                    );
                }
            }
        }

        if latest.get(&spell.patient_id) != Some(&k) || !g.rng.random_bool(0.85) {
            continue;
        }
        let written = started + Duration::days(g.rng.random_range(1..10));
        if written >= cutoff {
            continue;
        }
        let plan_id = g.uuid();
        let today = g.today;
        let mut goals = Vec::new();
        let mut actions = Vec::new();
        let orgs = connected.get(&spell.patient_id).cloned().unwrap_or_default();
        for (position, need) in spell.needs.iter().take(3).enumerate() {
            let (goal, action) = goal_text(*need);
            let status = match ended {
                Some(_) if g.rng.random_bool(0.6) => GoalStatus::Achieved,
                Some(_) => GoalStatus::NoLongerRelevant,
                None if g.rng.random_bool(0.6) => GoalStatus::InProgress,
                None => GoalStatus::NotStarted,
            };
            let goal_id = g.uuid();
            goals.push(care_plan_goal::Model {
                id: goal_id,
                plan_id,
                position: position as i32,
                need: *need,
                text: goal.to_owned(),
                status,
                target_date: Some((written + Duration::weeks(12)).date_naive()),
            });
            let owner_org = orgs.get(position).copied();
            let due = (written + Duration::weeks(g.rng.random_range(2..8))).date_naive();
            actions.push(care_plan_action::Model {
                id: g.uuid(),
                plan_id,
                goal_id: Some(goal_id),
                position: position as i32,
                text: action.to_owned(),
                owner_organisation_id: Some(owner_org.unwrap_or(worker.1)),
                owner_practitioner_id: owner_org.is_none().then_some(worker.0),
                due_date: Some(due),
                status: if ended.is_some() || due < today {
                    if g.rng.random_bool(0.85) {
                        PlanActionStatus::Done
                    } else {
                        PlanActionStatus::Cancelled
                    }
                } else {
                    PlanActionStatus::Open
                },
            });
        }
        let plan = care_plan::Model {
            id: plan_id,
            patient_id: spell.patient_id,
            version: 1,
            what_matters: WHAT_MATTERS[g.rng.random_range(0..WHAT_MATTERS.len())].to_owned(),
            strengths: Some("Knows what they want; family nearby".to_owned()).filter(|_| g.rng.random_bool(0.6)),
            review_date: Some((written + Duration::weeks(12)).date_naive()),
            created_by: worker.0,
            created_at: written,
            updated_by: worker.0,
            updated_organisation_id: worker.1,
            updated_at: written,
        };
        data.plan_revisions.push(care_plan_revision::Model {
            id: g.uuid(),
            plan_id,
            version: 1,
            content: domain::plans::snapshot(&plan, &goals, &actions)?,
            changed_by: worker.0,
            changed_organisation_id: worker.1,
            changed_at: written,
        });
        let mut shared_with: Vec<Uuid> = orgs.clone();
        shared_with.sort();
        shared_with.dedup();
        for org in shared_with {
            data.plan_shares.push(care_plan_share::Model {
                id: g.uuid(),
                plan_id,
                patient_id: spell.patient_id,
                organisation_id: org,
                open_key: Some(domain::plans::share_key(plan_id, org)),
                recorded_by: worker.0,
                recorded_at: written,
                withdrawn_by: None,
                withdrawn_at: None,
            });
        }
        data.plans.push(plan);
        data.plan_goals.extend(goals);
        data.plan_actions.extend(actions);
    }
    Ok(())
}
