//! Named care teams for the people living with severe frailty: most have a named care coordinator
//! (one of the PCN's care coordinators), many a community nurse, some a social worker, named by the
//! neighbourhood's INT coordinator on a day in the past eighteen months; about one membership in
//! ten has since ended. Each standing membership opens the person's record to its member
//! (`domain::auth::policy`), so the demo shows a district nurse or a social worker reaching people
//! through the team and not through a referral.

use chrono::{Days, Duration};
use entity::{care_team_member, ProfessionalRole};
use rand::Rng;
use uuid::Uuid;

use super::{at, DemoData, Gen, NeighbourhoodCtx};
use domain::error::AppResult;
use domain::frailty::FrailtyCategory;

/// Who is named, with the words for how, and how often a severely frail person has one.
const MEMBERS: [(ProfessionalRole, &str, f64); 3] = [
    (ProfessionalRole::CareCoordinator, "Named care coordinator", 0.7),
    (ProfessionalRole::DistrictNurse, "Community nurse", 0.45),
    (ProfessionalRole::SocialWorker, "Social worker", 0.25),
];

const END_REASONS: [&str; 3] = [
    "Discharged from the community nursing caseload",
    "Care coordination handed to the practice team",
    "Moved to another team's area of work",
];

pub(crate) fn generate(g: &mut Gen, ctx: &NeighbourhoodCtx, coordinator: Uuid, data: &mut DemoData) -> AppResult<()> {
    let staff = |role: ProfessionalRole| -> Vec<(Uuid, Uuid)> {
        data.practitioners[ctx.staff.clone()]
            .iter()
            .filter(|p| p.professional_role == role && p.active)
            .map(|p| (p.id, p.organisation_id))
            .collect()
    };
    let teams: Vec<Vec<(Uuid, Uuid)>> = MEMBERS.iter().map(|(role, _, _)| staff(*role)).collect();
    let severe: Vec<Uuid> = data.patients[ctx.patients.clone()]
        .iter()
        .filter(|p| p.efi_score.is_some_and(|s| FrailtyCategory::from_efi(s) == FrailtyCategory::Severe))
        .map(|p| p.id)
        .collect();
    let today = g.today;
    let mut turn = [0usize; 3];
    for person in severe {
        for (k, (_, team_role, share)) in MEMBERS.iter().enumerate() {
            if teams[k].is_empty() || !g.rng.random_bool(*share) {
                continue;
            }
            let (practitioner_id, organisation_id) = teams[k][turn[k] % teams[k].len()];
            turn[k] += 1;
            let since = today - Days::new(g.rng.random_range(20..540));
            let added_at = at(since, g.rng.random_range(9 * 60..17 * 60));
            let ended = g.rng.random_bool(0.1);
            let ended_at = ended.then(|| {
                let days = g.rng.random_range(7..=(today - since).num_days().max(8));
                (added_at + Duration::days(days)).min(at(today, 8 * 60))
            });
            let is_care_coordinator = k == 0;
            data.care_team_members.push(care_team_member::Model {
                id: g.uuid(),
                patient_id: person,
                practitioner_id,
                organisation_id,
                team_role: (*team_role).to_owned(),
                is_care_coordinator,
                since,
                open_key: (!ended).then(|| domain::open_key::of(person, practitioner_id)),
                coordinator_key: (!ended && is_care_coordinator).then(|| person.to_string()),
                added_by: coordinator,
                added_at,
                ended_by: ended.then_some(coordinator),
                ended_at,
                end_reason: ended.then(|| END_REASONS[g.rng.random_range(0..END_REASONS.len())].to_owned()),
            });
        }
    }
    Ok(())
}
