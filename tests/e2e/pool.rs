//! A saturated or blocked database: requests fail fast with a retryable `UNAVAILABLE` (HTTP 503
//! with `Retry-After` when nothing of the request could run) within the configured acquire and
//! statement timeouts, instead of waiting 30 s and answering `INTERNAL`; and requests that need
//! nothing blocked still answer.

use std::time::{Duration, Instant};

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseBackend};
use serde_json::{json, Value};
use server::cli::DemoRole;
use server::config::DatabaseArgs;

use crate::helpers::{spawn_app_with, AppOptions, TestApp};

async fn tight_app() -> TestApp {
    spawn_app_with(AppOptions {
        database: DatabaseArgs {
            db_max_connections: 3,
            db_acquire_timeout_seconds: 1,
            db_statement_timeout_seconds: 2,
            ..DatabaseArgs::default()
        },
        population: 200,
        neighbourhoods: 1,
        ..AppOptions::default()
    })
    .await
}

/// POSTs a query and says how it went: HTTP status, `Retry-After`, body, and how long it took.
async fn timed(app: &TestApp, token: &str, query: &str, variables: Value) -> (u16, Option<String>, Value, Duration) {
    let started = Instant::now();
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let retry = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    let body: Value = response.json().await.unwrap();
    (status, retry, body, started.elapsed())
}

fn codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|e| e.iter().map(|e| e["extensions"]["code"].as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_blocked_table_gives_fast_retryable_answers_and_the_rest_still_works() {
    let app = tight_app().await;
    let token = app.token(DemoRole::Coordinator).await;
    let neighbourhood = app.neighbourhoods().await[0].id.to_string();

    // Another session takes the strongest lock it can on what the next requests need.
    let mut options = ConnectOptions::new(app.database_url());
    options.max_connections(1).sqlx_logging(false);
    let locker = Database::connect(options).await.unwrap();
    let postgres = locker.get_database_backend() == DatabaseBackend::Postgres;
    if postgres {
        locker.execute_unprepared("BEGIN").await.unwrap();
        locker.execute_unprepared("LOCK TABLE patient, cohort IN ACCESS EXCLUSIVE MODE").await.unwrap();
    } else {
        // SQLite (WAL): readers are never blocked; a writer holds the one write lock.
        locker.execute_unprepared("BEGIN IMMEDIATE").await.unwrap();
    }

    let create = "mutation($input: CreateCohortInput!) { createCohort(input: $input) { cohort { id } } }";
    let input = json!({ "input": { "neighbourhoodId": neighbourhood, "name": "While locked", "criteria": {} } });
    let blocked_query = if postgres { "{ patients { totalCount } }" } else { create };
    let blocked_vars = if postgres { json!({}) } else { input.clone() };

    // More blocked requests at once than the pool has connections: each answers within the
    // timeouts (statement 2 s, acquire 1 s, a queue of them), retryable, never INTERNAL.
    let started = Instant::now();
    let blocked =
        futures::future::join_all((0..5).map(|_| timed(&app, &token, blocked_query, blocked_vars.clone()))).await;
    for (status, retry, body, took) in &blocked {
        assert_eq!(codes(body), ["UNAVAILABLE"], "{body}");
        assert_eq!(*status, 503, "nothing of it ran: {body}");
        assert_eq!(retry.as_deref(), Some("2"), "Retry-After");
        assert!(body["errors"][0]["extensions"]["retryAfterSeconds"] == 2, "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("retry"), "{body}");
        assert!(*took < Duration::from_secs(12), "answered in {took:?}");
    }
    assert!(started.elapsed() < Duration::from_secs(15), "all answered in {:?}", started.elapsed());

    // What needs nothing locked answers, promptly, while the lock is still held.
    let (status, _, body, took) = timed(&app, &token, "{ me { role organisation { name } } }", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["me"]["role"], "INT_COORDINATOR");
    assert!(took < Duration::from_secs(3), "`me` took {took:?}");
    if !postgres {
        let (_, _, body, _) = timed(&app, &token, "{ patients { totalCount } }", json!({})).await;
        assert!(body["data"]["patients"]["totalCount"].as_u64().unwrap() > 0, "readers are not blocked: {body}");
    }

    // Nothing was half done, and once the lock goes, the same request succeeds.
    locker.execute_unprepared("ROLLBACK").await.unwrap();
    let (status, _, body, _) = timed(&app, &token, create, input).await;
    assert_eq!(status, 200, "{body}");
    let names = timed(
        &app,
        &token,
        "query($n: ID!) { cohorts(neighbourhoodId: $n) { nodes { name } } }",
        json!({ "n": neighbourhood }),
    )
    .await
    .2;
    let locked_ones =
        names["data"]["cohorts"]["nodes"].as_array().map(|n| n.iter().filter(|c| c["name"] == "While locked").count());
    assert_eq!(locked_ones, Some(1), "only the request after the lock created a cohort: {names}");
}
