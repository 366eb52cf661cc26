//! The small-number attacks on published figures, run by a commissioner (who sees aggregates
//! only): the difference of two overlapping periods, the same with one person's outcome, and a
//! total minus the rows shown. For each, an exact solver takes every answer the attacker can get
//! and lists the values a withheld count could have; it must never be down to one.
//!
//! The solver: every count the attacker is shown bounds the true count (withheld: below 5 if it
//! is small, as an attacker who knows the rule assumes, else anything; shown `v`: within 2 of `v`,
//! and at least 5); the fixed periods nest (months in quarters in a financial year) and
//! breakdown rows add up to their total, so the true counts satisfy those sums. Sums over a
//! laminar family of integer intervals are intervals, so checking a candidate value bottom-up is
//! exact.

use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use sea_orm::{EntityTrait, IntoActiveModel};
use serde_json::{json, Value};
use server::cli::DemoRole;
use uuid::Uuid;

use entity::{outcome_measurement, outcome_response, referral, MeasurementKind, ReferralService, ReferralStatus};

use crate::helpers::{spawn_app, TestApp};

const FIGURES: &str = r#"query($input: ReferralFiguresInput!) { referralFigures(input: $input) {
    exact total { received firstContacts byStatus { status count } }
    breakdown { service received firstContacts byStatus { status count } } } }"#;

const REPORT: &str = r#"query($input: OutcomeReportInput!) { outcomeReport(input: $input) { exact
    instruments { instrument { key } peopleWithPair meanMetricChange
        items { item { key } improved { count } same { count } worsened { count } } } } }"#;

/// What the attacker knows of one true count from what it was shown.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bound {
    lo: i64,
    hi: i64,
}

const MANY: i64 = 1_000_000;

impl Bound {
    /// From a shown count (`None`: withheld), knowing whether the truth is small (below 5): the
    /// strongest an attacker who knows the rules, but not the value, can assume.
    fn of(shown: Option<u64>, truly_small: bool) -> Bound {
        match shown {
            None if truly_small => Bound { lo: 0, hi: 4 },
            None => Bound { lo: 0, hi: MANY },
            Some(0) => Bound { lo: 0, hi: 0 },
            Some(v) => Bound { lo: (v as i64 - 2).max(5), hi: v as i64 + 2 },
        }
    }

    fn meet(self, other: Bound) -> Option<Bound> {
        let b = Bound { lo: self.lo.max(other.lo), hi: self.hi.min(other.hi) };
        (b.lo <= b.hi).then_some(b)
    }
}

/// A node of a laminar family: its own bound, and the children it is the sum of.
#[derive(Clone)]
struct Node {
    bound: Bound,
    children: Vec<Node>,
}

impl Node {
    fn leaf(bound: Bound) -> Node {
        Node { bound, children: Vec::new() }
    }

    /// The sums this node can take, or `None` when nothing is consistent.
    fn achievable(&self) -> Option<Bound> {
        if self.children.is_empty() {
            return Some(self.bound);
        }
        let mut sum = Bound { lo: 0, hi: 0 };
        for child in &self.children {
            let c = child.achievable()?;
            sum = Bound { lo: sum.lo + c.lo, hi: (sum.hi + c.hi).min(MANY) };
        }
        sum.meet(self.bound)
    }
}

/// The values leaf `path` can take with everything the attacker saw, among `candidates`.
fn possible(root: &mut Node, path: &[usize], candidates: std::ops::RangeInclusive<i64>) -> Vec<i64> {
    let mut out = Vec::new();
    for v in candidates {
        let mut trial = root.clone();
        let leaf = path.iter().fold(&mut trial, |n, i| &mut n.children[*i]);
        let Some(fixed) = leaf.bound.meet(Bound { lo: v, hi: v }) else { continue };
        leaf.bound = fixed;
        if trial.achievable().is_some() {
            out.push(v);
        }
    }
    out
}

/// The first day of the month `k` months after `start`'s.
fn month(start: NaiveDate, k: u32) -> NaiveDate {
    let m0 = start.month0() + k;
    NaiveDate::from_ymd_opt(start.year() + (m0 / 12) as i32, m0 % 12 + 1, 1).unwrap()
}

fn last_day(first: NaiveDate, months: u32) -> NaiveDate {
    month(first, months).pred_opt().unwrap()
}

fn at(day: NaiveDate) -> chrono::DateTime<Utc> {
    chrono_tz::Europe::London.from_local_datetime(&day.and_hms_opt(12, 0, 0).unwrap()).unwrap().with_timezone(&Utc)
}

/// A referral by `gp` of `patient` to `receiver`, made at `created`: closed three weeks later, or
/// still just received (`open`), as the history of its one event says.
async fn write_referral(
    app: &TestApp,
    (patient, gp, receiver): (Uuid, &entity::practitioner::Model, Uuid),
    service: ReferralService,
    created: chrono::DateTime<Utc>,
    open: bool,
) -> Uuid {
    let id = Uuid::now_v7();
    let model = referral::Model {
        id,
        patient_id: patient,
        source: entity::ReferralSource::Gp,
        referring_practitioner_id: gp.id,
        referring_organisation_id: gp.organisation_id,
        service,
        receiving_organisation_id: receiver,
        urgency: entity::Urgency::Routine,
        context: None,
        partner_summary: None,
        consent_recorded_by: gp.id,
        consent_recorded_at: created,
        status: if open { ReferralStatus::Received } else { ReferralStatus::Closed },
        open_key: None,
        assigned_practitioner_id: None,
        idempotency_key: None,
        first_contact_at: (!open).then(|| created + chrono::Duration::days(3)),
        ended_at: (!open).then(|| created + chrono::Duration::days(20)),
        outcome: (!open).then_some(entity::ReferralOutcome::GoalsMet),
        rejection_reason: None,
        suggested_alternative: None,
        created_at: created,
        updated_at: created,
    };
    referral::Entity::insert(model.into_active_model()).exec_without_returning(&app.db).await.unwrap();
    let event = entity::referral_event::Model {
        id: Uuid::now_v7(),
        referral_id: id,
        kind: entity::ReferralEventKind::Created,
        from_status: None,
        to_status: Some(ReferralStatus::Received),
        practitioner_id: gp.id,
        organisation_id: gp.organisation_id,
        occurred_at: created,
        reason: None,
        snomed_code: None,
        assigned_practitioner_id: None,
    };
    entity::referral_event::Entity::insert(event.into_active_model()).exec_without_returning(&app.db).await.unwrap();
    id
}

/// Writes `counts[k]` referrals to `service` in each month `k` of the financial year starting
/// `fy` (long before the demo's history), all for people of `neighbourhood`.
async fn referrals_in(app: &TestApp, neighbourhood: Uuid, fy: NaiveDate, service: ReferralService, counts: &[u32]) {
    let people: Vec<_> = entity::patient::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|p| p.neighbourhood_id == neighbourhood)
        .collect();
    let gp = app.practitioner(DemoRole::Gp).await;
    let receiver = entity::organisation::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|o| match service {
            ReferralService::AdultSocialCare => o.kind == entity::OrganisationKind::AdultSocialCare,
            _ => o.kind == entity::OrganisationKind::CommunityHealthTrust,
        })
        .unwrap();
    let mut n = 0;
    for (k, count) in counts.iter().enumerate() {
        for i in 0..*count {
            let created = at(month(fy, k as u32) + chrono::Days::new(u64::from(i % 25)));
            write_referral(app, (people[n % people.len()].id, &gp, receiver.id), service, created, false).await;
            n += 1;
        }
    }
}

async fn commissioner_and_neighbourhood(app: &TestApp) -> (String, Uuid) {
    (app.token(DemoRole::Commissioner).await, app.neighbourhoods().await[0].id)
}

fn figures_input(neighbourhood: Uuid, from: NaiveDate, to: NaiveDate, service: Option<&str>) -> Value {
    let mut input =
        json!({ "neighbourhoodId": neighbourhood.to_string(), "from": from.to_string(), "to": to.to_string() });
    if let Some(s) = service {
        input["service"] = json!(s);
    }
    json!({ "input": input })
}

/// Overlapping periods: `2024-01-01..d` minus `..d-1` is refused outright; the differences of the
/// fixed periods (a financial year, its quarters, its months) leave a withheld month's count at
/// two values or more.
#[tokio::test]
async fn the_difference_of_two_periods_gives_no_withheld_count_away() {
    let app = spawn_app().await;
    let (commissioner, neighbourhood) = commissioner_and_neighbourhood(&app).await;
    let d = NaiveDate::from_ymd_opt(2026, 10, 14).unwrap();
    for to in [d, d.pred_opt().unwrap()] {
        let from = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let reply = app.gql(&commissioner, FIGURES, figures_input(neighbourhood, from, to, None)).await;
        assert_eq!(reply.error_code(), "BAD_USER_INPUT");
        assert_eq!(reply.body["errors"][0]["extensions"]["field"], "from");
        assert!(reply.error_message().contains("fixed reporting period"), "{}", reply.error_message());
    }

    // A year of community nursing referrals with small months among large ones.
    let fy = NaiveDate::from_ymd_opt(2019, 4, 1).unwrap();
    let counts = [14, 9, 3, 22, 1, 17, 8, 2, 30, 11, 4, 16];
    referrals_in(&app, neighbourhood, fy, ReferralService::CommunityNursing, &counts).await;
    let received = |reply: &crate::helpers::Reply| -> Option<u64> {
        assert_eq!(reply.data()["referralFigures"]["exact"], false);
        reply.data()["referralFigures"]["total"]["received"].as_u64()
    };
    let ask = |from: NaiveDate, to: NaiveDate| {
        app.gql(&commissioner, FIGURES, figures_input(neighbourhood, from, to, Some("COMMUNITY_NURSING")))
    };
    let year = received(&ask(fy, last_day(fy, 12)).await);
    let mut quarters = Vec::new();
    for q in 0..4 {
        let first = month(fy, 3 * q);
        let shown_q = received(&ask(first, last_day(first, 3)).await);
        let mut months = Vec::new();
        for m in 0..3 {
            let first = month(fy, 3 * q + m);
            let shown = received(&ask(first, last_day(first, 1)).await);
            let truth = counts[(3 * q + m) as usize];
            if (1..5).contains(&truth) {
                assert_eq!(shown, None, "a small month is withheld");
            }
            months.push(Node::leaf(Bound::of(shown, (0..5).contains(&truth))));
        }
        let truth_q: u32 = counts[(3 * q) as usize..(3 * q + 3) as usize].iter().sum();
        quarters.push(Node { bound: Bound::of(shown_q, (0..5).contains(&truth_q)), children: months });
    }
    let mut root = Node { bound: Bound::of(year, false), children: quarters };
    let mut checked = 0;
    for (k, truth) in counts.iter().enumerate() {
        if !(1..5).contains(truth) {
            continue;
        }
        let path = [k / 3, k % 3];
        let values = possible(&mut root, &path, 0..=10);
        assert!(values.contains(&i64::from(*truth)), "the solver is sound: month {k} = {truth}, {values:?}");
        assert!(values.len() >= 2, "month {k}'s withheld {truth} would be given away: {values:?}");
        checked += 1;
    }
    assert_eq!(checked, 4, "every small month was attacked");
}

/// A total minus the rows shown: a total of 6 with one service at 5 gave the 1 away. Now the total
/// is rounded, the services without referrals are withheld like the 1 (so they keep it company),
/// and the 1 could as well be 0 or 2.
#[tokio::test]
async fn a_total_minus_the_rows_shown_gives_no_withheld_count_away() {
    let app = spawn_app().await;
    let (commissioner, neighbourhood) = commissioner_and_neighbourhood(&app).await;
    let first = NaiveDate::from_ymd_opt(2019, 4, 1).unwrap();
    referrals_in(&app, neighbourhood, first, ReferralService::CommunityNursing, &[5]).await;
    referrals_in(&app, neighbourhood, first, ReferralService::AdultSocialCare, &[1]).await;
    let reply = app.gql(&commissioner, FIGURES, figures_input(neighbourhood, first, last_day(first, 1), None)).await;
    let figures = &reply.data()["referralFigures"];
    let rows = figures["breakdown"].as_array().unwrap();
    assert_eq!(rows.len(), 5, "a row for every service, so that none is known to be empty: {figures}");
    let truth = |service: &str| match service {
        "COMMUNITY_NURSING" => 5,
        "ADULT_SOCIAL_CARE" => 1,
        _ => 0,
    };
    let row = |service: &str| rows.iter().find(|r| r["service"] == service).unwrap()["received"].as_u64();
    assert_eq!(row("ADULT_SOCIAL_CARE"), None, "the 1 is withheld");
    let total = figures["total"]["received"].as_u64();
    assert_eq!(total, Some(5), "6, rounded to the nearest 5");
    let services: Vec<String> = rows.iter().map(|r| r["service"].as_str().unwrap().to_owned()).collect();
    let mut root = Node {
        bound: Bound::of(total, false),
        children: services.iter().map(|s| Node::leaf(Bound::of(row(s), truth(s) < 5))).collect(),
    };
    let asc = services.iter().position(|s| s == "ADULT_SOCIAL_CARE").unwrap();
    let values = possible(&mut root, &[asc], 0..=10);
    assert!(values.contains(&1), "sound: {values:?}");
    assert!(values.len() >= 2, "the withheld 1 is not the total minus the rows shown: {values:?}");
    // States add up to the referrals received too: every withheld state has company.
    for f in std::iter::once(&figures["total"]).chain(rows) {
        let withheld = f["byStatus"].as_array().unwrap().iter().filter(|s| s["count"].is_null()).count();
        assert_ne!(withheld, 1, "a lone withheld state is the total minus the rest: {f}");
    }
}

/// One person's outcome, one month: the quarter minus the two other months was that person's
/// result, item by item. Now, for every item, both "improved" and "not improved" stay possible,
/// and the mean change of a month of one is not shown.
#[tokio::test]
async fn one_persons_outcome_is_not_given_away_by_the_difference_of_two_periods() {
    let app = spawn_app().await;
    let (commissioner, neighbourhood) = commissioner_and_neighbourhood(&app).await;
    let worker = app.practitioner(DemoRole::LinkWorker).await;
    let people: Vec<_> = entity::patient::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|p| p.neighbourhood_id == neighbourhood)
        .take(25)
        .collect();
    let quarter = NaiveDate::from_ymd_opt(2019, 4, 1).unwrap();
    // April: 12 people, May: 12 people, June: the one person (who improved on every item).
    let plan: Vec<(usize, i32)> = (0..12).map(|_| (0, 3)).chain((0..12).map(|_| (1, 3))).chain([(2, 5)]).collect();
    const ITEMS: [&str; 7] =
        ["optimistic", "useful", "relaxed", "dealing_with_problems", "thinking_clearly", "close_to_others", "own_mind"];
    for (n, (m, follow_up)) in plan.iter().enumerate() {
        let person = &people[n];
        let taken = month(quarter, *m as u32) + chrono::Days::new(10);
        let baseline_on = taken - chrono::Days::new(60);
        let mut ids = Vec::new();
        for (kind, on, value, baseline_id) in [
            (MeasurementKind::Baseline, baseline_on, 3, None),
            (MeasurementKind::FollowUp, taken, *follow_up + (n % 2) as i32 - 1, ids.first().copied()),
        ] {
            let baseline_id = if kind == MeasurementKind::FollowUp { ids.first().copied() } else { baseline_id };
            let id = Uuid::now_v7();
            let model = outcome_measurement::Model {
                id,
                patient_id: person.id,
                instrument: "swemwbs".into(),
                kind,
                baseline_id,
                referral_id: None,
                taken_on: on,
                raw_score: Some(value * 7),
                metric_score: Some(f64::from(value * 7)),
                recorded_by: worker.id,
                recorded_organisation_id: worker.organisation_id,
                recorded_at: at(on),
            };
            outcome_measurement::Entity::insert(model.into_active_model())
                .exec_without_returning(&app.db)
                .await
                .unwrap();
            for item in ITEMS {
                let response = outcome_response::Model { measurement_id: id, item: item.into(), value: value as i16 };
                outcome_response::Entity::insert(response.into_active_model())
                    .exec_without_returning(&app.db)
                    .await
                    .unwrap();
            }
            ids.push(id);
        }
    }
    let ask = |from: NaiveDate, to: NaiveDate| {
        app.gql(
            &commissioner,
            REPORT,
            json!({ "input": { "neighbourhoodId": neighbourhood.to_string(), "from": from.to_string(), "to": to.to_string() } }),
        )
    };
    let one_day = ask(quarter, NaiveDate::from_ymd_opt(2019, 6, 10).unwrap()).await;
    assert_eq!(one_day.error_code(), "BAD_USER_INPUT", "an arbitrary range is refused");
    let swemwbs = |reply: &crate::helpers::Reply| -> Value {
        reply.data()["outcomeReport"]["instruments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["instrument"]["key"] == "swemwbs")
            .unwrap()
            .clone()
    };
    let q = swemwbs(&ask(quarter, last_day(quarter, 3)).await);
    let months: Vec<Value> = futures::future::join_all((0..3).map(|m| {
        let first = month(quarter, m);
        async move { swemwbs(&ask(first, last_day(first, 1)).await) }
    }))
    .await;
    assert!(
        months[2]["peopleWithPair"].is_null() && months[2]["meanMetricChange"].is_null(),
        "June (one person) is withheld"
    );
    let count = |v: &Value, item: usize, what: &str| v["items"][item][what]["count"].as_u64();
    for item in 0..7 {
        for what in ["improved", "same", "worsened"] {
            let truth = |m: usize| -> u32 {
                let mut n = 0;
                for (k, (month, follow_up)) in plan.iter().enumerate() {
                    let value = follow_up + (k % 2) as i32 - 1;
                    if *month == m
                        && what
                            == if value > 3 {
                                "improved"
                            } else if value == 3 {
                                "same"
                            } else {
                                "worsened"
                            }
                    {
                        n += 1;
                    }
                }
                n
            };
            let quarter_truth: u32 = (0..3).map(truth).sum();
            let mut root = Node {
                bound: Bound::of(count(&q, item, what), (0..5).contains(&quarter_truth)),
                children: (0..3)
                    .map(|m| Node::leaf(Bound::of(count(&months[m], item, what), (0..5).contains(&truth(m)))))
                    .collect(),
            };
            // The attacker knows June holds one person: they count 0 or 1.
            root.children[2].bound =
                root.children[2].bound.meet(Bound { lo: 0, hi: 1 }).unwrap_or(Bound { lo: 0, hi: 1 });
            let values = possible(&mut root, &[2], 0..=1);
            assert!(values.contains(&i64::from(truth(2))), "sound: {item} {what} {values:?}");
            assert_eq!(values, vec![0, 1], "item {item} {what}: June's person's result is not given away");
        }
    }
}

/// An ended period's published figures never change: a referral received last month that moves
/// on today still counts in the state it was in at the month's end (else asking again tomorrow
/// would show what one referral did).
#[tokio::test]
async fn an_ended_periods_figures_do_not_change_as_referrals_move_on() {
    let app = spawn_app().await;
    let (commissioner, neighbourhood) = commissioner_and_neighbourhood(&app).await;
    let worker = app.practitioner(DemoRole::LinkWorker).await;
    let gp = app.practitioner(DemoRole::Gp).await;
    let today = api::context::uk_today();
    let last_month = if today.month() == 1 {
        NaiveDate::from_ymd_opt(today.year() - 1, 12, 1).unwrap()
    } else {
        NaiveDate::from_ymd_opt(today.year(), today.month() - 1, 1).unwrap()
    };
    let people: Vec<_> = entity::patient::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|p| p.neighbourhood_id == neighbourhood)
        .take(20)
        .collect();
    // Twenty referrals received last month, still waiting at its end.
    let mut ids = Vec::new();
    for (n, person) in people.iter().enumerate() {
        let created = at(last_month + chrono::Days::new(1 + n as u64 % 20));
        let where_ = (person.id, &gp, worker.organisation_id);
        let id = write_referral(&app, where_, ReferralService::SocialPrescribing, created, true).await;
        ids.push(id);
    }
    let input = figures_input(neighbourhood, last_month, last_day(last_month, 1), Some("SOCIAL_PRESCRIBING"));
    let before = app.gql(&commissioner, FIGURES, input.clone()).await.data().clone();
    let token = app.token_for_practitioner(&worker);
    // Half of them move on today: their state now is not their state at the month's end.
    for id in &ids[..10] {
        let moved = app
            .gql(
                &token,
                "mutation($id: ID!) { moveReferral(input: { referralId: $id, to: REJECTED_BY_SERVICE, reason: \"outside our area\" }) { referral { status } } }",
                json!({ "id": id.to_string() }),
            )
            .await;
        assert_eq!(moved.data()["moveReferral"]["referral"]["status"], "REJECTED_BY_SERVICE");
    }
    let after = app.gql(&commissioner, FIGURES, input).await.data().clone();
    assert_eq!(before, after, "the month's figures are as they were at its end");
}

/// Whom figures count: published statistics (a use beyond individual care) leave out everyone with
/// a national data opt-out; the coordinator's exact figures leave out those who object to sharing
/// beyond their practice, whose records the coordinator does not read, so that an exact count
/// says nothing of them (and a cohort's count is the number of members listed).
#[tokio::test]
async fn published_figures_leave_out_opt_outs_and_exact_ones_leave_out_objectors() {
    use sea_orm::{ColumnTrait, QueryFilter};
    let app = spawn_app().await;
    let (commissioner, neighbourhood) = commissioner_and_neighbourhood(&app).await;
    let coordinator_model = app.practitioner_in(entity::ProfessionalRole::IntCoordinator, neighbourhood).await;
    let coordinator = app.token_for_practitioner(&coordinator_model);
    let set = |column: entity::patient::Column, ids: Vec<Uuid>| {
        let db = app.db.clone();
        async move {
            entity::patient::Entity::update_many()
                .col_expr(column, sea_orm::sea_query::Expr::value(true))
                .filter(entity::patient::Column::Id.is_in(ids))
                .exec(&db)
                .await
                .unwrap();
        }
    };
    let people: Vec<entity::patient::Model> = entity::patient::Entity::find()
        .filter(entity::patient::Column::NeighbourhoodId.eq(neighbourhood))
        .filter(entity::patient::Column::NationalDataOptOut.eq(false))
        .filter(entity::patient::Column::ObjectsToSharing.eq(false))
        .all(&app.db)
        .await
        .unwrap();

    // Referral figures: 40 people referred in April 2019; 12 of them opt out.
    let gp = app.practitioner(DemoRole::Gp).await;
    let nursing = entity::organisation::Entity::find()
        .filter(entity::organisation::Column::Kind.eq(entity::OrganisationKind::CommunityHealthTrust))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let april = NaiveDate::from_ymd_opt(2019, 4, 1).unwrap();
    for (i, person) in people.iter().take(40).enumerate() {
        let created = at(april + chrono::Days::new(i as u64 % 25));
        write_referral(&app, (person.id, &gp, nursing.id), ReferralService::CommunityNursing, created, false).await;
    }
    let received = || {
        let (app, token) = (&app, commissioner.clone());
        async move {
            let reply = app
                .gql(
                    &token,
                    FIGURES,
                    figures_input(neighbourhood, april, last_day(april, 1), Some("COMMUNITY_NURSING")),
                )
                .await;
            reply.data()["referralFigures"]["total"]["received"].as_u64()
        }
    };
    assert_eq!(received().await, Some(40));
    set(entity::patient::Column::NationalDataOptOut, people.iter().take(12).map(|p| p.id).collect()).await;
    assert_eq!(received().await, Some(30), "28 counted, shown to the nearest 5");

    // Cohort counts: the commissioner's leave out opt-outs, the coordinator's objectors.
    let cohorts =
        "{ cohorts(first: 50) { nodes { id memberCount neighbourhood { id } members(first: 1) { totalCount } } } }";
    let counts = |token: String, members: bool| {
        let app = &app;
        async move {
            let query =
                if members { cohorts.to_owned() } else { cohorts.replace(" members(first: 1) { totalCount }", "") };
            let reply = app.gql(&token, &query, json!({})).await;
            reply.data()["cohorts"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["neighbourhood"]["id"] == neighbourhood.to_string().as_str())
                .map(|c| {
                    (
                        c["id"].as_str().unwrap().to_owned(),
                        c["memberCount"].as_u64(),
                        c["members"]["totalCount"].as_u64(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let before = counts(coordinator.clone(), true).await;
    assert!(before.iter().all(|(_, count, listed)| count == listed), "{before:?}");
    // Everyone of a large cohort at practices other than the coordinator's... its members, by the coordinator.
    let (cohort, count, _) = before.iter().max_by_key(|(_, c, _)| c.unwrap_or(0)).unwrap().clone();
    let members = app
        .gql(
            &coordinator,
            "query($id: ID!) { patients(first: 20, filter: { cohortId: $id }) { nodes { id } } }",
            json!({ "id": cohort }),
        )
        .await;
    let some: Vec<Uuid> = members.data()["patients"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .take(3)
        .map(|n| n["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(some.len(), 3);
    set(entity::patient::Column::ObjectsToSharing, some.clone()).await;
    let after = counts(coordinator.clone(), true).await;
    let (_, now, listed) = after.iter().find(|(id, _, _)| *id == cohort).unwrap().clone();
    assert_eq!(now, count.map(|c| c - 3), "three fewer records the coordinator reads, three fewer counted");
    assert_eq!(now, listed);
    // The commissioner's published count: ten more members opt out, ten fewer counted (a shift
    // by a multiple of 5 keeps the rounding).
    let shown = |rows: &[(String, Option<u64>, Option<u64>)]| rows.iter().find(|(id, _, _)| *id == cohort).unwrap().1;
    let published_before = shown(&counts(commissioner.clone(), false).await).expect("a large cohort is shown");
    let page = app
        .gql(
            &coordinator,
            "query($id: ID!) { patients(first: 60, filter: { cohortId: $id }) { nodes { id } } }",
            json!({ "id": cohort }),
        )
        .await;
    let listed: Vec<Uuid> = page.data()["patients"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().parse().unwrap())
        .collect();
    let opting: Vec<Uuid> = entity::patient::Entity::find()
        .filter(entity::patient::Column::Id.is_in(listed))
        .filter(entity::patient::Column::NationalDataOptOut.eq(false))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .take(10)
        .map(|p| p.id)
        .collect();
    assert_eq!(opting.len(), 10);
    set(entity::patient::Column::NationalDataOptOut, opting).await;
    let published_after = shown(&counts(commissioner.clone(), false).await);
    assert_eq!(published_after, Some(published_before - 10));
    // The coordinator's exact count is for individual care: opting out does not change it.
    let exact = counts(coordinator.clone(), true).await;
    assert_eq!(exact.iter().find(|(id, _, _)| *id == cohort).unwrap().1, now);
}

/// The coordinator's exact outcome report counts the people whose records they read: a person
/// with a pair who objects to sharing beyond their practice is one fewer.
#[tokio::test]
async fn the_coordinators_outcome_report_leaves_out_objectors() {
    use sea_orm::{ColumnTrait, QueryFilter};
    let app = spawn_app().await;
    let neighbourhood = app.neighbourhoods().await[0].id;
    let coordinator =
        app.token_for_practitioner(&app.practitioner_in(entity::ProfessionalRole::IntCoordinator, neighbourhood).await);
    let input = json!({ "input": { "neighbourhoodId": neighbourhood.to_string(), "from": "2024-01-01",
        "to": chrono::Utc::now().date_naive().to_string() } });
    let people = |reply: &crate::helpers::Reply| -> u64 {
        assert_eq!(reply.data()["outcomeReport"]["exact"], true);
        reply.data()["outcomeReport"]["instruments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["instrument"]["key"] == "swemwbs")
            .and_then(|i| i["peopleWithPair"].as_u64())
            .expect("SWEMWBS pairs in the demo")
    };
    let before = people(&app.gql(&coordinator, REPORT, input.clone()).await);
    let paired = outcome_measurement::Entity::find()
        .filter(outcome_measurement::Column::Kind.eq(MeasurementKind::FollowUp))
        .filter(outcome_measurement::Column::BaselineId.is_not_null())
        .filter(outcome_measurement::Column::Instrument.eq("swemwbs"))
        .all(&app.db)
        .await
        .unwrap();
    let mut person = None;
    for m in paired {
        let p = entity::patient::Entity::find_by_id(m.patient_id).one(&app.db).await.unwrap().unwrap();
        if p.neighbourhood_id == neighbourhood && !p.objects_to_sharing {
            person = Some(p.id);
            break;
        }
    }
    entity::patient::Entity::update_many()
        .col_expr(entity::patient::Column::ObjectsToSharing, sea_orm::sea_query::Expr::value(true))
        .filter(entity::patient::Column::Id.eq(person.expect("a person with a pair")))
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(people(&app.gql(&coordinator, REPORT, input).await), before - 1);
}
