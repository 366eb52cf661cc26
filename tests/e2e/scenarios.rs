//! Shared fixtures of the end-to-end tests, built from the demo data over HTTP as a client would:
//! a neighbourhood's MDT team and its meetings, a referral pathway (a GP, a link worker at the
//! social prescribing provider, people without an open referral) walked to any state, and the
//! population of a neighbourhood for brute-force oracles.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, Utc};
use domain::frailty::FrailtyCategory;
use entity::ProfessionalRole as R;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use server::cli::DemoRole;
use uuid::Uuid;

use crate::helpers::{Reply, TestApp};

// MDT meetings.

pub const MEETING: &str = r#"id status title
    quoracy { isQuorate required present missing }
    invitations { practitioner { id } discipline attendance }
    agenda { id position reason kind minutesAllotted patient { id name }
        decisions { text recordedBy { id } } actions { id text status dueDate isOverdue history { toStatus } } }
    carriedForwardActions { id text status }"#;

pub fn schedule_doc() -> String {
    format!("mutation($input: ScheduleMdtMeetingInput!) {{ scheduleMdtMeeting(input: $input) {{ meeting {{ {MEETING} }} }} }}")
}

pub struct Team {
    pub coordinator: String,
    pub neighbourhood: String,
    pub members: Vec<(R, entity::practitioner::Model)>,
}

pub async fn team(app: &TestApp) -> Team {
    let coordinator_model = app.practitioner(DemoRole::Coordinator).await;
    let coordinator = app.token_for_practitioner(&coordinator_model);
    let me = app.gql(&coordinator, "{ me { neighbourhoods { id } } }", json!({})).await;
    let neighbourhood = me.data()["me"]["neighbourhoods"][0]["id"].as_str().unwrap().to_owned();
    let n: uuid::Uuid = neighbourhood.parse().unwrap();
    let mut members = Vec::new();
    for role in [
        R::Gp,
        R::SocialWorker,
        R::MentalHealthPractitioner,
        R::DistrictNurse,
        R::SocialPrescribingLinkWorker,
        R::Receptionist,
    ] {
        members.push((role, app.practitioner_in(role, n).await));
    }
    Team { coordinator, neighbourhood, members }
}

impl Team {
    pub fn id(&self, role: R) -> String {
        self.members.iter().find(|(r, _)| *r == role).unwrap().1.id.to_string()
    }
}

/// A 90-minute meeting of the team's neighbourhood, chaired by its GP, `starts_in_hours` from now.
pub async fn schedule(app: &TestApp, t: &Team, starts_in_hours: i64, required: Option<Value>) -> Value {
    schedule_meeting(app, &t.coordinator, &t.neighbourhood, &t.id(R::Gp), Duration::hours(starts_in_hours), required)
        .await
}

/// A 90-minute meeting of `neighbourhood`, chaired by `chair`, `starts_in` from now, scheduled by
/// `coordinator`: the meeting as [`MEETING`] selects it.
pub async fn schedule_meeting(
    app: &TestApp,
    coordinator: &str,
    neighbourhood: &str,
    chair: &str,
    starts_in: Duration,
    required: Option<Value>,
) -> Value {
    let starts = Utc::now() + starts_in;
    let mut input = json!({ "neighbourhoodId": neighbourhood, "title": "Frailty MDT", "startsAt": starts.to_rfc3339(),
        "endsAt": (starts + Duration::minutes(90)).to_rfc3339(), "place": "Arnold Health Centre, room 2",
        "chairId": chair });
    if let Some(r) = required {
        input["requiredDisciplines"] = r;
    }
    let reply = app.gql(coordinator, &schedule_doc(), json!({ "input": input })).await;
    reply.data()["scheduleMdtMeeting"]["meeting"].clone()
}

// Referrals.

pub const CREATE: &str = r#"mutation Refer($input: CreateReferralInput!) { createReferral(input: $input) {
    created referral { id status isOpen allowedMoves service source urgency context
        needs { need detail } consentRecordedAt consentRecordedBy { name }
        receivingOrganisation { name kind } referringOrganisation { kind }
        events { kind toStatus snomedCode } } } }"#;

pub const MOVE: &str = r#"mutation Move($input: MoveReferralInput!) { moveReferral(input: $input) {
    referral { id status isOpen allowedMoves firstContactAt endedAt outcome rejectionReason suggestedAlternative }
    event { kind fromStatus toStatus reason snomedCode practitioner { name } organisation { name } } } }"#;

pub const ATTEMPT: &str = r#"mutation Attempt($id: ID!) { recordContactAttempt(input: { referralId: $id, note: "no answer" }) { event { kind } } }"#;

pub struct Pathway {
    pub gp: String,
    pub link_worker: String,
    pub splw_provider: String,
    pub patients: Vec<String>,
}

/// A GP's token, a link worker's token (at the SPLW provider, the receiving organisation) and
/// patients of the GP's neighbourhood.
pub async fn pathway(app: &TestApp) -> Pathway {
    let gp = app.token(DemoRole::Gp).await;
    let link_worker = app.token(DemoRole::LinkWorker).await;
    let me = app.gql(&link_worker, "{ me { organisation { id kind } } }", json!({})).await;
    assert_eq!(me.data()["me"]["organisation"]["kind"], "SPLW_PROVIDER");
    let splw_provider = me.data()["me"]["organisation"]["id"].as_str().unwrap().to_owned();
    // The demo's history leaves some people with open referrals; these tests start from people without.
    let open: std::collections::HashSet<String> = entity::referral::Entity::find()
        .filter(entity::referral::Column::OpenKey.is_not_null())
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.patient_id.to_string())
        .collect();
    let page = app.gql(&gp, "{ patients(first: 80, filter: { ageMin: 18 }) { nodes { id } } }", json!({})).await;
    let patients: Vec<String> = page.data()["patients"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .filter(|id| !open.contains(id))
        .take(40)
        .collect();
    assert_eq!(patients.len(), 40, "enough people without an open referral");
    Pathway { gp, link_worker, splw_provider, patients }
}

pub fn referral_input(p: &Pathway, patient: &str, key: Option<&str>) -> Value {
    json!({ "input": {
        "patientId": patient,
        "source": "GP",
        "service": "SOCIAL_PRESCRIBING",
        "receivingOrganisationId": p.splw_provider,
        "needs": [{ "need": "LONELINESS_OR_ISOLATION" }, { "need": "HOUSING" }],
        "context": "Refer to SPLW for support with loneliness and housing concerns.",
        "consentGiven": true,
        "idempotencyKey": key,
    } })
}

pub async fn create(app: &TestApp, p: &Pathway, patient: &str) -> String {
    let reply = app.gql(&p.gp, CREATE, referral_input(p, patient, None)).await;
    reply.data()["createReferral"]["referral"]["id"].as_str().unwrap().to_owned()
}

pub async fn move_to(app: &TestApp, token: &str, id: &str, to: &str, extra: Value) -> Reply {
    let mut input = json!({ "referralId": id, "to": to });
    input.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
    app.gql(token, MOVE, json!({ "input": input })).await
}

/// Walks a new referral to `target` along legal moves (with what each move requires).
pub async fn reach(app: &TestApp, p: &Pathway, id: &str, target: &str) {
    let path: &[&str] = match target {
        "RECEIVED" => &[],
        "AWAITING_CONTACT" => &["AWAITING_CONTACT"],
        "CONTACTED" => &["AWAITING_CONTACT", "CONTACTED"],
        "ACTIVE" => &["AWAITING_CONTACT", "CONTACTED", "ACTIVE"],
        "CLOSED" => &["AWAITING_CONTACT", "CONTACTED", "ACTIVE", "CLOSED"],
        "DECLINED_BY_PATIENT" => &["AWAITING_CONTACT", "DECLINED_BY_PATIENT"],
        "REJECTED_BY_SERVICE" => &["REJECTED_BY_SERVICE"],
        "UNABLE_TO_CONTACT" => &["AWAITING_CONTACT", "UNABLE_TO_CONTACT"],
        "CANCELLED_BY_REFERRER" => &["CANCELLED_BY_REFERRER"],
        other => panic!("unknown state {other}"),
    };
    for step in path {
        let (token, extra) = match *step {
            "CLOSED" => (
                &p.link_worker,
                json!({ "outcome": "GOALS_MET", "feedbackSummary": "Attending weekly art group; mood improved" }),
            ),
            "REJECTED_BY_SERVICE" => (&p.link_worker, json!({ "reason": "outside our area" })),
            "CANCELLED_BY_REFERRER" => (&p.gp, json!({ "reason": "sent in error" })),
            "UNABLE_TO_CONTACT" => {
                for _ in 0..3 {
                    app.gql(&p.link_worker, ATTEMPT, json!({ "id": id })).await.data();
                }
                (&p.link_worker, json!({}))
            }
            _ => (&p.link_worker, json!({})),
        };
        let reply = move_to(app, token, id, step, extra).await;
        assert_eq!(reply.data()["moveReferral"]["referral"]["status"], *step, "{}", reply.body);
    }
}

// The population.

pub struct Population {
    pub patients: Vec<entity::patient::Model>,
    pub conditions: HashMap<Uuid, Vec<String>>,
}

pub async fn population(app: &TestApp, neighbourhoods: &[Uuid]) -> Population {
    let patients = entity::patient::Entity::find()
        .filter(entity::patient::Column::NeighbourhoodId.is_in(neighbourhoods.iter().copied()))
        .all(&app.db)
        .await
        .expect("patients");
    let mut conditions: HashMap<Uuid, Vec<String>> = HashMap::new();
    for c in entity::patient_condition::Entity::find().all(&app.db).await.expect("conditions") {
        conditions.entry(c.patient_id).or_default().push(c.snomed_code);
    }
    Population { patients, conditions }
}

/// The codes of the catalogue's sensitive conditions (depression, and schizophrenia for serious
/// mental illness), written out here so that the oracle does not borrow the code it checks.
pub const SENSITIVE_CODES: [&str; 2] = ["35489007", "58214004"];

impl Population {
    /// The population as a role that does not read the sensitive categories sees it (an INT
    /// coordinator, a link worker, a social worker): their conditions without the sensitive ones.
    pub fn without_sensitive(mut self) -> Self {
        for codes in self.conditions.values_mut() {
            codes.retain(|code| !SENSITIVE_CODES.contains(&code.as_str()));
        }
        self
    }

    /// The population as staff of `organisation_id` reach it: without the people who object to
    /// sharing beyond their practice, unless that organisation is their practice.
    pub fn read_by(mut self, organisation_id: Uuid) -> Self {
        self.patients.retain(|p| !p.objects_to_sharing || p.registered_practice_id == organisation_id);
        self
    }

    pub fn ids_where(&self, keep: impl Fn(&entity::patient::Model, &[String]) -> bool) -> HashSet<String> {
        self.patients
            .iter()
            .filter(|p| keep(p, self.conditions.get(&p.id).map(Vec::as_slice).unwrap_or(&[])))
            .map(|p| p.id.to_string())
            .collect()
    }
}

pub fn category(p: &entity::patient::Model) -> Option<FrailtyCategory> {
    p.efi_score.map(FrailtyCategory::from_efi)
}

/// Pages through `patients(filter)` with `first` per page and returns every id, checking order,
/// page sizes, cursors and totalCount along the way.
pub async fn collect_ids(app: &TestApp, token: &str, filter: Value, first: i32) -> (HashSet<String>, u64) {
    let query = r#"query Page($first: Int, $after: String, $filter: PatientFilterInput) {
        patients(first: $first, after: $after, filter: $filter) {
            totalCount
            pageInfo { hasNextPage hasPreviousPage endCursor }
            edges { cursor node { id familyName givenName } }
        }
    }"#;
    let mut after: Option<String> = None;
    let mut ids = HashSet::new();
    let mut total = None;
    let mut previous: Option<(String, String, String)> = None;
    for page_number in 0.. {
        let reply = app.gql(token, query, json!({ "first": first, "after": after, "filter": filter })).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let conn = &reply.data()["patients"];
        let count = conn["totalCount"].as_u64().expect("totalCount");
        assert_eq!(*total.get_or_insert(count), count, "totalCount is stable across pages");
        assert_eq!(conn["pageInfo"]["hasPreviousPage"].as_bool(), Some(page_number > 0));
        let edges = conn["edges"].as_array().expect("edges");
        assert!(edges.len() <= first as usize);
        for edge in edges {
            let node = &edge["node"];
            let key = (
                node["familyName"].as_str().unwrap().to_owned(),
                node["givenName"].as_str().unwrap().to_owned(),
                node["id"].as_str().unwrap().to_owned(),
            );
            if let Some(prev) = &previous {
                assert!(
                    prev.0 < key.0 || (prev.0 == key.0 && prev.1 <= key.1),
                    "ordered by name: {prev:?} then {key:?}"
                );
            }
            assert!(ids.insert(key.2.clone()), "patient {} appeared twice", key.2);
            previous = Some(key);
        }
        if conn["pageInfo"]["hasNextPage"].as_bool() != Some(true) {
            assert_eq!(edges.len() as u64 + (page_number as u64 * first as u64), count);
            break;
        }
        assert_eq!(edges.len(), first as usize, "only the last page is short");
        after = conn["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    (ids, total.unwrap_or(0))
}
