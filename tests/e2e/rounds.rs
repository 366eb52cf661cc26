//! A [`Round`] loads several relationships at once: on PostgreSQL in one statement whose parts come
//! back as JSON and are decoded into the models. Each loader must then answer from its cache with
//! exactly what its own batch reads (the same rows in the same order, every enumeration, timestamp
//! and score), and without another statement.

use std::collections::HashMap;

use api::loaders::{Combinable, Loaders, RequestLoader, Round};
use sea_orm::{DatabaseBackend, EntityTrait, QuerySelect};
use uuid::Uuid;

use entity::{asset_connection, care_plan, mdt_action, outcome_measurement, patient_condition, referral};

use crate::helpers::{spawn_app, TestApp};

/// Up to `n` distinct values of one uuid column.
async fn some<E: EntityTrait>(app: &TestApp, column: E::Column, n: u64) -> Vec<Uuid> {
    E::find().select_only().column(column).distinct().limit(n).into_tuple::<Uuid>().all(&app.db).await.expect("ids")
}

/// Runs `check` for each loader: adds them all to one round on `primed`, runs it, and compares
/// what each loader then answers with what a fresh loader reads on its own.
struct Check<'a> {
    app: &'a TestApp,
    round: Round<'a>,
    parts: usize,
}

impl<'a> Check<'a> {
    fn add<L: Combinable>(&mut self, loader: &'a RequestLoader<L>, keys: &[Uuid]) {
        assert!(!keys.is_empty(), "the demo data has rows for every relationship the test reads");
        self.round.add(loader, keys.iter().copied());
        self.parts += 1;
    }

    async fn run(self) {
        let before = self.app.statement_count();
        self.round.run().await.expect("round");
        let cost = self.app.statement_count() - before;
        let expected = if self.app.db.get_database_backend() == DatabaseBackend::Postgres { 1 } else { self.parts };
        assert_eq!(cost, expected, "statements for a round of {} loaders", self.parts);
    }
}

async fn same<L>(app: &TestApp, primed: &RequestLoader<L>, plain: &RequestLoader<L>, keys: &[Uuid], what: &str)
where
    L: Combinable,
    L::Value: PartialEq + std::fmt::Debug,
{
    let before = app.statement_count();
    let cached: HashMap<Uuid, L::Value> = primed.load_many(keys.iter().copied()).await.expect("cached");
    assert_eq!(app.statement_count(), before, "{what}: answered from the round, without a statement");
    let read: HashMap<Uuid, L::Value> = plain.load_many(keys.iter().copied()).await.expect("read");
    assert_eq!(cached.len(), read.len(), "{what}: the same keys answered");
    for (key, value) in &read {
        assert_eq!(cached.get(key), Some(value), "{what} for {key}");
    }
}

#[tokio::test]
async fn a_round_gives_each_loader_exactly_what_its_own_batch_reads() {
    let app = spawn_app().await;
    let today = chrono::Utc::now().date_naive();
    let (primed, plain) = (Loaders::new(&app.db, today), Loaders::new(&app.db, today));

    // People with history in each relationship of a person.
    let mut people = some::<referral::Entity>(&app, referral::Column::PatientId, 60).await;
    people.extend(some::<care_plan::Entity>(&app, care_plan::Column::PatientId, 60).await);
    people.extend(some::<outcome_measurement::Entity>(&app, outcome_measurement::Column::PatientId, 60).await);
    people.extend(some::<asset_connection::Entity>(&app, asset_connection::Column::PatientId, 60).await);
    people.extend(some::<mdt_action::Entity>(&app, mdt_action::Column::PatientId, 60).await);
    people.extend(some::<patient_condition::Entity>(&app, patient_condition::Column::PatientId, 60).await);
    people.sort_unstable();
    people.dedup();
    let known = people.clone();
    // And someone who has none of it: each loader of a person's rows must answer for them too
    // (empty, or no plan). Loaders by id answer only for ids that exist.
    let nobody = Uuid::new_v4();
    people.push(nobody);

    let l = &primed;
    let mut round = Check { app: &app, round: Round::new(&app.db), parts: 0 };
    round.add(&l.patient, &known);
    round.add(&l.conditions, &people);
    round.add(&l.referrals_by_patient, &people);
    round.add(&l.care_plan_by_patient, &people);
    round.add(&l.measurements_by_patient, &people);
    round.add(&l.connections_by_patient, &people);
    round.add(&l.mdt_actions_by_patient, &people);
    round.run().await;

    let p = &plain;
    same(&app, &l.patient, &p.patient, &known, "patients").await;
    same(&app, &l.conditions, &p.conditions, &people, "conditions").await;
    same(&app, &l.referrals_by_patient, &p.referrals_by_patient, &people, "referrals").await;
    same(&app, &l.care_plan_by_patient, &p.care_plan_by_patient, &people, "care plans").await;
    same(&app, &l.measurements_by_patient, &p.measurements_by_patient, &people, "measurements").await;
    same(&app, &l.connections_by_patient, &p.connections_by_patient, &people, "asset connections").await;
    same(&app, &l.mdt_actions_by_patient, &p.mdt_actions_by_patient, &people, "MDT actions").await;
    assert_eq!(p.care_plan_by_patient.load_one(nobody).await.unwrap(), Some(None), "no plan, answered");
    assert_eq!(p.conditions.load_one(nobody).await.unwrap(), Some(Vec::new()), "no conditions, answered");

    // The next level: what those rows point at.
    let all = |map: HashMap<Uuid, Vec<Uuid>>| -> Vec<Uuid> { map.into_values().flatten().collect() };
    let referrals: Vec<referral::Model> =
        p.referrals_by_patient.load_many(people.clone()).await.unwrap().into_values().flatten().collect();
    let plans: Vec<Uuid> =
        p.care_plan_by_patient.load_many(people.clone()).await.unwrap().into_values().flatten().map(|c| c.id).collect();
    let measurements = all(p
        .measurements_by_patient
        .load_many(people.clone())
        .await
        .unwrap()
        .into_iter()
        .map(|(k, v)| (k, v.into_iter().map(|m| m.id).collect()))
        .collect());
    let connections: Vec<asset_connection::Model> =
        p.connections_by_patient.load_many(people.clone()).await.unwrap().into_values().flatten().collect();
    let actions: Vec<mdt_action::Model> =
        p.mdt_actions_by_patient.load_many(people.clone()).await.unwrap().into_values().flatten().collect();
    let referral_ids: Vec<Uuid> = referrals.iter().map(|r| r.id).collect();
    let connection_ids: Vec<Uuid> = connections.iter().map(|c| c.id).collect();
    let assets: Vec<Uuid> = connections.iter().map(|c| c.asset_id).collect();
    let action_ids: Vec<Uuid> = actions.iter().map(|a| a.id).collect();
    let mut practitioners: Vec<Uuid> = referrals.iter().map(|r| r.referring_practitioner_id).collect();
    practitioners.extend(referrals.iter().filter_map(|r| r.assigned_practitioner_id));
    let mut organisations: Vec<Uuid> = referrals.iter().map(|r| r.receiving_organisation_id).collect();
    organisations.extend(referrals.iter().map(|r| r.referring_organisation_id));
    let neighbourhoods: Vec<Uuid> = app.neighbourhoods().await.into_iter().map(|n| n.id).collect();
    let ended: Vec<Uuid> = referrals.iter().filter(|r| r.ended_at.is_some()).map(|r| r.id).collect();

    let mut round = Check { app: &app, round: Round::new(&app.db), parts: 0 };
    round.add(&l.referral, &referral_ids);
    round.add(&l.referral_needs, &referral_ids);
    round.add(&l.referral_events, &referral_ids);
    round.add(&l.referral_feedback, &ended);
    round.add(&l.care_plan, &plans);
    round.add(&l.plan_goals, &plans);
    round.add(&l.plan_actions, &plans);
    round.add(&l.plan_shares, &plans);
    round.add(&l.plan_revisions, &plans);
    round.add(&l.outcome_measurement, &measurements);
    round.add(&l.outcome_responses, &measurements);
    round.add(&l.connection_events, &connection_ids);
    round.add(&l.community_asset, &assets);
    round.add(&l.asset_categories, &assets);
    round.add(&l.asset_sessions, &assets);
    round.add(&l.asset_conditions, &assets);
    round.add(&l.mdt_action_events, &action_ids);
    round.add(&l.practitioner, &practitioners);
    round.add(&l.organisation, &organisations);
    round.add(&l.neighbourhood, &neighbourhoods);
    round.add(&l.required_disciplines, &neighbourhoods);
    round.run().await;

    same(&app, &l.referral, &p.referral, &referral_ids, "referrals by id").await;
    same(&app, &l.referral_needs, &p.referral_needs, &referral_ids, "referral needs").await;
    same(&app, &l.referral_events, &p.referral_events, &referral_ids, "referral events").await;
    same(&app, &l.referral_feedback, &p.referral_feedback, &ended, "referral feedback").await;
    same(&app, &l.care_plan, &p.care_plan, &plans, "care plans by id").await;
    same(&app, &l.plan_goals, &p.plan_goals, &plans, "plan goals").await;
    same(&app, &l.plan_actions, &p.plan_actions, &plans, "plan actions").await;
    same(&app, &l.plan_shares, &p.plan_shares, &plans, "plan shares").await;
    same(&app, &l.plan_revisions, &p.plan_revisions, &plans, "plan revisions").await;
    same(&app, &l.outcome_measurement, &p.outcome_measurement, &measurements, "measurements by id").await;
    same(&app, &l.outcome_responses, &p.outcome_responses, &measurements, "outcome responses").await;
    same(&app, &l.connection_events, &p.connection_events, &connection_ids, "connection events").await;
    same(&app, &l.community_asset, &p.community_asset, &assets, "assets").await;
    same(&app, &l.asset_categories, &p.asset_categories, &assets, "asset categories").await;
    same(&app, &l.asset_sessions, &p.asset_sessions, &assets, "asset sessions").await;
    same(&app, &l.asset_conditions, &p.asset_conditions, &assets, "asset conditions").await;
    same(&app, &l.mdt_action_events, &p.mdt_action_events, &action_ids, "MDT action events").await;
    same(&app, &l.practitioner, &p.practitioner, &practitioners, "practitioners").await;
    same(&app, &l.organisation, &p.organisation, &organisations, "organisations").await;
    same(&app, &l.neighbourhood, &p.neighbourhood, &neighbourhoods, "neighbourhoods").await;
    same(&app, &l.required_disciplines, &p.required_disciplines, &neighbourhoods, "required disciplines").await;
}
