//! Synthetic demo data: a Nottinghamshire-shaped deployment with an ICB, one or more neighbourhoods
//! (INTs) each built on a PCN and its practices, the organisations every INT works with, a workforce
//! of every professional role, a registered population with long-term conditions and frailty, and
//! saved cohorts.
//!
//! * Deterministic: the same [`DemoOptions`] give byte-identical rows, UUIDs included. Everything is
//!   drawn from ChaCha8 generators seeded with `seed` (one stream for data, one for ids) and every
//!   timestamp is derived from `today`; nothing reads the clock or the OS's randomness.
//! * Synthetic throughout. Names come from the lists in `names`; places are real Nottinghamshire
//!   towns with real postcode districts but random sectors/units; NHS numbers all come from the test
//!   range 999 000 0000–999 999 9999, which is never issued to real people. The range holds about
//!   909,000 valid numbers; a scale benchmark that needs more people asks for
//!   [`DemoOptions::wrong_check_digits`], and the people beyond get numbers from the same range whose
//!   check digit is deliberately wrong.
//! * ODS codes are invented: the reference pack holds none for these organisations, so each code
//!   starts `ZZ` to mark it as synthetic: practices `ZZP001…`, PCNs `ZZN001…`, and every other
//!   organisation (the ICB, shared providers, VCSE, housing) `ZZX001…`.
//! * Shapes: ages follow ONS mid-2021 for England; frailty is tuned to the eFI figures in the
//!   reference pack and the brief; condition prevalence is a shaped approximation, not a statistic
//!   (see `population`).
//! * History: three years of referrals per neighbourhood (every move through the referral state
//!   machine, caseloads within capacity, feedback to the referrer) and link-worker-led support groups
//!   with sessions, members and registers (see `referrals` and `groups`); care plans, outcome
//!   measures and connections to community assets from that support (`plans`, `directory`); and
//!   six months of fortnightly MDT meetings with the next one's agenda proposed by the server
//!   (`mdt`). They are drawn after everything else, so adding them left the earlier rows unchanged.
//! * Fast: rows are generated in memory, then written in one transaction with multi-row INSERTs
//!   kept under [`MAX_BIND_PARAMETERS`] parameters each.

mod care_team;
mod directory;
mod governance;
mod groups;
mod mdt;
mod names;
mod places;
mod plans;
mod population;
mod referrals;
#[cfg(test)]
mod tests;
mod texts;

use std::sync::LazyLock;

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, Utc};
use entity::{
    access_event, access_event_patient, asset_connection, asset_connection_event, break_glass, care_plan,
    care_plan_action, care_plan_goal, care_plan_revision, care_plan_share, care_team_member, cohort, community_asset,
    community_asset_category, community_asset_condition, community_asset_language, community_asset_session,
    group_attendance, group_participant, group_session, mdt_action, mdt_action_event, mdt_agenda_item, mdt_decision,
    mdt_invitation, mdt_meeting, neighbourhood, neighbourhood_organisation, organisation, outcome_measurement,
    outcome_response, patient, patient_condition, postcode_location, practitioner, referral, referral_event,
    referral_feedback, referral_need, sharing_objection, support_group, OrganisationKind, ProfessionalRole, Sex,
};
use rand::seq::SliceRandom;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, IntoActiveModel, Iterable,
    TransactionTrait,
};
use uuid::Uuid;

use domain::error::{AppError, AppResult};
use domain::frailty::{FrailtyCategory, EFI_DEFICITS};
use domain::nhs_number::NhsNumber;
use domain::patients::{ConditionMatch, PatientCriteria};

use names::{EraNames, Heritage, NamePool};
use places::Area;
use population::CONDITIONS;

/// Most neighbourhoods one demo may create.
pub const MAX_NEIGHBOURHOODS: u32 = 500;

/// Bind parameters per INSERT statement stay below this (SQLite allows 32,766, PostgreSQL 65,535).
pub const MAX_BIND_PARAMETERS: usize = 29_000;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOptions {
    /// Registered patients in total, split evenly across neighbourhoods (remainder to the first).
    pub population: u32,
    pub neighbourhoods: u32,
    pub seed: u64,
    /// The day the data describes: ages, diagnosis dates and every timestamp are relative to it.
    pub today: NaiveDate,
    /// For scale benchmarks only: once the valid test numbers run out, carry on with numbers from
    /// the same never-issued range whose Modulus 11 check digit is wrong. They can be no one's NHS
    /// number, twice over, but the API's own validation would refuse them, so the demo never uses
    /// them unless asked. The valid numbers go first, so the first neighbourhoods hold only those.
    pub wrong_check_digits: bool,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            population: 50_000,
            neighbourhoods: 1,
            seed: 2026,
            today: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default(),
            wrong_check_digits: false,
        }
    }
}

/// Rows written, by table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    pub neighbourhoods: u64,
    pub organisations: u64,
    pub practitioners: u64,
    pub patients: u64,
    pub conditions: u64,
    pub cohorts: u64,
    pub referrals: u64,
    pub referral_needs: u64,
    pub referral_events: u64,
    pub referral_feedback: u64,
    pub support_groups: u64,
    pub group_sessions: u64,
    pub group_participants: u64,
    pub group_attendance: u64,
    pub community_assets: u64,
    pub asset_connections: u64,
    pub postcode_locations: u64,
    pub care_plans: u64,
    pub outcome_measurements: u64,
    pub mdt_meetings: u64,
    pub mdt_actions: u64,
    pub care_team_members: u64,
    pub break_glass_uses: u64,
    pub sharing_objections: u64,
}

const TEST_STEM_FIRST: u64 = 999_000_000;
const TEST_STEM_COUNT: u64 = 1_000_000;
/// Step through the test range's stems; coprime to 10^6, so `j * STEP mod 10^6` visits every stem once.
const STEM_STEP: u64 = 611_953;

static VALID_TEST_NUMBERS: LazyLock<u32> = LazyLock::new(|| {
    (TEST_STEM_FIRST..TEST_STEM_FIRST + TEST_STEM_COUNT).filter(|stem| NhsNumber::from_stem(*stem).is_some()).count()
        as u32
});

/// Maximum population the NHS test range can supply: the number of valid NHS numbers in
/// 999 000 0000..=999 999 9999 (stems whose check digit would be 10 have none).
pub fn max_population() -> u32 {
    *VALID_TEST_NUMBERS
}

/// Numbers with a wrong check digit per stem of the test range: nine of the ten final digits.
const WRONG_DIGITS_PER_STEM: u64 = 9;

/// Maximum population with [`DemoOptions::wrong_check_digits`]: the valid test numbers, then nine
/// wrong-check-digit numbers for every stem of the range.
pub fn max_population_with_wrong_check_digits() -> u32 {
    max_population() + (WRONG_DIGITS_PER_STEM * TEST_STEM_COUNT) as u32
}

/// True when the database holds no organisations and no patients (`serve --demo` seeds only then).
pub async fn is_empty(db: &impl ConnectionTrait) -> AppResult<bool> {
    let no_organisations = organisation::Entity::find().one(db).await?.is_none();
    let no_patients = patient::Entity::find().one(db).await?.is_none();
    Ok(no_organisations && no_patients)
}

/// Seeds everything in ONE transaction (the transaction is passed down; on SQLite a second
/// connection would deadlock). Refuses a database that already holds organisations or patients.
pub async fn seed_demo(db: &DatabaseConnection, opts: &DemoOptions) -> AppResult<DemoSummary> {
    validate(opts)?;
    let data = generate(opts)?;
    let summary = data.summary();

    let txn = db.begin().await?;
    if !is_empty(&txn).await? {
        return Err(AppError::conflict(
            "the database already holds organisations or patients; demo data is only seeded into an empty database"
                .to_owned(),
        ));
    }
    // Parents before children: each organisation level is its own statement.
    insert_batched::<organisation::ActiveModel>(&txn, data.top_organisations).await?;
    insert_batched::<organisation::ActiveModel>(&txn, data.pcns).await?;
    insert_batched::<organisation::ActiveModel>(&txn, data.practices).await?;
    insert_batched::<neighbourhood::ActiveModel>(&txn, data.neighbourhoods).await?;
    insert_batched::<neighbourhood_organisation::ActiveModel>(&txn, data.memberships).await?;
    insert_batched::<practitioner::ActiveModel>(&txn, data.practitioners).await?;
    insert_batched::<patient::ActiveModel>(&txn, data.patients).await?;
    insert_batched::<patient_condition::ActiveModel>(&txn, data.conditions).await?;
    insert_batched::<cohort::ActiveModel>(&txn, data.cohorts).await?;
    insert_batched::<referral::ActiveModel>(&txn, data.referrals).await?;
    insert_batched::<referral_need::ActiveModel>(&txn, data.referral_needs).await?;
    insert_batched::<referral_event::ActiveModel>(&txn, data.referral_events).await?;
    insert_batched::<referral_feedback::ActiveModel>(&txn, data.referral_feedback).await?;
    insert_batched::<support_group::ActiveModel>(&txn, data.support_groups).await?;
    insert_batched::<group_session::ActiveModel>(&txn, data.group_sessions).await?;
    insert_batched::<group_participant::ActiveModel>(&txn, data.group_participants).await?;
    insert_batched::<group_attendance::ActiveModel>(&txn, data.group_attendance).await?;
    insert_batched::<postcode_location::ActiveModel>(&txn, data.postcode_locations).await?;
    insert_batched::<community_asset::ActiveModel>(&txn, data.assets).await?;
    insert_batched::<community_asset_category::ActiveModel>(&txn, data.asset_categories).await?;
    insert_batched::<community_asset_language::ActiveModel>(&txn, data.asset_languages).await?;
    insert_batched::<community_asset_session::ActiveModel>(&txn, data.asset_sessions).await?;
    insert_batched::<community_asset_condition::ActiveModel>(&txn, data.asset_conditions).await?;
    insert_batched::<asset_connection::ActiveModel>(&txn, data.connections).await?;
    insert_batched::<asset_connection_event::ActiveModel>(&txn, data.connection_events).await?;
    insert_batched::<care_plan::ActiveModel>(&txn, data.plans).await?;
    insert_batched::<care_plan_goal::ActiveModel>(&txn, data.plan_goals).await?;
    insert_batched::<care_plan_action::ActiveModel>(&txn, data.plan_actions).await?;
    insert_batched::<care_plan_revision::ActiveModel>(&txn, data.plan_revisions).await?;
    insert_batched::<care_plan_share::ActiveModel>(&txn, data.plan_shares).await?;
    insert_batched::<care_team_member::ActiveModel>(&txn, data.care_team_members).await?;
    insert_batched::<break_glass::ActiveModel>(&txn, data.break_glass_uses).await?;
    insert_batched::<sharing_objection::ActiveModel>(&txn, data.sharing_objections).await?;
    insert_batched::<access_event::ActiveModel>(&txn, data.access_events).await?;
    insert_batched::<access_event_patient::ActiveModel>(&txn, data.access_event_patients).await?;
    insert_batched::<outcome_measurement::ActiveModel>(&txn, data.measurements).await?;
    insert_batched::<outcome_response::ActiveModel>(&txn, data.responses).await?;
    insert_batched::<mdt_meeting::ActiveModel>(&txn, data.mdt_meetings).await?;
    insert_batched::<mdt_invitation::ActiveModel>(&txn, data.mdt_invitations).await?;
    insert_batched::<mdt_agenda_item::ActiveModel>(&txn, data.mdt_agenda_items).await?;
    insert_batched::<mdt_decision::ActiveModel>(&txn, data.mdt_decisions).await?;
    insert_batched::<mdt_action::ActiveModel>(&txn, data.mdt_actions).await?;
    insert_batched::<mdt_action_event::ActiveModel>(&txn, data.mdt_action_events).await?;
    // The next meetings' agendas come from the server's own proposal over what is written above,
    // planned with statistics of it (the few agenda rows added after do not change them).
    domain::sql::refresh_statistics(&txn).await?;
    let proposed = mdt::propose_upcoming(&txn, &data.upcoming_meetings, opts.today).await?;
    insert_batched::<mdt_agenda_item::ActiveModel>(&txn, proposed).await?;
    txn.commit().await?;
    Ok(summary)
}

fn validate(opts: &DemoOptions) -> AppResult<()> {
    let (max, numbers) = if opts.wrong_check_digits {
        (max_population_with_wrong_check_digits(), "a distinct number, valid or with a wrong check digit,")
    } else {
        (max_population(), "a distinct valid NHS number")
    };
    if opts.population == 0 || opts.population > max {
        let hint = if opts.wrong_check_digits {
            ""
        } else {
            " (a scale benchmark may ask for numbers with a wrong check digit beyond them)"
        };
        return Err(AppError::bad_input(
            "population",
            format!(
                "must be between 1 and {max}: every demo patient gets {numbers} from the test range 999 000 0000–999 999 9999, which holds {max}; got {}{hint}",
                opts.population
            ),
        ));
    }
    if opts.neighbourhoods == 0 || opts.neighbourhoods > MAX_NEIGHBOURHOODS || opts.neighbourhoods > opts.population {
        return Err(AppError::bad_input(
            "neighbourhoods",
            format!(
                "must be between 1 and {MAX_NEIGHBOURHOODS} and no more than the population ({}); got {}",
                opts.population, opts.neighbourhoods
            ),
        ));
    }
    if !(1950..=2500).contains(&opts.today.year()) {
        return Err(AppError::bad_input(
            "today",
            format!("must be a date between the years 1950 and 2500; got {}", opts.today),
        ));
    }
    Ok(())
}

/// Writes rows with multi-row INSERTs, as many rows per statement as the parameter limit allows.
async fn insert_batched<A>(txn: &DatabaseTransaction, rows: Vec<<A::Entity as EntityTrait>::Model>) -> AppResult<()>
where
    A: ActiveModelTrait + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    let columns = <<A::Entity as EntityTrait>::Column as Iterable>::iter().count().max(1);
    let per_statement = (MAX_BIND_PARAMETERS / columns).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<A> = rows.by_ref().take(per_statement).map(IntoActiveModel::into_active_model).collect();
        A::Entity::insert_many(batch).exec_without_returning(txn).await?;
    }
    Ok(())
}

/// Everything the demo writes, in memory.
#[derive(Default)]
struct DemoData {
    /// The ICB and the organisations shared by every neighbourhood (no parent, or the ICB).
    top_organisations: Vec<organisation::Model>,
    pcns: Vec<organisation::Model>,
    practices: Vec<organisation::Model>,
    neighbourhoods: Vec<neighbourhood::Model>,
    memberships: Vec<neighbourhood_organisation::Model>,
    practitioners: Vec<practitioner::Model>,
    patients: Vec<patient::Model>,
    conditions: Vec<patient_condition::Model>,
    cohorts: Vec<cohort::Model>,
    /// Oldest first, across neighbourhoods (the order they arrived).
    referrals: Vec<referral::Model>,
    referral_needs: Vec<referral_need::Model>,
    /// Referral by referral, each referral's in the order they happened.
    referral_events: Vec<referral_event::Model>,
    referral_feedback: Vec<referral_feedback::Model>,
    support_groups: Vec<support_group::Model>,
    group_sessions: Vec<group_session::Model>,
    group_participants: Vec<group_participant::Model>,
    group_attendance: Vec<group_attendance::Model>,
    assets: Vec<community_asset::Model>,
    asset_categories: Vec<community_asset_category::Model>,
    asset_languages: Vec<community_asset_language::Model>,
    asset_sessions: Vec<community_asset_session::Model>,
    asset_conditions: Vec<community_asset_condition::Model>,
    connections: Vec<asset_connection::Model>,
    connection_events: Vec<asset_connection_event::Model>,
    postcode_locations: Vec<postcode_location::Model>,
    plans: Vec<care_plan::Model>,
    plan_goals: Vec<care_plan_goal::Model>,
    plan_actions: Vec<care_plan_action::Model>,
    plan_revisions: Vec<care_plan_revision::Model>,
    plan_shares: Vec<care_plan_share::Model>,
    care_team_members: Vec<care_team_member::Model>,
    break_glass_uses: Vec<break_glass::Model>,
    sharing_objections: Vec<sharing_objection::Model>,
    /// The reads the break-glass uses opened, as the access audit recorded them.
    access_events: Vec<access_event::Model>,
    access_event_patients: Vec<access_event_patient::Model>,
    /// Baselines before the follow-ups that name them.
    measurements: Vec<outcome_measurement::Model>,
    responses: Vec<outcome_response::Model>,
    mdt_meetings: Vec<mdt_meeting::Model>,
    mdt_invitations: Vec<mdt_invitation::Model>,
    mdt_agenda_items: Vec<mdt_agenda_item::Model>,
    mdt_decisions: Vec<mdt_decision::Model>,
    mdt_actions: Vec<mdt_action::Model>,
    mdt_action_events: Vec<mdt_action_event::Model>,
    /// Each neighbourhood's next meeting: its agenda is proposed after the rest is written.
    upcoming_meetings: Vec<mdt::Upcoming>,
}

impl DemoData {
    fn summary(&self) -> DemoSummary {
        let n = |len: usize| len as u64;
        DemoSummary {
            neighbourhoods: n(self.neighbourhoods.len()),
            organisations: n(self.top_organisations.len() + self.pcns.len() + self.practices.len()),
            practitioners: n(self.practitioners.len()),
            patients: n(self.patients.len()),
            conditions: n(self.conditions.len()),
            cohorts: n(self.cohorts.len()),
            referrals: n(self.referrals.len()),
            referral_needs: n(self.referral_needs.len()),
            referral_events: n(self.referral_events.len()),
            referral_feedback: n(self.referral_feedback.len()),
            support_groups: n(self.support_groups.len()),
            group_sessions: n(self.group_sessions.len()),
            group_participants: n(self.group_participants.len()),
            group_attendance: n(self.group_attendance.len()),
            community_assets: n(self.assets.len()),
            asset_connections: n(self.connections.len()),
            postcode_locations: n(self.postcode_locations.len()),
            care_plans: n(self.plans.len()),
            outcome_measurements: n(self.measurements.len()),
            mdt_meetings: n(self.mdt_meetings.len()),
            mdt_actions: n(self.mdt_actions.len()),
            care_team_members: n(self.care_team_members.len()),
            break_glass_uses: n(self.break_glass_uses.len()),
            sharing_objections: n(self.sharing_objections.len()),
        }
    }
}

/// Where a role's practitioners work.
#[derive(Clone, Copy)]
enum Base {
    /// Spread over the neighbourhood's practices by list size.
    Practices,
    Pcn,
    /// The shared organisation of this kind.
    Shared(OrganisationKind),
    /// Spread over the VCSE organisations.
    Vcse,
}

#[derive(Clone, Copy)]
enum Headcount {
    /// Per 50,000 registered people, at least one per neighbourhood.
    Per50k(f64),
    OnePerNeighbourhood,
    /// One in the whole deployment, at the ICB.
    OneInTotal,
}

struct Staffing {
    headcount: Headcount,
    base: Base,
    /// Inclusive range of caseload capacity, for caseload-holding roles.
    capacity: Option<(i32, i32)>,
    female_share: f64,
    fte: &'static [(f64, f64)],
}

const FTE_SESSIONAL: &[(f64, f64)] = &[(0.4, 1.0), (0.6, 3.0), (0.8, 3.0), (1.0, 3.0)];
const FTE_PART_TIME: &[(f64, f64)] = &[(0.4, 2.0), (0.6, 3.0), (0.8, 2.0), (1.0, 3.0)];
const FTE_MOSTLY_FULL: &[(f64, f64)] = &[(0.6, 2.0), (0.8, 3.0), (1.0, 5.0)];
const FTE_FULL: &[(f64, f64)] = &[(1.0, 1.0)];

/// Typical staffing per 50,000 people (an INT's upper size). Exhaustive, so a new role must be staffed.
fn staffing(role: ProfessionalRole) -> Staffing {
    use ProfessionalRole as R;
    let s = |per_50k: f64, base, capacity, female_share, fte| Staffing {
        headcount: Headcount::Per50k(per_50k),
        base,
        capacity,
        female_share,
        fte,
    };
    match role {
        R::Gp => s(28.0, Base::Practices, None, 0.55, FTE_SESSIONAL),
        R::PracticeNurse => s(12.0, Base::Practices, None, 0.9, FTE_PART_TIME),
        R::Pharmacist => s(4.0, Base::Practices, None, 0.6, FTE_MOSTLY_FULL),
        R::Receptionist => s(10.0, Base::Practices, None, 0.9, FTE_PART_TIME),
        // The briefing: average SPLW caseloads of 30–40 people at any one time.
        R::SocialPrescribingLinkWorker => {
            s(4.0, Base::Shared(OrganisationKind::SplwProvider), Some((30, 40)), 0.75, FTE_MOSTLY_FULL)
        }
        R::HealthAndWellbeingCoach => s(2.0, Base::Pcn, Some((36, 44)), 0.75, FTE_MOSTLY_FULL),
        R::CareCoordinator => s(3.0, Base::Pcn, Some((55, 65)), 0.8, FTE_MOSTLY_FULL),
        R::SocialWorker => {
            s(6.0, Base::Shared(OrganisationKind::AdultSocialCare), Some((22, 28)), 0.8, FTE_MOSTLY_FULL)
        }
        R::MentalHealthPractitioner => {
            s(4.0, Base::Shared(OrganisationKind::MentalHealthTrust), Some((27, 33)), 0.7, FTE_MOSTLY_FULL)
        }
        R::DistrictNurse => s(8.0, Base::Shared(OrganisationKind::CommunityHealthTrust), None, 0.9, FTE_MOSTLY_FULL),
        R::OccupationalTherapist => {
            s(2.0, Base::Shared(OrganisationKind::CommunityHealthTrust), None, 0.85, FTE_MOSTLY_FULL)
        }
        R::VcseWorker => s(6.0, Base::Vcse, None, 0.7, FTE_PART_TIME),
        R::IntCoordinator => {
            Staffing { headcount: Headcount::OnePerNeighbourhood, ..s(0.0, Base::Pcn, None, 0.6, FTE_FULL) }
        }
        R::Commissioner => Staffing { headcount: Headcount::OneInTotal, ..s(0.0, Base::Pcn, None, 0.6, FTE_FULL) },
        // One per neighbourhood, hired with its governance (`governance::generate`), after the
        // rest of the demo is drawn.
        R::PrivacyOfficer => {
            Staffing { headcount: Headcount::OneInTotal, ..s(0.0, Base::Pcn, None, 0.7, FTE_MOSTLY_FULL) }
        }
        // The deployment's administrator, at the ICB, after the rest of the demo is drawn; an
        // organisation's administrator is added by them, not by the demo.
        R::DeploymentAdministrator | R::OrganisationAdministrator => {
            Staffing { headcount: Headcount::OneInTotal, ..s(0.0, Base::Pcn, None, 0.6, FTE_FULL) }
        }
    }
}

/// A practice while its patients are being registered.
struct PracticeCtx {
    index: usize,
    id: Uuid,
    district: &'static str,
    /// Relative size, used to register patients.
    weight: f64,
    deprivation_mean: f64,
    registered: u32,
}

struct NeighbourhoodCtx {
    id: Uuid,
    area: &'static Area,
    population: u32,
    pcn_id: Uuid,
    practices: Vec<PracticeCtx>,
    created_at: DateTime<Utc>,
    /// Where its registered people sit in `DemoData::patients`.
    patients: std::ops::Range<usize>,
    /// Where the staff hired for it sit in `DemoData::practitioners` (shared organisations included).
    staff: std::ops::Range<usize>,
}

impl NeighbourhoodCtx {
    /// The neighbourhood's social prescribing link workers, as (practitioner, organisation).
    fn link_workers(&self, data: &DemoData) -> Vec<(Uuid, Uuid)> {
        data.practitioners[self.staff.clone()]
            .iter()
            .filter(|p| p.professional_role == ProfessionalRole::SocialPrescribingLinkWorker)
            .map(|p| (p.id, p.organisation_id))
            .collect()
    }
}

/// Deterministic source of everything random.
struct Gen {
    rng: ChaCha8Rng,
    ids: ChaCha8Rng,
    today: NaiveDate,
    /// Position in the scrambled walk over the test range: the first pass yields the valid
    /// numbers, the next [`WRONG_DIGITS_PER_STEM`] passes (when allowed) the wrong check digits.
    stem_position: u64,
    stem_offset: u64,
    wrong_check_digits: bool,
}

impl Gen {
    fn new(seed: u64, today: NaiveDate) -> Self {
        let rng = ChaCha8Rng::seed_from_u64(seed);
        let mut ids = rng.clone();
        ids.set_stream(1);
        Self { rng, ids, today, stem_position: 0, stem_offset: seed % TEST_STEM_COUNT, wrong_check_digits: false }
    }

    /// Lets [`Gen::nhs_number`] go on past the valid test numbers (see [`DemoOptions::wrong_check_digits`]).
    fn with_wrong_check_digits(mut self, allowed: bool) -> Self {
        self.wrong_check_digits = allowed;
        self
    }

    /// The stem at a position of the scrambled walk (every pass visits the stems in the same order).
    fn stem_at(&self, position: u64) -> u64 {
        let j = position % TEST_STEM_COUNT + self.stem_offset;
        TEST_STEM_FIRST + (j % TEST_STEM_COUNT) * STEM_STEP % TEST_STEM_COUNT
    }

    fn uuid(&mut self) -> Uuid {
        let mut bytes = [0u8; 16];
        self.ids.fill_bytes(&mut bytes);
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }

    /// The next unused number from the test range, in a scrambled but fixed order, as ten digits:
    /// every valid number first; then, if allowed, the stems again with each wrong check digit in
    /// turn (the valid digit plus 1, plus 2 … plus 9, mod 10; stems without a valid digit count
    /// from 0, so their 0 is never used).
    fn nhs_number(&mut self) -> AppResult<String> {
        while self.stem_position < TEST_STEM_COUNT {
            let stem = self.stem_at(self.stem_position);
            self.stem_position += 1;
            if let Some(number) = NhsNumber::from_stem(stem) {
                return Ok(number.as_digits());
            }
        }
        let end = TEST_STEM_COUNT * (1 + WRONG_DIGITS_PER_STEM);
        if self.wrong_check_digits && self.stem_position < end {
            let pass = self.stem_position / TEST_STEM_COUNT;
            let stem = self.stem_at(self.stem_position);
            self.stem_position += 1;
            let valid = domain::nhs_number::check_digit(stem).unwrap_or(0);
            let digit = (u64::from(valid) + pass) % 10;
            return Ok(format!("{:010}", stem * 10 + digit));
        }
        Err(AppError::bad_input("population", "the NHS test-number range is exhausted"))
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.random_range(0..items.len())]
    }

    fn pick_weighted<T: Copy>(&mut self, items: &[(T, f64)]) -> T {
        items[population::weighted_index(&mut self.rng, items.iter().map(|(_, w)| *w))].0
    }

    fn days_before(&mut self, date: NaiveDate, min: u64, max: u64) -> NaiveDate {
        let back = self.rng.random_range(min..=max);
        date.checked_sub_days(Days::new(back)).unwrap_or(date)
    }

    fn given_name(&mut self, heritage: Heritage, female: bool, birth_year: Option<i32>) -> String {
        match heritage {
            Heritage::English => {
                let era: &EraNames = if female { &names::ENGLISH_FEMALE } else { &names::ENGLISH_MALE };
                let list = match birth_year {
                    Some(y) if y < 1960 => era.traditional,
                    Some(y) if y < 1995 => era.middle,
                    Some(_) => era.modern,
                    // Working-age staff: mostly born 1960–1994.
                    None => self.pick_weighted(&[(era.traditional, 0.1), (era.middle, 0.7), (era.modern, 0.2)]),
                };
                self.pick(list).to_owned()
            }
            Heritage::Pool(pool) => self.pick(if female { pool.female } else { pool.male }).to_owned(),
        }
    }

    fn family_name(&mut self, heritage: Heritage, female: bool) -> String {
        match heritage {
            Heritage::English => self.pick(names::ENGLISH_FAMILY).to_owned(),
            Heritage::Pool(pool) => {
                let name = self.pick(pool.family);
                // Polish surnames in -ski/-cki take -ska/-cka for women.
                if female && std::ptr::eq(pool, &names::POLISH) && name.ends_with("ki") {
                    format!("{}a", &name[..name.len() - 1])
                } else {
                    name.to_owned()
                }
            }
        }
    }

    fn interpreter_language(&mut self, pool: &NamePool, age: u32) -> Option<String> {
        if age < 16 || pool.languages.is_empty() {
            return None;
        }
        // Older people in each community are likelier to need an interpreter.
        let share = (pool.interpreter_share * if age >= 65 { 1.3 } else { 1.0 }).min(0.9);
        if self.rng.random_bool(share) {
            Some(self.pick_weighted(pool.languages).to_owned())
        } else {
            None
        }
    }
}

fn at(date: NaiveDate, minutes_after_midnight: i64) -> DateTime<Utc> {
    date.and_time(NaiveTime::MIN).and_utc() + chrono::Duration::minutes(minutes_after_midnight)
}

/// Splits `count` over items by weight: one each first while there are enough, the rest by
/// largest remainder. With fewer than one each, the heaviest items get one.
fn allocate(count: u32, weights: &[f64]) -> Vec<u32> {
    let n = weights.len();
    let mut out = vec![0u32; n];
    if n == 0 || count == 0 {
        return out;
    }
    let mut by_weight: Vec<usize> = (0..n).collect();
    by_weight.sort_by(|a, b| weights[*b].total_cmp(&weights[*a]).then(a.cmp(b)));
    if (count as usize) < n {
        for &i in by_weight.iter().take(count as usize) {
            out[i] = 1;
        }
        return out;
    }
    out.iter_mut().for_each(|c| *c = 1);
    let rest = count - n as u32;
    let total: f64 = weights.iter().sum();
    let share = |i: usize| {
        if total > 0.0 {
            f64::from(rest) * weights[i] / total
        } else {
            f64::from(rest) / n as f64
        }
    };
    let mut given = 0;
    for (i, slot) in out.iter_mut().enumerate() {
        let whole = share(i).floor() as u32;
        *slot += whole;
        given += whole;
    }
    let mut remainders: Vec<usize> = (0..n).collect();
    remainders.sort_by(|a, b| {
        let (ra, rb) = (share(*a).fract(), share(*b).fract());
        rb.total_cmp(&ra).then(a.cmp(b))
    });
    for &i in remainders.iter().cycle().take((rest - given) as usize) {
        out[i] += 1;
    }
    out
}

fn generate(opts: &DemoOptions) -> AppResult<DemoData> {
    let today = opts.today;
    let mut g = Gen::new(opts.seed, today).with_wrong_check_digits(opts.wrong_check_digits);
    let mut data = DemoData {
        patients: Vec::with_capacity(opts.population as usize),
        conditions: Vec::with_capacity(opts.population as usize),
        ..Default::default()
    };
    let shared = shared_organisations(&mut g, &mut data);
    let mut contexts = neighbourhoods(&mut g, opts, &shared, &mut data);
    register_population(&mut g, &mut contexts, at(today, 0), &mut data)?;
    let coordinators = hire_workforce(&mut g, &mut contexts, &shared, &mut data)?;
    save_cohorts(&mut g, &contexts, &coordinators, &mut data)?;
    history(&mut g, &contexts, &shared.organisations, &mut data)?;
    for (ctx, coordinator) in contexts.iter().zip(&coordinators) {
        care_team::generate(&mut g, ctx, *coordinator, &mut data)?;
    }
    for ctx in &contexts {
        governance::generate(&mut g, ctx, &mut data)?;
    }
    // The deployment's administrator, at the ICB (drawn last, so the rest of the demo is as it was).
    let administrator =
        new_practitioner(&mut g, ProfessionalRole::DeploymentAdministrator, shared.icb_id, shared.since);
    data.practitioners.push(administrator);
    // Written in the order they arrived, across neighbourhoods, as a live system writes them, so
    // that the physical layout is a live one's. Written neighbourhood by neighbourhood, the 100
    // newest closed referrals of the county-wide provider lay on 77 heap pages at 100
    // neighbourhoods; in arrival order on 68 (interleaved with other services' referrals of the
    // same weeks), against 13 in one neighbourhood.
    data.referrals.sort_by_key(|r| (r.created_at, r.id));
    Ok(data)
}

/// The organisations above the neighbourhoods: the ICB and those every neighbourhood shares.
struct Shared {
    icb_id: Uuid,
    /// The shared organisations in `places::SHARED_ORGANISATIONS` order.
    organisations: Vec<(OrganisationKind, Uuid)>,
    /// When the organisations were registered.
    since: DateTime<Utc>,
}

impl Shared {
    fn of(&self, kind: OrganisationKind) -> AppResult<Uuid> {
        self.organisations
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, id)| *id)
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("no shared organisation of kind {kind:?}")))
    }

    fn vcse(&self) -> Vec<Uuid> {
        self.organisations.iter().filter(|(k, _)| *k == OrganisationKind::Vcse).map(|(_, id)| *id).collect()
    }
}

/// The ICB, the organisations every neighbourhood shares, and the deployment's one commissioner
/// (at the ICB).
fn shared_organisations(g: &mut Gen, data: &mut DemoData) -> Shared {
    let since = at(g.today - Days::new(730), 9 * 60);
    let mut other_code = 0u32;
    let mut next_other_code = || {
        other_code += 1;
        format!("ZZX{other_code:03}")
    };
    let icb_id = g.uuid();
    let icb_postcode = places::postcode(&mut g.rng, places::ICB_DISTRICT);
    data.top_organisations.push(organisation::Model {
        id: icb_id,
        ods_code: next_other_code(),
        name: places::ICB_NAME.to_owned(),
        kind: OrganisationKind::Icb,
        parent_id: None,
        list_size: None,
        postcode: Some(icb_postcode),
        created_at: since,
    });
    let mut organisations: Vec<(OrganisationKind, Uuid)> = Vec::new();
    for (name, kind, district) in places::SHARED_ORGANISATIONS {
        let id = g.uuid();
        let postcode = places::postcode(&mut g.rng, district);
        data.top_organisations.push(organisation::Model {
            id,
            ods_code: next_other_code(),
            name: (*name).to_owned(),
            kind: *kind,
            parent_id: None,
            list_size: None,
            postcode: Some(postcode),
            created_at: since,
        });
        organisations.push((*kind, id));
    }
    let commissioner = new_practitioner(g, ProfessionalRole::Commissioner, icb_id, since + chrono::Duration::days(30));
    data.practitioners.push(commissioner);
    Shared { icb_id, organisations, since }
}

/// The neighbourhoods, each with its PCN, five to seven practices in its places, and its
/// membership (the PCN, the practices and every shared organisation); no people yet.
fn neighbourhoods(g: &mut Gen, opts: &DemoOptions, shared: &Shared, data: &mut DemoData) -> Vec<NeighbourhoodCtx> {
    let n = opts.neighbourhoods;
    let mut contexts = Vec::with_capacity(n as usize);
    let mut practice_code = 0u32;
    for k in 0..n {
        let area = &places::AREAS[(k as usize) % places::AREAS.len()];
        let round = k as usize / places::AREAS.len();
        let label = if round == 0 { area.stem.to_owned() } else { format!("{} {}", area.stem, round + 1) };
        let population = opts.population / n + if k == 0 { opts.population % n } else { 0 };
        let created_at = at(g.today - Days::new(365), 9 * 60 + i64::from(k));

        let id = g.uuid();
        data.neighbourhoods.push(neighbourhood::Model {
            id,
            name: format!("{label} INT"),
            planned_population: population as i32,
            created_at,
        });

        let pcn_id = g.uuid();
        let pcn_postcode = places::postcode(&mut g.rng, area.places[0].1);
        data.pcns.push(organisation::Model {
            id: pcn_id,
            ods_code: format!("ZZN{:03}", k + 1),
            name: format!("{label} PCN"),
            kind: OrganisationKind::Pcn,
            parent_id: Some(shared.icb_id),
            list_size: None,
            postcode: Some(pcn_postcode),
            created_at: shared.since,
        });
        let practices = practices(g, area, pcn_id, &mut practice_code, shared.since, data);

        let members = std::iter::once(pcn_id)
            .chain(practices.iter().map(|p| p.id))
            .chain(shared.organisations.iter().map(|(_, id)| *id));
        for organisation_id in members {
            let joined_at = created_at
                + chrono::Duration::days(g.rng.random_range(0..=90))
                + chrono::Duration::minutes(g.rng.random_range(0..480));
            data.memberships.push(neighbourhood_organisation::Model {
                neighbourhood_id: id,
                organisation_id,
                joined_at,
            });
        }
        contexts.push(NeighbourhoodCtx {
            id,
            area,
            population,
            pcn_id,
            practices,
            created_at,
            patients: 0..0,
            staff: 0..0,
        });
    }
    contexts
}

/// Five to seven practices of a PCN, one in each of as many of its area's places, each with a
/// relative size and a deprivation of its own around the area's.
fn practices(
    g: &mut Gen,
    area: &'static places::Area,
    pcn_id: Uuid,
    practice_code: &mut u32,
    since: DateTime<Utc>,
    data: &mut DemoData,
) -> Vec<PracticeCtx> {
    let practice_count = g.rng.random_range(5..=7usize).min(area.places.len());
    let mut place_order: Vec<usize> = (0..area.places.len()).collect();
    place_order.shuffle(&mut g.rng);
    let mut practices = Vec::with_capacity(practice_count);
    for &p in place_order.iter().take(practice_count) {
        let (place, district) = area.places[p];
        let (before, after) = g.pick(places::PRACTICE_NAME_FORMS);
        *practice_code += 1;
        let practice_id = g.uuid();
        let postcode = places::postcode(&mut g.rng, district);
        data.practices.push(organisation::Model {
            id: practice_id,
            ods_code: format!("ZZP{practice_code:03}"),
            name: format!("{before}{place}{after}"),
            kind: OrganisationKind::GpPractice,
            parent_id: Some(pcn_id),
            list_size: Some(0),
            postcode: Some(postcode),
            created_at: since,
        });
        practices.push(PracticeCtx {
            index: data.practices.len() - 1,
            id: practice_id,
            district,
            weight: g.rng.random_range(0.5..1.6),
            deprivation_mean: (area.deprivation_mean + g.rng.random_range(-1.5..1.5)).clamp(1.0, 10.0),
            registered: 0,
        });
    }
    practices
}

/// Each neighbourhood's registered people, with the practices' list sizes they make.
fn register_population(
    g: &mut Gen,
    contexts: &mut [NeighbourhoodCtx],
    imported_at: DateTime<Utc>,
    data: &mut DemoData,
) -> AppResult<()> {
    let codes: Vec<String> = CONDITIONS.iter().map(|c| condition_code(c.key)).collect::<AppResult<_>>()?;
    for ctx in contexts {
        let first_patient = data.patients.len();
        for _ in 0..ctx.population {
            let nhs_number = g.nhs_number()?;
            generate_patient(g, ctx, nhs_number, &codes, imported_at, data);
        }
        for practice in &ctx.practices {
            data.practices[practice.index].list_size = Some(practice.registered as i32);
        }
        ctx.patients = first_patient..data.patients.len();
    }
    Ok(())
}

/// The workforce, sized to each neighbourhood's population (`staffing`), returning each
/// neighbourhood's INT coordinator.
fn hire_workforce(
    g: &mut Gen,
    contexts: &mut [NeighbourhoodCtx],
    shared: &Shared,
    data: &mut DemoData,
) -> AppResult<Vec<Uuid>> {
    let vcse = shared.vcse();
    let mut int_coordinators = Vec::with_capacity(contexts.len());
    for (k, ctx) in contexts.iter_mut().enumerate() {
        let first_staff = data.practitioners.len();
        let mut coordinator = None;
        for role in ProfessionalRole::iter() {
            let staffing = staffing(role);
            let count = match staffing.headcount {
                Headcount::OneInTotal => continue,
                Headcount::OnePerNeighbourhood => 1,
                Headcount::Per50k(rate) => ((rate * f64::from(ctx.population) / 50_000.0).round() as u32).max(1),
            };
            let mut workplaces: Vec<Uuid> = Vec::with_capacity(count as usize);
            match staffing.base {
                Base::Practices => {
                    let sizes: Vec<f64> = ctx.practices.iter().map(|p| f64::from(p.registered)).collect();
                    for (practice, staff) in ctx.practices.iter().zip(allocate(count, &sizes)) {
                        workplaces.extend(std::iter::repeat_n(practice.id, staff as usize));
                    }
                }
                Base::Pcn => workplaces.extend(std::iter::repeat_n(ctx.pcn_id, count as usize)),
                Base::Shared(kind) => workplaces.extend(std::iter::repeat_n(shared.of(kind)?, count as usize)),
                Base::Vcse => {
                    for i in 0..count as usize {
                        workplaces.push(vcse[(k * 3 + i) % vcse.len()]);
                    }
                }
            }
            for organisation_id in workplaces {
                let created_at = ctx.created_at + chrono::Duration::days(g.rng.random_range(0..=300));
                let practitioner = new_practitioner(g, role, organisation_id, created_at);
                if role == ProfessionalRole::IntCoordinator {
                    coordinator = Some(practitioner.id);
                }
                data.practitioners.push(practitioner);
            }
        }
        ctx.staff = first_staff..data.practitioners.len();
        int_coordinators.push(
            coordinator
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("neighbourhood without an INT coordinator")))?,
        );
    }
    Ok(int_coordinators)
}

/// Saved cohorts, made by each neighbourhood's INT coordinator: the proactive care cohort, severe
/// frailty at 80 and over, heart failure or COPD, and the largest practice's older patients.
fn save_cohorts(
    g: &mut Gen,
    contexts: &[NeighbourhoodCtx],
    coordinators: &[Uuid],
    data: &mut DemoData,
) -> AppResult<()> {
    let heart_failure = condition_code("heart_failure")?;
    let copd = condition_code("copd")?;
    for (ctx, coordinator) in contexts.iter().zip(coordinators) {
        let largest = ctx
            .practices
            .iter()
            .max_by(|a, b| a.registered.cmp(&b.registered).then(b.index.cmp(&a.index)))
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("neighbourhood without practices")))?;
        let practice_name = data.practices[largest.index].name.clone();
        let cohorts = [
            (
                "Moderate or severe frailty with 2+ long-term conditions".to_owned(),
                "eFI moderate or severe and at least two coded long-term conditions: the proactive care cohort reviewed at the MDT.",
                PatientCriteria {
                    frailty_categories: vec![FrailtyCategory::Moderate, FrailtyCategory::Severe],
                    min_condition_count: Some(2),
                    ..Default::default()
                },
            ),
            (
                "Severe frailty, 80 and over".to_owned(),
                "Severe frailty by eFI, aged 80 and over: candidates for anticipatory care planning.",
                PatientCriteria {
                    frailty_categories: vec![FrailtyCategory::Severe],
                    age_min: Some(80),
                    ..Default::default()
                },
            ),
            (
                "Heart failure or COPD".to_owned(),
                "On the heart failure or COPD register: winter checks and breathlessness support.",
                PatientCriteria {
                    condition_codes: vec![heart_failure.clone(), copd.clone()],
                    condition_match: ConditionMatch::Any,
                    ..Default::default()
                },
            ),
            (
                format!("{practice_name}: 75 and over, mild frailty or worse"),
                "One practice's older patients with any eFI frailty, for its own proactive review list.",
                PatientCriteria {
                    frailty_categories: vec![
                        FrailtyCategory::Mild,
                        FrailtyCategory::Moderate,
                        FrailtyCategory::Severe,
                    ],
                    age_min: Some(75),
                    practice_id: Some(largest.id),
                    ..Default::default()
                },
            ),
        ];
        for (name, description, criteria) in cohorts {
            let definition = serde_json::to_string(&criteria.validated()?).map_err(AppError::internal)?;
            let created_on = g.days_before(g.today, 7, 60);
            let id = g.uuid();
            data.cohorts.push(cohort::Model {
                id,
                neighbourhood_id: ctx.id,
                name,
                description: Some(description.to_owned()),
                definition,
                created_by: *coordinator,
                created_at: at(created_on, 10 * 60 + g.rng.random_range(0..360)),
            });
        }
    }
    Ok(())
}

/// The history, from the same generators, after the rows it is about (which do not depend on it):
/// referrals, then support groups, the directory and connections to it, where every postcode is,
/// plans and outcome measures, and MDT meetings last of all.
fn history(
    g: &mut Gen,
    contexts: &[NeighbourhoodCtx],
    shared: &[(OrganisationKind, Uuid)],
    data: &mut DemoData,
) -> AppResult<()> {
    let mut condition_counts: std::collections::HashMap<Uuid, u32> = std::collections::HashMap::new();
    for c in &data.conditions {
        *condition_counts.entry(c.patient_id).or_default() += 1;
    }
    let mut spells = Vec::with_capacity(contexts.len());
    for ctx in contexts {
        spells.push(referrals::generate(g, ctx, shared, &condition_counts, data)?);
    }
    for (ctx, spells) in contexts.iter().zip(&spells) {
        groups::generate(g, ctx, spells, data)?;
    }
    for (ctx, spells) in contexts.iter().zip(&spells) {
        directory::generate(g, ctx, data)?;
        directory::connect(g, ctx, spells, data)?;
    }
    directory::locations(data);
    for (ctx, spells) in contexts.iter().zip(&spells) {
        plans::generate(g, ctx, spells, data)?;
    }
    for ctx in contexts {
        mdt::generate(g, ctx, data)?;
    }
    Ok(())
}

fn condition_code(key: &str) -> AppResult<String> {
    domain::conditions::by_key(key)
        .map(|c| c.snomed_code.clone())
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("condition {key} missing from the catalogue")))
}

fn new_practitioner(
    g: &mut Gen,
    role: ProfessionalRole,
    organisation_id: Uuid,
    created_at: DateTime<Utc>,
) -> practitioner::Model {
    let staffing = staffing(role);
    let female = g.rng.random_bool(staffing.female_share);
    let heritage = g.pick_weighted(names::WORKFORCE_HERITAGE);
    let given_name = g.given_name(heritage, female, None);
    let family_name = g.family_name(heritage, female);
    let fte = g.pick_weighted(staffing.fte);
    let caseload_capacity = staffing.capacity.map(|(lo, hi)| g.rng.random_range(lo..=hi));
    let id = g.uuid();
    practitioner::Model {
        id,
        given_name,
        family_name,
        professional_role: role,
        organisation_id,
        fte,
        caseload_capacity,
        active: true,
        created_at,
        // The demo's identity provider is `neighbourhood token`, which signs with this subject.
        identity_subject: Some(id.to_string()),
        left_at: None,
        staff_ref: None,
    }
}

fn generate_patient(
    g: &mut Gen,
    ctx: &mut NeighbourhoodCtx,
    nhs_number: String,
    codes: &[String],
    imported_at: DateTime<Utc>,
    data: &mut DemoData,
) {
    let today = g.today;
    let rng = &mut g.rng;
    let age = population::draw_age(rng);
    let female = rng.random_bool(population::female_share(age));
    let date_of_birth = population::date_of_birth(rng, today, age);
    let heritage =
        names::PATIENT_HERITAGE[population::weighted_index(rng, names::PATIENT_HERITAGE.iter().map(|(_, w)| *w))].0;

    let practice_index = population::weighted_index(rng, ctx.practices.iter().map(|p| p.weight));
    let practice = &mut ctx.practices[practice_index];
    practice.registered += 1;
    let district = if rng.random_bool(0.8) {
        practice.district
    } else {
        ctx.area.places[rng.random_range(0..ctx.area.places.len())].1
    };
    let postcode = places::postcode(rng, district);
    let spread: f64 = (0..3).map(|_| rng.random::<f64>()).sum::<f64>() - 1.5;
    let deprivation_decile = (practice.deprivation_mean + spread * 3.0).round().clamp(1.0, 10.0) as i16;
    let registered_practice_id = practice.id;

    let lives_alone = rng.random_bool(population::lives_alone_rate(age));
    let is_carer = rng.random_bool(population::carer_rate(age));
    let mut hearing_impairment = rng.random_bool(population::hearing_impairment_rate(age));
    let visual_impairment = rng.random_bool(population::visual_impairment_rate(age));
    let national_data_opt_out = rng.random_bool(population::NATIONAL_DATA_OPT_OUT_RATE);

    // Long-term conditions, clustered by a personal multimorbidity tendency.
    let tendency = population::multimorbidity_tendency(rng);
    let deprivation = population::deprivation_factor(deprivation_decile);
    let patient_id = g.uuid();
    let rng = &mut g.rng;
    let mut condition_count = 0u32;
    let mut deficits = 0u32; // bit set of `Deficit`
    let mut new_conditions = Vec::new();
    for (index, shape) in CONDITIONS.iter().enumerate() {
        let p = population::condition_probability(shape, age, female, tendency, deprivation);
        if p <= 0.0 || !rng.random_bool(p) {
            continue;
        }
        let Some(diagnosed_on) = population::diagnosis_date(rng, shape.onset, date_of_birth, today) else {
            continue;
        };
        condition_count += 1;
        if let Some(deficit) = shape.deficit {
            deficits |= 1 << (deficit as u32);
        }
        new_conditions.push((index, diagnosed_on));
    }

    // Electronic Frailty Index for people aged 50 and over: the deficits their record already
    // shows (conditions, sensory impairment, living alone, polypharmacy) plus others that grow
    // with age and with the same tendency.
    let (mut efi_score, mut efi_calculated_on) = (None, None);
    let (mut clinical_frailty_scale, mut cfs_assessed_on) = (None, None);
    if age >= 50 {
        let polypharmacy = condition_count >= 3;
        let mut k = deficits.count_ones()
            + u32::from(hearing_impairment)
            + u32::from(visual_impairment)
            + u32::from(lives_alone)
            + u32::from(polypharmacy);
        let q = population::other_deficit_probability(age, tendency, deprivation);
        for _ in 0..population::OTHER_DEFICITS {
            k += u32::from(rng.random_bool(q));
        }
        let k = k.min(EFI_DEFICITS);
        let score = f64::from(k) / f64::from(EFI_DEFICITS);
        efi_score = Some(score);
        let back = rng.random_range(0..365u64);
        efi_calculated_on = today.checked_sub_days(Days::new(back));

        let cfs: Option<i16> = match FrailtyCategory::from_efi(score) {
            FrailtyCategory::Severe if rng.random_bool(0.3) => Some([6, 7, 7, 8][rng.random_range(0..4)]),
            FrailtyCategory::Moderate if rng.random_bool(0.3) => Some([5, 5, 6, 6, 7][rng.random_range(0..5)]),
            FrailtyCategory::Mild if rng.random_bool(0.05) => Some([4, 4, 5][rng.random_range(0..3)]),
            FrailtyCategory::Fit if age >= 65 && rng.random_bool(0.02) => Some(rng.random_range(2..=4)),
            _ => None,
        };
        if let Some(cfs) = cfs {
            clinical_frailty_scale = Some(cfs);
            let back = rng.random_range(7..=540u64);
            cfs_assessed_on = today.checked_sub_days(Days::new(back));
        }
    }

    let mut interpreter_language = match heritage {
        Heritage::Pool(pool) => g.interpreter_language(pool, age),
        Heritage::English => None,
    };
    if interpreter_language.is_none() && g.rng.random_bool(0.001) {
        interpreter_language = Some("British Sign Language".to_owned());
        hearing_impairment = true;
    }
    let given_name = g.given_name(heritage, female, Some(date_of_birth.year()));
    let family_name = g.family_name(heritage, female);

    for (index, diagnosed_on) in new_conditions {
        data.conditions.push(patient_condition::Model {
            id: g.uuid(),
            patient_id,
            snomed_code: codes[index].clone(),
            diagnosed_on: Some(diagnosed_on),
            recorded_at: imported_at,
            recorded_by: None,
        });
    }
    data.patients.push(patient::Model {
        id: patient_id,
        nhs_number,
        given_name,
        family_name,
        date_of_birth,
        sex: if female { Sex::Female } else { Sex::Male },
        postcode,
        deprivation_decile: Some(deprivation_decile),
        registered_practice_id,
        neighbourhood_id: ctx.id,
        efi_score,
        efi_calculated_on,
        clinical_frailty_scale,
        cfs_assessed_on,
        lives_alone,
        is_carer,
        hearing_impairment,
        visual_impairment,
        interpreter_language,
        national_data_opt_out,
        // Objections are recorded afterwards (`governance`).
        objects_to_sharing: false,
        created_at: imported_at,
        updated_at: imported_at,
        efi_recorded_by: None,
        cfs_assessed_by: None,
    });
}
