//! Sensitive categories (mental health, safeguarding, sexual health): a person's diagnosis in one
//! of them opens only to the clinical roles that read them, with a care relationship. Tried from
//! the side of a role that reads the rest of the full record: the record, its count, a selection,
//! the difference of two counts, a cohort (its count, its members, defining one), a proposed
//! agenda and the reasons of a suggested activity.

use std::collections::HashSet;

use entity::ProfessionalRole as R;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{json, Value};
use server::cli::DemoRole;
use uuid::Uuid;

use crate::helpers::{spawn_app, TestApp};
use crate::scenarios::SENSITIVE_CODES;

const DEPRESSION: &str = "35489007";
const RECORD: &str = r#"query Record($id: ID!) { patient(id: $id) { accessLevel conditionCount
    conditions { code sensitiveCategory } } }"#;
const COUNT: &str = r#"query Count($filter: PatientFilterInput) { patients(filter: $filter) { totalCount } }"#;
const ADD: &str =
    r#"mutation Add($input: AddCareTeamMemberInput!) { addCareTeamMember(input: $input) { member { id } } }"#;
const CREATE_COHORT: &str =
    r#"mutation($input: CreateCohortInput!) { createCohort(input: $input) { cohort { id memberCount } } }"#;
const COHORT: &str = r#"query($id: ID!) { cohort(id: $id) { memberCount } }"#;
const MEMBERS: &str = r#"query($id: ID!) { cohort(id: $id) { members(first: 5) { totalCount } } }"#;
const SUGGEST: &str = r#"query Suggest($p: ID!) { suggestCommunityAssets(patientId: $p, withinKm: 50, first: 50) { reasons asset { id } } }"#;

/// Someone registered at the GP's practice with depression and at least one other condition, and
/// no named care team yet.
async fn person_with_depression(app: &TestApp, practice: Uuid) -> (entity::patient::Model, Vec<String>) {
    let with_depression: HashSet<Uuid> = entity::patient_condition::Entity::find()
        .filter(entity::patient_condition::Column::SnomedCode.eq(DEPRESSION))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.patient_id)
        .collect();
    let teamed: HashSet<Uuid> = entity::care_team_member::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.patient_id)
        .collect();
    let mut people = entity::patient::Entity::find()
        .filter(entity::patient::Column::RegisteredPracticeId.eq(practice))
        .all(&app.db)
        .await
        .unwrap();
    people.sort_by_key(|p| p.id);
    for person in people {
        if !with_depression.contains(&person.id) || teamed.contains(&person.id) || person.objects_to_sharing {
            continue;
        }
        let codes: Vec<String> = entity::patient_condition::Entity::find()
            .filter(entity::patient_condition::Column::PatientId.eq(person.id))
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.snomed_code)
            .collect();
        if codes.iter().any(|c| !SENSITIVE_CODES.contains(&c.as_str())) {
            return (person, codes);
        }
    }
    panic!("the demo has someone at the practice with depression and another condition");
}

fn codes_of(reply: &Value) -> Vec<String> {
    let mut codes: Vec<String> = reply["data"]["patient"]["conditions"]
        .as_array()
        .unwrap_or_else(|| panic!("conditions: {reply}"))
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_owned())
        .collect();
    codes.sort();
    codes
}

#[tokio::test]
async fn a_mental_health_diagnosis_opens_only_to_clinical_roles_with_a_relationship() {
    let app = spawn_app().await;
    let gp_model = app.practitioner(DemoRole::Gp).await;
    let gp = app.token_for_practitioner(&gp_model);
    let (person, mut all) = person_with_depression(&app, gp_model.organisation_id).await;
    all.sort();
    let shared: Vec<String> = all.iter().filter(|c| !SENSITIVE_CODES.contains(&c.as_str())).cloned().collect();
    let id = json!({ "id": person.id.to_string() });
    let coordinator =
        app.token_for_practitioner(&app.practitioner_in(R::IntCoordinator, person.neighbourhood_id).await);
    let social_worker_model = app.practitioner_in(R::SocialWorker, person.neighbourhood_id).await;
    let nurse_model = app.practitioner_in(R::DistrictNurse, person.neighbourhood_id).await;

    // The GP reads every condition, marked with its category.
    let reply = app.gql(&gp, RECORD, id.clone()).await;
    assert_eq!(codes_of(&reply.body), all);
    assert_eq!(reply.data()["patient"]["conditionCount"], all.len());
    let depression = reply.data()["patient"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == DEPRESSION)
        .unwrap()
        .clone();
    assert_eq!(depression["sensitiveCategory"], "MENTAL_HEALTH");

    // The INT coordinator reads the full record, but not the diagnosis: neither in the list nor in
    // the count.
    let reply = app.gql(&coordinator, RECORD, id.clone()).await;
    assert_eq!(reply.data()["patient"]["accessLevel"], "FULL");
    assert_eq!(codes_of(&reply.body), shared);
    assert_eq!(reply.data()["patient"]["conditionCount"], shared.len());

    // Named in the care team, a social worker reads what the coordinator reads; a district nurse
    // (a clinical role) reads the diagnosis too.
    for (model, role) in [(&social_worker_model, "Social worker"), (&nurse_model, "Community matron")] {
        let input = json!({ "input": { "patientId": person.id.to_string(), "practitionerId": model.id.to_string(),
            "teamRole": role, "isCareCoordinator": false } });
        app.gql(&gp, ADD, input).await.data();
    }
    let social_worker = app.token_for_practitioner(&social_worker_model);
    let reply = app.gql(&social_worker, RECORD, id.clone()).await;
    assert_eq!(reply.data()["patient"]["accessLevel"], "FULL");
    assert_eq!(codes_of(&reply.body), shared);
    let nurse = app.token_for_practitioner(&nurse_model);
    assert_eq!(codes_of(&app.gql(&nurse, RECORD, id.clone()).await.body), all);

    // Selecting by the diagnosis, by its key or with another condition, is refused to the roles
    // that do not read it; nothing is counted.
    for codes in [json!([DEPRESSION]), json!(["depression"]), json!(["heart_failure", "serious_mental_illness"])] {
        for token in [&coordinator, &social_worker] {
            let filter = json!({ "filter": { "conditionCodes": codes, "conditionMatch": "ANY" } });
            let refused = app.gql(token, COUNT, filter).await;
            assert_eq!(refused.error_code(), "FORBIDDEN", "{}", refused.body);
            assert!(refused.error_message().contains("sensitive category"), "{}", refused.error_message());
            assert!(refused.body["data"].is_null() || refused.body["data"]["patients"].is_null());
        }
    }
    let by_depression = json!({ "filter": { "conditionCodes": [DEPRESSION], "search": person.nhs_number } });
    assert_eq!(app.gql(&gp, COUNT, by_depression).await.data()["patients"]["totalCount"], 1);

    // Nor can it be learnt from the difference of two counts: "at least as many conditions as the
    // GP counts" does not find the person for the coordinator.
    let at_least = |n: usize| json!({ "filter": { "minConditionCount": n, "search": person.nhs_number } });
    assert_eq!(app.gql(&gp, COUNT, at_least(all.len())).await.data()["patients"]["totalCount"], 1);
    for token in [&coordinator, &social_worker] {
        let counts = app.gql(token, COUNT, at_least(all.len())).await;
        assert_eq!(counts.data()["patients"]["totalCount"], 0);
        let counts = app.gql(token, COUNT, at_least(shared.len())).await;
        assert_eq!(counts.data()["patients"]["totalCount"], 1);
    }
    let order = r#"query($s: String) { patients(filter: { search: $s }, orderBy: { by: CONDITION_COUNT }) { nodes { conditionCount } } }"#;
    let listed = app.gql(&coordinator, order, json!({ "s": person.nhs_number })).await;
    assert_eq!(listed.data()["patients"]["nodes"][0]["conditionCount"], shared.len());
}

#[tokio::test]
async fn a_cohort_by_a_sensitive_condition_is_counted_only_by_those_who_read_it() {
    let app = spawn_app().await;
    let gp_model = app.practitioner(DemoRole::Gp).await;
    let gp = app.token_for_practitioner(&gp_model);
    let neighbourhood = app.gql(&gp, "{ me { neighbourhoods { id } } }", json!({})).await.data()["me"]
        ["neighbourhoods"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let coordinator = app.token(DemoRole::Coordinator).await;
    let commissioner = app.token(DemoRole::Commissioner).await;
    let define = |name: &str| {
        json!({ "input": { "neighbourhoodId": neighbourhood, "name": name,
            "criteria": { "conditionCodes": ["depression"], "ageMin": 65 } } })
    };

    // The coordinator may not define one, and nothing is saved.
    let before = entity::cohort::Entity::find().all(&app.db).await.unwrap().len();
    let refused = app.gql(&coordinator, CREATE_COHORT, define("Depression, 65+")).await;
    assert_eq!(refused.error_code(), "FORBIDDEN", "{}", refused.body);
    assert_eq!(entity::cohort::Entity::find().all(&app.db).await.unwrap().len(), before);

    // The GP may, and counts the people registered with the practice.
    let created = app.gql(&gp, CREATE_COHORT, define("Depression, 65+")).await;
    let cohort = created.data()["createCohort"]["cohort"].clone();
    let gp_count = cohort["memberCount"].as_u64().expect("the GP's exact count");
    assert!(gp_count > 0, "{}", created.body);
    let id = json!({ "id": cohort["id"] });

    // The coordinator sees the definition in the list but neither its count nor its members.
    for query in [COHORT, MEMBERS] {
        let refused = app.gql(&coordinator, query, id.clone()).await;
        assert_eq!(refused.error_code(), "FORBIDDEN", "{query}: {}", refused.body);
        assert!(refused.error_message().contains("sensitive category"), "{}", refused.error_message());
    }
    // Nor through a proposed agenda built on it.
    let meetings = app
        .gql(
            &coordinator,
            "query($n: ID!) { mdtMeetings(neighbourhoodId: $n, upcoming: true) { nodes { id } } }",
            json!({ "n": neighbourhood }),
        )
        .await;
    let meeting = meetings.data()["mdtMeetings"]["nodes"][0]["id"].clone();
    assert!(meeting.is_string(), "the demo has a meeting: {}", meetings.body);
    let propose = r#"query($input: ProposeMdtAgendaInput!) { proposeMdtAgenda(input: $input) { patient { id } } }"#;
    for input in [
        json!({ "meetingId": meeting, "cohortId": cohort["id"] }),
        json!({ "meetingId": meeting, "criteria": { "conditionCodes": [DEPRESSION] } }),
    ] {
        let refused = app.gql(&coordinator, propose, json!({ "input": input })).await;
        assert_eq!(refused.error_code(), "FORBIDDEN", "{}", refused.body);
    }

    // The commissioner sees published statistics: suppressed and rounded, counting every condition
    // (no one's diagnosis can be read from them).
    let published = app.gql(&commissioner, COHORT, id.clone()).await;
    assert!(published.body["errors"].is_null(), "{}", published.body);
    let count = &published.data()["cohort"]["memberCount"];
    assert!(count.is_null() || count.as_u64().is_some_and(|n| n % 5 == 0), "{count}");
}

#[tokio::test]
async fn a_suggested_activity_does_not_name_a_diagnosis_the_reader_does_not_read() {
    let app = spawn_app().await;
    let gp_model = app.practitioner(DemoRole::Gp).await;
    let gp = app.token_for_practitioner(&gp_model);
    let (person, _) = person_with_depression(&app, gp_model.organisation_id).await;
    let coordinator =
        app.token_for_practitioner(&app.practitioner_in(R::IntCoordinator, person.neighbourhood_id).await);
    let p = json!({ "p": person.id.to_string() });

    // Every activity suggested to the GP is said to be meant for people with depression.
    let suggested = app.gql(&gp, SUGGEST, p.clone()).await;
    let assets: Vec<Uuid> = suggested.data()["suggestCommunityAssets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["asset"]["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(!assets.is_empty(), "activities are suggested: {}", suggested.body);
    for asset in &assets {
        let row = entity::community_asset_condition::ActiveModel {
            asset_id: Set(*asset),
            snomed_code: Set(DEPRESSION.to_owned()),
        };
        if entity::community_asset_condition::Entity::find_by_id((*asset, DEPRESSION.to_owned()))
            .one(&app.db)
            .await
            .unwrap()
            .is_none()
        {
            row.insert(&app.db).await.unwrap();
        }
    }
    let reasons = |reply: &crate::helpers::Reply| -> Vec<String> {
        reply.data()["suggestCommunityAssets"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_owned()))
            .collect()
    };
    let for_gp = reasons(&app.gql(&gp, SUGGEST, p.clone()).await);
    assert!(for_gp.iter().any(|r| r == "meant for people with Depression"), "{for_gp:?}");
    let for_coordinator = reasons(&app.gql(&coordinator, SUGGEST, p).await);
    assert!(!for_coordinator.is_empty());
    assert!(!for_coordinator.iter().any(|r| r.contains("Depression")), "{for_coordinator:?}");
}
