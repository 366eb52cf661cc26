//! Outcome measures: recording and server-side scoring over HTTP, validation that names the item,
//! who may record and read, and the outcome report against a brute-force computation over the same
//! rows, suppression included.

use std::collections::HashMap;

use chrono::{Datelike, Days, NaiveDate, TimeZone};
use rand::{Rng, SeedableRng};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use server::cli::DemoRole;

use crate::helpers::{spawn_app, TestApp};

const RECORD: &str = r#"mutation Record($input: RecordOutcomeMeasurementInput!) { recordOutcomeMeasurement(input: $input) {
    measurement { id kind takenOn rawScore metricScore metricChange instrument { key }
        baseline { id } referral { id } recordedBy { name }
        responses { item value label band } } } }"#;

const SWEMWBS: [&str; 7] =
    ["optimistic", "useful", "relaxed", "dealing_with_problems", "thinking_clearly", "close_to_others", "own_mind"];
const ONS4: [&str; 4] = ["life_satisfaction", "worthwhile", "happiness", "anxiety"];

fn responses(keys: &[&str], values: &[i32]) -> Value {
    Value::Array(keys.iter().zip(values).map(|(k, v)| json!({ "item": k, "value": v })).collect())
}

fn input(patient: &str, instrument: &str, kind: &str, on: NaiveDate, referral: Option<&str>, r: Value) -> Value {
    json!({ "input": { "patientId": patient, "instrument": instrument, "kind": kind, "takenOn": on.to_string(),
        "referralId": referral, "responses": r } })
}

async fn neighbourhood_patients(app: &TestApp, token: &str) -> (String, Vec<String>) {
    let me = app.gql(token, "{ me { neighbourhoods { id } } }", json!({})).await;
    let neighbourhood = me.data()["me"]["neighbourhoods"][0]["id"].as_str().unwrap().to_owned();
    let ids = unmeasured_in(app, token, &neighbourhood).await;
    (neighbourhood, ids)
}

/// Adults of `neighbourhood` whom `token` reaches and the demo's history has not measured.
async fn unmeasured_in(app: &TestApp, token: &str, neighbourhood: &str) -> Vec<String> {
    let page = app
        .gql(
            token,
            "query($n: ID) { patients(first: 100, filter: { neighbourhoodId: $n, ageMin: 18 }) { nodes { id } } }",
            json!({ "n": neighbourhood }),
        )
        .await;
    // People the demo's history has not measured, so that each test knows every row of theirs.
    let measured: std::collections::HashSet<String> = entity::outcome_measurement::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.patient_id.to_string())
        .collect();
    page.data()["patients"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .filter(|id| !measured.contains(id))
        .collect()
}

#[tokio::test]
async fn the_server_scores_measurements_and_names_the_item_it_refuses() {
    let app = spawn_app().await;
    let worker = app.token(DemoRole::LinkWorker).await;
    let (_, patients) = neighbourhood_patients(&app, &worker).await;
    let today = api::context::uk_today();
    let patient = &patients[0];

    // A follow-up needs a baseline first; nothing is stored.
    let early = app
        .gql(&worker, RECORD, input(patient, "swemwbs", "FOLLOW_UP", today, None, responses(&SWEMWBS, &[3; 7])))
        .await;
    assert_eq!(early.error_code(), "BAD_USER_INPUT");
    assert_eq!(early.body["errors"][0]["extensions"]["field"], "kind");

    let base_day = today - Days::new(90);
    let baseline = app
        .gql(
            &worker,
            RECORD,
            input(patient, "SWEMWBS", "BASELINE", base_day, None, responses(&SWEMWBS, &[2, 2, 1, 2, 3, 2, 3])),
        )
        .await;
    let b = &baseline.data()["recordOutcomeMeasurement"]["measurement"];
    assert_eq!(b["rawScore"], 15);
    assert_eq!(b["metricScore"], 15.84);
    assert_eq!(b["responses"][0], json!({ "item": "optimistic", "value": 2, "label": "Rarely", "band": null }));
    let follow = app
        .gql(
            &worker,
            RECORD,
            input(patient, "swemwbs", "FOLLOW_UP", today, None, responses(&SWEMWBS, &[4, 3, 3, 3, 4, 3, 4])),
        )
        .await;
    let f = &follow.data()["recordOutcomeMeasurement"]["measurement"];
    assert_eq!(f["rawScore"], 24);
    assert_eq!(f["metricScore"], 21.54);
    assert_eq!(f["baseline"]["id"], b["id"]);
    assert_eq!(f["metricChange"], 5.7);

    // ONS4: four items, never summed, each with its band.
    let ons = app
        .gql(&worker, RECORD, input(patient, "ons4", "BASELINE", today, None, responses(&ONS4, &[4, 6, 8, 7])))
        .await;
    let o = &ons.data()["recordOutcomeMeasurement"]["measurement"];
    assert!(o["rawScore"].is_null() && o["metricScore"].is_null());
    let bands: Vec<&str> = o["responses"].as_array().unwrap().iter().map(|r| r["band"].as_str().unwrap()).collect();
    assert_eq!(bands, ["Low", "Medium", "High", "High"]);

    // Incomplete, out of range, unknown instrument, future date: refused, naming what was wrong.
    for (request, field, needle) in [
        (
            input(patient, "swemwbs", "BASELINE", today, None, responses(&SWEMWBS[..6], &[3; 6])),
            "responses",
            "own_mind",
        ),
        (input(patient, "ons4", "BASELINE", today, None, responses(&ONS4, &[4, 11, 8, 7])), "responses", "worthwhile"),
        (input(patient, "phq9", "BASELINE", today, None, responses(&ONS4, &[1; 4])), "instrument", "swemwbs, ons4"),
        (
            input(patient, "ons4", "BASELINE", today + Days::new(2), None, responses(&ONS4, &[1; 4])),
            "takenOn",
            "future",
        ),
    ] {
        let reply = app.gql(&worker, RECORD, request).await;
        assert_eq!(reply.error_code(), "BAD_USER_INPUT", "{}", reply.body);
        assert_eq!(reply.body["errors"][0]["extensions"]["field"], field);
        assert!(reply.error_message().contains(needle), "{}", reply.error_message());
    }
    let stored = entity::outcome_measurement::Entity::find()
        .filter(entity::outcome_measurement::Column::PatientId.eq(uuid::Uuid::parse_str(patient).unwrap()))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 3, "refused requests stored nothing");

    // The person's record lists them; VCSE staff and commissioners can neither record nor read.
    let read = app
        .gql(
            &worker,
            "query($id: ID!) { patient(id: $id) { outcomeMeasurements(instrument: \"swemwbs\") { kind metricScore } } }",
            json!({ "id": patient }),
        )
        .await;
    assert_eq!(
        read.data()["patient"]["outcomeMeasurements"],
        json!([{ "kind": "BASELINE", "metricScore": 15.84 }, { "kind": "FOLLOW_UP", "metricScore": 21.54 }])
    );
    for role in [DemoRole::Vcse, DemoRole::Commissioner] {
        let token = app.token(role).await;
        let reply =
            app.gql(&token, RECORD, input(patient, "ons4", "BASELINE", today, None, responses(&ONS4, &[5; 4]))).await;
        assert_eq!(reply.error_code(), "FORBIDDEN", "{role:?}");
    }
    let audited = app.audit_trail().await;
    let audited: Vec<_> = audited.iter().filter(|a| a.label().contains("recordOutcomeMeasurement")).collect();
    assert_eq!(audited.len(), 3, "every recorded measurement is audited");
}

const REPORT: &str = r#"query Report($input: OutcomeReportInput!) { outcomeReport(input: $input) { from to
    instruments { instrument { key } peopleWithPair suppressed meanMetricChange
        items { item { key } headline meanChange
            improved { count denominator percent suppressed }
            same { count denominator percent suppressed }
            worsened { count denominator percent suppressed } } } } }"#;

/// One pair as the brute force sees it: (instrument, patient) → (follow-up values, baseline values,
/// metric change).
type Pairs = HashMap<(String, uuid::Uuid), (HashMap<String, i16>, HashMap<String, i16>, Option<f64>)>;

async fn brute_force(app: &TestApp, neighbourhood: &str, from: NaiveDate, to: NaiveDate, referral_only: bool) -> Pairs {
    brute_force_recorded(app, neighbourhood, from, to, referral_only, None).await
}

async fn brute_force_recorded(
    app: &TestApp,
    neighbourhood: &str,
    from: NaiveDate,
    to: NaiveDate,
    referral_only: bool,
    recorded_before: Option<chrono::DateTime<chrono::Utc>>,
) -> Pairs {
    let residents: std::collections::HashSet<uuid::Uuid> = entity::patient::Entity::find()
        .filter(entity::patient::Column::NeighbourhoodId.eq(uuid::Uuid::parse_str(neighbourhood).unwrap()))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    let measurements: Vec<_> = entity::outcome_measurement::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| residents.contains(&m.patient_id))
        .collect();
    let responses = entity::outcome_response::Entity::find().all(&app.db).await.unwrap();
    let mut values: HashMap<uuid::Uuid, HashMap<String, i16>> = HashMap::new();
    for r in responses {
        values.entry(r.measurement_id).or_default().insert(r.item, r.value);
    }
    let by_id: HashMap<uuid::Uuid, &entity::outcome_measurement::Model> =
        measurements.iter().map(|m| (m.id, m)).collect();
    let mut latest: HashMap<(String, uuid::Uuid), &entity::outcome_measurement::Model> = HashMap::new();
    for m in &measurements {
        if m.kind != entity::MeasurementKind::FollowUp || m.taken_on < from || m.taken_on > to {
            continue;
        }
        if referral_only && m.referral_id.is_none() {
            continue;
        }
        if recorded_before.is_some_and(|before| m.recorded_at >= before) {
            continue;
        }
        let key = (m.instrument.clone(), m.patient_id);
        let better = latest.get(&key).is_none_or(|l| (m.taken_on, m.id) > (l.taken_on, l.id));
        if better {
            latest.insert(key, m);
        }
    }
    latest
        .into_iter()
        .map(|(key, f)| {
            let b = by_id[&f.baseline_id.unwrap()];
            let change = f.metric_score.zip(b.metric_score).map(|(x, y)| x - y);
            (key, (values[&f.id].clone(), values[&b.id].clone(), change))
        })
        .collect()
}

/// Per instrument and item, (improved, same, worse) as the brute force counts them.
fn item_counts(pairs: &Pairs, key: &str, name: &str) -> [u64; 3] {
    let lower_is_better = name == "anxiety";
    let mut counts = [0u64; 3];
    for ((instrument, _), (f, b, _)) in pairs {
        if instrument != key {
            continue;
        }
        let k = match (f[name].cmp(&b[name]), lower_is_better) {
            (std::cmp::Ordering::Equal, _) => 1,
            (std::cmp::Ordering::Greater, false) | (std::cmp::Ordering::Less, true) => 0,
            _ => 2,
        };
        counts[k] += 1;
    }
    counts
}

/// Published statistics (a commissioner's): every count below 5 withheld, zero included, the
/// rest the brute force's rounded to the nearest 5, no item with exactly one withheld share, and
/// percentages computed from the rounded counts.
fn check_published(report: &Value, pairs: &Pairs) {
    assert_eq!(report["exact"], false);
    let round = |n: u64| (n + 2) / 5 * 5;
    for inst in report["instruments"].as_array().unwrap() {
        let key = inst["instrument"]["key"].as_str().unwrap();
        let people = pairs.keys().filter(|(i, _)| i == key).count() as u64;
        if people < 5 {
            assert!(inst["peopleWithPair"].is_null(), "{key}: {inst}");
            continue;
        }
        assert_eq!(inst["peopleWithPair"], round(people), "{key}");
        for item in inst["items"].as_array().unwrap() {
            let name = item["item"]["key"].as_str().unwrap();
            let counts = item_counts(pairs, key, name);
            let mut withheld = 0;
            for (k, field) in ["improved", "same", "worsened"].iter().enumerate() {
                let share = &item[field];
                match share["count"].as_u64() {
                    None => {
                        withheld += 1;
                        assert!(share["percent"].is_null());
                    }
                    Some(shown) => {
                        assert!(counts[k] >= 5, "{key}.{name}.{field}: {} shown as {shown}", counts[k]);
                        assert_eq!(shown, round(counts[k]), "{key}.{name}.{field}");
                        let pct = (shown as f64 * 1000.0 / round(people) as f64).round() / 10.0;
                        assert_eq!(share["percent"].as_f64().unwrap(), pct);
                    }
                }
            }
            assert_ne!(withheld, 1, "{key}.{name}: one withheld share is the denominator minus the others");
        }
    }
}

/// The report's numbers must equal the brute force's, with counts of 1–4 (and the cell that would
/// give one away) suppressed.
fn check(report: &Value, pairs: &Pairs) {
    for inst in report["instruments"].as_array().unwrap() {
        let key = inst["instrument"]["key"].as_str().unwrap();
        let mine: Vec<_> = pairs.iter().filter(|((i, _), _)| i == key).map(|(_, v)| v).collect();
        let people = mine.len() as u64;
        if (1..5).contains(&people) {
            assert!(inst["peopleWithPair"].is_null() && inst["suppressed"] == true, "{key}: {inst}");
            for item in inst["items"].as_array().unwrap() {
                assert!(item["improved"]["count"].is_null() && item["improved"]["suppressed"] == true);
                assert!(item["headline"].as_str().unwrap().starts_with("suppressed"));
            }
            continue;
        }
        assert_eq!(inst["peopleWithPair"], people, "{key}");
        if key == "swemwbs" && people > 0 {
            let mean = mine.iter().map(|(_, _, c)| c.unwrap()).sum::<f64>() / people as f64;
            assert!((inst["meanMetricChange"].as_f64().unwrap() - mean).abs() < 0.006, "{key} mean");
        }
        for item in inst["items"].as_array().unwrap() {
            let name = item["item"]["key"].as_str().unwrap();
            let lower_is_better = name == "anxiety";
            let (mut up, mut same, mut down) = (0u64, 0u64, 0u64);
            for (f, b, _) in &mine {
                let (f, b) = (f[name], b[name]);
                match (f.cmp(&b), lower_is_better) {
                    (std::cmp::Ordering::Equal, _) => same += 1,
                    (std::cmp::Ordering::Greater, false) | (std::cmp::Ordering::Less, true) => up += 1,
                    _ => down += 1,
                }
            }
            let counts = [up, same, down];
            let mut hide = counts.map(|c| (1..5).contains(&c));
            if hide.iter().filter(|h| **h).count() == 1 {
                // The complement: the smallest other count that is not zero (a zero hides nothing).
                let k = (0..3).filter(|k| !hide[*k] && counts[*k] > 0).min_by_key(|k| counts[*k]).unwrap();
                hide[k] = true;
            }
            for (k, field) in ["improved", "same", "worsened"].iter().enumerate() {
                let share = &item[field];
                assert_eq!(share["suppressed"], hide[k], "{key}.{name}.{field}: {share}");
                assert_eq!(share["denominator"], people);
                if hide[k] {
                    assert!(share["count"].is_null() && share["percent"].is_null());
                } else {
                    assert_eq!(share["count"], counts[k], "{key}.{name}.{field}");
                    if people > 0 {
                        let pct = (counts[k] as f64 * 1000.0 / people as f64).round() / 10.0;
                        assert_eq!(share["percent"].as_f64().unwrap(), pct);
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn the_outcome_report_matches_a_brute_force_count_with_small_numbers_suppressed() {
    let app = spawn_app().await;
    let worker_model = app.practitioner(DemoRole::LinkWorker).await;
    let worker = app.token_for_practitioner(&worker_model);
    // The coordinator reaches the neighbourhood and reads its figures exactly; the link worker
    // reaches the people referred to their service, and records under those referrals.
    let coordinator = app.token(DemoRole::Coordinator).await;
    let (neighbourhood, everyone) = neighbourhood_patients(&app, &coordinator).await;
    let reached: std::collections::HashSet<String> =
        unmeasured_in(&app, &worker, &neighbourhood).await.into_iter().collect();
    assert!(!reached.is_empty(), "the worker reaches someone of the neighbourhood");
    let patients: Vec<String> = everyone
        .iter()
        .filter(|p| reached.contains(*p))
        .chain(everyone.iter().filter(|p| !reached.contains(*p)))
        .cloned()
        .collect();
    let today = api::context::uk_today();

    // Referrals the worker's service received, for measurements taken under a referral.
    let referrals = entity::referral::Entity::find()
        .filter(entity::referral::Column::ReceivingOrganisationId.eq(worker_model.organisation_id))
        .all(&app.db)
        .await
        .unwrap();
    let patient_set: std::collections::HashSet<&str> = patients.iter().map(String::as_str).collect();
    let mut referral_of: HashMap<String, String> = HashMap::new();
    for r in &referrals {
        let p = r.patient_id.to_string();
        if patient_set.contains(p.as_str()) && reached.contains(&p) {
            referral_of.entry(p).or_insert_with(|| r.id.to_string());
        }
    }

    // 40 people: a baseline then one or two follow-ups, some outside the period, a drift upwards.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let mut rows = 0;
    for (k, patient) in patients.iter().take(40).enumerate() {
        let referral = if k % 2 == 0 { referral_of.get(patient).map(String::as_str) } else { None };
        let base_day = today - Days::new(200 + rng.random_range(0..60));
        let recorder = if reached.contains(patient) { &worker } else { &coordinator };
        for (instrument, keys, lo, hi) in [("swemwbs", &SWEMWBS[..], 1, 5), ("ons4", &ONS4[..], 0, 10)] {
            if instrument == "ons4" && k % 3 == 0 {
                continue;
            }
            let base: Vec<i32> = keys.iter().map(|_| rng.random_range(lo..=hi - 1)).collect();
            let reply = app
                .gql(
                    recorder,
                    RECORD,
                    input(patient, instrument, "BASELINE", base_day, referral, responses(keys, &base)),
                )
                .await;
            reply.data();
            rows += 1;
            for f in 0..(1 + k % 2) {
                let day = base_day + Days::new(60 + 50 * f as u64 + rng.random_range(0..20));
                let values: Vec<i32> = base.iter().map(|v| (v + rng.random_range(-1..=2)).clamp(lo, hi)).collect();
                let reply = app
                    .gql(
                        recorder,
                        RECORD,
                        input(patient, instrument, "FOLLOW_UP", day, referral, responses(keys, &values)),
                    )
                    .await;
                reply.data();
                rows += 1;
            }
        }
    }
    assert!(rows > 100);

    // Exact figures (with small numbers suppressed) for the coordinator, who reads every record of
    // the neighbourhood; published statistics for the commissioner, below.
    let commissioner = coordinator.clone();
    let periods = [
        (today - Days::new(400), today),
        (today - Days::new(130), today - Days::new(100)),
        (today - Days::new(90), today),
    ];
    for (from, to) in periods {
        let reply = app
            .gql(&commissioner, REPORT, json!({ "input": { "neighbourhoodId": neighbourhood, "from": from.to_string(), "to": to.to_string() } }))
            .await;
        check(&reply.data()["outcomeReport"], &brute_force(&app, &neighbourhood, from, to, false).await);
    }
    // Narrowed to the service: only measurements taken under a social prescribing referral.
    let (from, to) = periods[0];
    let reply = app
        .gql(
            &commissioner,
            REPORT,
            json!({ "input": { "neighbourhoodId": neighbourhood, "service": "SOCIAL_PRESCRIBING",
                "from": from.to_string(), "to": to.to_string() } }),
        )
        .await;
    let pairs = brute_force(&app, &neighbourhood, from, to, true).await;
    assert!(!pairs.is_empty());
    check(&reply.data()["outcomeReport"], &pairs);

    // Narrowed to the neighbourhood's PCN (every demo practice of it belongs to the one PCN): the
    // same figures; a PCN id that is not a PCN is refused.
    let pcn = app
        .gql(
            &commissioner,
            "query($id: ID) { organisations(kind: PCN, neighbourhoodId: $id) { nodes { id } } }",
            json!({ "id": neighbourhood }),
        )
        .await;
    let pcns = pcn.data()["organisations"]["nodes"].as_array().unwrap().clone();
    assert_eq!(pcns.len(), 1);
    {
        let pcn_id = pcns[0]["id"].as_str().unwrap();
        let by_pcn = app
            .gql(
                &commissioner,
                REPORT,
                json!({ "input": { "neighbourhoodId": neighbourhood, "pcnId": pcn_id,
                "from": from.to_string(), "to": to.to_string() } }),
            )
            .await;
        check(&by_pcn.data()["outcomeReport"], &brute_force(&app, &neighbourhood, from, to, false).await);
    }
    let not_pcn = app
        .gql(
            &commissioner,
            REPORT,
            json!({ "input": { "neighbourhoodId": neighbourhood, "pcnId": neighbourhood,
            "from": from.to_string(), "to": to.to_string() } }),
        )
        .await;
    assert_eq!(not_pcn.body["errors"][0]["extensions"]["field"], "pcnId");

    // The headline reads like the briefing, with its denominator.
    let full = app
        .gql(
            &coordinator,
            REPORT,
            json!({ "input": { "neighbourhoodId": neighbourhood, "from": from.to_string(), "to": to.to_string() } }),
        )
        .await;
    let swemwbs = &full.data()["outcomeReport"]["instruments"][0];
    let clear = swemwbs["items"].as_array().unwrap().iter().find(|i| i["item"]["key"] == "thinking_clearly").unwrap();
    let headline = clear["headline"].as_str().unwrap();
    let paired =
        brute_force(&app, &neighbourhood, from, to, false).await.keys().filter(|(i, _)| i == "swemwbs").count();
    assert!(paired >= 40, "the test's 40 people and the demo's");
    assert!(headline.contains(&format!(" of {paired}) were able to think more clearly")), "{headline}");
    assert!(!full.body.to_string().contains(&patients[0]), "no person in the report");

    // A small selection: one PCN with nobody measured is zero, not suppressed; bad periods refused.
    let bad = app
        .gql(
            &commissioner,
            REPORT,
            json!({ "input": { "neighbourhoodId": neighbourhood, "from": to.to_string(), "to": from.to_string() } }),
        )
        .await;
    assert_eq!(bad.error_code(), "BAD_USER_INPUT");
    let elsewhere: Vec<String> =
        app.neighbourhoods().await.iter().map(|n| n.id.to_string()).filter(|id| *id != neighbourhood).collect();
    // Read by that neighbourhood's own coordinator.
    let commissioner = app.token_for_practitioner(
        &app.practitioner_in(entity::ProfessionalRole::IntCoordinator, elsewhere[0].parse().unwrap()).await,
    );
    // The other neighbourhood's report holds only its own people (the demo's history there)…
    let theirs = app
        .gql(
            &commissioner,
            REPORT,
            json!({ "input": { "neighbourhoodId": elsewhere[0], "from": from.to_string(), "to": to.to_string() } }),
        )
        .await;
    check(&theirs.data()["outcomeReport"], &brute_force(&app, &elsewhere[0], from, to, false).await);
    // … and nobody there was followed up today: zero, shown as zero.
    let empty = app
        .gql(
            &commissioner,
            REPORT,
            json!({ "input": { "neighbourhoodId": elsewhere[0], "from": today.to_string(), "to": today.to_string() } }),
        )
        .await;
    let none = &empty.data()["outcomeReport"]["instruments"][0];
    assert_eq!(none["peopleWithPair"], 0);
    assert_eq!(none["suppressed"], false);

    // The commissioner: published statistics for a quarter of the financial year that has ended,
    // counting only what had been recorded by its end (this test's measurements, recorded today,
    // are not in it: the figures of a period never change).
    let published = app.token(DemoRole::Commissioner).await;
    let arbitrary = app
        .gql(&published, REPORT, json!({ "input": { "neighbourhoodId": neighbourhood, "from": (today - Days::new(90)).to_string(), "to": today.to_string() } }))
        .await;
    assert_eq!(arbitrary.error_code(), "BAD_USER_INPUT");
    assert!(arbitrary.error_message().contains("financial year"), "{}", arbitrary.error_message());
    let quarter_start = {
        let this = NaiveDate::from_ymd_opt(today.year(), ((today.month0() / 3) * 3) + 1, 1).unwrap();
        let m0 = this.month0() as i32 - 3;
        NaiveDate::from_ymd_opt(this.year() + m0.div_euclid(12), m0.rem_euclid(12) as u32 + 1, 1).unwrap()
    };
    let quarter_end = {
        let m0 = quarter_start.month0() + 3;
        NaiveDate::from_ymd_opt(quarter_start.year() + (m0 / 12) as i32, m0 % 12 + 1, 1).unwrap().pred_opt().unwrap()
    };
    let end = chrono_tz::Europe::London
        .from_local_datetime(&quarter_end.succ_opt().unwrap().and_hms_opt(0, 0, 0).unwrap())
        .earliest()
        .unwrap()
        .with_timezone(&chrono::Utc);
    let reply = app
        .gql(&published, REPORT_PUBLISHED, json!({ "input": { "neighbourhoodId": neighbourhood, "from": quarter_start.to_string(), "to": quarter_end.to_string() } }))
        .await;
    let recorded = brute_force_recorded(&app, &neighbourhood, quarter_start, quarter_end, false, Some(end)).await;
    let everything = brute_force(&app, &neighbourhood, quarter_start, quarter_end, false).await;
    assert!(recorded.len() < everything.len(), "the test's own measurements, recorded today, are left out");
    check_published(&reply.data()["outcomeReport"], &recorded);
}

const REPORT_PUBLISHED: &str = r#"query Report($input: OutcomeReportInput!) { outcomeReport(input: $input) { exact
    instruments { instrument { key } peopleWithPair suppressed meanMetricChange
        items { item { key }
            improved { count denominator percent suppressed }
            same { count denominator percent suppressed }
            worsened { count denominator percent suppressed } } } } }"#;

#[tokio::test]
async fn five_people_show_and_four_are_suppressed() {
    let app = spawn_app().await;
    let worker = app.token(DemoRole::Coordinator).await;
    let (neighbourhood, patients) = neighbourhood_patients(&app, &worker).await;
    let today = api::context::uk_today();
    // Suppression holds for every caller, also those who read every record counted: the
    // coordinator asks. (A VCSE partner gets published statistics, for fixed ended periods only.)
    let vcse = worker.clone();
    let partner = app.token(DemoRole::Vcse).await;
    // Today only: the demo's history ends yesterday, so these five are the only pairs.
    let variables = json!({ "input": { "neighbourhoodId": neighbourhood,
        "from": today.to_string(), "to": today.to_string() } });
    for (k, patient) in patients.iter().take(5).enumerate() {
        app.gql(
            &worker,
            RECORD,
            input(patient, "swemwbs", "BASELINE", today - Days::new(60), None, responses(&SWEMWBS, &[2; 7])),
        )
        .await
        .data();
        app.gql(&worker, RECORD, input(patient, "swemwbs", "FOLLOW_UP", today, None, responses(&SWEMWBS, &[4; 7])))
            .await
            .data();
        if k == 3 {
            let four = app.gql(&vcse, REPORT, variables.clone()).await;
            let s = &four.data()["outcomeReport"]["instruments"][0];
            assert_eq!(s["suppressed"], true, "{s}");
            assert!(s["peopleWithPair"].is_null() && s["meanMetricChange"].is_null());
        }
    }
    let five = app.gql(&vcse, REPORT, variables.clone()).await;
    let s = &five.data()["outcomeReport"]["instruments"][0];
    assert_eq!(s["peopleWithPair"], 5);
    assert_eq!(s["meanMetricChange"], 9.71, "raw 14 (15.32) to raw 28 (25.03)");
    let improved = &s["items"][0]["improved"];
    assert_eq!(improved, &json!({ "count": 5, "denominator": 5, "percent": 100.0, "suppressed": false }));
    assert_eq!(
        app.gql(&partner, REPORT, variables).await.error_code(),
        "BAD_USER_INPUT",
        "today is not an ended period"
    );
}

/// Every SWEMWBS raw total, recorded through the API on this database, scores as the published table.
#[tokio::test]
async fn every_swemwbs_raw_total_is_scored_by_the_server_as_the_published_table() {
    let app = spawn_app().await;
    let worker = app.token(DemoRole::LinkWorker).await;
    let (_, patients) = neighbourhood_patients(&app, &worker).await;
    let table = [
        7.00, 9.51, 11.25, 12.40, 13.33, 14.08, 14.75, 15.32, 15.84, 16.36, 16.88, 17.43, 17.98, 18.59, 19.25, 19.98,
        20.73, 21.54, 22.35, 23.21, 24.11, 25.03, 26.02, 27.03, 28.13, 29.31, 30.70, 32.55, 35.00,
    ];
    let today = api::context::uk_today();
    for (k, metric) in table.iter().enumerate() {
        let raw = 7 + k as i32;
        let mut left = raw - 7;
        let values: Vec<i32> = (0..7)
            .map(|_| {
                let extra = left.min(4);
                left -= extra;
                1 + extra
            })
            .collect();
        let reply = app
            .gql(&worker, RECORD, input(&patients[0], "swemwbs", "BASELINE", today, None, responses(&SWEMWBS, &values)))
            .await;
        let m = &reply.data()["recordOutcomeMeasurement"]["measurement"];
        assert_eq!(m["rawScore"], raw);
        assert_eq!(m["metricScore"].as_f64().unwrap(), *metric, "raw {raw}");
    }
}
