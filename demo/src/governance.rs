//! Information governance in the demo: each neighbourhood's privacy officer (at its PCN, the INT's
//! host); people who object to their record being shared beyond their practice (one of them since
//! withdrawn); and a few weeks of break-glass uses by community staff, with the reads each opened
//! in the access audit and, for the older ones, the officer's review. So the officer's queue, the
//! trail and its flags have something to show in GraphiQL: a night-time use, one practitioner who
//! broke the glass three times, a use over an objection, a use the officer found not justified,
//! and recent uses waiting.

use chrono::{DateTime, Days, Duration, Utc};
use entity::{access_event, access_event_patient, break_glass, sharing_objection, ProfessionalRole};
use rand::Rng;
use sea_orm::ActiveEnum;
use uuid::Uuid;

use super::{at, new_practitioner, DemoData, Gen, NeighbourhoodCtx};
use domain::auth::AccessReason;
use domain::break_glass::{BreakGlassReason, ReviewOutcome};
use domain::error::AppResult;

/// What the practitioners said, by reason.
const STATEMENTS: [(BreakGlassReason, &str); 4] = [
    (
        BreakGlassReason::EmergencyCare,
        "Called to a fall at home out of hours; needed the medication list and allergies",
    ),
    (BreakGlassReason::UnplannedCare, "Walk-in at the community clinic, no referral on the system yet"),
    (BreakGlassReason::Safeguarding, "Neighbour raised concerns about self-neglect; checking who is involved"),
    (BreakGlassReason::ContinuityOfCare, "Covering a colleague's visits while the referral is transferred"),
];

/// A use older than this has been reviewed.
const REVIEWED_AFTER_DAYS: i64 = 14;

pub(crate) fn generate(g: &mut Gen, ctx: &NeighbourhoodCtx, data: &mut DemoData) -> AppResult<()> {
    let since = ctx.created_at + Duration::days(30);
    let officer = new_practitioner(g, ProfessionalRole::PrivacyOfficer, ctx.pcn_id, since);
    let officer_id = officer.id;
    data.practitioners.push(officer);

    // Community staff without a relationship of their own to most people: who breaks the glass.
    let clinicians: Vec<(Uuid, Uuid, ProfessionalRole)> = data.practitioners[ctx.staff.clone()]
        .iter()
        .filter(|p| {
            matches!(p.professional_role, ProfessionalRole::DistrictNurse | ProfessionalRole::MentalHealthPractitioner)
        })
        .map(|p| (p.id, p.organisation_id, p.professional_role))
        .collect();
    let people = ctx.patients.clone();
    if clinicians.is_empty() || people.is_empty() {
        return Ok(());
    }
    let objectors = object(g, ctx, data);
    let uses = (ctx.population / 8_000).clamp(6, 12) as usize;
    let today = g.today;
    for k in 0..uses {
        // The first clinician breaks the glass three times: the repeated-use flag.
        let (practitioner_id, organisation_id, role) = clinicians[if k < 3 { 0 } else { k % clinicians.len() }];
        // The sixth is over a standing objection (the flag that names it).
        let person = match objectors.first() {
            Some(objector) if k == 5 => &data.patients[*objector],
            _ => &data.patients[g.rng.random_range(people.clone())],
        };
        // The first waits for review; the fifth, reviewed and found not justified, is older.
        let days_ago = match k {
            0 => g.rng.random_range(1..=10),
            4 => g.rng.random_range(20..=40),
            _ => g.rng.random_range(1..=60),
        };
        // One in three at night (the out-of-hours flag), the rest in the working day.
        let minutes =
            if k % 3 == 1 { 23 * 60 + g.rng.random_range(0..50) } else { g.rng.random_range(9 * 60..17 * 60) };
        let started_at = at(today - Days::new(days_ago), minutes);
        let (reason, detail) = STATEMENTS[k % STATEMENTS.len()];
        let reviewed = days_ago > REVIEWED_AFTER_DAYS as u64;
        let outcome = if k == 4 { ReviewOutcome::NotJustified } else { ReviewOutcome::Justified };
        let note = (outcome == ReviewOutcome::NotJustified).then(|| {
            "The visit was planned; a referral should have been made first. Discussed with the practitioner and their manager."
                .to_owned()
        });
        let use_ = break_glass::Model {
            id: g.uuid(),
            practitioner_id,
            organisation_id,
            professional_role: role.to_value(),
            patient_id: person.id,
            reason: reason.as_str().to_owned(),
            detail: detail.to_owned(),
            started_at,
            expires_at: started_at + Duration::hours(4),
            reviewed_by: reviewed.then_some(officer_id),
            reviewed_at: reviewed.then(|| started_at + Duration::days(g.rng.random_range(2..10))),
            review_outcome: reviewed.then(|| outcome.as_str().to_owned()),
            review_note: if reviewed { note } else { None },
        };
        // The reads it opened: the record, then a page or two of it.
        for read in 0..g.rng.random_range(1..=3) {
            let occurred_at = started_at + Duration::minutes(2 + 9 * read);
            let event = access_event::Model {
                id: event_id(g, occurred_at),
                occurred_at,
                practitioner_id,
                organisation_id,
                professional_role: role.to_value(),
                operation: "query PatientRecord".to_owned(),
                field_path: Some("patient".to_owned()),
                request_id: Some(g.uuid().simple().to_string()),
            };
            data.access_event_patients.push(access_event_patient::Model {
                patient_id: person.id,
                event_id: event.id,
                access_reason: AccessReason::BreakGlass.as_str().to_owned(),
            });
            data.access_events.push(event);
        }
        data.break_glass_uses.push(use_);
    }
    Ok(())
}

/// What people said when they objected.
const OBJECTIONS: [&str; 3] = [
    "Does not want the council or other services to see her GP record",
    "Happy for the surgery to see everything, nobody else",
    "Had a bad experience with a previous data breach; asked for sharing to be switched off",
];

/// About one person in 400 objects to sharing beyond their practice (at least three a
/// neighbourhood), recorded by their practice's front desk in the past year; the first objection
/// recorded has since been withdrawn, so the history shows both. Returns the standing objectors'
/// places in `DemoData::patients`.
fn object(g: &mut Gen, ctx: &NeighbourhoodCtx, data: &mut DemoData) -> Vec<usize> {
    let today = g.today;
    let count = (ctx.population / 400).max(3) as usize;
    let mut standing = Vec::new();
    // Recorded by the practice's front desk or a GP: people of practices that have one (a small
    // demo does not staff every practice).
    let recorders: Vec<(Uuid, Uuid)> = data.practitioners[ctx.staff.clone()]
        .iter()
        .filter(|p| matches!(p.professional_role, ProfessionalRole::Receptionist | ProfessionalRole::Gp))
        .map(|p| (p.organisation_id, p.id))
        .collect();
    let candidates: Vec<usize> = ctx
        .patients
        .clone()
        .filter(|i| recorders.iter().any(|(practice, _)| *practice == data.patients[*i].registered_practice_id))
        .collect();
    if candidates.is_empty() {
        return standing;
    }
    for n in 0..count {
        let at_index = candidates[g.rng.random_range(0..candidates.len())];
        let person = &data.patients[at_index];
        if person.objects_to_sharing {
            continue;
        }
        let practice = person.registered_practice_id;
        let Some(recorder) = recorders.iter().find(|(p, _)| *p == practice).map(|(_, id)| *id) else { continue };
        let recorded_at = at(today - Days::new(g.rng.random_range(30..365)), g.rng.random_range(9 * 60..17 * 60));
        let withdrawn = n == 0;
        let patient_id = person.id;
        data.sharing_objections.push(sharing_objection::Model {
            id: g.uuid(),
            patient_id,
            organisation_id: practice,
            recorded_by: recorder,
            recorded_at,
            note: Some(OBJECTIONS[n % OBJECTIONS.len()].to_owned()),
            open_key: (!withdrawn).then(|| patient_id.to_string()),
            withdrawn_by: withdrawn.then_some(recorder),
            withdrawn_at: withdrawn.then(|| recorded_at + Duration::days(21)),
            withdrawal_note: withdrawn
                .then(|| "Changed her mind after talking it through with the practice".to_owned()),
        });
        if !withdrawn {
            data.patients[at_index].objects_to_sharing = true;
            standing.push(at_index);
        }
    }
    standing
}

/// An audit event id as the server makes them (UUID v7 of the moment it was recorded), from the
/// demo's own randomness.
fn event_id(g: &mut Gen, at: DateTime<Utc>) -> Uuid {
    let random: [u8; 10] = g.uuid().as_bytes()[..10].try_into().unwrap_or_default();
    uuid::Builder::from_unix_timestamp_millis(u64::try_from(at.timestamp_millis()).unwrap_or(0), &random).into_uuid()
}
