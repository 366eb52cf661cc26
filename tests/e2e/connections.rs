//! The server's database connections. The pool checks a connection with a round trip only when it
//! has sat idle (`server::db::PING_IF_IDLE_FOR`), not before every statement; one the database dropped
//! while it sat idle is still found out and replaced before any request uses it.

use futures::future::join_all;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use serde_json::json;
use server::cli::DemoRole;

use crate::helpers::spawn_postgres_app;

/// Loaders run side by side, so one request holds several pooled connections at once.
const PAGE: &str = r#"{
    patients(first: 20) {
        nodes { id registeredPractice { name } conditions { code } frailty { category } referrals { id } }
    }
}"#;

#[tokio::test]
async fn connections_the_database_dropped_while_idle_are_replaced_unnoticed() {
    let why = "an embedded SQLite file has no server that could drop a connection";
    let Some(app) =
        spawn_postgres_app("connections::connections_the_database_dropped_while_idle_are_replaced_unnoticed", why)
            .await
    else {
        return;
    };
    let token = app.token(DemoRole::Coordinator).await;
    // Fill the pool: concurrent requests, each with loaders in parallel.
    for reply in join_all((0..6).map(|_| app.gql(&token, PAGE, json!({})))).await {
        assert_eq!(reply.data()["patients"]["nodes"].as_array().unwrap().len(), 20);
    }
    // A restart, a proxy or a firewall dropping them: every connection but the one asking goes.
    let killed = app
        .db
        .query_all_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        ))
        .await
        .unwrap();
    assert!(killed.len() >= 2, "the pool held more than one connection: {} others", killed.len());
    tokio::time::sleep(server::db::PING_IF_IDLE_FOR + std::time::Duration::from_millis(300)).await;
    // The pool needs every connection again; each dead one is found by its ping and replaced.
    for reply in join_all((0..6).map(|_| app.gql(&token, PAGE, json!({})))).await {
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.data()["patients"]["nodes"].as_array().unwrap().len(), 20, "{}", reply.body);
    }
}
