//! The hardened HTTP surface: body, batch, depth, complexity, alias and field limits; GET never
//! executes; introspection and suggestions as configured; GraphQL-over-HTTP negotiation.

use serde_json::json;
use server::cli::DemoRole;
use server::config::LimitArgs;

use crate::helpers::{serve_args, spawn_app, spawn_app_with, AppOptions};

#[tokio::test]
async fn oversized_bodies_get_413() {
    let app = spawn_app().await;
    let token = app.token(DemoRole::Coordinator).await;
    let padding = " ".repeat(70_000);
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .json(&json!({ "query": format!("{{ me {{ role }} }}{padding}") }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let body: serde_json::Value = response.json().await.expect("a GraphQL error body");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("65536 bytes") && message.contains("--max-body-bytes"), "{message}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

#[tokio::test]
async fn batches_are_capped() {
    let app = spawn_app().await;
    let token = app.token(DemoRole::Coordinator).await;
    let two = app
        .post_raw(
            Some(&token),
            json!([{ "query": "{ me { role } }" }, { "query": "{ neighbourhoods { totalCount } }" }]),
        )
        .await;
    assert_eq!(two.status, 200);
    assert_eq!(two.body[0]["data"]["me"]["role"], "INT_COORDINATOR");
    assert!(two.body[1]["data"]["neighbourhoods"]["totalCount"].as_u64().unwrap() >= 1);

    let eleven: Vec<_> = (0..11).map(|_| json!({ "query": "{ me { role } }" })).collect();
    let refused = app.post_raw(Some(&token), json!(eleven)).await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.error_code(), "BAD_USER_INPUT");
    assert!(refused.error_message().contains("1 to 10"), "{}", refused.error_message());
}

#[tokio::test]
async fn depth_complexity_alias_and_field_limits() {
    let app = spawn_app().await;
    let token = app.token(DemoRole::Coordinator).await;

    let deep = "{ me { organisation { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { name } } } } } } } } } } } } }";
    let reply = app.gql(&token, deep, json!({})).await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.error_code(), "GRAPHQL_VALIDATION_FAILED");

    let complex = "{ a: patients(first: 100) { ...Everything } b: patients(first: 100) { ...Everything } } fragment Everything on PatientConnection { nodes { id name age sex postcode nhsNumber conditions { code name key diagnosedOn } registeredPractice { name odsCode kind parent { name odsCode kind } } neighbourhood { name plannedPopulation } frailty { efiScore category } needs { livesAlone isCarer } } }";
    let reply = app.gql(&token, complex, json!({})).await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert!(reply.error_message().to_lowercase().contains("complex"), "{}", reply.error_message());

    let aliases: String = (0..31).map(|i| format!("t{i}: __typename ")).collect();
    let reply = app.gql(&token, &format!("{{ {aliases} }}"), json!({})).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error_code(), "GRAPHQL_VALIDATION_FAILED");
    assert!(reply.error_message().contains("aliases"), "{}", reply.error_message());
    let within: String = (0..30).map(|i| format!("t{i}: __typename ")).collect();
    assert_eq!(app.gql(&token, &format!("{{ {within} }}"), json!({})).await.status, 200);

    // Fragments multiply: 8 spreads of 8 spreads of 10 __typename = 640 fields.
    let many = format!(
        "query {{ ...B }} fragment B on Query {{ {b} }} fragment C on Query {{ {c} }} fragment D on Query {{ {d} }}",
        b = "...C ".repeat(8),
        c = "...D ".repeat(8),
        d = "__typename ".repeat(10)
    );
    let reply = app.gql(&token, &many, json!({})).await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert!(reply.error_message().contains("fields"), "{}", reply.error_message());

    // A fragment bomb: 60 levels of doubling. Refused at once (the walk tallies each fragment once).
    let mut bomb = String::from("{ ...F0 }");
    for i in 0..60 {
        bomb.push_str(&format!(" fragment F{i} on Query {{ ...F{n} ...F{n} }}", n = i + 1));
    }
    bomb.push_str(" fragment F60 on Query { __typename }");
    let started = std::time::Instant::now();
    let reply = app.gql(&token, &bomb, json!({})).await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "answered promptly");
    let reply = app.gql(&token, "{ ...Missing }", json!({})).await;
    assert_eq!(reply.status, 400);
}

#[tokio::test]
async fn searches_are_bounded_so_they_cannot_exhaust_the_server() {
    let app = spawn_app().await;
    let token = app.token(DemoRole::Vcse).await;
    let words = vec!["a"; 15_000].join(" ");
    let reply =
        app.gql(&token, "query($s: String) { practitioners(search: $s) { totalCount } }", json!({ "s": words })).await;
    assert_eq!(reply.error_code(), "BAD_USER_INPUT");
    assert_eq!(reply.body["errors"][0]["extensions"]["field"], "search");
    let long = "x".repeat(101);
    let reply =
        app.gql(&token, "query($s: String) { organisations(search: $s) { totalCount } }", json!({ "s": long })).await;
    assert_eq!(reply.error_code(), "BAD_USER_INPUT");
    // The server is still up and answering.
    let ok = app.gql(&token, "{ practitioners(search: \"a\") { totalCount } }", json!({})).await;
    assert!(ok.data()["practitioners"]["totalCount"].as_u64().is_some());
}

#[tokio::test]
async fn parse_and_validation_errors_are_400_and_content_is_negotiated() {
    let app = spawn_app().await;
    let token = app.token(DemoRole::Coordinator).await;
    let parse = app.gql(&token, "{ me { role ", json!({})).await;
    assert_eq!(parse.status, 400);
    assert_eq!(parse.error_code(), "GRAPHQL_VALIDATION_FAILED");
    let unknown = app.gql(&token, "{ me { rol } }", json!({})).await;
    assert_eq!(unknown.status, 400);
    assert!(!unknown.error_message().contains("Did you mean"), "suggestions are off: {}", unknown.error_message());
    assert!(unknown.content_type.starts_with("application/graphql-response+json"));
    assert!(unknown.body.get("data").is_none(), "a request error has no data entry: {}", unknown.body);

    // A client that accepts only application/json gets request errors with 200, as GraphQL
    // over HTTP recommends for it, and still no data entry.
    for (query, variables) in [
        ("{ me { role ", json!({})),
        ("{ me { rol } }", json!({})),
        ("query($id: ID!) { patient(id: $id) { id } }", json!({ "id": null })),
    ] {
        let legacy = app
            .client
            .post(app.url("/graphql"))
            .bearer_auth(&token)
            .header("accept", "application/json")
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .unwrap();
        assert_eq!(legacy.status(), 200, "{query}");
        assert!(legacy.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
        let body: serde_json::Value = legacy.json().await.unwrap();
        assert!(body.get("data").is_none(), "{body}");
        assert!(body["errors"][0]["extensions"]["code"].is_string(), "{body}");
    }

    let send = |accept: &'static str| {
        app.client
            .post(app.url("/graphql"))
            .bearer_auth(&token)
            .header("accept", accept)
            .json(&json!({ "query": "{ me { role } }" }))
            .send()
    };
    let modern = send("application/graphql-response+json, application/json;q=0.9").await.unwrap();
    assert_eq!(modern.status(), 200);
    assert_eq!(modern.headers()["content-type"], "application/graphql-response+json");
    let legacy = send("application/json").await.unwrap();
    assert_eq!(legacy.headers()["content-type"], "application/json");
    assert_eq!(send("text/html").await.unwrap().status(), 406);

    let not_json = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body("{ me { role } }")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 415);
    let bad_json = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status(), 400);

    // The correlation id is always the server's own: a client's is not trusted (it is audited).
    let id = app.client.get(app.url("/livez")).header("x-request-id", "forged-id").send().await.unwrap();
    assert_eq!(id.status(), 200);
    let server_id = id.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_ne!(server_id, "forged-id");
    assert!(uuid::Uuid::parse_str(&server_id).is_ok());
    let read = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .header("x-request-id", "forged-id")
        .json(&json!({ "query": "{ patients(first: 1) { nodes { id } } }" }))
        .send()
        .await
        .unwrap();
    let server_id = read.headers()["x-request-id"].to_str().unwrap().to_owned();
    let audited = app.audit_trail().await;
    assert!(audited.iter().all(|a| a.request_id.as_deref() != Some("forged-id")));
    assert!(audited.iter().any(|a| a.request_id.as_deref() == Some(server_id.as_str())));
    assert_eq!(app.client.get(app.url("/readyz")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn introspection_and_graphiql_follow_configuration_and_get_never_executes() {
    let app = spawn_app().await;
    let token = app.token(DemoRole::Coordinator).await;
    let introspect = app.gql(&token, "{ __schema { queryType { name } } }", json!({})).await;
    assert_eq!(introspect.status, 400, "introspection off by default: {}", introspect.body);
    assert!(introspect.error_message().contains("introspection is disabled"), "{}", introspect.body);
    let get = app.client.get(app.url("/graphql")).send().await.unwrap();
    assert_eq!(get.status(), 405);

    let mut serve = serve_args(LimitArgs::default());
    serve.graphiql = Some(true);
    serve.introspection = Some(true);
    let demo = spawn_app_with(AppOptions { serve, population: 300, neighbourhoods: 1, ..AppOptions::default() }).await;
    let token = demo.token(DemoRole::Coordinator).await;
    let introspect = demo.gql(&token, "{ __schema { queryType { name } } }", json!({})).await;
    assert_eq!(introspect.data()["__schema"]["queryType"]["name"], "Query");
    let page = demo.client.get(demo.url("/graphql")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().to_lowercase().contains("graphiql"));

    // A mutation sent over GET is never run, with or without GraphiQL.
    let cohort_count = || async { entity::cohort::Entity::find().all(&demo.db).await.unwrap().len() };
    use sea_orm::EntityTrait;
    let before = cohort_count().await;
    let neighbourhood = demo.neighbourhoods().await[0].id;
    let mutation = format!("mutation {{ createCohort(input: {{ neighbourhoodId: \"{neighbourhood}\", name: \"via GET\", criteria: {{}} }}) {{ cohort {{ id }} }} }}");
    let via_get = demo
        .client
        .get(demo.url("/graphql"))
        .bearer_auth(&token)
        .query(&[("query", mutation.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(via_get.status(), 405, "an operation in the URL gets no page and no execution");
    assert_eq!(via_get.headers()["allow"], "POST");
    let json_get = demo.client.get(demo.url("/graphql")).header("accept", "application/json").send().await.unwrap();
    assert_eq!(json_get.status(), 405, "a client asking for JSON is not sent the GraphiQL page");
    let body: serde_json::Value = json_get.json().await.unwrap();
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("POSTed"), "{body}");
    assert_eq!(cohort_count().await, before);
    let via_post = demo.gql(&token, &mutation, json!({})).await;
    assert!(via_post.data()["createCohort"]["cohort"]["id"].is_string());
    assert_eq!(cohort_count().await, before + 1);
}

#[tokio::test]
async fn metrics_count_operations_by_outcome_and_error_code() {
    let app = spawn_app().await;
    let token = app.token(server::cli::DemoRole::Coordinator).await;
    let vcse = app.token(server::cli::DemoRole::Vcse).await;
    let read = |app: &crate::helpers::TestApp| {
        let url = app.url("/metrics");
        let client = app.client.clone();
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    app.gql(&token, "{ me { role } }", serde_json::json!({})).await.data();
    app.gql(&token, "{ me { role } }", serde_json::json!({})).await.data();
    let refused = app.gql(&vcse, "{ patients(first: 1) { nodes { id } } }", serde_json::json!({})).await;
    assert_eq!(refused.error_code(), "FORBIDDEN");
    let text = read(&app).await;
    assert!(text.contains(r#"graphql_responses_total{kind="query",outcome="ok",code=""} 2"#), "{text}");
    assert!(text.contains(r#"graphql_responses_total{kind="query",outcome="error",code="FORBIDDEN"} 1"#), "{text}");
    assert!(!text.contains("patient"), "no personal data in metrics");
}
