//! Break-glass: a clinician without a relationship opens a record for a limited time with a
//! stated reason; every use is stored for review and every read under it audited; refused to the
//! roles that may not, and nothing opens on bad input or after it lapses.

use entity::ProfessionalRole as R;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use server::cli::DemoRole;

use crate::helpers::{spawn_app, TestApp};

const BREAK: &str = r#"mutation Break($input: BreakGlassInput!) { breakGlass(input: $input) {
    access { id reason detail startedAt expiresAt patient { accessLevel conditions { code } } } } }"#;
const OPEN: &str = r#"query OpenRecord($id: ID!) { patient(id: $id) { accessLevel conditions { code } } }"#;

async fn uses(app: &TestApp) -> u64 {
    entity::break_glass::Entity::find().count(&app.db).await.unwrap()
}

fn input(patient: &str, detail: &str) -> serde_json::Value {
    json!({ "input": { "patientId": patient, "reason": "EMERGENCY_CARE", "detail": detail } })
}

#[tokio::test]
async fn a_clinician_breaks_the_glass_for_a_few_hours_with_a_reason_and_every_read_is_audited() {
    let app = spawn_app().await;
    let gp = app.token(DemoRole::Gp).await;
    let neighbourhood = app.neighbourhoods().await[0].id;
    let gp_model = app.practitioner(DemoRole::Gp).await;
    let nurse_model = app.practitioner_in(R::DistrictNurse, neighbourhood).await;
    let nurse = app.token_for_practitioner(&nurse_model);
    // Someone of the GP's practice whom the nurse has no relationship with.
    let page = app.gql(&gp, "{ patients(first: 100) { nodes { id } } }", json!({})).await;
    let mut person = None;
    for node in page.data()["patients"]["nodes"].as_array().unwrap() {
        let id = node["id"].as_str().unwrap().to_owned();
        if app.gql(&nurse, OPEN, json!({ "id": id })).await.body["errors"].is_array() {
            person = Some(id);
            break;
        }
    }
    let person = person.expect("someone the nurse does not reach");
    let before = uses(&app).await;

    // Bad input opens nothing and stores nothing.
    for (detail, why) in [("   ", "empty"), (&"x".repeat(501) as &str, "too long")] {
        let reply = app.gql(&nurse, BREAK, input(&person, detail)).await;
        assert_eq!(reply.error_code(), "BAD_USER_INPUT", "{why}: {}", reply.body);
        assert_eq!(reply.body["errors"][0]["extensions"]["field"], "detail", "{why}");
    }
    let unknown =
        app.gql(&nurse, BREAK, json!({ "input": { "patientId": person, "reason": "CURIOSITY", "detail": "x" } })).await;
    assert_eq!(unknown.error_code(), "BAD_USER_INPUT", "a reason off the coded list: {}", unknown.body);
    assert_eq!(uses(&app).await, before);
    assert_eq!(app.gql(&nurse, OPEN, json!({ "id": person })).await.error_code(), "FORBIDDEN");

    // Broken: the full record now and at the next request, for four hours, audited as break_glass.
    let broken =
        app.gql(&nurse, BREAK, input(&person, "Found on the floor at home visit; no GP record available")).await;
    let access = broken.data()["breakGlass"]["access"].clone();
    assert_eq!(access["reason"], "EMERGENCY_CARE");
    assert_eq!(access["patient"]["accessLevel"], "FULL");
    let started = chrono::DateTime::parse_from_rfc3339(access["startedAt"].as_str().unwrap()).unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(access["expiresAt"].as_str().unwrap()).unwrap();
    assert_eq!(expires - started, chrono::Duration::hours(4));
    let stored = entity::break_glass::Entity::find()
        .filter(entity::break_glass::Column::PractitionerId.eq(nurse_model.id))
        .filter(entity::break_glass::Column::PatientId.eq(person.parse::<uuid::Uuid>().unwrap()))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the use is stored for review");
    assert_eq!((stored.reason.as_str(), stored.professional_role.as_str()), ("emergency_care", "district_nurse"));
    assert!(stored.reviewed_at.is_none());
    let opened = app.gql(&nurse, OPEN, json!({ "id": person })).await;
    assert_eq!(opened.data()["patient"]["accessLevel"], "FULL");
    let trail = app.audit_trail().await;
    let reads: Vec<_> = trail.iter().filter(|a| a.practitioner_id == nurse_model.id).collect();
    assert!(reads.len() >= 2 && reads.iter().all(|a| a.access_reason == "break_glass"), "{reads:?}");
    // Twice is refused: the record is already open.
    let again = app.gql(&nurse, BREAK, input(&person, "again")).await;
    assert_eq!(again.body["errors"][0]["extensions"]["field"], "patientId", "{}", again.body);
    assert!(again.error_message().contains("break_glass"), "{}", again.body);

    // Lapsed: closed at the next request.
    entity::break_glass::Entity::update_many()
        .col_expr(
            entity::break_glass::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now() - chrono::Duration::minutes(1)),
        )
        .filter(entity::break_glass::Column::Id.eq(stored.id))
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(app.gql(&nurse, OPEN, json!({ "id": person })).await.error_code(), "FORBIDDEN");

    // Refused to VCSE, commissioning and administrative roles; needless for the person's own GP.
    let receptionist = entity::practitioner::Entity::find()
        .filter(entity::practitioner::Column::ProfessionalRole.eq(R::Receptionist))
        .filter(entity::practitioner::Column::OrganisationId.ne(gp_model.organisation_id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let before = uses(&app).await;
    for token in [
        app.token(DemoRole::Vcse).await,
        app.token(DemoRole::Commissioner).await,
        app.token_for_practitioner(&receptionist),
    ] {
        let refused = app.gql(&token, BREAK, input(&person, "I need to see it")).await;
        assert_eq!(refused.error_code(), "FORBIDDEN", "{}", refused.body);
        assert_eq!(app.gql(&token, OPEN, json!({ "id": person })).await.error_code(), "FORBIDDEN");
    }
    let needless = app.gql(&gp, BREAK, input(&person, "my own patient")).await;
    assert_eq!(needless.body["errors"][0]["extensions"]["field"], "patientId", "{}", needless.body);
    // Outside the caller's neighbourhoods.
    let elsewhere = app.neighbourhoods().await[1].id;
    let far_gp = app.practitioner_in(R::Gp, elsewhere).await;
    let far = app.gql(&app.token_for_practitioner(&far_gp), BREAK, input(&person, "Emergency")).await;
    assert_eq!(far.error_code(), "FORBIDDEN", "{}", far.body);
    assert_eq!(uses(&app).await, before, "nothing stored by any refusal");
}
