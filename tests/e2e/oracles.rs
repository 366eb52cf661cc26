//! Answers that are about a person without returning their record: counts whose criteria single
//! someone out, a page read only for its cursors, MDT actions keyed by a person, a cursor forged
//! from a person the caller may not see. Each is either an audited read of the people it is about
//! or answered exactly as if that person did not exist.

use entity::ProfessionalRole;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use server::cli::DemoRole;

use crate::helpers::{spawn_app, AuditRow, TestApp};

/// The audit rows written since `before` rows existed.
async fn new_rows(app: &TestApp, before: usize) -> Vec<AuditRow> {
    app.audit_trail().await.split_off(before)
}

/// The demo coordinator's token and their neighbourhood.
async fn coordinator_of(app: &TestApp) -> (String, uuid::Uuid) {
    let coordinator = app.token(DemoRole::Coordinator).await;
    let me = app.gql(&coordinator, "{ me { neighbourhoods { id } } }", json!({})).await;
    let neighbourhood = me.data()["me"]["neighbourhoods"][0]["id"].as_str().unwrap().parse().unwrap();
    (coordinator, neighbourhood)
}

/// The coordinator, and a person of their neighbourhood with at least one coded condition (and
/// one condition code they do not have).
async fn someone(app: &TestApp) -> (String, entity::patient::Model, String, String) {
    let (coordinator, neighbourhood) = coordinator_of(app).await;
    let people = entity::patient::Entity::find()
        .filter(entity::patient::Column::NeighbourhoodId.eq(neighbourhood))
        .order_by_asc(entity::patient::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    let conditions = entity::patient_condition::Entity::find().all(&app.db).await.unwrap();
    let catalogue: Vec<String> = domain::conditions::catalogue().iter().map(|c| c.snomed_code.clone()).collect();
    for person in people {
        let theirs: Vec<&String> =
            conditions.iter().filter(|c| c.patient_id == person.id).map(|c| &c.snomed_code).collect();
        if let (Some(has), Some(lacks)) = (theirs.first(), catalogue.iter().find(|c| !theirs.contains(c))) {
            return (coordinator, person.clone(), (*has).clone(), lacks.clone());
        }
    }
    panic!("someone with a condition");
}

/// "Has this person that condition?" asked as a count, with an NHS number or a name: answered 1 or
/// 0, and either way an audited read of the person the search names, with the path in its own
/// column.
#[tokio::test]
async fn a_count_that_names_a_person_is_an_audited_read_of_them() {
    let app = spawn_app().await;
    let (coordinator, person, has, lacks) = someone(&app).await;
    const COUNT: &str = "query Oracle($s: String, $c: [String!]) { patients(filter: { search: $s, conditionCodes: $c }) { totalCount } }";
    for (search, code, expected) in [
        (person.nhs_number.clone(), &has, 1),
        (person.nhs_number.clone(), &lacks, 0),
        (format!("{} {}", person.given_name, person.family_name), &has, 1),
    ] {
        let before = app.audit_trail().await.len();
        let reply = app.gql(&coordinator, COUNT, json!({ "s": search, "c": [code] })).await;
        let count = reply.data()["patients"]["totalCount"].as_u64().unwrap();
        assert!(count >= expected, "{search} {code}: {count}");
        if search.chars().all(|c| c.is_ascii_digit()) {
            assert_eq!(count, expected);
        }
        let rows = new_rows(&app, before).await;
        assert!(rows.iter().any(|r| r.patient_id == person.id), "{search} / {code} answered {count}: {rows:?}");
        let row = rows.iter().find(|r| r.patient_id == person.id).unwrap();
        assert_eq!(row.operation, "query Oracle");
        assert_eq!(row.field_path.as_deref(), Some("patients.totalCount"));
        assert_eq!(row.access_reason, "neighbourhood_member");
    }

    // A page answers the same question (an empty page: "no"): the person is read either way.
    let before = app.audit_trail().await.len();
    let page = app
        .gql(
            &coordinator,
            "query($s: String, $c: [String!]) { patients(filter: { search: $s, conditionCodes: $c }) { nodes { id } } }",
            json!({ "s": person.nhs_number, "c": [lacks] }),
        )
        .await;
    assert_eq!(page.data()["patients"]["nodes"], json!([]));
    assert!(new_rows(&app, before).await.iter().any(|r| r.patient_id == person.id), "the empty answer is audited");

    // A count of a broad selection singles out no one: no read, no row.
    let before = app.audit_trail().await.len();
    let broad = app.gql(&coordinator, "{ patients(filter: { ageMin: 18 }) { totalCount } }", json!({})).await;
    assert!(broad.data()["patients"]["totalCount"].as_u64().unwrap() > 100);
    assert!(new_rows(&app, before).await.is_empty());
}

/// A cohort of one (or of up to four) singles its people out, counted or saved.
#[tokio::test]
async fn a_small_count_is_an_audited_read_of_the_people_it_counts() {
    let app = spawn_app().await;
    let (coordinator, n) = coordinator_of(&app).await;
    let neighbourhood = json!(n.to_string());
    let mut people = entity::patient::Entity::find()
        .filter(entity::patient::Column::NeighbourhoodId.eq(n))
        .order_by_asc(entity::patient::Column::DateOfBirth)
        .all(&app.db)
        .await
        .unwrap();
    people.truncate(2);
    let today = api::context::uk_today();
    let age = domain::patients::age_on(people[1].date_of_birth, today);
    let oldest: Vec<uuid::Uuid> = entity::patient::Entity::find()
        .filter(entity::patient::Column::NeighbourhoodId.eq(n))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|p| domain::patients::age_on(p.date_of_birth, today) >= age)
        .map(|p| p.id)
        .collect();
    assert!((1..5).contains(&oldest.len()), "a small group of the oldest: {}", oldest.len());

    let before = app.audit_trail().await.len();
    let reply = app
        .gql(
            &coordinator,
            "query($n: ID, $a: Int) { patients(filter: { neighbourhoodId: $n, ageMin: $a }) { totalCount } }",
            json!({ "n": neighbourhood, "a": age }),
        )
        .await;
    assert_eq!(reply.data()["patients"]["totalCount"], json!(oldest.len()));
    let read: std::collections::HashSet<uuid::Uuid> =
        new_rows(&app, before).await.iter().map(|r| r.patient_id).collect();
    assert_eq!(read, oldest.iter().copied().collect(), "every person counted is read");

    // The same as a saved cohort's member count.
    let created = app
        .gql(
            &coordinator,
            "mutation($input: CreateCohortInput!) { createCohort(input: $input) { cohort { id } } }",
            json!({ "input": { "neighbourhoodId": neighbourhood, "name": "The oldest", "criteria": { "ageMin": age } } }),
        )
        .await;
    let id = created.data()["createCohort"]["cohort"]["id"].clone();
    let before = app.audit_trail().await.len();
    let counted =
        app.gql(&coordinator, "query($id: ID!) { cohort(id: $id) { memberCount } }", json!({ "id": id })).await;
    assert_eq!(counted.data()["cohort"]["memberCount"], json!(oldest.len()));
    let rows = new_rows(&app, before).await;
    let read: std::collections::HashSet<uuid::Uuid> = rows.iter().map(|r| r.patient_id).collect();
    assert_eq!(read, oldest.iter().copied().collect());
    assert_eq!(rows[0].field_path.as_deref(), Some("cohort.memberCount"));
}

/// A cursor is a person's id: a page read only for its cursors (or its page info) reads the
/// people on it.
#[tokio::test]
async fn a_page_read_only_for_its_cursors_is_audited() {
    let app = spawn_app().await;
    let coordinator = app.token(DemoRole::Coordinator).await;
    for (query, expected) in [
        ("{ patients(first: 5) { edges { cursor } } }", 5),
        ("{ patients(first: 3) { pageInfo { endCursor hasNextPage } } }", 3),
        ("{ cohorts(first: 1) { nodes { members(first: 4) { edges { cursor } } } } }", 4),
    ] {
        let before = app.audit_trail().await.len();
        app.gql(&coordinator, query, json!({})).await.data();
        assert_eq!(new_rows(&app, before).await.len(), expected, "{query}");
    }
}

/// MDT actions name the person they are about: every list of them is an audited read of those
/// people, and the coordinator's overdue list shows only people whose record they may open.
#[tokio::test]
async fn lists_of_mdt_actions_are_audited_reads_of_the_people_they_are_about() {
    let app = spawn_app().await;
    let (coordinator, neighbourhood) = coordinator_of(&app).await;
    let neighbourhood = json!(neighbourhood.to_string());
    let before = app.audit_trail().await.len();
    let overdue = app
        .gql(
            &coordinator,
            "query($n: ID!) { overdueMdtActions(neighbourhoodId: $n) { text patientId } }",
            json!({ "n": neighbourhood }),
        )
        .await;
    let actions = overdue.data()["overdueMdtActions"].as_array().unwrap().clone();
    assert!(!actions.is_empty(), "the demo has overdue actions");
    let rows = new_rows(&app, before).await;
    for action in &actions {
        assert!(
            rows.iter().any(|r| r.patient_id.to_string() == action["patientId"].as_str().unwrap()
                && r.field_path.as_deref() == Some("overdueMdtActions")),
            "{action}"
        );
    }

    let owned = entity::mdt_action::Entity::find()
        .filter(entity::mdt_action::Column::OwnerPractitionerId.is_not_null())
        .filter(entity::mdt_action::Column::Status.eq(entity::PlanActionStatus::Open))
        .one(&app.db)
        .await
        .unwrap()
        .expect("an open action with an owner");
    let owner = entity::practitioner::Entity::find_by_id(owned.owner_practitioner_id.unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let token = app.token_for_practitioner(&owner);
    let before = app.audit_trail().await.len();
    let mine = app.gql(&token, "{ myMdtActions { id patientId } }", json!({})).await;
    let mine = mine.data()["myMdtActions"].as_array().unwrap().clone();
    assert!(mine.iter().any(|a| a["id"] == owned.id.to_string()));
    let rows = new_rows(&app, before).await;
    for action in &mine {
        assert!(rows.iter().any(|r| r.patient_id.to_string() == action["patientId"].as_str().unwrap()), "{action}");
    }
}

/// An operation name longer than the operation column keeps its field path whole.
#[tokio::test]
async fn a_long_operation_name_does_not_push_the_path_out_of_the_trail() {
    let app = spawn_app().await;
    let coordinator = app.token(DemoRole::Coordinator).await;
    let name = "A".repeat(400);
    let before = app.audit_trail().await.len();
    app.gql(&coordinator, &format!("query {name} {{ patients(first: 2) {{ nodes {{ id }} }} }}"), json!({}))
        .await
        .data();
    let rows = new_rows(&app, before).await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].operation.chars().count(), 300, "the operation is cut");
    assert_eq!(rows[0].field_path.as_deref(), Some("patients"), "the path is whole");
}

/// A cursor forged from a person of another neighbourhood (or from a referral between other
/// organisations) is answered exactly like a cursor naming no row at all: no rows next to the
/// hidden person, no way to tell hidden from unknown.
#[tokio::test]
async fn a_forged_cursor_is_answered_as_one_naming_nothing() {
    let app = spawn_app().await;
    let neighbourhoods = app.neighbourhoods().await;
    let gp_a = app.practitioner_in(ProfessionalRole::Gp, neighbourhoods[0].id).await;
    let token = app.token_for_practitioner(&gp_a);
    let hidden = entity::patient::Entity::find()
        .filter(entity::patient::Column::NeighbourhoodId.eq(neighbourhoods[1].id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    const PAGE: &str = "query($after: String) { patients(first: 3, after: $after) { nodes { id name } } }";
    let hidden_cursor = domain::pagination::encode_cursor(&hidden.id);
    let unknown_cursor = domain::pagination::encode_cursor(&uuid::Uuid::new_v4());
    let a = app.gql(&token, PAGE, json!({ "after": hidden_cursor })).await;
    let b = app.gql(&token, PAGE, json!({ "after": unknown_cursor })).await;
    assert_eq!(a.error_code(), "BAD_USER_INPUT");
    assert!(a.body["data"].is_null() || a.body["data"]["patients"].is_null(), "{}", a.body);
    assert_eq!(a.body["errors"], b.body["errors"], "hidden and unknown answer alike");
    // In every order: a cursor's sort values are read only from a person the caller may see.
    const ORDERED: &str = "query($after: String, $by: PatientSortField!) { patients(first: 3, after: $after, orderBy: { by: $by, direction: DESC }) { nodes { id name } } }";
    for by in ["NAME", "EFI_SCORE", "CLINICAL_FRAILTY_SCALE", "CONDITION_COUNT"] {
        let a = app.gql(&token, ORDERED, json!({ "after": hidden_cursor, "by": by })).await;
        let b = app.gql(&token, ORDERED, json!({ "after": unknown_cursor, "by": by })).await;
        assert_eq!(a.error_code(), "BAD_USER_INPUT", "{by}: {}", a.body);
        assert_eq!(a.body, b.body, "{by}: hidden and unknown answer alike");
    }

    // A referral between other organisations, as a cursor of the caller's own referral list.
    let outside = entity::referral::Entity::find()
        .filter(entity::referral::Column::ReferringOrganisationId.ne(gp_a.organisation_id))
        .filter(entity::referral::Column::ReceivingOrganisationId.ne(gp_a.organisation_id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    const REFERRALS: &str = "query($after: String) { referrals(first: 3, after: $after) { nodes { id } } }";
    let a = app.gql(&token, REFERRALS, json!({ "after": domain::pagination::encode_cursor(&outside.id) })).await;
    let b = app.gql(&token, REFERRALS, json!({ "after": unknown_cursor })).await;
    assert_eq!(a.error_code(), "BAD_USER_INPUT");
    assert_eq!(a.body["errors"], b.body["errors"]);
    // The caller's own cursors still work.
    let first = app.gql(&token, "{ patients(first: 2) { pageInfo { endCursor } } }", json!({})).await;
    let cursor = first.data()["patients"]["pageInfo"]["endCursor"].clone();
    assert_eq!(
        app.gql(&token, PAGE, json!({ "after": cursor })).await.data()["patients"]["nodes"].as_array().unwrap().len(),
        3
    );
}

/// A question about the health of the few people an age and a practice single out is about them,
/// whatever it answers: "has the oldest person of this practice that condition?" answered 0 is an
/// audited read of them as much as 1 is.
#[tokio::test]
async fn a_zero_about_people_singled_out_by_age_and_practice_is_an_audited_read() {
    let app = spawn_app().await;
    let (coordinator, neighbourhood) = coordinator_of(&app).await;
    let mut people = entity::patient::Entity::find()
        .filter(entity::patient::Column::NeighbourhoodId.eq(neighbourhood))
        .order_by_asc(entity::patient::Column::DateOfBirth)
        .all(&app.db)
        .await
        .unwrap();
    let practice = people[0].registered_practice_id;
    people.retain(|p| p.registered_practice_id == practice);
    let today = api::context::uk_today();
    let age = domain::patients::age_on(people[0].date_of_birth, today);
    let singled: Vec<uuid::Uuid> =
        people.iter().filter(|p| domain::patients::age_on(p.date_of_birth, today) >= age).map(|p| p.id).collect();
    assert!((1..5).contains(&singled.len()));
    let conditions = entity::patient_condition::Entity::find().all(&app.db).await.unwrap();
    let lacking = domain::conditions::catalogue()
        .iter()
        .map(|c| c.snomed_code.clone())
        .find(|code| !conditions.iter().any(|c| singled.contains(&c.patient_id) && &c.snomed_code == code))
        .expect("a condition none of them has");
    let before = app.audit_trail().await.len();
    let reply = app
        .gql(
            &coordinator,
            "query($p: ID, $a: Int, $c: [String!]) { patients(filter: { practiceId: $p, ageMin: $a, conditionCodes: $c }) { totalCount } }",
            json!({ "p": practice.to_string(), "a": age, "c": [lacking] }),
        )
        .await;
    assert_eq!(reply.data()["patients"]["totalCount"], 0);
    let read: std::collections::HashSet<uuid::Uuid> =
        new_rows(&app, before).await.iter().map(|r| r.patient_id).collect();
    assert_eq!(read, singled.iter().copied().collect(), "the people the question is about are read");
}

/// A cursor of a person the caller may see pages on from them whether or not they match the
/// filter: the answer never says whether they do.
#[tokio::test]
async fn a_cursor_does_not_say_whether_its_person_matches_the_filter() {
    let app = spawn_app().await;
    let (coordinator, person, has, lacks) = someone(&app).await;
    const PAGE: &str = "query($after: String, $c: [String!]) { patients(first: 3, after: $after, filter: { conditionCodes: $c }) { nodes { id } } }";
    const NEXT: &str = "query($after: String) { patients(first: 100, after: $after) { nodes { id } } }";
    let cursor = domain::pagination::encode_cursor(&person.id);
    let conditions = entity::patient_condition::Entity::find().all(&app.db).await.unwrap();
    // The people after the cursor's person in the list's own order, unfiltered.
    let next: Vec<String> = app.gql(&coordinator, NEXT, json!({ "after": cursor })).await.data()["patients"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect();
    for code in [&has, &lacks] {
        let reply = app.gql(&coordinator, PAGE, json!({ "after": cursor, "c": [code] })).await;
        let page: Vec<String> = reply.data()["patients"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap().to_owned())
            .collect();
        let expected: Vec<String> = next
            .iter()
            .filter(|id| conditions.iter().any(|c| c.patient_id.to_string() == **id && &c.snomed_code == code))
            .take(3)
            .cloned()
            .collect();
        assert!(page.starts_with(&expected) || expected.starts_with(&page), "{code}: {page:?} vs {expected:?}");
        assert!(!page.contains(&person.id.to_string()));
    }
}
