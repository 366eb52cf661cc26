//! The coordinator's job: find the frail cohort, page through it, open one record. Results are
//! checked against a brute-force evaluation over every row of the demo data.

use std::collections::HashSet;

use domain::frailty::FrailtyCategory;
use domain::patients::age_on;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use server::cli::DemoRole;
use uuid::Uuid;

use crate::helpers::{spawn_app, TestApp};
use crate::scenarios::{category, collect_ids, population, Population};

/// The demo coordinator's token and the population of their neighbourhood.
async fn coordinator_population(app: &TestApp) -> (String, Population) {
    let token = app.token(DemoRole::Coordinator).await;
    let me = app.gql(&token, "{ me { organisation { id } neighbourhoods { id } } }", json!({})).await;
    let neighbourhood: Uuid = me.data()["me"]["neighbourhoods"][0]["id"].as_str().unwrap().parse().unwrap();
    let organisation: Uuid = me.data()["me"]["organisation"]["id"].as_str().unwrap().parse().unwrap();
    (token, population(app, &[neighbourhood]).await.without_sensitive().read_by(organisation))
}

#[tokio::test]
async fn coordinator_finds_the_frail_multimorbid_cohort_and_pages_through_it() {
    let app = spawn_app().await;
    let token = app.token(DemoRole::Coordinator).await;
    let me = app
        .gql(&token, "{ me { role organisation { id } neighbourhoods { id name } patientAccess } }", json!({}))
        .await;
    let me = me.data()["me"].clone();
    assert_eq!(me["role"], "INT_COORDINATOR");
    assert_eq!(me["patientAccess"], "FULL");
    let neighbourhood: Uuid = me["neighbourhoods"][0]["id"].as_str().unwrap().parse().unwrap();
    let organisation: Uuid = me["organisation"]["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(me["neighbourhoods"].as_array().unwrap().len(), 1, "a coordinator serves one INT");

    // The coordinator does not read the sensitive categories: they neither count nor select; nor
    // the people who object to sharing beyond their practice.
    let pop = population(&app, &[neighbourhood]).await.without_sensitive().read_by(organisation);
    let expected = pop.ids_where(|p, c| {
        matches!(category(p), Some(FrailtyCategory::Moderate | FrailtyCategory::Severe)) && c.len() >= 2
    });
    assert!(expected.len() > 40, "the demo has a real cohort to page through ({})", expected.len());

    let filter = json!({ "frailtyCategories": ["MODERATE", "SEVERE"], "minConditionCount": 2 });
    let (ids, total) = collect_ids(&app, &token, filter, 17).await;
    assert_eq!(total as usize, expected.len());
    assert_eq!(ids, expected);
}

#[tokio::test]
async fn every_filter_matches_a_brute_force_evaluation() {
    let app = spawn_app().await;
    let token = app.token(DemoRole::Gp).await;
    let gp = app.practitioner(DemoRole::Gp).await;
    let neighbourhood = entity::neighbourhood_organisation::Entity::find()
        .filter(entity::neighbourhood_organisation::Column::OrganisationId.eq(gp.organisation_id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .neighbourhood_id;
    // A GP reaches the people registered at their practice: the brute force runs over them.
    let mut pop = population(&app, &[neighbourhood]).await;
    let everyone = pop.patients.len();
    // (and the people on the agenda of an MDT meeting the GP is invited to, or referred to them).
    let caller =
        domain::auth::load_caller(&app.db, gp.id, domain::auth::AccessWindows::default()).await.unwrap().unwrap();
    let referred = referred_to(&app, &caller).await;
    pop.patients.retain(|p| {
        p.registered_practice_id == gp.organisation_id
            || caller.mdt_patient_ids.contains(&p.id)
            || referred.contains(&p.id)
    });
    assert!(!pop.patients.is_empty() && pop.patients.len() < everyone, "{} of {everyone}", pop.patients.len());
    let other_practice = population(&app, &[neighbourhood])
        .await
        .patients
        .into_iter()
        .find(|p| p.registered_practice_id != gp.organisation_id)
        .unwrap()
        .registered_practice_id;
    let today = chrono::Utc::now().date_naive();
    let heart_failure = "84114007";
    let copd = "13645005";
    let practice = pop.patients[0].registered_practice_id;
    let someone = pop.patients.iter().find(|p| p.family_name.len() > 3 && p.family_name.is_ascii()).unwrap().clone();
    let prefix: String = someone.family_name.chars().take(3).collect();

    let cases: Vec<(Value, HashSet<String>)> = vec![
        (json!({}), pop.ids_where(|_, _| true)),
        (
            json!({ "frailtyCategories": ["SEVERE"] }),
            pop.ids_where(|p, _| category(p) == Some(FrailtyCategory::Severe)),
        ),
        (json!({ "frailtyCategories": ["FIT"] }), pop.ids_where(|p, _| category(p) == Some(FrailtyCategory::Fit))),
        (json!({ "conditionCodes": [heart_failure] }), pop.ids_where(|_, c| c.iter().any(|x| x == heart_failure))),
        (
            json!({ "conditionCodes": ["heart_failure", copd], "conditionMatch": "ANY" }),
            pop.ids_where(|_, c| c.iter().any(|x| x == heart_failure || x == copd)),
        ),
        (
            json!({ "conditionCodes": [heart_failure, copd] }),
            pop.ids_where(|_, c| c.iter().any(|x| x == heart_failure) && c.iter().any(|x| x == copd)),
        ),
        (json!({ "minConditionCount": 3 }), pop.ids_where(|_, c| c.len() >= 3)),
        (
            json!({ "ageMin": 65, "ageMax": 79 }),
            pop.ids_where(|p, _| (65..=79).contains(&age_on(p.date_of_birth, today))),
        ),
        (json!({ "ageMin": 90 }), pop.ids_where(|p, _| age_on(p.date_of_birth, today) >= 90)),
        (json!({ "practiceId": practice.to_string() }), pop.ids_where(|p, _| p.registered_practice_id == practice)),
        // Another practice's people: only those an agenda or a referral opens to the GP.
        (
            json!({ "practiceId": other_practice.to_string() }),
            pop.ids_where(|p, _| p.registered_practice_id == other_practice),
        ),
        (json!({ "search": &someone.nhs_number }), pop.ids_where(|p, _| p.nhs_number == someone.nhs_number)),
        (
            json!({ "search": prefix.to_uppercase() }),
            pop.ids_where(|p, _| {
                let prefix = prefix.to_lowercase();
                p.family_name.to_lowercase().starts_with(&prefix) || p.given_name.to_lowercase().starts_with(&prefix)
            }),
        ),
    ];
    for (filter, expected) in cases {
        let (ids, total) = collect_ids(&app, &token, filter.clone(), 100).await;
        assert_eq!(total as usize, expected.len(), "totalCount for {filter}");
        assert_eq!(ids, expected, "members for {filter}");
    }
}

#[tokio::test]
async fn names_with_letters_beyond_ascii_are_found_whatever_their_case() {
    let app = spawn_app().await;
    let (token, pop) = coordinator_population(&app).await;
    let person = pop
        .patients
        .iter()
        .find(|p| !p.family_name.chars().next().unwrap().is_ascii())
        .or_else(|| pop.patients.iter().find(|p| !p.given_name.chars().next().unwrap().is_ascii()))
        .expect("the demo has names that begin beyond ASCII (Ł, Ö, Ş …)")
        .clone();
    let word =
        if person.family_name.chars().next().unwrap().is_ascii() { &person.given_name } else { &person.family_name };
    for search in [word.to_lowercase(), word.to_uppercase(), word.clone()] {
        let reply = app
            .gql(
                &token,
                "query($s: String) { patients(first: 100, filter: { search: $s }) { nodes { id } } }",
                json!({ "s": search }),
            )
            .await;
        let ids: Vec<&str> =
            reply.data()["patients"]["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap()).collect();
        assert!(
            ids.contains(&person.id.to_string().as_str()),
            "searching {search:?} finds {} {}",
            person.given_name,
            person.family_name
        );
    }
}

#[tokio::test]
async fn opening_one_record_shows_everything_and_is_audited() {
    let app = spawn_app().await;
    let token = app.token(DemoRole::Coordinator).await;
    let first = app
        .gql(
            &token,
            r#"{ patients(first: 1, filter: { frailtyCategories: [SEVERE], minConditionCount: 2 }) { nodes { id } } }"#,
            json!({}),
        )
        .await;
    let id = first.data()["patients"]["nodes"][0]["id"].as_str().unwrap().to_owned();
    let query = r#"query OpenRecord($id: ID!) { patient(id: $id) {
        id accessLevel nhsNumber nhsNumberFormatted name givenName familyName dateOfBirth age sex postcode deprivationDecile
        registeredPractice { name odsCode kind parent { name kind } }
        neighbourhood { name }
        frailty { efiScore category efiCalculatedOn clinicalFrailtyScale clinicalFrailtyScaleLabel }
        conditions { code name key diagnosedOn }
        conditionCount
        needs { livesAlone isCarer hearingImpairment visualImpairment interpreterNeeded interpreterLanguage }
        nationalDataOptOut
    } }"#;
    let before = app.audit_trail().await.len();
    let reply = app.gql(&token, query, json!({ "id": id })).await;
    let p = &reply.data()["patient"];
    assert_eq!(p["accessLevel"], "FULL");
    assert_eq!(p["frailty"]["category"], "SEVERE");
    assert!(p["frailty"]["efiScore"].as_f64().unwrap() > 0.36);
    assert!(p["conditionCount"].as_u64().unwrap() >= 2);
    assert_eq!(p["conditions"].as_array().unwrap().len() as u64, p["conditionCount"].as_u64().unwrap());
    assert_eq!(p["registeredPractice"]["kind"], "GP_PRACTICE");
    assert_eq!(p["registeredPractice"]["parent"]["kind"], "PCN");
    let nhs = p["nhsNumber"].as_str().unwrap();
    assert!(domain::nhs_number::NhsNumber::parse(nhs).unwrap().is_test_number());
    assert_eq!(p["nhsNumberFormatted"].as_str().unwrap().replace(' ', ""), nhs);

    let audit: Vec<_> =
        app.audit_trail().await.into_iter().filter(|a| a.patient_id == id.parse::<Uuid>().unwrap()).collect();
    let coordinator = app.practitioner(DemoRole::Coordinator).await;
    let row = audit.iter().find(|a| a.label().contains("OpenRecord")).expect("the read was audited");
    assert_eq!(row.practitioner_id, coordinator.id);
    assert_eq!(row.organisation_id, coordinator.organisation_id);
    assert_eq!(row.professional_role, "int_coordinator");
    assert_eq!(row.operation, "query OpenRecord");
    assert_eq!(row.field_path.as_deref(), Some("patient"));
    assert_eq!(row.access_reason, "neighbourhood_member");
    assert!(row.request_id.is_some());
    let after = app.audit_trail().await.len();
    assert_eq!(after, before + 1, "one read, one audit row");
}

#[tokio::test]
async fn every_patient_on_a_page_is_audited() {
    let app = spawn_app().await;
    let token = app.token(DemoRole::Coordinator).await;
    let reply = app.gql(&token, "query Caseload { patients(first: 25) { nodes { id } } }", json!({})).await;
    let ids: HashSet<Uuid> = reply.data()["patients"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(ids.len(), 25);
    let audited: HashSet<Uuid> = app
        .audit_trail()
        .await
        .into_iter()
        .filter(|a| a.label() == "query Caseload / patients")
        .map(|a| a.patient_id)
        .collect();
    assert_eq!(audited, ids);

    // Counting reads no record: nothing is audited.
    let before = app.audit_trail().await.len();
    let count =
        app.gql(&token, "query Count { patients(filter: { minConditionCount: 2 }) { totalCount } }", json!({})).await;
    assert!(count.data()["patients"]["totalCount"].as_u64().unwrap() > 0);
    assert_eq!(app.audit_trail().await.len(), before);
}

#[tokio::test]
async fn bad_filters_and_page_sizes_say_what_is_wrong() {
    let app = spawn_app().await;
    let token = app.token(DemoRole::Coordinator).await;
    let cases = [
        (json!({ "first": 101 }), "first"),
        (json!({ "first": 0 }), "first"),
        (json!({ "after": "garbage" }), "after"),
        (json!({ "filter": { "conditionCodes": ["not-a-code"] } }), "conditionCodes"),
        (json!({ "filter": { "ageMin": 80, "ageMax": 70 } }), "ageMin"),
        (json!({ "filter": { "ageMin": -1 } }), "ageMin"),
        (json!({ "filter": { "minConditionCount": 99 } }), "minConditionCount"),
        (json!({ "filter": { "practiceId": "nope" } }), "practiceId"),
    ];
    let query = "query($first: Int, $after: String, $filter: PatientFilterInput) { patients(first: $first, after: $after, filter: $filter) { totalCount nodes { id } } }";
    for (variables, field) in cases {
        let reply = app.gql(&token, query, variables.clone()).await;
        assert_eq!(reply.error_code(), "BAD_USER_INPUT", "{variables}: {}", reply.body);
        assert_eq!(reply.body["errors"][0]["extensions"]["field"], field, "{variables}");
        assert!(reply.error_message().starts_with(field), "message names the field: {}", reply.error_message());
    }
    let missing = app.gql(&token, "{ patient(id: \"00000000-0000-0000-0000-000000000000\") { id } }", json!({})).await;
    assert_eq!(missing.error_code(), "NOT_FOUND");
}

/// The ids of `patients(filter, orderBy)`, page by page, with `first` per page.
async fn ordered_ids(app: &TestApp, token: &str, filter: &Value, order: &Value, first: i32) -> Vec<String> {
    let query = r#"query Page($first: Int, $after: String, $filter: PatientFilterInput, $order: PatientOrderInput) {
        patients(first: $first, after: $after, filter: $filter, orderBy: $order) {
            pageInfo { hasNextPage endCursor }
            nodes { id }
        }
    }"#;
    let (mut ids, mut after) = (Vec::new(), None::<String>);
    loop {
        let vars = json!({ "first": first, "after": after, "filter": filter, "order": order });
        let reply = app.gql(token, query, vars).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let conn = &reply.data()["patients"];
        ids.extend(conn["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap().to_owned()));
        if conn["pageInfo"]["hasNextPage"] != json!(true) {
            return ids;
        }
        after = conn["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
}

/// Every sort key in both directions, paged, gives everyone once in the order a brute-force sort
/// of the rows gives: unknown scores last either way, ties by name A to Z, then id.
#[tokio::test]
async fn every_order_pages_through_everyone_in_the_order_asked() {
    let app = spawn_app().await;
    let (token, pop) = coordinator_population(&app).await;
    let conditions = |p: &entity::patient::Model| pop.conditions.get(&p.id).map_or(0, Vec::len);
    let filter = json!({ "minConditionCount": 1 });
    let mut people: Vec<&entity::patient::Model> = pop.patients.iter().filter(|p| conditions(p) >= 1).collect();
    assert!(people.len() > 100, "a real list to sort ({})", people.len());
    assert!(people.iter().any(|p| p.efi_score.is_none()) && people.iter().any(|p| p.clinical_frailty_scale.is_none()));
    let by_name = |a: &&entity::patient::Model, b: &&entity::patient::Model| {
        (&a.family_name, &a.given_name, a.id).cmp(&(&b.family_name, &b.given_name, b.id))
    };
    for (by, direction) in [
        ("NAME", "ASC"),
        ("NAME", "DESC"),
        ("EFI_SCORE", "ASC"),
        ("EFI_SCORE", "DESC"),
        ("CLINICAL_FRAILTY_SCALE", "ASC"),
        ("CLINICAL_FRAILTY_SCALE", "DESC"),
        ("CONDITION_COUNT", "ASC"),
        ("CONDITION_COUNT", "DESC"),
    ] {
        let desc = direction == "DESC";
        people.sort_by(|a, b| {
            let key = |x: Option<f64>, y: Option<f64>| match (x, y) {
                (Some(x), Some(y)) if desc => y.total_cmp(&x),
                (Some(x), Some(y)) => x.total_cmp(&y),
                (x, y) => x.is_none().cmp(&y.is_none()),
            };
            let primary = match by {
                "EFI_SCORE" => key(a.efi_score, b.efi_score),
                "CLINICAL_FRAILTY_SCALE" => {
                    key(a.clinical_frailty_scale.map(f64::from), b.clinical_frailty_scale.map(f64::from))
                }
                "CONDITION_COUNT" => key(Some(conditions(a) as f64), Some(conditions(b) as f64)),
                _ if desc => by_name(b, a),
                _ => by_name(a, b),
            };
            primary.then_with(|| by_name(a, b))
        });
        let expected: Vec<String> = people.iter().map(|p| p.id.to_string()).collect();
        let order = json!({ "by": by, "direction": direction });
        assert_eq!(ordered_ids(&app, &token, &filter, &order, 37).await, expected, "{by} {direction}");
    }
    // The default is by name, A to Z; a cursor names a person, so it carries over to another order.
    let default = ordered_ids(&app, &token, &filter, &Value::Null, 100).await;
    assert_eq!(default, ordered_ids(&app, &token, &filter, &json!({}), 100).await);
    let frailest = json!({ "by": "EFI_SCORE", "direction": "DESC" });
    let all = ordered_ids(&app, &token, &filter, &frailest, 100).await;
    let query = r#"query($after: String, $order: PatientOrderInput) {
        patients(first: 5, after: $after, filter: { minConditionCount: 1 }, orderBy: $order) { nodes { id } }
    }"#;
    let cursor = domain::pagination::encode_cursor(&default[10].parse::<Uuid>().unwrap());
    let next = app.gql(&token, query, json!({ "after": cursor, "order": frailest })).await;
    let at = all.iter().position(|id| *id == default[10]).unwrap();
    let next: Vec<&str> =
        next.data()["patients"]["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap()).collect();
    assert_eq!(next, all[at + 1..(at + 6).min(all.len())].iter().map(String::as_str).collect::<Vec<_>>());
}

/// The people referred to the caller's organisation or assigned to the caller, by a referral open
/// or ended within the window: worked out here from every referral, not by the policy's SQL.
pub async fn referred_to(app: &TestApp, caller: &domain::auth::Caller) -> std::collections::HashSet<uuid::Uuid> {
    let since = chrono::Utc::now() - chrono::Duration::days(i64::from(caller.windows.referral_days_after_end));
    entity::referral::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| {
            r.receiving_organisation_id == caller.organisation_id
                || r.assigned_practitioner_id == Some(caller.practitioner_id)
        })
        .filter(|r| r.ended_at.is_none_or(|ended| ended >= since))
        .map(|r| r.patient_id)
        .collect()
}
