//! The access audit's group commit: concurrent reads are written together, each exactly once and
//! before its reply; a read whose audit cannot be written is not served.

use domain::audit::AuditLog;
use domain::auth::{AccessReason, AccessWindows};
use sea_orm::{ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use server::cli::DemoRole;

use crate::helpers::{spawn_app, TestApp};

#[tokio::test]
async fn concurrent_reads_are_each_audited_once_before_their_reply() {
    let app = spawn_app().await;
    let coordinator = app.token(DemoRole::Coordinator).await;
    let gp = app.token(DemoRole::Gp).await;
    // People of the GP's practice: the GP reaches them as registered there, the coordinator as the
    // neighbourhood's population.
    // (Not those who object to sharing beyond their practice: the coordinator does not reach them.)
    let page: Vec<String> = app.gql(&gp, "{ patients(first: 60) { nodes { id } } }", json!({})).await.data()
        ["patients"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect();
    let ids: Vec<String> = app.sharing(page).await.into_iter().take(40).collect();
    assert_eq!(ids.len(), 40);

    let reads = ids.iter().enumerate().map(|(n, id)| {
        let token = if n % 2 == 0 { &coordinator } else { &gp };
        let query = format!("query Read{n}($id: ID!) {{ patient(id: $id) {{ id name }} }}");
        let app = &app;
        async move { app.gql(token, &query, json!({ "id": id })).await }
    });
    let replies = futures::future::join_all(reads).await;

    let coordinator_id = app.practitioner(DemoRole::Coordinator).await.id;
    let gp_id = app.practitioner(DemoRole::Gp).await.id;
    let trail = app.audit_trail().await;
    for (n, (id, reply)) in ids.iter().zip(&replies).enumerate() {
        assert_eq!(reply.data()["patient"]["id"], id.as_str(), "{}", reply.body);
        // The reply has arrived, so its audit row is already committed.
        let rows: Vec<_> = trail.iter().filter(|a| a.label() == format!("query Read{n} / patient")).collect();
        assert_eq!(rows.len(), 1, "read {n} audited exactly once: {rows:?}");
        assert_eq!(rows[0].patient_id.to_string(), *id);
        assert_eq!(rows[0].practitioner_id, if n % 2 == 0 { coordinator_id } else { gp_id });
        let reason = if n % 2 == 0 { "neighbourhood_member" } else { "registered_practice" };
        assert_eq!(rows[0].access_reason, reason);
    }
}

#[tokio::test]
async fn a_read_of_thousands_is_written_in_chunks_in_one_go() {
    let app = spawn_app().await;
    let (practitioner, caller, audit) = coordinator_writer(&app).await;
    // More rows than one statement takes (2,000): the writer splits them inside one transaction.
    // The trail has no foreign key to the patient, so any ids do.
    let people: Vec<_> = (0..4_500).map(|_| (uuid::Uuid::now_v7(), AccessReason::NeighbourhoodMember)).collect();
    let (first, second) = tokio::join!(
        audit.record_reads(&caller, &people, "query Export", Some("patients"), "req-export"),
        audit.record_reads(&caller, &people[..3], "query Small", Some("patient"), "req-small"),
    );
    first.unwrap();
    second.unwrap();
    let trail = app.audit_trail().await;
    let count = |label: &str| trail.iter().filter(|a| a.label() == label).count();
    assert_eq!(count("query Export / patients"), 4_500);
    assert_eq!(count("query Small / patient"), 3);
    // One event per read, however many people it holds.
    let events = entity::access_event::Entity::find()
        .filter(entity::access_event::Column::Operation.is_in(["query Export", "query Small"]))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(events, 2);
    let stored: Vec<_> = trail.iter().filter(|a| a.request_id.as_deref() == Some("req-small")).collect();
    assert_eq!(stored.len(), 3);
    assert!(stored.iter().all(|r| r.practitioner_id == practitioner.id
        && r.organisation_id == caller.organisation_id
        && r.professional_role == practitioner.professional_role.to_value()));
}

#[tokio::test]
async fn a_read_whose_audit_cannot_be_written_is_not_served() {
    let app = spawn_app().await;
    let coordinator = app.token(DemoRole::Coordinator).await;
    let link_worker = app.token(DemoRole::LinkWorker).await;
    let id = app.gql(&coordinator, "{ patients(first: 1) { nodes { id } } }", json!({})).await.data()["patients"]
        ["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let neighbourhood = app.gql(&coordinator, "{ me { neighbourhoods { id } } }", json!({})).await.data()["me"]
        ["neighbourhoods"][0]["id"]
        .clone();
    // One record, and the lists whose audit is committed while their relationships load.
    let reads = [
        (&coordinator, "query Lost($id: ID!) { patient(id: $id) { id name nhsNumber } }", json!({ "id": id })),
        (&coordinator, "{ patients(first: 5) { nodes { name nhsNumber conditions { code } } } }", json!({})),
        (
            &coordinator,
            "query($n: ID!) { mdtMeetings(neighbourhoodId: $n, first: 20) { nodes { agenda { \
             patient { name nhsNumber } decisions { id } actions { id } } } } }",
            json!({ "n": neighbourhood }),
        ),
        (
            &link_worker,
            "{ caseload { activeCount referrals(first: 5) { nodes { patient { name nhsNumber } } } } }",
            json!({}),
        ),
    ];
    for (token, query, variables) in &reads {
        let reply = app.gql(token, query, variables.clone()).await;
        assert!(reply.data().to_string().contains("nhsNumber\":\""), "the read shows records: {}", reply.body);
    }
    let events_before = entity::access_event::Entity::find().count(&app.db).await.unwrap();
    // The people cannot be written: the event that would name them must not be left behind either.
    app.db.execute_unprepared("DROP TABLE access_event_patient").await.unwrap();

    for (token, query, variables) in &reads {
        let reply = app.gql(token, query, variables.clone()).await;
        assert_eq!(reply.error_code(), "INTERNAL", "{query}: {}", reply.body);
        assert!(!reply.body.to_string().contains("nhsNumber\":\""), "nothing of a record leaks: {}", reply.body);
    }
    let events = entity::access_event::Entity::find().count(&app.db).await.unwrap();
    assert_eq!(events, events_before, "an event is written with its people or not at all");
}

#[tokio::test]
async fn a_person_shown_twice_in_one_read_is_audited_once() {
    let app = spawn_app().await;
    let (_, caller, audit) = coordinator_writer(&app).await;
    let (a, b) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    let reads =
        [(a, AccessReason::ReferralParty), (b, AccessReason::ReferralParty), (a, AccessReason::NeighbourhoodMember)];
    audit.record_reads(&caller, &reads, "query Inbox", Some("referrals"), "req-twice").await.unwrap();
    // The same person read again by another request is another event.
    audit.record_reads(&caller, &reads[..1], "query Again", Some("referral"), "req-again").await.unwrap();
    let trail = app.audit_trail().await;
    let inbox: Vec<_> = trail.iter().filter(|r| r.request_id.as_deref() == Some("req-twice")).collect();
    assert_eq!(inbox.len(), 2, "{inbox:?}");
    assert_eq!(inbox[0].event_id, inbox[1].event_id, "one event for the read");
    let first = inbox.iter().find(|r| r.patient_id == a).unwrap();
    assert_eq!(first.access_reason, "referral_party", "the first reason given is kept");
    assert_eq!(trail.iter().filter(|r| r.patient_id == a).count(), 2);
}

/// Migration 000009 splits the wide `access_audit` rows into events and their people; going down
/// and up again must give back every person read, by whom, when, how and why.
#[tokio::test]
async fn the_audit_trail_survives_its_migration_both_ways() {
    use migration::MigratorTrait;
    use sea_orm::Statement;

    let app = spawn_app().await;
    let coordinator = app.token(DemoRole::Coordinator).await;
    let gp = app.token(DemoRole::Gp).await;
    app.gql(&coordinator, "query Page { patients(first: 5) { nodes { id } } }", json!({})).await.data();
    app.gql(&gp, "query Two { patients(first: 2) { nodes { id name } } }", json!({})).await.data();
    type Read = (uuid::Uuid, uuid::Uuid, uuid::Uuid, String, String, String, Option<String>, String);
    let key = |r: &crate::helpers::AuditRow| -> Read {
        (
            r.patient_id,
            r.practitioner_id,
            r.organisation_id,
            r.professional_role.clone(),
            r.label(),
            r.access_reason.clone(),
            r.request_id.clone(),
            r.occurred_at.to_rfc3339(),
        )
    };
    let mut before: Vec<Read> = app.audit_trail().await.iter().map(key).collect();
    before.sort();
    // The two reads above, beside the demo's own (its break-glass uses' reads), which survive too.
    assert_eq!(
        before.iter().filter(|r| r.4.starts_with("query Page") || r.4.starts_with("query Two")).count(),
        7,
        "{before:?}"
    );

    // Down to just before the migration that split the trail, whatever came after it.
    let names: Vec<String> = migration::Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
    let split = names.iter().position(|n| n == "m20261128_000009_access_audit_per_request").expect("migration 000009");
    migration::Migrator::down(&app.db, Some(u32::try_from(names.len() - split).unwrap())).await.unwrap();
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT id, patient_id, practitioner_id, organisation_id, professional_role, operation, access_reason, \
             request_id, occurred_at FROM access_audit",
        ))
        .await
        .unwrap();
    let ids: std::collections::HashSet<uuid::Uuid> = rows.iter().map(|r| r.try_get("", "id").unwrap()).collect();
    assert_eq!(ids.len(), before.len(), "every wide row has its own id");
    let mut wide: Vec<Read> = rows
        .iter()
        .map(|r| {
            let at: chrono::DateTime<chrono::Utc> = r.try_get("", "occurred_at").unwrap();
            (
                r.try_get("", "patient_id").unwrap(),
                r.try_get("", "practitioner_id").unwrap(),
                r.try_get("", "organisation_id").unwrap(),
                r.try_get("", "professional_role").unwrap(),
                r.try_get("", "operation").unwrap(),
                r.try_get("", "access_reason").unwrap(),
                r.try_get("", "request_id").unwrap(),
                at.to_rfc3339(),
            )
        })
        .collect();
    wide.sort();
    assert_eq!(wide, before, "down: one wide row per person read");

    migration::Migrator::up(&app.db, None).await.unwrap();
    let mut after: Vec<Read> = app.audit_trail().await.iter().map(key).collect();
    after.sort();
    assert_eq!(after, before, "up again: the same reads");
}

/// An audit writer of its own, and the demo coordinator it writes for: tests that call the writer
/// directly, with ids of their choosing (the trail has no foreign key to the patient).
async fn coordinator_writer(app: &TestApp) -> (entity::practitioner::Model, domain::auth::Caller, AuditLog) {
    let practitioner = app.practitioner(DemoRole::Coordinator).await;
    let caller = domain::auth::load_caller(&app.db, practitioner.id, AccessWindows::default()).await.unwrap().unwrap();
    (practitioner, caller, AuditLog::start(app.db.clone()))
}
