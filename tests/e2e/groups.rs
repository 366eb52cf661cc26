//! Support groups: a link worker runs a group for people waiting, schedules sessions, adds members
//! (within capacity, once each) and keeps the register; members are shown only under a grant.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};
use crate::scenarios::{create, pathway, reach, Pathway};

const CREATE_GROUP: &str = r#"mutation($input: CreateSupportGroupInput!) { createSupportGroup(input: $input) {
    group { id name focusNeed capacity memberCount spacesLeft leader { id } organisation { kind } } } }"#;
const SCHEDULE: &str = r#"mutation($input: ScheduleGroupSessionInput!) { scheduleGroupSession(input: $input) {
    session { id startsAt durationMinutes place } } }"#;
const ADD: &str = r#"mutation($input: AddGroupParticipantInput!) { addGroupParticipant(input: $input) {
    participant { id isCurrent patient { id } referral { id status } } } }"#;
const REMOVE: &str = r#"mutation($id: ID!) { removeGroupParticipant(input: { participantId: $id }) {
    participant { id isCurrent leftAt } } }"#;
const REGISTER: &str = r#"mutation($input: RecordAttendanceInput!) { recordAttendance(input: $input) {
    attendance { participantId status } } }"#;
const GROUP: &str = r#"query($id: ID!) { supportGroup(id: $id) { name memberCount spacesLeft
    sessions { id place attendance { participantId status recordedBy { id } } }
    participants(includeLeft: true) { id isCurrent patient { id name } } } }"#;

fn field(reply: &crate::helpers::Reply) -> Value {
    reply.body["errors"][0]["extensions"]["field"].clone()
}

async fn neighbourhood_of(app: &TestApp, p: &Pathway) -> String {
    let reply = app
        .gql(&p.gp, "query($id: ID!) { patient(id: $id) { neighbourhood { id } } }", json!({ "id": p.patients[0] }))
        .await;
    reply.data()["patient"]["neighbourhood"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_link_worker_runs_a_waiting_list_group_with_capacity_membership_and_a_register() {
    let app = spawn_app().await;
    let p = pathway(&app).await;
    let neighbourhood = neighbourhood_of(&app, &p).await;

    let bad = app
        .gql(
            &p.link_worker,
            CREATE_GROUP,
            json!({ "input": { "neighbourhoodId": neighbourhood, "name": " ", "capacity": 2 } }),
        )
        .await;
    assert_eq!(field(&bad), "name");
    let zero = app
        .gql(
            &p.link_worker,
            CREATE_GROUP,
            json!({ "input": { "neighbourhoodId": neighbourhood, "name": "Café", "capacity": 0 } }),
        )
        .await;
    assert_eq!(field(&zero), "capacity");
    let created = app
        .gql(
            &p.link_worker,
            CREATE_GROUP,
            json!({ "input": { "neighbourhoodId": neighbourhood, "name": "Waiting-list wellbeing café",
                "description": "Tea, company and a chat while you wait for your link worker",
                "focusNeed": "LONELINESS_OR_ISOLATION", "capacity": 2 } }),
        )
        .await;
    let group = created.data()["createSupportGroup"]["group"].clone();
    assert_eq!(group["organisation"]["kind"], "SPLW_PROVIDER");
    assert_eq!(group["spacesLeft"], 2);
    let group_id = group["id"].as_str().unwrap().to_owned();

    // Under way: members who join now were members during it.
    let past = (chrono::Utc::now() - chrono::Duration::minutes(30)).to_rfc3339();
    let future = (chrono::Utc::now() + chrono::Duration::days(6)).to_rfc3339();
    let session = |starts: &str, minutes: i32| json!({ "input": { "groupId": group_id, "startsAt": starts, "durationMinutes": minutes, "place": "Arnold Library community room" } });
    assert_eq!(field(&app.gql(&p.link_worker, SCHEDULE, session(&past, 0)).await), "durationMinutes");
    assert_eq!(app.gql(&p.gp, SCHEDULE, session(&past, 90)).await.error_code(), "FORBIDDEN", "not the GP's group");
    let held = app.gql(&p.link_worker, SCHEDULE, session(&past, 90)).await;
    let held_id = held.data()["scheduleGroupSession"]["session"]["id"].as_str().unwrap().to_owned();
    let next = app.gql(&p.link_worker, SCHEDULE, session(&future, 90)).await;
    let next_id = next.data()["scheduleGroupSession"]["session"]["id"].as_str().unwrap().to_owned();

    // Members join under the referral they are waiting on; the group fills, and nobody joins twice.
    let mut members = Vec::new();
    for patient in &p.patients[0..2] {
        let referral = create(&app, &p, patient).await;
        reach(&app, &p, &referral, "AWAITING_CONTACT").await;
        let added = app
            .gql(
                &p.link_worker,
                ADD,
                json!({ "input": { "groupId": group_id, "patientId": patient, "referralId": referral } }),
            )
            .await;
        let participant = &added.data()["addGroupParticipant"]["participant"];
        assert_eq!(participant["referral"]["status"], "AWAITING_CONTACT");
        members.push(participant["id"].as_str().unwrap().to_owned());
    }
    let again =
        app.gql(&p.link_worker, ADD, json!({ "input": { "groupId": group_id, "patientId": p.patients[0] } })).await;
    assert_eq!(again.error_code(), "CONFLICT");
    // Someone else referred to the service, whom the worker reaches: the group has no room.
    create(&app, &p, &p.patients[2]).await;
    let full =
        app.gql(&p.link_worker, ADD, json!({ "input": { "groupId": group_id, "patientId": p.patients[2] } })).await;
    assert_eq!(full.error_code(), "CONFLICT");
    assert!(full.error_message().contains("full (2 of 2)"), "{}", full.error_message());
    let other_referral = create(&app, &p, &p.patients[3]).await;
    let wrong = app
        .gql(
            &p.link_worker,
            ADD,
            json!({ "input": { "groupId": group_id, "patientId": p.patients[1], "referralId": other_referral } }),
        )
        .await;
    assert_eq!(field(&wrong), "referralId", "a referral for someone else is refused: {}", wrong.body);

    // The register: only past sessions, only members, one entry each; a correction replaces.
    let entries = |status: &str| json!([{ "participantId": members[0], "status": "ATTENDED" }, { "participantId": members[1], "status": status }]);
    let early = app
        .gql(&p.link_worker, REGISTER, json!({ "input": { "sessionId": next_id, "entries": entries("ATTENDED") } }))
        .await;
    assert_eq!(field(&early), "sessionId");
    let twice = json!([{ "participantId": members[0], "status": "ATTENDED" }, { "participantId": members[0], "status": "APOLOGIES" }]);
    let dup = app.gql(&p.link_worker, REGISTER, json!({ "input": { "sessionId": held_id, "entries": twice } })).await;
    assert_eq!(field(&dup), "entries");
    let stranger = json!([{ "participantId": uuid::Uuid::nil().to_string(), "status": "ATTENDED" }]);
    let not_member =
        app.gql(&p.link_worker, REGISTER, json!({ "input": { "sessionId": held_id, "entries": stranger } })).await;
    assert_eq!(field(&not_member), "entries");
    app.gql(
        &p.link_worker,
        REGISTER,
        json!({ "input": { "sessionId": held_id, "entries": entries("DID_NOT_ATTEND") } }),
    )
    .await
    .data();
    let corrected = app
        .gql(&p.link_worker, REGISTER, json!({ "input": { "sessionId": held_id, "entries": entries("APOLOGIES") } }))
        .await;
    assert_eq!(corrected.data()["recordAttendance"]["attendance"][1]["status"], "APOLOGIES");

    let before_joining = app
        .gql(&p.link_worker, SCHEDULE, session(&(chrono::Utc::now() - chrono::Duration::days(2)).to_rfc3339(), 90))
        .await;
    let before_id = before_joining.data()["scheduleGroupSession"]["session"]["id"].as_str().unwrap().to_owned();
    let not_yet = app
        .gql(&p.link_worker, REGISTER, json!({ "input": { "sessionId": before_id, "entries": entries("ATTENDED") } }))
        .await;
    assert!(not_yet.error_message().contains("was not a member of the group at the time"), "{}", not_yet.body);

    // Leaving frees the place and keeps the history.
    let left = app.gql(&p.link_worker, REMOVE, json!({ "id": members[1] })).await;
    assert_eq!(left.data()["removeGroupParticipant"]["participant"]["isCurrent"], false);
    assert_eq!(app.gql(&p.link_worker, REMOVE, json!({ "id": members[1] })).await.error_code(), "INVALID_TRANSITION");

    let read = app.gql(&p.gp, GROUP, json!({ "id": group_id })).await;
    let g = &read.data()["supportGroup"];
    assert_eq!(g["memberCount"], 1);
    assert_eq!(g["spacesLeft"], 1);
    assert_eq!(g["participants"].as_array().unwrap().len(), 2, "current and past members");
    let register = &g["sessions"][1]["attendance"];
    let statuses: Vec<&str> = register.as_array().unwrap().iter().map(|e| e["status"].as_str().unwrap()).collect();
    assert_eq!(statuses.len(), 2);
    assert!(statuses.contains(&"ATTENDED") && statuses.contains(&"APOLOGIES"), "{statuses:?}");
    // Earliest first: the one before anyone joined, the one under way, the next one.
    assert_eq!(g["sessions"][0]["attendance"], json!([]));
    assert_eq!(g["sessions"][2]["attendance"], json!([]));

    // A VCSE worker of the neighbourhood sees the group but not who is in it.
    let vcse_worker = app.practitioner_in(entity::ProfessionalRole::VcseWorker, neighbourhood.parse().unwrap()).await;
    let vcse = app.token_for_practitioner(&vcse_worker);
    let list = app.gql(&vcse, "{ supportGroups { nodes { id name memberCount } } }", json!({})).await;
    assert!(list.data()["supportGroups"]["nodes"].as_array().unwrap().iter().any(|n| n["id"] == group_id.as_str()));
    let members_read = app.gql(&vcse, GROUP, json!({ "id": group_id })).await;
    assert_eq!(members_read.error_code(), "FORBIDDEN");
}
