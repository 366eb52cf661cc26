//! Care and support plans: versions and the conflict path, the person's agreement to share and
//! its withdrawal, what a VCSE partner sees (the summary, nothing else), and the audit of reads.

use sea_orm::EntityTrait;
use serde_json::{json, Value};
use server::cli::DemoRole;

use crate::helpers::{spawn_app, TestApp};

const SAVE: &str = r#"mutation Save($input: SaveCarePlanInput!) { saveCarePlan(input: $input) { plan {
    id version whatMatters strengths reviewDate accessLevel
    goals { id need text status targetDate }
    actions { id goalId text status dueDate ownerOrganisation { id } ownerPractitioner { id } }
    revisions { version changedBy { id } content } } } }"#;

const SHARE: &str = r#"mutation Share($input: CarePlanShareInput!) { shareCarePlan(input: $input) {
    changed share { id isWithdrawn recordedAt recordedBy { id } organisation { id } } } }"#;

const WITHDRAW: &str = r#"mutation Withdraw($input: CarePlanShareInput!) { withdrawCarePlanShare(input: $input) {
    share { isWithdrawn withdrawnAt withdrawnBy { id } } } }"#;

const READ: &str = r#"query Read($p: ID!) { carePlan(patientId: $p) { accessLevel whatMatters strengths
    goals { text status } actions { text } patient { name accessLevel } } }"#;

struct Setting {
    worker: String,
    worker_id: String,
    worker_org: String,
    vcse: String,
    vcse_org: String,
    patient: String,
}

async fn setting(app: &TestApp) -> Setting {
    let worker_model = app.practitioner(DemoRole::LinkWorker).await;
    let worker = app.token_for_practitioner(&worker_model);
    let me = app.gql(&worker, "{ me { neighbourhoods { id } } }", json!({})).await;
    let neighbourhood: uuid::Uuid = me.data()["me"]["neighbourhoods"][0]["id"].as_str().unwrap().parse().unwrap();
    let page = app
        .gql(
            &worker,
            "query($n: ID) { patients(first: 50, filter: { neighbourhoodId: $n, ageMin: 65 }) { nodes { id } } }",
            json!({ "n": neighbourhood.to_string() }),
        )
        .await;
    // Someone without a plan from the demo's history.
    let planned: std::collections::HashSet<String> = entity::care_plan::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.patient_id.to_string())
        .collect();
    let patient = page.data()["patients"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .find(|id| !planned.contains(id))
        .expect("someone without a plan");
    let vcse_model = app.practitioner_in(entity::ProfessionalRole::VcseWorker, neighbourhood).await;
    Setting {
        worker,
        worker_id: worker_model.id.to_string(),
        worker_org: worker_model.organisation_id.to_string(),
        vcse: app.token_for_practitioner(&vcse_model),
        vcse_org: vcse_model.organisation_id.to_string(),
        patient,
    }
}

fn first_plan(s: &Setting) -> Value {
    json!({ "input": {
        "patientId": s.patient,
        "whatMatters": "Getting out of the house again and seeing people; keeping my garden going.",
        "strengths": "Loves gardening; daughter visits on Sundays",
        "reviewDate": "2027-02-01",
        "goals": [
            { "need": "LONELINESS_OR_ISOLATION", "text": "Join a weekly group", "targetDate": "2027-01-15" },
            { "need": "PHYSICAL_ACTIVITY", "text": "Walk to the shops twice a week" }
        ],
        "actions": [
            { "goalIndex": 0, "text": "Try the Arnold community garden on Tuesday", "ownerOrganisationId": s.vcse_org },
            { "goalIndex": 1, "text": "Check in by phone after two weeks", "ownerPractitionerId": s.worker_id,
              "ownerOrganisationId": s.worker_org, "dueDate": "2026-12-15" }
        ]
    } })
}

#[tokio::test]
async fn plans_are_versioned_and_a_stale_save_is_refused_with_the_current_version() {
    let app = spawn_app().await;
    let s = setting(&app).await;

    let created = app.gql(&s.worker, SAVE, first_plan(&s)).await;
    let plan = &created.data()["saveCarePlan"]["plan"];
    assert_eq!(plan["version"], 1);
    assert_eq!(plan["goals"].as_array().unwrap().len(), 2);
    assert_eq!(plan["goals"][0]["status"], "NOT_STARTED");
    assert_eq!(plan["actions"][0]["goalId"], plan["goals"][0]["id"]);
    assert_eq!(plan["actions"][1]["ownerPractitioner"]["id"], s.worker_id.as_str());
    assert_eq!(plan["revisions"].as_array().unwrap().len(), 1);
    let goal_id = plan["goals"][0]["id"].as_str().unwrap().to_owned();

    // A second "first" plan is refused: the plan exists.
    let again = app.gql(&s.worker, SAVE, first_plan(&s)).await;
    assert_eq!(again.error_code(), "CONFLICT");
    assert_eq!(again.body["errors"][0]["extensions"]["existingId"], plan["id"]);

    // Two people edit version 1: the first save wins, the second is told the current version.
    let mut mine = first_plan(&s);
    mine["input"]["baseVersion"] = json!(1);
    mine["input"]["goals"][0]["id"] = json!(goal_id);
    mine["input"]["goals"][0]["status"] = json!("IN_PROGRESS");
    let saved = app.gql(&s.worker, SAVE, mine).await;
    let v2 = &saved.data()["saveCarePlan"]["plan"];
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["goals"][0]["id"], goal_id.as_str(), "the goal keeps its identity");
    assert_eq!(v2["goals"][0]["status"], "IN_PROGRESS");
    let mut theirs = first_plan(&s);
    theirs["input"]["baseVersion"] = json!(1);
    theirs["input"]["whatMatters"] = json!("Something else entirely");
    let stale = app.gql(&s.worker, SAVE, theirs).await;
    assert_eq!(stale.error_code(), "CONFLICT");
    assert!(stale.error_message().contains("now at version 2"), "{}", stale.error_message());
    assert_eq!(stale.body["errors"][0]["extensions"]["currentVersion"], 2, "for a client to reload and merge");
    assert_eq!(again.body["errors"][0]["extensions"]["currentVersion"], 1);
    let now = app.gql(&s.worker, READ, json!({ "p": s.patient })).await;
    assert_eq!(now.data()["carePlan"]["goals"][0]["status"], "IN_PROGRESS", "nothing was overwritten");
    assert!(now.data()["carePlan"]["whatMatters"].as_str().unwrap().starts_with("Getting out"));

    // Two saves racing from the same version: exactly one applies.
    let racer = |text: &str| {
        let mut r = first_plan(&s);
        r["input"]["baseVersion"] = json!(2);
        r["input"]["whatMatters"] = json!(text);
        r
    };
    let (a, b) = tokio::join!(
        app.gql(&s.worker, SAVE, racer("Racing edit A")),
        app.gql(&s.worker, SAVE, racer("Racing edit B"))
    );
    let won: Vec<bool> = [&a, &b].iter().map(|r| r.body.get("errors").is_none()).collect();
    assert_eq!(won.iter().filter(|w| **w).count(), 1, "{} / {}", a.body, b.body);
    let loser = if won[0] { &b } else { &a };
    assert_eq!(loser.error_code(), "CONFLICT");
    let via_record = app
        .gql(
            &s.worker,
            "query($id: ID!) { patient(id: $id) { carePlan { version whatMatters } } }",
            json!({ "id": s.patient }),
        )
        .await;
    let winner_text = if won[0] { "Racing edit A" } else { "Racing edit B" };
    assert_eq!(via_record.data()["patient"]["carePlan"], json!({ "version": 3, "whatMatters": winner_text }));

    // Bad input names what was wrong and changes nothing.
    for (patch, field, needle) in [
        (json!({ "whatMatters": "  " }), "whatMatters", "empty"),
        (json!({ "actions": [{ "text": "No owner" }] }), "actions", "needs an owner"),
        (
            json!({ "actions": [{ "text": "x", "goalIndex": 7, "ownerOrganisationId": s.worker_org }] }),
            "actions",
            "goalIndex 7",
        ),
        (
            json!({ "goals": [{ "id": uuid::Uuid::now_v7().to_string(), "need": "HOUSING", "text": "x" }] }),
            "goals",
            "not a goal of this plan",
        ),
        (
            json!({ "actions": [{ "text": "x", "ownerPractitionerId": s.worker_id, "ownerOrganisationId": s.vcse_org }] }),
            "actions",
            "does not work for",
        ),
    ] {
        let mut request = first_plan(&s);
        request["input"]["baseVersion"] = json!(3);
        request["input"].as_object_mut().unwrap().extend(patch.as_object().cloned().unwrap());
        let reply = app.gql(&s.worker, SAVE, request).await;
        assert_eq!(reply.error_code(), "BAD_USER_INPUT", "{patch}");
        assert_eq!(reply.body["errors"][0]["extensions"]["field"], field, "{patch}");
        assert!(reply.error_message().contains(needle), "{}", reply.error_message());
    }

    // The history keeps each version's content.
    let history = app
        .gql(
            &s.worker,
            "query($p: ID!) { carePlan(patientId: $p) { version revisions { version content } } }",
            json!({ "p": s.patient }),
        )
        .await;
    let revisions = history.data()["carePlan"]["revisions"].as_array().unwrap().clone();
    assert_eq!(history.data()["carePlan"]["version"], 3);
    assert_eq!(revisions.iter().map(|r| r["version"].as_i64().unwrap()).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(revisions[0]["content"]["goals"][0]["status"], "not_started");
    assert_eq!(revisions[1]["content"]["goals"][0]["status"], "in_progress");
}

#[tokio::test]
async fn a_vcse_partner_sees_the_shared_summary_until_the_person_withdraws_agreement() {
    let app = spawn_app().await;
    let s = setting(&app).await;
    app.gql(&s.worker, SAVE, first_plan(&s)).await.data();

    // Before agreement: nothing.
    let before = app.gql(&s.vcse, READ, json!({ "p": s.patient })).await;
    assert_eq!(before.error_code(), "FORBIDDEN");
    let list = app.gql(&s.vcse, "{ sharedCarePlans { totalCount } }", json!({})).await;
    let already = list.data()["sharedCarePlans"]["totalCount"].as_u64().unwrap(); // the demo's own agreements

    let shared =
        app.gql(&s.worker, SHARE, json!({ "input": { "patientId": s.patient, "organisationId": s.vcse_org } })).await;
    let share = &shared.data()["shareCarePlan"];
    assert_eq!(share["changed"], true);
    assert_eq!(share["share"]["recordedBy"]["id"], s.worker_id.as_str());
    let twice =
        app.gql(&s.worker, SHARE, json!({ "input": { "patientId": s.patient, "organisationId": s.vcse_org } })).await;
    assert_eq!(twice.data()["shareCarePlan"]["changed"], false);
    assert_eq!(twice.data()["shareCarePlan"]["share"]["id"], share["share"]["id"]);

    // The summary, the person's name and access needs; nothing clinical, no history, no sharing list.
    let audit_before = app.audit_trail().await.iter().filter(|a| a.access_reason == "plan_shared").count();
    let read = app.gql(&s.vcse, READ, json!({ "p": s.patient })).await;
    let plan = &read.data()["carePlan"];
    assert_eq!(plan["accessLevel"], "SHARED_SUMMARY");
    assert_eq!(plan["patient"]["accessLevel"], "SHARED_SUMMARY");
    assert!(plan["patient"]["name"].is_string());
    assert_eq!(plan["goals"].as_array().unwrap().len(), 2);
    for field in [
        "version",
        "revisions { version }",
        "sharedWith { recordedAt }",
        "patient { nhsNumber }",
        "patient { conditions { code } }",
        "patient { outcomeMeasurements { kind } }",
    ] {
        let reply = app
            .gql(
                &s.vcse,
                &format!("query($p: ID!) {{ carePlan(patientId: $p) {{ {field} }} }}"),
                json!({ "p": s.patient }),
            )
            .await;
        assert_eq!(reply.error_code(), "FORBIDDEN", "{field}");
    }
    let direct = app.gql(&s.vcse, "query($id: ID!) { patient(id: $id) { name } }", json!({ "id": s.patient })).await;
    assert_eq!(direct.error_code(), "FORBIDDEN", "the agreement opens the plan summary, not the record");
    let list = app
        .gql(
            &s.vcse,
            "{ sharedCarePlans(first: 100) { totalCount nodes { whatMatters patient { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(list.data()["sharedCarePlans"]["totalCount"], already + 1);
    let audit_after = app.audit_trail().await.iter().filter(|a| a.access_reason == "plan_shared").count();
    assert!(audit_after >= audit_before + 2, "each shared read is audited with its reason");

    // Another VCSE organisation, and commissioners, see nothing; a plan cannot be shared with the ICB.
    let commissioner = app.practitioner(DemoRole::Commissioner).await;
    let icb = app
        .gql(
            &s.worker,
            SHARE,
            json!({ "input": { "patientId": s.patient, "organisationId": commissioner.organisation_id.to_string() } }),
        )
        .await;
    assert_eq!(icb.error_code(), "BAD_USER_INPUT");
    let as_commissioner = app.gql(&app.token_for_practitioner(&commissioner), READ, json!({ "p": s.patient })).await;
    assert_eq!(as_commissioner.error_code(), "FORBIDDEN");
    let vcse_model = app.practitioner(DemoRole::Vcse).await;
    if vcse_model.organisation_id.to_string() != s.vcse_org {
        let other = app.gql(&app.token_for_practitioner(&vcse_model), READ, json!({ "p": s.patient })).await;
        assert_eq!(other.error_code(), "FORBIDDEN");
    }
    // The VCSE partner cannot change the plan or its sharing.
    let mut edit = first_plan(&s);
    edit["input"]["baseVersion"] = json!(1);
    assert_eq!(app.gql(&s.vcse, SAVE, edit).await.error_code(), "FORBIDDEN");

    // Withdrawal closes access at once and is kept in the history.
    let withdrawn = app
        .gql(&s.worker, WITHDRAW, json!({ "input": { "patientId": s.patient, "organisationId": s.vcse_org } }))
        .await;
    let w = &withdrawn.data()["withdrawCarePlanShare"]["share"];
    assert_eq!(w["isWithdrawn"], true);
    assert_eq!(w["withdrawnBy"]["id"], s.worker_id.as_str());
    assert_eq!(app.gql(&s.vcse, READ, json!({ "p": s.patient })).await.error_code(), "FORBIDDEN");
    let list = app.gql(&s.vcse, "{ sharedCarePlans { totalCount } }", json!({})).await;
    assert_eq!(list.data()["sharedCarePlans"]["totalCount"], already);
    let again = app
        .gql(&s.worker, WITHDRAW, json!({ "input": { "patientId": s.patient, "organisationId": s.vcse_org } }))
        .await;
    assert_eq!(again.error_code(), "BAD_USER_INPUT");
    let history = app
        .gql(&s.worker, "query($p: ID!) { carePlan(patientId: $p) { sharedWith { id } sharingHistory { isWithdrawn organisation { id } } } }", json!({ "p": s.patient }))
        .await;
    assert_eq!(history.data()["carePlan"]["sharedWith"], json!([]));
    assert_eq!(history.data()["carePlan"]["sharingHistory"][0]["isWithdrawn"], true);
}
