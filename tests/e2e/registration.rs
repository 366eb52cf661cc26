//! Registering people and keeping their record current, by the staff of their GP practice:
//! demographics by any of them, conditions and the eFI by roles that read what is clinical, the
//! Clinical Frailty Scale by a clinician; each write audited; tried from other practices, other
//! organisations and other roles.

use entity::ProfessionalRole as R;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};
use server::cli::DemoRole;

use crate::helpers::{spawn_app, TestApp};

const REGISTER: &str = r#"mutation R($input: RegisterPersonInput!) { registerPerson(input: $input) {
    patient { id accessLevel nhsNumber name postcode registeredPractice { id } neighbourhood { id }
    needs { interpreterNeeded interpreterLanguage livesAlone } } } }"#;
const UPDATE: &str = r#"mutation U($input: UpdatePersonInput!) { updatePerson(input: $input) {
    patient { id nhsNumber postcode deprivationDecile needs { interpreterLanguage } } } }"#;
const CONDITION: &str = r#"mutation C($input: RecordConditionInput!) { recordCondition(input: $input) {
    condition { code key recordedBy { id } diagnosedOn } patient { id conditionCount } } }"#;
const FRAILTY: &str = r#"mutation F($input: RecordFrailtyInput!) { recordFrailty(input: $input) {
    patient { id frailty { efiScore category efiRecordedBy { id } clinicalFrailtyScale cfsAssessedBy { id } } } } }"#;

async fn at_practice(app: &TestApp, practice: uuid::Uuid, role: R) -> entity::practitioner::Model {
    entity::practitioner::Entity::find()
        .filter(entity::practitioner::Column::OrganisationId.eq(practice))
        .filter(entity::practitioner::Column::ProfessionalRole.eq(role))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("a {role:?} at the practice"))
}

/// A valid NHS number from the test range that nobody in the database has.
async fn fresh_nhs_number(app: &TestApp, skip: usize) -> String {
    let mut found = 0;
    for stem in (999_000_000u64..=999_999_999).rev() {
        let Some(number) = domain::nhs_number::NhsNumber::from_stem(stem) else { continue };
        let digits = number.as_digits();
        let taken = entity::patient::Entity::find()
            .filter(entity::patient::Column::NhsNumber.eq(digits.clone()))
            .count(&app.db)
            .await
            .unwrap();
        if taken == 0 {
            if found == skip {
                return digits;
            }
            found += 1;
        }
    }
    panic!("no free test NHS number")
}

fn person(nhs: &str, practice: uuid::Uuid) -> Value {
    json!({ "nhsNumber": nhs, "givenName": "Edith", "familyName": "Marsh", "dateOfBirth": "1944-03-02",
        "sex": "FEMALE", "postcode": "ng14 6ap", "registeredPracticeId": practice, "livesAlone": true,
        "interpreterLanguage": "Polish" })
}

async fn patients(app: &TestApp) -> u64 {
    entity::patient::Entity::find().count(&app.db).await.unwrap()
}

#[tokio::test]
async fn the_practice_registers_a_person_once_and_other_organisations_cannot() {
    let app = spawn_app().await;
    let gp_model = app.practitioner(DemoRole::Gp).await;
    let practice = gp_model.organisation_id;
    let receptionist_model = at_practice(&app, practice, R::Receptionist).await;
    let receptionist = app.token_for_practitioner(&receptionist_model);
    let nhs = fresh_nhs_number(&app, 0).await;
    let before = patients(&app).await;

    // Refused, by name, with nothing stored.
    for (change, field) in [
        (json!({ "nhsNumber": "999 000 0019" }), "nhsNumber"),
        (json!({ "nhsNumber": "12345" }), "nhsNumber"),
        (json!({ "dateOfBirth": "2999-01-01" }), "dateOfBirth"),
        (json!({ "dateOfBirth": "1850-01-01" }), "dateOfBirth"),
        (json!({ "postcode": "NOWHERE" }), "postcode"),
        (json!({ "givenName": " " }), "givenName"),
        (json!({ "deprivationDecile": 11 }), "deprivationDecile"),
    ] {
        let mut input = person(&nhs, practice);
        for (k, v) in change.as_object().unwrap() {
            input[k] = v.clone();
        }
        let reply = app.gql(&receptionist, REGISTER, json!({ "input": input })).await;
        assert_eq!(reply.error_code(), "BAD_USER_INPUT", "{change}: {}", reply.body);
        assert_eq!(reply.body["errors"][0]["extensions"]["field"], field, "{}", reply.body);
    }
    assert_eq!(patients(&app).await, before);

    // Registered by the receptionist: read back under the practice's grant, audited.
    let done = app.gql(&receptionist, REGISTER, json!({ "input": person(&nhs, practice) })).await;
    let patient = done.data()["registerPerson"]["patient"].clone();
    assert_eq!(patient["nhsNumber"], nhs.as_str());
    assert_eq!(patient["name"], "Edith Marsh");
    assert_eq!(patient["postcode"], "NG14 6AP");
    assert_eq!(patient["accessLevel"], "ADMINISTRATIVE");
    assert_eq!(patient["registeredPractice"]["id"], practice.to_string());
    assert_eq!(patient["needs"]["interpreterLanguage"], "Polish");
    let id = patient["id"].as_str().unwrap().to_owned();
    let trail = app.audit_trail().await;
    assert!(
        trail.iter().any(|row| row.patient_id.to_string() == id && row.practitioner_id == receptionist_model.id),
        "the registration is an audited read of the person"
    );
    let gp = app.token_for_practitioner(&gp_model);
    let read = app.gql(&gp, "query P($id: ID!) { patient(id: $id) { accessLevel } }", json!({ "id": id })).await;
    assert_eq!(read.data()["patient"]["accessLevel"], "FULL");

    // The same NHS number again: CONFLICT naming the person registered.
    let again = app.gql(&receptionist, REGISTER, json!({ "input": person(&nhs, practice) })).await;
    assert_eq!(again.error_code(), "CONFLICT");
    assert_eq!(again.body["errors"][0]["extensions"]["existingId"], id.as_str());

    // Only the practice's own staff register at it: not another practice, not the coordinator, not
    // a link worker of the SPLW provider, not an administrator.
    let other_nhs = fresh_nhs_number(&app, 1).await;
    let other_practice_gp = entity::practitioner::Entity::find()
        .filter(entity::practitioner::Column::ProfessionalRole.eq(R::Gp))
        .filter(entity::practitioner::Column::OrganisationId.ne(practice))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    for token in [
        app.token_for_practitioner(&other_practice_gp),
        app.token(DemoRole::Coordinator).await,
        app.token(DemoRole::LinkWorker).await,
        app.token(DemoRole::Administrator).await,
    ] {
        let reply = app.gql(&token, REGISTER, json!({ "input": person(&other_nhs, practice) })).await;
        assert_eq!(reply.error_code(), "FORBIDDEN", "{}", reply.body);
    }
    assert_eq!(patients(&app).await, before + 1);
}

#[tokio::test]
async fn the_practice_keeps_demographics_and_clinicians_record_conditions_and_frailty() {
    let app = spawn_app().await;
    let gp_model = app.practitioner(DemoRole::Gp).await;
    let practice = gp_model.organisation_id;
    let gp = app.token_for_practitioner(&gp_model);
    let receptionist = app.token_for_practitioner(&at_practice(&app, practice, R::Receptionist).await);
    let nurse_model = at_practice(&app, practice, R::PracticeNurse).await;
    let nurse = app.token_for_practitioner(&nurse_model);
    let nhs = fresh_nhs_number(&app, 0).await;
    let done = app.gql(&receptionist, REGISTER, json!({ "input": person(&nhs, practice) })).await;
    let id = done.data()["registerPerson"]["patient"]["id"].as_str().unwrap().to_owned();

    // Demographics: the receptionist moves them and clears the interpreter.
    let moved = app
        .gql(
            &receptionist,
            UPDATE,
            json!({ "input": { "patientId": id, "postcode": "NG5 6AA", "interpreterLanguage": null, "deprivationDecile": 3 } }),
        )
        .await;
    let moved = moved.data()["updatePerson"]["patient"].clone();
    assert_eq!(moved["postcode"], "NG5 6AA");
    assert!(moved["needs"]["interpreterLanguage"].is_null());
    assert_eq!(moved["deprivationDecile"], 3);
    // Another person's NHS number: CONFLICT; another practice: FORBIDDEN.
    let someone = entity::patient::Entity::find()
        .filter(entity::patient::Column::NhsNumber.ne(nhs.clone()))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let clash =
        app.gql(&receptionist, UPDATE, json!({ "input": { "patientId": id, "nhsNumber": someone.nhs_number } }));
    let clash = clash.await;
    assert_eq!(clash.error_code(), "CONFLICT");
    assert_eq!(clash.body["errors"][0]["extensions"]["existingId"], someone.id.to_string());
    let elsewhere = entity::practitioner::Entity::find()
        .filter(entity::practitioner::Column::ProfessionalRole.eq(R::Receptionist))
        .filter(entity::practitioner::Column::OrganisationId.ne(practice))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let refused = app
        .gql(
            &app.token_for_practitioner(&elsewhere),
            UPDATE,
            json!({ "input": { "patientId": id, "postcode": "NG1 1AA" } }),
        )
        .await;
    assert_eq!(refused.error_code(), "FORBIDDEN");

    // Conditions: not the receptionist; the GP by catalogue key, with who recorded it; once.
    let heart = json!({ "input": { "patientId": id, "code": "heart_failure", "diagnosedOn": "2019-05-01" } });
    assert_eq!(app.gql(&receptionist, CONDITION, heart.clone()).await.error_code(), "FORBIDDEN");
    let recorded = app.gql(&gp, CONDITION, heart.clone()).await;
    let recorded = recorded.data()["recordCondition"].clone();
    assert_eq!(recorded["condition"]["key"], "heart_failure");
    assert_eq!(recorded["condition"]["recordedBy"]["id"], gp_model.id.to_string());
    assert_eq!(recorded["patient"]["conditionCount"], 1);
    assert_eq!(app.gql(&gp, CONDITION, heart).await.error_code(), "CONFLICT");
    let unknown = app.gql(&gp, CONDITION, json!({ "input": { "patientId": id, "code": "123456" } })).await;
    assert_eq!(unknown.error_code(), "BAD_USER_INPUT");
    // A sensitive condition only by a role that reads it: the practice's link worker does not.
    let depression = json!({ "input": { "patientId": id, "code": "35489007" } });
    let splw = entity::practitioner::Entity::find()
        .filter(entity::practitioner::Column::ProfessionalRole.eq(R::SocialPrescribingLinkWorker))
        .filter(entity::practitioner::Column::OrganisationId.eq(practice))
        .one(&app.db)
        .await
        .unwrap();
    if let Some(splw) = splw {
        let reply = app.gql(&app.token_for_practitioner(&splw), CONDITION, depression.clone()).await;
        assert_eq!(reply.error_code(), "FORBIDDEN", "{}", reply.body);
    }
    app.gql(&gp, CONDITION, depression).await.data();

    // Frailty: the eFI by the nurse; the Clinical Frailty Scale by a clinician, within 1 to 9.
    let efi = app
        .gql(
            &nurse,
            FRAILTY,
            json!({ "input": { "patientId": id, "efiScore": 0.31, "efiCalculatedOn": "2026-11-01" } }),
        )
        .await;
    let frailty = efi.data()["recordFrailty"]["patient"]["frailty"].clone();
    assert_eq!(frailty["category"], "MODERATE");
    assert_eq!(frailty["efiRecordedBy"]["id"], nurse_model.id.to_string());
    let cfs = |value: i64| json!({ "input": { "patientId": id, "clinicalFrailtyScale": value, "cfsAssessedOn": "2026-11-20" } });
    assert_eq!(app.gql(&receptionist, FRAILTY, cfs(6)).await.error_code(), "FORBIDDEN");
    let out_of_range = app.gql(&gp, FRAILTY, cfs(10)).await;
    assert_eq!(out_of_range.error_code(), "BAD_USER_INPUT");
    assert_eq!(out_of_range.body["errors"][0]["extensions"]["field"], "value");
    let assessed = app.gql(&gp, FRAILTY, cfs(6)).await;
    let frailty = assessed.data()["recordFrailty"]["patient"]["frailty"].clone();
    assert_eq!(frailty["clinicalFrailtyScale"], 6);
    assert_eq!(frailty["cfsAssessedBy"]["id"], gp_model.id.to_string());
    let half = app.gql(&gp, FRAILTY, json!({ "input": { "patientId": id, "efiScore": 0.2 } })).await;
    assert_eq!(half.body["errors"][0]["extensions"]["field"], "efiCalculatedOn");
    let future = app
        .gql(&nurse, FRAILTY, json!({ "input": { "patientId": id, "efiScore": 0.2, "efiCalculatedOn": "2999-01-01" } }))
        .await;
    assert_eq!(future.error_code(), "BAD_USER_INPUT");
}
