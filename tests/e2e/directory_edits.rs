//! A provider keeps its own directory entries: creates them, changes any detail (lists replaced
//! whole), retires them; each change one transaction in the administration trail. Nobody else's
//! staff may, bad input stores nothing, and a retired entry leaves the searches.

use entity::{community_asset, community_asset_session, practitioner, ProfessionalRole};
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};
use server::cli::DemoRole;

use crate::helpers::{spawn_app, TestApp};

const CREATE: &str = r#"mutation C($input: CreateCommunityAssetInput!) { createCommunityAsset(input: $input) {
    asset { id name description address postcode contact cost capacity spacesLeft takesReferrals active lastCheckedOn
        provider { id } categories languages sessions { weekday startsAt endsAt }
        eligibility { minAge maxAge note conditions { code } } accessibility { stepFree noiseLevel hearingLoop } } } }"#;
const UPDATE: &str = r#"mutation U($input: UpdateCommunityAssetInput!) { updateCommunityAsset(input: $input) {
    asset { id name description contact capacity categories languages sessions { weekday startsAt endsAt }
        eligibility { minAge maxAge conditions { code } } accessibility { stepFree noiseLevel } lastCheckedOn } } }"#;
const RETIRE: &str = r#"mutation R($input: RetireCommunityAssetInput!) { retireCommunityAsset(input: $input) {
    asset { id active } } }"#;
const SEARCH: &str =
    r#"query S($text: String) { communityAssets(filter: { search: $text }, first: 10) { nodes { id name } } }"#;
const TRAIL: &str = r#"query T($id: ID) { administrationTrail(subjectId: $id, first: 10) {
    nodes { action subjectKind summary detail actor { id } organisation { id } } } }"#;

/// A VCSE organisation of the coordinator's neighbourhood with a worker, and a postcode of it.
struct Setting {
    neighbourhood: uuid::Uuid,
    vcse: practitioner::Model,
    postcode: String,
}

async fn setting(app: &TestApp) -> Setting {
    let neighbourhood = app.neighbourhoods().await[0].id;
    let vcse = app.practitioner_in(ProfessionalRole::VcseWorker, neighbourhood).await;
    let postcode = community_asset::Entity::find()
        .filter(community_asset::Column::NeighbourhoodId.eq(neighbourhood))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .postcode;
    Setting { neighbourhood, vcse, postcode }
}

fn new_entry(s: &Setting) -> Value {
    json!({
        "neighbourhoodId": s.neighbourhood,
        "name": "  Riverside Memory Café ",
        "description": "A friendly afternoon for people living with memory loss and those who care for them.",
        "address": "St Mark's Church Hall",
        "postcode": s.postcode.to_lowercase().replace(' ', ""),
        "contact": "01623 000000",
        "cost": "FREE",
        "minAge": 50,
        "eligibilityNote": "Carers welcome",
        "conditionCodes": ["dementia"],
        "stepFree": true,
        "noiseLevel": "QUIET",
        "hearingLoop": true,
        "capacity": 12,
        "takesReferrals": true,
        "categories": ["PEER_SUPPORT", "CARERS", "PEER_SUPPORT"],
        "languages": ["Polish", " Urdu "],
        "sessions": [
            { "weekday": "WEDNESDAY", "startsAt": "14:00", "endsAt": "16:00" },
            { "weekday": "MONDAY", "startsAt": "9:30", "endsAt": "11:00" },
        ],
    })
}

fn field(reply: &crate::helpers::Reply) -> &Value {
    &reply.body["errors"][0]["extensions"]["field"]
}

#[tokio::test]
async fn a_provider_lists_changes_and_retires_its_own_entries_and_nobody_else_may() {
    let app = spawn_app().await;
    let s = setting(&app).await;
    let vcse = app.token_for_practitioner(&s.vcse);
    let today = chrono::Utc::now().date_naive().to_string();

    // Created by the provider's worker: stored as checked today, texts trimmed, lists without repeats.
    let made = app.gql(&vcse, CREATE, json!({ "input": new_entry(&s) })).await;
    let asset = made.data()["createCommunityAsset"]["asset"].clone();
    let id = asset["id"].as_str().unwrap().to_owned();
    assert_eq!(asset["name"], "Riverside Memory Café");
    assert_eq!(asset["postcode"], s.postcode);
    assert_eq!(asset["provider"]["id"], s.vcse.organisation_id.to_string());
    assert_eq!(asset["lastCheckedOn"], today);
    assert_eq!(
        (asset["capacity"].clone(), asset["spacesLeft"].clone(), asset["active"].clone()),
        (json!(12), json!(12), json!(true))
    );
    let mut categories: Vec<String> = serde_json::from_value(asset["categories"].clone()).unwrap();
    categories.sort();
    assert_eq!(categories, ["CARERS", "PEER_SUPPORT"]);
    assert_eq!(asset["languages"], json!(["Polish", "Urdu"]));
    assert_eq!(asset["eligibility"]["conditions"][0]["code"], "52448006", "the catalogue key resolved to its code");
    let sessions = asset["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert!(sessions.contains(&json!({ "weekday": "MONDAY", "startsAt": "09:30", "endsAt": "11:00" })), "{sessions:?}");
    // The directory finds it; the trail says who listed it, for which organisation.
    let found = app.gql(&vcse, SEARCH, json!({ "text": "Riverside Memory" })).await;
    assert_eq!(found.data()["communityAssets"]["nodes"][0]["id"], id.as_str());
    let admin = app.token(DemoRole::Administrator).await;
    let trail = app.gql(&admin, TRAIL, json!({ "id": id })).await;
    let created = &trail.data()["administrationTrail"]["nodes"][0];
    assert_eq!(created["action"], "asset.create");
    assert_eq!(created["actor"]["id"], s.vcse.id.to_string());
    assert_eq!(created["organisation"]["id"], s.vcse.organisation_id.to_string());

    // Changed in part: what is given changes, a list given is replaced, null clears, the rest stays.
    let changed = app
        .gql(
            &vcse,
            UPDATE,
            json!({ "input": { "assetId": id, "description": "Now fortnightly.", "contact": null, "maxAge": 110,
                "sessions": [{ "weekday": "FRIDAY", "startsAt": "10:00", "endsAt": "12:00" }] } }),
        )
        .await;
    let asset = changed.data()["updateCommunityAsset"]["asset"].clone();
    assert_eq!(asset["description"], "Now fortnightly.");
    assert!(asset["contact"].is_null());
    assert_eq!(asset["sessions"], json!([{ "weekday": "FRIDAY", "startsAt": "10:00", "endsAt": "12:00" }]));
    assert_eq!(
        (asset["eligibility"]["minAge"].clone(), asset["eligibility"]["maxAge"].clone()),
        (json!(50), json!(110))
    );
    assert_eq!(asset["languages"], json!(["Polish", "Urdu"]));
    assert_eq!(asset["accessibility"], json!({ "stepFree": true, "noiseLevel": "QUIET" }));
    let trail = app.gql(&admin, TRAIL, json!({ "id": id })).await;
    let updated = &trail.data()["administrationTrail"]["nodes"][0];
    assert_eq!(updated["action"], "asset.update");
    let detail: Value = serde_json::from_str(updated["detail"].as_str().unwrap()).unwrap();
    assert_eq!(detail["before"]["contact"], "01623 000000");
    assert!(detail["after"]["contact"].is_null());
    // The same change again changes nothing and writes nothing.
    let again = app.gql(&vcse, UPDATE, json!({ "input": { "assetId": id, "description": "Now fortnightly." } })).await;
    assert!(again.body["errors"].is_null(), "{}", again.body);
    let trail = app.gql(&admin, TRAIL, json!({ "id": id })).await;
    assert_eq!(trail.data()["administrationTrail"]["nodes"].as_array().unwrap().len(), 2);

    // Nobody else's staff, nor a commissioner, may touch it; the provider's own administrator and
    // the deployment's may.
    let asset_id: uuid::Uuid = id.parse().unwrap();
    for role in [DemoRole::LinkWorker, DemoRole::Coordinator, DemoRole::Commissioner, DemoRole::PrivacyOfficer] {
        let token = app.token(role).await;
        let reply = app.gql(&token, UPDATE, json!({ "input": { "assetId": id, "name": "Taken over" } })).await;
        assert_eq!(reply.error_code(), "FORBIDDEN", "{role:?}: {}", reply.body);
        let retire = app.gql(&token, RETIRE, json!({ "input": { "assetId": id, "reason": "no" } })).await;
        assert_eq!(retire.error_code(), "FORBIDDEN", "{role:?}");
    }
    let stored = community_asset::Entity::find_by_id(asset_id).one(&app.db).await.unwrap().unwrap();
    assert_eq!(stored.name, "Riverside Memory Café");
    let own_admin = practitioner::Model {
        id: uuid::Uuid::now_v7(),
        identity_subject: Some("vcse-admin".into()),
        given_name: "Val".into(),
        family_name: "Admin".into(),
        professional_role: ProfessionalRole::OrganisationAdministrator,
        ..s.vcse.clone()
    };
    practitioner::Entity::insert(own_admin.clone().into_active_model()).exec_without_returning(&app.db).await.unwrap();
    let own_admin = app.token_for_practitioner(&own_admin);
    let renamed = app.gql(&own_admin, UPDATE, json!({ "input": { "assetId": id, "name": "Riverside Café" } })).await;
    assert_eq!(renamed.data()["updateCommunityAsset"]["asset"]["name"], "Riverside Café");
    let elsewhere = app
        .gql(
            &own_admin,
            CREATE,
            json!({ "input": with(new_entry(&s), "providerOrganisationId", json!(uuid::Uuid::now_v7())) }),
        )
        .await;
    assert_eq!(elsewhere.error_code(), "FORBIDDEN", "only the deployment's administrator names another provider");
    let by_deployment = app
        .gql(
            &admin,
            CREATE,
            json!({ "input": with(new_entry(&s), "providerOrganisationId", json!(s.vcse.organisation_id)) }),
        )
        .await;
    assert_eq!(
        by_deployment.data()["createCommunityAsset"]["asset"]["provider"]["id"],
        s.vcse.organisation_id.to_string()
    );

    // Retired: out of the searches, its history kept; not twice.
    let retired = app.gql(&vcse, RETIRE, json!({ "input": { "assetId": id, "reason": "The hall has closed." } })).await;
    assert_eq!(retired.data()["retireCommunityAsset"]["asset"]["active"], false);
    let found = app.gql(&vcse, SEARCH, json!({ "text": "Riverside Café" })).await;
    let nodes = found.data()["communityAssets"]["nodes"].as_array().unwrap().clone();
    assert!(!nodes.is_empty() && nodes.iter().all(|n| n["id"] != id.as_str()), "{}", found.body);
    let twice = app.gql(&vcse, RETIRE, json!({ "input": { "assetId": id, "reason": "again" } })).await;
    assert_eq!(twice.error_code(), "INVALID_TRANSITION");
    let trail = app.gql(&admin, TRAIL, json!({ "id": id })).await;
    let last = &trail.data()["administrationTrail"]["nodes"][0];
    assert_eq!(last["action"], "asset.retire");
    assert!(last["detail"].as_str().unwrap().contains("The hall has closed."));
}

fn with(mut input: Value, key: &str, value: Value) -> Value {
    input[key] = value;
    input
}

#[tokio::test]
async fn bad_entries_are_refused_by_field_and_store_nothing() {
    let app = spawn_app().await;
    let s = setting(&app).await;
    let vcse = app.token_for_practitioner(&s.vcse);
    let assets = community_asset::Entity::find().count(&app.db).await.unwrap();
    let sessions = community_asset_session::Entity::find().count(&app.db).await.unwrap();
    // A neighbourhood the provider takes no part in, if the demo has one.
    let member_of: Vec<uuid::Uuid> = entity::neighbourhood_organisation::Entity::find()
        .filter(entity::neighbourhood_organisation::Column::OrganisationId.eq(s.vcse.organisation_id))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.neighbourhood_id)
        .collect();
    let other_neighbourhood = app.neighbourhoods().await.iter().map(|n| n.id).find(|n| !member_of.contains(n));
    let mut cases = vec![
        ("name", json!("  "), "name"),
        ("postcode", json!("NOT A POSTCODE"), "postcode"),
        ("postcode", json!("ZZ9 9ZZ"), "postcode"),
        ("minAge", json!(130), "minAge"),
        ("maxAge", json!(40), "maxAge"),
        ("capacity", json!(-1), "capacity"),
        ("categories", json!([]), "categories"),
        ("conditionCodes", json!(["not-a-condition"]), "conditionCodes"),
        ("sessions", json!([{ "weekday": "MONDAY", "startsAt": "11:00", "endsAt": "10:00" }]), "sessions.endsAt"),
        ("sessions", json!([{ "weekday": "MONDAY", "startsAt": "25:00", "endsAt": "26:00" }]), "sessions.startsAt"),
    ];
    if let Some(other) = other_neighbourhood {
        cases.push(("neighbourhoodId", json!(other), "neighbourhoodId"));
    }
    for (key, value, expected) in cases {
        let reply = app.gql(&vcse, CREATE, json!({ "input": with(new_entry(&s), key, value.clone()) })).await;
        assert_eq!(reply.error_code(), "BAD_USER_INPUT", "{key} {value}: {}", reply.body);
        assert_eq!(field(&reply), expected, "{key} {value}: {}", reply.body);
    }
    assert_eq!(community_asset::Entity::find().count(&app.db).await.unwrap(), assets, "nothing stored");
    assert_eq!(community_asset_session::Entity::find().count(&app.db).await.unwrap(), sessions);

    // A change that would leave fewer places than are held is refused; so is retiring while held.
    let made = app.gql(&vcse, CREATE, json!({ "input": new_entry(&s) })).await;
    let id = made.data()["createCommunityAsset"]["asset"]["id"].as_str().unwrap().to_owned();
    community_asset::Entity::update_many()
        .col_expr(community_asset::Column::PlacesTaken, sea_orm::sea_query::Expr::value(3))
        .filter(community_asset::Column::Id.eq(id.parse::<uuid::Uuid>().unwrap()))
        .exec(&app.db)
        .await
        .unwrap();
    let fewer = app.gql(&vcse, UPDATE, json!({ "input": { "assetId": id, "capacity": 2, "name": "Renamed" } })).await;
    assert_eq!(fewer.error_code(), "BAD_USER_INPUT");
    assert_eq!(field(&fewer), "capacity");
    let held = app.gql(&vcse, RETIRE, json!({ "input": { "assetId": id, "reason": "closing" } })).await;
    assert_eq!(held.error_code(), "CONFLICT", "{}", held.body);
    assert!(held.error_message().contains("3 people"), "{}", held.error_message());
    let stored =
        community_asset::Entity::find_by_id(id.parse::<uuid::Uuid>().unwrap()).one(&app.db).await.unwrap().unwrap();
    assert_eq!((stored.name.as_str(), stored.capacity, stored.active), ("Riverside Memory Café", Some(12), true));
}
