//! Responses as the GraphQL specification and `schema.graphql` say they must be, checked from
//! outside with a checker of the test's own (not the server's): keys in the order of the selection,
//! every selected field present, and null only where the SDL allows it, for the fields access can
//! withhold at every access level.

use std::collections::HashMap;

use async_graphql::parser::types::{BaseType, Selection, SelectionSet, Type, TypeKind, TypeSystemDefinition};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use server::cli::DemoRole;

use crate::helpers::{spawn_app, TestApp};

/// The object types of `schema.graphql`: their fields' types.
fn sdl_types() -> HashMap<String, HashMap<String, Type>> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    let doc = async_graphql::parser::parse_schema(&text).unwrap();
    let mut out = HashMap::new();
    for d in doc.definitions {
        if let TypeSystemDefinition::Type(t) = d {
            if let TypeKind::Object(o) = &t.node.kind {
                out.insert(
                    t.node.name.node.to_string(),
                    o.fields.iter().map(|f| (f.node.name.node.to_string(), f.node.ty.node.clone())).collect(),
                );
            }
        }
    }
    out
}

/// Checks `value` against `set` on `type_name`: every selected key present, null only where
/// allowed. Returns the violations, with their paths.
fn check(
    types: &HashMap<String, HashMap<String, Type>>,
    value: &Value,
    set: &SelectionSet,
    type_name: &str,
    path: &str,
    out: &mut Vec<String>,
) {
    let Some(object) = value.as_object() else {
        out.push(format!("{path}: an object was expected, got {value}"));
        return;
    };
    for selection in &set.items {
        let Selection::Field(field) = &selection.node else { continue };
        let key = field.node.response_key().node.to_string();
        let name = field.node.name.node.as_str();
        if name == "__typename" {
            continue;
        }
        let Some(ty) = types[type_name].get(name) else {
            out.push(format!("{path}.{key}: no such field on {type_name}"));
            continue;
        };
        match object.get(&key) {
            None => out.push(format!("{path}.{key}: missing")),
            Some(v) => check_typed(types, v, &field.node.selection_set.node, ty, &format!("{path}.{key}"), out),
        }
    }
}

fn check_typed(
    types: &HashMap<String, HashMap<String, Type>>,
    value: &Value,
    set: &SelectionSet,
    ty: &Type,
    path: &str,
    out: &mut Vec<String>,
) {
    if value.is_null() {
        if !ty.nullable {
            out.push(format!("{path}: null, but the schema says {ty}"));
        }
        return;
    }
    match &ty.base {
        BaseType::List(inner) => {
            for (i, item) in value.as_array().into_iter().flatten().enumerate() {
                check_typed(types, item, set, inner, &format!("{path}[{i}]"), out);
            }
        }
        BaseType::Named(name) if types.contains_key(name.as_str()) => check(types, value, set, name, path, out),
        BaseType::Named(_) => {}
    }
}

/// Posts `query` and checks the answer against the SDL; returns the answer.
async fn conforming(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let types = sdl_types();
    let reply = app.gql(token, query, variables).await;
    let doc = async_graphql::parser::parse_query(query).unwrap();
    let (_, operation) = doc.operations.iter().next().unwrap();
    let mut violations = Vec::new();
    if !reply.body["data"].is_null() {
        check(&types, &reply.body["data"], &operation.node.selection_set.node, "Query", "data", &mut violations);
    }
    assert!(violations.is_empty(), "{query}\n{violations:#?}\n{}", reply.body);
    reply.body
}

/// Every field of `type_name`, with the smallest sub-selection an object field takes.
fn every_field(types: &HashMap<String, HashMap<String, Type>>, type_name: &str) -> String {
    let mut fields: Vec<_> = types[type_name].iter().collect();
    fields.sort_by(|a, b| a.0.cmp(b.0));
    fields
        .into_iter()
        .map(|(name, ty)| {
            let mut t = ty;
            while let BaseType::List(inner) = &t.base {
                t = inner;
            }
            match &t.base {
                BaseType::Named(n) if types.contains_key(n.as_str()) => format!("{name} {{ __typename }}"),
                _ => name.clone(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[tokio::test]
async fn keys_come_back_in_the_order_of_the_selection() {
    let app = spawn_app().await;
    let token = app.token(DemoRole::Coordinator).await;
    let query =
        "{ me { role practitioner { name } organisation { name kind } neighbourhoods { id name } patientAccess } }";
    for _ in 0..10 {
        let response = app
            .client
            .post(app.url("/graphql"))
            .bearer_auth(&token)
            .json(&json!({ "query": query }))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let at = |key: &str| response.find(&format!("\"{key}\"")).unwrap_or_else(|| panic!("{key} in {response}"));
        let order = ["role", "practitioner", "organisation", "neighbourhoods", "patientAccess"].map(at);
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{response}");
        assert!(at("name") < at("kind"));
    }
}

/// The fields access can withhold, read at every level of access: the full record, the shared
/// summary a referral opens to a VCSE receiver, and none (people on an agenda the reader may not
/// open); every answer matches the SDL, withheld fields null with their errors.
#[tokio::test]
async fn withheld_fields_are_null_where_the_schema_allows_it_at_every_access_level() {
    let app = spawn_app().await;
    let types = sdl_types();
    let patient_fields = every_field(&types, "Patient");
    let coordinator = app.token(DemoRole::Coordinator).await;

    // Full: a page of the coordinator's neighbourhood.
    let full = conforming(
        &app,
        &coordinator,
        &format!("{{ patients(first: 3) {{ nodes {{ {patient_fields} }} }} }}"),
        json!({}),
    )
    .await;
    assert!(full.get("errors").is_none(), "{full}");
    assert_eq!(full["data"]["patients"]["nodes"][0]["accessLevel"], "FULL");

    // Shared summary: what a VCSE service reads of the people on its open referrals.
    let gp = app.token(DemoRole::Gp).await;
    let someone = app
        .gql(&gp, "{ patients(first: 1, filter: { ageMin: 18 }) { nodes { id neighbourhood { id } } } }", json!({}))
        .await;
    let person = someone.data()["patients"]["nodes"][0].clone();
    let neighbourhood: uuid::Uuid = person["neighbourhood"]["id"].as_str().unwrap().parse().unwrap();
    let vcse_worker = app.practitioner_in(entity::ProfessionalRole::VcseWorker, neighbourhood).await;
    let referred = app
        .gql(
            &gp,
            "mutation($input: CreateReferralInput!) { createReferral(input: $input) { referral { id } } }",
            json!({ "input": { "patientId": person["id"], "source": "GP", "service": "VCSE",
                "receivingOrganisationId": vcse_worker.organisation_id.to_string(),
                "needs": [{ "need": "LONELINESS_OR_ISOLATION" }], "consentGiven": true } }),
        )
        .await;
    referred.data();
    let vcse = app.token_for_practitioner(&vcse_worker);
    let summary = conforming(
        &app,
        &vcse,
        &format!("{{ referrals(first: 20) {{ nodes {{ id patient {{ {patient_fields} }} }} }} }}"),
        json!({}),
    )
    .await;
    let nodes = summary["data"]["referrals"]["nodes"].as_array().unwrap().clone();
    let shared: Vec<&Value> =
        nodes.iter().map(|n| &n["patient"]).filter(|p| p["accessLevel"] == "SHARED_SUMMARY").collect();
    assert!(!shared.is_empty(), "the VCSE service has open referrals: {summary}");
    for p in shared {
        assert!(p["name"].is_string() && p["needs"].is_object(), "{p}");
        assert!(p["nhsNumber"].is_null() && p["dateOfBirth"].is_null() && p["frailty"].is_null(), "{p}");
    }
    assert!(summary["errors"].as_array().unwrap().iter().all(|e| e["extensions"]["code"] == "FORBIDDEN"));

    // None: a meeting's agenda read by an organisation's staff without access to the people on it
    // (a VCSE worker of the neighbourhood, who may read the meeting but not the records).
    let meetings: Vec<uuid::Uuid> = entity::mdt_meeting::Entity::find()
        .filter(entity::mdt_meeting::Column::NeighbourhoodId.eq(neighbourhood))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    let meeting = entity::mdt_agenda_item::Entity::find()
        .filter(entity::mdt_agenda_item::Column::OpenKey.is_not_null())
        .filter(entity::mdt_agenda_item::Column::MeetingId.is_in(meetings))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .meeting_id;
    let agenda = format!(
        "query($id: ID!) {{ mdtMeeting(id: $id) {{ agenda {{ {} patient {{ {patient_fields} }} }} }} }}",
        every_field(&types, "MdtAgendaItem")
    );
    let reader = vcse.clone();
    let none = conforming(&app, &reader, &agenda, json!({ "id": meeting.to_string() })).await;
    let items = none["data"]["mdtMeeting"]["agenda"]
        .as_array()
        .unwrap_or_else(|| panic!("the VCSE worker reads the meeting: {none}"));
    assert!(!items.is_empty());
    for item in items {
        assert!(item["patient"].is_null() && item["reason"].is_null() && item["decisions"].is_null(), "{item}");
        assert!(item["position"].is_number());
    }
    // And the same agenda in full, for the coordinator.
    conforming(&app, &coordinator, &agenda, json!({ "id": meeting.to_string() })).await;

    // A cohort's members are withheld from those who see aggregates only.
    let members = conforming(
        &app,
        &vcse,
        "{ cohorts(first: 2) { nodes { name memberCount members(first: 2) { nodes { id } } } } }",
        json!({}),
    )
    .await;
    for cohort in members["data"]["cohorts"]["nodes"].as_array().unwrap() {
        assert!(cohort["members"].is_null() && cohort["name"].is_string(), "{cohort}");
    }
}
