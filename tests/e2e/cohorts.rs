//! Saved cohorts: definitions, member counts that match a brute-force count, members, and the
//! rules on creating and deleting them.

use domain::frailty::FrailtyCategory;
use domain::patients::age_on;
use serde_json::{json, Value};
use server::cli::DemoRole;
use uuid::Uuid;

use crate::helpers::spawn_app;
use crate::scenarios::{category, collect_ids, population};

#[tokio::test]
async fn member_counts_match_a_brute_force_count_over_the_demo_data() {
    let app = spawn_app().await;
    let coordinator = app.practitioner(DemoRole::Coordinator).await;
    let token = app.token_for_practitioner(&coordinator);
    let reply = app
        .gql(
            &token,
            r#"{ cohorts(first: 50) { totalCount nodes { id name memberCount neighbourhood { id }
                 definition { frailtyCategories minConditionCount conditions { code } conditionMatch ageMin ageMax practice { id } } } } }"#,
            json!({}),
        )
        .await;
    let cohorts = reply.data()["cohorts"]["nodes"].as_array().unwrap().clone();
    assert!(cohorts.len() >= 3, "the demo saves cohorts: {}", reply.body);
    let today = chrono::Utc::now().date_naive();
    for cohort in &cohorts {
        let neighbourhood: Uuid = cohort["neighbourhood"]["id"].as_str().unwrap().parse().unwrap();
        // The coordinator's exact counts count the conditions their role reads, of the people whose
        // record they read: not those objecting to sharing beyond their practice.
        let pop = population(&app, &[neighbourhood]).await.without_sensitive().read_by(coordinator.organisation_id);
        let d = &cohort["definition"];
        let categories: Vec<FrailtyCategory> = serde_json::from_value(d["frailtyCategories"].clone()).unwrap();
        let codes: Vec<String> =
            d["conditions"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap().to_owned()).collect();
        let any = d["conditionMatch"] == "ANY";
        let min = d["minConditionCount"].as_u64();
        let (age_min, age_max) = (d["ageMin"].as_i64(), d["ageMax"].as_i64());
        let practice = d["practice"]["id"].as_str().map(|s| s.parse::<Uuid>().unwrap());
        let expected = pop.ids_where(|p, c| {
            (categories.is_empty() || category(p).is_some_and(|k| categories.contains(&k)))
                && min.is_none_or(|m| c.len() as u64 >= m)
                && (codes.is_empty()
                    || if any { codes.iter().any(|x| c.contains(x)) } else { codes.iter().all(|x| c.contains(x)) })
                && age_min.is_none_or(|m| i64::from(age_on(p.date_of_birth, today)) >= m)
                && age_max.is_none_or(|m| i64::from(age_on(p.date_of_birth, today)) <= m)
                && practice.is_none_or(|id| p.registered_practice_id == id)
        });
        assert_eq!(cohort["memberCount"].as_u64().unwrap() as usize, expected.len(), "{}", cohort["name"]);

        let (ids, total) = collect_ids(&app, &token, json!({ "cohortId": cohort["id"] }), 50).await;
        assert_eq!(total as usize, expected.len());
        assert_eq!(ids, expected, "members of {}", cohort["name"]);
    }
}

const CREATE: &str = r#"mutation($input: CreateCohortInput!) { createCohort(input: $input) {
    cohort { id name memberCount definition { frailtyCategories minConditionCount conditions { key } } members(first: 2) { totalCount } } } }"#;

fn input(neighbourhood: &str, name: &str, criteria: Value) -> Value {
    json!({ "input": { "neighbourhoodId": neighbourhood, "name": name, "criteria": criteria } })
}

#[tokio::test]
async fn creating_and_deleting_cohorts() {
    let app = spawn_app().await;
    let token = app.token(DemoRole::Coordinator).await;
    let me = app.gql(&token, "{ me { neighbourhoods { id } } }", json!({})).await;
    let neighbourhood = me.data()["me"]["neighbourhoods"][0]["id"].as_str().unwrap().to_owned();

    let created = app
        .gql(
            &token,
            CREATE,
            input(
                &neighbourhood,
                "  Heart failure, 75+  ",
                json!({ "conditionCodes": ["heart_failure"], "ageMin": 75 }),
            ),
        )
        .await;
    let cohort = created.data()["createCohort"]["cohort"].clone();
    assert_eq!(cohort["name"], "Heart failure, 75+");
    assert_eq!(cohort["definition"]["conditions"][0]["key"], "heart_failure");
    assert_eq!(cohort["memberCount"], cohort["members"]["totalCount"]);

    let duplicate = app.gql(&token, CREATE, input(&neighbourhood, "Heart failure, 75+", json!({}))).await;
    assert_eq!(duplicate.error_code(), "CONFLICT");
    assert!(duplicate.error_message().contains(cohort["id"].as_str().unwrap()), "names the existing cohort");

    for (criteria, field) in [
        (json!({ "conditionCodes": ["gout"] }), "conditionCodes"),
        (json!({ "practiceId": neighbourhood }), "practiceId"),
        (json!({ "ageMin": 200 }), "ageMin"),
    ] {
        let reply = app.gql(&token, CREATE, input(&neighbourhood, "Another", criteria)).await;
        assert_eq!(reply.error_code(), "BAD_USER_INPUT");
        assert_eq!(reply.body["errors"][0]["extensions"]["field"], field);
    }
    let blank = app.gql(&token, CREATE, input(&neighbourhood, "   ", json!({}))).await;
    assert_eq!(blank.body["errors"][0]["extensions"]["field"], "name");

    let vcse = app.token(DemoRole::Vcse).await;
    let refused = app.gql(&vcse, CREATE, input(&neighbourhood, "VCSE try", json!({}))).await;
    assert_eq!(refused.error_code(), "FORBIDDEN");

    let delete = "mutation($id: ID!) { deleteCohort(input: { id: $id }) { deletedCohortId } }";
    let deleted = app.gql(&token, delete, json!({ "id": cohort["id"] })).await;
    assert_eq!(deleted.data()["deleteCohort"]["deletedCohortId"], cohort["id"]);
    let again = app.gql(&token, delete, json!({ "id": cohort["id"] })).await;
    assert_eq!(again.error_code(), "NOT_FOUND");
}
