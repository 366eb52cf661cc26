//! A person's objection to sharing beyond their GP practice: recorded by the practice, honoured by
//! every path (the record, lists, counts, the agenda, a referral), opened only by break-glass
//! (which the privacy officer sees flagged), and withdrawn with its history kept.

use entity::ProfessionalRole as R;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};
use crate::scenarios::{create, pathway, reach};

const RECORD: &str = r#"mutation Object($input: SharingObjectionInput!) { recordSharingObjection(input: $input) {
    objection { id isStanding note recordedAt recordedBy { id } organisation { id } }
    patient { id accessLevel objectsToSharing } } }"#;
const WITHDRAW: &str = r#"mutation Withdraw($input: SharingObjectionInput!) { withdrawSharingObjection(input: $input) {
    objection { id isStanding withdrawnAt withdrawnBy { id } withdrawalNote }
    patient { objectsToSharing sharingObjections { id isStanding note withdrawalNote } } } }"#;
const OPEN: &str = r#"query OpenRecord($id: ID!) { patient(id: $id) { id accessLevel name } }"#;

async fn colleague(app: &TestApp, organisation: uuid::Uuid, role: R) -> entity::practitioner::Model {
    entity::practitioner::Entity::find()
        .filter(entity::practitioner::Column::OrganisationId.eq(organisation))
        .filter(entity::practitioner::Column::ProfessionalRole.eq(role))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("a {role:?} at the practice"))
}

async fn objections(app: &TestApp) -> u64 {
    entity::sharing_objection::Entity::find().count(&app.db).await.unwrap()
}

fn level(reply: &crate::helpers::Reply) -> Value {
    reply.body["data"]["patient"]["accessLevel"].clone()
}

#[tokio::test]
async fn an_objection_closes_the_record_beyond_the_practice_until_it_is_withdrawn() {
    let app = spawn_app().await;
    let p = pathway(&app).await;
    let person_id = p.patients[0].clone();
    let person = entity::patient::Entity::find_by_id(person_id.parse::<uuid::Uuid>().unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let practice = person.registered_practice_id;
    let receptionist = colleague(&app, practice, R::Receptionist).await;
    let front_desk = app.token_for_practitioner(&receptionist);
    let coordinator =
        app.token_for_practitioner(&app.practitioner_in(R::IntCoordinator, person.neighbourhood_id).await);
    let nurse_model = app.practitioner_in(R::DistrictNurse, person.neighbourhood_id).await;
    let nurse = app.token_for_practitioner(&nurse_model);
    // The GP refers the person to social prescribing: the link worker reaches them through it.
    let referral = create(&app, &p, &person_id).await;
    reach(&app, &p, &referral, "AWAITING_CONTACT").await;
    assert_eq!(level(&app.gql(&p.link_worker, OPEN, json!({ "id": person_id })).await), "FULL");
    assert_eq!(level(&app.gql(&coordinator, OPEN, json!({ "id": person_id })).await), "FULL");
    let count = |token: String| {
        let app = &app;
        let number = person.nhs_number.clone();
        async move {
            app.gql(
                &token,
                "query($q: String) { patients(filter: { search: $q }) { totalCount } }",
                json!({ "q": number }),
            )
            .await
            .body["data"]["patients"]["totalCount"]
                .clone()
        }
    };
    assert_eq!(count(coordinator.clone()).await, 1);

    // Refused to those who are not the person's practice, and on bad input; nothing stored.
    let before = objections(&app).await;
    for token in [coordinator.clone(), p.link_worker.clone()] {
        let refused = app.gql(&token, RECORD, json!({ "input": { "patientId": person_id } })).await;
        assert_eq!(refused.error_code(), "FORBIDDEN", "{}", refused.body);
    }
    let long =
        app.gql(&front_desk, RECORD, json!({ "input": { "patientId": person_id, "note": "x".repeat(2_001) } })).await;
    assert_eq!(long.body["errors"][0]["extensions"]["field"], "note");
    assert_eq!(objections(&app).await, before);

    // The practice's front desk records it.
    let recorded = app
        .gql(&front_desk, RECORD, json!({ "input": { "patientId": person_id, "note": "Only the surgery, please" } }))
        .await;
    let objection = recorded.data()["recordSharingObjection"].clone();
    assert_eq!(objection["objection"]["isStanding"], true);
    assert_eq!(objection["objection"]["recordedBy"]["id"], receptionist.id.to_string().as_str());
    assert_eq!(objection["objection"]["organisation"]["id"], practice.to_string().as_str());
    assert_eq!(objection["patient"]["objectsToSharing"], true);
    assert_eq!(objection["patient"]["accessLevel"], "ADMINISTRATIVE");
    let objection_id = objection["objection"]["id"].as_str().unwrap().to_owned();
    let again = app.gql(&front_desk, RECORD, json!({ "input": { "patientId": person_id } })).await;
    assert_eq!(again.error_code(), "CONFLICT");
    assert_eq!(again.body["errors"][0]["extensions"]["existingId"], objection_id.as_str());

    // The practice still reads everything; beyond it, no path opens the record.
    assert_eq!(level(&app.gql(&p.gp, OPEN, json!({ "id": person_id })).await), "FULL");
    assert_eq!(level(&app.gql(&front_desk, OPEN, json!({ "id": person_id })).await), "ADMINISTRATIVE");
    for token in [coordinator.clone(), p.link_worker.clone(), nurse.clone()] {
        let refused = app.gql(&token, OPEN, json!({ "id": person_id })).await;
        assert_eq!(refused.error_code(), "FORBIDDEN", "{}", refused.body);
    }
    assert_eq!(count(coordinator.clone()).await, 0, "a search that names them counts no one");
    // The referral they agreed to still tells its receiver whom to contact, and nothing more.
    let through = app
        .gql(
            &p.link_worker,
            "query($id: ID!) { referral(id: $id) { patient { accessLevel name conditions { code } } } }",
            json!({ "id": referral }),
        )
        .await;
    assert_eq!(through.body["data"]["referral"]["patient"]["accessLevel"], "SHARED_SUMMARY", "{}", through.body);
    assert!(through.body["data"]["referral"]["patient"]["name"].is_string());
    assert!(through.body["data"]["referral"]["patient"]["conditions"].is_null());
    // On an agenda: the item is there, the person is not, for an invitee beyond the practice.
    let me = app.gql(&coordinator, "{ me { neighbourhoods { id } } }", json!({})).await;
    let neighbourhood = me.data()["me"]["neighbourhoods"][0]["id"].as_str().unwrap().to_owned();
    let chair = app.practitioner_in(R::Gp, person.neighbourhood_id).await.id.to_string();
    let meeting = crate::scenarios::schedule_meeting(
        &app,
        &coordinator,
        &neighbourhood,
        &chair,
        chrono::Duration::hours(3),
        None,
    )
    .await;
    let added = app
        .gql(&p.gp, "mutation($input: AddMdtAgendaItemInput!) { addMdtAgendaItem(input: $input) { meeting { agenda { patient { accessLevel } } } } }",
            json!({ "input": { "meetingId": meeting["id"], "patientId": person_id, "reason": "Falls twice since June" } }))
        .await;
    assert_eq!(added.data()["addMdtAgendaItem"]["meeting"]["agenda"][0]["patient"]["accessLevel"], "FULL");
    let agenda = app
        .gql(
            &coordinator,
            "query($id: ID!) { mdtMeeting(id: $id) { agenda { position patient { name } reason } } }",
            json!({ "id": meeting["id"] }),
        )
        .await;
    let item = &agenda.body["data"]["mdtMeeting"]["agenda"][0];
    assert_eq!(item["position"], 0, "{}", agenda.body);
    assert!(item["patient"].is_null() && item["reason"].is_null(), "{}", agenda.body);
    assert!(!agenda.body.to_string().contains("Falls twice"), "{}", agenda.body);
    // Break-glass opens it, for a reason, and the privacy officer sees it flagged.
    let broken = app
        .gql(&nurse, "mutation($input: BreakGlassInput!) { breakGlass(input: $input) { access { patient { accessLevel } } } }",
            json!({ "input": { "patientId": person_id, "reason": "EMERGENCY_CARE", "detail": "Found collapsed at home" } }))
        .await;
    assert_eq!(broken.data()["breakGlass"]["access"]["patient"]["accessLevel"], "FULL");
    assert_eq!(level(&app.gql(&nurse, OPEN, json!({ "id": person_id })).await), "FULL");
    let officer = app.token_for_practitioner(&app.practitioner_in(R::PrivacyOfficer, person.neighbourhood_id).await);
    let flags = app.gql(&officer, "{ accessFlags { kind practitionerId } }", json!({})).await;
    assert!(
        flags.data()["accessFlags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "BREAK_GLASS_OVER_OBJECTION"
                && f["practitionerId"] == nurse_model.id.to_string().as_str()),
        "{}",
        flags.body
    );

    // Withdrawn: shared again, the history kept.
    let withdrawn = app
        .gql(&front_desk, WITHDRAW, json!({ "input": { "patientId": person_id, "note": "Talked it through" } }))
        .await;
    let w = withdrawn.data()["withdrawSharingObjection"].clone();
    assert_eq!(w["objection"]["isStanding"], false);
    assert_eq!(w["objection"]["withdrawnBy"]["id"], receptionist.id.to_string().as_str());
    assert_eq!(w["patient"]["objectsToSharing"], false);
    let history = w["patient"]["sharingObjections"].as_array().unwrap();
    assert!(history.iter().any(|o| o["id"] == objection_id.as_str()
        && o["isStanding"] == false
        && o["note"] == "Only the surgery, please"));
    assert_eq!(level(&app.gql(&coordinator, OPEN, json!({ "id": person_id })).await), "FULL");
    assert_eq!(level(&app.gql(&p.link_worker, OPEN, json!({ "id": person_id })).await), "FULL");
    assert_eq!(count(coordinator.clone()).await, 1);
    let twice = app.gql(&front_desk, WITHDRAW, json!({ "input": { "patientId": person_id } })).await;
    assert_eq!(twice.error_code(), "BAD_USER_INPUT");
    assert_eq!(twice.body["errors"][0]["extensions"]["field"], "patientId");
}

/// The coordinator's whole population, page after page, leaves out exactly the people whose
/// standing objection the demo recorded (at other practices than the coordinator's own), and no
/// one else; each of those is refused by id.
#[tokio::test]
async fn the_population_leaves_out_exactly_those_who_object() {
    let app = spawn_app().await;
    let neighbourhood = app.neighbourhoods().await[0].id;
    let coordinator_model = app.practitioner_in(R::IntCoordinator, neighbourhood).await;
    let coordinator = app.token_for_practitioner(&coordinator_model);
    let everyone: Vec<entity::patient::Model> = entity::patient::Entity::find()
        .filter(entity::patient::Column::NeighbourhoodId.eq(neighbourhood))
        .all(&app.db)
        .await
        .unwrap();
    let objecting: Vec<&entity::patient::Model> = everyone.iter().filter(|p| p.objects_to_sharing).collect();
    assert!(!objecting.is_empty(), "the demo records objections");
    let expected: std::collections::BTreeSet<String> = everyone
        .iter()
        .filter(|p| !p.objects_to_sharing || p.registered_practice_id == coordinator_model.organisation_id)
        .map(|p| p.id.to_string())
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    let mut after: Option<String> = None;
    loop {
        let reply = app
            .gql(&coordinator, "query($after: String, $n: ID) { patients(first: 100, after: $after, filter: { neighbourhoodId: $n }) { pageInfo { hasNextPage endCursor } nodes { id } } }",
                json!({ "after": after, "n": neighbourhood }))
            .await;
        let data = reply.data()["patients"].clone();
        seen.extend(data["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap().to_owned()));
        if data["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = data["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, expected);
    for person in objecting.iter().filter(|p| p.registered_practice_id != coordinator_model.organisation_id) {
        let refused = app.gql(&coordinator, OPEN, json!({ "id": person.id })).await;
        assert_eq!(refused.error_code(), "FORBIDDEN", "{}", refused.body);
        // A cursor naming them is answered like one naming no one.
        let cursor = domain::pagination::encode_cursor(&person.id);
        let forged = app
            .gql(
                &coordinator,
                "query($a: String) { patients(first: 1, after: $a) { nodes { id } } }",
                json!({ "a": cursor }),
            )
            .await;
        assert_eq!(forged.error_code(), "BAD_USER_INPUT", "{}", forged.body);
    }
}
