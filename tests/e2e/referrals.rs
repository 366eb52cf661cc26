//! The referral pathway: every legal path, every illegal move refused with the state unchanged,
//! duplicates and retries, who may see and move a referral, and the audit of every read.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use server::cli::DemoRole;

use crate::helpers::{spawn_app, TestApp};
use crate::scenarios::{create, move_to, pathway, reach, referral_input, Pathway, ATTEMPT, CREATE};

const READ: &str = r#"query Read($id: ID!) { referral(id: $id) { id status events { kind fromStatus toStatus } } }"#;

async fn status(app: &TestApp, token: &str, id: &str) -> String {
    let reply = app.gql(token, READ, json!({ "id": id })).await;
    reply.data()["referral"]["status"].as_str().unwrap().to_owned()
}

const STATES: [&str; 9] = [
    "RECEIVED",
    "AWAITING_CONTACT",
    "CONTACTED",
    "ACTIVE",
    "CLOSED",
    "DECLINED_BY_PATIENT",
    "REJECTED_BY_SERVICE",
    "UNABLE_TO_CONTACT",
    "CANCELLED_BY_REFERRER",
];

fn legal(from: &str) -> &'static [&'static str] {
    match from {
        "RECEIVED" => &["AWAITING_CONTACT", "REJECTED_BY_SERVICE", "CANCELLED_BY_REFERRER"],
        "AWAITING_CONTACT" => {
            &["CONTACTED", "DECLINED_BY_PATIENT", "REJECTED_BY_SERVICE", "UNABLE_TO_CONTACT", "CANCELLED_BY_REFERRER"]
        }
        "CONTACTED" => &["ACTIVE", "DECLINED_BY_PATIENT", "REJECTED_BY_SERVICE", "CANCELLED_BY_REFERRER"],
        "ACTIVE" => &["CLOSED"],
        _ => &[],
    }
}

#[tokio::test]
async fn a_gp_refers_and_the_link_worker_works_it_to_a_close_with_every_move_recorded() {
    let app = spawn_app().await;
    let p = pathway(&app).await;
    let created = app.gql(&p.gp, CREATE, referral_input(&p, &p.patients[0], None)).await;
    let r = &created.data()["createReferral"]["referral"];
    assert_eq!(created.data()["createReferral"]["created"], true);
    assert_eq!(r["status"], "RECEIVED");
    assert_eq!(r["events"][0]["kind"], "CREATED");
    assert_eq!(r["events"][0]["snomedCode"], "871731000000106");
    assert_eq!(r["needs"].as_array().unwrap().len(), 2);
    assert_eq!(r["receivingOrganisation"]["kind"], "SPLW_PROVIDER");
    assert_eq!(r["referringOrganisation"]["kind"], "GP_PRACTICE");
    assert!(r["consentRecordedAt"].is_string());
    let id = r["id"].as_str().unwrap().to_owned();

    let inbox = app
        .gql(&p.link_worker, "query($s: [ReferralStatus!]) { referrals(filter: { statuses: $s }) { totalCount nodes { id patient { name } } } }", json!({ "s": ["RECEIVED"] }))
        .await;
    assert!(inbox.data()["referrals"]["nodes"].as_array().unwrap().iter().any(|n| n["id"] == id.as_str()));

    reach(&app, &p, &id, "CLOSED").await;
    let read = app
        .gql(&p.gp, "query($id: ID!) { referral(id: $id) { status outcome firstContactAt endedAt isOpen allowedMoves events { kind fromStatus toStatus practitioner { id } } } }", json!({ "id": id }))
        .await;
    let r = &read.data()["referral"];
    assert_eq!(r["status"], "CLOSED");
    assert_eq!(r["outcome"], "GOALS_MET");
    assert!(r["firstContactAt"].is_string() && r["endedAt"].is_string());
    assert_eq!(r["isOpen"], false);
    assert_eq!(r["allowedMoves"], json!([]));
    let moves: Vec<(&str, &str)> = r["events"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .map(|e| (e["fromStatus"].as_str().unwrap(), e["toStatus"].as_str().unwrap()))
        .collect();
    assert_eq!(
        moves,
        [
            ("RECEIVED", "AWAITING_CONTACT"),
            ("AWAITING_CONTACT", "CONTACTED"),
            ("CONTACTED", "ACTIVE"),
            ("ACTIVE", "CLOSED")
        ]
    );
}

#[tokio::test]
async fn every_legal_path_ends_where_it_should_and_every_illegal_move_is_refused_unchanged() {
    let app = spawn_app().await;
    let p = pathway(&app).await;
    let mut patients = p.patients.iter();
    for from in STATES {
        let id = create(&app, &p, patients.next().unwrap()).await;
        reach(&app, &p, &id, from).await;
        assert_eq!(status(&app, &p.gp, &id).await, from);
        let events_before =
            app.gql(&p.gp, READ, json!({ "id": id })).await.data()["referral"]["events"].as_array().unwrap().len();
        for to in STATES.iter().filter(|to| !legal(from).contains(to)) {
            let token = if *to == "CANCELLED_BY_REFERRER" { &p.gp } else { &p.link_worker };
            let reply = move_to(&app, token, &id, to, json!({ "reason": "try", "outcome": "GOALS_MET" })).await;
            assert_eq!(reply.error_code(), "INVALID_TRANSITION", "{from} -> {to}: {}", reply.body);
            assert!(reply.error_message().contains(from), "names the current state: {}", reply.error_message());
            // The details a client acts on are in extensions: the state now, and the moves this
            // caller can make now, exactly as `allowedMoves` lists them.
            let extensions = &reply.body["errors"][0]["extensions"];
            assert_eq!(extensions["currentStatus"], *from);
            let offered =
                app.gql(token, "query($id: ID!) { referral(id: $id) { allowedMoves } }", json!({ "id": id })).await;
            assert_eq!(extensions["allowedMoves"], offered.data()["referral"]["allowedMoves"], "{from} -> {to}");
            for allowed in extensions["allowedMoves"].as_array().unwrap() {
                let allowed = allowed.as_str().unwrap();
                assert!(legal(from).contains(&allowed), "{allowed} is a legal move from {from}");
                assert!(reply.error_message().contains(allowed), "names the allowed moves: {}", reply.error_message());
            }
        }
        assert_eq!(status(&app, &p.gp, &id).await, from, "state unchanged after refused moves");
        let events_after =
            app.gql(&p.gp, READ, json!({ "id": id })).await.data()["referral"]["events"].as_array().unwrap().len();
        assert_eq!(events_before, events_after, "no event written by a refused move");
    }
}

/// A referral's `allowedMoves` and `moves` as `token`'s caller reads them.
async fn moves_of(app: &TestApp, token: &str, id: &str) -> Value {
    let query = "query($id: ID!) { referral(id: $id) { allowedMoves moves { to allowed refusal needs } } }";
    app.gql(token, query, json!({ "id": id })).await.data()["referral"].clone()
}

#[tokio::test]
async fn moves_check_who_makes_them_and_what_they_need() {
    let app = spawn_app().await;
    let p = pathway(&app).await;
    let id = create(&app, &p, &p.patients[0]).await;

    // The referrer cannot work the receiving side; the receiver cannot cancel for the referrer.
    assert_eq!(move_to(&app, &p.gp, &id, "AWAITING_CONTACT", json!({})).await.error_code(), "FORBIDDEN");
    assert_eq!(move_to(&app, &p.link_worker, &id, "CANCELLED_BY_REFERRER", json!({})).await.error_code(), "FORBIDDEN");
    let reject = move_to(&app, &p.link_worker, &id, "REJECTED_BY_SERVICE", json!({})).await;
    assert_eq!(reject.body["errors"][0]["extensions"]["field"], "reason");

    reach(&app, &p, &id, "AWAITING_CONTACT").await;
    // UNABLE_TO_CONTACT needs 3 recorded attempts: not offered before them, refused as a move
    // the state does not allow yet, and offered once they are recorded.
    let before = moves_of(&app, &p.link_worker, &id).await;
    assert!(!before["allowedMoves"].as_array().unwrap().contains(&json!("UNABLE_TO_CONTACT")), "{before}");
    let unable = before["moves"].as_array().unwrap().iter().find(|m| m["to"] == "UNABLE_TO_CONTACT").unwrap().clone();
    assert_eq!(unable["allowed"], false);
    assert!(unable["refusal"].as_str().unwrap().contains("at least 3 contact attempts"), "{unable}");
    let cancel =
        before["moves"].as_array().unwrap().iter().find(|m| m["to"] == "CANCELLED_BY_REFERRER").unwrap().clone();
    assert_eq!(cancel["allowed"], false, "the receiver does not cancel: {cancel}");
    let early = move_to(&app, &p.link_worker, &id, "UNABLE_TO_CONTACT", json!({})).await;
    assert_eq!(early.error_code(), "INVALID_TRANSITION");
    assert!(early.error_message().contains("at least 3 contact attempts"), "{}", early.error_message());
    assert_eq!(early.body["errors"][0]["extensions"]["allowedMoves"], before["allowedMoves"]);
    for _ in 0..3 {
        app.gql(&p.link_worker, ATTEMPT, json!({ "id": id })).await.data();
    }
    let after = moves_of(&app, &p.link_worker, &id).await;
    assert!(after["allowedMoves"].as_array().unwrap().contains(&json!("UNABLE_TO_CONTACT")), "{after}");
    let referrer = moves_of(&app, &p.gp, &id).await;
    assert_eq!(referrer["allowedMoves"], json!(["CANCELLED_BY_REFERRER"]), "the referrer's one move");
    let id = create(&app, &p, &p.patients[4]).await;
    reach(&app, &p, &id, "ACTIVE").await;
    let no_outcome = move_to(&app, &p.link_worker, &id, "CLOSED", json!({})).await;
    assert_eq!(no_outcome.body["errors"][0]["extensions"]["field"], "outcome");
    assert_eq!(status(&app, &p.gp, &id).await, "ACTIVE");

    // Rejection keeps the reason and the suggested alternative; decline carries its SNOMED code.
    let other = create(&app, &p, &p.patients[1]).await;
    let rejected = move_to(
        &app,
        &p.link_worker,
        &other,
        "REJECTED_BY_SERVICE",
        json!({ "reason": "needs specialist debt advice", "suggestedAlternative": "Citizens Advice debt clinic" }),
    )
    .await;
    let r = &rejected.data()["moveReferral"]["referral"];
    assert_eq!(r["rejectionReason"], "needs specialist debt advice");
    assert_eq!(r["suggestedAlternative"], "Citizens Advice debt clinic");
    let third = create(&app, &p, &p.patients[2]).await;
    reach(&app, &p, &third, "AWAITING_CONTACT").await;
    let declined = move_to(&app, &p.link_worker, &third, "DECLINED_BY_PATIENT", json!({ "reason": "not ready" })).await;
    assert_eq!(declined.data()["moveReferral"]["event"]["snomedCode"], "871711000000103");
}

#[tokio::test]
async fn duplicates_are_refused_and_retries_return_the_first_referral() {
    let app = spawn_app().await;
    let p = pathway(&app).await;
    let patient = &p.patients[0];
    let first = app.gql(&p.gp, CREATE, referral_input(&p, patient, Some("gp-request-0001"))).await;
    let id = first.data()["createReferral"]["referral"]["id"].as_str().unwrap().to_owned();

    let retry = app.gql(&p.gp, CREATE, referral_input(&p, patient, Some("gp-request-0001"))).await;
    assert_eq!(retry.data()["createReferral"]["created"], false);
    assert_eq!(retry.data()["createReferral"]["referral"]["id"], id.as_str());

    let duplicate = app.gql(&p.gp, CREATE, referral_input(&p, patient, Some("gp-request-0002"))).await;
    assert_eq!(duplicate.error_code(), "CONFLICT");
    assert_eq!(duplicate.body["errors"][0]["extensions"]["existingId"], id.as_str());

    let reused = app.gql(&p.gp, CREATE, referral_input(&p, &p.patients[1], Some("gp-request-0001"))).await;
    assert_eq!(reused.error_code(), "CONFLICT");
    // The same key with the same person and service but another body is not a retry either: it
    // is refused, not answered with the first referral.
    for change in [
        json!({ "context": "A different request altogether." }),
        json!({ "needs": [{ "need": "HOUSING" }] }),
        json!({ "urgency": "URGENT" }),
    ] {
        let mut request = referral_input(&p, patient, Some("gp-request-0001"));
        for (key, value) in change.as_object().unwrap() {
            request["input"][key] = value.clone();
        }
        let changed = app.gql(&p.gp, CREATE, request).await;
        assert_eq!(changed.error_code(), "CONFLICT", "{change}: {}", changed.body);
        assert_eq!(changed.body["errors"][0]["extensions"]["existingId"], id.as_str());
        assert!(changed.error_message().contains("different request"), "{}", changed.error_message());
    }
    // Needs in another order are the same request.
    let mut reordered = referral_input(&p, patient, Some("gp-request-0001"));
    reordered["input"]["needs"] = json!([{ "need": "HOUSING" }, { "need": "LONELINESS_OR_ISOLATION" }]);
    assert_eq!(app.gql(&p.gp, CREATE, reordered).await.data()["createReferral"]["referral"]["id"], id.as_str());

    let count = entity::referral::Entity::find()
        .filter(entity::referral::Column::PatientId.eq(patient.parse::<uuid::Uuid>().unwrap()))
        .all(&app.db)
        .await
        .unwrap()
        .len();
    assert_eq!(count, 1, "the retry and the duplicate created nothing");

    // Once the first has ended, a new referral to the same service is accepted.
    reach(&app, &p, &id, "CANCELLED_BY_REFERRER").await;
    let again = app.gql(&p.gp, CREATE, referral_input(&p, patient, Some("gp-request-0003"))).await;
    assert_eq!(again.data()["createReferral"]["created"], true);

    for (input, field) in [
        (json!({ "consentGiven": false }), "consentGiven"),
        (json!({ "needs": [] }), "needs"),
        (json!({ "needs": [{ "need": "OTHER" }] }), "needs"),
        (json!({ "service": "ADULT_SOCIAL_CARE" }), "receivingOrganisationId"),
    ] {
        let mut request = referral_input(&p, &p.patients[3], None);
        request["input"].as_object_mut().unwrap().extend(input.as_object().cloned().unwrap());
        let reply = app.gql(&p.gp, CREATE, request).await;
        assert_eq!(reply.error_code(), "BAD_USER_INPUT", "{input}");
        assert_eq!(reply.body["errors"][0]["extensions"]["field"], field, "{input}");
    }
}

#[tokio::test]
async fn other_organisations_cannot_see_or_move_a_referral_and_every_read_is_audited() {
    let app = spawn_app().await;
    let p = pathway(&app).await;
    let id = create(&app, &p, &p.patients[0]).await;
    let mental_health = app.token(DemoRole::MentalHealth).await;
    let read = app.gql(&mental_health, READ, json!({ "id": id })).await;
    assert_eq!(read.error_code(), "FORBIDDEN");
    assert_eq!(move_to(&app, &mental_health, &id, "AWAITING_CONTACT", json!({})).await.error_code(), "FORBIDDEN");
    // Its list holds its own referrals (the demo's history), never this one.
    let list = app.gql(&mental_health, "{ referrals(first: 100) { totalCount nodes { id } } }", json!({})).await;
    let seen = list.data()["referrals"]["nodes"].as_array().unwrap();
    assert!(list.data()["referrals"]["totalCount"].as_u64().unwrap() <= 100, "one page holds them all");
    assert!(seen.iter().all(|n| n["id"] != id.as_str()));
    let vcse = app.token(DemoRole::Vcse).await;
    assert_eq!(app.gql(&vcse, READ, json!({ "id": id })).await.error_code(), "FORBIDDEN");

    let before = app.audit_trail().await.len();
    app.gql(&p.link_worker, READ, json!({ "id": id })).await.data();
    let audit = app.audit_trail().await;
    assert_eq!(audit.len(), before + 1);
    let row = audit.iter().find(|a| a.label() == "query Read / referral").expect("the read is audited");
    assert_eq!(row.access_reason, "referral_party");
    assert_eq!(row.patient_id.to_string(), p.patients[0]);
}

const ASSIGN: &str = r#"mutation Assign($input: AssignReferralInput!) { assignReferral(input: $input) {
    referral { id assignedPractitioner { id } } event { kind reason assignedPractitioner { id } } } }"#;

const CASELOAD: &str = r#"query Caseload($p: ID, $first: Int) { caseload(practitionerId: $p) {
    capacity activeCount spareCapacity overCapacity practitioner { id }
    referrals(first: $first) { totalCount nodes { id status patient { name } needs { need } events { kind } } } } }"#;

/// Creates a referral, puts it on the waiting list, and returns its id.
async fn waiting(app: &TestApp, p: &Pathway, patient: &str) -> String {
    let id = create(app, p, patient).await;
    reach(app, p, &id, "AWAITING_CONTACT").await;
    id
}

#[tokio::test]
async fn assignment_respects_capacity_unless_an_override_reason_is_recorded() {
    let app = spawn_app().await;
    let p = pathway(&app).await;
    let worker = app.practitioner(DemoRole::LinkWorker).await;
    let worker_id = worker.id.to_string();
    // Room for exactly two more people than the worker already holds from the demo's history.
    let held = app.gql(&p.link_worker, CASELOAD, json!({ "p": worker_id, "first": 1 })).await;
    let held = held.data()["caseload"]["activeCount"].as_i64().unwrap();
    let capacity = held + 2;
    let mut record: entity::practitioner::ActiveModel = sea_orm::IntoActiveModel::into_active_model(worker.clone());
    record.caseload_capacity = sea_orm::Set(Some(capacity as i32));
    sea_orm::ActiveModelTrait::update(record, &app.db).await.unwrap();

    for patient in &p.patients[0..2] {
        let id = waiting(&app, &p, patient).await;
        let reply = app
            .gql(&p.link_worker, ASSIGN, json!({ "input": { "referralId": id, "practitionerId": worker_id } }))
            .await;
        assert_eq!(reply.data()["assignReferral"]["event"]["kind"], "ASSIGNED");
    }
    let third = waiting(&app, &p, &p.patients[2]).await;
    let full =
        app.gql(&p.link_worker, ASSIGN, json!({ "input": { "referralId": third, "practitionerId": worker_id } })).await;
    assert_eq!(full.error_code(), "CONFLICT");
    let full_text = format!("full ({capacity} of {capacity})");
    assert!(full.error_message().contains(&full_text), "{}", full.error_message());
    let read = app
        .gql(
            &p.link_worker,
            "query($id: ID!) { referral(id: $id) { assignedPractitioner { id } } }",
            json!({ "id": third }),
        )
        .await;
    assert!(read.data()["referral"]["assignedPractitioner"].is_null(), "nothing changed");

    let forced = app
        .gql(&p.link_worker, ASSIGN, json!({ "input": { "referralId": third, "practitionerId": worker_id, "overrideReason": "urgent: lives alone, recent fall" } }))
        .await;
    let event = &forced.data()["assignReferral"]["event"];
    assert_eq!(event["reason"], format!("over capacity ({capacity} of {capacity}): urgent: lives alone, recent fall"));
    assert_eq!(event["assignedPractitioner"]["id"], worker_id.as_str());

    let caseload = app.gql(&p.link_worker, CASELOAD, json!({ "p": worker_id, "first": 10 })).await;
    let c = &caseload.data()["caseload"];
    assert_eq!(c["capacity"], capacity);
    assert_eq!(c["activeCount"], held + 3);
    assert_eq!(c["spareCapacity"], -1);
    assert_eq!(c["overCapacity"], true);
    assert_eq!(c["referrals"]["totalCount"], held + 3);

    // Suggestions put workers with spare capacity before the full one.
    let suggestions = app
        .gql(
            &p.link_worker,
            "query($id: ID!) { suggestAssignees(referralId: $id) { practitioner { id } spareCapacity activeCount } }",
            json!({ "id": third }),
        )
        .await;
    let list = suggestions.data()["suggestAssignees"].as_array().unwrap().clone();
    assert!(list.len() >= 2);
    let spares: Vec<i64> = list.iter().map(|s| s["spareCapacity"].as_i64().unwrap()).collect();
    assert!(spares.windows(2).all(|w| w[0] >= w[1]), "most spare first: {spares:?}");
    assert_eq!(list.last().unwrap()["practitioner"]["id"], worker_id.as_str());

    // Only the receiving organisation assigns, and only to its own caseload-holding workers.
    let fourth = waiting(&app, &p, &p.patients[3]).await;
    let by_gp = app.gql(&p.gp, ASSIGN, json!({ "input": { "referralId": fourth, "practitionerId": worker_id } })).await;
    assert_eq!(by_gp.error_code(), "FORBIDDEN");
    let gp_id = app.practitioner(DemoRole::Gp).await.id.to_string();
    let to_gp =
        app.gql(&p.link_worker, ASSIGN, json!({ "input": { "referralId": fourth, "practitionerId": gp_id } })).await;
    assert_eq!(to_gp.body["errors"][0]["extensions"]["field"], "practitionerId");
    assert_eq!(app.gql(&p.gp, CASELOAD, json!({ "p": worker_id })).await.error_code(), "FORBIDDEN");
}

const FEEDBACK: &str = r#"query Feedback($filed: Boolean) { referralFeedback(filed: $filed, first: 50) {
    totalCount nodes { id endedStatus outcome summary isFiled filedAt filedBy { id } codes { system code display }
        worker { id } writtenBy { id } patient { id } referral { id status } } } }"#;

const FILE: &str = r#"mutation File($id: ID!) { markFeedbackFiled(input: { feedbackId: $id }) {
    feedback { id isFiled filedAt filedBy { id } } } }"#;

async fn feedback_of(app: &TestApp, token: &str, id: &str) -> Value {
    let reply = app
        .gql(token, "query($id: ID!) { referral(id: $id) { feedback { id endedStatus outcome summary codes { code display } isFiled } } }", json!({ "id": id }))
        .await;
    reply.data()["referral"]["feedback"].clone()
}

#[tokio::test]
async fn the_referring_practice_gets_coded_feedback_when_a_referral_ends_and_files_it() {
    let app = spawn_app().await;
    let p = pathway(&app).await;

    // Closing needs the summary for the practice: refused without it, nothing changes.
    let closed = create(&app, &p, &p.patients[0]).await;
    reach(&app, &p, &closed, "ACTIVE").await;
    let bare = move_to(&app, &p.link_worker, &closed, "CLOSED", json!({ "outcome": "GOALS_PARTLY_MET" })).await;
    assert_eq!(bare.body["errors"][0]["extensions"]["field"], "feedbackSummary", "{}", bare.body);
    assert_eq!(status(&app, &p.gp, &closed).await, "ACTIVE");
    assert!(feedback_of(&app, &p.gp, &closed).await.is_null());
    let summary = "Attending weekly art group at the community centre; mood improved, feels less alone";
    let done = move_to(
        &app,
        &p.link_worker,
        &closed,
        "CLOSED",
        json!({ "outcome": "GOALS_PARTLY_MET", "feedbackSummary": summary }),
    )
    .await;
    assert_eq!(done.data()["moveReferral"]["referral"]["status"], "CLOSED");
    let fb = feedback_of(&app, &p.gp, &closed).await;
    assert_eq!(fb["endedStatus"], "CLOSED");
    assert_eq!(fb["outcome"], "GOALS_PARTLY_MET");
    assert_eq!(fb["summary"], summary);
    assert_eq!(
        fb["codes"],
        json!([{ "code": "871731000000106", "display": "Referral to social prescribing service" }])
    );
    assert_eq!(fb["isFiled"], false);

    // A decline carries the decline code and a plain summary; a cancellation sends none; a
    // summary on a move that does not end the referral is refused.
    let declined = create(&app, &p, &p.patients[1]).await;
    reach(&app, &p, &declined, "DECLINED_BY_PATIENT").await;
    let fb = feedback_of(&app, &p.gp, &declined).await;
    let codes: Vec<&str> = fb["codes"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["871731000000106", "871711000000103"]);
    assert_eq!(fb["summary"], "The person declined the referral.");
    let cancelled = create(&app, &p, &p.patients[2]).await;
    reach(&app, &p, &cancelled, "CANCELLED_BY_REFERRER").await;
    assert!(feedback_of(&app, &p.gp, &cancelled).await.is_null());
    let open = create(&app, &p, &p.patients[3]).await;
    let early =
        move_to(&app, &p.link_worker, &open, "AWAITING_CONTACT", json!({ "feedbackSummary": "too soon" })).await;
    assert_eq!(early.body["errors"][0]["extensions"]["field"], "feedbackSummary");
    assert_eq!(status(&app, &p.gp, &open).await, "RECEIVED");

    // The practice's to-file list holds both before what the demo's history left unfiled (newest
    // first); the receiving side has nothing addressed to it.
    let before = app.audit_trail().await.len();
    let to_file = app.gql(&p.gp, FEEDBACK, json!({ "filed": false })).await;
    let list = &to_file.data()["referralFeedback"];
    let unfiled = list["totalCount"].as_u64().unwrap();
    assert!((2..=50).contains(&unfiled), "{}", to_file.body);
    let nodes = list["nodes"].as_array().unwrap();
    let ids: Vec<&str> = nodes.iter().map(|n| n["referral"]["id"].as_str().unwrap()).collect();
    assert_eq!(ids[..2], [declined.as_str(), closed.as_str()], "newest first");
    // Every person read is audited, once per request however many of their feedbacks it shows.
    let people: std::collections::HashSet<&str> = nodes.iter().map(|n| n["patient"]["id"].as_str().unwrap()).collect();
    let audited = app.audit_trail().await.len();
    assert_eq!(audited, before + people.len(), "every read audited");
    // (The link worker's own list holds feedback on referrals their service entered itself.)
    let link_worker_list = app.gql(&p.link_worker, FEEDBACK, json!({})).await;
    let theirs = link_worker_list.data()["referralFeedback"]["nodes"].as_array().unwrap();
    assert!(theirs.iter().all(|n| n["referral"]["id"] != closed.as_str() && n["referral"]["id"] != declined.as_str()));

    // Only the referring organisation files; filing twice keeps the first filing.
    let feedback_id =
        nodes.iter().find(|n| n["referral"]["id"] == closed.as_str()).expect("the closed referral's feedback")["id"]
            .as_str()
            .unwrap()
            .to_owned();
    assert_eq!(app.gql(&p.link_worker, FILE, json!({ "id": feedback_id })).await.error_code(), "FORBIDDEN");
    let filed = app.gql(&p.gp, FILE, json!({ "id": feedback_id })).await;
    let first = filed.data()["markFeedbackFiled"]["feedback"].clone();
    assert_eq!(first["isFiled"], true);
    let gp_id = app.practitioner(DemoRole::Gp).await.id.to_string();
    assert_eq!(first["filedBy"]["id"], gp_id.as_str());
    let again = app.gql(&p.gp, FILE, json!({ "id": feedback_id })).await;
    assert_eq!(again.data()["markFeedbackFiled"]["feedback"]["filedAt"], first["filedAt"]);
    let remaining = app.gql(&p.gp, FEEDBACK, json!({ "filed": false })).await;
    assert_eq!(remaining.data()["referralFeedback"]["totalCount"], unfiled - 1);
    assert_eq!(feedback_of(&app, &p.gp, &closed).await["isFiled"], true);
    assert_eq!(feedback_of(&app, &p.gp, &declined).await["isFiled"], false);
    let missing = app.gql(&p.gp, FILE, json!({ "id": uuid::Uuid::nil().to_string() })).await;
    assert_eq!(missing.error_code(), "NOT_FOUND");
}

#[tokio::test]
async fn a_vcse_service_sees_whom_to_contact_on_an_open_referral_and_nothing_clinical() {
    let app = spawn_app().await;
    let p = pathway(&app).await;
    let patient = &p.patients[0];
    let where_ =
        app.gql(&p.gp, "query($id: ID!) { patient(id: $id) { neighbourhood { id } } }", json!({ "id": patient })).await;
    let neighbourhood: uuid::Uuid = where_.data()["patient"]["neighbourhood"]["id"].as_str().unwrap().parse().unwrap();
    let vcse_worker = app.practitioner_in(entity::ProfessionalRole::VcseWorker, neighbourhood).await;
    let vcse = app.token_for_practitioner(&vcse_worker);
    let mut input = referral_input(&p, patient, None);
    input["input"]["service"] = json!("VCSE");
    input["input"]["receivingOrganisationId"] = json!(vcse_worker.organisation_id.to_string());
    let created = app.gql(&p.gp, CREATE, input).await;
    let id = created.data()["createReferral"]["referral"]["id"].as_str().unwrap().to_owned();

    // The open referrals it received show whom to contact (ended ones no longer open the summary,
    // nor do referrals it made itself).
    let inbox = app
        .gql(
            &vcse,
            "query($org: ID) { referrals(filter: { receivingOrganisationId: $org, statuses: [RECEIVED, AWAITING_CONTACT, CONTACTED, ACTIVE] }) { nodes { id patient { accessLevel name needs { livesAlone } } } } }",
            json!({ "org": vcse_worker.organisation_id.to_string() }),
        )
        .await;
    let node = &inbox.data()["referrals"]["nodes"].as_array().unwrap().iter().find(|n| n["id"] == id.as_str()).cloned();
    let node = node.as_ref().expect("the VCSE service sees the referral it received");
    assert_eq!(node["patient"]["accessLevel"], "SHARED_SUMMARY");
    assert!(node["patient"]["name"].is_string());
    let clinical =
        app.gql(&vcse, "query($id: ID!) { referral(id: $id) { patient { nhsNumber } } }", json!({ "id": id })).await;
    assert_eq!(clinical.error_code(), "FORBIDDEN");
    let direct = app.gql(&vcse, "query($id: ID!) { patient(id: $id) { name } }", json!({ "id": patient })).await;
    assert_eq!(direct.error_code(), "FORBIDDEN", "the referral opens the summary only through the referral");

    // Once the referral has ended, the summary closes again.
    let rejected = move_to(&app, &vcse, &id, "REJECTED_BY_SERVICE", json!({ "reason": "group is full" })).await;
    assert_eq!(rejected.data()["moveReferral"]["referral"]["status"], "REJECTED_BY_SERVICE");
    let after = app.gql(&vcse, "query($id: ID!) { referral(id: $id) { patient { name } } }", json!({ "id": id })).await;
    assert_eq!(after.error_code(), "FORBIDDEN");
}

#[tokio::test]
async fn an_inbox_pages_newest_first_without_gaps_or_repeats() {
    let app = spawn_app().await;
    let link_worker = app.token(DemoRole::LinkWorker).await;
    let doc = r#"query($after: String) { referrals(first: 7, after: $after, newestFirst: true) {
        totalCount pageInfo { hasNextPage endCursor } nodes { id createdAt } } }"#;
    let oldest_first =
        app.gql(&link_worker, "{ referrals(first: 100) { totalCount nodes { id createdAt } } }", json!({})).await;
    let total = oldest_first.data()["referrals"]["totalCount"].as_u64().unwrap();
    assert!(total > 20, "the demo history gives the provider an inbox: {total}");
    let (mut seen, mut after, mut last) = (Vec::new(), Value::Null, None::<String>);
    for _ in 0..4 {
        let reply = app.gql(&link_worker, doc, json!({ "after": after })).await;
        let page = &reply.data()["referrals"];
        for node in page["nodes"].as_array().unwrap() {
            let at = node["createdAt"].as_str().unwrap().to_owned();
            if let Some(previous) = &last {
                assert!(at <= *previous, "newest first: {at} after {previous}");
            }
            last = Some(at);
            seen.push(node["id"].as_str().unwrap().to_owned());
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen.len(), 28);
    assert_eq!(seen.iter().collect::<std::collections::HashSet<_>>().len(), 28, "no repeats across pages");
    // The newest referral of all heads the inbox.
    let all = app.gql(&link_worker, "{ referrals(first: 1, newestFirst: true) { nodes { id } } }", json!({})).await;
    assert_eq!(all.data()["referrals"]["nodes"][0]["id"], json!(seen[0]));
}

/// A referral list is merged from one slice per party (referring organisation, receiving
/// organisation, assigned worker) and status, each cut to the page, so that an inbox costs its page
/// and not the provider's history. Paging through it must give exactly the referrals the caller is
/// a party to, once each (a worker assigned to their own organisation's referral matches twice), in
/// order, whichever statuses and direction.
#[tokio::test]
async fn referral_lists_page_through_exactly_the_callers_referrals_in_order() {
    use entity::{referral, ReferralStatus};
    use sea_orm::sea_query::Condition;
    let app = spawn_app().await;
    let status_sets = [
        vec![],
        vec![ReferralStatus::Closed],
        vec![ReferralStatus::Received, ReferralStatus::AwaitingContact, ReferralStatus::Closed, ReferralStatus::Closed],
    ];
    let doc = r#"query($after: String, $newest: Boolean!, $statuses: [ReferralStatus!]) {
        referrals(first: 9, after: $after, newestFirst: $newest, filter: { statuses: $statuses }) {
            pageInfo { hasNextPage endCursor } nodes { id } } }"#;
    for role in [DemoRole::LinkWorker, DemoRole::Gp] {
        let who = app.practitioner(role).await;
        let token = app.token_for_practitioner(&who);
        for statuses in &status_sets {
            let mut query = referral::Entity::find().filter(
                Condition::any()
                    .add(referral::Column::ReferringOrganisationId.eq(who.organisation_id))
                    .add(referral::Column::ReceivingOrganisationId.eq(who.organisation_id))
                    .add(referral::Column::AssignedPractitionerId.eq(who.id)),
            );
            if !statuses.is_empty() {
                query = query.filter(referral::Column::Status.is_in(statuses.clone()));
            }
            let mut expected: Vec<(chrono::DateTime<chrono::Utc>, uuid::Uuid)> =
                query.all(&app.db).await.unwrap().into_iter().map(|r| (r.created_at, r.id)).collect();
            expected.sort();
            assert!(
                expected.len() > 9,
                "{role:?} {statuses:?}: the demo gives more than one page ({})",
                expected.len()
            );
            let names: Vec<String> = statuses.iter().map(|s| sea_orm::ActiveEnum::to_value(s).to_uppercase()).collect();
            let statuses_var = if names.is_empty() { Value::Null } else { json!(names) };
            for newest in [false, true] {
                let (mut seen, mut after) = (Vec::new(), Value::Null);
                for _ in 0..=expected.len() / 9 {
                    let vars = json!({ "after": after, "newest": newest, "statuses": statuses_var });
                    let reply = app.gql(&token, doc, vars).await;
                    let page = &reply.data()["referrals"];
                    seen.extend(page["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap().to_owned()));
                    if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
                        break;
                    }
                    after = page["pageInfo"]["endCursor"].clone();
                }
                let mut want: Vec<String> = expected.iter().map(|(_, id)| id.to_string()).collect();
                if newest {
                    want.reverse();
                }
                assert_eq!(seen, want, "{role:?} {statuses:?} newest first: {newest}");
            }
        }
    }
}

/// A filter on a party's column decides which of the caller's parties can hold the list: one
/// pinned to the caller makes that party enough, one pinned to someone else empties that party.
/// Whatever the list reads, it must be exactly the caller's referrals that match the filter, with
/// the same total: the worker's own caseload, a colleague's, the own and another organisation's
/// inbox, and what another organisation sent. Each is paged through whole, in both directions, and
/// again for the states that count against a caseload (a list pinned to a worker and to those
/// states is read as one statement instead of merged slices).
#[tokio::test]
async fn a_filter_on_a_party_gives_exactly_the_callers_referrals_that_match_it() {
    use entity::{practitioner, referral, ReferralStatus};
    use sea_orm::sea_query::Condition;
    let app = spawn_app().await;
    let worker = app.practitioner(DemoRole::LinkWorker).await;
    let gp = app.practitioner(DemoRole::Gp).await;
    let token = app.token_for_practitioner(&worker);
    let colleague = practitioner::Entity::find()
        .filter(practitioner::Column::OrganisationId.eq(worker.organisation_id))
        .filter(practitioner::Column::Id.ne(worker.id))
        .all(&app.db)
        .await
        .unwrap();
    let mut colleague_ids = Vec::new();
    for c in &colleague {
        let held = referral::Entity::find()
            .filter(referral::Column::AssignedPractitionerId.eq(c.id))
            .all(&app.db)
            .await
            .unwrap();
        if !held.is_empty() {
            colleague_ids.push(c.id);
        }
    }
    let colleague = *colleague_ids.first().expect("a colleague who holds referrals");
    let cases: Vec<(&str, Value, Condition)> = vec![
        (
            "own caseload",
            json!({ "assignedPractitionerId": worker.id }),
            Condition::all().add(referral::Column::AssignedPractitionerId.eq(worker.id)),
        ),
        (
            "a colleague's caseload",
            json!({ "assignedPractitionerId": colleague }),
            Condition::all().add(referral::Column::AssignedPractitionerId.eq(colleague)),
        ),
        (
            "own inbox",
            json!({ "receivingOrganisationId": worker.organisation_id }),
            Condition::all().add(referral::Column::ReceivingOrganisationId.eq(worker.organisation_id)),
        ),
        (
            "another organisation's inbox",
            json!({ "receivingOrganisationId": gp.organisation_id }),
            Condition::all().add(referral::Column::ReceivingOrganisationId.eq(gp.organisation_id)),
        ),
        (
            "what a practice sent",
            json!({ "referringOrganisationId": gp.organisation_id }),
            Condition::all().add(referral::Column::ReferringOrganisationId.eq(gp.organisation_id)),
        ),
        (
            "a practice's referrals the worker holds",
            json!({ "referringOrganisationId": gp.organisation_id, "assignedPractitionerId": worker.id }),
            Condition::all()
                .add(referral::Column::ReferringOrganisationId.eq(gp.organisation_id))
                .add(referral::Column::AssignedPractitionerId.eq(worker.id)),
        ),
        (
            "the practice's inbox, held by a colleague",
            json!({ "receivingOrganisationId": gp.organisation_id, "assignedPractitionerId": colleague }),
            Condition::all()
                .add(referral::Column::ReceivingOrganisationId.eq(gp.organisation_id))
                .add(referral::Column::AssignedPractitionerId.eq(colleague)),
        ),
    ];
    let doc = r#"query($first: Int!, $after: String, $filter: ReferralFilterInput, $newest: Boolean!) {
        referrals(first: $first, after: $after, filter: $filter, newestFirst: $newest) {
            totalCount pageInfo { hasNextPage endCursor } nodes { id } } }"#;
    let held = [ReferralStatus::AwaitingContact, ReferralStatus::Contacted, ReferralStatus::Active];
    let held_names: Vec<String> = held.iter().map(|s| sea_orm::ActiveEnum::to_value(s).to_uppercase()).collect();
    let (mut non_empty, mut paged_held) = (0, 0);
    for (name, filter, condition) in cases {
        let parties = Condition::any()
            .add(referral::Column::ReferringOrganisationId.eq(worker.organisation_id))
            .add(referral::Column::ReceivingOrganisationId.eq(worker.organisation_id))
            .add(referral::Column::AssignedPractitionerId.eq(worker.id));
        // (statuses, page size, newest first)
        let ways: [(Option<&[ReferralStatus]>, i32, bool); 3] =
            [(None, 40, false), (Some(&held), 3, false), (Some(&held), 3, true)];
        for (statuses, first, newest) in ways {
            let mut query = referral::Entity::find().filter(parties.clone()).filter(condition.clone());
            let mut filter = filter.clone();
            if let Some(statuses) = statuses {
                query = query.filter(referral::Column::Status.is_in(statuses.to_vec()));
                filter["statuses"] = json!(held_names);
            }
            let mut expected: Vec<(chrono::DateTime<chrono::Utc>, uuid::Uuid)> =
                query.all(&app.db).await.unwrap().into_iter().map(|r| (r.created_at, r.id)).collect();
            expected.sort();
            if newest {
                expected.reverse();
            }
            let want: Vec<String> = expected.iter().map(|(_, id)| id.to_string()).collect();
            let case = format!("{name}, statuses {statuses:?}, newest first {newest}");
            let (mut seen, mut after) = (Vec::new(), Value::Null);
            loop {
                let vars = json!({ "first": first, "after": after, "filter": filter, "newest": newest });
                let reply = app.gql(&token, doc, vars).await;
                let page = &reply.data()["referrals"];
                assert_eq!(page["totalCount"], json!(want.len()), "{case}: total");
                seen.extend(page["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap().to_owned()));
                if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
                    break;
                }
                after = page["pageInfo"]["endCursor"].clone();
            }
            assert_eq!(seen, want, "{case}");
            match statuses {
                None => non_empty += usize::from(!want.is_empty()),
                Some(_) => paged_held += usize::from(want.len() > first as usize),
            }
        }
    }
    assert!(non_empty >= 3, "the demo gives several non-empty lists: {non_empty}");
    assert!(paged_held >= 2, "the demo gives caseloads longer than a page: {paged_held}");
}

/// A practice's mental health referral, tried by a district nurse of the same neighbourhood (who may
/// read the person's full record, but whose organisation is no party to the referral) through
/// every path that can reach a referral or what hangs under one: none of them shows it, its
/// context, needs, events, feedback or the organisations it involves.
#[tokio::test]
async fn a_referral_reaches_only_its_parties_by_every_path() {
    use entity::ProfessionalRole;
    let app = spawn_app().await;
    let p = pathway(&app).await;
    let patient = &p.patients[0];
    let neighbourhood = app
        .gql(&p.gp, "query($id: ID!) { patient(id: $id) { neighbourhood { id } } }", json!({ "id": patient }))
        .await
        .data()["patient"]["neighbourhood"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let trust = app
        .gql(
            &p.gp,
            "query($n: ID) { organisations(kind: MENTAL_HEALTH_TRUST, neighbourhoodId: $n) { nodes { id name } } }",
            json!({ "n": neighbourhood }),
        )
        .await
        .data()["organisations"]["nodes"][0]
        .clone();
    let secret = "Worsening anxiety with panic attacks; has stopped going out.";
    let created = app
        .gql(
            &p.gp,
            CREATE,
            json!({ "input": { "patientId": patient, "source": "GP", "service": "COMMUNITY_MENTAL_HEALTH",
                "receivingOrganisationId": trust["id"], "needs": [{ "need": "OTHER", "detail": "Panic attacks" }],
                "context": secret, "consentGiven": true } }),
        )
        .await;
    let mh_referral = created.data()["createReferral"]["referral"]["id"].as_str().unwrap().to_owned();
    // The attacker: a district nurse of the person's neighbourhood, who reads the person's full
    // record (the practice referred the person to community nursing too) but whose organisation is
    // no party to the mental health referral. They refer the person to social prescribing
    // themselves: a path into the person's referrals through a referral they can see.
    let nurse = app.practitioner_in(ProfessionalRole::DistrictNurse, neighbourhood.parse().unwrap()).await;
    let attacker = app.token_for_practitioner(&nurse);
    let before_referral =
        app.gql(&attacker, "query($id: ID!) { patient(id: $id) { accessLevel } }", json!({ "id": patient })).await;
    assert_eq!(before_referral.error_code(), "FORBIDDEN", "no relationship yet: {}", before_referral.body);
    app.gql(
        &p.gp,
        CREATE,
        json!({ "input": { "patientId": patient, "source": "GP", "service": "COMMUNITY_NURSING",
            "receivingOrganisationId": nurse.organisation_id.to_string(), "needs": [{ "need": "OTHER", "detail": "Leg ulcer dressings" }],
            "consentGiven": true } }),
    )
    .await
    .data();
    let probe =
        app.gql(&attacker, "query($id: ID!) { patient(id: $id) { accessLevel } }", json!({ "id": patient })).await;
    assert_eq!(probe.data()["patient"]["accessLevel"], "FULL");
    let own = app
        .gql(
            &attacker,
            CREATE,
            json!({ "input": { "patientId": patient, "source": "COMMUNITY_HEALTH", "service": "SOCIAL_PRESCRIBING",
                "receivingOrganisationId": p.splw_provider, "needs": [{ "need": "PHYSICAL_ACTIVITY" }], "consentGiven": true } }),
        )
        .await;
    let own_referral = own.data()["createReferral"]["referral"]["id"].as_str().unwrap().to_owned();

    const EVERYTHING: &str = "id service status context partnerSummary needs { need detail } events { kind reason } \
        feedback { summary } receivingOrganisation { name } referringOrganisation { name } referringPractitioner { name }";
    let paths = [
        format!("query($p: ID!) {{ patient(id: $p) {{ referrals(openOnly: false) {{ {EVERYTHING} }} }} }}"),
        "query($p: ID!) { patient(id: $p) { careTeam { organisation { name } involvement { kind detail } } } }".to_owned(),
        format!("query($r: ID!) {{ referral(id: $r) {{ patient {{ referrals(openOnly: false) {{ {EVERYTHING} }} careTeam {{ organisation {{ name }} involvement {{ detail }} }} }} }} }}"),
        format!("query($p: ID!) {{ referrals(first: 100, filter: {{ patientId: $p }}) {{ totalCount nodes {{ {EVERYTHING} patient {{ referrals(openOnly: false) {{ id context }} }} }} }} }}"),
        format!("query($family: String) {{ patients(first: 100, filter: {{ ageMin: 18, search: $family }}) {{ nodes {{ id referrals(openOnly: false) {{ {EVERYTHING} }} }} }} }}"),
        "query($p: ID!) { patient(id: $p) { outcomeMeasurements { referral { id context } } } }".to_owned(),
        "query($p: ID!) { suggestCommunityAssets(patientId: $p, withinKm: 50) { reasons } }".to_owned(),
        format!("query($id: ID!) {{ a: referral(id: $id) {{ {EVERYTHING} }} }}"),
    ];
    // The person on an MDT agenda the attacker may read, by query and by subscription.
    let coordinator = app.token_for_practitioner(
        &app.practitioner_in(ProfessionalRole::IntCoordinator, neighbourhood.parse().unwrap()).await,
    );
    let starts = chrono::Utc::now() + chrono::Duration::hours(2);
    let meeting = app
        .gql(
            &coordinator,
            "mutation($input: ScheduleMdtMeetingInput!) { scheduleMdtMeeting(input: $input) { meeting { id } } }",
            json!({ "input": { "neighbourhoodId": neighbourhood, "title": "Frailty MDT", "startsAt": starts.to_rfc3339(),
                "endsAt": (starts + chrono::Duration::minutes(90)).to_rfc3339(), "place": "Room 2", "chairId": nurse.id.to_string() } }),
        )
        .await
        .data()["scheduleMdtMeeting"]["meeting"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.gql(
        &coordinator,
        "mutation($input: AddMdtAgendaItemInput!) { addMdtAgendaItem(input: $input) { meeting { id } } }",
        json!({ "input": { "meetingId": meeting, "patientId": patient, "reason": "Review of care" } }),
    )
    .await
    .data();
    let agenda_view = format!(
        "agenda {{ patient {{ referrals(openOnly: false) {{ {EVERYTHING} }} careTeam {{ organisation {{ name }} involvement {{ detail }} }} }} }}"
    );
    let mut paths = paths.to_vec();
    paths.insert(0, format!("query($m: ID!) {{ mdtMeeting(id: $m) {{ {agenda_view} }} }}"));
    let mut ws = crate::ws::Ws::ready(app.addr, &attacker).await;
    ws.subscribe_with(
        "leak",
        &format!("subscription($m: ID!) {{ mdtMeetingChanges(meetingId: $m) {{ kind meeting {{ {agenda_view} }} }} }}"),
        json!({ "m": meeting }),
    )
    .await;
    let first = ws.expect("leak", "SUBSCRIBED").await.to_string();
    assert!(first.contains("Review") || first.contains("careTeam"), "the subscriber reads the agenda: {first}");
    for leak in
        [mh_referral.as_str(), secret, "Panic attacks", "COMMUNITY_MENTAL_HEALTH", trust["name"].as_str().unwrap()]
    {
        assert!(!first.contains(leak), "the subscription shows {leak:?}: {first}");
    }
    let family =
        app.gql(&p.gp, "query($id: ID!) { patient(id: $id) { familyName } }", json!({ "id": patient })).await.data()
            ["patient"]["familyName"]
            .clone();
    let vars = json!({ "id": mh_referral, "p": patient, "r": own_referral, "m": meeting, "family": family });
    for (n, query) in paths.iter().enumerate() {
        let reply = app.gql(&attacker, query, vars.clone()).await;
        let text = reply.body.to_string();
        for leak in [mh_referral.as_str(), secret, "Panic attacks"] {
            assert!(!text.contains(leak), "path {n} shows {leak:?}: {text}");
        }
        // The trust and its service may be parties to other people's referrals the nurse reads in a
        // list (the demo has the trust refer to community nursing); of this person, never.
        let listed = reply.body.pointer("/data/patients/nodes").and_then(Value::as_array).map(|nodes| {
            nodes.iter().find(|node| node["id"] == json!(patient)).map(Value::to_string).unwrap_or_default()
        });
        let about_person = match listed {
            Some(node) => {
                assert!(!node.is_empty(), "path {n} lists the person: {text}");
                node
            }
            None => text.clone(),
        };
        for leak in ["COMMUNITY_MENTAL_HEALTH", trust["name"].as_str().unwrap()] {
            assert!(!about_person.contains(leak), "path {n} shows {leak:?}: {text}");
        }
        if n == paths.len() - 1 {
            assert_eq!(reply.error_code(), "FORBIDDEN", "the referral itself is refused");
        } else {
            assert!(reply.body.get("errors").is_none(), "path {n} answers, without the referral: {text}");
        }
    }
    // Its parties still see it whole, by the same paths.
    let party = app.gql(&p.gp, &paths[1], vars.clone()).await;
    assert!(party.data().to_string().contains(secret), "{}", party.body);
    let team = app.gql(&p.gp, &paths[2], vars).await;
    assert!(team.data().to_string().contains(trust["name"].as_str().unwrap()), "{}", team.body);
}

/// What a voluntary-sector receiver reads of a referral: the coded facts (service, state, need
/// categories, dates), the partner summary written for it and its own organisation's words; never
/// the referrer's free text ("Two falls this month…"), need details, or other organisations' reasons.
#[tokio::test]
async fn a_vcse_receiver_reads_the_partner_summary_and_need_categories_not_clinical_text() {
    let app = spawn_app().await;
    let p = pathway(&app).await;
    let patient = &p.patients[1];
    let where_ =
        app.gql(&p.gp, "query($id: ID!) { patient(id: $id) { neighbourhood { id } } }", json!({ "id": patient })).await;
    let neighbourhood: uuid::Uuid = where_.data()["patient"]["neighbourhood"]["id"].as_str().unwrap().parse().unwrap();
    let vcse_worker = app.practitioner_in(entity::ProfessionalRole::VcseWorker, neighbourhood).await;
    let vcse = app.token_for_practitioner(&vcse_worker);
    let clinical = "Two falls this month, struggling with washing and dressing.";
    let summary = "Would like company and help in the garden. Happy to be phoned in the afternoon.";
    let created = app
        .gql(
            &p.gp,
            CREATE,
            json!({ "input": { "patientId": patient, "source": "GP", "service": "VCSE",
                "receivingOrganisationId": vcse_worker.organisation_id.to_string(),
                "needs": [{ "need": "LONELINESS_OR_ISOLATION" }, { "need": "OTHER", "detail": "Leg ulcer; cannot kneel" }],
                "context": clinical, "partnerSummary": summary, "consentGiven": true } }),
        )
        .await;
    let id = created.data()["createReferral"]["referral"]["id"].as_str().unwrap().to_owned();
    let reply = move_to(&app, &vcse, &id, "AWAITING_CONTACT", json!({})).await;
    reply.data();
    app.gql(&vcse, "mutation($id: ID!) { recordContactAttempt(input: { referralId: $id, note: \"Left a message with her neighbour\" }) { event { reason } } }", json!({ "id": id }))
        .await
        .data();

    const VIEW: &str = "query($id: ID!) { referral(id: $id) { service status partnerSummary needs { need } \
        events { kind reason organisation { kind } } patient { accessLevel name needs { livesAlone } } } }";
    let coded = app.gql(&vcse, VIEW, json!({ "id": id })).await;
    let r = &coded.data()["referral"];
    assert_eq!(r["partnerSummary"], summary);
    assert_eq!(r["needs"], json!([{ "need": "LONELINESS_OR_ISOLATION" }, { "need": "OTHER" }]));
    assert_eq!(r["patient"]["accessLevel"], "SHARED_SUMMARY");
    let own_note = r["events"].as_array().unwrap().iter().find(|e| e["kind"] == "CONTACT_ATTEMPT").unwrap();
    assert_eq!(own_note["reason"], "Left a message with her neighbour", "its own words");

    for (field, query) in [
        ("context", "query($id: ID!) { referral(id: $id) { context } }"),
        ("needs.detail", "query($id: ID!) { referral(id: $id) { needs { need detail } } }"),
        ("inbox context", "query { referrals(first: 100) { nodes { id context } } }"),
    ] {
        let reply = app.gql(&vcse, query, json!({ "id": id })).await;
        let text = reply.body.to_string();
        assert!(!text.contains(clinical) && !text.contains("Leg ulcer"), "{field}: {text}");
        assert_eq!(reply.error_code(), "FORBIDDEN", "{field}");
        assert!(reply.error_message().contains("partnerSummary"), "{field}: the error says what to read instead");
    }
    // The GP's reason for cancelling is another organisation's words too.
    move_to(
        &app,
        &p.gp,
        &id,
        "CANCELLED_BY_REFERRER",
        json!({ "reason": "Admitted to hospital with a chest infection" }),
    )
    .await
    .data();
    let events =
        app.gql(&vcse, "query($id: ID!) { referral(id: $id) { events { kind reason } } }", json!({ "id": id })).await;
    assert!(!events.body.to_string().contains("chest infection"), "{}", events.body);
    assert_eq!(events.error_code(), "FORBIDDEN");

    // The referrer and the clinical parties read everything.
    let gp_view = app
        .gql(
            &p.gp,
            "query($id: ID!) { referral(id: $id) { context needs { detail } events { reason } } }",
            json!({ "id": id }),
        )
        .await;
    let text = gp_view.data().to_string();
    assert!(text.contains(clinical) && text.contains("Leg ulcer") && text.contains("chest infection"), "{text}");
}

/// What a front-end's lists need: unassigned referrals to allocate, the feedback newest first,
/// and a commissioner's neighbourhoods.
#[tokio::test]
async fn unassigned_referrals_newest_feedback_and_a_commissioners_neighbourhoods() {
    let app = spawn_app().await;
    let lead = app.token(DemoRole::LinkWorker).await;
    let list = "query($f: ReferralFilterInput) { referrals(filter: $f, first: 100) { totalCount nodes { assignedPractitioner { id } } } }";
    let all = app.gql(&lead, list, json!({ "f": {} })).await;
    let unassigned = app.gql(&lead, list, json!({ "f": { "unassigned": true } })).await;
    let nodes = unassigned.data()["referrals"]["nodes"].as_array().unwrap();
    assert!(!nodes.is_empty(), "the demo has referrals waiting for a worker");
    assert!(nodes.iter().all(|r| r["assignedPractitioner"].is_null()), "{}", unassigned.body);
    let expected = all.data()["referrals"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["assignedPractitioner"].is_null())
        .count();
    if all.data()["referrals"]["totalCount"].as_u64().unwrap() <= 100 {
        assert_eq!(nodes.len(), expected, "every unassigned referral, and only those");
    }
    let me = app.practitioner(DemoRole::LinkWorker).await.id.to_string();
    let both = app.gql(&lead, list, json!({ "f": { "unassigned": true, "assignedPractitionerId": me } })).await;
    assert_eq!(both.error_code(), "BAD_USER_INPUT");

    let gp = app.token(DemoRole::Gp).await;
    let feedback = app.gql(&gp, "{ referralFeedback(first: 50) { nodes { createdAt } } }", json!({})).await;
    let times: Vec<&str> = feedback.data()["referralFeedback"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["createdAt"].as_str().unwrap())
        .collect();
    assert!(times.len() > 1, "the demo practice has feedback: {}", feedback.body);
    let parsed: Vec<chrono::DateTime<chrono::FixedOffset>> =
        times.iter().map(|t| chrono::DateTime::parse_from_rfc3339(t).unwrap()).collect();
    assert!(parsed.windows(2).all(|w| w[0] >= w[1]), "newest first: {times:?}");

    let commissioner = app.token(DemoRole::Commissioner).await;
    let mine =
        app.gql(&commissioner, "{ me { neighbourhoods { id } } neighbourhoods { totalCount } }", json!({})).await;
    assert_eq!(
        mine.data()["me"]["neighbourhoods"].as_array().unwrap().len() as u64,
        mine.data()["neighbourhoods"]["totalCount"].as_u64().unwrap(),
        "a commissioner sees the figures of every neighbourhood, and is told so"
    );
    assert!(mine.data()["neighbourhoods"]["totalCount"].as_u64().unwrap() >= 2);
}
