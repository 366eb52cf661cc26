//! MDT meeting history per neighbourhood: a fortnightly meeting (Tuesday lunchtime) for the last six
//! months, each closed with its attendance, an agenda of people living with moderate or severe
//! frailty and several conditions (nobody discussed twice within 90 days), a decision per person
//! and owned actions (most done, some cancelled, some still open and now overdue), each with its
//! history; and the next meeting, planned, with its invitations. The next meeting's agenda is
//! proposed from the seeded data by the server's own proposal (see `seed_demo`).

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use entity::{
    mdt_action, mdt_action_event, mdt_agenda_item, mdt_decision, mdt_invitation, mdt_meeting, AgendaItemKind,
    MeetingAttendance, MeetingStatus, PlanActionStatus, ProfessionalRole as R,
};
use rand::Rng;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::{at, DemoData, Gen, NeighbourhoodCtx};
use domain::error::{AppError, AppResult};
use domain::frailty::FrailtyCategory;
use domain::mdt::proposal::ProposalRequest;
use domain::mdt::{discipline_of, invitation_key, item_key};
use domain::patients::PatientCriteria;

/// Meetings of history per neighbourhood (six months, fortnightly).
pub const PAST_MEETINGS: i64 = 13;
/// People per past agenda.
const AGENDA_SIZE: usize = 8;
/// People proposed for the next meeting.
const UPCOMING_AGENDA: usize = 12;
/// Minutes after midnight (UTC) a meeting starts, and how long it lasts.
const STARTS_AT: i64 = 12 * 60 + 30;
const LASTS_MINUTES: i64 = 90;

/// Who is invited: one of each core discipline, and the neighbourhood's pharmacist and VCSE lead.
const INVITED: &[R] = &[
    R::Gp,
    R::SocialWorker,
    R::MentalHealthPractitioner,
    R::DistrictNurse,
    R::SocialPrescribingLinkWorker,
    R::Pharmacist,
    R::OccupationalTherapist,
    R::VcseWorker,
];

const DECISIONS: &[&str] = &[
    "Agreed to keep her at home with a package of care reviewed in four weeks.",
    "Team agreed a falls-prevention plan; the person and their daughter are happy with it.",
    "Agreed the link worker leads; the practice to review medication first.",
    "Agreed to refer for a carer's assessment and keep the person on the agenda in three months.",
    "No change to the plan: the person is settled and attending the group weekly.",
    "Agreed an urgent social care review after the recent hospital discharge.",
    "Agreed a joint home visit by the district nurse and the social worker.",
    "Agreed to offer a mental health assessment; the person consents.",
];

/// Action texts by the owner's role.
fn action_texts(role: R) -> &'static [&'static str] {
    match role {
        R::Gp => &[
            "Structured medication review",
            "Review the frailty score and update the record",
            "Discuss anticipatory care planning at the next appointment",
        ],
        R::SocialWorker => {
            &["Care Act assessment", "Review the home care package", "Carer's assessment for the person's husband"]
        }
        R::MentalHealthPractitioner => &["Offer a mental health assessment", "Memory clinic referral follow-up"],
        R::DistrictNurse => {
            &["Home visit: leg ulcer and skin check", "Continence assessment", "Set up a key safe with the family"]
        }
        R::SocialPrescribingLinkWorker => &[
            "Introduce to the Tuesday walking group",
            "Befriending referral",
            "Help with the Attendance Allowance claim",
        ],
        R::Pharmacist => &["Deprescribing review (falls risk)", "Blister pack assessment with the community pharmacy"],
        R::OccupationalTherapist => &["Home safety and equipment assessment", "Bathing assessment"],
        R::VcseWorker => &["Volunteer driver for hospital appointments", "Weekly telephone befriending call"],
        _ => &["Follow up with the person"],
    }
}

/// Most recent Tuesday before `today` (a week ago if today is Tuesday).
fn last_tuesday(today: NaiveDate) -> NaiveDate {
    let back = (today.weekday().num_days_from_monday() + 7 - Weekday::Tue.num_days_from_monday()) % 7;
    today - Duration::days(if back == 0 { 7 } else { i64::from(back) })
}

pub(super) fn generate(g: &mut Gen, ctx: &NeighbourhoodCtx, data: &mut DemoData) -> AppResult<()> {
    let today = g.today;
    let staff = &data.practitioners[ctx.staff.clone()];
    let coordinator = staff
        .iter()
        .find(|p| p.professional_role == R::IntCoordinator)
        .map(|p| p.id)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("neighbourhood without an INT coordinator")))?;
    let invitees: Vec<(Uuid, Uuid, R)> = INVITED
        .iter()
        .filter_map(|role| staff.iter().find(|p| p.professional_role == *role))
        .map(|p| (p.id, p.organisation_id, p.professional_role))
        .collect();
    let chair = invitees.iter().find(|(_, _, r)| *r == R::Gp).map_or(coordinator, |(id, _, _)| *id);

    // People the team would discuss: moderate or severe frailty with two or more conditions.
    let mut conditions: HashMap<Uuid, u32> = HashMap::new();
    for c in &data.conditions {
        *conditions.entry(c.patient_id).or_default() += 1;
    }
    let candidates: Vec<(Uuid, String)> = data.patients[ctx.patients.clone()]
        .iter()
        .filter(|p| p.efi_score.is_some_and(|s| s > 0.24))
        .filter_map(|p| {
            let n = conditions.get(&p.id).copied().unwrap_or(0);
            (n >= 2).then(|| {
                let frailty = domain::mdt::proposal::frailty_reason(p).map(|r| r.detail).unwrap_or_default();
                (p.id, format!("{frailty}; {n} long-term conditions"))
            })
        })
        .collect();
    if candidates.is_empty() {
        return Ok(());
    }
    let mut last_discussed: HashMap<Uuid, NaiveDate> = HashMap::new();
    let first = last_tuesday(today) - Duration::days(14 * (PAST_MEETINGS - 1));

    for k in 0..=PAST_MEETINGS {
        let day = first + Duration::days(14 * k);
        let upcoming = day >= today;
        let starts_at = at(day, STARTS_AT);
        let meeting_id = g.uuid();
        let created_at = starts_at - Duration::days(g.rng.random_range(10..=20));
        data.mdt_meetings.push(mdt_meeting::Model {
            id: meeting_id,
            neighbourhood_id: ctx.id,
            title: format!("Frailty and complex care MDT — {}", day.format("%-d %B %Y")),
            starts_at,
            ends_at: starts_at + Duration::minutes(LASTS_MINUTES),
            place: Some(format!("{} Health Centre, meeting room 1", ctx.area.places[0].0)),
            online_link: Some(format!(
                "https://teams.example.nhs.uk/int-mdt/{}",
                &meeting_id.simple().to_string()[..12]
            )),
            chair_id: chair,
            status: if upcoming { MeetingStatus::Planned } else { MeetingStatus::Closed },
            created_by: coordinator,
            created_at,
            updated_at: if upcoming { created_at } else { starts_at + Duration::minutes(LASTS_MINUTES) },
        });
        let mut attended: Vec<(Uuid, Uuid, R)> = Vec::new();
        for (practitioner_id, organisation_id, role) in &invitees {
            let Some(discipline) = discipline_of(*role) else { continue };
            let sorry = g.rng.random_bool(0.12);
            let attendance = match (upcoming, sorry) {
                (_, true) => MeetingAttendance::Apologies,
                (true, false) => MeetingAttendance::Invited,
                (false, false) => MeetingAttendance::Attended,
            };
            if attendance == MeetingAttendance::Attended {
                attended.push((*practitioner_id, *organisation_id, *role));
            }
            data.mdt_invitations.push(mdt_invitation::Model {
                id: g.uuid(),
                meeting_id,
                practitioner_id: *practitioner_id,
                organisation_id: *organisation_id,
                discipline,
                attendance,
                open_key: Some(invitation_key(meeting_id, *practitioner_id)),
                invited_by: coordinator,
                invited_at: created_at,
                removed_at: None,
            });
        }
        if upcoming {
            data.upcoming_meetings.push(Upcoming {
                meeting_id,
                coordinator,
                item_ids: (0..UPCOMING_AGENDA).map(|_| g.uuid()).collect(),
                added_at: created_at + Duration::hours(2),
            });
            break;
        }
        // The agenda: people not discussed in the last 90 days.
        let mut agenda: Vec<(Uuid, String)> = Vec::new();
        for _ in 0..AGENDA_SIZE * 6 {
            if agenda.len() == AGENDA_SIZE {
                break;
            }
            let (id, reason) = candidates[g.rng.random_range(0..candidates.len())].clone();
            let recent = last_discussed.get(&id).is_some_and(|d| (day - *d).num_days() < 90);
            if !recent && !agenda.iter().any(|(a, _)| *a == id) {
                agenda.push((id, reason));
            }
        }
        for (position, (patient_id, reason)) in agenda.into_iter().enumerate() {
            last_discussed.insert(patient_id, day);
            let item_id = g.uuid();
            let presenter = attended.get(g.rng.random_range(0..attended.len().max(1))).map(|a| a.0);
            let discussed_at = starts_at + Duration::minutes(10 * position as i64 + 5);
            data.mdt_agenda_items.push(mdt_agenda_item::Model {
                id: item_id,
                meeting_id,
                patient_id,
                position: position as i32,
                reason,
                kind: if g.rng.random_bool(0.8) {
                    AgendaItemKind::FullDiscussion
                } else {
                    AgendaItemKind::ForInformation
                },
                presenter_id: presenter,
                minutes_allotted: 10,
                open_key: Some(item_key(meeting_id, patient_id)),
                added_by: coordinator,
                added_at: created_at + Duration::hours(g.rng.random_range(1..=72)),
                removed_at: None,
            });
            data.mdt_decisions.push(mdt_decision::Model {
                id: g.uuid(),
                item_id,
                text: g.pick(DECISIONS).to_owned(),
                recorded_by: coordinator,
                recorded_at: discussed_at,
            });
            if attended.is_empty() {
                continue;
            }
            for _ in 0..g.rng.random_range(1..=2) {
                let (owner, owner_org, role) = attended[g.rng.random_range(0..attended.len())];
                let due = day + Duration::days(g.rng.random_range(14..=42));
                let action_id = g.uuid();
                // Older actions are mostly settled; a few stay open past their due date.
                let settled = (today - due).num_days() > 14 && !g.rng.random_bool(0.15);
                let status = if !settled {
                    PlanActionStatus::Open
                } else if g.rng.random_bool(0.88) {
                    PlanActionStatus::Done
                } else {
                    PlanActionStatus::Cancelled
                };
                let settled_at =
                    at(due - Duration::days(g.rng.random_range(0..=10)), 9 * 60 + g.rng.random_range(0..480));
                data.mdt_actions.push(mdt_action::Model {
                    id: action_id,
                    meeting_id,
                    item_id,
                    patient_id,
                    text: g.pick(action_texts(role)).to_owned(),
                    owner_practitioner_id: Some(owner),
                    owner_organisation_id: Some(owner_org),
                    due_date: Some(due),
                    status,
                    created_by: coordinator,
                    created_at: discussed_at,
                    updated_at: if settled { settled_at } else { discussed_at },
                });
                data.mdt_action_events.push(mdt_action_event::Model {
                    id: g.uuid(),
                    action_id,
                    from_status: None,
                    to_status: PlanActionStatus::Open,
                    practitioner_id: coordinator,
                    occurred_at: discussed_at,
                    note: None,
                });
                if settled {
                    data.mdt_action_events.push(mdt_action_event::Model {
                        id: g.uuid(),
                        action_id,
                        from_status: Some(PlanActionStatus::Open),
                        to_status: status,
                        practitioner_id: owner,
                        occurred_at: settled_at,
                        note: (status == PlanActionStatus::Cancelled)
                            .then(|| "No longer needed: the person's circumstances changed".to_owned()),
                    });
                }
            }
        }
    }
    Ok(())
}

/// A neighbourhood's next meeting, whose agenda is proposed once everything else is written.
pub(super) struct Upcoming {
    meeting_id: Uuid,
    coordinator: Uuid,
    /// Ids for its items, drawn with the rest so that the demo stays deterministic.
    item_ids: Vec<Uuid>,
    added_at: DateTime<Utc>,
}

/// The next meetings' agendas, as the server proposes them to each neighbourhood's coordinator
/// from the cohort "moderate or severe frailty with two or more conditions", not discussed in
/// the last 90 days, most urgent first.
pub(super) async fn propose_upcoming(
    db: &impl ConnectionTrait,
    upcoming: &[Upcoming],
    today: NaiveDate,
) -> AppResult<Vec<mdt_agenda_item::Model>> {
    let mut items = Vec::new();
    for next in upcoming {
        let caller = domain::auth::load_caller(db, next.coordinator, domain::auth::AccessWindows::default())
            .await?
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("the demo coordinator is missing")))?;
        let request = ProposalRequest {
            meeting_id: next.meeting_id,
            criteria: PatientCriteria {
                frailty_categories: vec![FrailtyCategory::Moderate, FrailtyCategory::Severe],
                min_condition_count: Some(2),
                ..PatientCriteria::default()
            },
            cohort_neighbourhood: None,
            not_discussed_days: 90,
            limit: next.item_ids.len() as u64,
        };
        let (_, proposals) = domain::mdt::proposal::propose(db, &caller, today, at(today, 9 * 60), &request).await?;
        for ((position, proposal), id) in proposals.iter().enumerate().zip(&next.item_ids) {
            items.push(mdt_agenda_item::Model {
                id: *id,
                meeting_id: next.meeting_id,
                patient_id: proposal.patient.id,
                position: position as i32,
                reason: proposal.agenda_reason(),
                kind: AgendaItemKind::FullDiscussion,
                presenter_id: None,
                minutes_allotted: 8,
                open_key: Some(item_key(next.meeting_id, proposal.patient.id)),
                added_by: next.coordinator,
                added_at: next.added_at,
                removed_at: None,
            });
        }
    }
    Ok(items)
}
