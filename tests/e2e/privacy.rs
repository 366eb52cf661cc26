//! The privacy officer (Caldicott Guardian / IG lead): a person's and a practitioner's access
//! trail, the break-glass review queue and its outcomes, flags of unusual patterns, a subject
//! access report; every person a review names audited; nothing of it to anyone else, and nothing
//! beyond the officer's neighbourhoods.

use entity::ProfessionalRole as R;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use serde_json::{json, Value};
use server::cli::DemoRole;
use uuid::Uuid;

use crate::helpers::{spawn_app, TestApp};

const TRAIL: &str = r#"query Trail($patientId: ID, $nhsNumber: String, $practitionerId: ID, $from: DateTime, $to: DateTime,
    $reason: AccessReasonCode, $first: Int, $after: String) {
  accessTrail(patientId: $patientId, nhsNumber: $nhsNumber, practitionerId: $practitionerId, from: $from, to: $to,
      reason: $reason, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { occurredAt practitionerId practitioner { id familyName } organisation { id } professionalRole
      operation fieldPath requestId reason outOfHours sameFamilyName
      person { id nhsNumber name dateOfBirth registeredPractice { id } }
      breakGlass { reason detail } } } } }"#;

const OPEN: &str = r#"query OpenRecord($id: ID!) { patient(id: $id) { id name } }"#;

/// The neighbourhood's privacy officer, its GP (at a practice of it) and someone registered there.
struct Review {
    neighbourhood: Uuid,
    officer: entity::practitioner::Model,
    officer_token: String,
    gp: entity::practitioner::Model,
    gp_token: String,
    person: entity::patient::Model,
}

async fn review(app: &TestApp) -> Review {
    let neighbourhood = app.neighbourhoods().await[0].id;
    let officer = app.practitioner_in(R::PrivacyOfficer, neighbourhood).await;
    let gp = app.practitioner_in(R::Gp, neighbourhood).await;
    let person = entity::patient::Entity::find()
        .filter(entity::patient::Column::RegisteredPracticeId.eq(gp.organisation_id))
        .one(&app.db)
        .await
        .unwrap()
        .expect("someone registered at the GP's practice");
    Review {
        neighbourhood,
        officer_token: app.token_for_practitioner(&officer),
        officer,
        gp_token: app.token_for_practitioner(&gp),
        gp,
        person,
    }
}

fn nodes(reply: &Value) -> Vec<Value> {
    reply["accessTrail"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect()
}

#[tokio::test]
async fn the_privacy_officer_reads_who_read_whom_and_no_record() {
    let app = spawn_app().await;
    let r = review(&app).await;
    let person = r.person.id.to_string();
    app.gql(&r.gp_token, OPEN, json!({ "id": person })).await.data();

    // A person's trail, by id and by NHS number: the GP's read, with who, as what, how and why.
    let by_id = app.gql(&r.officer_token, TRAIL, json!({ "patientId": person })).await;
    let entries = nodes(by_id.data());
    let read = entries.iter().find(|e| e["practitionerId"] == r.gp.id.to_string().as_str()).expect("the GP's read");
    assert_eq!(read["reason"], "REGISTERED_PRACTICE");
    assert_eq!(read["operation"], "query OpenRecord");
    assert_eq!(read["fieldPath"], "patient");
    assert_eq!(read["professionalRole"], "GP");
    assert_eq!(read["organisation"]["id"], r.gp.organisation_id.to_string().as_str());
    assert_eq!(read["practitioner"]["familyName"], r.gp.family_name.as_str());
    assert_eq!(read["person"]["nhsNumber"], r.person.nhs_number.as_str());
    assert!(read["breakGlass"].is_null() && read["requestId"].is_string());
    let by_number = app.gql(&r.officer_token, TRAIL, json!({ "nhsNumber": r.person.nhs_number })).await;
    let same: Vec<Value> = nodes(by_number.data()).iter().map(|e| e["occurredAt"].clone()).collect();
    assert!(same.contains(&read["occurredAt"]));

    // The review itself is an audited read of the person, and shows in the next look at the trail.
    let officer_reads: Vec<_> =
        app.audit_trail().await.into_iter().filter(|a| a.practitioner_id == r.officer.id).collect();
    assert!(!officer_reads.is_empty());
    assert!(officer_reads.iter().all(|a| a.access_reason == "privacy_review" && a.patient_id == r.person.id));
    let again = app.gql(&r.officer_token, TRAIL, json!({ "patientId": person, "reason": "PRIVACY_REVIEW" })).await;
    assert!(nodes(again.data()).iter().all(|e| e["practitionerId"] == r.officer.id.to_string().as_str()));
    assert!(!nodes(again.data()).is_empty());

    // A practitioner's trail lists the people they read, and pages without gaps or repeats.
    let page = app.gql(&r.gp_token, "{ patients(first: 7) { nodes { id } } }", json!({})).await;
    assert_eq!(page.data()["patients"]["nodes"].as_array().unwrap().len(), 7);
    let whole = app.gql(&r.officer_token, TRAIL, json!({ "practitionerId": r.gp.id, "first": 100 })).await;
    let total = whole.data()["accessTrail"]["totalCount"].as_u64().unwrap();
    assert!(total >= 8, "{total}");
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let reply =
            app.gql(&r.officer_token, TRAIL, json!({ "practitionerId": r.gp.id, "first": 3, "after": after })).await;
        let data = reply.data()["accessTrail"].clone();
        for edge in data["edges"].as_array().unwrap() {
            seen.push((edge["node"]["occurredAt"].clone(), edge["node"]["person"]["id"].clone()));
        }
        if data["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = data["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen.len() as u64, total);
    let mut distinct = seen.clone();
    distinct.dedup();
    assert_eq!(distinct.len(), seen.len(), "no row twice");
    // Newest first.
    let times: Vec<&str> = seen.iter().map(|(t, _)| t.as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    // A window narrows it.
    let future = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let none = app.gql(&r.officer_token, TRAIL, json!({ "practitionerId": r.gp.id, "from": future })).await;
    assert_eq!(none.data()["accessTrail"]["totalCount"], 0);

    // The officer reads no record, and is told where to look instead.
    let record = app.gql(&r.officer_token, OPEN, json!({ "id": person })).await;
    assert_eq!(record.error_code(), "FORBIDDEN");
    assert!(record.error_message().contains("access trail"), "{}", record.error_message());
    let me = app.gql(&r.officer_token, "{ me { role patientAccess } }", json!({})).await;
    assert_eq!(me.data()["me"]["role"], "PRIVACY_OFFICER");
    assert_eq!(me.data()["me"]["patientAccess"], "NONE");

    // Bad input names what was wrong.
    for (variables, field) in [
        (json!({}), "patientId"),
        (json!({ "patientId": person, "nhsNumber": r.person.nhs_number }), "patientId"),
        (json!({ "nhsNumber": "9990000019" }), "nhsNumber"),
        (json!({ "patientId": person, "first": 101 }), "first"),
        (json!({ "patientId": person, "after": "not-a-cursor" }), "after"),
        (json!({ "patientId": person, "from": future, "to": chrono::Utc::now().to_rfc3339() }), "from"),
    ] {
        let reply = app.gql(&r.officer_token, TRAIL, variables.clone()).await;
        assert_eq!(reply.error_code(), "BAD_USER_INPUT", "{variables}: {}", reply.body);
        assert_eq!(reply.body["errors"][0]["extensions"]["field"], field, "{variables}: {}", reply.body);
    }
}

/// From the other side: every role but the privacy officer is refused the trail, whatever it
/// names; an officer learns nothing of people outside their neighbourhoods (an unknown person and
/// one elsewhere are answered alike), and a practitioner's trail leaves out their reads there.
#[tokio::test]
async fn the_trail_is_the_privacy_officers_and_only_for_their_neighbourhoods() {
    let app = spawn_app().await;
    let r = review(&app).await;
    let person = r.person.id.to_string();
    for role in [
        DemoRole::Coordinator,
        DemoRole::Gp,
        DemoRole::Receptionist,
        DemoRole::SocialCare,
        DemoRole::Vcse,
        DemoRole::Commissioner,
    ] {
        let token = app.token(role).await;
        for (query, variables) in [
            (TRAIL, json!({ "patientId": person })),
            (TRAIL, json!({ "practitionerId": r.gp.id })),
            ("{ breakGlassUses { totalCount nodes { id } } }", json!({})),
            ("{ accessFlags { kind } }", json!({})),
            ("query($id: ID) { subjectAccessReport(patientId: $id) { reads } }", json!({ "id": person })),
        ] {
            let reply = app.gql(&token, query, variables).await;
            assert_eq!(reply.error_code(), "FORBIDDEN", "{role:?}: {}", reply.body);
            assert!(!reply.body.to_string().contains(&r.person.nhs_number), "{role:?}: {}", reply.body);
        }
    }

    // The other neighbourhood's person and a person who does not exist: the same NOT_FOUND.
    let elsewhere = app.neighbourhoods().await[1].id;
    let stranger = entity::patient::Entity::find()
        .filter(entity::patient::Column::NeighbourhoodId.eq(elsewhere))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    for variables in [
        json!({ "patientId": stranger.id }),
        json!({ "nhsNumber": stranger.nhs_number }),
        json!({ "patientId": Uuid::new_v4() }),
    ] {
        let reply = app.gql(&r.officer_token, TRAIL, variables.clone()).await;
        assert_eq!(reply.error_code(), "NOT_FOUND", "{variables}: {}", reply.body);
        let report = app
            .gql(
                &r.officer_token,
                "query($id: ID, $n: String) { subjectAccessReport(patientId: $id, nhsNumber: $n) { reads } }",
                json!({ "id": variables.get("patientId"), "n": variables.get("nhsNumber") }),
            )
            .await;
        assert_eq!(report.error_code(), "NOT_FOUND", "{variables}: {}", report.body);
    }
    // The other neighbourhood's GP reads their own people; this officer's view of that GP's trail
    // has none of it.
    let far_gp = app.practitioner_in(R::Gp, elsewhere).await;
    let far = app.token_for_practitioner(&far_gp);
    app.gql(&far, OPEN, json!({ "id": stranger.id })).await;
    let ids = app.gql(&far, "{ patients(first: 5) { nodes { id } } }", json!({})).await;
    assert!(!ids.data()["patients"]["nodes"].as_array().unwrap().is_empty());
    let theirs = app.gql(&r.officer_token, TRAIL, json!({ "practitionerId": far_gp.id })).await;
    assert_eq!(theirs.data()["accessTrail"]["totalCount"], 0, "{}", theirs.body);
    // Their own officer sees it.
    let far_officer = app.practitioner_in(R::PrivacyOfficer, elsewhere).await;
    let far_review =
        app.gql(&app.token_for_practitioner(&far_officer), TRAIL, json!({ "practitionerId": far_gp.id })).await;
    assert!(far_review.data()["accessTrail"]["totalCount"].as_u64().unwrap() >= 5, "{}", far_review.body);
    // Flags of a neighbourhood the officer does not review are refused.
    let flags = app
        .gql(&r.officer_token, "query($n: ID) { accessFlags(neighbourhoodId: $n) { kind } }", json!({ "n": elsewhere }))
        .await;
    assert_eq!(flags.error_code(), "FORBIDDEN");
    let _ = r.neighbourhood;
}

const QUEUE: &str = r#"query Queue($status: BreakGlassReviewStatus, $first: Int, $after: String) {
  breakGlassUses(status: $status, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id reason detail startedAt expiresAt reads professionalRole practitioner { id } organisation { id }
      person { id name nhsNumber } review { outcome note reviewedAt reviewedBy { id } } } } }"#;

const REVIEW: &str = r#"mutation Review($input: ReviewBreakGlassInput!) { reviewBreakGlass(input: $input) {
    breakGlassUse { id review { outcome note reviewedBy { id } } } } }"#;

#[tokio::test]
async fn break_glass_uses_wait_for_review_and_are_reviewed_once() {
    let app = spawn_app().await;
    let r = review(&app).await;
    // The demo's uses: those older than two weeks reviewed, the rest waiting.
    let waiting = app.gql(&r.officer_token, QUEUE, json!({})).await;
    let queue = waiting.data()["breakGlassUses"]["nodes"].as_array().unwrap().clone();
    assert!(!queue.is_empty(), "{}", waiting.body);
    assert!(queue.iter().all(|u| u["review"].is_null() && u["reads"].as_u64().unwrap() >= 1));
    let reviewed = app.gql(&r.officer_token, QUEUE, json!({ "status": "REVIEWED" })).await;
    let done = reviewed.data()["breakGlassUses"]["nodes"].as_array().unwrap().clone();
    assert!(done.iter().any(|u| u["review"]["outcome"] == "NOT_JUSTIFIED" && u["review"]["note"].is_string()));
    assert!(done.iter().all(|u| u["review"]["reviewedBy"]["id"] == r.officer.id.to_string().as_str()));
    let all = app.gql(&r.officer_token, QUEUE, json!({ "status": "ALL", "first": 100 })).await;
    assert_eq!(
        all.data()["breakGlassUses"]["totalCount"].as_u64().unwrap(),
        (queue.len() + done.len()) as u64,
        "{}",
        all.body
    );

    // A nurse breaks the glass now and reads the record twice: the use joins the queue with its reads.
    let nurse_model = app.practitioner_in(R::DistrictNurse, r.neighbourhood).await;
    let nurse = app.token_for_practitioner(&nurse_model);
    let page = app.gql(&r.gp_token, "{ patients(first: 100) { nodes { id } } }", json!({})).await;
    let mut person = None;
    for node in page.data()["patients"]["nodes"].as_array().unwrap() {
        if app.gql(&nurse, OPEN, json!({ "id": node["id"] })).await.body["errors"].is_array() {
            person = node["id"].as_str().map(str::to_owned);
            break;
        }
    }
    let person = person.expect("someone the nurse does not reach");
    let broken = app
        .gql(
            &nurse,
            "mutation($input: BreakGlassInput!) { breakGlass(input: $input) { access { id } } }",
            json!({ "input": { "patientId": person, "reason": "SAFEGUARDING", "detail": "Concern raised by a neighbour" } }),
        )
        .await;
    let use_id = broken.data()["breakGlass"]["access"]["id"].as_str().unwrap().to_owned();
    app.gql(&nurse, OPEN, json!({ "id": person })).await.data();
    let mut found = None;
    let mut after: Option<String> = None;
    while found.is_none() {
        let reply = app.gql(&r.officer_token, QUEUE, json!({ "first": 2, "after": after })).await;
        let data = reply.data()["breakGlassUses"].clone();
        found = data["nodes"].as_array().unwrap().iter().find(|u| u["id"] == use_id.as_str()).cloned();
        assert!(found.is_some() || data["pageInfo"]["hasNextPage"] == true, "the new use is in the queue");
        after = data["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    let found = found.unwrap();
    assert_eq!(found["reason"], "SAFEGUARDING");
    assert_eq!(found["reads"], 2, "the mutation's answer and the record: {found}");
    assert_eq!(found["practitioner"]["id"], nurse_model.id.to_string().as_str());
    assert_eq!(found["person"]["id"], person.as_str());
    // The trail shows each read under it with the use's own words.
    let trail = app
        .gql(
            &r.officer_token,
            TRAIL,
            json!({ "patientId": person, "practitionerId": nurse_model.id, "reason": "BREAK_GLASS" }),
        )
        .await;
    let reads = nodes(trail.data());
    assert_eq!(reads.len(), 2);
    assert!(reads.iter().all(|e| e["breakGlass"]["detail"] == "Concern raised by a neighbour"));

    // Review: a finding other than justified says what follows; once only.
    let input = |outcome: &str, note: Option<&str>| json!({ "input": { "breakGlassId": use_id, "outcome": outcome, "note": note } });
    let bare = app.gql(&r.officer_token, REVIEW, input("NOT_JUSTIFIED", Some("   "))).await;
    assert_eq!(bare.error_code(), "BAD_USER_INPUT");
    assert_eq!(bare.body["errors"][0]["extensions"]["field"], "note");
    let long = app.gql(&r.officer_token, REVIEW, input("JUSTIFIED", Some(&"x".repeat(2_001)))).await;
    assert_eq!(long.body["errors"][0]["extensions"]["field"], "note");
    for token in [nurse.clone(), r.gp_token.clone(), app.token(DemoRole::Commissioner).await] {
        let refused = app.gql(&token, REVIEW, input("JUSTIFIED", None)).await;
        assert_eq!(refused.error_code(), "FORBIDDEN", "{}", refused.body);
    }
    let far_officer = app.practitioner_in(R::PrivacyOfficer, app.neighbourhoods().await[1].id).await;
    let far = app.gql(&app.token_for_practitioner(&far_officer), REVIEW, input("JUSTIFIED", None)).await;
    assert_eq!(far.error_code(), "NOT_FOUND", "{}", far.body);
    let stored =
        entity::break_glass::Entity::find_by_id(use_id.parse::<Uuid>().unwrap()).one(&app.db).await.unwrap().unwrap();
    assert!(stored.reviewed_at.is_none(), "no refusal wrote anything");

    let note = "Referred to the community trust's safeguarding lead";
    let done = app.gql(&r.officer_token, REVIEW, input("REFERRED_FOR_INVESTIGATION", Some(note))).await;
    let review = &done.data()["reviewBreakGlass"]["breakGlassUse"]["review"];
    assert_eq!(review["outcome"], "REFERRED_FOR_INVESTIGATION");
    assert_eq!(review["note"], note);
    assert_eq!(review["reviewedBy"]["id"], r.officer.id.to_string().as_str());
    let twice = app.gql(&r.officer_token, REVIEW, input("JUSTIFIED", None)).await;
    assert_eq!(twice.error_code(), "CONFLICT");
    assert_eq!(twice.body["errors"][0]["extensions"]["existingId"], use_id.as_str());
    let after_review = app.gql(&r.officer_token, QUEUE, json!({ "first": 100 })).await;
    assert!(after_review.data()["breakGlassUses"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["id"] != use_id.as_str()));
}

const FLAGS: &str = r#"query Flags($from: DateTime, $to: DateTime) { accessFlags(from: $from, to: $to) {
    kind practitionerId practitioner { familyName } count people firstAt lastAt } }"#;

#[tokio::test]
async fn unusual_patterns_are_flagged_per_practitioner() {
    let app = spawn_app().await;
    let r = review(&app).await;
    let now = chrono::Utc::now();
    let window = json!({ "from": (now - chrono::Duration::days(90)).to_rfc3339(), "to": (now + chrono::Duration::minutes(5)).to_rfc3339() });
    // The demo: a nurse who broke the glass three times, night-time reads under break-glass.
    let demo = app.gql(&r.officer_token, FLAGS, window.clone()).await;
    let flags = demo.data()["accessFlags"].as_array().unwrap().clone();
    let repeated = flags
        .iter()
        .find(|f| f["kind"] == "REPEATED_BREAK_GLASS")
        .unwrap_or_else(|| panic!("the demo's repeated use: {}", demo.body));
    assert!(repeated["count"].as_u64().unwrap() >= 3);
    assert!(flags.iter().any(|f| f["kind"] == "OUT_OF_HOURS" && f["count"].as_u64().unwrap() >= 1));

    // The GP reads someone who shares their family name.
    entity::practitioner::ActiveModel {
        id: Set(r.gp.id),
        family_name: Set(r.person.family_name.clone()),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();
    app.gql(&r.gp_token, OPEN, json!({ "id": r.person.id })).await.data();
    // The brakes refused someone of the neighbourhood.
    entity::access_alarm::Model {
        id: Uuid::now_v7(),
        occurred_at: now,
        practitioner_id: r.gp.id,
        organisation_id: r.gp.organisation_id,
        professional_role: "gp".into(),
        kind: "records_per_minute".into(),
        limit_per_minute: 1000,
        attempted: 1020,
        request_id: None,
    }
    .into_active_model()
    .insert(&app.db)
    .await
    .unwrap();
    let after = app.gql(&r.officer_token, FLAGS, window.clone()).await;
    let flags = after.data()["accessFlags"].as_array().unwrap().clone();
    let gp = r.gp.id.to_string();
    let same =
        flags.iter().find(|f| f["kind"] == "SAME_FAMILY_NAME" && f["practitionerId"] == gp.as_str()).expect("flagged");
    assert!(same["people"].as_u64().unwrap() >= 1);
    assert!(flags
        .iter()
        .any(|f| f["kind"] == "VOLUME_LIMIT" && f["practitionerId"] == gp.as_str() && f["people"] == 0));
    let trail = app.gql(&r.officer_token, TRAIL, json!({ "patientId": r.person.id, "practitionerId": r.gp.id })).await;
    assert!(nodes(trail.data()).iter().all(|e| e["sameFamilyName"] == true));

    // Only what the window holds; the window itself is checked.
    let before = app
        .gql(&r.officer_token, FLAGS, json!({ "from": (now - chrono::Duration::days(400)).to_rfc3339(), "to": (now - chrono::Duration::days(200)).to_rfc3339() }))
        .await;
    assert!(before.data()["accessFlags"].as_array().unwrap().is_empty(), "{}", before.body);
    for (variables, why) in [
        (json!({ "from": (now - chrono::Duration::days(400)).to_rfc3339() }), "too long"),
        (json!({ "from": now.to_rfc3339(), "to": (now - chrono::Duration::days(1)).to_rfc3339() }), "backwards"),
    ] {
        let reply = app.gql(&r.officer_token, FLAGS, variables).await;
        assert_eq!(reply.error_code(), "BAD_USER_INPUT", "{why}");
        assert_eq!(reply.body["errors"][0]["extensions"]["field"], "from", "{why}");
    }
}

#[tokio::test]
async fn a_subject_access_report_lists_every_read_of_the_person_in_words() {
    let app = spawn_app().await;
    let r = review(&app).await;
    app.gql(&r.gp_token, OPEN, json!({ "id": r.person.id })).await.data();
    app.gql(&r.gp_token, OPEN, json!({ "id": r.person.id })).await.data();
    let coordinator = app.practitioner_in(R::IntCoordinator, r.neighbourhood).await;
    app.gql(&app.token_for_practitioner(&coordinator), OPEN, json!({ "id": r.person.id })).await.data();
    let report = app
        .gql(
            &r.officer_token,
            "query($n: String) { subjectAccessReport(nhsNumber: $n) { person { id name } generatedAt reads
                organisations { name odsCode reads firstAt lastAt organisation { id } } csv } }",
            json!({ "n": r.person.nhs_number }),
        )
        .await;
    let report = &report.data()["subjectAccessReport"];
    assert_eq!(report["person"]["id"], r.person.id.to_string().as_str());
    // The GP's two reads, the coordinator's, and the officer's own review, which the person is told of too.
    assert!(report["reads"].as_u64().unwrap() >= 4, "{report}");
    let practice = report["organisations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["organisation"]["id"] == r.gp.organisation_id.to_string().as_str())
        .expect("the practice");
    assert_eq!(practice["reads"], 2);
    let csv = report["csv"].as_str().unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("when,organisation,ods_code,role,practitioner,why,emergency_reason,emergency_statement")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len() as u64, report["reads"].as_u64().unwrap());
    let gp_name = format!("{} {}", r.gp.given_name, r.gp.family_name);
    assert_eq!(
        rows.iter().filter(|l| l.contains(&gp_name) && l.contains("works at or for your GP practice")).count(),
        2
    );
    assert!(rows.iter().any(|l| l.contains("the privacy officer checking who has looked at your record")));
    // Producing it was an audited read of the person.
    let audit = app.audit_trail().await;
    assert!(audit.iter().any(|a| a.practitioner_id == r.officer.id
        && a.patient_id == r.person.id
        && a.access_reason == "privacy_review"
        && a.operation.contains("query")));
}
