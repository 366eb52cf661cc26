//! The access policy seen from outside: who gets identifiable data, who gets aggregates only.

use entity::ProfessionalRole;
use serde_json::{json, Value};
use server::cli::DemoRole;

use crate::helpers::spawn_app;

const PATIENT_LIST: &str = "{ patients(first: 5) { totalCount nodes { id name nhsNumber } } }";

#[tokio::test]
async fn vcse_staff_get_no_identifiable_patient_data() {
    let app = spawn_app().await;
    let coordinator = app.token(DemoRole::Coordinator).await;
    let vcse = app.token(DemoRole::Vcse).await;
    let some_id = app.gql(&coordinator, "{ patients(first: 1) { nodes { id } } }", json!({})).await.data()["patients"]
        ["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let list = app.gql(&vcse, PATIENT_LIST, json!({})).await;
    assert_eq!(list.error_code(), "FORBIDDEN");
    assert!(list.error_message().contains("VCSE"), "{}", list.error_message());
    assert!(list.body["data"].is_null() || list.body["data"]["patients"].is_null());

    let one =
        app.gql(&vcse, "query($id: ID!) { patient(id: $id) { id name nhsNumber } }", json!({ "id": some_id })).await;
    assert_eq!(one.error_code(), "FORBIDDEN");
    assert!(!one.body.to_string().contains("nhsNumber\":\""), "no NHS number leaks: {}", one.body);

    // Cohort definitions and counts are aggregates VCSE partners may see; members are not.
    let counts = app.gql(&vcse, "{ cohorts { nodes { name memberCount } } }", json!({})).await;
    assert!(!counts.data()["cohorts"]["nodes"].as_array().unwrap().is_empty());
    let members =
        app.gql(&vcse, "{ cohorts { nodes { members(first: 3) { nodes { nhsNumber } } } } }", json!({})).await;
    assert_eq!(members.error_code(), "FORBIDDEN");
    assert!(!members.body.to_string().contains("\"nhsNumber\":\""), "{}", members.body);

    let me = app.gql(&vcse, "{ me { role patientAccess organisation { kind } } }", json!({})).await;
    assert_eq!(me.data()["me"]["patientAccess"], "NONE");
    assert_eq!(me.data()["me"]["organisation"]["kind"], "VCSE");

    let audited = app.audit_trail().await;
    let vcse_practitioner = app.practitioner(DemoRole::Vcse).await;
    assert!(audited.iter().all(|a| a.practitioner_id != vcse_practitioner.id), "nothing was read, nothing audited");
}

#[tokio::test]
async fn commissioners_see_counts_but_not_people() {
    let app = spawn_app().await;
    let token = app.token(DemoRole::Commissioner).await;
    let counts = app
        .gql(
            &token,
            "{ cohorts(first: 50) { totalCount nodes { name memberCount neighbourhood { name } } } }",
            json!({}),
        )
        .await;
    let nodes = counts.data()["cohorts"]["nodes"].as_array().unwrap().clone();
    let neighbourhoods = app.neighbourhoods().await;
    assert!(nodes.len() >= 2 * neighbourhoods.len(), "commissioners see every neighbourhood's cohorts");
    assert!(nodes
        .iter()
        .all(|n| n["memberCount"].as_u64().is_some_and(|c| c == 0 || c >= 5) || n["memberCount"].is_null()));

    // A coordinator's narrow cohort of one person is shown to the coordinator, withheld from the commissioner.
    let coordinator = app.token(DemoRole::Coordinator).await;
    let neighbourhood = app.gql(&coordinator, "{ me { neighbourhoods { id } } }", json!({})).await.data()["me"]
        ["neighbourhoods"][0]["id"]
        .clone();
    let oldest = app
        .gql(&coordinator, "{ patients(first: 100, filter: { ageMin: 95 }) { nodes { age } } }", json!({}))
        .await
        .data()["patients"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["age"].as_i64().unwrap())
        .max()
        .expect("someone aged 95 or over");
    let created = app
        .gql(
            &coordinator,
            "mutation($input: CreateCohortInput!) { createCohort(input: $input) { cohort { id memberCount } } }",
            json!({ "input": { "neighbourhoodId": neighbourhood, "name": "The oldest", "criteria": { "ageMin": oldest } } }),
        )
        .await;
    let cohort = created.data()["createCohort"]["cohort"].clone();
    let exact = cohort["memberCount"].as_u64().unwrap();
    assert!((1..5).contains(&exact), "a small cohort: {exact}");
    let seen =
        app.gql(&token, "query($id: ID!) { cohort(id: $id) { memberCount } }", json!({ "id": cohort["id"] })).await;
    assert!(seen.data()["cohort"]["memberCount"].is_null(), "{}", seen.body);

    let people = app.gql(&token, PATIENT_LIST, json!({})).await;
    assert_eq!(people.error_code(), "FORBIDDEN");
    let members = app.gql(&token, "{ cohorts(first: 1) { nodes { members { nodes { name } } } } }", json!({})).await;
    assert_eq!(members.error_code(), "FORBIDDEN");
}

#[tokio::test]
async fn staff_see_only_the_neighbourhoods_their_organisation_takes_part_in() {
    use sea_orm::EntityTrait;
    let app = spawn_app().await;
    let neighbourhoods = app.neighbourhoods().await;
    assert_eq!(neighbourhoods.len(), 2);
    let (a, b) = (&neighbourhoods[0], &neighbourhoods[1]);
    let gp_a = app.practitioner_in(ProfessionalRole::Gp, a.id).await;
    let gp_b = app.practitioner_in(ProfessionalRole::Gp, b.id).await;
    let token_a = app.token_for_practitioner(&gp_a);
    let token_b = app.token_for_practitioner(&gp_b);

    let list_a =
        app.gql(&token_a, "{ patients(first: 100) { totalCount nodes { neighbourhood { id } } } }", json!({})).await;
    let nodes = list_a.data()["patients"]["nodes"].as_array().unwrap().clone();
    assert!(!nodes.is_empty());
    assert!(nodes.iter().all(|n| n["neighbourhood"]["id"] == a.id.to_string()));

    let b_patient = app.gql(&token_b, "{ patients(first: 1) { nodes { id } } }", json!({})).await.data()["patients"]
        ["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cross = app.gql(&token_a, "query($id: ID!) { patient(id: $id) { name } }", json!({ "id": b_patient })).await;
    assert_eq!(cross.error_code(), "FORBIDDEN");
    let cross_list = app
        .gql(
            &token_a,
            "query($n: ID) { patients(filter: { neighbourhoodId: $n }) { totalCount } }",
            json!({ "n": b.id.to_string() }),
        )
        .await;
    assert_eq!(cross_list.error_code(), "FORBIDDEN");

    // Staff of an organisation serving both (county-wide adult social care) take part in both, but
    // see only the people referred to their service: open referrals, and those ended within the
    // configured 90 days. Counted here from the rows, not through the policy.
    let social = app.token(DemoRole::SocialCare).await;
    let worker = app.practitioner(DemoRole::SocialCare).await;
    let both = app.gql(&social, "{ me { neighbourhoods { id } patientAccess } }", json!({})).await;
    assert_eq!(both.data()["me"]["neighbourhoods"].as_array().unwrap().len(), 2);
    assert_eq!(both.data()["me"]["patientAccess"], "NONE", "nobody without a relationship");
    let cutoff = chrono::Utc::now() - chrono::Duration::days(90);
    let referred: std::collections::BTreeSet<String> = entity::referral::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| {
            (r.receiving_organisation_id == worker.organisation_id || r.assigned_practitioner_id == Some(worker.id))
                && r.ended_at.is_none_or(|ended| ended >= cutoff)
        })
        .map(|r| r.patient_id.to_string())
        .collect();
    // And the people whose named care team the worker stands in, and those on the agenda of
    // meetings the worker is invited to, from 7 days before to 14 days after.
    let now = chrono::Utc::now();
    let mut referred = referred;
    for member in entity::care_team_member::Entity::find().all(&app.db).await.unwrap() {
        if member.practitioner_id == worker.id && member.open_key.is_some() {
            referred.insert(member.patient_id.to_string());
        }
    }
    for invitation in entity::mdt_invitation::Entity::find().all(&app.db).await.unwrap() {
        if invitation.practitioner_id != worker.id || invitation.open_key.is_none() {
            continue;
        }
        let meeting =
            entity::mdt_meeting::Entity::find_by_id(invitation.meeting_id).one(&app.db).await.unwrap().unwrap();
        if meeting.starts_at > now + chrono::Duration::days(7) || meeting.ends_at < now - chrono::Duration::days(14) {
            continue;
        }
        for item in entity::mdt_agenda_item::Entity::find().all(&app.db).await.unwrap() {
            if item.meeting_id == meeting.id && item.open_key.is_some() {
                referred.insert(item.patient_id.to_string());
            }
        }
    }
    assert!(
        !referred.is_empty() && referred.len() < crate::helpers::TEST_POPULATION as usize / 10,
        "{}",
        referred.len()
    );
    let (mut seen, mut after) = (std::collections::BTreeSet::new(), serde_json::Value::Null);
    loop {
        let reply = app
            .gql(
                &social,
                "query($after: String) { patients(first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id accessLevel } } }",
                json!({ "after": after }),
            )
            .await;
        let page = reply.data()["patients"].clone();
        assert_eq!(page["totalCount"].as_u64().unwrap(), referred.len() as u64);
        for node in page["nodes"].as_array().unwrap() {
            assert_eq!(node["accessLevel"], "FULL");
            seen.insert(node["id"].as_str().unwrap().to_owned());
        }
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(
        seen, referred,
        "exactly the people referred to the service, in the worker's care teams or on an agenda"
    );
    // Anyone else is refused by id, and a filter cannot count them.
    let stranger = entity::patient::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|p| !referred.contains(&p.id.to_string()))
        .unwrap();
    let refused = app.gql(&social, "query($id: ID!) { patient(id: $id) { name } }", json!({ "id": stranger.id })).await;
    assert_eq!(refused.error_code(), "FORBIDDEN", "{}", refused.body);
    let older = app.gql(&social, "{ patients(filter: { ageMin: 0 }) { totalCount } }", json!({})).await;
    assert_eq!(older.data()["patients"]["totalCount"].as_u64().unwrap(), referred.len() as u64);
}

/// Deny by default, from outside: an organisation of every kind takes part in the neighbourhood
/// with a practitioner of every role. Exactly the allow-listed pairs read records; every other pair
/// (a housing association's or an `OTHER` organisation's staff among them) is refused, with a
/// reason, and reads nothing.
#[tokio::test]
async fn identifiable_records_open_only_to_allow_listed_kinds_and_roles() {
    use entity::{neighbourhood_organisation, organisation, practitioner, OrganisationKind, ProfessionalRole};
    use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, Iterable, QueryFilter};

    let app = spawn_app().await;
    let neighbourhood = app.neighbourhoods().await[0].id;
    let now = chrono::Utc::now();
    let mut cases = Vec::new();
    for (k, kind) in OrganisationKind::iter().enumerate() {
        let org = organisation::Model {
            id: uuid::Uuid::now_v7(),
            ods_code: format!("ZZT{k:02}"),
            name: format!("Allow-list test organisation {k}"),
            kind,
            parent_id: None,
            list_size: None,
            postcode: None,
            created_at: now,
        };
        organisation::Entity::insert(org.clone().into_active_model()).exec_without_returning(&app.db).await.unwrap();
        let member = neighbourhood_organisation::Model {
            neighbourhood_id: neighbourhood,
            organisation_id: org.id,
            joined_at: now,
        };
        neighbourhood_organisation::Entity::insert(member.into_active_model())
            .exec_without_returning(&app.db)
            .await
            .unwrap();
        for role in ProfessionalRole::iter() {
            let id = uuid::Uuid::now_v7();
            let person = practitioner::Model {
                id,
                identity_subject: Some(id.to_string()),
                left_at: None,
                staff_ref: None,
                given_name: "Test".into(),
                family_name: format!("{kind:?} {role:?}"),
                professional_role: role,
                organisation_id: org.id,
                fte: 1.0,
                caseload_capacity: None,
                active: true,
                created_at: now,
            };
            practitioner::Entity::insert(person.clone().into_active_model())
                .exec_without_returning(&app.db)
                .await
                .unwrap();
            cases.push((kind, role, person));
        }
    }
    // The test practice belongs to the test PCN, and one person of the neighbourhood registers
    // there: the practice's and the PCN's staff reach them, the coordinator reaches everyone, and a
    // service's staff nobody (no referral to the new organisations).
    let org_of = |wanted: OrganisationKind| cases.iter().find(|(k, _, _)| *k == wanted).unwrap().2.organisation_id;
    let (practice, pcn) = (org_of(OrganisationKind::GpPractice), org_of(OrganisationKind::Pcn));
    organisation::Entity::update_many()
        .col_expr(organisation::Column::ParentId, sea_orm::sea_query::Expr::value(Some(pcn)))
        .filter(organisation::Column::Id.eq(practice))
        .exec(&app.db)
        .await
        .unwrap();
    let moved = entity::patient::Entity::find()
        .filter(entity::patient::Column::NeighbourhoodId.eq(neighbourhood))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    entity::patient::Entity::update_many()
        .col_expr(entity::patient::Column::RegisteredPracticeId, sea_orm::sea_query::Expr::value(practice))
        .filter(entity::patient::Column::Id.eq(moved.id))
        .exec(&app.db)
        .await
        .unwrap();
    let audited_before = app.audit_trail().await.len();
    let (mut opened, mut read) = (0, 0);
    for (kind, role, person) in &cases {
        let token = app.token_for_practitioner(person);
        let reply =
            app.gql(&token, "{ me { patientAccess } patients(first: 1) { nodes { id name } } }", json!({})).await;
        let allowed = domain::auth::policy::identifiable_access_allowed(*kind, *role);
        if allowed {
            opened += 1;
            let reach = domain::auth::policy::reach_of(*kind, *role).unwrap();
            let level = match domain::auth::policy::level_of(*kind, *role).unwrap() {
                domain::auth::PatientAccessLevel::Administrative => "ADMINISTRATIVE",
                _ => "FULL",
            };
            let nodes = reply.data()["patients"]["nodes"].as_array().unwrap().clone();
            use domain::auth::Reach;
            match reach {
                Reach::CareRelationships => {
                    assert_eq!(reply.data()["me"]["patientAccess"], "NONE", "{kind:?} {role:?}");
                    assert!(nodes.is_empty(), "{kind:?} {role:?}: {}", reply.body);
                }
                Reach::OwnPractice | Reach::PcnPractices => {
                    assert_eq!(reply.data()["me"]["patientAccess"], level, "{kind:?} {role:?}");
                    assert_eq!(nodes.len(), 1, "{kind:?} {role:?}");
                    assert_eq!(nodes[0]["id"], moved.id.to_string(), "{kind:?} {role:?}: only their practice's");
                }
                Reach::NeighbourhoodPopulation => {
                    assert_eq!(reply.data()["me"]["patientAccess"], level, "{kind:?} {role:?}");
                    assert_eq!(nodes.len(), 1, "{kind:?} {role:?}");
                }
            }
            read += nodes.len();
        } else {
            assert_eq!(reply.error_code(), "FORBIDDEN", "{kind:?} {role:?}: {}", reply.body);
            assert!(reply.error_message().contains("do not see identifiable patient records"), "{}", reply.body);
            // `patients` is non-null: its refusal nulls the whole answer, as the specification says.
            assert!(reply.body["data"].is_null(), "{kind:?} {role:?}: {}", reply.body);
            let me = app.gql(&token, "{ me { patientAccess } }", json!({})).await;
            assert_eq!(me.data()["me"]["patientAccess"], "NONE", "{kind:?} {role:?}");
        }
    }
    // The rule's own list, cross-checked against the kinds that must never open anything.
    assert_eq!(opened, 24, "the allow-list's pairs");
    for (kind, role, _) in &cases {
        if matches!(
            kind,
            OrganisationKind::Housing | OrganisationKind::Other | OrganisationKind::Icb | OrganisationKind::Vcse
        ) || matches!(role, ProfessionalRole::Commissioner | ProfessionalRole::VcseWorker)
        {
            assert!(!domain::auth::policy::identifiable_access_allowed(*kind, *role), "{kind:?} {role:?}");
        }
    }
    assert_eq!(app.audit_trail().await.len(), audited_before + read, "one read audited per caller who read one");
}

/// A receptionist reads the administrative record of their practice's people and nothing
/// clinical, by any path: a field, a plan, a filter or an order that would say what the record
/// withholds, a cohort's members, a referral's free text, an agenda item's reason. A GP of the same
/// practice reads the full record of the same people (the control).
#[tokio::test]
async fn a_receptionist_reads_the_administrative_record_and_nothing_clinical() {
    use sea_orm::EntityTrait;
    let app = spawn_app().await;
    let receptionist = app.practitioner(DemoRole::Receptionist).await;
    let token = app.token_for_practitioner(&receptionist);
    let me = app.gql(&token, "{ me { patientAccess } }", json!({})).await;
    assert_eq!(me.data()["me"]["patientAccess"], "ADMINISTRATIVE");
    let list = app
        .gql(&token, "{ patients(first: 5) { totalCount nodes { id accessLevel name nhsNumber dateOfBirth registeredPractice { id } } } }", json!({}))
        .await;
    let nodes = list.data()["patients"]["nodes"].as_array().unwrap().clone();
    assert_eq!(nodes.len(), 5);
    for node in &nodes {
        assert_eq!(node["accessLevel"], "ADMINISTRATIVE");
        assert!(node["nhsNumber"].is_string() && node["dateOfBirth"].is_string());
        assert_eq!(node["registeredPractice"]["id"], receptionist.organisation_id.to_string());
    }
    let person = nodes[0]["id"].as_str().unwrap().to_owned();
    let trail = app.audit_trail().await;
    assert!(trail
        .iter()
        .filter(|a| a.practitioner_id == receptionist.id)
        .all(|a| a.access_reason == "registered_practice"));

    // Every clinical field of the record is null with FORBIDDEN; the administrative ones answer.
    for field in [
        "frailty { efiScore }",
        "conditions { code }",
        "conditionCount",
        "carePlan { id }",
        "outcomeMeasurements { id }",
        "mdtActions { id }",
        "careTeam { organisation { id } }",
        "namedCareTeam { id }",
    ] {
        let reply = app
            .gql(
                &token,
                &format!("query($id: ID!) {{ patient(id: $id) {{ name postcode {field} }} }}"),
                json!({ "id": person }),
            )
            .await;
        assert_eq!(reply.error_code(), "FORBIDDEN", "{field}: {}", reply.body);
        assert!(reply.body["data"]["patient"]["name"].is_string(), "{field}: {}", reply.body);
        assert!(reply.body["data"]["patient"]["postcode"].is_string(), "{field}: {}", reply.body);
    }
    let plan =
        app.gql(&token, "query($id: ID!) { carePlan(patientId: $id) { whatMatters } }", json!({ "id": person })).await;
    assert_eq!(plan.error_code(), "FORBIDDEN", "{}", plan.body);
    // Selecting or ordering by anything clinical would say what the record withholds.
    for (args, what) in [
        ("filter: { frailtyCategories: [SEVERE] }", "frailty"),
        ("filter: { conditionCodes: [\"13645005\"] }", "a condition"),
        ("filter: { minConditionCount: 2 }", "a condition count"),
        ("orderBy: { by: EFI_SCORE, direction: DESC }", "an eFI order"),
    ] {
        // An order changes no count: only the page it orders is refused.
        let selections: &[&str] =
            if what.ends_with("order") { &["nodes { id }"] } else { &["totalCount", "nodes { id }"] };
        for selection in selections {
            let reply = app.gql(&token, &format!("{{ patients({args}) {{ {selection} }} }}"), json!({})).await;
            assert_eq!(reply.error_code(), "FORBIDDEN", "{what} {selection}: {}", reply.body);
        }
    }
    let members =
        app.gql(&token, "{ cohorts(first: 5) { nodes { members(first: 5) { nodes { id } } } } }", json!({})).await;
    assert_eq!(members.error_code(), "FORBIDDEN", "{}", members.body);
    // A referral's free text (it may be clinical) is withheld; its coded state is not.
    let referred = app
        .gql(
            &token,
            "{ patients(first: 100) { nodes { id referrals(openOnly: false) { id status context } } } }",
            json!({}),
        )
        .await;
    let referrals: Vec<Value> = referred.body["data"]["patients"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|n| n["referrals"].as_array().cloned().unwrap_or_default())
        .collect();
    assert!(!referrals.is_empty(), "the practice made referrals: {}", referred.body);
    assert!(referrals.iter().all(|r| r["status"].is_string() && r["context"].is_null()));
    assert!(referred.body["errors"].as_array().unwrap().iter().all(|e| e["extensions"]["code"] == "FORBIDDEN"));

    // The control: the practice's GP reads the same person's full record.
    let gp = entity::practitioner::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.professional_role == ProfessionalRole::Gp && p.organisation_id == receptionist.organisation_id)
        .expect("a GP of the receptionist's practice");
    let full = app
        .gql(
            &app.token_for_practitioner(&gp),
            "query($id: ID!) { patient(id: $id) { accessLevel conditions { code } frailty { category } } }",
            json!({ "id": person }),
        )
        .await;
    assert_eq!(full.data()["patient"]["accessLevel"], "FULL");
}

/// A receptionist may schedule a neighbourhood's meetings, but an agenda proposal selects and
/// ranks people by clinical reasons and an action's text is what a meeting agreed about a person:
/// neither opens to a role that reads the administrative record only, by any path (the proposal,
/// the organisers' lists of actions, the answer to a status change they may make).
#[tokio::test]
async fn a_receptionist_organiser_neither_has_people_proposed_nor_reads_what_was_agreed() {
    use crate::scenarios::{schedule, team};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = spawn_app().await;
    let t = team(&app).await;
    let receptionist = t.members.iter().find(|(r, _)| *r == ProfessionalRole::Receptionist).unwrap().1.clone();
    let front_desk = app.token_for_practitioner(&receptionist);
    let person = entity::patient::Entity::find()
        .filter(entity::patient::Column::RegisteredPracticeId.eq(receptionist.organisation_id))
        .one(&app.db)
        .await
        .unwrap()
        .expect("a person registered at the receptionist's practice")
        .id
        .to_string();
    let meeting = schedule(&app, &t, 2, None).await;
    let meeting_id = meeting["id"].as_str().unwrap().to_owned();

    let propose =
        "query($input: ProposeMdtAgendaInput!) { proposeMdtAgenda(input: $input) { patient { id } summary } }";
    let input = json!({ "input": { "meetingId": meeting_id, "criteria": { "frailtyCategories": ["SEVERE"] } } });
    let control = app.gql(&t.coordinator, propose, input.clone()).await;
    assert!(!control.data()["proposeMdtAgenda"].as_array().unwrap().is_empty(), "the coordinator is proposed people");
    let refused = app.gql(&front_desk, propose, input.clone()).await;
    assert_eq!(refused.error_code(), "FORBIDDEN", "{}", refused.body);
    assert!(refused.error_message().contains("administrative record"), "{}", refused.error_message());
    assert!(!refused.body.to_string().contains("\"patient\":{"), "{}", refused.body);
    let add = "mutation($input: AddProposedToMdtAgendaInput!) { addProposedToMdtAgenda(input: $input) { meeting { agenda { id } } } }";
    let refused = app.gql(&front_desk, add, json!({ "input": { "proposal": input["input"] } })).await;
    assert_eq!(refused.error_code(), "FORBIDDEN", "{}", refused.body);

    // The coordinator puts the person on the agenda and agrees an overdue action owned by the GP.
    let item = app
        .gql(
            &t.coordinator,
            "mutation($input: AddMdtAgendaItemInput!) { addMdtAgendaItem(input: $input) { meeting { agenda { id } } } }",
            json!({ "input": { "meetingId": meeting_id, "patientId": person, "reason": "Falls twice since June" } }),
        )
        .await;
    let item_id = item.data()["addMdtAgendaItem"]["meeting"]["agenda"][0]["id"].as_str().unwrap().to_owned();
    let today = api::context::uk_today();
    let action = app
        .gql(
            &t.coordinator,
            "mutation($input: AddMdtActionInput!) { addMdtAction(input: $input) { action { id text } } }",
            json!({ "input": { "itemId": item_id, "text": "Review antihypertensives after the falls", "ownerPractitionerId": t.id(ProfessionalRole::Gp), "dueDate": (today - chrono::Days::new(3)).to_string() } }),
        )
        .await;
    let action_id = action.data()["addMdtAction"]["action"]["id"].as_str().unwrap().to_owned();

    // The coordinator's overdue list has it; the receptionist's has nothing of it.
    let overdue = "query($n: ID!) { overdueMdtActions(neighbourhoodId: $n) { id text } }";
    let listed = app.gql(&t.coordinator, overdue, json!({ "n": t.neighbourhood })).await;
    assert!(listed.data()["overdueMdtActions"].as_array().unwrap().iter().any(|a| a["id"] == action_id.as_str()));
    let theirs = app.gql(&front_desk, overdue, json!({ "n": t.neighbourhood })).await;
    assert!(theirs.data()["overdueMdtActions"].as_array().unwrap().iter().all(|a| a["id"] != action_id.as_str()));
    let next = schedule(&app, &t, 24 * 14, None).await;
    let carried = app
        .gql(
            &front_desk,
            "query($id: ID!) { mdtMeeting(id: $id) { carriedForwardActions { id text } } }",
            json!({ "id": next["id"] }),
        )
        .await;
    let carried = carried.data()["mdtMeeting"]["carriedForwardActions"].as_array().unwrap().clone();
    assert!(carried.iter().all(|a| a["id"] != action_id.as_str()), "{carried:?}");
    assert!(!carried.iter().any(|a| a["text"] == "Review antihypertensives after the falls"));

    // An organiser may mark it done, but the answer does not read it back to them.
    let done = app
        .gql(
            &front_desk,
            "mutation($input: SetMdtActionStatusInput!) { setMdtActionStatus(input: $input) { action { status text history { note } } } }",
            json!({ "input": { "actionId": action_id, "to": "DONE", "note": "Booked for Tuesday" } }),
        )
        .await;
    assert_eq!(done.error_code(), "FORBIDDEN", "{}", done.body);
    assert!(!done.body.to_string().contains("antihypertensives"), "{}", done.body);
    let status = app
        .gql(
            &front_desk,
            "mutation($input: SetMdtActionStatusInput!) { setMdtActionStatus(input: $input) { action { id status } } }",
            json!({ "input": { "actionId": action_id, "to": "OPEN" } }),
        )
        .await;
    assert_eq!(status.data()["setMdtActionStatus"]["action"]["status"], "OPEN");
    // The GP who owns it reads it, and that read is audited.
    let gp = app.token_for_practitioner(&t.members.iter().find(|(r, _)| *r == ProfessionalRole::Gp).unwrap().1);
    let owned = app
        .gql(
            &gp,
            "mutation($input: SetMdtActionStatusInput!) { setMdtActionStatus(input: $input) { action { text } } }",
            json!({ "input": { "actionId": action_id, "to": "DONE" } }),
        )
        .await;
    assert_eq!(owned.data()["setMdtActionStatus"]["action"]["text"], "Review antihypertensives after the falls");
}

/// The referral relationship is read with the people a request loads, never loaded as a list with
/// the caller: a referral to the worker's organisation opens the person's record by every path (the
/// record, a search and its count, a nested referral, the audit's reason) while it is open or
/// ended within its window, and none of them the day it falls out; another service's staff never.
#[tokio::test]
async fn a_referral_opens_a_record_by_every_path_until_its_window_ends() {
    use entity::{care_team_member, mdt_agenda_item, patient, referral};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let app = spawn_app().await;
    let worker = app.practitioner(DemoRole::LinkWorker).await;
    let token = app.token(DemoRole::LinkWorker).await;
    let outsider = app.token(DemoRole::SocialCare).await;
    // Someone with one referral only, ended, to the worker's service, on no agenda and in no team:
    // nothing but that referral relates them to the worker.
    let referrals = referral::Entity::find().all(&app.db).await.unwrap();
    let on_agenda: Vec<_> = mdt_agenda_item::Entity::find().all(&app.db).await.unwrap();
    let in_team: Vec<_> = care_team_member::Entity::find().all(&app.db).await.unwrap();
    let ended = referrals
        .iter()
        .filter(|r| r.receiving_organisation_id == worker.organisation_id && r.ended_at.is_some())
        .find(|r| {
            referrals.iter().filter(|o| o.patient_id == r.patient_id).count() == 1
                && !on_agenda.iter().any(|a| a.patient_id == r.patient_id)
                && !in_team.iter().any(|t| t.patient_id == r.patient_id)
        })
        .expect("someone referred once to the worker's service, that referral ended")
        .clone();
    let person = patient::Entity::find_by_id(ended.patient_id).one(&app.db).await.unwrap().unwrap();
    assert!(!person.objects_to_sharing);
    let ended_days_ago = |days: i64| {
        let db = app.db.clone();
        async move {
            referral::Entity::update_many()
                .col_expr(
                    referral::Column::EndedAt,
                    sea_orm::sea_query::Expr::value(Some(chrono::Utc::now() - chrono::Duration::days(days))),
                )
                .filter(referral::Column::Id.eq(ended.id))
                .exec(&db)
                .await
                .unwrap();
        }
    };
    let paths = r#"query Paths($referral: ID!, $nhs: String!) {
        searched: patients(first: 5, filter: { search: $nhs }) { totalCount nodes { id name } }
        viaReferral: referral(id: $referral) { patient { id name } }
    }"#;
    let variables = json!({ "referral": ended.id, "nhs": person.nhs_number });
    // The inbox: the list of the service's referrals, each with its person (the request learns the
    // relationship from the referral listed, not from the database).
    let listed = r#"query Listed($person: ID!) { referrals(first: 10, filter: { patientId: $person }) { nodes { id patient { id name } } } }"#;
    let record = |token: &str| {
        let token = token.to_owned();
        let app = &app;
        async move { app.gql(&token, "query One($id: ID!) { patient(id: $id) { name } }", json!({ "id": person.id })).await }
    };

    // Ended 89 days ago: within the 90-day window, every path opens the full record.
    ended_days_ago(89).await;
    let audited = app.audit_trail().await.len();
    let one = record(&token).await;
    assert_eq!(
        one.data()["patient"]["name"],
        json!(format!("{} {}", person.given_name, person.family_name)),
        "{}",
        one.body
    );
    let reply = app.gql(&token, paths, variables.clone()).await;
    assert!(reply.body["errors"].is_null(), "{}", reply.body);
    assert_eq!(reply.data()["searched"]["totalCount"], 1, "{}", reply.body);
    assert_eq!(reply.data()["searched"]["nodes"][0]["id"], person.id.to_string());
    assert_eq!(reply.data()["viaReferral"]["patient"]["id"], person.id.to_string());
    let inbox = app.gql(&token, listed, json!({ "person": person.id })).await;
    assert_eq!(inbox.data()["referrals"]["nodes"][0]["patient"]["id"], person.id.to_string(), "{}", inbox.body);
    let trail = app.audit_trail().await;
    let reads: Vec<_> = trail[audited..].iter().filter(|r| r.patient_id == person.id).collect();
    assert!(reads.len() >= 2 && reads.iter().all(|r| r.access_reason == "referral_party"), "{reads:?}");
    // Another service's staff: nothing, by any path.
    assert_eq!(record(&outsider).await.error_code(), "FORBIDDEN");
    let reply = app.gql(&outsider, paths, variables.clone()).await;
    assert!(reply.body["data"].is_null() || reply.data()["searched"]["totalCount"] == 0, "{}", reply.body);

    // Ended 91 days ago: the next request refuses by every path, the count included.
    ended_days_ago(91).await;
    let audited = app.audit_trail().await.len();
    assert_eq!(record(&token).await.error_code(), "FORBIDDEN");
    let searched = app
        .gql(
            &token,
            "query S($nhs: String!) { patients(first: 5, filter: { search: $nhs }) { totalCount nodes { id } } }",
            json!({ "nhs": person.nhs_number }),
        )
        .await;
    assert_eq!(searched.data()["patients"]["totalCount"], 0, "{}", searched.body);
    let trail = app.audit_trail().await;
    assert!(trail[audited..].iter().all(|r| r.patient_id != person.id), "nothing read, nothing audited");
    let via =
        app.gql(&token, "query R($id: ID!) { referral(id: $id) { patient { id } } }", json!({ "id": ended.id })).await;
    // The worker's service still reads its own referral, not the person behind it: alone, or listed.
    assert!(via.body["data"]["referral"]["patient"].is_null(), "{}", via.body);
    assert_eq!(via.error_code(), "FORBIDDEN", "{}", via.body);
    let inbox = app.gql(&token, listed, json!({ "person": person.id })).await;
    assert_eq!(inbox.body["data"]["referrals"]["nodes"][0]["id"], ended.id.to_string(), "{}", inbox.body);
    assert!(inbox.body["data"]["referrals"]["nodes"][0]["patient"].is_null(), "{}", inbox.body);
    assert_eq!(inbox.error_code(), "FORBIDDEN", "{}", inbox.body);
    // (Reading the referral itself is audited against the person, as any read of a referral is.)
}
