//! The brakes on one caller: requests and identifiable records read per minute (a clear, retryable
//! refusal and a volume alarm for the privacy officer), websocket connections and subscriptions
//! per caller, one read of a meeting per change for all of a caller's subscriptions to it (audited
//! once), and the close frame a stopping server sends to every websocket.

use sea_orm::EntityTrait;
use serde_json::json;
use server::cli::DemoRole;
use server::config::{CallerLimitArgs, LimitArgs};

use crate::helpers::{serve_args, spawn_app, spawn_app_with, AppOptions, TestApp};
use crate::ws::{mutate, setting, ServerProcess, Ws, LIVE};

async fn app_with(callers: CallerLimitArgs) -> TestApp {
    let mut serve = serve_args(LimitArgs::default());
    serve.callers = callers;
    spawn_app_with(AppOptions { serve, ..AppOptions::default() }).await
}

fn no_brakes() -> CallerLimitArgs {
    CallerLimitArgs {
        rate_limit_requests_per_minute: 0,
        rate_limit_records_per_minute: 0,
        ..CallerLimitArgs::default()
    }
}

async fn alarms(app: &TestApp) -> Vec<entity::access_alarm::Model> {
    entity::access_alarm::Entity::find().all(&app.db).await.unwrap()
}

#[tokio::test]
async fn a_caller_over_the_request_limit_is_told_when_to_retry_and_an_alarm_is_recorded() {
    let app = app_with(CallerLimitArgs { rate_limit_requests_per_minute: 5, ..no_brakes() }).await;
    let receptionist = app.practitioner(DemoRole::Receptionist).await;
    let token = app.token_for_practitioner(&receptionist);
    for _ in 0..5 {
        app.gql(&token, "{ me { role } }", json!({})).await.data();
    }
    let refused = app.client.post(app.url("/graphql")).bearer_auth(&token).json(&json!({ "query": "{ me { role } }" }));
    let refused = refused.send().await.unwrap();
    assert_eq!(refused.status(), 429);
    let retry: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    assert_eq!(body["errors"][0]["extensions"]["retryAfterSeconds"], json!(retry));
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("5 requests a minute"), "{body}");
    assert!(body.get("data").is_none() || body["data"].is_null());

    // A batch counts each of its operations.
    let other = app.token(DemoRole::Gp).await;
    let batch: Vec<_> = (0..6).map(|_| json!({ "query": "{ me { role } }" })).collect();
    let reply = app.post_raw(Some(&other), json!(batch)).await;
    assert_eq!(reply.status, 429, "{}", reply.body);

    // Another caller's allowance is their own; the alarm names who went over, once a minute.
    let third = app.token(DemoRole::Coordinator).await;
    app.gql(&third, "{ me { role } }", json!({})).await.data();
    app.gql(&token, "{ me { role } }", json!({})).await;
    let alarms = alarms(&app).await;
    let mine: Vec<_> = alarms.iter().filter(|a| a.practitioner_id == receptionist.id).collect();
    assert_eq!(mine.len(), 1, "{alarms:?}");
    assert_eq!(mine[0].kind, "requests_per_minute");
    assert_eq!(mine[0].limit_per_minute, 5);
    assert_eq!(mine[0].professional_role, "receptionist");
}

/// A receptionist paging out full records stops at the records limit: the page that would go over
/// is refused whole (no record in it is shown or audited), with when to retry, and an alarm.
#[tokio::test]
async fn bulk_reading_of_records_stops_at_the_limit() {
    let app = app_with(CallerLimitArgs { rate_limit_records_per_minute: 50, ..no_brakes() }).await;
    let receptionist = app.practitioner(DemoRole::Receptionist).await;
    let token = app.token_for_practitioner(&receptionist);
    const PAGE: &str = "query($after: String) { patients(first: 20, after: $after) { pageInfo { endCursor } nodes { nhsNumber dateOfBirth postcode } } }";
    let mut after = serde_json::Value::Null;
    for _ in 0..2 {
        let reply = app.gql(&token, PAGE, json!({ "after": after })).await;
        after = reply.data()["patients"]["pageInfo"]["endCursor"].clone();
    }
    let theirs =
        |trail: Vec<crate::helpers::AuditRow>| trail.iter().filter(|a| a.practitioner_id == receptionist.id).count();
    let audited = theirs(app.audit_trail().await);
    assert_eq!(audited, 40);
    let third = app.gql(&token, PAGE, json!({ "after": after })).await;
    assert_eq!(third.status, 200);
    assert_eq!(third.error_code(), "RATE_LIMITED", "{}", third.body);
    assert!(third.body["errors"][0]["extensions"]["retryAfterSeconds"].as_u64().unwrap() >= 1);
    assert!(!third.body.to_string().contains("nhsNumber\":\""), "nothing of the page is shown: {}", third.body);
    assert_eq!(theirs(app.audit_trail().await), audited, "nothing refused is audited as read");
    let alarm = alarms(&app).await.into_iter().find(|a| a.practitioner_id == receptionist.id).expect("an alarm");
    assert_eq!((alarm.kind.as_str(), alarm.limit_per_minute, alarm.attempted), ("records_per_minute", 50, 20));

    // One read larger than a minute's allowance is refused as such, whatever is left.
    let coordinator = app.token(DemoRole::Coordinator).await;
    let big = app.gql(&coordinator, "{ patients(first: 60) { nodes { id } } }", json!({})).await;
    assert_eq!(big.error_code(), "RATE_LIMITED");
    assert!(big.error_message().contains("more than the limit"), "{}", big.error_message());
    // Reads of no identifiable record do not count.
    for _ in 0..10 {
        app.gql(&coordinator, "{ patients(filter: { ageMin: 18 }) { totalCount } }", json!({})).await.data();
    }
}

#[tokio::test]
async fn a_caller_holds_a_bounded_number_of_websockets_and_subscriptions() {
    let app =
        app_with(CallerLimitArgs { max_websockets_per_caller: 2, max_subscriptions_per_caller: 3, ..no_brakes() })
            .await;
    let s = setting(&app).await;
    let mut first = Ws::ready(app.addr, &s.coordinator).await;
    let mut second = Ws::ready(app.addr, &s.coordinator).await;
    let mut third = Ws::connect(app.addr).await;
    third.send(json!({ "type": "connection_init", "payload": { "token": s.coordinator } })).await;
    let (code, reason) = third.closed().await;
    assert_eq!(code, 1008, "{reason}");
    assert!(reason.contains("at most 2 websocket connections"), "{reason}");
    // Another practitioner is not affected.
    let gp = app.token_for_practitioner(&s.gp);
    let mut theirs = Ws::ready(app.addr, &gp).await;
    theirs.subscribe("g", &s.meeting).await;
    theirs.expect("g", "SUBSCRIBED").await;

    for (on_first, id) in [(true, "a"), (false, "b"), (true, "c")] {
        let ws = if on_first { &mut first } else { &mut second };
        ws.subscribe(id, &s.meeting).await;
        ws.expect(id, "SUBSCRIBED").await;
    }
    second.subscribe("d", &s.meeting).await;
    let message = second.message().await;
    assert_eq!(message["type"], "error", "{message}");
    assert_eq!(message["id"], "d");
    assert!(message["payload"][0]["message"].as_str().unwrap().contains("at most 3 subscriptions"), "{message}");
    // Completing one gives its place back; closing a connection gives back its own.
    first.send(json!({ "id": "a", "type": "complete" })).await;
    first.nothing_pending().await;
    second.subscribe("d", &s.meeting).await;
    second.expect("d", "SUBSCRIBED").await;
    drop(first);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mut again = Ws::ready(app.addr, &s.coordinator).await;
    again.subscribe("e", &s.meeting).await;
    again.expect("e", "SUBSCRIBED").await;
}

/// Ten subscriptions of one caller to one meeting, over two connections: one change is one read of
/// the meeting and one audited read of its people, and every subscription still gets the event.
#[tokio::test]
async fn one_change_is_read_once_for_all_of_a_callers_subscriptions_and_audited_once() {
    let app = spawn_app().await;
    let s = setting(&app).await;
    for person in &s.people[..2] {
        mutate(
            &app,
            &s.coordinator,
            "addMdtAgendaItem",
            json!({ "meetingId": s.meeting, "patientId": person, "reason": "Review" }),
        )
        .await;
    }
    let mut sockets = [Ws::ready(app.addr, &s.coordinator).await, Ws::ready(app.addr, &s.coordinator).await];
    for n in 0..10 {
        let ws = &mut sockets[n % 2];
        ws.subscribe(&format!("s{n}"), &s.meeting).await;
        ws.expect(&format!("s{n}"), "SUBSCRIBED").await;
    }
    let trail_before = app.audit_trail().await.len();
    let statements_before = app.statement_count();
    mutate(
        &app,
        &s.coordinator,
        "addMdtAgendaItem",
        json!({ "meetingId": s.meeting, "patientId": s.people[2], "reason": "Review" }),
    )
    .await;
    let mut heard = std::collections::BTreeSet::new();
    for ws in &mut sockets {
        for _ in 0..5 {
            let message = ws.message().await;
            assert_eq!(message["type"], "next", "{message}");
            let change = &message["payload"]["data"]["mdtMeetingChanges"];
            assert_eq!(change["kind"], "AGENDA", "{message}");
            assert_eq!(change["meeting"]["agenda"].as_array().unwrap().len(), 3, "{change}");
            heard.insert(message["id"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(heard.len(), 10, "every subscription got the event: {heard:?}");
    let statements: Vec<String> = app.statements_since(statements_before);
    let meeting_reads = statements
        .iter()
        // The meeting's row by its id (its required disciplines, joined through it, are another read).
        .filter(|q| q.contains("FROM \"mdt_meeting\" WHERE \"mdt_meeting\".\"id\" ="))
        .count();
    let agenda_reads = statements.iter().filter(|q| q.contains("FROM \"mdt_agenda_item\"")).count();
    assert!(
        meeting_reads <= 2,
        "the mutation's own read and one for every subscription: {meeting_reads}\n{statements:#?}"
    );
    assert!(agenda_reads <= 3, "{agenda_reads}\n{statements:#?}");
    let new: Vec<_> = app.audit_trail().await.split_off(trail_before);
    let events: std::collections::HashSet<_> =
        new.iter().filter(|r| r.operation == "subscription Live").map(|r| r.event_id).collect();
    assert_eq!(events.len(), 1, "one audited read for ten subscriptions: {new:?}");
    assert_eq!(new.iter().filter(|r| r.operation == "subscription Live").count(), 3, "each person once");
    assert!(app.statement_count() > statements_before);
}

/// A server told to stop (SIGTERM) closes every websocket with 1001 "going away", so that clients
/// connect again (to another replica) rather than find the connection dropped.
#[tokio::test]
async fn sigterm_closes_websockets_with_going_away() {
    let app = spawn_app().await;
    let server = ServerProcess::start(&app.database_url());
    let coordinator = app.practitioner(DemoRole::Coordinator).await;
    let token = app.token_for_practitioner(&coordinator);
    let s = setting(&app).await;
    let mut ws = Ws::ready(server.addr, &token).await;
    ws.subscribe_with("live", LIVE, json!({ "id": s.meeting })).await;
    ws.expect("live", "SUBSCRIBED").await;
    let mut idle = Ws::connect(server.addr).await;
    let status = std::process::Command::new("kill").args(["-TERM", &server.child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let (code, reason) = ws.closed().await;
    assert_eq!(code, 1001, "{reason}");
    assert!(reason.to_lowercase().contains("going away"), "{reason}");
    let (code, _) = idle.closed().await;
    assert_eq!(code, 1001, "a connection still in its handshake is told too");
    let mut server = server;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let exit = loop {
        if let Some(exit) = server.child.try_wait().unwrap() {
            break exit;
        }
        assert!(std::time::Instant::now() < deadline, "the server stops once its websockets are closed");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "{exit:?}");
}
