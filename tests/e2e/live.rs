//! Live updates: `mdtMeetingChanges` over graphql-transport-ws on GET /graphql. Changes made over
//! HTTP reach subscribers with the meeting as it is now, read under the subscriber's own access;
//! the handshake refuses what the protocol says to refuse, with its close codes; and on PostgreSQL
//! a change made through one server process reaches a subscriber connected to another.

use chrono::Utc;
use entity::ProfessionalRole as R;
use futures::SinkExt;
use sea_orm::ConnectionTrait;
use serde_json::json;
use server::cli::DemoRole;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{spawn_app, spawn_postgres_app, TestApp, AUDIENCE, ISSUER};
use crate::scenarios::schedule_meeting;
use crate::ws::{mutate, setting, ServerProcess, Setting, Ws, LIVE};

async fn add_to_agenda(app: &TestApp, s: &Setting, person: &str) {
    mutate(
        app,
        &s.coordinator,
        "addMdtAgendaItem",
        json!({ "meetingId": s.meeting, "patientId": person, "reason": "Two falls this month" }),
    )
    .await;
}

#[tokio::test]
async fn a_subscriber_follows_the_agenda_decisions_actions_and_attendance() {
    let app = spawn_app().await;
    let s = setting(&app).await;
    let gp = s.gp.id.to_string();
    let mut ws = Ws::ready(app.addr, &s.coordinator).await;
    ws.subscribe("1", &s.meeting).await;
    let first = ws.expect("1", "SUBSCRIBED").await;
    assert_eq!(first["meetingId"], s.meeting.as_str());
    assert_eq!(first["meeting"]["status"], "PLANNED");
    assert_eq!(first["meeting"]["agenda"], json!([]));

    mutate(&app, &s.coordinator, "inviteToMdtMeeting", json!({ "meetingId": s.meeting, "practitionerId": gp })).await;
    let invited = ws.expect("1", "INVITATIONS").await;
    assert_eq!(invited["meeting"]["invitations"][0]["practitioner"]["id"], gp.as_str());

    add_to_agenda(&app, &s, &s.people[0]).await;
    let agenda = ws.expect("1", "AGENDA").await;
    let item = &agenda["meeting"]["agenda"][0];
    assert_eq!(item["patient"]["id"], s.people[0].as_str());
    assert!(item["patient"]["name"].is_string(), "nested fields resolve under the subscriber's access: {item}");
    let item_id = item["id"].as_str().unwrap().to_owned();

    // A refused change announces nothing (the next event below is the decision's).
    let again = json!({ "meetingId": s.meeting, "patientId": s.people[0], "reason": "Twice" });
    let doc = "mutation($input: AddMdtAgendaItemInput!) { addMdtAgendaItem(input: $input) { __typename } }";
    assert_eq!(app.gql(&s.coordinator, doc, json!({ "input": again })).await.error_code(), "CONFLICT");

    // Changes to another meeting are not this subscriber's business.
    // Later the same day: one chair does not chair two meetings at once.
    let (n, chair) = (s.neighbourhood.to_string(), s.gp.id.to_string());
    let other = schedule_meeting(&app, &s.coordinator, &n, &chair, chrono::Duration::hours(3), None).await;
    let other = other["id"].as_str().unwrap();
    mutate(
        &app,
        &s.coordinator,
        "addMdtAgendaItem",
        json!({ "meetingId": other, "patientId": s.people[1], "reason": "Carer unwell" }),
    )
    .await;

    mutate(
        &app,
        &s.coordinator,
        "recordMdtDecision",
        json!({ "itemId": item_id, "text": "Refer to the falls service" }),
    )
    .await;
    let decision = ws.expect("1", "DECISION").await;
    assert_eq!(decision["meetingId"], s.meeting.as_str(), "the other meeting's change did not arrive");
    assert_eq!(decision["meeting"]["agenda"][0]["decisions"][0]["text"], "Refer to the falls service");

    let today = Utc::now().date_naive().to_string();
    let action = json!({ "itemId": item_id, "text": "Home visit", "ownerPractitionerId": gp, "dueDate": today });
    mutate(&app, &s.coordinator, "addMdtAction", action).await;
    let action = ws.expect("1", "ACTION").await;
    let action_id = action["meeting"]["agenda"][0]["actions"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(action["meeting"]["agenda"][0]["actions"][0]["status"], "OPEN");

    mutate(&app, &s.coordinator, "setMdtMeetingStatus", json!({ "meetingId": s.meeting, "to": "IN_PROGRESS" })).await;
    assert_eq!(ws.expect("1", "STATUS").await["meeting"]["status"], "IN_PROGRESS");

    mutate(
        &app,
        &s.coordinator,
        "recordMdtAttendance",
        json!({ "meetingId": s.meeting, "entries": [{ "practitionerId": gp, "attendance": "ATTENDED" }] }),
    )
    .await;
    let attendance = ws.expect("1", "ATTENDANCE").await;
    assert_eq!(attendance["meeting"]["invitations"][0]["attendance"], "ATTENDED");
    assert_eq!(attendance["meeting"]["quoracy"]["present"], json!(["GENERAL_PRACTICE"]));

    mutate(&app, &s.coordinator, "setMdtActionStatus", json!({ "actionId": action_id, "to": "DONE" })).await;
    assert_eq!(ws.expect("1", "ACTION").await["meeting"]["agenda"][0]["actions"][0]["status"], "DONE");

    add_to_agenda(&app, &s, &s.people[2]).await;
    assert_eq!(ws.expect("1", "AGENDA").await["meeting"]["agenda"].as_array().unwrap().len(), 2);
    let set =
        "mutation($input: SetRequiredDisciplinesInput!) { setRequiredDisciplines(input: $input) { disciplines } }";
    app.gql(
        &s.coordinator,
        set,
        json!({ "input": { "neighbourhoodId": s.neighbourhood.to_string(), "disciplines": ["GENERAL_PRACTICE"] } }),
    )
    .await
    .data();
    assert_eq!(ws.expect("1", "REQUIREMENTS").await["meeting"]["quoracy"]["isQuorate"], true);
    ws.nothing_pending().await;

    // Every event's reading of the people on the agenda is audited, as an HTTP read would be.
    let audited: Vec<_> =
        app.audit_trail().await.into_iter().filter(|a| a.label().starts_with("subscription Live / ")).collect();
    assert!(audited.iter().any(|a| a.patient_id.to_string() == s.people[0]), "subscription reads are audited");

    // The client completes: nothing more is sent for it.
    ws.send(json!({ "id": "1", "type": "complete" })).await;
    add_to_agenda(&app, &s, &s.people[1]).await;
    ws.nothing_pending().await;
}

#[tokio::test]
async fn connections_without_a_valid_token_are_closed_with_4403() {
    let app = spawn_app().await;
    let coordinator = app.practitioner(DemoRole::Coordinator).await;
    let signer = app.signer();
    let mut expired = signer.claims_for(&coordinator, chrono::Duration::minutes(10));
    expired.iat -= 3600;
    expired.nbf -= 3600;
    expired.exp -= 3600;
    let expired = signer.sign(&expired).unwrap();
    let other_key = server::auth::JwtSigner::hs256(b"another-secret-of-at-least-32-bytes-long", ISSUER, AUDIENCE);
    let forged = other_key.sign(&other_key.claims_for(&coordinator, chrono::Duration::minutes(10))).unwrap();
    let valid = app.token_for_practitioner(&coordinator);
    for (payload, says) in [
        (json!(null), "carries no token"),
        (json!({}), "carries no token"),
        (json!({ "token": "not-a-token" }), "malformed"),
        (json!({ "Authorization": format!("Bearer {expired}") }), "expired"),
        (json!({ "token": forged }), "signature"),
        (json!({ "Authorization": valid.clone() }), "Bearer"),
    ] {
        let mut ws = Ws::connect(app.addr).await;
        let init = if payload.is_null() {
            json!({ "type": "connection_init" })
        } else {
            json!({ "type": "connection_init", "payload": payload })
        };
        ws.send(init).await;
        let (code, reason) = ws.closed().await;
        assert_eq!(code, 4403, "{payload}: {reason}");
        assert!(reason.starts_with("Forbidden") && reason.contains(says), "{payload}: {reason}");
    }
    // Both forms of a good token are acknowledged.
    let mut ws = Ws::connect(app.addr).await;
    ws.send(json!({ "type": "connection_init", "payload": { "token": valid } })).await;
    assert_eq!(ws.message().await, json!({ "type": "connection_ack" }));
}

#[tokio::test]
async fn the_protocol_refuses_what_it_must_with_its_close_codes() {
    let app = spawn_app().await;
    let s = setting(&app).await;

    // Subscribing before connection_init: 4401.
    let mut ws = Ws::connect(app.addr).await;
    ws.subscribe("1", &s.meeting).await;
    assert_eq!(ws.closed().await.0, 4401);

    // A second connection_init: 4429. A subscription id already running: 4409.
    let mut ws = Ws::ready(app.addr, &s.coordinator).await;
    ws.send(json!({ "type": "connection_init", "payload": { "token": s.coordinator } })).await;
    assert_eq!(ws.closed().await.0, 4429);
    let mut ws = Ws::ready(app.addr, &s.coordinator).await;
    ws.subscribe("a", &s.meeting).await;
    ws.expect("a", "SUBSCRIBED").await;
    ws.subscribe("a", &s.meeting).await;
    let (code, reason) = ws.closed().await;
    assert_eq!((code, reason.as_str()), (4409, "Subscriber for a already exists"));

    // Not a protocol message: 4400. Larger than the body limit: 1009 (message too big).
    let mut ws = Ws::ready(app.addr, &s.coordinator).await;
    ws.0.send(Message::text("{ not json")).await.unwrap();
    assert_eq!(ws.closed().await.0, 4400);
    let mut ws = Ws::ready(app.addr, &s.coordinator).await;
    let huge =
        json!({ "id": "x", "type": "subscribe", "payload": { "query": format!("# {}\n{LIVE}", "x".repeat(70_000)) } });
    ws.send(huge).await;
    assert_eq!(ws.closed().await.0, 1009);

    // Queries and mutations are POSTed; the connection stays open.
    let mut ws = Ws::ready(app.addr, &s.coordinator).await;
    ws.send(json!({ "id": "q", "type": "subscribe", "payload": { "query": "{ me { role } }" } })).await;
    assert_eq!(ws.error_code("q").await, "BAD_USER_INPUT");
    // A document that does not validate is the protocol's error too.
    ws.send(json!({ "id": "v", "type": "subscribe", "payload": { "query": "subscription { nope }" } })).await;
    assert_eq!(ws.error_code("v").await, "GRAPHQL_VALIDATION_FAILED");
    ws.nothing_pending().await;

    // A connection runs a bounded number of subscriptions at once.
    let mut ws = Ws::ready(app.addr, &s.coordinator).await;
    for n in 0..server::ws::MAX_SUBSCRIPTIONS {
        ws.subscribe(&n.to_string(), &s.meeting).await;
        ws.expect(&n.to_string(), "SUBSCRIBED").await;
    }
    ws.subscribe("one-too-many", &s.meeting).await;
    assert_eq!(ws.error_code("one-too-many").await, "BAD_USER_INPUT");
    ws.send(json!({ "id": "0", "type": "complete" })).await;
    ws.subscribe("in-its-place", &s.meeting).await;
    ws.expect("in-its-place", "SUBSCRIBED").await;

    // Without the subprotocol there is no upgrade; a subscription POSTed is refused.
    let plain = format!("ws://{}/graphql", app.addr).into_client_request().unwrap();
    match tokio_tungstenite::connect_async(plain).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status(), 400),
        other => panic!("expected 400, got {other:?}"),
    }
    let posted = app.gql(&s.coordinator, LIVE, json!({ "id": s.meeting })).await;
    assert_eq!(posted.status, 400, "{}", posted.body);
}

#[tokio::test]
async fn a_meeting_the_caller_may_not_see_is_refused_with_forbidden() {
    let app = spawn_app().await;
    let s = setting(&app).await;
    let elsewhere = other_neighbourhood(&app, s.neighbourhood).await;
    let outsider = app.token_for_practitioner(&app.practitioner_in(R::Gp, elsewhere).await);
    let mut ws = Ws::ready(app.addr, &outsider).await;
    ws.subscribe("1", &s.meeting).await;
    assert_eq!(ws.error_code("1").await, "FORBIDDEN");
    ws.subscribe("2", &uuid::Uuid::now_v7().to_string()).await;
    assert_eq!(ws.error_code("2").await, "NOT_FOUND");
    ws.subscribe("3", "not-an-id").await;
    assert_eq!(ws.error_code("3").await, "BAD_USER_INPUT");
    // Refused subscriptions end there (no `complete`), and the connection goes on.
    ws.nothing_pending().await;
}

#[tokio::test]
async fn withdrawing_an_invitation_ends_the_invitees_stream_with_forbidden() {
    let app = spawn_app().await;
    let s = setting(&app).await;
    let elsewhere = other_neighbourhood(&app, s.neighbourhood).await;
    let visitor = app.practitioner_in(R::Gp, elsewhere).await;
    let visitor_token = app.token_for_practitioner(&visitor);
    let invitation = json!({ "meetingId": s.meeting, "practitionerId": visitor.id.to_string() });
    mutate(&app, &s.coordinator, "inviteToMdtMeeting", invitation.clone()).await;
    add_to_agenda(&app, &s, &s.people[0]).await;

    let mut organiser = Ws::ready(app.addr, &s.coordinator).await;
    organiser.subscribe("o", &s.meeting).await;
    organiser.expect("o", "SUBSCRIBED").await;
    let mut ws = Ws::ready(app.addr, &visitor_token).await;
    ws.subscribe("v", &s.meeting).await;
    let first = ws.expect("v", "SUBSCRIBED").await;
    assert_eq!(
        first["meeting"]["agenda"][0]["patient"]["id"],
        s.people[0].as_str(),
        "the invitee sees the person on the agenda through the invitation"
    );

    mutate(&app, &s.coordinator, "removeMdtInvitation", invitation).await;
    assert_eq!(ws.error_code("v").await, "FORBIDDEN");
    assert_eq!(organiser.expect("o", "INVITATIONS").await["meeting"]["invitations"], json!([]));
    // The invitee's stream is over: later changes reach the organiser only.
    add_to_agenda(&app, &s, &s.people[1]).await;
    organiser.expect("o", "AGENDA").await;
    ws.nothing_pending().await;
}

#[tokio::test]
async fn a_token_that_expires_ends_the_stream_with_unauthenticated() {
    let app = spawn_app().await;
    let s = setting(&app).await;
    let coordinator = app.practitioner(DemoRole::Coordinator).await;
    let signer = app.signer();
    let short = signer.sign(&signer.claims_for(&coordinator, chrono::Duration::seconds(3))).unwrap();
    let mut ws = Ws::ready(app.addr, &short).await;
    ws.subscribe("1", &s.meeting).await;
    ws.expect("1", "SUBSCRIBED").await;
    let message = ws.message().await;
    assert_eq!(message["type"], "error", "{message}");
    assert_eq!(message["payload"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert!(message["payload"][0]["message"].as_str().unwrap().contains("expired"), "{message}");
}

async fn other_neighbourhood(app: &TestApp, here: uuid::Uuid) -> uuid::Uuid {
    app.neighbourhoods().await.into_iter().map(|n| n.id).find(|n| *n != here).expect("a second neighbourhood")
}

#[tokio::test]
async fn a_change_made_through_one_server_process_reaches_subscribers_on_another() {
    let why = "delivery across processes goes through PostgreSQL LISTEN/NOTIFY; SQLite promises in-process delivery";
    let Some(app) =
        spawn_postgres_app("live::a_change_made_through_one_server_process_reaches_subscribers_on_another", why).await
    else {
        return;
    };
    let s = setting(&app).await;
    let (a, b) = (ServerProcess::start(&app.database_url()), ServerProcess::start(&app.database_url()));
    let mut on_a = Ws::ready(a.addr, &s.coordinator).await;
    on_a.subscribe("a", &s.meeting).await;
    on_a.expect("a", "SUBSCRIBED").await;
    let mut on_b = Ws::ready(b.addr, &s.coordinator).await;
    on_b.subscribe("b", &s.meeting).await;
    on_b.expect("b", "SUBSCRIBED").await;

    // Through process B: A's subscriber hears it, and so does B's own (once, through its listener).
    let reply = app
        .client
        .post(format!("http://{}/graphql", b.addr))
        .bearer_auth(&s.coordinator)
        .json(&json!({
            "query": "mutation($input: AddMdtAgendaItemInput!) { addMdtAgendaItem(input: $input) { meeting { id } } }",
            "variables": { "input": { "meetingId": s.meeting, "patientId": s.people[0], "reason": "Falls" } }
        }))
        .send()
        .await
        .expect("POST to process B");
    assert_eq!(reply.status(), 200, "{}", reply.text().await.unwrap_or_default());
    let heard = on_a.expect("a", "AGENDA").await;
    assert_eq!(heard["meeting"]["agenda"][0]["patient"]["id"], s.people[0].as_str());
    on_b.expect("b", "AGENDA").await;

    // Through a third process (the test's own server): both hear it.
    mutate(&app, &s.coordinator, "setMdtMeetingStatus", json!({ "meetingId": s.meeting, "to": "IN_PROGRESS" })).await;
    assert_eq!(on_a.expect("a", "STATUS").await["meeting"]["status"], "IN_PROGRESS");
    assert_eq!(on_b.expect("b", "STATUS").await["meeting"]["status"], "IN_PROGRESS");
    on_a.nothing_pending().await;
    on_b.nothing_pending().await;
}

#[tokio::test]
async fn a_lost_listener_connection_comes_back_and_subscribers_resync() {
    let why = "there is no listener: SQLite delivers in process";
    let Some(app) = spawn_postgres_app("live::a_lost_listener_connection_comes_back_and_subscribers_resync", why).await
    else {
        return;
    };
    let s = setting(&app).await;
    let mut ws = Ws::ready(app.addr, &s.coordinator).await;
    ws.subscribe("1", &s.meeting).await;
    ws.expect("1", "SUBSCRIBED").await;
    let killed = app
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE application_name = '{}' AND datname = current_database()",
                domain::live::LISTENER_APPLICATION_NAME
            ),
        ))
        .await
        .unwrap();
    assert_eq!(killed.len(), 1, "the test server's one listener");
    // Whatever was published while it was down was missed: the subscriber is told to reload.
    assert_eq!(ws.change("1").await["kind"], "RESYNC");
    add_to_agenda(&app, &s, &s.people[0]).await;
    ws.expect("1", "AGENDA").await;
}
