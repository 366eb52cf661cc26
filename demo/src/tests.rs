use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;
use std::time::Instant;

use entity::{
    AttendanceStatus, ReferralEventKind, ReferralNeed, ReferralOutcome, ReferralService, ReferralSource,
    ReferralStatus, Urgency,
};

use migration::MigratorTrait;
use sea_orm::{ColumnTrait, Database, PaginatorTrait, QueryFilter, QueryOrder};

use super::*;
use domain::nhs_number::NhsNumberError;

async fn fresh_db() -> DatabaseConnection {
    let db = Database::connect("sqlite::memory:").await.expect("connect to in-memory SQLite");
    migration::Migrator::up(&db, None).await.expect("migrate");
    db
}

fn small(seed: u64) -> DemoOptions {
    DemoOptions { population: 3_000, neighbourhoods: 2, seed, ..Default::default() }
}

async fn seeded(opts: &DemoOptions) -> (DatabaseConnection, DemoSummary) {
    let db = fresh_db().await;
    let summary = seed_demo(&db, opts).await.expect("seed");
    (db, summary)
}

/// Everything the demo wrote, read back in a fixed order.
struct Tables {
    organisations: Vec<organisation::Model>,
    neighbourhoods: Vec<neighbourhood::Model>,
    memberships: Vec<neighbourhood_organisation::Model>,
    practitioners: Vec<practitioner::Model>,
    patients: Vec<patient::Model>,
    conditions: Vec<patient_condition::Model>,
    cohorts: Vec<cohort::Model>,
    referrals: Vec<referral::Model>,
    referral_needs: Vec<referral_need::Model>,
    referral_events: Vec<referral_event::Model>,
    referral_feedback: Vec<referral_feedback::Model>,
    support_groups: Vec<support_group::Model>,
    group_sessions: Vec<group_session::Model>,
    group_participants: Vec<group_participant::Model>,
    group_attendance: Vec<group_attendance::Model>,
}

async fn read_all(db: &DatabaseConnection) -> Tables {
    Tables {
        organisations: organisation::Entity::find().order_by_asc(organisation::Column::OdsCode).all(db).await.unwrap(),
        neighbourhoods: neighbourhood::Entity::find().order_by_asc(neighbourhood::Column::Name).all(db).await.unwrap(),
        memberships: neighbourhood_organisation::Entity::find()
            .order_by_asc(neighbourhood_organisation::Column::NeighbourhoodId)
            .order_by_asc(neighbourhood_organisation::Column::OrganisationId)
            .all(db)
            .await
            .unwrap(),
        practitioners: practitioner::Entity::find().order_by_asc(practitioner::Column::Id).all(db).await.unwrap(),
        patients: patient::Entity::find().order_by_asc(patient::Column::NhsNumber).all(db).await.unwrap(),
        conditions: patient_condition::Entity::find()
            .order_by_asc(patient_condition::Column::Id)
            .all(db)
            .await
            .unwrap(),
        cohorts: cohort::Entity::find().order_by_asc(cohort::Column::Id).all(db).await.unwrap(),
        referrals: referral::Entity::find().order_by_asc(referral::Column::Id).all(db).await.unwrap(),
        referral_needs: referral_need::Entity::find()
            .order_by_asc(referral_need::Column::ReferralId)
            .order_by_asc(referral_need::Column::Need)
            .all(db)
            .await
            .unwrap(),
        referral_events: referral_event::Entity::find().order_by_asc(referral_event::Column::Id).all(db).await.unwrap(),
        referral_feedback: referral_feedback::Entity::find()
            .order_by_asc(referral_feedback::Column::Id)
            .all(db)
            .await
            .unwrap(),
        support_groups: support_group::Entity::find().order_by_asc(support_group::Column::Id).all(db).await.unwrap(),
        group_sessions: group_session::Entity::find().order_by_asc(group_session::Column::Id).all(db).await.unwrap(),
        group_participants: group_participant::Entity::find()
            .order_by_asc(group_participant::Column::Id)
            .all(db)
            .await
            .unwrap(),
        group_attendance: group_attendance::Entity::find()
            .order_by_asc(group_attendance::Column::SessionId)
            .order_by_asc(group_attendance::Column::ParticipantId)
            .all(db)
            .await
            .unwrap(),
    }
}

/// Measured shape of a population: frailty and conditions by age.
struct Shape {
    /// Share of 65+ in fit, mild, moderate, severe.
    categories_65_plus: [f64; 4],
    /// (label, share frail (mild or worse), people) for 50–64, 65–74, 75–84, 85+.
    frail_by_band: Vec<(&'static str, f64, usize)>,
    /// (label, mean long-term conditions, people) for under 40, 40–64, 65–74, 75+.
    conditions_by_band: Vec<(&'static str, f64, usize)>,
    efi_under_50: usize,
}

fn shape(patients: &[patient::Model], conditions: &[patient_condition::Model], today: NaiveDate) -> Shape {
    let mut count: HashMap<Uuid, u32> = HashMap::new();
    for c in conditions {
        *count.entry(c.patient_id).or_default() += 1;
    }
    let mut categories = [0usize; 4];
    let mut frail: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    let mut ltc: BTreeMap<usize, (u64, usize)> = BTreeMap::new();
    let mut efi_under_50 = 0;
    for p in patients {
        let age = population::completed_years(p.date_of_birth, today);
        let category = p.efi_score.map(FrailtyCategory::from_efi);
        if age < 50 && p.efi_score.is_some() {
            efi_under_50 += 1;
        }
        if age >= 65 {
            let c = category.expect("everyone 65+ has an eFI");
            categories[FrailtyCategory::ALL.iter().position(|x| *x == c).unwrap()] += 1;
        }
        let band = match age {
            0..=49 => None,
            50..=64 => Some(0),
            65..=74 => Some(1),
            75..=84 => Some(2),
            _ => Some(3),
        };
        if let Some(band) = band {
            let entry = frail.entry(band).or_default();
            entry.1 += 1;
            if category.is_some_and(|c| c != FrailtyCategory::Fit) {
                entry.0 += 1;
            }
        }
        let band = match age {
            0..=39 => 0,
            40..=64 => 1,
            65..=74 => 2,
            _ => 3,
        };
        let entry = ltc.entry(band).or_default();
        entry.0 += u64::from(count.get(&p.id).copied().unwrap_or(0));
        entry.1 += 1;
    }
    let total_65: usize = categories.iter().sum();
    let frail_labels = ["50-64", "65-74", "75-84", "85+"];
    let ltc_labels = ["under 40", "40-64", "65-74", "75+"];
    Shape {
        categories_65_plus: categories.map(|c| c as f64 / total_65.max(1) as f64),
        frail_by_band: frail.iter().map(|(b, (f, n))| (frail_labels[*b], *f as f64 / (*n).max(1) as f64, *n)).collect(),
        conditions_by_band: ltc
            .iter()
            .map(|(b, (c, n))| (ltc_labels[*b], *c as f64 / (*n).max(1) as f64, *n))
            .collect(),
        efi_under_50,
    }
}

fn print_shape(shape: &Shape) {
    let [fit, mild, moderate, severe] = shape.categories_65_plus.map(|x| x * 100.0);
    println!("eFI category, 65+: fit {fit:.1}% mild {mild:.1}% moderate {moderate:.1}% severe {severe:.1}%");
    for (label, share, n) in &shape.frail_by_band {
        println!("frail (mild or worse), {label}: {:.1}% of {n}", share * 100.0);
    }
    for (label, mean, n) in &shape.conditions_by_band {
        println!("mean long-term conditions, {label}: {mean:.2} ({n} people)");
    }
}

#[test]
fn every_condition_in_the_catalogue_has_a_shape() {
    let keys: Vec<&str> = CONDITIONS.iter().map(|c| c.key).collect();
    for c in domain::conditions::catalogue() {
        assert!(keys.contains(&c.key.as_str()), "no prevalence row for {}", c.key);
    }
    for key in keys {
        assert!(domain::conditions::by_key(key).is_some(), "{key} is not in the catalogue");
    }
}

#[test]
fn max_population_counts_the_valid_test_numbers() {
    let max = max_population();
    // Roughly 10 in 11 stems have a valid check digit.
    assert!((900_000..=920_000).contains(&max), "{max}");
    let mut g = Gen::new(7, DemoOptions::default().today);
    let mut seen = HashSet::new();
    for _ in 0..max {
        let n = NhsNumber::parse(&g.nhs_number().expect("a number for every valid stem")).expect("valid");
        assert!(n.is_test_number());
        assert!(seen.insert(n));
    }
    assert!(g.nhs_number().is_err(), "the range holds exactly max_population() numbers");
}

#[test]
fn beyond_the_valid_numbers_come_wrong_check_digits_from_the_test_range_when_asked() {
    let mut g = Gen::new(7, DemoOptions::default().today).with_wrong_check_digits(true);
    let mut seen = HashSet::new();
    for _ in 0..max_population() {
        let digits = g.nhs_number().unwrap();
        assert!(NhsNumber::parse(&digits).is_ok(), "{digits}: the valid numbers come first");
        assert!(seen.insert(digits.parse::<u64>().unwrap()));
    }
    // All of the first wrong-digit pass and the start of the second.
    for _ in 0..TEST_STEM_COUNT + 20_000 {
        let digits = g.nhs_number().unwrap();
        assert_eq!(digits.len(), 10);
        let value: u64 = digits.parse().unwrap();
        assert!(domain::nhs_number::TEST_RANGE.contains(&value), "{digits} is outside the test range");
        assert!(
            matches!(
                NhsNumber::parse(&digits),
                Err(NhsNumberError::CheckDigitMismatch { .. } | NhsNumberError::NoValidCheckDigit)
            ),
            "{digits} must fail the check digit"
        );
        assert!(seen.insert(value), "{digits} issued twice");
    }
    // The last numbers of the last pass, then the end.
    g.stem_position = TEST_STEM_COUNT * (1 + WRONG_DIGITS_PER_STEM) - 2;
    for _ in 0..2 {
        assert!(NhsNumber::parse(&g.nhs_number().unwrap()).is_err());
    }
    assert!(g.nhs_number().is_err(), "nine wrong digits per stem, then the range is exhausted");
}

#[test]
fn referrals_are_written_in_the_order_they_arrived_across_neighbourhoods() {
    let data = generate(&DemoOptions { population: 6_000, neighbourhoods: 3, ..Default::default() }).unwrap();
    let neighbourhood_of: HashMap<Uuid, Uuid> = data.patients.iter().map(|p| (p.id, p.neighbourhood_id)).collect();
    let neighbourhoods: HashSet<Uuid> = data.referrals.iter().map(|r| neighbourhood_of[&r.patient_id]).collect();
    assert_eq!(neighbourhoods.len(), 3, "every neighbourhood has referrals");
    assert!(data.referrals.windows(2).all(|w| (w[0].created_at, w[0].id) <= (w[1].created_at, w[1].id)));
    // Interleaved, not one neighbourhood after another.
    let switches = data
        .referrals
        .windows(2)
        .filter(|w| neighbourhood_of[&w[0].patient_id] != neighbourhood_of[&w[1].patient_id])
        .count();
    assert!(switches > 100, "{switches} switches between neighbourhoods");
}

#[test]
fn wrong_check_digits_raise_the_population_limit_only_when_asked() {
    let base = DemoOptions::default();
    let beyond = DemoOptions { population: max_population() + 1, ..base.clone() };
    assert!(validate(&beyond).is_err());
    assert!(validate(&DemoOptions { wrong_check_digits: true, ..beyond }).is_ok());
    let five_million =
        DemoOptions { population: 5_000_000, neighbourhoods: 100, wrong_check_digits: true, ..base.clone() };
    assert!(validate(&five_million).is_ok());
    let too_many =
        DemoOptions { population: max_population_with_wrong_check_digits() + 1, wrong_check_digits: true, ..base };
    assert!(validate(&too_many).is_err());
}

#[test]
fn allocate_covers_every_practice_before_doubling_up() {
    assert_eq!(allocate(28, &[100.0, 300.0, 200.0, 50.0, 150.0]).iter().sum::<u32>(), 28);
    assert!(allocate(10, &[1.0, 9.0, 5.0, 5.0, 2.0]).iter().all(|c| *c >= 1));
    assert_eq!(allocate(2, &[1.0, 9.0, 5.0]), vec![0, 1, 1]);
    assert_eq!(allocate(7, &[0.0, 0.0, 0.0]).iter().sum::<u32>(), 7);
}

#[tokio::test]
async fn same_options_give_identical_rows_and_another_seed_differs() {
    let (a, summary_a) = seeded(&small(11)).await;
    let (b, summary_b) = seeded(&small(11)).await;
    assert_eq!(summary_a, summary_b);
    let (ta, tb) = (read_all(&a).await, read_all(&b).await);
    assert_eq!(ta.patients, tb.patients);
    assert_eq!(ta.conditions, tb.conditions);
    assert_eq!(ta.organisations, tb.organisations);
    assert_eq!(ta.neighbourhoods, tb.neighbourhoods);
    assert_eq!(ta.memberships, tb.memberships);
    assert_eq!(ta.practitioners, tb.practitioners);
    assert_eq!(ta.cohorts, tb.cohorts);
    assert!(!ta.referrals.is_empty() && !ta.group_participants.is_empty());
    assert_eq!(ta.referrals, tb.referrals);
    assert_eq!(ta.referral_needs, tb.referral_needs);
    assert_eq!(ta.referral_events, tb.referral_events);
    assert_eq!(ta.referral_feedback, tb.referral_feedback);
    assert_eq!(ta.support_groups, tb.support_groups);
    assert_eq!(ta.group_sessions, tb.group_sessions);
    assert_eq!(ta.group_participants, tb.group_participants);
    assert_eq!(ta.group_attendance, tb.group_attendance);

    let (c, _) = seeded(&small(12)).await;
    let tc = read_all(&c).await;
    assert_ne!(ta.patients, tc.patients);
    let ids_a: HashSet<Uuid> = ta.patients.iter().map(|p| p.id).collect();
    assert!(tc.patients.iter().all(|p| !ids_a.contains(&p.id)), "ids differ between seeds");
}

#[tokio::test]
async fn nhs_numbers_are_valid_test_numbers_and_unique() {
    let opts = DemoOptions { population: 3_000, neighbourhoods: 3, ..Default::default() };
    let (db, _) = seeded(&opts).await;
    let patients = patient::Entity::find().all(&db).await.unwrap();
    assert_eq!(patients.len(), 3_000);
    let mut seen = HashSet::new();
    for p in &patients {
        let n = NhsNumber::parse(&p.nhs_number).unwrap_or_else(|e| panic!("{}: {e}", p.nhs_number));
        assert!(n.is_test_number(), "{} is outside the test range", p.nhs_number);
        assert_eq!(n.as_digits(), p.nhs_number);
        assert!(seen.insert(p.nhs_number.clone()), "{} issued twice", p.nhs_number);
    }
}

#[tokio::test]
async fn counts_match_the_options() {
    let opts = DemoOptions { population: 3_001, neighbourhoods: 3, ..Default::default() };
    let (db, summary) = seeded(&opts).await;
    let t = read_all(&db).await;

    assert_eq!(summary.patients, 3_001);
    assert_eq!(summary.neighbourhoods, 3);
    assert_eq!(summary.cohorts, 12);
    assert_eq!(summary.patients, t.patients.len() as u64);
    assert_eq!(summary.conditions, t.conditions.len() as u64);
    assert_eq!(summary.organisations, t.organisations.len() as u64);
    assert_eq!(summary.practitioners, t.practitioners.len() as u64);
    assert_eq!(summary.neighbourhoods, t.neighbourhoods.len() as u64);
    assert_eq!(summary.cohorts, t.cohorts.len() as u64);
    assert_eq!(summary.referrals, t.referrals.len() as u64);
    assert_eq!(summary.referral_needs, t.referral_needs.len() as u64);
    assert_eq!(summary.referral_events, t.referral_events.len() as u64);
    assert_eq!(summary.referral_feedback, t.referral_feedback.len() as u64);
    assert_eq!(summary.support_groups, t.support_groups.len() as u64);
    assert_eq!(summary.group_sessions, t.group_sessions.len() as u64);
    assert_eq!(summary.group_participants, t.group_participants.len() as u64);
    assert_eq!(summary.group_attendance, t.group_attendance.len() as u64);
    assert!(summary.referrals > 0 && summary.support_groups >= 9);

    let org_by_id: HashMap<Uuid, &organisation::Model> = t.organisations.iter().map(|o| (o.id, o)).collect();
    let of_kind = |kind| t.organisations.iter().filter(move |o| o.kind == kind);
    let icb: Vec<_> = of_kind(OrganisationKind::Icb).collect();
    assert_eq!(icb.len(), 1);
    assert_eq!(icb[0].name, "NHS Nottingham and Nottinghamshire ICB");
    assert_eq!(of_kind(OrganisationKind::Pcn).count(), 3);
    assert!(of_kind(OrganisationKind::Pcn).all(|o| o.parent_id == Some(icb[0].id)));
    assert_eq!(of_kind(OrganisationKind::Vcse).count(), 6);
    for kind in [
        OrganisationKind::SplwProvider,
        OrganisationKind::AdultSocialCare,
        OrganisationKind::MentalHealthTrust,
        OrganisationKind::CommunityHealthTrust,
        OrganisationKind::Housing,
    ] {
        assert_eq!(of_kind(kind).count(), 1, "{kind:?}");
    }
    for o in &t.organisations {
        assert!(o.ods_code.starts_with("ZZ"), "{} is not synthetic", o.ods_code);
    }
    assert!(t.memberships.iter().all(|m| m.organisation_id != icb[0].id), "the ICB takes part in no INT");

    // The first neighbourhood takes the remainder.
    let names: Vec<&str> = t.neighbourhoods.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["Arnold and Calverton INT", "Nottingham West INT", "Rushcliffe INT"]);
    let arnold = &t.neighbourhoods[0];
    assert_eq!(arnold.planned_population, 1_001);
    assert_eq!(t.neighbourhoods[1].planned_population, 1_000);

    let commissioners: Vec<_> =
        t.practitioners.iter().filter(|p| p.professional_role == ProfessionalRole::Commissioner).collect();
    assert_eq!(commissioners.len(), 1);
    assert_eq!(commissioners[0].organisation_id, icb[0].id);

    for n in &t.neighbourhoods {
        let members: HashSet<Uuid> =
            t.memberships.iter().filter(|m| m.neighbourhood_id == n.id).map(|m| m.organisation_id).collect();
        let practices: Vec<_> =
            members.iter().map(|id| org_by_id[id]).filter(|o| o.kind == OrganisationKind::GpPractice).collect();
        assert!((5..=7).contains(&practices.len()), "{} practices", practices.len());
        let registered = t.patients.iter().filter(|p| p.neighbourhood_id == n.id).count();
        assert_eq!(registered, n.planned_population as usize);
        assert_eq!(
            practices.iter().map(|o| o.list_size.unwrap() as usize).sum::<usize>(),
            registered,
            "list sizes add up to the registered population"
        );
        for practice in &practices {
            let on_list = t.patients.iter().filter(|p| p.registered_practice_id == practice.id).count();
            assert_eq!(practice.list_size, Some(on_list as i32));
        }
        let roles: HashSet<ProfessionalRole> = t
            .practitioners
            .iter()
            .filter(|p| members.contains(&p.organisation_id))
            .map(|p| p.professional_role)
            .collect();
        // The commissioner and the deployment's administrator work for the whole deployment (at the
        // ICB); an organisation's administrator is named by them, not by the demo.
        let deployment_wide = [
            ProfessionalRole::Commissioner,
            ProfessionalRole::DeploymentAdministrator,
            ProfessionalRole::OrganisationAdministrator,
        ];
        for role in ProfessionalRole::iter().filter(|r| !deployment_wide.contains(r)) {
            assert!(roles.contains(&role), "{} has no {role:?}", n.name);
        }
        let coordinators: Vec<_> = t
            .practitioners
            .iter()
            .filter(|p| p.professional_role == ProfessionalRole::IntCoordinator && members.contains(&p.organisation_id))
            .collect();
        assert_eq!(coordinators.len(), 1);
        let cohorts: Vec<_> = t.cohorts.iter().filter(|c| c.neighbourhood_id == n.id).collect();
        assert_eq!(cohorts.len(), 4);
        for c in cohorts {
            assert_eq!(c.created_by, coordinators[0].id);
            let criteria: PatientCriteria = serde_json::from_str(&c.definition).unwrap();
            assert_eq!(criteria.clone().validated().unwrap(), criteria);
        }
    }
    for p in &t.practitioners {
        assert!(p.active);
        assert!(p.fte >= 0.4 && p.fte <= 1.0, "fte {}", p.fte);
    }
    let splws: Vec<_> = t
        .practitioners
        .iter()
        .filter(|p| p.professional_role == ProfessionalRole::SocialPrescribingLinkWorker)
        .collect();
    assert!(splws.iter().all(|p| (30..=40).contains(&p.caseload_capacity.unwrap())));
}

#[tokio::test]
async fn frailty_and_conditions_rise_with_age() {
    let opts = small(2026);
    let (db, _) = seeded(&opts).await;
    let t = read_all(&db).await;
    let s = shape(&t.patients, &t.conditions, opts.today);
    print_shape(&s);
    assert_eq!(s.efi_under_50, 0, "no eFI under 50");
    let frail: Vec<f64> = s.frail_by_band.iter().map(|(_, f, _)| *f).collect();
    assert!(frail[3] > frail[1] && frail[1] > frail[0], "{frail:?}");
    assert!(frail[3] > 0.6, "85+ mostly frail: {frail:?}");
    let ltc: Vec<f64> = s.conditions_by_band.iter().map(|(_, m, _)| *m).collect();
    assert!(ltc[3] > ltc[1] && ltc[1] > ltc[0], "{ltc:?}");

    for p in &t.patients {
        let age = population::completed_years(p.date_of_birth, opts.today);
        assert!(age <= population::OLDEST);
        if let Some(score) = p.efi_score {
            let k = score * 36.0;
            assert_eq!(k, k.round(), "eFI is deficits / 36");
            assert_eq!(score, k.round() / 36.0);
            let on = p.efi_calculated_on.unwrap();
            assert!(on <= opts.today && (opts.today - on).num_days() < 366);
        }
        if let Some(cfs) = p.clinical_frailty_scale {
            assert!((2..=8).contains(&cfs));
            assert!(p.cfs_assessed_on.unwrap() < opts.today);
        }
    }
    let by_id: HashMap<Uuid, &patient::Model> = t.patients.iter().map(|p| (p.id, p)).collect();
    for c in &t.conditions {
        let p = by_id[&c.patient_id];
        let on = c.diagnosed_on.unwrap();
        assert!(on > p.date_of_birth && on < opts.today);
        assert!(domain::conditions::by_code(&c.snomed_code).is_some());
    }
}

#[tokio::test]
async fn bad_options_are_rejected() {
    let db = fresh_db().await;
    let base = DemoOptions::default();
    for (opts, field) in [
        (DemoOptions { population: 0, ..base.clone() }, "population"),
        (DemoOptions { population: max_population() + 1, ..base.clone() }, "population"),
        (DemoOptions { neighbourhoods: 0, ..base.clone() }, "neighbourhoods"),
        (DemoOptions { population: 10, neighbourhoods: 11, ..base.clone() }, "neighbourhoods"),
        (DemoOptions { population: 100_000, neighbourhoods: 501, ..base.clone() }, "neighbourhoods"),
    ] {
        let err = seed_demo(&db, &opts).await.expect_err("rejected");
        assert_eq!(err.code(), "BAD_USER_INPUT", "{opts:?}: {err:?}");
        match &err {
            AppError::BadUserInput { field: Some(f), .. } => assert_eq!(f, field),
            other => panic!("{other:?}"),
        }
    }
    let AppError::BadUserInput { message, .. } =
        seed_demo(&db, &DemoOptions { population: 2_000_000, ..base }).await.unwrap_err()
    else {
        panic!("expected bad input");
    };
    assert!(message.contains("test range"), "{message}");
    assert!(is_empty(&db).await.unwrap(), "nothing written");
}

#[tokio::test]
async fn is_empty_before_and_not_after_and_a_second_seed_is_refused() {
    let db = fresh_db().await;
    assert!(is_empty(&db).await.unwrap());
    let opts = DemoOptions { population: 200, ..Default::default() };
    seed_demo(&db, &opts).await.unwrap();
    assert!(!is_empty(&db).await.unwrap());
    let err = seed_demo(&db, &opts).await.unwrap_err();
    assert_eq!(err.code(), "CONFLICT", "{err:?}");
    assert_eq!(patient::Entity::find().count(&db).await.unwrap(), 200);
}

#[tokio::test]
async fn many_small_neighbourhoods() {
    let opts = DemoOptions { population: 40, neighbourhoods: 17, ..Default::default() };
    let (db, summary) = seeded(&opts).await;
    assert_eq!(summary.neighbourhoods, 17);
    let names: HashSet<String> =
        neighbourhood::Entity::find().all(&db).await.unwrap().into_iter().map(|n| n.name).collect();
    assert!(names.contains("Synergy INT"));
    assert!(names.contains("Arnold and Calverton 2 INT"));
    assert!(names.contains("Rushcliffe 2 INT"));
    let pcn =
        organisation::Entity::find().filter(organisation::Column::Name.eq("Rushcliffe 2 PCN")).one(&db).await.unwrap();
    assert!(pcn.is_some());
}

/// Seeds the default 50,000 into in-memory SQLite and prints how long it took and the shape.
#[tokio::test]
async fn seeds_fifty_thousand() {
    let opts = DemoOptions::default();
    let db = fresh_db().await;
    let started = Instant::now();
    let summary = seed_demo(&db, &opts).await.unwrap();
    println!("seeded {summary:?} into in-memory SQLite in {:.2?}", started.elapsed());
    assert_eq!(summary.patients, 50_000);
    let t = read_all(&db).await;
    print_shape(&shape(&t.patients, &t.conditions, opts.today));
}

/// Times seeding 50,000 against `DEMO_TIMING_DATABASE_URL` (a file SQLite or a PostgreSQL database,
/// migrated here; it must be empty). Run with `--ignored --nocapture`.
#[tokio::test]
#[ignore]
async fn seed_timing_against_database_url() {
    let Ok(url) = std::env::var("DEMO_TIMING_DATABASE_URL") else {
        println!("DEMO_TIMING_DATABASE_URL not set; skipped");
        return;
    };
    let db = Database::connect(&url).await.unwrap();
    migration::Migrator::up(&db, None).await.unwrap();
    let opts = DemoOptions::default();
    let started = Instant::now();
    let summary = seed_demo(&db, &opts).await.unwrap();
    println!("seeded {summary:?} into {} in {:.2?}", db.get_database_backend().as_str(), started.elapsed());
}

/// Prints the shape of a large population generated in memory (no database): frailty by age band,
/// conditions, flags, interpreter languages and a few sample rows. Run with `--ignored --nocapture`.
#[test]
#[ignore]
fn report_shape_of_a_large_population() {
    let opts = DemoOptions { population: 300_000, neighbourhoods: 6, ..Default::default() };
    let data = generate(&opts).unwrap();
    print_shape(&shape(&data.patients, &data.conditions, opts.today));
    println!("conditions per person {:.2}", data.conditions.len() as f64 / data.patients.len() as f64);
    for (lo, hi) in [(65, 74), (75, 84), (85, 200)] {
        let mut c = [0usize; 4];
        for p in &data.patients {
            let age = population::completed_years(p.date_of_birth, opts.today);
            if (lo..=hi).contains(&age) {
                let cat = FrailtyCategory::from_efi(p.efi_score.unwrap());
                c[FrailtyCategory::ALL.iter().position(|x| *x == cat).unwrap()] += 1;
            }
        }
        let n: usize = c.iter().sum();
        println!("{lo}-{hi}: {:?}", c.map(|x| (x * 1000 / n) as f64 / 10.0));
    }
    let n = data.patients.len() as f64;
    for shape in CONDITIONS {
        let code = &domain::conditions::by_key(shape.key).unwrap().snomed_code;
        let k = data.conditions.iter().filter(|c| &c.snomed_code == code).count();
        println!("{:<28} {:5.2}%", shape.key, k as f64 * 100.0 / n);
    }
    let share = |f: &dyn Fn(&patient::Model) -> bool| data.patients.iter().filter(|p| f(p)).count() as f64 * 100.0 / n;
    println!("interpreter {:.2}% lives alone {:.1}% carer {:.1}% hearing {:.1}% visual {:.1}% opt-out {:.1}% female {:.1}% cfs {:.2}%",
        share(&|p| p.interpreter_language.is_some()), share(&|p| p.lives_alone), share(&|p| p.is_carer),
        share(&|p| p.hearing_impairment), share(&|p| p.visual_impairment), share(&|p| p.national_data_opt_out),
        share(&|p| p.sex == Sex::Female), share(&|p| p.clinical_frailty_scale.is_some()));
    let mut langs: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &data.patients {
        if let Some(l) = &p.interpreter_language {
            *langs.entry(l.as_str()).or_default() += 1;
        }
    }
    println!("{langs:?}");
    let mut count: HashMap<Uuid, u32> = HashMap::new();
    for c in &data.conditions {
        *count.entry(c.patient_id).or_default() += 1;
    }
    let cohort1 = data
        .patients
        .iter()
        .filter(|p| p.efi_score.is_some_and(|s| s > 0.24) && count.get(&p.id).copied().unwrap_or(0) >= 2)
        .count();
    println!("cohort 'moderate/severe + 2 LTC' per 50k: {:.0}", cohort1 as f64 * 50_000.0 / n);
    for p in data.patients.iter().take(12) {
        println!(
            "{} {} {} {} {:?} {} {:?}",
            p.nhs_number, p.given_name, p.family_name, p.date_of_birth, p.sex, p.postcode, p.interpreter_language
        );
    }
    for p in data.practices.iter().take(8) {
        println!("{} {} {:?} {:?}", p.ods_code, p.name, p.list_size, p.postcode);
    }
    for p in data.practitioners.iter().take(10) {
        println!("{} {} {:?} {} {:?}", p.given_name, p.family_name, p.professional_role, p.fte, p.caseload_capacity);
    }
}

// ---------------------------------------------------------------------------------------------
// Referral history, feedback and support groups: checked on the in-memory rows against the rules
// the API enforces.

/// Rows from `DemoData`'s existing tables, Debug-printed and hashed (FNV-1a): pins them so that
/// anything drawn after them (the history) cannot shift them. Recorded before the history existed;
/// if a dependency upgrade changes a Debug format, re-record it from the commit that added this.
const EXISTING_ROWS_DIGEST: u64 = 0x8b8e_5b05_acd3_abde;

fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

#[test]
fn rows_generated_before_the_history_are_unchanged_by_it() {
    let d = generate(&small(2026)).unwrap();
    // Privacy officers are hired after the history (`governance`), and the deployment's
    // administrator after everything, so they are not among the rows pinned. The sign-in identity
    // and the leaving date came after the digest: the practitioners are pinned without them, as
    // the people are without who recorded their frailty and conditions.
    let practitioners: Vec<practitioner::Model> = d
        .practitioners
        .iter()
        .filter(|p| {
            !matches!(p.professional_role, ProfessionalRole::PrivacyOfficer | ProfessionalRole::DeploymentAdministrator)
        })
        .map(|p| practitioner::Model { identity_subject: None, ..p.clone() })
        .collect();
    let practitioners =
        format!("{practitioners:?}").replace(", identity_subject: None, left_at: None, staff_ref: None", "");
    let conditions = format!("{:?}", d.conditions).replace(", recorded_by: None", "");
    // The objection column came after the digest, and objections are recorded after the history:
    // the people are pinned without it.
    let patients = format!("{:?}", d.patients)
        .replace(", objects_to_sharing: false", "")
        .replace(", objects_to_sharing: true", "")
        .replace(", efi_recorded_by: None, cfs_assessed_by: None", "");
    let all = format!(
        "{:?}{:?}{:?}{:?}{:?}{}{}{}{:?}",
        d.top_organisations,
        d.pcns,
        d.practices,
        d.neighbourhoods,
        d.memberships,
        practitioners,
        patients,
        conditions,
        d.cohorts
    );
    assert_eq!(fnv1a(&all), EXISTING_ROWS_DIGEST, "existing demo rows changed");
    assert!(!d.referrals.is_empty());
}

static FIFTY_THOUSAND: LazyLock<DemoData> = LazyLock::new(|| generate(&DemoOptions::default()).unwrap());

fn cutoff(today: NaiveDate) -> DateTime<Utc> {
    at(today, 0)
}

/// The organisation kinds that receive each service (the API's rule; the SPLW provider for social
/// prescribing, which the demo always uses).
fn receives(service: ReferralService, kind: OrganisationKind) -> bool {
    match service {
        ReferralService::SocialPrescribing => kind == OrganisationKind::SplwProvider,
        ReferralService::AdultSocialCare => kind == OrganisationKind::AdultSocialCare,
        ReferralService::CommunityMentalHealth => kind == OrganisationKind::MentalHealthTrust,
        ReferralService::CommunityNursing => kind == OrganisationKind::CommunityHealthTrust,
        ReferralService::Vcse => kind == OrganisationKind::Vcse,
    }
}

fn referrer_roles(source: ReferralSource) -> &'static [ProfessionalRole] {
    use ProfessionalRole as R;
    match source {
        ReferralSource::Gp => &[R::Gp],
        ReferralSource::PracticeNurse => &[R::PracticeNurse],
        ReferralSource::Pharmacist => &[R::Pharmacist],
        ReferralSource::Receptionist => &[R::Receptionist],
        ReferralSource::OtherPracticeStaff => &[R::CareCoordinator, R::HealthAndWellbeingCoach],
        ReferralSource::AdultSocialCare => &[R::SocialWorker],
        ReferralSource::MentalHealth => &[R::MentalHealthPractitioner],
        ReferralSource::CommunityHealth => &[R::DistrictNurse, R::OccupationalTherapist],
        ReferralSource::Vcse => &[R::VcseWorker],
        // Entered by the receiving service.
        ReferralSource::SecondaryCare | ReferralSource::SelfReferral => &[
            R::SocialPrescribingLinkWorker,
            R::SocialWorker,
            R::MentalHealthPractitioner,
            R::DistrictNurse,
            R::OccupationalTherapist,
            R::VcseWorker,
        ],
    }
}

/// The referral's status at `t`, from its events.
fn status_at(events: &[&referral_event::Model], t: DateTime<Utc>) -> ReferralStatus {
    let mut status = ReferralStatus::Received;
    for e in events.iter().filter(|e| e.occurred_at <= t) {
        if e.kind == ReferralEventKind::StatusChanged {
            status = e.to_status.unwrap();
        }
    }
    status
}

/// Largest number of holds at any one time.
fn peak(holds: &[referrals::Hold]) -> usize {
    let mut changes: Vec<(DateTime<Utc>, i32)> = Vec::new();
    for (s, e) in holds {
        changes.push((*s, 1));
        if let Some(e) = e {
            changes.push((*e, -1));
        }
    }
    changes.sort();
    let (mut now, mut most) = (0i32, 0i32);
    for (_, c) in changes {
        now += c;
        most = most.max(now);
    }
    most as usize
}

/// Checks every referral, event and feedback row against the API's rules.
fn check_referrals(d: &DemoData, today: NaiveDate) {
    let end = cutoff(today);
    let orgs: HashMap<Uuid, &organisation::Model> =
        d.top_organisations.iter().chain(&d.pcns).chain(&d.practices).map(|o| (o.id, o)).collect();
    let staff: HashMap<Uuid, &practitioner::Model> = d.practitioners.iter().map(|p| (p.id, p)).collect();
    let patients: HashMap<Uuid, &patient::Model> = d.patients.iter().map(|p| (p.id, p)).collect();
    let members: HashSet<(Uuid, Uuid)> =
        d.memberships.iter().map(|m| (m.neighbourhood_id, m.organisation_id)).collect();
    let mut events: HashMap<Uuid, Vec<&referral_event::Model>> = HashMap::new();
    for e in &d.referral_events {
        events.entry(e.referral_id).or_default().push(e);
    }
    let mut needs: HashMap<Uuid, Vec<&referral_need::Model>> = HashMap::new();
    for n in &d.referral_needs {
        needs.entry(n.referral_id).or_default().push(n);
    }
    let feedback: HashMap<Uuid, Vec<&referral_feedback::Model>> =
        d.referral_feedback.iter().fold(HashMap::new(), |mut m, f| {
            m.entry(f.referral_id).or_default().push(f);
            m
        });
    let mut open_keys = HashSet::new();
    let mut holds: HashMap<Uuid, Vec<referrals::Hold>> = HashMap::new();
    let ids: HashSet<Uuid> = d.referrals.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), d.referrals.len());
    assert!(events.keys().all(|id| ids.contains(id)) && needs.keys().all(|id| ids.contains(id)));

    for r in &d.referrals {
        let patient = patients[&r.patient_id];
        let receiver = orgs[&r.receiving_organisation_id];
        assert!(receives(r.service, receiver.kind), "{:?} received by {:?}", r.service, receiver.kind);
        assert!(members.contains(&(patient.neighbourhood_id, receiver.id)), "receiver outside the neighbourhood");
        assert!(members.contains(&(patient.neighbourhood_id, r.referring_organisation_id)));
        let referrer = staff[&r.referring_practitioner_id];
        assert!(
            referrer_roles(r.source).contains(&referrer.professional_role),
            "{:?} by {:?}",
            r.source,
            referrer.professional_role
        );
        assert_eq!(referrer.organisation_id, r.referring_organisation_id);
        match r.source {
            ReferralSource::SecondaryCare | ReferralSource::SelfReferral => {
                assert_eq!(r.referring_organisation_id, r.receiving_organisation_id)
            }
            _ => assert_ne!(
                r.referring_organisation_id, r.receiving_organisation_id,
                "{:?} referred to itself",
                r.source
            ),
        }
        if matches!(
            r.source,
            ReferralSource::Gp
                | ReferralSource::PracticeNurse
                | ReferralSource::Pharmacist
                | ReferralSource::Receptionist
        ) {
            assert_eq!(orgs[&r.referring_organisation_id].kind, OrganisationKind::GpPractice);
        }
        assert_eq!(r.consent_recorded_by, r.referring_practitioner_id);
        assert_eq!(r.consent_recorded_at, r.created_at);
        assert!(r.idempotency_key.is_none());
        assert!(r.created_at < end && r.created_at >= at(today - Days::new(3 * 365), 0));

        let n = &needs[&r.id];
        assert!((1..=3).contains(&n.len()));
        assert_eq!(n.iter().map(|x| x.need).collect::<HashSet<_>>().len(), n.len(), "needs distinct");
        for x in n {
            assert_eq!(x.need == ReferralNeed::Other, x.detail.is_some(), "OTHER carries a detail");
        }
        assert!(r.context.as_ref().is_some_and(|c| !c.is_empty()));

        // Replay the events through the state machine.
        let ev = &events[&r.id];
        assert_eq!(ev[0].kind, ReferralEventKind::Created);
        assert_eq!((ev[0].from_status, ev[0].to_status), (None, Some(ReferralStatus::Received)));
        assert_eq!(
            (ev[0].practitioner_id, ev[0].organisation_id),
            (r.referring_practitioner_id, r.referring_organisation_id)
        );
        assert_eq!(ev[0].snomed_code.as_deref(), domain::referrals::state::snomed_code(r.service, None));
        assert_eq!(ev[0].occurred_at, r.created_at);
        let mut status = ReferralStatus::Received;
        let (mut attempts, mut assigned, mut first_contact, mut ended, mut ender) = (0, None, None, None, None);
        let mut assigned_at = None;
        for pair in ev.windows(2) {
            assert!(pair[0].occurred_at < pair[1].occurred_at, "events strictly in time order");
        }
        for e in &ev[1..] {
            assert!(e.occurred_at < end, "nothing happens after today");
            assert!(ended.is_none(), "nothing after the end");
            match e.kind {
                ReferralEventKind::Created => panic!("created twice"),
                ReferralEventKind::StatusChanged => {
                    let to = e.to_status.unwrap();
                    assert_eq!(e.from_status, Some(status));
                    assert!(domain::referrals::state::allowed_moves(status).contains(&to), "{status:?} → {to:?}");
                    assert_eq!(e.snomed_code.as_deref(), domain::referrals::state::snomed_code(r.service, Some(to)));
                    if to == ReferralStatus::UnableToContact {
                        assert!(attempts >= domain::referrals::state::MIN_CONTACT_ATTEMPTS);
                    }
                    if to == ReferralStatus::CancelledByReferrer {
                        assert_eq!(
                            (e.practitioner_id, e.organisation_id),
                            (r.referring_practitioner_id, r.referring_organisation_id)
                        );
                    } else {
                        assert_eq!(e.organisation_id, r.receiving_organisation_id);
                        assert_eq!(staff[&e.practitioner_id].organisation_id, r.receiving_organisation_id);
                    }
                    if to == ReferralStatus::RejectedByService {
                        assert!(e.reason.is_some());
                    }
                    if to == ReferralStatus::Contacted {
                        first_contact = Some(e.occurred_at);
                    }
                    if !domain::referrals::state::is_open(to) {
                        ended = Some(e.occurred_at);
                        ender = Some(e.practitioner_id);
                    }
                    status = to;
                }
                ReferralEventKind::ContactAttempt => {
                    assert_eq!(status, ReferralStatus::AwaitingContact, "attempts only while waiting");
                    assert_eq!((e.from_status, e.to_status), (Some(status), Some(status)));
                    assert!(e.reason.is_some());
                    attempts += 1;
                }
                ReferralEventKind::Assigned => {
                    assert!(domain::referrals::state::is_open(status));
                    assert_eq!((e.from_status, e.to_status), (Some(status), Some(status)));
                    let worker = staff[&e.assigned_practitioner_id.unwrap()];
                    assert_eq!(worker.organisation_id, r.receiving_organisation_id);
                    assert!(worker.caseload_capacity.is_some());
                    assert!(e.reason.is_none(), "never over capacity");
                    assigned = Some(worker.id);
                    assigned_at = Some(e.occurred_at);
                }
            }
            if e.kind != ReferralEventKind::Assigned {
                assert!(e.assigned_practitioner_id.is_none());
            }
        }
        assert_eq!(r.status, status);
        assert_eq!(r.updated_at, ev.last().unwrap().occurred_at);
        assert_eq!(r.first_contact_at, first_contact);
        assert_eq!(r.ended_at, ended);
        assert_eq!(r.assigned_practitioner_id, assigned);
        assert_eq!(r.outcome.is_some(), status == ReferralStatus::Closed);
        assert_eq!(r.rejection_reason.is_some(), status == ReferralStatus::RejectedByService);
        assert!(r.suggested_alternative.is_none() || status == ReferralStatus::RejectedByService);
        let open = domain::referrals::state::is_open(status);
        assert_eq!(r.open_key, open.then(|| domain::referrals::open_key(r.patient_id, r.service)));
        if let Some(key) = &r.open_key {
            assert!(open_keys.insert(key.clone()), "two open referrals share {key}");
        }
        if let (Some(worker), Some(from)) = (assigned, assigned_at) {
            holds.entry(worker).or_default().push((from, ended));
        }

        // Feedback.
        let fb = feedback.get(&r.id).map_or(&[][..], Vec::as_slice);
        if open || status == ReferralStatus::CancelledByReferrer {
            assert!(fb.is_empty(), "no feedback for {status:?}");
            continue;
        }
        assert_eq!(fb.len(), 1, "one feedback row per ended referral");
        let f = fb[0];
        assert_eq!((f.patient_id, f.referring_organisation_id), (r.patient_id, r.referring_organisation_id));
        assert_eq!((f.ended_status, f.outcome), (status, r.outcome));
        assert_eq!(
            f.snomed_codes,
            domain::referrals::state::join_codes(&domain::referrals::state::feedback_codes(r.service, status))
        );
        assert_eq!(f.worker_id, r.assigned_practitioner_id);
        assert_eq!(Some(f.written_by), ender);
        assert_eq!(Some(f.created_at), r.ended_at);
        assert!(f.summary.len() > 10);
        assert_eq!(f.filed_at.is_some(), f.filed_by.is_some());
        if let (Some(at), Some(by)) = (f.filed_at, f.filed_by) {
            assert!(at > f.created_at && at < end);
            assert!(f.created_at < end - chrono::Duration::days(14), "recent feedback is not filed yet");
            assert!(by == r.referring_practitioner_id || staff[&by].organisation_id == r.referring_organisation_id);
        }
    }
    assert_eq!(
        d.referral_feedback.iter().map(|f| f.referral_id).collect::<HashSet<_>>().len(),
        d.referral_feedback.len()
    );

    // Caseloads never above capacity, today or at any time.
    for (worker, h) in &holds {
        let capacity = staff[worker].caseload_capacity.unwrap() as usize;
        assert!(peak(h) <= capacity, "worker over capacity: {} of {capacity}", peak(h));
        let today_held = d
            .referrals
            .iter()
            .filter(|r| {
                r.assigned_practitioner_id == Some(*worker)
                    && domain::referrals::caseload::CASELOAD_STATES.contains(&r.status)
            })
            .count();
        assert!(today_held <= capacity);
    }
}

/// Checks groups, sessions, members and registers.
fn check_groups(d: &DemoData, today: NaiveDate) {
    let end = cutoff(today);
    let staff: HashMap<Uuid, &practitioner::Model> = d.practitioners.iter().map(|p| (p.id, p)).collect();
    let orgs: HashMap<Uuid, &organisation::Model> = d.top_organisations.iter().map(|o| (o.id, o)).collect();
    let patients: HashMap<Uuid, &patient::Model> = d.patients.iter().map(|p| (p.id, p)).collect();
    let referrals: HashMap<Uuid, &referral::Model> = d.referrals.iter().map(|r| (r.id, r)).collect();
    let mut events: HashMap<Uuid, Vec<&referral_event::Model>> = HashMap::new();
    for e in &d.referral_events {
        events.entry(e.referral_id).or_default().push(e);
    }
    let groups: HashMap<Uuid, &support_group::Model> = d.support_groups.iter().map(|g| (g.id, g)).collect();
    for n in &d.neighbourhoods {
        let count = d.support_groups.iter().filter(|g| g.neighbourhood_id == n.id).count();
        assert!((3..=5).contains(&count), "{count} groups");
    }
    for g in &d.support_groups {
        assert_eq!(orgs[&g.organisation_id].kind, OrganisationKind::SplwProvider);
        let leader = staff[&g.leader_id];
        assert_eq!(leader.professional_role, ProfessionalRole::SocialPrescribingLinkWorker);
        assert_eq!(leader.organisation_id, g.organisation_id);
        assert_eq!(g.created_by, g.leader_id);
        assert!((10..=15).contains(&g.capacity.unwrap()));
        assert!(g.focus_need.is_some() && g.description.is_some() && g.closed_at.is_none());
        assert!(g.created_at < end);
    }
    let mut sessions: HashMap<Uuid, &group_session::Model> = HashMap::new();
    for s in &d.group_sessions {
        let g = groups[&s.group_id];
        assert!((90..=120).contains(&s.duration_minutes));
        assert!(s.created_at >= g.created_at && s.created_at < end && s.created_at <= s.starts_at);
        assert!(s.starts_at > g.created_at);
        sessions.insert(s.id, s);
    }
    for g in &d.support_groups {
        let mut starts: Vec<DateTime<Utc>> =
            d.group_sessions.iter().filter(|s| s.group_id == g.id).map(|s| s.starts_at).collect();
        starts.sort();
        assert!(starts.first().is_some_and(|s| *s < end) && starts.last().is_some_and(|s| *s > end));
        assert!(starts.windows(2).all(|w| (w[1] - w[0]).num_days() % 7 == 0), "weekly");
    }

    let mut keys = HashSet::new();
    let mut while_waiting = 0usize;
    let mut by_group: HashMap<Uuid, Vec<referrals::Hold>> = HashMap::new();
    let mut members: HashMap<Uuid, &group_participant::Model> = HashMap::new();
    for p in &d.group_participants {
        let g = groups[&p.group_id];
        assert_eq!(patients[&p.patient_id].neighbourhood_id, g.neighbourhood_id);
        assert_eq!(p.added_by, g.leader_id);
        assert!(p.joined_at > g.created_at && p.joined_at < end);
        assert!(p.left_at.is_none_or(|l| l > p.joined_at && l < end));
        assert_eq!(p.open_key, p.left_at.is_none().then(|| domain::groups::participant_open_key(g.id, p.patient_id)));
        if let Some(k) = &p.open_key {
            assert!(keys.insert(k.clone()), "one current membership per person and group");
        }
        let r = referrals[&p.referral_id.unwrap()];
        assert_eq!(r.patient_id, p.patient_id);
        assert_eq!(r.service, ReferralService::SocialPrescribing);
        let status = status_at(&events[&r.id], p.joined_at);
        assert!(
            matches!(status, ReferralStatus::AwaitingContact | ReferralStatus::Active),
            "joined while waiting or while being worked with, not {status:?}"
        );
        if status == ReferralStatus::AwaitingContact {
            while_waiting += 1;
        }
        by_group.entry(g.id).or_default().push((p.joined_at, p.left_at));
        members.insert(p.id, p);
    }
    assert!(while_waiting * 2 >= d.group_participants.len(), "most join while waiting");
    for (group, holds) in &by_group {
        let capacity = groups[group].capacity.unwrap() as usize;
        assert!(peak(holds) <= capacity, "group over capacity");
        assert!(holds.iter().filter(|(_, l)| l.is_none()).count() <= capacity);
    }
    let mut seen = HashSet::new();
    for a in &d.group_attendance {
        assert!(seen.insert((a.session_id, a.participant_id)));
        let s = sessions[&a.session_id];
        let p = members[&a.participant_id];
        assert_eq!(s.group_id, p.group_id);
        assert!(s.starts_at < end, "registers only for sessions that have happened");
        assert!(p.joined_at <= s.starts_at && p.left_at.is_none_or(|l| s.starts_at < l), "member at the time");
        assert_eq!(a.recorded_by, groups[&s.group_id].leader_id);
        assert!(a.recorded_at > s.starts_at && a.recorded_at < end);
    }
}

#[test]
fn small_demo_history_obeys_the_referral_and_group_rules() {
    for opts in [small(2026), small(5), DemoOptions { population: 40, neighbourhoods: 17, ..Default::default() }] {
        let d = generate(&opts).unwrap();
        check_referrals(&d, opts.today);
        check_groups(&d, opts.today);
    }
}

#[test]
fn fifty_thousand_history_has_the_briefings_shape() {
    let d = &*FIFTY_THOUSAND;
    let today = DemoOptions::default().today;
    check_referrals(d, today);
    check_groups(d, today);
    let n = d.referrals.len() as f64;

    // About 700 a year per 50,000, rising slightly.
    let per_year = n / 3.0;
    assert!((600.0..=800.0).contains(&per_year), "{per_year} referrals a year");
    let last_year = d.referrals.iter().filter(|r| r.created_at >= at(today - Days::new(365), 0)).count();
    let first_year = d.referrals.iter().filter(|r| r.created_at < at(today - Days::new(730), 0)).count();
    assert!(last_year > first_year, "rising: {first_year} then {last_year}");
    let weekend = d.referrals.iter().filter(|r| r.created_at.weekday().number_from_monday() > 5).count();
    assert!((weekend as f64) < n * 0.05, "{weekend} at weekends");

    let share = |f: &dyn Fn(&referral::Model) -> bool| d.referrals.iter().filter(|r| f(r)).count() as f64 / n;
    for service in ReferralService::iter() {
        assert!(share(&|r| r.service == service) > 0.02, "{service:?} occurs");
    }
    let sp = share(&|r| r.service == ReferralService::SocialPrescribing);
    assert!((0.55..0.65).contains(&sp), "social prescribing {sp}");
    for source in ReferralSource::iter() {
        assert!(share(&|r| r.source == source) > 0.005, "{source:?} occurs");
    }
    let gp = share(&|r| r.source == ReferralSource::Gp);
    assert!((0.38..0.52).contains(&gp), "GP share {gp}");
    let urgent = share(&|r| r.urgency == Urgency::Urgent);
    assert!(urgent > 0.03 && urgent < 0.2, "urgent {urgent}");

    // How referrals end.
    let ended: Vec<&referral::Model> = d.referrals.iter().filter(|r| r.ended_at.is_some()).collect();
    let ended_share = |s: ReferralStatus| ended.iter().filter(|r| r.status == s).count() as f64 / ended.len() as f64;
    let declined = ended_share(ReferralStatus::DeclinedByPatient);
    let rejected = ended_share(ReferralStatus::RejectedByService);
    let unable = ended_share(ReferralStatus::UnableToContact);
    let cancelled = ended_share(ReferralStatus::CancelledByReferrer);
    println!("ended: declined {declined:.3} rejected {rejected:.3} unable {unable:.3} cancelled {cancelled:.3}");
    assert!((0.05..0.11).contains(&declined) && (0.02..0.07).contains(&rejected));
    assert!((0.03..0.08).contains(&unable) && (0.005..0.04).contains(&cancelled));
    let closed: Vec<&&referral::Model> = ended.iter().filter(|r| r.status == ReferralStatus::Closed).collect();
    let met =
        closed.iter().filter(|r| r.outcome == Some(ReferralOutcome::GoalsMet)).count() as f64 / closed.len() as f64;
    assert!((0.38..0.52).contains(&met), "goals met {met}");

    // Waiting for first contact with social prescribing: median about 3 weeks, p90 about 8.
    let mut waits: Vec<i64> = d
        .referrals
        .iter()
        .filter(|r| r.service == ReferralService::SocialPrescribing && r.urgency == Urgency::Routine)
        .filter_map(|r| r.first_contact_at.map(|c| (c - r.created_at).num_days()))
        .collect();
    waits.sort();
    let (median, p90) = (waits[waits.len() / 2], waits[waits.len() * 9 / 10]);
    println!("social prescribing wait to first contact: median {median} days, p90 {p90} days");
    assert!((14..=32).contains(&median) && (38..=80).contains(&p90), "median {median} p90 {p90}");

    // Today: a waiting list and caseloads, some of the waiting supported in groups.
    let mut now: BTreeMap<String, usize> = BTreeMap::new();
    for r in d.referrals.iter().filter(|r| r.open_key.is_some()) {
        *now.entry(format!("{:?}/{:?}", r.service, r.status)).or_default() += 1;
    }
    println!("open today: {now:?}");
    for status in
        [ReferralStatus::Received, ReferralStatus::AwaitingContact, ReferralStatus::Contacted, ReferralStatus::Active]
    {
        assert!(d.referrals.iter().any(|r| r.status == status), "someone is {status:?} today");
    }
    let waiting: HashSet<Uuid> = d
        .referrals
        .iter()
        .filter(|r| r.service == ReferralService::SocialPrescribing && r.status == ReferralStatus::AwaitingContact)
        .map(|r| r.id)
        .collect();
    let supported = d
        .group_participants
        .iter()
        .filter(|p| p.left_at.is_none() && p.referral_id.is_some_and(|r| waiting.contains(&r)))
        .count();
    println!("waiting for a link worker today: {}, of whom {supported} in a group", waiting.len());
    assert!(waiting.len() >= 15 && supported >= 5, "{supported} of {} waiting are in a group", waiting.len());
    let unassigned_waiting =
        d.referrals.iter().filter(|r| waiting.contains(&r.id) && r.assigned_practitioner_id.is_none()).count();
    assert!(unassigned_waiting > 0, "some of the waiting list is not yet picked up");

    // Feedback: older mostly filed, recent not.
    let filed =
        d.referral_feedback.iter().filter(|f| f.filed_at.is_some()).count() as f64 / d.referral_feedback.len() as f64;
    assert!((0.8..0.98).contains(&filed), "filed {filed}");

    // Registers: about 70% attended, 10% apologies, 20% did not attend.
    let total = d.group_attendance.len() as f64;
    let att = |s: AttendanceStatus| d.group_attendance.iter().filter(|a| a.status == s).count() as f64 / total;
    let (a, ap, dna) =
        (att(AttendanceStatus::Attended), att(AttendanceStatus::Apologies), att(AttendanceStatus::DidNotAttend));
    println!("attendance: attended {a:.2} apologies {ap:.2} did not attend {dna:.2} of {total}");
    assert!((0.6..0.8).contains(&a) && (0.05..0.16).contains(&ap) && (0.12..0.28).contains(&dna));
    println!("{:?}", d.summary());
}

/// Prints a few referrals with their events and feedback, groups and members, to read the wording.
/// Run with `--ignored --nocapture`.
#[test]
#[ignore]
fn print_sample_history() {
    let d = &*FIFTY_THOUSAND;
    for r in d.referrals.iter().rev().step_by(97).take(12) {
        println!("\n{:?} {:?} {:?} {:?} {}", r.service, r.source, r.urgency, r.status, r.created_at);
        println!("  context: {:?}", r.context);
        for n in d.referral_needs.iter().filter(|n| n.referral_id == r.id) {
            println!("  need {:?} {:?}", n.need, n.detail);
        }
        for e in d.referral_events.iter().filter(|e| e.referral_id == r.id) {
            println!("  {} {:?} {:?}->{:?} {:?}", e.occurred_at, e.kind, e.from_status, e.to_status, e.reason);
        }
        for f in d.referral_feedback.iter().filter(|f| f.referral_id == r.id) {
            println!("  feedback: {} [{}] filed {:?}", f.summary, f.snomed_codes, f.filed_at);
        }
    }
    for g in &d.support_groups {
        let members = d.group_participants.iter().filter(|p| p.group_id == g.id).count();
        let current = d.group_participants.iter().filter(|p| p.group_id == g.id && p.left_at.is_none()).count();
        let sessions = d.group_sessions.iter().filter(|s| s.group_id == g.id).count();
        println!(
            "\n{} ({:?}, cap {:?}) since {}: {sessions} sessions, {members} members, {current} now",
            g.name, g.focus_need, g.capacity, g.created_at
        );
        println!("  {:?}", g.description);
    }
}

// ---------------------------------------------------------------------------------------------
// The directory, connections to it and postcode locations.

#[test]
fn the_directory_holds_the_briefings_examples_and_connections_respect_capacity() {
    let d = &*FIFTY_THOUSAND;
    let today = DemoOptions::default().today;
    assert!(d.assets.len() >= 20, "{} assets", d.assets.len());
    let names: Vec<&str> = d.assets.iter().map(|a| a.name.as_str()).collect();
    for example in [
        "Community Garden",
        "Health Walk",
        "Green Gym",
        "Outdoor Arts",
        "Nature Mindfulness",
        "Open-Water Swimming",
        "Art Group",
        "Food Bank",
        "Debt and Money Advice",
        "Carers' Café",
        "65+ Social Hub",
        "Employment Support Pilot",
    ] {
        assert!(names.iter().any(|n| n.contains(example)), "no {example}");
    }
    let orgs: HashMap<Uuid, &organisation::Model> = d.top_organisations.iter().map(|o| (o.id, o)).collect();
    let mut categories: HashMap<Uuid, usize> = HashMap::new();
    for c in &d.asset_categories {
        *categories.entry(c.asset_id).or_default() += 1;
    }
    let located: HashSet<&str> = d.postcode_locations.iter().map(|p| p.postcode.as_str()).collect();
    assert_eq!(located.len(), d.postcode_locations.len(), "one location per postcode");
    for p in d.patients.iter().take(2_000) {
        assert!(located.contains(p.postcode.as_str()), "{} has no location", p.postcode);
    }
    let stale = d.assets.iter().filter(|a| domain::directory::is_stale(a, today)).count();
    assert!(stale > 0 && stale < d.assets.len() / 3, "{stale} stale");
    let mut held: HashMap<Uuid, i32> = HashMap::new();
    let mut keys = HashSet::new();
    for c in &d.connections {
        let live = matches!(c.state, entity::ConnectionState::Referred | entity::ConnectionState::Attending);
        assert_eq!(c.open_key.is_some(), live);
        if let Some(k) = &c.open_key {
            assert!(keys.insert(k.clone()), "two live connections {k}");
        }
        if live {
            *held.entry(c.asset_id).or_default() += 1;
        }
        assert!(c.created_at < at(today, 0));
    }
    for a in &d.assets {
        assert_eq!(orgs[&a.provider_organisation_id].kind, OrganisationKind::Vcse);
        assert!(categories[&a.id] >= 1);
        assert!(located.contains(a.postcode.as_str()));
        assert_eq!(a.places_taken, held.get(&a.id).copied().unwrap_or(0), "{}", a.name);
        assert!(a.capacity.is_none_or(|c| a.places_taken <= c), "{} over capacity", a.name);
        assert!((52.7..53.6).contains(&a.latitude) && (-1.5..-0.6).contains(&a.longitude));
    }
    assert!(d.connections.iter().filter(|c| c.state == entity::ConnectionState::Attending).count() > 10);
    let mut events: HashMap<Uuid, Vec<&entity::asset_connection_event::Model>> = HashMap::new();
    for e in &d.connection_events {
        events.entry(e.connection_id).or_default().push(e);
    }
    for c in &d.connections {
        let history = &events[&c.id];
        assert_eq!(history.last().unwrap().to_state, c.state);
        assert!(history
            .windows(2)
            .all(|w| w[0].occurred_at <= w[1].occurred_at && w[1].from_state == Some(w[0].to_state)));
    }
}

// ---------------------------------------------------------------------------------------------
// Care plans and outcome measures.

#[test]
fn measurements_pair_and_score_as_the_api_would_and_plans_are_one_per_person() {
    use domain::outcomes::instruments;
    let d = &*FIFTY_THOUSAND;
    let today = DemoOptions::default().today;
    let by_id: HashMap<Uuid, &entity::outcome_measurement::Model> = d.measurements.iter().map(|m| (m.id, m)).collect();
    let mut values: HashMap<Uuid, Vec<(&str, i16)>> = HashMap::new();
    for r in &d.responses {
        values.entry(r.measurement_id).or_default().push((r.item.as_str(), r.value));
    }
    let referrals: HashMap<Uuid, &referral::Model> = d.referrals.iter().map(|r| (r.id, r)).collect();
    let mut seen = HashSet::new();
    for m in &d.measurements {
        let instrument = instruments::by_key(&m.instrument).unwrap();
        let given: Vec<(String, i32)> = values[&m.id].iter().map(|(k, v)| ((*k).to_owned(), i32::from(*v))).collect();
        let checked = instrument.validate(&given).expect("complete and in range");
        let scores = (instrument.score)(&checked);
        assert_eq!((m.raw_score, m.metric_score), (scores.raw, scores.metric));
        assert!(m.taken_on < today);
        let referral = referrals[&m.referral_id.unwrap()];
        assert_eq!(referral.patient_id, m.patient_id);
        match m.kind {
            entity::MeasurementKind::Baseline => assert!(m.baseline_id.is_none()),
            entity::MeasurementKind::FollowUp => {
                let b = by_id[&m.baseline_id.unwrap()];
                assert!(seen.contains(&b.id), "the baseline comes first");
                assert_eq!(
                    (b.patient_id, b.instrument.as_str(), b.kind),
                    (m.patient_id, m.instrument.as_str(), entity::MeasurementKind::Baseline)
                );
                assert!(b.taken_on <= m.taken_on);
            }
        }
        seen.insert(m.id);
    }
    // The briefing's shape: thinking clearly improves for most people with a pair, feeling useful for fewer.
    let pairs: Vec<_> =
        d.measurements.iter().filter(|m| m.instrument == "swemwbs" && m.baseline_id.is_some()).collect();
    assert!(pairs.len() > 100, "{} SWEMWBS pairs", pairs.len());
    let improved = |item: &str| {
        let better = pairs
            .iter()
            .filter(|f| {
                let v = |id: &Uuid| values[id].iter().find(|(k, _)| *k == item).unwrap().1;
                v(&f.id) > v(&f.baseline_id.unwrap())
            })
            .count();
        better as f64 / pairs.len() as f64
    };
    let (clear, useful) = (improved("thinking_clearly"), improved("useful"));
    assert!((0.5..0.75).contains(&clear) && (0.28..0.48).contains(&useful), "clear {clear} useful {useful}");

    let mut patients = HashSet::new();
    let goals: HashSet<Uuid> = d.plan_goals.iter().map(|g| g.id).collect();
    let vcse: HashSet<Uuid> =
        d.top_organisations.iter().filter(|o| o.kind == OrganisationKind::Vcse).map(|o| o.id).collect();
    for p in &d.plans {
        assert!(patients.insert(p.patient_id), "one plan per person");
        assert_eq!(d.plan_revisions.iter().filter(|r| r.plan_id == p.id).count(), 1);
    }
    assert!(d.plans.len() > 100);
    assert!(d.plan_actions.iter().all(|a| a.goal_id.is_some_and(|g| goals.contains(&g))));
    assert!(d.plan_actions.iter().all(|a| a.owner_organisation_id.is_some() || a.owner_practitioner_id.is_some()));
    let keys: HashSet<&str> = d.plan_shares.iter().filter_map(|s| s.open_key.as_deref()).collect();
    assert_eq!(keys.len(), d.plan_shares.len());
    assert!(!d.plan_shares.is_empty() && d.plan_shares.iter().all(|s| vcse.contains(&s.organisation_id)));
}

#[tokio::test]
async fn mdt_history_is_fortnightly_with_settled_and_overdue_actions_and_a_proposed_next_agenda() {
    let opts = small(2026);
    let (db, _) = seeded(&opts).await;
    let (again, _) = seeded(&opts).await;
    let items = |db: DatabaseConnection| async move {
        mdt_agenda_item::Entity::find().order_by_asc(mdt_agenda_item::Column::Id).all(&db).await.unwrap()
    };
    assert_eq!(items(db.clone()).await, items(again).await, "the proposed agendas are deterministic too");

    for n in neighbourhood::Entity::find().all(&db).await.unwrap() {
        let meetings = mdt_meeting::Entity::find()
            .filter(mdt_meeting::Column::NeighbourhoodId.eq(n.id))
            .order_by_asc(mdt_meeting::Column::StartsAt)
            .all(&db)
            .await
            .unwrap();
        assert_eq!(meetings.len() as i64, mdt::PAST_MEETINGS + 1);
        for pair in meetings.windows(2) {
            assert_eq!((pair[1].starts_at - pair[0].starts_at).num_days(), 14, "fortnightly");
        }
        let (next, past) = meetings.split_last().unwrap();
        assert!(past
            .iter()
            .all(|m| m.status == entity::MeetingStatus::Closed && m.starts_at.date_naive() < opts.today));
        assert_eq!(next.status, entity::MeetingStatus::Planned);
        assert!(next.starts_at.date_naive() > opts.today);

        // Nobody is discussed twice within 90 days.
        let mut seen: HashMap<Uuid, NaiveDate> = HashMap::new();
        for m in past {
            for item in mdt_agenda_item::Entity::find()
                .filter(mdt_agenda_item::Column::MeetingId.eq(m.id))
                .all(&db)
                .await
                .unwrap()
            {
                let day = m.starts_at.date_naive();
                if let Some(before) = seen.insert(item.patient_id, day) {
                    assert!(
                        (day - before).num_days() >= 90,
                        "{} discussed again after {} days",
                        item.patient_id,
                        (day - before).num_days()
                    );
                }
            }
        }
        // The next agenda is the server's proposal: people not discussed in the last 90 days.
        let proposed = mdt_agenda_item::Entity::find()
            .filter(mdt_agenda_item::Column::MeetingId.eq(next.id))
            .order_by_asc(mdt_agenda_item::Column::Position)
            .all(&db)
            .await
            .unwrap();
        assert!(!proposed.is_empty());
        for (position, item) in proposed.iter().enumerate() {
            assert_eq!(item.position, position as i32);
            assert!(!item.reason.is_empty());
            if let Some(last) = seen.get(&item.patient_id) {
                assert!((next.starts_at.date_naive() - *last).num_days() > 90);
            }
        }
    }
    let actions = mdt_action::Entity::find().all(&db).await.unwrap();
    let overdue = actions
        .iter()
        .filter(|a| a.status == entity::PlanActionStatus::Open && a.due_date.is_some_and(|d| d < opts.today))
        .count();
    let done = actions.iter().filter(|a| a.status == entity::PlanActionStatus::Done).count();
    assert!(overdue > 0 && done > overdue, "most actions are done, some are overdue: {done} done, {overdue} overdue");
    for a in &actions {
        let events = mdt_action_event::Entity::find()
            .filter(mdt_action_event::Column::ActionId.eq(a.id))
            .count(&db)
            .await
            .unwrap();
        let expected = if a.status == entity::PlanActionStatus::Open { 1 } else { 2 };
        assert_eq!(events, expected, "an action's history ends in its status");
    }
}

/// Named care teams are what the policy can stand behind: each member reads identifiable records
/// and works for an organisation of the person's neighbourhood, the people are severely frail, a
/// person has one standing named coordinator at most and a practitioner one standing membership
/// per person, and ended memberships hold no key and ended after they began, by today.
#[test]
fn named_care_teams_are_consistent_with_the_rules_the_server_keeps() {
    let opts = DemoOptions { population: 6_000, neighbourhoods: 2, ..Default::default() };
    let d = generate(&opts).unwrap();
    assert!(d.care_team_members.len() > 20, "{}", d.care_team_members.len());
    let people: HashMap<Uuid, &patient::Model> = d.patients.iter().map(|p| (p.id, p)).collect();
    let staff: HashMap<Uuid, &practitioner::Model> = d.practitioners.iter().map(|p| (p.id, p)).collect();
    let kinds: HashMap<Uuid, OrganisationKind> =
        d.top_organisations.iter().chain(&d.pcns).chain(&d.practices).map(|o| (o.id, o.kind)).collect();
    let members: HashSet<(Uuid, Uuid)> =
        d.memberships.iter().map(|m| (m.neighbourhood_id, m.organisation_id)).collect();
    let (mut keys, mut coordinators) = (HashSet::new(), HashSet::new());
    let now = at(opts.today, 9 * 60);
    for m in &d.care_team_members {
        let person = people[&m.patient_id];
        let member = staff[&m.practitioner_id];
        assert_eq!(member.organisation_id, m.organisation_id);
        assert!(domain::auth::policy::identifiable_access_allowed(kinds[&m.organisation_id], member.professional_role));
        assert!(members.contains(&(person.neighbourhood_id, m.organisation_id)), "{m:?}");
        assert_eq!(person.efi_score.map(FrailtyCategory::from_efi), Some(FrailtyCategory::Severe));
        assert!(!m.team_role.is_empty() && m.team_role.chars().count() <= domain::care_team::MAX_TEAM_ROLE_CHARS);
        assert!(m.since <= opts.today);
        match (&m.open_key, m.ended_at) {
            (Some(key), None) => {
                assert_eq!(*key, domain::open_key::of(m.patient_id, m.practitioner_id));
                assert!(keys.insert(key.clone()), "one standing membership per person and practitioner");
                if m.is_care_coordinator {
                    assert_eq!(m.coordinator_key.as_deref(), Some(m.patient_id.to_string().as_str()));
                    assert!(coordinators.insert(m.patient_id), "one standing coordinator per person");
                }
            }
            (None, Some(ended)) => {
                assert!(m.coordinator_key.is_none() && m.end_reason.is_some() && m.ended_by.is_some());
                assert!(ended >= m.added_at && ended <= now, "{m:?}");
            }
            other => panic!("a membership either stands or has ended: {other:?}"),
        }
    }
}

/// The governance rows are what the server would have written: one privacy officer per
/// neighbourhood at its PCN; break-glass uses by roles that may break it, on people of the
/// neighbourhood, lasting the default hours, reviewed (by that officer, after the use, with a note
/// where not justified) only when older than two weeks; and each use's reads audited as
/// break-glass within its hours, under event ids in time order (UUID v7 of their moment).
#[test]
fn break_glass_uses_and_their_reads_are_what_the_server_records() {
    let opts = DemoOptions { population: 6_000, neighbourhoods: 2, ..Default::default() };
    let d = generate(&opts).unwrap();
    let officers: Vec<&practitioner::Model> =
        d.practitioners.iter().filter(|p| p.professional_role == ProfessionalRole::PrivacyOfficer).collect();
    assert_eq!(officers.len(), 2);
    assert!(officers.iter().all(|o| d.pcns.iter().any(|p| p.id == o.organisation_id)));
    let people: HashMap<Uuid, &patient::Model> = d.patients.iter().map(|p| (p.id, p)).collect();
    let staff: HashMap<Uuid, &practitioner::Model> = d.practitioners.iter().map(|p| (p.id, p)).collect();
    let kinds: HashMap<Uuid, OrganisationKind> =
        d.top_organisations.iter().chain(&d.pcns).chain(&d.practices).map(|o| (o.id, o.kind)).collect();
    assert!(d.break_glass_uses.len() >= 6, "{}", d.break_glass_uses.len());
    let (mut reviewed, mut waiting) = (0, 0);
    for u in &d.break_glass_uses {
        let clinician = staff[&u.practitioner_id];
        assert_eq!(clinician.organisation_id, u.organisation_id);
        assert_eq!(
            domain::auth::policy::level_of(kinds[&u.organisation_id], clinician.professional_role),
            Some(domain::auth::PatientAccessLevel::Full)
        );
        assert!(people.contains_key(&u.patient_id));
        assert_eq!(u.expires_at - u.started_at, chrono::Duration::hours(4));
        assert!(domain::break_glass::BreakGlassReason::from_stored(&u.reason).is_some());
        match (u.reviewed_by, u.reviewed_at, u.review_outcome.as_deref()) {
            (Some(by), Some(when), Some(outcome)) => {
                reviewed += 1;
                assert!(officers.iter().any(|o| o.id == by) && when > u.started_at);
                let outcome = domain::break_glass::ReviewOutcome::from_stored(outcome).expect("a coded outcome");
                assert_eq!(u.review_note.is_some(), outcome != domain::break_glass::ReviewOutcome::Justified);
            }
            (None, None, None) => waiting += 1,
            other => panic!("a use is reviewed whole or not at all: {other:?}"),
        }
        let reads: Vec<&entity::access_event::Model> = d
            .access_event_patients
            .iter()
            .filter(|r| r.patient_id == u.patient_id && r.access_reason == "break_glass")
            .filter_map(|r| {
                d.access_events.iter().find(|e| e.id == r.event_id && e.practitioner_id == u.practitioner_id)
            })
            .collect();
        assert!(!reads.is_empty(), "every use opened a read");
        for e in reads {
            assert!(e.occurred_at >= u.started_at && e.occurred_at < u.expires_at);
            assert_eq!(e.id.get_version_num(), 7);
            let (secs, nanos) = e.id.get_timestamp().expect("a v7 id carries its moment").to_unix();
            assert_eq!(
                i64::try_from(secs).unwrap() * 1000 + i64::from(nanos / 1_000_000),
                e.occurred_at.timestamp_millis()
            );
        }
    }
    assert!(reviewed > 0 && waiting > 0, "{reviewed} reviewed, {waiting} waiting");
}
