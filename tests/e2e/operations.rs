//! The example operations of `docs/operations` (what the README points to and GraphiQL offers as
//! tabs) run against the demo: each validates against the schema, its variables fit, and it runs
//! (a refusal the data explains, such as FORBIDDEN for a role or INVALID_TRANSITION for a referral
//! in another state, is an answer; a validation failure, malformed input or INTERNAL is not). The
//! main reads must answer data with no error at all.

use std::collections::HashMap;

use async_graphql::parser::types::OperationType;
use sea_orm::EntityTrait;
use serde_json::{json, Value};
use server::cli::DemoRole;

use crate::helpers::{spawn_app, TestApp};

/// Operations that must answer data with no error, as the coordinator or (for the referral
/// worker's views) a link worker.
const MUST_ANSWER: &[&str] = &[
    "FrailCohort",
    "Cohorts",
    "OpenRecord",
    "WaitingList",
    "MyCaseload",
    "Waiting",
    "Prepare",
    "FindAssets",
    "MyActions",
    "PractitionerTrail",
    "ReviewQueue",
    "Flags",
    "Staff",
    "AddPractitioner",
    "AdminTrail",
];

/// Administration, run with the deployment administrator's token.
const ADMINISTRATOR: &[&str] = &["Staff", "AddPractitioner", "AdminTrail"];

/// Operations of the privacy officer's review, run with the officer's token.
const PRIVACY_OFFICER: &[&str] =
    &["PersonTrail", "PractitionerTrail", "ReviewQueue", "ReviewUse", "Flags", "SubjectAccess"];

async fn first_id(app: &TestApp, token: &str, query: &str, path: &[&str]) -> String {
    let reply = app.gql(token, query, json!({})).await;
    let mut value = reply.data().clone();
    for key in path {
        value = match key.parse::<usize>() {
            Ok(i) => value[i].clone(),
            Err(_) => value[*key].clone(),
        };
    }
    value.as_str().unwrap_or_else(|| panic!("no id at {path:?} in {}", reply.body)).to_owned()
}

#[tokio::test]
async fn every_example_operation_validates_and_runs_against_the_demo() {
    let app = spawn_app().await;
    let coordinator = app.token(DemoRole::Coordinator).await;
    let link_worker = app.token(DemoRole::LinkWorker).await;
    let privacy_officer = app.token(DemoRole::PrivacyOfficer).await;
    let administrator = app.token(DemoRole::Administrator).await;

    let neighbourhood =
        first_id(&app, &coordinator, "{ me { neighbourhoods { id } } }", &["me", "neighbourhoods", "0", "id"]).await;
    let patient = first_id(
        &app,
        &coordinator,
        "{ patients(first: 1, filter: { frailtyCategories: [MODERATE, SEVERE] }) { nodes { id } } }",
        &["patients", "nodes", "0", "id"],
    )
    .await;
    let splw = first_id(
        &app,
        &coordinator,
        "{ organisations(kind: SPLW_PROVIDER, first: 1) { nodes { id } } }",
        &["organisations", "nodes", "0", "id"],
    )
    .await;
    let vcse = first_id(
        &app,
        &coordinator,
        "{ organisations(kind: VCSE, first: 1) { nodes { id } } }",
        &["organisations", "nodes", "0", "id"],
    )
    .await;
    let practitioner = app.practitioner(DemoRole::Gp).await.id.to_string();
    let meeting = first_id(
        &app,
        &coordinator,
        &format!("{{ mdtMeetings(neighbourhoodId: \"{neighbourhood}\", first: 1) {{ nodes {{ id }} }} }}"),
        &["mdtMeetings", "nodes", "0", "id"],
    )
    .await;
    let cohort =
        first_id(&app, &coordinator, "{ cohorts(first: 1) { nodes { id } } }", &["cohorts", "nodes", "0", "id"]).await;
    let referral =
        first_id(&app, &link_worker, "{ referrals(first: 1) { nodes { id } } }", &["referrals", "nodes", "0", "id"])
            .await;

    let nhs_number = first_id(
        &app,
        &coordinator,
        &format!("{{ patient(id: \"{patient}\") {{ nhsNumber }} }}"),
        &["patient", "nhsNumber"],
    )
    .await;
    let break_glass = entity::break_glass::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .expect("the demo's break-glass uses")
        .id
        .to_string();

    let today = chrono::Utc::now();
    let ids: HashMap<&str, String> = HashMap::from([
        ("nhsNumber", nhs_number),
        ("breakGlassId", break_glass),
        ("neighbourhoodId", neighbourhood.clone()),
        ("patientId", patient.clone()),
        ("receivingOrganisationId", splw),
        ("organisationId", vcse),
        ("practitionerId", practitioner.clone()),
        ("chairId", practitioner.clone()),
        ("workerId", practitioner),
        ("meetingId", meeting.clone()),
        ("cohortId", cohort),
        ("referralId", referral),
    ]);
    let schema = api::schema::build_schema(&api::schema::SchemaSettings::default());

    let mut ran = 0;
    for (file, text) in server::graphiql::OPERATIONS {
        let document =
            async_graphql::parser::parse_query(text).unwrap_or_else(|e| panic!("{file} does not parse: {e}"));
        for (name, operation) in document.operations.iter() {
            let name = name.unwrap_or_else(|| panic!("every example operation in {file} is named")).to_string();
            let mut variables = serde_json::Map::new();
            for definition in &operation.node.variable_definitions {
                let var = definition.node.name.node.as_str();
                let value = match var {
                    "id" if name == "OpenRecord" => json!(patient),
                    "id" => json!(meeting),
                    "from" => json!("2026-04-01"),
                    "to" => json!("2026-06-30"),
                    "startsAt" => json!((today + chrono::Duration::days(30)).to_rfc3339()),
                    "endsAt" => {
                        json!((today + chrono::Duration::days(30) + chrono::Duration::minutes(90)).to_rfc3339())
                    }
                    "idempotencyKey" => json!(uuid::Uuid::new_v4().to_string()),
                    "after" => Value::Null,
                    other => match ids.get(other) {
                        Some(id) => json!(id),
                        // An id the demo does not single out: a refusal of it is still an answer.
                        None => json!(uuid::Uuid::new_v4().to_string()),
                    },
                };
                variables.insert(var.to_owned(), value);
            }
            if operation.node.ty == OperationType::Subscription {
                // Over HTTP a subscription is refused; validate it against the schema instead:
                // anything that fails must fail in execution (with a path), not in validation.
                use futures::StreamExt;
                let request = async_graphql::Request::new(*text)
                    .operation_name(name.clone())
                    .variables(async_graphql::Variables::from_json(Value::Object(variables)));
                let first = schema.execute_stream(request).next().await.unwrap();
                assert!(first.errors.iter().all(|e| !e.path.is_empty()), "{file} {name}: {:?}", first.errors);
                ran += 1;
                continue;
            }
            let token = if PRIVACY_OFFICER.contains(&name.as_str()) {
                &privacy_officer
            } else if ADMINISTRATOR.contains(&name.as_str()) {
                &administrator
            } else if ["WaitingList", "MyCaseload", "WhoCanTakeIt", "Accept", "Attempt", "Close"]
                .contains(&name.as_str())
            {
                &link_worker
            } else {
                &coordinator
            };
            let body = json!({ "query": text, "operationName": name, "variables": variables });
            let reply = app.post_raw(Some(token), body).await;
            for error in reply.body["errors"].as_array().into_iter().flatten() {
                let code = error["extensions"]["code"].as_str().unwrap_or("");
                assert!(!["GRAPHQL_VALIDATION_FAILED", "INTERNAL"].contains(&code), "{file} {name}: {}", reply.body);
                assert!(
                    error["extensions"].get("variable").is_none() && error["extensions"].get("argument").is_none(),
                    "{file} {name}: malformed input {}",
                    reply.body
                );
            }
            if MUST_ANSWER.contains(&name.as_str()) {
                assert!(reply.body.get("errors").is_none(), "{file} {name} answers without errors: {}", reply.body);
                assert!(reply.body["data"].is_object(), "{file} {name}: {}", reply.body);
            }
            ran += 1;
        }
    }
    assert!(ran >= 45, "every example ran ({ran})");
}
