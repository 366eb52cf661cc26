//! What a client developer meets first: malformed input is a `BAD_USER_INPUT` that says where and
//! what was expected (never `INTERNAL`), limits say which limit and how to change it, the standard
//! introspection queries work at the default limits, and the schema names its types as GraphQL
//! clients expect.

use serde_json::{json, Value};
use server::cli::DemoRole;
use server::config::LimitArgs;

use crate::helpers::{fixture, serve_args, spawn_app, spawn_app_with, AppOptions, Reply};

const FIGURES: &str = "query($input: ReferralFiguresInput!) { referralFigures(input: $input) { total { referrals } } }";
const MEETING: &str =
    "mutation($input: ScheduleMdtMeetingInput!) { scheduleMdtMeeting(input: $input) { meeting { id } } }";
const ACTION: &str = "mutation($input: AddMdtActionInput!) { addMdtAction(input: $input) { action { id } } }";
const MEASURE: &str =
    "mutation($input: RecordOutcomeMeasurementInput!) { recordOutcomeMeasurement(input: $input) { measurement { id } } }";

/// A refusal of the input itself: every error `BAD_USER_INPUT`, nothing run, each message holding
/// all of `expected`.
fn assert_bad_input(reply: &Reply, expected: &[&str]) {
    let errors = reply.body["errors"].as_array().unwrap_or_else(|| panic!("no errors in {}", reply.body));
    assert!(!errors.is_empty(), "{}", reply.body);
    for error in errors {
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{}", reply.body);
    }
    assert!(reply.body.get("data").is_none_or(Value::is_null), "nothing ran: {}", reply.body);
    let message = errors[0]["message"].as_str().unwrap();
    for part in expected {
        assert!(message.contains(part), "{message:?} should say {part:?}");
    }
    assert!(!message.contains("internal"), "{message}");
}

#[tokio::test]
async fn every_malformed_scalar_is_bad_user_input_naming_where_and_the_format() {
    let app = spawn_app().await;
    let token = app.token(DemoRole::Coordinator).await;
    let neighbourhood = app.neighbourhoods().await[0].id.to_string();
    let nb = neighbourhood.as_str();
    let figures = |from: &str, to: &str| json!({ "input": { "neighbourhoodId": nb, "from": from, "to": to } });

    // Dates and instants as variables, inside input objects.
    let cases: Vec<(&str, Value, Vec<&str>)> = vec![
        (FIGURES, figures("01/09/2026", "2026-09-30"), vec!["$input.from", "YYYY-MM-DD", "01/09/2026"]),
        (FIGURES, figures("2026-04-01", "20261201"), vec!["$input.to", "YYYY-MM-DD"]),
        (
            MEETING,
            json!({ "input": { "neighbourhoodId": nb, "title": "MDT", "startsAt": "2026-12-10T10:00", "endsAt": "2026-12-10T11:00:00Z", "place": "Room 1" } }),
            vec!["$input.startsAt", "offset", "RFC 3339"],
        ),
        (
            MEETING,
            json!({ "input": { "neighbourhoodId": nb, "title": "MDT", "startsAt": "2026-13-01T10:00:00Z", "endsAt": "2026-12-10T11:00:00Z", "place": "Room 1" } }),
            vec!["$input.startsAt", "2026-13-01T10:00:00Z"],
        ),
        (ACTION, json!({ "input": { "itemId": nb, "text": "Call", "dueDate": "" } }), vec!["$input.dueDate", "YYYY-MM-DD"]),
        (
            MEASURE,
            json!({ "input": { "patientId": nb, "instrument": "ons4", "kind": "BASELINE", "takenOn": "2026-02-30", "responses": [] } }),
            vec!["$input.takenOn", "2026-02-30"],
        ),
        // An Int beyond 32 bits, inside an input (an item response) and at the top level.
        (
            MEASURE,
            json!({ "input": { "patientId": nb, "instrument": "ons4", "kind": "BASELINE", "takenOn": "2026-02-03", "responses": [{ "item": "ons4-1", "value": 2147483648u64 }] } }),
            vec!["$input.responses[0].value", "2147483647"],
        ),
        ("query($first: Int) { patients(first: $first) { totalCount } }", json!({ "first": 2147483648u64 }), vec!["$first", "2147483647", "got 2147483648"]),
        // An ID that is not a string, a required variable not sent, an enum that does not exist.
        ("query($id: ID!) { patient(id: $id) { id } }", json!({ "id": { "uuid": "x" } }), vec!["$id", "ID"]),
        ("query($id: ID!) { patient(id: $id) { id } }", json!({}), vec!["$id", "was not provided"]),
        (MEASURE, json!({ "input": { "patientId": nb, "instrument": "ons4", "kind": "LATER", "takenOn": "2026-02-03", "responses": [] } }), vec!["$input.kind", "BASELINE"]),
        (FIGURES, json!({ "input": { "neighbourhoodId": nb, "from": "2026-04-01" } }), vec!["$input.to", "was not provided"]),
        // A top-level variable of a custom scalar, used inside an input literal.
        (
            "query($from: Date!) { referralFigures(input: { neighbourhoodId: \"x\", from: $from, to: \"2026-06-30\" }) { total { referrals } } }",
            json!({ "from": "2026/04/01" }),
            vec!["$from", "YYYY-MM-DD"],
        ),
    ];
    for (query, variables, expected) in cases {
        let reply = app.gql(&token, query, variables.clone()).await;
        assert_bad_input(&reply, &expected);
    }

    // The same as literals: the argument's path is named.
    let literals: Vec<(String, Vec<&str>)> = vec![
        (
            format!("{{ referralFigures(input: {{ neighbourhoodId: \"{nb}\", from: \"01/09/2026\", to: \"2026-09-30\" }}) {{ total {{ referrals }} }} }}"),
            vec!["input.from", "referralFigures", "YYYY-MM-DD"],
        ),
        (
            format!("mutation {{ scheduleMdtMeeting(input: {{ neighbourhoodId: \"{nb}\", title: \"MDT\", startsAt: \"2026-12-10T10:00\", endsAt: \"2026-12-10T11:00:00Z\", place: \"Room\" }}) {{ meeting {{ id }} }} }}"),
            vec!["input.startsAt", "offset"],
        ),
        (
            format!("mutation {{ addMdtAction(input: {{ itemId: \"{nb}\", text: \"Call\", dueDate: \"\" }}) {{ action {{ id }} }} }}"),
            vec!["input.dueDate", "YYYY-MM-DD"],
        ),
        ("{ patients(first: 2147483648) { totalCount } }".to_owned(), vec!["first", "2147483647"]),
        ("{ patient(id: 1.5) { id } }".to_owned(), vec!["id", "ID"]),
        ("{ patient(id: true) { id } }".to_owned(), vec!["id", "ID"]),
    ];
    for (query, expected) in literals {
        let reply = app.gql(&token, &query, json!({})).await;
        assert_bad_input(&reply, &expected);
    }

    // A well-formed string that is not one of our ids is still the client's mistake.
    let reply = app.gql(&token, "{ patient(id: \"not-a-uuid\") { id } }", json!({})).await;
    assert_eq!(reply.error_code(), "BAD_USER_INPUT", "{}", reply.body);
    assert!(reply.error_message().contains("UUID"), "{}", reply.body);
}

#[tokio::test]
async fn limits_name_the_limit_the_value_found_and_the_setting() {
    let app = spawn_app().await;
    let token = app.token(DemoRole::Coordinator).await;

    let deep = "{ me { organisation { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { name } } } } } } } } } } } } }";
    let reply = app.gql(&token, deep, json!({})).await;
    assert_eq!(reply.error_code(), "GRAPHQL_VALIDATION_FAILED");
    for part in ["13 levels", "at most 12", "--max-depth", "NEIGHBOURHOOD_MAX_DEPTH"] {
        assert!(reply.error_message().contains(part), "{} should say {part}", reply.error_message());
    }

    let complex = "{ a: patients(first: 100) { ...Everything } b: patients(first: 100) { ...Everything } } fragment Everything on PatientConnection { nodes { id name age sex postcode nhsNumber conditions { code name key diagnosedOn } registeredPractice { name odsCode kind parent { name odsCode kind } } neighbourhood { name plannedPopulation } frailty { efiScore category } needs { livesAlone isCarer } } }";
    let reply = app.gql(&token, complex, json!({})).await;
    assert_eq!(reply.error_code(), "GRAPHQL_VALIDATION_FAILED");
    let message = reply.error_message();
    for part in ["complexity is ", "at most 5000", "--max-complexity", "NEIGHBOURHOOD_MAX_COMPLEXITY"] {
        assert!(message.contains(part), "{message} should say {part}");
    }
    let found: u64 = message.split("complexity is ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!(found > 5000, "{message}");

    let aliases: String = (0..31).map(|i| format!("a{i}: __typename ")).collect();
    let reply = app.gql(&token, &format!("{{ {aliases} }}"), json!({})).await;
    for part in ["31 aliases", "at most 30", "--max-aliases"] {
        assert!(reply.error_message().contains(part), "{} should say {part}", reply.error_message());
    }
}

#[tokio::test]
async fn the_standard_introspection_query_works_at_the_default_limits_and_the_sdl_is_served() {
    let mut serve = serve_args(LimitArgs::default());
    serve.introspection = Some(true);
    let app = spawn_app_with(AppOptions { serve, population: 100, neighbourhoods: 1, ..AppOptions::default() }).await;
    let token = app.token(DemoRole::Coordinator).await;
    let query = std::fs::read_to_string(fixture("introspection-graphql-js.graphql")).unwrap();
    let reply = app.gql(&token, &query, json!({})).await;
    let schema = &reply.data()["__schema"];
    assert_eq!(schema["queryType"]["name"], "Query");
    assert_eq!(schema["mutationType"]["name"], "Mutation");
    assert_eq!(schema["subscriptionType"]["name"], "Subscription");
    let types = schema["types"].as_array().unwrap();
    let named = |name: &str| types.iter().find(|t| t["name"] == name).unwrap_or_else(|| panic!("no type {name}"));
    for scalar in ["Date", "DateTime"] {
        assert_eq!(named(scalar)["kind"], "SCALAR");
        assert_eq!(named(scalar)["specifiedByURL"], "https://www.rfc-editor.org/rfc/rfc3339#section-5.6");
        assert!(named(scalar)["description"].as_str().unwrap().contains("RFC 3339"));
    }
    assert!(types.iter().all(|t| t["name"] != "NaiveDate" && t["name"] != "QueryRoot"));

    // Ordinary documents keep the ordinary depth limit.
    let deep = "{ me { organisation { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { name } } } } } } } } } } } } }";
    assert_eq!(app.gql(&token, deep, json!({})).await.error_code(), "GRAPHQL_VALIDATION_FAILED");
    // A document that mixes introspection with data is an ordinary document.
    let mixed = "{ __typename me { organisation { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { name } } } } } } } } } } } } }";
    assert_eq!(app.gql(&token, mixed, json!({})).await.error_code(), "GRAPHQL_VALIDATION_FAILED");

    let sdl = app.client.get(app.url("/schema.graphql")).send().await.unwrap();
    assert_eq!(sdl.status(), 200);
    assert!(sdl.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = sdl.text().await.unwrap();
    let published = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert_eq!(text, published, "GET /schema.graphql serves what the repository publishes");

    // Where introspection is off, so is the SDL's URL.
    let closed = spawn_app().await;
    let refused = closed.client.get(closed.url("/schema.graphql")).send().await.unwrap();
    assert_eq!(refused.status(), 404);
}
