//! The access audit's group commit: concurrent reads are written together, each exactly once and
//! before its reply; a read whose audit cannot be written is not served.

use api::audit::AuditLog;
use api::auth::{AccessReason, MdtWindow};
use api::cli::DemoRole;
use sea_orm::{ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn concurrent_reads_are_each_audited_once_before_their_reply() {
    let app = spawn_app().await;
    let coordinator = app.token(DemoRole::Coordinator).await;
    let gp = app.token(DemoRole::Gp).await;
    let ids: Vec<String> = app.gql(&coordinator, "{ patients(first: 40) { nodes { id } } }", json!({})).await.data()
        ["patients"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect();
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
    for (n, (id, reply)) in ids.iter().zip(&replies).enumerate() {
        assert_eq!(reply.data()["patient"]["id"], id.as_str(), "{}", reply.body);
        // The reply has arrived, so its audit row is already committed.
        let rows = entity::access_audit::Entity::find()
            .filter(entity::access_audit::Column::Operation.eq(format!("query Read{n} / patient")))
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "read {n} audited exactly once: {rows:?}");
        assert_eq!(rows[0].patient_id.to_string(), *id);
        assert_eq!(rows[0].practitioner_id, if n % 2 == 0 { coordinator_id } else { gp_id });
        assert_eq!(rows[0].access_reason, "neighbourhood_member");
    }
}

#[tokio::test]
async fn a_read_of_thousands_is_written_in_chunks_in_one_go() {
    let app = spawn_app().await;
    let practitioner = app.practitioner(DemoRole::Coordinator).await;
    let caller = api::auth::load_caller(&app.db, practitioner.id, MdtWindow::default()).await.unwrap().unwrap();
    let audit = AuditLog::start(app.db.clone());
    // More rows than one statement takes (2,000): the writer splits them inside one transaction.
    // The trail has no foreign key to the patient, so any ids do.
    let people: Vec<_> = (0..4_500).map(|_| (uuid::Uuid::now_v7(), AccessReason::NeighbourhoodMember)).collect();
    let (first, second) = tokio::join!(
        audit.record_reads(&caller, &people, "query Export / patients", "req-export"),
        audit.record_reads(&caller, &people[..3], "query Small / patient", "req-small"),
    );
    first.unwrap();
    second.unwrap();
    let count = |operation: &'static str| {
        entity::access_audit::Entity::find()
            .filter(entity::access_audit::Column::Operation.eq(operation))
            .count(&app.db)
    };
    assert_eq!(count("query Export / patients").await.unwrap(), 4_500);
    assert_eq!(count("query Small / patient").await.unwrap(), 3);
    let stored = entity::access_audit::Entity::find()
        .filter(entity::access_audit::Column::RequestId.eq("req-small"))
        .all(&app.db)
        .await
        .unwrap();
    assert!(stored.iter().all(|r| r.practitioner_id == practitioner.id
        && r.organisation_id == caller.organisation_id
        && r.professional_role == practitioner.professional_role.to_value()));
}

#[tokio::test]
async fn a_read_whose_audit_cannot_be_written_is_not_served() {
    let app = spawn_app().await;
    let coordinator = app.token(DemoRole::Coordinator).await;
    let id = app.gql(&coordinator, "{ patients(first: 1) { nodes { id } } }", json!({})).await.data()["patients"]
        ["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.db.execute_unprepared("DROP TABLE access_audit").await.unwrap();

    let reply =
        app.gql(&coordinator, "query($id: ID!) { patient(id: $id) { id name nhsNumber } }", json!({ "id": id })).await;
    assert_eq!(reply.error_code(), "INTERNAL", "{}", reply.body);
    assert!(reply.body["data"].is_null() || reply.body["data"]["patient"].is_null(), "{}", reply.body);
    assert!(!reply.body.to_string().contains("nhsNumber\":\""), "nothing of the record leaks: {}", reply.body);
}
