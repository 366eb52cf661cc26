//! Waiting-list and throughput figures: the API's numbers, computed in the database, must equal a
//! brute-force computation in Rust over the same rows, for the whole selection and per PCN and
//! service, over several periods and filters. Small counts are withheld from commissioners.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::{ActiveEnum, EntityTrait, IntoActiveModel, Iterable};
use serde_json::{json, Value};
use server::cli::DemoRole;
use uuid::Uuid;

use entity::{
    group_participant, organisation, patient, referral, referral_need, support_group, OrganisationKind, ReferralNeed,
    ReferralService, ReferralSource, ReferralStatus, Urgency,
};

use crate::helpers::{spawn_app, TestApp};

const FIGURES: &str = r#"query($input: ReferralFiguresInput!) { referralFigures(input: $input) {
    asAt throughputWindowDays exact
    total { ...f }
    breakdown { pcn { id } service ...f } } }
  fragment f on ReferralFigures { received waiting supportedWhileWaiting oldestWaitDays firstContacts
    medianWaitDays p90WaitDays recentFirstContacts estimatedWaitDays
    byStatus { status count } bySource { source count } byNeed { need count } }"#;

/// Writes `n` referrals with random (seeded) timelines for patients of `neighbourhood`, and group
/// memberships for some of them, straight into the database.
async fn scatter_referrals(app: &TestApp, neighbourhood: Uuid, n: usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let patients: Vec<patient::Model> = patient::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|p| p.neighbourhood_id == neighbourhood)
        .collect();
    let gp = app.practitioner(DemoRole::Gp).await;
    let worker = app.practitioner(DemoRole::LinkWorker).await;
    let now = Utc::now();
    let services: Vec<ReferralService> = ReferralService::iter().collect();
    let sources: Vec<ReferralSource> = ReferralSource::iter().collect();
    let needs: Vec<ReferralNeed> = ReferralNeed::iter().collect();
    let mut referrals = Vec::new();
    let mut need_rows = Vec::new();
    for _ in 0..n {
        let patient = &patients[rng.random_range(0..patients.len())];
        let created = now - Duration::seconds(rng.random_range(0..400 * 86_400));
        let contacted = (rng.random_bool(0.7))
            .then(|| created + Duration::seconds(rng.random_range(3_600..90 * 86_400)))
            .filter(|t| *t < now);
        let ended = rng
            .random_bool(0.5)
            .then(|| contacted.unwrap_or(created) + Duration::seconds(rng.random_range(3_600..120 * 86_400)))
            .filter(|t| *t < now);
        let status = match (contacted, ended) {
            (_, Some(_)) if contacted.is_some() => ReferralStatus::Closed,
            (_, Some(_)) => ReferralStatus::DeclinedByPatient,
            (Some(_), None) => ReferralStatus::Active,
            (None, None) if rng.random_bool(0.3) => ReferralStatus::Received,
            (None, None) => ReferralStatus::AwaitingContact,
        };
        let id = Uuid::now_v7();
        referrals.push(referral::Model {
            id,
            patient_id: patient.id,
            source: sources[rng.random_range(0..sources.len())],
            referring_practitioner_id: gp.id,
            referring_organisation_id: gp.organisation_id,
            service: services[rng.random_range(0..services.len())],
            receiving_organisation_id: worker.organisation_id,
            urgency: Urgency::Routine,
            context: None,
            partner_summary: None,
            consent_recorded_by: gp.id,
            consent_recorded_at: created,
            status,
            open_key: None,
            assigned_practitioner_id: None,
            idempotency_key: None,
            first_contact_at: contacted,
            ended_at: ended,
            outcome: (status == ReferralStatus::Closed).then_some(entity::ReferralOutcome::GoalsMet),
            rejection_reason: None,
            suggested_alternative: None,
            created_at: created,
            updated_at: ended.or(contacted).unwrap_or(created),
        });
        let first = rng.random_range(0..needs.len());
        need_rows.push(referral_need::Model { referral_id: id, need: needs[first], detail: Some("detail".into()) });
        if rng.random_bool(0.4) {
            let second = needs[(first + 1 + rng.random_range(0..needs.len() - 1)) % needs.len()];
            need_rows.push(referral_need::Model { referral_id: id, need: second, detail: None });
        }
    }
    let group = support_group::Model {
        id: Uuid::now_v7(),
        organisation_id: worker.organisation_id,
        neighbourhood_id: neighbourhood,
        name: "Waiting-list wellbeing café".into(),
        description: None,
        focus_need: None,
        leader_id: worker.id,
        capacity: None,
        created_by: worker.id,
        created_at: now - Duration::days(500),
        closed_at: None,
    };
    let mut members = Vec::new();
    for r in &referrals {
        if !rng.random_bool(0.3) {
            continue;
        }
        let joined = r.created_at + Duration::days(rng.random_range(0..30));
        let left = rng.random_bool(0.5).then(|| joined + Duration::days(rng.random_range(1..60)));
        if members.iter().any(|m: &group_participant::Model| m.patient_id == r.patient_id) {
            continue;
        }
        members.push(group_participant::Model {
            id: Uuid::now_v7(),
            group_id: group.id,
            patient_id: r.patient_id,
            referral_id: Some(r.id),
            open_key: left.is_none().then(|| format!("{}:{}", group.id, r.patient_id)),
            joined_at: joined,
            left_at: left,
            added_by: worker.id,
        });
    }
    for chunk in referrals.chunks(200) {
        referral::Entity::insert_many(chunk.iter().cloned().map(IntoActiveModel::into_active_model))
            .exec_without_returning(&app.db)
            .await
            .unwrap();
    }
    for chunk in need_rows.chunks(200) {
        referral_need::Entity::insert_many(chunk.iter().cloned().map(IntoActiveModel::into_active_model))
            .exec_without_returning(&app.db)
            .await
            .unwrap();
    }
    support_group::Entity::insert(group.into_active_model()).exec_without_returning(&app.db).await.unwrap();
    group_participant::Entity::insert_many(members.into_iter().map(IntoActiveModel::into_active_model))
        .exec_without_returning(&app.db)
        .await
        .unwrap();
}

/// The figures as the API reports them, recomputed the slow way.
#[derive(Debug, Default, Clone)]
struct Expected {
    received: u64,
    by_status: BTreeMap<String, u64>,
    by_source: BTreeMap<String, u64>,
    by_need: BTreeMap<String, u64>,
    waiting: u64,
    supported: u64,
    oldest: Option<f64>,
    waits: Vec<f64>,
    recent: u64,
}

fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    Some(sorted[lo] + (pos - lo as f64) * (sorted[hi] - sorted[lo]))
}

fn days(d: Duration) -> f64 {
    d.num_milliseconds() as f64 / 86_400_000.0
}

fn uk_midnight(day: NaiveDate) -> DateTime<Utc> {
    chrono_tz::Europe::London
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap())
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

struct Rows {
    referrals: Vec<referral::Model>,
    needs: HashMap<Uuid, Vec<ReferralNeed>>,
    pcn_of_patient: HashMap<Uuid, (Uuid, Option<Uuid>)>,
    members: Vec<group_participant::Model>,
}

async fn load_rows(app: &TestApp) -> Rows {
    let orgs: HashMap<Uuid, organisation::Model> =
        organisation::Entity::find().all(&app.db).await.unwrap().into_iter().map(|o| (o.id, o)).collect();
    let pcn_of_patient = patient::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.id, (p.neighbourhood_id, orgs[&p.registered_practice_id].parent_id)))
        .collect();
    let mut needs: HashMap<Uuid, Vec<ReferralNeed>> = HashMap::new();
    for n in referral_need::Entity::find().all(&app.db).await.unwrap() {
        needs.entry(n.referral_id).or_default().push(n.need);
    }
    Rows {
        referrals: referral::Entity::find().all(&app.db).await.unwrap(),
        needs,
        pcn_of_patient,
        members: group_participant::Entity::find().all(&app.db).await.unwrap(),
    }
}

type Key = Option<(Option<Uuid>, String)>;

#[allow(clippy::too_many_arguments)]
fn brute_force(
    rows: &Rows,
    neighbourhood: Uuid,
    receiver: Uuid,
    pcn: Option<Uuid>,
    service: Option<ReferralService>,
    (start, end, as_at): (DateTime<Utc>, DateTime<Utc>, DateTime<Utc>),
    grouped: bool,
) -> HashMap<Key, Expected> {
    let mut out: HashMap<Key, Expected> = HashMap::new();
    for r in &rows.referrals {
        let (n, p) = rows.pcn_of_patient[&r.patient_id];
        if n != neighbourhood
            || r.receiving_organisation_id != receiver
            || pcn.is_some_and(|want| p != Some(want))
            || service.is_some_and(|s| r.service != s)
        {
            continue;
        }
        let key = grouped.then(|| (p, r.service.to_value().to_uppercase()));
        let e = out.entry(key).or_default();
        if r.created_at >= start && r.created_at < end {
            e.received += 1;
            *e.by_status.entry(r.status.to_value().to_uppercase()).or_default() += 1;
            *e.by_source.entry(r.source.to_value().to_uppercase()).or_default() += 1;
            for need in rows.needs.get(&r.id).into_iter().flatten() {
                *e.by_need.entry(need.to_value().to_uppercase()).or_default() += 1;
            }
        }
        if r.created_at <= as_at {
            let waiting = r.first_contact_at.is_none_or(|t| t > as_at) && r.ended_at.is_none_or(|t| t > as_at);
            if waiting {
                e.waiting += 1;
                let wait = days(as_at - r.created_at);
                e.oldest = Some(e.oldest.map_or(wait, |o: f64| o.max(wait)));
                let supported = rows.members.iter().any(|m| {
                    m.patient_id == r.patient_id && m.joined_at <= as_at && m.left_at.is_none_or(|l| l > as_at)
                });
                e.supported += u64::from(supported);
            }
            if r.first_contact_at.is_some_and(|t| t >= as_at - Duration::days(84) && t < as_at) {
                e.recent += 1;
            }
        }
        if let Some(t) = r.first_contact_at.filter(|t| *t >= start && *t < end) {
            e.waits.push(days(t - r.created_at));
        }
    }
    out
}

fn close(api: &Value, expected: Option<f64>, what: &str) {
    match expected {
        None => assert!(api.is_null(), "{what}: expected null, got {api}"),
        Some(x) => {
            let got = api.as_f64().unwrap_or_else(|| panic!("{what}: expected {x}, got {api}"));
            assert!((got - x).abs() <= 0.051, "{what}: API {got}, brute force {x}");
        }
    }
}

fn counts(api: &Value, name: &str) -> BTreeMap<String, u64> {
    api.as_array()
        .unwrap()
        .iter()
        .map(|c| (c[name].as_str().unwrap().to_owned(), c["count"].as_u64().unwrap()))
        .filter(|(_, n)| *n > 0)
        .collect()
}

fn check(api: &Value, e: &Expected, what: &str) {
    let u = |field: &str| api[field].as_u64().unwrap_or_else(|| panic!("{what}: {field} is {}", api[field]));
    assert_eq!(u("received"), e.received, "{what}: received");
    assert_eq!(counts(&api["byStatus"], "status"), e.by_status, "{what}: by state");
    assert_eq!(counts(&api["bySource"], "source"), e.by_source, "{what}: by source");
    assert_eq!(counts(&api["byNeed"], "need"), e.by_need, "{what}: by need");
    assert_eq!(u("waiting"), e.waiting, "{what}: waiting");
    assert_eq!(u("supportedWhileWaiting"), e.supported, "{what}: supported while waiting");
    assert_eq!(u("firstContacts"), e.waits.len() as u64, "{what}: first contacts");
    assert_eq!(u("recentFirstContacts"), e.recent, "{what}: recent first contacts");
    close(&api["oldestWaitDays"], e.oldest, &format!("{what}: oldest wait"));
    let mut waits = e.waits.clone();
    waits.sort_by(f64::total_cmp);
    close(&api["medianWaitDays"], quantile(&waits, 0.5), &format!("{what}: median"));
    close(&api["p90WaitDays"], quantile(&waits, 0.9), &format!("{what}: p90"));
    let estimate = (e.recent > 0).then(|| (e.waiting + 1) as f64 * 84.0 / e.recent as f64);
    close(&api["estimatedWaitDays"], estimate, &format!("{what}: estimated wait"));
}

#[tokio::test]
async fn figures_match_a_brute_force_computation_per_pcn_service_and_period() {
    let app = spawn_app().await;
    let neighbourhood = app.neighbourhoods().await[0].id;
    scatter_referrals(&app, neighbourhood, 400).await;
    let rows = load_rows(&app).await;
    // The service that received the referrals asks for its own: exact figures for any period.
    let worker = app.practitioner(DemoRole::LinkWorker).await;
    let receiver = worker.organisation_id;
    let coordinator = app.token_for_practitioner(&worker);
    let pcn = organisation::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|o| {
            o.kind == OrganisationKind::Pcn
                && rows.pcn_of_patient.values().any(|(n, p)| *n == neighbourhood && *p == Some(o.id))
        })
        .unwrap();
    let today = Utc::now().date_naive();
    let periods = [
        (today - Duration::days(365), today),
        (today - Duration::days(90), today - Duration::days(30)),
        (today - Duration::days(200), today - Duration::days(200)),
    ];
    let selections = [(None, None), (Some(pcn.id), None), (None, Some(ReferralService::SocialPrescribing))];
    let mut compared = 0;
    for (from, to) in periods {
        for (pcn_id, service) in selections {
            let input = json!({ "input": {
                "neighbourhoodId": neighbourhood.to_string(), "from": from.to_string(), "to": to.to_string(),
                "pcnId": pcn_id.map(|p: Uuid| p.to_string()),
                "service": service.map(|s: ReferralService| s.to_value().to_uppercase()),
                "receivingOrganisationId": receiver.to_string() } });
            let reply = app.gql(&coordinator, FIGURES, input).await;
            let report = &reply.data()["referralFigures"];
            assert_eq!(report["exact"], true);
            let as_at: DateTime<Utc> = report["asAt"].as_str().unwrap().parse().unwrap();
            let window = (uk_midnight(from), uk_midnight(to + Duration::days(1)), as_at);
            let what = format!("{from}..{to} pcn={pcn_id:?} service={service:?}");
            let total = brute_force(&rows, neighbourhood, receiver, pcn_id, service, window, false);
            check(&report["total"], &total.get(&None).cloned().unwrap_or_default(), &format!("{what} total"));
            let groups = brute_force(&rows, neighbourhood, receiver, pcn_id, service, window, true);
            let breakdown = report["breakdown"].as_array().unwrap();
            assert_eq!(breakdown.len(), groups.len(), "{what}: one row per PCN and service with referrals");
            for row in breakdown {
                let key = Some((
                    row["pcn"]["id"].as_str().map(|id| id.parse().unwrap()),
                    row["service"].as_str().unwrap().to_owned(),
                ));
                check(row, &groups[&key], &format!("{what} {key:?}"));
                compared += 1;
            }
        }
    }
    assert!(compared > 20, "the breakdown was exercised ({compared} rows)");
    let all = brute_force(
        &rows,
        neighbourhood,
        receiver,
        None,
        None,
        (uk_midnight(today), uk_midnight(today), Utc::now()),
        false,
    );
    let e = &all[&None];
    assert!(e.waiting > 0 && e.supported > 0 && e.supported < e.waiting, "the data exercises support while waiting");
}

#[tokio::test]
async fn figures_are_aggregates_for_the_neighbourhood_with_small_counts_withheld_from_commissioners() {
    let app = spawn_app().await;
    let neighbourhoods = app.neighbourhoods().await;
    let (a, b) = (neighbourhoods[0].id, neighbourhoods[1].id);
    scatter_referrals(&app, a, 6).await;
    let today = Utc::now().date_naive();
    // The last financial year that has ended: commissioners ask for fixed, ended periods.
    let fy_start =
        NaiveDate::from_ymd_opt(if today.month() >= 4 { today.year() - 1 } else { today.year() - 2 }, 4, 1).unwrap();
    let fy_end = NaiveDate::from_ymd_opt(fy_start.year() + 1, 3, 31).unwrap();
    let input = |n: Uuid| json!({ "input": { "neighbourhoodId": n.to_string(), "from": fy_start.to_string(), "to": fy_end.to_string() } });
    let commissioner = app.token(DemoRole::Commissioner).await;
    let arbitrary = json!({ "input": { "neighbourhoodId": a.to_string(), "from": (today - Duration::days(400)).to_string(), "to": today.to_string() } });
    assert_eq!(app.gql(&commissioner, FIGURES, arbitrary).await.error_code(), "BAD_USER_INPUT");
    let reply = app.gql(&commissioner, FIGURES, input(a)).await;
    let total = &reply.data()["referralFigures"]["total"];
    let rows = reply.data()["referralFigures"]["breakdown"].as_array().unwrap().clone();
    for figures in std::iter::once(total).chain(&rows) {
        for c in figures["byStatus"].as_array().unwrap().iter().chain(figures["bySource"].as_array().unwrap()) {
            let count = c["count"].as_u64();
            assert!(count.is_none_or(|n| n >= 5 && n % 5 == 0), "a small or unrounded count shown: {c}");
        }
        for field in ["received", "waiting", "firstContacts", "recentFirstContacts"] {
            assert!(figures[field].as_u64().is_none_or(|n| n >= 5 && n % 5 == 0), "{field}: {figures}");
        }
    }
    if total["firstContacts"].is_null() {
        assert!(total["medianWaitDays"].is_null(), "a median of fewer than five people is withheld");
    }
    let outsider = app.token_for_practitioner(&app.practitioner_in(entity::ProfessionalRole::Gp, b).await);
    assert_eq!(app.gql(&outsider, FIGURES, input(a)).await.error_code(), "FORBIDDEN");
    // Staff asking about referrals between other organisations get published statistics too:
    // only a referral's parties see it, and a small cell of exact figures is one referral.
    let coordinator = app.token(DemoRole::Coordinator).await;
    let theirs = app.gql(&coordinator, FIGURES, input(a)).await;
    assert_eq!(theirs.data()["referralFigures"]["exact"], false);
    let live = json!({ "input": { "neighbourhoodId": a.to_string(), "from": (today - Duration::days(30)).to_string(), "to": today.to_string() } });
    assert_eq!(app.gql(&coordinator, FIGURES, live).await.error_code(), "BAD_USER_INPUT");
    let backwards = json!({ "input": { "neighbourhoodId": a.to_string(), "from": today.to_string(), "to": (today - Duration::days(1)).to_string() } });
    let reply = app.gql(&coordinator, FIGURES, backwards).await;
    assert_eq!(reply.body["errors"][0]["extensions"]["field"], "from");
    let own = app.practitioner(DemoRole::Coordinator).await.organisation_id.to_string();
    let not_pcn = json!({ "input": { "neighbourhoodId": a.to_string(), "from": today.to_string(), "to": today.to_string(), "pcnId": a.to_string(), "referringOrganisationId": own } });
    assert_eq!(app.gql(&coordinator, FIGURES, not_pcn).await.body["errors"][0]["extensions"]["field"], "pcnId");
}

#[tokio::test]
async fn figures_take_the_same_statements_for_ten_referrals_as_for_five_hundred() {
    let app = spawn_app().await;
    let neighbourhood = app.neighbourhoods().await[0].id;
    let worker = app.practitioner(DemoRole::LinkWorker).await;
    let coordinator = app.token_for_practitioner(&worker);
    let today = Utc::now().date_naive();
    let input = json!({ "input": { "neighbourhoodId": neighbourhood.to_string(),
        "from": (today - Duration::days(400)).to_string(), "to": today.to_string(),
        "receivingOrganisationId": worker.organisation_id.to_string() } });
    let mut counts = Vec::new();
    for more in [10, 490] {
        scatter_referrals(&app, neighbourhood, more).await;
        let before = app.statement_count();
        app.gql(&coordinator, FIGURES, input.clone()).await.data();
        counts.push(app.statement_count() - before);
    }
    assert_eq!(counts[0], counts[1], "statements per figures request: {counts:?}");
}
