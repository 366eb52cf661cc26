//! Administration of the team: organisations, neighbourhoods and practitioners entered through
//! GraphQL by administrators, the identity a practitioner signs in with (the identity provider's
//! `sub`, without their id in the token), deactivation taking effect at the next request, and the
//! administration trail; tried from the side of those who may not administer.

use entity::ProfessionalRole as R;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};
use server::auth::Claims;
use server::cli::DemoRole;

use crate::helpers::{spawn_app, TestApp};

const CREATE_ORG: &str = r#"mutation C($input: CreateOrganisationInput!) { createOrganisation(input: $input) {
    organisation { id odsCode name kind listSize postcode parent { id } } } }"#;
const UPDATE_ORG: &str = r#"mutation U($input: UpdateOrganisationInput!) { updateOrganisation(input: $input) {
    organisation { id odsCode name kind listSize postcode parent { id } } } }"#;
const CREATE_NEIGHBOURHOOD: &str = r#"mutation N($input: CreateNeighbourhoodInput!) {
    createNeighbourhood(input: $input) { neighbourhood { id name plannedPopulation organisations { id } } } }"#;
const ADD_MEMBER: &str = r#"mutation A($input: NeighbourhoodMemberInput!) { addNeighbourhoodMember(input: $input) {
    neighbourhood { id organisations { id } } } }"#;
const REMOVE_MEMBER: &str = r#"mutation R($input: NeighbourhoodMemberInput!) { removeNeighbourhoodMember(input: $input) {
    neighbourhood { id organisations { id } } } }"#;
const CREATE_PRACTITIONER: &str = r#"mutation P($input: CreatePractitionerInput!) { createPractitioner(input: $input) {
    practitioner { id name professionalRole fte caseloadCapacity active identitySubject organisation { id } } } }"#;
const UPDATE_PRACTITIONER: &str = r#"mutation U($input: UpdatePractitionerInput!) { updatePractitioner(input: $input) {
    practitioner { id name professionalRole identitySubject caseloadCapacity organisation { id } } } }"#;
const DEACTIVATE: &str = r#"mutation D($input: DeactivatePractitionerInput!) { deactivatePractitioner(input: $input) {
    practitioner { id active leftAt } careTeamMembershipsEnded openReferralsAssigned } }"#;
const REACTIVATE: &str = r#"mutation R($input: ReactivatePractitionerInput!) { reactivatePractitioner(input: $input) {
    practitioner { id active leftAt } } }"#;
const TRAIL: &str = r#"query T($subject: ID) { administrationTrail(first: 50, subjectId: $subject) {
    totalCount nodes { action subjectKind subjectId summary detail actor { id } organisation { id } } } }"#;
const ME: &str = "{ me { role practitioner { id name } organisation { id odsCode } neighbourhoods { id } } }";

/// A token as an identity provider issues it: the subject and the standard claims, no
/// practitioner id, organisation or role.
fn idp_token(app: &TestApp, subject: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    let signer = app.signer();
    let claims = Claims {
        sub: subject.to_owned(),
        org: None,
        role: None,
        name: None,
        iss: signer.issuer.clone(),
        aud: signer.audience.clone(),
        iat: now,
        nbf: now,
        exp: now + 600,
    };
    signer.sign(&claims).unwrap()
}

async fn admin(app: &TestApp) -> String {
    app.token(DemoRole::Administrator).await
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

async fn organisations(app: &TestApp) -> u64 {
    entity::organisation::Entity::find().count(&app.db).await.unwrap()
}

async fn trail_rows(app: &TestApp) -> u64 {
    entity::administration_event::Entity::find().count(&app.db).await.unwrap()
}

#[tokio::test]
async fn a_deployment_administrator_sets_up_a_neighbourhood_whose_staff_sign_in_with_their_idp_identity() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let pcn = app
        .gql(&admin, CREATE_ORG, json!({ "input": { "odsCode": "u99001", "name": "Riverside PCN", "kind": "PCN" } }))
        .await;
    let pcn = pcn.data()["createOrganisation"]["organisation"].clone();
    assert_eq!(pcn["odsCode"], "U99001", "stored in capitals");
    let practice = app
        .gql(
            &admin,
            CREATE_ORG,
            json!({ "input": { "odsCode": "Y99001", "name": "Riverside Surgery", "kind": "GP_PRACTICE",
                "parentId": id_of(&pcn), "listSize": 8200, "postcode": "ng5  6aa" } }),
        )
        .await;
    let practice = practice.data()["createOrganisation"]["organisation"].clone();
    assert_eq!(practice["parent"]["id"], pcn["id"]);
    assert_eq!(practice["postcode"], "NG5 6AA");
    let neighbourhood = app
        .gql(
            &admin,
            CREATE_NEIGHBOURHOOD,
            json!({ "input": { "name": "Riverside INT", "plannedPopulation": 42000,
                "organisationIds": [id_of(&pcn), id_of(&practice)] } }),
        )
        .await;
    let neighbourhood = neighbourhood.data()["createNeighbourhood"]["neighbourhood"].clone();
    assert_eq!(neighbourhood["organisations"].as_array().unwrap().len(), 2);

    // A GP whose identity provider (NHS CIS2) knows them by a 12-digit UUID.
    let gp = app
        .gql(
            &admin,
            CREATE_PRACTITIONER,
            json!({ "input": { "givenName": "Asha", "familyName": "Patel", "professionalRole": "GP",
                "organisationId": id_of(&practice), "fte": 0.8, "identitySubject": "555021935107" } }),
        )
        .await;
    let gp = gp.data()["createPractitioner"]["practitioner"].clone();
    assert_eq!(gp["identitySubject"], "555021935107", "the administrator of their organisation reads it");
    assert_eq!(gp["active"], true);

    // Their token carries no practitioner id, organisation or role: the record decides.
    let token = idp_token(&app, "555021935107");
    let me = app.gql(&token, ME, json!({})).await;
    assert_eq!(me.data()["me"]["role"], "GP");
    assert_eq!(me.data()["me"]["practitioner"]["id"], gp["id"]);
    assert_eq!(me.data()["me"]["organisation"]["odsCode"], "Y99001");
    assert_eq!(me.data()["me"]["neighbourhoods"][0]["id"], neighbourhood["id"]);
    // The GP reads their own identity; a subject nobody signs in with is refused.
    let own =
        app.gql(&token, "query P($id: ID!) { practitioner(id: $id) { identitySubject } }", json!({ "id": gp["id"] }));
    assert_eq!(own.await.data()["practitioner"]["identitySubject"], "555021935107");
    let stranger = app.post_raw(Some(&idp_token(&app, "555000000000")), json!({ "query": ME })).await;
    assert_eq!(stranger.status, 401);
    assert_eq!(stranger.error_code(), "UNAUTHENTICATED");
    // The practitioner's id is not an identity: a token with it as the subject is refused.
    let by_id = app.post_raw(Some(&idp_token(&app, gp["id"].as_str().unwrap())), json!({ "query": ME })).await;
    assert_eq!(by_id.status, 401, "{}", by_id.body);

    // Every change is in the trail, with who made it.
    let trail = app.gql(&admin, TRAIL, json!({})).await;
    let nodes = trail.data()["administrationTrail"]["nodes"].as_array().unwrap().clone();
    let actions: Vec<&str> = nodes.iter().map(|n| n["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["practitioner.create", "neighbourhood.create", "organisation.create", "organisation.create"],
        "newest first"
    );
    let admin_model = app.practitioner(DemoRole::Administrator).await;
    assert!(nodes.iter().all(|n| n["actor"]["id"] == admin_model.id.to_string()));
    assert_eq!(nodes[0]["organisation"]["id"], practice["id"]);
    assert!(nodes[0]["summary"].as_str().unwrap().contains("Asha Patel"), "{}", nodes[0]);
    let detail: Value = serde_json::from_str(nodes[0]["detail"].as_str().unwrap()).unwrap();
    assert_eq!(detail["after"]["professionalRole"], "gp");
    // The trail is read more widely than the identity is shown (privacy officers): it says whether
    // someone can sign in, never as whom.
    assert_eq!(detail["after"]["signsIn"], true);
    assert!(!trail.body.to_string().contains("555021935107"), "no identity in the trail");
    let about_gp = app.gql(&admin, TRAIL, json!({ "subject": gp["id"] })).await;
    assert_eq!(about_gp.data()["administrationTrail"]["totalCount"], 1);
}

#[tokio::test]
async fn bad_or_duplicate_input_is_refused_by_name_and_nothing_is_stored() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let (orgs_before, trail_before) = (organisations(&app).await, trail_rows(&app).await);
    for (input, field) in [
        (json!({ "odsCode": "A1", "name": "Too short", "kind": "GP_PRACTICE" }), "odsCode"),
        (json!({ "odsCode": "A8100-1", "name": "Punctuation", "kind": "GP_PRACTICE" }), "odsCode"),
        (json!({ "odsCode": "Y99002", "name": "  ", "kind": "GP_PRACTICE" }), "name"),
        (json!({ "odsCode": "Y99003", "name": "A trust", "kind": "MENTAL_HEALTH_TRUST", "listSize": 900 }), "listSize"),
        (json!({ "odsCode": "Y99004", "name": "Bad postcode", "kind": "VCSE", "postcode": "NOT A CODE" }), "postcode"),
        (
            json!({ "odsCode": "Y99005", "name": "Orphan", "kind": "GP_PRACTICE", "parentId": uuid::Uuid::new_v4() }),
            "parentId",
        ),
    ] {
        let reply = app.gql(&admin, CREATE_ORG, json!({ "input": input })).await;
        assert_eq!(reply.error_code(), "BAD_USER_INPUT", "{input}: {}", reply.body);
        assert_eq!(reply.body["errors"][0]["extensions"]["field"], field, "{}", reply.body);
    }
    // An ODS code already in use names the organisation that has it.
    let existing = entity::organisation::Entity::find().one(&app.db).await.unwrap().unwrap();
    let taken = app
        .gql(
            &admin,
            CREATE_ORG,
            json!({ "input": { "odsCode": existing.ods_code.to_lowercase(), "name": "Copy", "kind": "VCSE" } }),
        )
        .await;
    assert_eq!(taken.error_code(), "CONFLICT");
    assert_eq!(taken.body["errors"][0]["extensions"]["existingId"], existing.id.to_string());
    assert!(taken.error_message().contains(&existing.name), "{}", taken.body);
    assert_eq!(organisations(&app).await, orgs_before);

    // A neighbourhood whose third organisation does not exist: nothing of it is stored.
    let real: Vec<String> = entity::organisation::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .iter()
        .take(2)
        .map(|o| o.id.to_string())
        .collect();
    let half = app
        .gql(
            &admin,
            CREATE_NEIGHBOURHOOD,
            json!({ "input": { "name": "Half made", "plannedPopulation": 30000,
                "organisationIds": [real[0], real[1], uuid::Uuid::new_v4()] } }),
        )
        .await;
    assert_eq!(half.error_code(), "BAD_USER_INPUT", "{}", half.body);
    let named = entity::neighbourhood::Entity::find()
        .filter(entity::neighbourhood::Column::Name.eq("Half made"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(named, 0);

    // One identity signs in as one practitioner.
    let gp = app.practitioner(DemoRole::Gp).await;
    let copy = app
        .gql(
            &admin,
            CREATE_PRACTITIONER,
            json!({ "input": { "givenName": "Copy", "familyName": "Cat", "professionalRole": "GP",
                "organisationId": gp.organisation_id, "fte": 1.0, "identitySubject": gp.identity_subject } }),
        )
        .await;
    assert_eq!(copy.error_code(), "CONFLICT");
    assert_eq!(copy.body["errors"][0]["extensions"]["existingId"], gp.id.to_string());
    for (input, field) in [
        (json!({ "fte": 0.0 }), "fte"),
        (json!({ "fte": 1.5 }), "fte"),
        (json!({ "caseloadCapacity": -1 }), "caseloadCapacity"),
        (json!({ "identitySubject": "has space" }), "identitySubject"),
        (json!({ "givenName": "" }), "givenName"),
    ] {
        let mut full = json!({ "givenName": "Valid", "familyName": "Name", "professionalRole": "GP",
            "organisationId": gp.organisation_id, "fte": 1.0 });
        for (k, v) in input.as_object().unwrap() {
            full[k] = v.clone();
        }
        let reply = app.gql(&admin, CREATE_PRACTITIONER, json!({ "input": full })).await;
        assert_eq!(reply.error_code(), "BAD_USER_INPUT", "{input}: {}", reply.body);
        assert_eq!(reply.body["errors"][0]["extensions"]["field"], field, "{}", reply.body);
    }
    assert_eq!(trail_rows(&app).await, trail_before, "refused changes leave no trail");
}

#[tokio::test]
async fn deactivating_a_practitioner_ends_their_access_at_the_next_request_and_keeps_their_history() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let gp_model = app.practitioner(DemoRole::Gp).await;
    let gp = app.token_for_practitioner(&gp_model);
    let neighbourhood: uuid::Uuid = app.gql(&gp, "{ me { neighbourhoods { id } } }", json!({})).await.data()["me"]
        ["neighbourhoods"][0]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let nurse_model = app.practitioner_in(R::DistrictNurse, neighbourhood).await;
    let nurse = app.token_for_practitioner(&nurse_model);
    let person = app.gql(&gp, "{ patients(first: 1) { nodes { id } } }", json!({})).await.data()["patients"]["nodes"]
        [0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let add = r#"mutation A($input: AddCareTeamMemberInput!) { addCareTeamMember(input: $input) { member { id } } }"#;
    let added = app
        .gql(
            &gp,
            add,
            json!({ "input": { "patientId": person, "practitionerId": nurse_model.id, "teamRole": "Community matron" } }),
        )
        .await;
    added.data();
    let open = r#"query O($id: ID!) { patient(id: $id) { accessLevel } }"#;
    assert_eq!(app.gql(&nurse, open, json!({ "id": person })).await.data()["patient"]["accessLevel"], "FULL");
    let history_before = entity::referral_event::Entity::find()
        .filter(entity::referral_event::Column::PractitionerId.eq(nurse_model.id))
        .count(&app.db)
        .await
        .unwrap();

    let done =
        app.gql(&admin, DEACTIVATE, json!({ "input": { "id": nurse_model.id, "reason": "Left the trust" } })).await;
    let done = done.data()["deactivatePractitioner"].clone();
    assert_eq!(done["practitioner"]["active"], false);
    assert!(done["practitioner"]["leftAt"].is_string());
    assert!(done["careTeamMembershipsEnded"].as_u64().unwrap() >= 1);
    // The same token, at its next request: refused.
    let refused = app.post_raw(Some(&nurse), json!({ "query": ME })).await;
    assert_eq!(refused.status, 401);
    assert_eq!(refused.error_code(), "UNAUTHENTICATED");
    // Their history stays; their place in the care team ended, with why.
    let still = entity::practitioner::Entity::find_by_id(nurse_model.id).one(&app.db).await.unwrap().unwrap();
    assert!(!still.active);
    let history_after = entity::referral_event::Entity::find()
        .filter(entity::referral_event::Column::PractitionerId.eq(nurse_model.id))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(history_after, history_before);
    let team = r#"query T($id: ID!) { patient(id: $id) { namedCareTeam(includeEnded: true) {
        practitioner { id } endedAt endReason } } }"#;
    let team = app.gql(&gp, team, json!({ "id": person })).await;
    let member = team.data()["patient"]["namedCareTeam"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["practitioner"]["id"] == nurse_model.id.to_string())
        .unwrap()
        .clone();
    assert!(member["endedAt"].is_string());
    assert!(member["endReason"].as_str().unwrap().contains("deactivated"));
    // Left out of the team's list unless asked for.
    let listed = r#"query L($org: ID!, $all: Boolean!) { practitioners(first: 100, organisationId: $org,
        includeInactive: $all) { nodes { id } } }"#;
    let ids = |reply: &crate::helpers::Reply| -> Vec<String> {
        reply.data()["practitioners"]["nodes"].as_array().unwrap().iter().map(id_of).collect()
    };
    let org = nurse_model.organisation_id;
    let active_only = app.gql(&gp, listed, json!({ "org": org, "all": false })).await;
    assert!(!ids(&active_only).contains(&nurse_model.id.to_string()));
    let everyone = app.gql(&gp, listed, json!({ "org": org, "all": true })).await;
    assert!(ids(&everyone).contains(&nurse_model.id.to_string()));

    // No one deactivates themselves; reactivating lets the nurse in again (the team stays ended).
    let admin_model = app.practitioner(DemoRole::Administrator).await;
    let own = app.gql(&admin, DEACTIVATE, json!({ "input": { "id": admin_model.id } })).await;
    assert_eq!(own.error_code(), "BAD_USER_INPUT");
    let back = app.gql(&admin, REACTIVATE, json!({ "input": { "id": nurse_model.id } })).await;
    assert_eq!(back.data()["reactivatePractitioner"]["practitioner"]["active"], true);
    let again = app.post_raw(Some(&nurse), json!({ "query": ME })).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(app.gql(&nurse, open, json!({ "id": person })).await.error_code(), "FORBIDDEN");
}

#[tokio::test]
async fn a_changed_role_applies_at_the_next_request_and_tokens_claiming_the_old_one_are_refused() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let receptionist = app.practitioner(DemoRole::Receptionist).await;
    let claimed = app.token_for_practitioner(&receptionist);
    let plain = idp_token(&app, receptionist.identity_subject.as_deref().unwrap());
    let conditions = "{ patients(first: 1) { nodes { accessLevel } } }";
    let before = app.gql(&plain, conditions, json!({})).await;
    assert_eq!(before.data()["patients"]["nodes"][0]["accessLevel"], "ADMINISTRATIVE");

    let changed = app
        .gql(
            &admin,
            UPDATE_PRACTITIONER,
            json!({ "input": { "id": receptionist.id, "professionalRole": "PRACTICE_NURSE" } }),
        )
        .await;
    assert_eq!(changed.data()["updatePractitioner"]["practitioner"]["professionalRole"], "PRACTICE_NURSE");
    let after = app.gql(&plain, conditions, json!({})).await;
    assert_eq!(after.data()["patients"]["nodes"][0]["accessLevel"], "FULL", "the record decides");
    let stale = app.post_raw(Some(&claimed), json!({ "query": ME })).await;
    assert_eq!(stale.status, 401, "a token still claiming RECEPTIONIST: {}", stale.body);

    // The identity is cleared: they cannot sign in, their record stays active.
    let cleared = app
        .gql(&admin, UPDATE_PRACTITIONER, json!({ "input": { "id": receptionist.id, "identitySubject": null } }))
        .await;
    assert!(cleared.data()["updatePractitioner"]["practitioner"]["identitySubject"].is_null());
    assert_eq!(app.post_raw(Some(&plain), json!({ "query": ME })).await.status, 401);
    // Null for a field that cannot be cleared is refused by name.
    let null_name =
        app.gql(&admin, UPDATE_PRACTITIONER, json!({ "input": { "id": receptionist.id, "givenName": null } })).await;
    assert_eq!(null_name.error_code(), "BAD_USER_INPUT");
    assert_eq!(null_name.body["errors"][0]["extensions"]["field"], "givenName");
}

#[tokio::test]
async fn only_administrators_administer_and_an_organisations_administrator_only_their_own() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let gp_model = app.practitioner(DemoRole::Gp).await;
    let gp = app.token_for_practitioner(&gp_model);
    let practice = gp_model.organisation_id;
    // The deployment administrator names the practice's own administrator.
    let made = app
        .gql(
            &admin,
            CREATE_PRACTITIONER,
            json!({ "input": { "givenName": "Mo", "familyName": "Reed", "professionalRole": "ORGANISATION_ADMINISTRATOR",
                "organisationId": practice, "fte": 0.6, "identitySubject": "practice-manager@example.nhs.uk" } }),
        )
        .await;
    let manager_id = id_of(&made.data()["createPractitioner"]["practitioner"]);
    let manager = idp_token(&app, "practice-manager@example.nhs.uk");

    // Their own organisation's staff and details: yes.
    let hired = app
        .gql(
            &manager,
            CREATE_PRACTITIONER,
            json!({ "input": { "givenName": "New", "familyName": "Nurse", "professionalRole": "PRACTICE_NURSE",
                "organisationId": practice, "fte": 1.0, "identitySubject": "new-nurse" } }),
        )
        .await;
    hired.data();
    let renamed = app
        .gql(&manager, UPDATE_ORG, json!({ "input": { "id": practice, "name": "Calverton Family Practice (Main)" } }))
        .await;
    assert_eq!(renamed.data()["updateOrganisation"]["organisation"]["name"], "Calverton Family Practice (Main)");

    // Anything beyond it: FORBIDDEN, and nothing stored.
    let other_org = entity::organisation::Entity::find()
        .filter(entity::organisation::Column::Id.ne(practice))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let staff_before = entity::practitioner::Entity::find().count(&app.db).await.unwrap();
    let refusals = [
        (
            CREATE_PRACTITIONER,
            json!({ "input": { "givenName": "X", "familyName": "Y", "professionalRole": "GP",
            "organisationId": other_org.id, "fte": 1.0 } }),
        ),
        (
            CREATE_PRACTITIONER,
            json!({ "input": { "givenName": "X", "familyName": "Y",
            "professionalRole": "DEPLOYMENT_ADMINISTRATOR", "organisationId": practice, "fte": 1.0 } }),
        ),
        (UPDATE_ORG, json!({ "input": { "id": practice, "odsCode": "Y12345" } })),
        (UPDATE_ORG, json!({ "input": { "id": other_org.id, "name": "Mine now" } })),
        (CREATE_ORG, json!({ "input": { "odsCode": "Y99009", "name": "New", "kind": "VCSE" } })),
        (CREATE_NEIGHBOURHOOD, json!({ "input": { "name": "Mine", "plannedPopulation": 100 } })),
        (DEACTIVATE, json!({ "input": { "id": app.practitioner(DemoRole::Administrator).await.id } })),
    ];
    for (query, variables) in &refusals {
        let reply = app.gql(&manager, query, variables.clone()).await;
        assert_eq!(reply.error_code(), "FORBIDDEN", "{variables}: {}", reply.body);
    }
    // Everyone else: FORBIDDEN for every change, including the GP on their own practice.
    for (query, variables) in refusals
        .iter()
        .chain([(UPDATE_ORG, json!({ "input": { "id": practice, "name": "The GP's name for it" } }))].iter())
    {
        let reply = app.gql(&gp, query, variables.clone()).await;
        assert_eq!(reply.error_code(), "FORBIDDEN", "GP {variables}: {}", reply.body);
    }
    assert_eq!(entity::practitioner::Entity::find().count(&app.db).await.unwrap(), staff_before);

    // Administrators read no record and no identity beyond their organisation.
    for token in [&admin, &manager] {
        let records = app.gql(token, "{ patients(first: 1) { totalCount } }", json!({})).await;
        assert_eq!(records.error_code(), "FORBIDDEN", "{}", records.body);
    }
    let identity = "query P($id: ID!) { practitioner(id: $id) { identitySubject } }";
    let colleague = app.gql(&gp, identity, json!({ "id": manager_id })).await;
    assert!(colleague.data()["practitioner"]["identitySubject"].is_null(), "a colleague does not read it");
    let outsider = app.practitioner(DemoRole::SocialCare).await;
    let beyond = app.gql(&manager, identity, json!({ "id": outsider.id })).await;
    assert!(beyond.data()["practitioner"]["identitySubject"].is_null(), "nor an administrator of another organisation");

    // The trail: the practice's own changes for its administrator, all for the deployment's and
    // the privacy officer, nothing for anyone else.
    let own = app.gql(&manager, TRAIL, json!({})).await;
    let own = own.data()["administrationTrail"]["nodes"].as_array().unwrap().clone();
    assert!(!own.is_empty());
    assert!(own.iter().all(|n| n["organisation"]["id"] == practice.to_string()), "{own:?}");
    let all = app.gql(&admin, TRAIL, json!({})).await;
    let privacy = app.gql(&app.token(DemoRole::PrivacyOfficer).await, TRAIL, json!({})).await;
    assert_eq!(privacy.data()["administrationTrail"]["totalCount"], all.data()["administrationTrail"]["totalCount"]);
    assert_eq!(app.gql(&gp, TRAIL, json!({})).await.error_code(), "FORBIDDEN");
}

#[tokio::test]
async fn leaving_a_neighbourhood_closes_it_to_the_organisations_staff_but_a_practice_stays_while_its_people_do() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let gp_model = app.practitioner(DemoRole::Gp).await;
    let vcse_model = app.practitioner(DemoRole::Vcse).await;
    let vcse = app.token_for_practitioner(&vcse_model);
    let neighbourhood = app.gql(&vcse, ME, json!({})).await.data()["me"]["neighbourhoods"][0]["id"].clone();
    let refused = app
        .gql(
            &admin,
            REMOVE_MEMBER,
            json!({ "input": { "neighbourhoodId": neighbourhood, "organisationId": gp_model.organisation_id } }),
        )
        .await;
    assert_eq!(refused.error_code(), "CONFLICT", "{}", refused.body);
    assert!(refused.error_message().contains("registered"), "{}", refused.body);

    let member = json!({ "input": { "neighbourhoodId": neighbourhood, "organisationId": vcse_model.organisation_id } });
    let takes_part = |reply: &crate::helpers::Reply| {
        reply.data()["me"]["neighbourhoods"].as_array().unwrap().iter().any(|n| n["id"] == neighbourhood)
    };
    assert!(takes_part(&app.gql(&vcse, ME, json!({})).await));
    let removed = app.gql(&admin, REMOVE_MEMBER, member.clone()).await;
    removed.data();
    assert!(!takes_part(&app.gql(&vcse, ME, json!({})).await), "the VCSE no longer takes part, from its next request");
    let twice = app.gql(&admin, REMOVE_MEMBER, member.clone()).await;
    assert_eq!(twice.error_code(), "BAD_USER_INPUT");
    let back = app.gql(&admin, ADD_MEMBER, member.clone()).await;
    back.data();
    assert_eq!(app.gql(&admin, ADD_MEMBER, member).await.error_code(), "CONFLICT");
    assert!(takes_part(&app.gql(&vcse, ME, json!({})).await), "and takes part again once added");
}
