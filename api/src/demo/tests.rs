use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use migration::MigratorTrait;
use sea_orm::{ColumnTrait, Database, PaginatorTrait, QueryFilter, QueryOrder};

use super::*;

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
    }
}

fn age_on(patient: &patient::Model, today: NaiveDate) -> u32 {
    population::completed_years(patient.date_of_birth, today)
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
        let age = age_on(p, today);
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
    for c in crate::conditions::catalogue() {
        assert!(keys.contains(&c.key.as_str()), "no prevalence row for {}", c.key);
    }
    for key in keys {
        assert!(crate::conditions::by_key(key).is_some(), "{key} is not in the catalogue");
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
        let n = g.nhs_number().expect("a number for every valid stem");
        assert!(n.is_test_number());
        assert!(seen.insert(n));
    }
    assert!(g.nhs_number().is_err(), "the range holds exactly max_population() numbers");
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
        for role in ProfessionalRole::iter().filter(|r| *r != ProfessionalRole::Commissioner) {
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
        let age = age_on(p, opts.today);
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
        assert!(crate::conditions::by_code(&c.snomed_code).is_some());
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
            let age = age_on(p, opts.today);
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
        let code = &crate::conditions::by_key(shape.key).unwrap().snomed_code;
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
