//! The community asset directory: every search filter against a brute-force filter over the same
//! rows, distance order and paging, suggestions with their reasons, connections holding places,
//! and what the organisation running an activity sees.

use std::collections::{HashMap, HashSet};

use domain::directory::geo::{distance_km, Point};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use server::cli::DemoRole;

use crate::helpers::{spawn_app, TestApp};

const SEARCH: &str = r#"query Search($filter: CommunityAssetFilterInput, $near: NearInput, $first: Int, $after: String) {
    communityAssets(filter: $filter, near: $near, first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor }
        nodes { id name distanceKm spacesLeft isStale categories accessibility { noiseLevel stepFree } } } }"#;

struct Directory {
    assets: Vec<entity::community_asset::Model>,
    categories: HashMap<uuid::Uuid, Vec<entity::AssetCategory>>,
    weekdays: HashMap<uuid::Uuid, Vec<i16>>,
}

async fn directory(app: &TestApp) -> Directory {
    let assets = entity::community_asset::Entity::find().all(&app.db).await.unwrap();
    let mut categories: HashMap<_, Vec<_>> = HashMap::new();
    for c in entity::community_asset_category::Entity::find().all(&app.db).await.unwrap() {
        categories.entry(c.asset_id).or_default().push(c.category);
    }
    let mut weekdays: HashMap<_, Vec<_>> = HashMap::new();
    for s in entity::community_asset_session::Entity::find().all(&app.db).await.unwrap() {
        weekdays.entry(s.asset_id).or_default().push(s.weekday);
    }
    Directory { assets, categories, weekdays }
}

/// Every page of a search, in order.
async fn all_pages(app: &TestApp, token: &str, filter: Value, near: Value) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = Value::Null;
    loop {
        let reply = app.gql(token, SEARCH, json!({ "filter": filter, "near": near, "first": 7, "after": after })).await;
        let page = reply.data()["communityAssets"].clone();
        out.extend(page["nodes"].as_array().unwrap().iter().cloned());
        if page["pageInfo"]["hasNextPage"] != true {
            assert_eq!(page["totalCount"].as_u64().unwrap() as usize, out.len());
            return out;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

fn ids(nodes: &[Value]) -> Vec<String> {
    nodes.iter().map(|n| n["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn every_search_filter_matches_a_brute_force_filter() {
    let app = spawn_app().await;
    let token = app.token(DemoRole::LinkWorker).await;
    let d = directory(&app).await;
    assert!(d.assets.len() >= 40);
    let neighbourhood = d.assets[0].neighbourhood_id;
    let by_name = |keep: &dyn Fn(&entity::community_asset::Model) -> bool| {
        let mut rows: Vec<&entity::community_asset::Model> = d.assets.iter().filter(|a| a.active && keep(a)).collect();
        rows.sort_by(|a, b| (a.name.as_str(), a.id).cmp(&(b.name.as_str(), b.id)));
        rows.iter().map(|a| a.id.to_string()).collect::<Vec<_>>()
    };
    type Expected<'a> = Box<dyn Fn(&entity::community_asset::Model) -> bool + 'a>;
    let cases: Vec<(Value, Expected<'_>)> = vec![
        (json!({}), Box::new(|_| true)),
        (
            json!({ "neighbourhoodId": neighbourhood.to_string() }),
            Box::new(move |a| a.neighbourhood_id == neighbourhood),
        ),
        (
            json!({ "search": "GARDEN" }),
            Box::new(|a| (a.name.clone() + &a.description).to_lowercase().contains("garden")),
        ),
        (
            json!({ "search": "walk health" }),
            Box::new(|a| {
                let text = (a.name.clone() + " " + &a.description).to_lowercase();
                text.contains("walk") && text.contains("health")
            }),
        ),
        (
            json!({ "categories": ["GREEN_AND_BLUE", "FOOD"] }),
            Box::new(|a| {
                d.categories[&a.id]
                    .iter()
                    .any(|c| matches!(c, entity::AssetCategory::GreenAndBlue | entity::AssetCategory::Food))
            }),
        ),
        (
            json!({ "requirements": { "stepFree": true, "quiet": true } }),
            Box::new(|a| a.step_free && a.noise_level == entity::NoiseLevel::Quiet),
        ),
        (json!({ "requirements": { "hearingLoop": true } }), Box::new(|a| a.hearing_loop)),
        (
            json!({ "requirements": { "reachableWithoutCar": true } }),
            Box::new(|a| a.on_bus_route || a.transport_provided),
        ),
        (json!({ "weekday": "TUESDAY" }), Box::new(|a| d.weekdays.get(&a.id).is_some_and(|w| w.contains(&2)))),
        (json!({ "spacesAvailable": true }), Box::new(|a| a.capacity.is_none_or(|c| a.places_taken < c))),
        (json!({ "takesReferrals": false }), Box::new(|a| !a.takes_referrals)),
        (json!({ "age": 70 }), Box::new(|a| a.min_age.is_none_or(|m| m <= 70) && a.max_age.is_none_or(|m| m >= 70))),
    ];
    for (filter, keep) in &cases {
        let got = ids(&all_pages(&app, &token, filter.clone(), Value::Null).await);
        let want = by_name(keep.as_ref());
        assert!(!want.is_empty(), "{filter} selects something");
        assert_eq!(got, want, "{filter}");
    }

    // Distance: within the radius, nearest first, paged without gaps or repeats.
    let centre = &d.assets[3];
    let origin = Point { latitude: centre.latitude, longitude: centre.longitude };
    let nodes =
        all_pages(&app, &token, json!({}), json!({ "postcode": centre.postcode.to_lowercase(), "withinKm": 4.0 }))
            .await;
    let mut want: Vec<(f64, String)> = d
        .assets
        .iter()
        .filter(|a| a.active)
        .map(|a| (distance_km(origin, Point { latitude: a.latitude, longitude: a.longitude }), a.id.to_string()))
        .filter(|(km, _)| *km <= 4.0)
        .collect();
    want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    assert_eq!(ids(&nodes), want.iter().map(|(_, id)| id.clone()).collect::<Vec<_>>());
    assert!(want.len() > 7, "more than one page");
    assert_eq!(nodes[0]["distanceKm"], 0.0);
    let distances: Vec<f64> = nodes.iter().map(|n| n["distanceKm"].as_f64().unwrap()).collect();
    assert!(distances.windows(2).all(|w| w[0] <= w[1]));
    // Filters combine with distance.
    let green = all_pages(
        &app,
        &token,
        json!({ "categories": ["GREEN_AND_BLUE"] }),
        json!({ "postcode": centre.postcode, "withinKm": 4.0 }),
    )
    .await;
    assert!(green.iter().all(|n| n["categories"].as_array().unwrap().contains(&json!("GREEN_AND_BLUE"))));
    assert!(green.len() < nodes.len());

    // An unknown postcode in a known district is placed at the district's centre; nonsense is refused.
    let district = domain::directory::geo::district_of(&centre.postcode).to_owned();
    let placed = app
        .gql(
            &token,
            "query($p: String!) { locatePostcode(postcode: $p) { postcode precision } }",
            json!({ "p": format!("{district} 9ZZ") }),
        )
        .await;
    assert_eq!(placed.data()["locatePostcode"]["precision"], "DISTRICT");
    for (near, field) in [
        (json!({ "postcode": "not a postcode" }), "postcode"),
        (json!({ "postcode": "ZZ9 9ZZ" }), "postcode"),
        (json!({ "postcode": centre.postcode, "withinKm": 500.0 }), "withinKm"),
    ] {
        let reply = app.gql(&token, SEARCH, json!({ "near": near })).await;
        assert_eq!(reply.error_code(), "BAD_USER_INPUT", "{near}");
        assert_eq!(reply.body["errors"][0]["extensions"]["field"], field);
    }
    // Stale entries are flagged.
    let today = api::context::uk_today();
    let all = all_pages(&app, &token, json!({}), Value::Null).await;
    for n in &all {
        let a = d.assets.iter().find(|a| a.id.to_string() == n["id"].as_str().unwrap()).unwrap();
        assert_eq!(n["isStale"], domain::directory::is_stale(a, today), "{}", a.name);
    }
    assert!(all.iter().any(|n| n["isStale"] == true));
}

const CONNECT: &str = r#"mutation Connect($input: ConnectToAssetInput!) { connectToAsset(input: $input) {
    connection { id state allowedMoves asset { id spacesLeft placesTaken } patient { name } events { toState } } } }"#;
const MOVE: &str = r#"mutation Move($input: MoveAssetConnectionInput!) { moveAssetConnection(input: $input) {
    connection { id state endedAt startedAt asset { spacesLeft } } } }"#;
const CHECK: &str = r#"mutation Check($input: RecordAssetCheckInput!) { recordAssetCheck(input: $input) {
    asset { capacity placesTaken spacesLeft lastCheckedOn isStale } } }"#;

async fn neighbourhood_of(app: &TestApp, token: &str) -> uuid::Uuid {
    let me = app.gql(token, "{ me { neighbourhoods { id } } }", json!({})).await;
    me.data()["me"]["neighbourhoods"][0]["id"].as_str().unwrap().parse().unwrap()
}

/// People of the worker's neighbourhood the worker reaches (referred to their service) with no
/// live connection and no open referral, so that what is suggested comes from what a test records.
async fn people(app: &TestApp, token: &str, n: usize) -> (uuid::Uuid, Vec<String>) {
    let me = app.gql(token, "{ me { neighbourhoods { id } } }", json!({})).await;
    let neighbourhood = me.data()["me"]["neighbourhoods"][0]["id"].as_str().unwrap().to_owned();
    let page = app
        .gql(
            token,
            "query($n: ID) { patients(first: 100, filter: { neighbourhoodId: $n, ageMin: 30 }) { nodes { id } } }",
            json!({ "n": neighbourhood }),
        )
        .await;
    let mut connected: HashSet<String> = entity::asset_connection::Entity::find()
        .filter(entity::asset_connection::Column::OpenKey.is_not_null())
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.patient_id.to_string())
        .collect();
    connected.extend(
        entity::referral::Entity::find()
            .filter(entity::referral::Column::OpenKey.is_not_null())
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.patient_id.to_string()),
    );
    let ids = page.data()["patients"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .filter(|id| !connected.contains(id))
        .take(n)
        .collect::<Vec<_>>();
    assert_eq!(ids.len(), n, "enough people the worker reaches: {}", page.body);
    (neighbourhood.parse().unwrap(), ids)
}

#[tokio::test]
async fn connections_hold_places_and_the_provider_sees_only_its_own() {
    let app = spawn_app().await;
    let worker = app.token(DemoRole::LinkWorker).await;
    let (neighbourhood, people) = people(&app, &worker, 3).await;
    let d = directory(&app).await;
    let staffed: HashSet<uuid::Uuid> = entity::practitioner::Entity::find()
        .filter(entity::practitioner::Column::ProfessionalRole.eq(entity::ProfessionalRole::VcseWorker))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.organisation_id)
        .collect();
    let asset = d
        .assets
        .iter()
        .find(|a| {
            a.neighbourhood_id == neighbourhood
                && a.takes_referrals
                && a.capacity.is_some()
                && a.min_age.is_none_or(|m| m <= 30)
                && a.max_age.is_none()
                && staffed.contains(&a.provider_organisation_id)
        })
        .expect("an activity whose provider has staff")
        .clone();
    let signposting = d.assets.iter().find(|a| a.neighbourhood_id == neighbourhood && !a.takes_referrals).unwrap();

    // One place left: the first referral takes it, the second is refused, nothing changes.
    let checked = app
        .gql(
            &worker,
            CHECK,
            json!({ "input": { "assetId": asset.id.to_string(), "capacity": asset.places_taken + 1 } }),
        )
        .await;
    assert_eq!(checked.data()["recordAssetCheck"]["asset"]["spacesLeft"], 1);
    assert_eq!(checked.data()["recordAssetCheck"]["asset"]["isStale"], false);
    let input = |p: &str, state: &str| json!({ "input": { "patientId": p, "assetId": asset.id.to_string(), "state": state, "note": "walk to it together first" } });
    let first = app.gql(&worker, CONNECT, input(&people[0], "REFERRED")).await;
    let c = &first.data()["connectToAsset"]["connection"];
    assert_eq!(c["state"], "REFERRED");
    assert_eq!(c["asset"]["spacesLeft"], 0);
    let connection = c["id"].as_str().unwrap().to_owned();
    let full = app.gql(&worker, CONNECT, input(&people[1], "REFERRED")).await;
    assert_eq!(full.error_code(), "CONFLICT");
    assert!(full.error_message().contains("is full"), "{}", full.error_message());
    let suggested = app.gql(&worker, CONNECT, input(&people[1], "SUGGESTED")).await;
    assert_eq!(suggested.data()["connectToAsset"]["connection"]["state"], "SUGGESTED", "a suggestion holds no place");
    let twice = app.gql(&worker, CONNECT, input(&people[0], "SUGGESTED")).await;
    assert_eq!(twice.error_code(), "CONFLICT");
    assert_eq!(twice.body["errors"][0]["extensions"]["existingId"], connection.as_str());
    let refer_signposting = app
        .gql(
            &worker,
            CONNECT,
            json!({ "input": { "patientId": people[2], "assetId": signposting.id.to_string(), "state": "REFERRED" } }),
        )
        .await;
    assert_eq!(refer_signposting.error_code(), "BAD_USER_INPUT");
    let shrink = app.gql(&worker, CHECK, json!({ "input": { "assetId": asset.id.to_string(), "capacity": 0 } })).await;
    assert_eq!(shrink.body["errors"][0]["extensions"]["field"], "capacity");

    // The provider sees the person it was referred (summary only) and records attendance.
    let provider = entity::practitioner::Entity::find()
        .filter(entity::practitioner::Column::OrganisationId.eq(asset.provider_organisation_id))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .next()
        .expect("the provider has staff");
    let vcse = app.token_for_practitioner(&provider);
    let inbox = app
        .gql(&vcse, "query($a: ID) { assetConnections(assetId: $a, states: [REFERRED]) { totalCount nodes { id state patient { name accessLevel } } } }", json!({ "a": asset.id.to_string() }))
        .await;
    let nodes = inbox.data()["assetConnections"]["nodes"].as_array().unwrap().clone();
    let mine = nodes.iter().find(|n| n["id"] == connection.as_str()).expect("the provider sees the referral");
    assert_eq!(mine["patient"]["accessLevel"], "SHARED_SUMMARY");
    let clinical = app
        .gql(
            &vcse,
            "query($a: ID) { assetConnections(assetId: $a) { nodes { patient { nhsNumber } } } }",
            json!({ "a": asset.id.to_string() }),
        )
        .await;
    assert_eq!(clinical.error_code(), "FORBIDDEN");
    let attending = app.gql(&vcse, MOVE, json!({ "input": { "connectionId": connection, "to": "ATTENDING" } })).await;
    assert_eq!(attending.data()["moveAssetConnection"]["connection"]["state"], "ATTENDING");
    assert_eq!(
        attending.data()["moveAssetConnection"]["connection"]["asset"]["spacesLeft"],
        0,
        "attending still holds the place"
    );
    let illegal = app.gql(&vcse, MOVE, json!({ "input": { "connectionId": connection, "to": "REFERRED" } })).await;
    assert_eq!(illegal.error_code(), "INVALID_TRANSITION");
    // The link worker's note may be clinical: the provider does not read it (its own notes it does).
    const NOTES: &str =
        "query($a: ID) { assetConnections(assetId: $a) { nodes { id events { toState note organisation { id } } } } }";
    let notes = app.gql(&vcse, NOTES, json!({ "a": asset.id.to_string() })).await;
    assert!(!notes.body.to_string().contains("walk to it together first"), "{}", notes.body);
    assert_eq!(notes.error_code(), "FORBIDDEN");
    assert_eq!(notes.body["errors"][0]["path"].as_array().unwrap().last().unwrap(), "note", "{}", notes.body);
    let by_worker = app
        .gql(
            &worker,
            "query($p: ID!) { patient(id: $p) { assetConnections { events { note } } } }",
            json!({ "p": people[0] }),
        )
        .await;
    assert!(by_worker.data().to_string().contains("walk to it together first"), "{}", by_worker.body);
    assert!(illegal.error_message().contains("allowed: STOPPED, COMPLETED"), "{}", illegal.error_message());
    let audited: Vec<_> =
        app.audit_trail().await.into_iter().filter(|a| a.access_reason == "asset_connection").collect();
    assert!(!audited.is_empty());

    // Another organisation's staff see none of it.
    let other_vcse = entity::practitioner::Entity::find()
        .filter(entity::practitioner::Column::ProfessionalRole.eq(entity::ProfessionalRole::VcseWorker))
        .filter(entity::practitioner::Column::OrganisationId.ne(asset.provider_organisation_id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let other = app.token_for_practitioner(&other_vcse);
    let theirs = app
        .gql(
            &other,
            "query($a: ID) { assetConnections(assetId: $a) { totalCount } }",
            json!({ "a": asset.id.to_string() }),
        )
        .await;
    assert_eq!(theirs.data()["assetConnections"]["totalCount"], 0);
    assert_eq!(
        app.gql(&other, MOVE, json!({ "input": { "connectionId": connection, "to": "STOPPED" } })).await.error_code(),
        "FORBIDDEN"
    );

    // Stopping releases the place; the person's details close to the provider; the next person gets in.
    let stopped = app
        .gql(&vcse, MOVE, json!({ "input": { "connectionId": connection, "to": "STOPPED", "note": "moved away" } }))
        .await;
    let s = &stopped.data()["moveAssetConnection"]["connection"];
    assert_eq!(s["state"], "STOPPED");
    assert_eq!(s["asset"]["spacesLeft"], 1);
    assert!(s["endedAt"].is_string());
    let closed = app
        .gql(
            &vcse,
            "query($a: ID) { assetConnections(assetId: $a, states: [STOPPED]) { nodes { id patient { name } } } }",
            json!({ "a": asset.id.to_string() }),
        )
        .await;
    assert_eq!(closed.error_code(), "FORBIDDEN");
    let second = app.gql(&worker, CONNECT, input(&people[2], "ATTENDING")).await;
    assert_eq!(second.data()["connectToAsset"]["connection"]["asset"]["spacesLeft"], 0);

    // The care team sees the whole story on the record.
    let record = app
        .gql(&worker, "query($id: ID!) { patient(id: $id) { assetConnections { state asset { name } events { fromState toState note } } } }", json!({ "id": people[0] }))
        .await;
    let history = &record.data()["patient"]["assetConnections"][0];
    assert_eq!(history["state"], "STOPPED");
    let moves: Vec<&str> =
        history["events"].as_array().unwrap().iter().map(|e| e["toState"].as_str().unwrap()).collect();
    assert_eq!(moves, ["REFERRED", "ATTENDING", "STOPPED"]);
    let taken = entity::community_asset::Entity::find_by_id(asset.id).one(&app.db).await.unwrap().unwrap();
    assert_eq!(taken.places_taken, asset.places_taken + 1, "the counter matches the live connections");
}

const SUGGEST: &str = r#"query Suggest($p: ID!) { suggestCommunityAssets(patientId: $p, withinKm: 15, first: 20) {
    score distanceKm matchedNeeds reasons asset { id name categories accessibility { noiseLevel stepFree } } } }"#;

/// A person who needs an interpreter: the activities run in their language (whatever case the
/// provider wrote it in) say so and score higher, and no other activity claims to.
#[tokio::test]
async fn suggestions_favour_activities_in_the_persons_interpreter_language() {
    let app = spawn_app().await;
    let worker = app.token(DemoRole::LinkWorker).await;
    let (_, people) = people(&app, &worker, 1).await;
    let id: uuid::Uuid = people[0].parse().unwrap();
    let mut record: entity::patient::ActiveModel = sea_orm::IntoActiveModel::into_active_model(
        entity::patient::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap(),
    );
    record.interpreter_language = sea_orm::Set(Some("polish".to_owned()));
    sea_orm::ActiveModelTrait::update(record, &app.db).await.unwrap();
    let in_polish: HashSet<String> = entity::community_asset_language::Entity::find()
        .filter(entity::community_asset_language::Column::Language.eq("Polish"))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.asset_id.to_string())
        .collect();
    assert!(!in_polish.is_empty(), "the demo runs some activities in Polish");

    let reply = app.gql(&worker, SUGGEST, json!({ "p": people[0] })).await;
    let list = reply.data()["suggestCommunityAssets"].as_array().unwrap().clone();
    let mut said = 0;
    for s in &list {
        let reasons: Vec<&str> = s["reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
        let claims = reasons.contains(&"sessions in polish");
        assert_eq!(claims, in_polish.contains(s["asset"]["id"].as_str().unwrap()), "{s}");
        said += usize::from(claims);
    }
    assert!(said > 0, "an activity in Polish is among the suggestions: {list:#?}");
}

#[tokio::test]
async fn suggestions_come_from_recorded_needs_and_access_and_say_why() {
    let app = spawn_app().await;
    let worker = app.token(DemoRole::LinkWorker).await;
    let (_, people) = people(&app, &worker, 2).await;
    let person = &people[0];
    let id: uuid::Uuid = person.parse().unwrap();

    // No needs recorded: nearby activities with space, saying so.
    let none = app.gql(&worker, SUGGEST, json!({ "p": person })).await;
    let open_referrals = entity::referral::Entity::find()
        .filter(entity::referral::Column::PatientId.eq(id))
        .filter(entity::referral::Column::OpenKey.is_not_null())
        .all(&app.db)
        .await
        .unwrap();
    if open_referrals.is_empty() {
        let list = none.data()["suggestCommunityAssets"].as_array().unwrap();
        assert!(!list.is_empty());
        assert!(list[0]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().contains("no needs recorded")));
    }

    // A plan goal for physical activity and a hearing impairment.
    let plan = json!({ "input": { "patientId": person, "whatMatters": "Getting fitter so I can play with my grandchildren",
        "goals": [{ "need": "PHYSICAL_ACTIVITY", "text": "Walk for 30 minutes three times a week" }], "actions": [] } });
    app.gql(&worker, "mutation($input: SaveCarePlanInput!) { saveCarePlan(input: $input) { plan { id } } }", plan)
        .await
        .data();
    let mut record: entity::patient::ActiveModel = sea_orm::IntoActiveModel::into_active_model(
        entity::patient::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap(),
    );
    record.hearing_impairment = sea_orm::Set(true);
    sea_orm::ActiveModelTrait::update(record, &app.db).await.unwrap();

    let reply = app.gql(&worker, SUGGEST, json!({ "p": person })).await;
    let list = reply.data()["suggestCommunityAssets"].as_array().unwrap().clone();
    assert!(!list.is_empty());
    for s in &list {
        assert_ne!(s["asset"]["accessibility"]["noiseLevel"], "LOUD", "no loud venues for sensory needs");
        let reasons: Vec<&str> = s["reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
        assert!(reasons.iter().any(|r| r.ends_with("km from home")), "{reasons:?}");
        if s["matchedNeeds"].as_array().unwrap().contains(&json!("PHYSICAL_ACTIVITY")) {
            assert!(reasons.iter().any(|r| r.contains("physical activity (care plan goal)")), "{reasons:?}");
            let cats = s["asset"]["categories"].as_array().unwrap();
            assert!(cats.contains(&json!("PHYSICAL_ACTIVITY")) || cats.contains(&json!("GREEN_AND_BLUE")));
        }
        if s["asset"]["accessibility"]["noiseLevel"] == "QUIET" {
            assert!(reasons.contains(&"quiet venue (sensory needs)"));
        }
        assert!(s["distanceKm"].as_f64().unwrap() <= 15.0);
    }
    assert!(
        list[0]["matchedNeeds"].as_array().unwrap().contains(&json!("PHYSICAL_ACTIVITY")),
        "the best meets the need"
    );
    let scores: Vec<f64> = list.iter().map(|s| s["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "best first: {scores:?}");

    // Someone with COPD working on self-management: the breathing group is meant for them. The
    // coordinator reaches the whole neighbourhood (the worker only the people referred to them).
    let coordinator = app.token(DemoRole::Coordinator).await;
    let copd = entity::patient_condition::Entity::find()
        .filter(entity::patient_condition::Column::SnomedCode.eq("13645005"))
        .all(&app.db)
        .await
        .unwrap();
    let planned: HashSet<uuid::Uuid> =
        entity::care_plan::Entity::find().all(&app.db).await.unwrap().into_iter().map(|p| p.patient_id).collect();
    let mut chosen = None;
    for c in &copd {
        let p = entity::patient::Entity::find_by_id(c.patient_id).one(&app.db).await.unwrap().unwrap();
        if !planned.contains(&p.id)
            && !p.hearing_impairment
            && !p.visual_impairment
            && p.neighbourhood_id == neighbourhood_of(&app, &worker).await
        {
            chosen = Some(p);
            break;
        }
    }
    let p = chosen.expect("someone with COPD and no plan");
    let plan = json!({ "input": { "patientId": p.id.to_string(), "whatMatters": "Breathing easier on the stairs",
        "goals": [{ "need": "LONG_TERM_CONDITION_SELF_MANAGEMENT", "text": "Manage my breathing better" }], "actions": [] } });
    app.gql(&coordinator, "mutation($input: SaveCarePlanInput!) { saveCarePlan(input: $input) { plan { id } } }", plan)
        .await
        .data();
    let reply = app.gql(&coordinator, SUGGEST, json!({ "p": p.id.to_string() })).await;
    let list = reply.data()["suggestCommunityAssets"].as_array().unwrap().clone();
    let singing = list
        .iter()
        .find(|s| s["asset"]["name"].as_str().unwrap().starts_with("Singing for Better Breathing"))
        .expect("the breathing group is suggested");
    let reasons: Vec<&str> = singing["reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    assert!(reasons.contains(&"meant for people with Chronic obstructive pulmonary disease"), "{reasons:?}");
    let eligibility = app
        .gql(
            &worker,
            "query($id: ID!) { communityAsset(id: $id) { eligibility { minAge conditions { key code } } } }",
            json!({ "id": singing["asset"]["id"] }),
        )
        .await;
    let keys: Vec<&str> = eligibility.data()["communityAsset"]["eligibility"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    assert!(keys.contains(&"copd"), "{keys:?}");

    // VCSE staff and commissioners cannot ask about a person.
    for role in [DemoRole::Vcse, DemoRole::Commissioner] {
        let t = app.token(role).await;
        assert_eq!(app.gql(&t, SUGGEST, json!({ "p": person })).await.error_code(), "FORBIDDEN");
    }
}
