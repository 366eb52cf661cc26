//! DataLoaders at work: a page of 50 patients with their practice, conditions and neighbourhood
//! costs the same number of SQL statements as a page of 5. (Each loader is reached by one path in
//! the query: two paths into one loader may share a batch window or not, which would make the
//! count differ by one from run to run without growing with the page.)

use std::collections::BTreeSet;

use serde_json::{json, Value};
use server::cli::DemoRole;

use crate::helpers::{spawn_app, spawn_postgres_app};

const PAGE: &str = r#"query Page($first: Int!) {
    patients(first: $first, filter: { minConditionCount: 1 }) {
        totalCount
        nodes {
            id name age
            registeredPractice { name odsCode parent { name } }
            neighbourhood { name plannedPopulation }
            conditions { code name diagnosedOn }
            frailty { category }
        }
    }
}"#;

/// Every request pays for authentication, so it is one statement for every kind of caller: the
/// practitioner with their organisation, the neighbourhoods, and the MDT agendas that open records.
/// `me { role patientAccess }` reads nothing but the caller, so it costs exactly that statement.
#[tokio::test]
async fn authentication_is_one_statement_for_every_kind_of_caller() {
    let app = spawn_app().await;
    for role in [DemoRole::Coordinator, DemoRole::LinkWorker, DemoRole::Gp, DemoRole::Vcse, DemoRole::Commissioner] {
        let token = app.token(role).await;
        let before = app.statement_count();
        let reply = app.gql(&token, "{ me { role patientAccess } }", json!({})).await;
        assert_eq!(
            reply.data()["me"]["role"],
            json!(sea_orm::ActiveEnum::to_value(&role.professional_role()).to_uppercase()),
            "{role:?}"
        );
        assert_eq!(app.statement_count() - before, 1, "statements to authenticate a {role:?}");
    }
}

#[tokio::test]
async fn a_page_of_fifty_costs_the_same_statements_as_a_page_of_five() {
    let app = spawn_app().await;
    let token = app.token(DemoRole::Coordinator).await;
    let mut costs = Vec::new();
    for first in [5, 50, 5, 50] {
        let before = app.statement_count();
        let reply = app.gql(&token, PAGE, json!({ "first": first })).await;
        let nodes = reply.data()["patients"]["nodes"].as_array().unwrap().len();
        assert_eq!(nodes, first);
        costs.push(app.statement_count() - before);
    }
    assert_eq!(costs[0], costs[1], "statements for 5 vs 50 rows: {costs:?}");
    assert_eq!(costs[2], costs[3], "{costs:?}");
    // auth (1) + page + count + audit + practice + parent + neighbourhood + conditions. The audit is
    // one statement on PostgreSQL; SQLite, which has no data-modifying WITH, inserts the event and
    // its people as two (in one transaction).
    let audit = if app.db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite { 2 } else { 1 };
    assert!(costs[1] <= 7 + audit, "a page should cost a handful of statements, got {}", costs[1]);

    let cohort_query =
        "{ cohorts(first: 20) { nodes { name memberCount createdBy { name } neighbourhood { name } } } }";
    let before = app.statement_count();
    let reply = app.gql(&token, cohort_query, json!({})).await;
    assert!(reply.data()["cohorts"]["nodes"].as_array().unwrap().len() >= 3);
    let cohort_cost = app.statement_count() - before;
    assert!(cohort_cost <= 9, "cohort member counts are one batched statement, got {cohort_cost} statements");
}

/// Care plans are loaded for the whole page in one statement, and people without a plan are
/// answered from that load too: selecting `carePlan` costs exactly one statement more, even on a
/// page where most people have no plan.
#[tokio::test]
async fn people_without_a_care_plan_are_not_asked_for_again() {
    let app = spawn_app().await;
    let token = app.token(DemoRole::Coordinator).await;
    let page = |plan: &str| format!("{{ patients(first: 50) {{ nodes {{ id name {plan} }} }} }}");
    let mut costs = Vec::new();
    let mut planless = 0;
    for query in [page(""), page("carePlan { whatMatters }")] {
        let before = app.statement_count();
        let reply = app.gql(&token, &query, json!({})).await;
        costs.push(app.statement_count() - before);
        let nodes = reply.data()["patients"]["nodes"].as_array().unwrap().clone();
        assert_eq!(nodes.len(), 50);
        planless = nodes.iter().filter(|n| n.get("carePlan").is_some_and(|p| p.is_null())).count();
    }
    assert!(planless > 0, "the page holds people without a plan");
    assert_eq!(costs[1], costs[0] + 1, "statements without and with carePlan: {costs:?}");
}

const INBOX: &str = r#"query Inbox($first: Int!) {
    referrals(first: $first, filter: { statuses: [RECEIVED] }) {
        totalCount
        nodes {
            id status createdAt service urgency
            patient { name age nhsNumber }
            needs { need detail }
            referringPractitioner { name }
            referringOrganisation { name }
            events { kind toStatus snomedCode }
        }
    }
}"#;

#[tokio::test]
async fn a_referral_inbox_of_fifty_costs_the_same_statements_as_one_of_five() {
    let app = spawn_app().await;
    let gp = app.token(DemoRole::Gp).await;
    let link_worker = app.token(DemoRole::LinkWorker).await;
    let provider = app.gql(&link_worker, "{ me { organisation { id } } }", json!({})).await.data()["me"]
        ["organisation"]["id"]
        .clone();
    // People the link worker reaches through their referral (not those who object to sharing).
    let page =
        app.gql(&gp, "{ patients(first: 65) { nodes { id } } }", json!({})).await.data()["patients"]["nodes"].clone();
    let ids = page.as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_owned());
    let patients: Vec<Value> = app.sharing(ids).await.into_iter().take(60).map(|id| json!({ "id": id })).collect();
    for patient in &patients {
        let input = json!({ "input": { "patientId": patient["id"], "source": "GP", "service": "SOCIAL_PRESCRIBING",
            "receivingOrganisationId": provider, "needs": [{ "need": "LONELINESS_OR_ISOLATION" }], "consentGiven": true } });
        app.gql(&gp, "mutation($input: CreateReferralInput!) { createReferral(input: $input) { created } }", input)
            .await
            .data();
    }
    let mut costs = Vec::new();
    for first in [5, 50, 5, 50] {
        let before = app.statement_count();
        let reply = app.gql(&link_worker, INBOX, json!({ "first": first })).await;
        assert_eq!(reply.data()["referrals"]["nodes"].as_array().unwrap().len(), first);
        costs.push(app.statement_count() - before);
    }
    assert_eq!(costs[0], costs[1], "statements for 5 vs 50 referrals: {costs:?}");
    assert_eq!(costs[2], costs[3], "{costs:?}");
}

#[tokio::test]
async fn a_caseload_page_of_fifty_costs_the_same_statements_as_one_of_five() {
    let app = spawn_app().await;
    let gp = app.token(DemoRole::Gp).await;
    let link_worker = app.token(DemoRole::LinkWorker).await;
    let worker = app.practitioner(DemoRole::LinkWorker).await.id.to_string();
    let provider = app.gql(&link_worker, "{ me { organisation { id } } }", json!({})).await.data()["me"]
        ["organisation"]["id"]
        .clone();
    // People the link worker reaches through their referral (not those who object to sharing).
    let page =
        app.gql(&gp, "{ patients(first: 60) { nodes { id } } }", json!({})).await.data()["patients"]["nodes"].clone();
    let ids = page.as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_owned());
    let patients: Vec<Value> = app.sharing(ids).await.into_iter().take(55).map(|id| json!({ "id": id })).collect();
    for patient in &patients {
        let input = json!({ "input": { "patientId": patient["id"], "source": "GP", "service": "SOCIAL_PRESCRIBING",
            "receivingOrganisationId": provider, "needs": [{ "need": "PHYSICAL_ACTIVITY" }], "consentGiven": true } });
        let created = app
            .gql(
                &gp,
                "mutation($input: CreateReferralInput!) { createReferral(input: $input) { referral { id } } }",
                input,
            )
            .await;
        let id = created.data()["createReferral"]["referral"]["id"].clone();
        app.gql(
            &link_worker,
            "mutation($id: ID!) { moveReferral(input: { referralId: $id, to: AWAITING_CONTACT }) { referral { id } } }",
            json!({ "id": id }),
        )
        .await
        .data();
        app.gql(
            &link_worker,
            "mutation($id: ID!, $p: ID!) { assignReferral(input: { referralId: $id, practitionerId: $p, overrideReason: \"test load\" }) { referral { id } } }",
            json!({ "id": id, "p": worker }),
        )
        .await
        .data();
    }
    let query = "query($first: Int) { caseload { activeCount referrals(first: $first) { nodes { id status patient { name age referrals { id status } } needs { need } events { kind } referringOrganisation { name } } } } }";
    let mut costs = Vec::new();
    for first in [5, 50, 5, 50] {
        let before = app.statement_count();
        let reply = app.gql(&link_worker, query, json!({ "first": first })).await;
        assert_eq!(reply.data()["caseload"]["referrals"]["nodes"].as_array().unwrap().len(), first);
        costs.push(app.statement_count() - before);
    }
    assert_eq!(costs[0], costs[1], "statements for a caseload page of 5 vs 50: {costs:?}");
    assert_eq!(costs[2], costs[3], "{costs:?}");
    // What a worker holds is bounded by their capacity, so the page is one read of the worker's
    // index, not slices merged and the page's rows read again.
    let mark = app.statement_count();
    app.gql(&link_worker, query, json!({ "first": 5 })).await.data();
    let merged: Vec<String> = app
        .statements_since(mark)
        .into_iter()
        .filter(|sql| sql.contains(r#"FROM "referral""#) && sql.contains("UNION"))
        .collect();
    assert!(merged.is_empty(), "a caseload page merges no slices: {merged:#?}");
}

/// A list reads the people and organisations its query asks for, not every party of each row: an
/// inbox that shows the assigned worker reads those workers alone. (It used to read the referring
/// GPs and consent recorders too, which for a county-wide provider are people from every
/// neighbourhood it serves: most of the inbox's growth with the population.)
#[tokio::test]
async fn a_referral_list_reads_only_the_parties_it_shows() {
    let app = spawn_app().await;
    let link_worker = app.token(DemoRole::LinkWorker).await;
    let parties = |field: &str| {
        format!("{{ referrals(first: 100, newestFirst: true) {{ nodes {{ id {field} {{ id name }} }} }} }}")
    };
    let ids_of = |reply: &serde_json::Value, field: &str| -> BTreeSet<String> {
        reply["referrals"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|n| n[field]["id"].as_str().map(str::to_owned))
            .collect()
    };
    let referrers = ids_of(
        app.gql(&link_worker, &parties("referringPractitioner"), json!({})).await.data(),
        "referringPractitioner",
    );

    let mark = app.statement_count();
    let reply = app.gql(&link_worker, &parties("assignedPractitioner"), json!({})).await;
    let assigned = ids_of(reply.data(), "assignedPractitioner");
    assert!(!assigned.is_empty(), "the demo inbox should hold assigned referrals");
    assert!(
        referrers.difference(&assigned).next().is_some(),
        "the demo inbox should have referrers who are not assigned workers, or this test shows nothing"
    );
    let practitioner_reads: Vec<String> =
        app.statements_since(mark).into_iter().filter(|sql| sql.contains(r#"FROM "practitioner""#)).collect();
    assert_eq!(practitioner_reads.len(), 1, "one batched read of workers: {practitioner_reads:#?}");
    assert_eq!(uuids_in(&practitioner_reads[0]), assigned, "the workers read are exactly those shown");

    let mark = app.statement_count();
    app.gql(&link_worker, "{ referrals(first: 100, newestFirst: true) { nodes { id status } } }", json!({}))
        .await
        .data();
    let reads = app.statements_since(mark);
    assert!(
        !reads.iter().any(|sql| sql.contains(r#"FROM "practitioner""#) || sql.contains(r#"FROM "organisation""#)),
        "a list that shows no party reads none: {reads:#?}"
    );
}

/// Every UUID written in `sql` (the ids a statement was sent with, inlined).
fn uuids_in(sql: &str) -> BTreeSet<String> {
    sql.split(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
        .filter(|word| uuid::Uuid::parse_str(word).is_ok() && word.len() == 36)
        .map(str::to_owned)
        .collect()
}

/// SQLite keeps no planner statistics unless asked; without them it read the cohort page's whole
/// neighbourhood in name order. PostgreSQL's autovacuum measures loaded tables only after a commit,
/// and the demo's own proposals run inside its load. Loading the demo measures them on both (and a
/// server start refreshes stale ones), so the patient indexes have their selectivity recorded.
#[tokio::test]
async fn the_planner_has_statistics_after_the_demo_loads() {
    use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
    let app = spawn_app().await;
    let backend = app.db.get_database_backend();
    let (sql, at_least) = match backend {
        // One row per index measured.
        DatabaseBackend::Sqlite => ("SELECT COUNT(*) AS n FROM sqlite_stat1 WHERE tbl = 'patient'", 3),
        // One row per column measured (of the patient table in the test's own database).
        _ => ("SELECT COUNT(*) AS n FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'patient'", 3),
    };
    let row = app
        .db
        .query_one_raw(Statement::from_string(backend, sql))
        .await
        .expect("the statistics can be read")
        .expect("a row");
    let measured: i64 = row.try_get("", "n").unwrap();
    assert!(measured >= at_least, "{backend:?}: statistics of the patient table: {measured}");
}

/// PostgreSQL plans a prepared statement again on every execution when its generic plan looks
/// dearer than the plans for the actual values. For `= ANY($1)` with one key the generic plan must
/// guess the array's length, and the MDT agenda of one meeting, a worker's caseload count and one
/// record's conditions were planned on every request (a tenth of PostgreSQL's time on the MDT
/// preparation view). Each is now a statement with a cached generic plan: on one connection, ten
/// single-key loads through each leave `pg_prepared_statements` showing generic executions.
#[tokio::test]
async fn single_key_loads_reuse_a_generic_plan_on_postgres() {
    use async_graphql::dataloader::Loader;
    use sea_orm::{ConnectionTrait, DatabaseBackend, EntityTrait, Statement};

    let why = "SQLite plans each statement once, when it is prepared";
    let test = "statements::single_key_loads_reuse_a_generic_plan_on_postgres";
    let Some(app) = spawn_postgres_app(test, why).await else { return };
    // One connection, so that every execution meets the same prepared statements.
    let db = app.one_connection().await;

    let worker = app.practitioner(DemoRole::LinkWorker).await;
    let patient = entity::patient::Entity::find().one(&db).await.unwrap().expect("a patient");
    let meeting = entity::mdt_meeting::Entity::find().one(&db).await.unwrap().expect("a meeting");
    let caller = domain::auth::load_caller(&db, worker.id, domain::auth::AccessWindows::default())
        .await
        .unwrap()
        .expect("the link worker");
    for _ in 0..10 {
        domain::referrals::caseload::caseload_counts(&db, &[worker.id]).await.expect("caseload count");
        api::loaders::ConditionsByPatientLoader(db.clone()).load(&[patient.id]).await.expect("conditions");
        api::loaders::MdtAgendaLoader::new(db.clone(), caller.clone()).load(&[meeting.id]).await.expect("agenda");
        // A person with whether a referral relates them to the caller (its window as `now()`).
        api::loaders::PatientLoader::new(db.clone(), caller.clone()).load(&[patient.id]).await.expect("person");
    }
    let rows = db
        .query_all_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements",
        ))
        .await
        .expect("prepared statements");
    let plans: Vec<String> = [
        "\"assigned_practitioner_id\", COUNT",
        "FROM \"patient_condition\"",
        "FROM \"mdt_agenda_item\"",
        "AS \"referral_party\"",
    ]
    .iter()
    .map(|needle| {
        let (generic, custom) = rows
            .iter()
            .find_map(|row| {
                let text: String = row.try_get("", "statement").ok()?;
                text.contains(needle).then(|| {
                    (row.try_get::<i64>("", "generic_plans").unwrap(), row.try_get::<i64>("", "custom_plans").unwrap())
                })
            })
            .unwrap_or_else(|| panic!("no prepared statement containing {needle}"));
        format!("{needle}: {}", if generic >= 5 && custom <= 5 { "reused" } else { "planned again" })
            + &format!(" ({generic} generic, {custom} custom)")
    })
    .collect();
    assert!(plans.iter().all(|p| p.contains("reused")), "ten executions each: {plans:#?}");
}

/// A worker's caseload is read from the index of what workers hold (`idx_referral_held`), also
/// when PostgreSQL plans the statement once for any values (a generic plan, which a prepared
/// statement gets after a few executions). The caseload states were bound before, so nothing told
/// such a plan which states were asked for: it read the worker's whole assignment history in date
/// order and dropped what was closed (290 entries for 29 held in the benchmark, growing every
/// year). Both the page and the count now state the states in their text. On one connection with
/// generic plans forced (and sequential scans off: the test's tables are small enough for one to
/// win, and what is tested is the choice between the indexes), each reads the partial index.
#[tokio::test]
async fn a_caseload_is_read_from_the_index_of_held_referrals_with_a_generic_plan() {
    use domain::pagination::PageRequest;
    use domain::referrals::{caseload, ReferralFilter};
    use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

    let why = "SQLite compiles each statement for its text, with no plan shared across values";
    let test = "statements::a_caseload_is_read_from_the_index_of_held_referrals_with_a_generic_plan";
    let Some(app) = spawn_postgres_app(test, why).await else { return };
    let db = app.one_connection().await;
    db.execute_unprepared("SET plan_cache_mode = force_generic_plan").await.unwrap();
    db.execute_unprepared("SET enable_seqscan = off").await.unwrap();
    let held_scans = || async {
        // Counters reach the statistics views when the session reports them: force it, then read.
        db.execute_unprepared("SELECT pg_stat_force_next_flush()").await.unwrap();
        let row = db
            .query_one_raw(Statement::from_string(
                DatabaseBackend::Postgres,
                format!("SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = '{}'", migration::HELD_INDEX),
            ))
            .await
            .unwrap()
            .expect("the index of held referrals exists");
        row.try_get::<i64>("", "idx_scan").unwrap()
    };

    let worker = app.practitioner(DemoRole::LinkWorker).await;
    let caller =
        domain::auth::load_caller(&app.db, worker.id, domain::auth::AccessWindows::default()).await.unwrap().unwrap();
    let before = held_scans().await;
    let filter = ReferralFilter {
        assigned_practitioner_id: Some(worker.id),
        statuses: caseload::CASELOAD_STATES.to_vec(),
        ..Default::default()
    };
    let page =
        domain::referrals::list(&db, &caller, filter, PageRequest { limit: 10, after: None }).await.expect("page");
    assert!(!page.items.is_empty(), "the demo's link worker holds referrals");
    let after_page = held_scans().await;
    assert!(after_page > before, "the caseload page read idx_referral_held ({before} -> {after_page} scans)");
    let counts = caseload::caseload_counts(&db, &[worker.id]).await.expect("count");
    assert!(counts[&worker.id] > 0);
    let after_count = held_scans().await;
    assert!(
        after_count > after_page,
        "the caseload count read idx_referral_held ({after_page} -> {after_count} scans)"
    );
}
