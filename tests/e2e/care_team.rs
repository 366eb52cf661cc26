//! The named care team: a care relationship kept by the person's practice, PCN or INT
//! coordinator, which opens the full record to a member while it stands and closes it at their
//! next request once it ends; tried from the side of those who may not keep it.

use entity::ProfessionalRole as R;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{json, Value};
use server::cli::DemoRole;

use crate::helpers::{spawn_app, TestApp};

const ADD: &str = r#"mutation Add($input: AddCareTeamMemberInput!) { addCareTeamMember(input: $input) {
    member { id teamRole isCareCoordinator since practitioner { id } organisation { id } addedBy { id } endedAt } } }"#;
const END: &str = r#"mutation End($input: EndCareTeamMembershipInput!) { endCareTeamMembership(input: $input) {
    member { id endedAt endReason endedBy { id } } } }"#;
const TEAM: &str = r#"query Team($id: ID!, $all: Boolean!) { patient(id: $id) { accessLevel
    namedCareTeam(includeEnded: $all) { id teamRole isCareCoordinator practitioner { id } endedAt endReason } } }"#;
const OPEN: &str = r#"query OpenRecord($id: ID!) { patient(id: $id) { accessLevel conditions { code } } }"#;

async fn members(app: &TestApp) -> u64 {
    entity::care_team_member::Entity::find().count(&app.db).await.unwrap()
}

fn add_input(patient: &str, practitioner: &str, role: &str, coordinator: bool) -> Value {
    json!({ "input": { "patientId": patient, "practitionerId": practitioner, "teamRole": role,
        "isCareCoordinator": coordinator } })
}

#[tokio::test]
async fn a_named_care_team_opens_the_record_to_its_members_while_they_stand_in_it() {
    let app = spawn_app().await;
    let gp_model = app.practitioner(DemoRole::Gp).await;
    let gp = app.token_for_practitioner(&gp_model);
    let neighbourhood = app.gql(&gp, "{ me { neighbourhoods { id } } }", json!({})).await.data()["me"]
        ["neighbourhoods"][0]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let nurse_model = app.practitioner_in(R::DistrictNurse, neighbourhood).await;
    let nurse = app.token_for_practitioner(&nurse_model);
    // Someone registered at the GP's practice whom the district nurse does not reach yet.
    let page = app.gql(&gp, "{ patients(first: 100) { nodes { id } } }", json!({})).await;
    let reached = load(&app, &nurse_model).await;
    let person = page.data()["patients"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .find(|id| !reached.contains(id))
        .expect("someone the nurse does not reach");
    assert_eq!(app.gql(&nurse, OPEN, json!({ "id": person })).await.error_code(), "FORBIDDEN");

    // The GP names the nurse: the nurse reads the full record, audited as care_team.
    let added = app.gql(&gp, ADD, add_input(&person, &nurse_model.id.to_string(), "Community matron", false)).await;
    let member = added.data()["addCareTeamMember"]["member"].clone();
    assert_eq!(member["teamRole"], "Community matron");
    assert_eq!(member["practitioner"]["id"], nurse_model.id.to_string());
    assert_eq!(member["organisation"]["id"], nurse_model.organisation_id.to_string());
    assert_eq!(member["addedBy"]["id"], gp_model.id.to_string());
    assert_eq!(member["since"], api::context::uk_today().to_string());
    let opened = app.gql(&nurse, OPEN, json!({ "id": person })).await;
    assert_eq!(opened.data()["patient"]["accessLevel"], "FULL");
    let trail = app.audit_trail().await;
    let read = trail.iter().rfind(|a| a.label() == "query OpenRecord / patient").unwrap();
    assert_eq!((read.practitioner_id, read.access_reason.as_str()), (nurse_model.id, "care_team"));
    assert!(load(&app, &nurse_model).await.contains(&person), "in the nurse's list too");
    let team = app.gql(&nurse, TEAM, json!({ "id": person, "all": false })).await;
    assert_eq!(team.data()["patient"]["namedCareTeam"].as_array().unwrap().len(), 1);

    // Twice is a CONFLICT naming the standing membership; nothing is stored.
    let before = members(&app).await;
    let again = app.gql(&gp, ADD, add_input(&person, &nurse_model.id.to_string(), "Again", false)).await;
    assert_eq!(again.error_code(), "CONFLICT");
    assert_eq!(again.body["errors"][0]["extensions"]["existingId"], member["id"]);

    // One named care coordinator at a time: the coordinator names the PCN's care coordinator; a
    // second is refused, naming the first.
    let coordinator = app.token(DemoRole::Coordinator).await;
    let care_coordinator = app.practitioner_in(R::CareCoordinator, neighbourhood).await;
    let named = app
        .gql(&coordinator, ADD, add_input(&person, &care_coordinator.id.to_string(), "Named care coordinator", true))
        .await;
    let named = named.data()["addCareTeamMember"]["member"].clone();
    assert_eq!(named["isCareCoordinator"], true);
    let social_worker = app.practitioner_in(R::SocialWorker, neighbourhood).await;
    let second = app.gql(&gp, ADD, add_input(&person, &social_worker.id.to_string(), "Coordinator too", true)).await;
    assert_eq!(second.error_code(), "CONFLICT");
    assert_eq!(second.body["errors"][0]["extensions"]["existingId"], named["id"]);
    assert_eq!(members(&app).await, before + 1, "only the coordinator was added");

    // Ending the nurse's membership ends the nurse's access at the next request.
    let ended = app.gql(&gp, END, json!({ "input": { "memberId": member["id"], "reason": "Leg ulcer healed" } })).await;
    let ended = ended.data()["endCareTeamMembership"]["member"].clone();
    assert!(ended["endedAt"].is_string());
    assert_eq!(
        (ended["endReason"].as_str(), ended["endedBy"]["id"].as_str()),
        (Some("Leg ulcer healed"), Some(gp_model.id.to_string().as_str()))
    );
    assert_eq!(app.gql(&nurse, OPEN, json!({ "id": person })).await.error_code(), "FORBIDDEN");
    assert!(!load(&app, &nurse_model).await.contains(&person));
    let history = app.gql(&gp, TEAM, json!({ "id": person, "all": true })).await;
    let history = history.data()["patient"]["namedCareTeam"].as_array().unwrap().clone();
    assert_eq!(history.len(), 2, "the ended membership is kept");
    let standing = app.gql(&gp, TEAM, json!({ "id": person, "all": false })).await;
    assert_eq!(standing.data()["patient"]["namedCareTeam"].as_array().unwrap().len(), 1);
    let twice = app.gql(&gp, END, json!({ "input": { "memberId": member["id"] } })).await;
    assert_eq!(twice.body["errors"][0]["extensions"]["field"], "memberId");
    // Once ended, the nurse may be named again.
    let back = app.gql(&gp, ADD, add_input(&person, &nurse_model.id.to_string(), "Community matron", false)).await;
    assert!(back.data()["addCareTeamMember"]["member"]["id"].is_string());
}

/// Who may not keep a person's team: a service reaching the person through a referral (or the
/// team itself), another practice's GP, a VCSE worker, a commissioner. Bad input names its field.
/// Nothing is stored by any of them.
#[tokio::test]
async fn only_the_persons_practice_pcn_or_coordinator_keeps_their_team_and_bad_input_names_its_field() {
    let app = spawn_app().await;
    let gp = app.token(DemoRole::Gp).await;
    let neighbourhood = app.neighbourhoods().await[0].id;
    let coordinator = app.token(DemoRole::Coordinator).await;
    let nurse = app.practitioner_in(R::DistrictNurse, neighbourhood).await;
    let person = app.gql(&gp, "{ patients(first: 1) { nodes { id } } }", json!({})).await.data()["patients"]["nodes"]
        [0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let member = app.gql(&gp, ADD, add_input(&person, &nurse.id.to_string(), "Community matron", false)).await;
    let member_id = member.data()["addCareTeamMember"]["member"]["id"].as_str().unwrap().to_owned();
    let before = members(&app).await;
    let social_worker = app.practitioner_in(R::SocialWorker, neighbourhood).await;

    // The member itself reads the record but does not keep the team.
    let own = app.token_for_practitioner(&nurse);
    let by_member = app.gql(&own, ADD, add_input(&person, &social_worker.id.to_string(), "Social worker", false)).await;
    assert_eq!(by_member.error_code(), "FORBIDDEN", "{}", by_member.body);
    assert!(by_member.error_message().contains("practice, PCN or INT coordinator"), "{}", by_member.body);
    assert_eq!(app.gql(&own, END, json!({ "input": { "memberId": member_id } })).await.error_code(), "FORBIDDEN");
    // Another practice's GP, a VCSE worker and a commissioner.
    let gp_model = app.practitioner(DemoRole::Gp).await;
    let other_gp = entity::practitioner::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.professional_role == R::Gp && p.organisation_id != gp_model.organisation_id)
        .unwrap();
    for token in [
        app.token_for_practitioner(&other_gp),
        app.token(DemoRole::Vcse).await,
        app.token(DemoRole::Commissioner).await,
    ] {
        let tried =
            app.gql(&token, ADD, add_input(&person, &social_worker.id.to_string(), "Social worker", false)).await;
        assert_eq!(tried.error_code(), "FORBIDDEN", "{}", tried.body);
        let ended = app.gql(&token, END, json!({ "input": { "memberId": member_id } })).await;
        assert_eq!(ended.error_code(), "FORBIDDEN", "{}", ended.body);
        let team = app.gql(&token, TEAM, json!({ "id": person, "all": true })).await;
        assert!(team.body["data"]["patient"].is_null(), "{}", team.body);
    }

    // Bad input, each naming its field.
    let vcse = app.practitioner(DemoRole::Vcse).await;
    let long = "x".repeat(81);
    let tomorrow = (api::context::uk_today() + chrono::Duration::days(1)).to_string();
    let sw = social_worker.id.to_string();
    let cases = [
        (json!({ "input": { "patientId": person, "practitionerId": sw, "teamRole": "  " } }), "teamRole"),
        (json!({ "input": { "patientId": person, "practitionerId": sw, "teamRole": long } }), "teamRole"),
        (
            json!({ "input": { "patientId": person, "practitionerId": sw, "teamRole": "Social worker", "since": tomorrow } }),
            "since",
        ),
        (
            json!({ "input": { "patientId": person, "practitionerId": vcse.id.to_string(), "teamRole": "Befriender" } }),
            "practitionerId",
        ),
        (
            json!({ "input": { "patientId": person, "practitionerId": uuid::Uuid::now_v7().to_string(), "teamRole": "Nobody" } }),
            "practitionerId",
        ),
        (
            json!({ "input": { "patientId": "not-an-id", "practitionerId": sw, "teamRole": "Social worker" } }),
            "patientId",
        ),
    ];
    for (input, field) in cases {
        let reply = app.gql(&coordinator, ADD, input.clone()).await;
        assert_eq!(reply.error_code(), "BAD_USER_INPUT", "{input}: {}", reply.body);
        assert_eq!(reply.body["errors"][0]["extensions"]["field"], field, "{input}: {}", reply.body);
    }
    let no_one =
        app.gql(&coordinator, ADD, add_input(&uuid::Uuid::now_v7().to_string(), &sw, "Social worker", false)).await;
    assert_eq!(no_one.error_code(), "NOT_FOUND");
    assert_eq!(members(&app).await, before, "nothing stored");
}

/// The people the practitioner's token lists (every page).
async fn load(app: &TestApp, practitioner: &entity::practitioner::Model) -> Vec<String> {
    let token = app.token_for_practitioner(practitioner);
    let mut ids = Vec::new();
    let mut after = Value::Null;
    loop {
        let reply = app
            .gql(
                &token,
                "query($after: String) { patients(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { id } } }",
                json!({ "after": after }),
            )
            .await;
        let page = reply.data()["patients"].clone();
        ids.extend(page["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap().to_owned()));
        if page["pageInfo"]["hasNextPage"] != true {
            return ids;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}
