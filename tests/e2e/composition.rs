//! Domain writes compose: each takes any connection that can begin a transaction, so a caller can
//! run several in one transaction of its own (an importer, a FHIR bundle) and decide whether they
//! commit together. Inside it, each write's own transaction is a savepoint: a write that fails
//! undoes its own part only, and the caller's transaction goes on.

use domain::auth::{load_caller, AccessWindows, Caller};
use domain::groups::{self, NewGroup};
use entity::{group_participant, group_session, patient, support_group};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait};
use server::cli::DemoRole;

use crate::helpers::{spawn_app, TestApp};

async fn link_worker(app: &TestApp) -> Caller {
    let worker = app.practitioner(DemoRole::LinkWorker).await;
    load_caller(&app.db, worker.id, AccessWindows::default()).await.unwrap().expect("an active link worker")
}

fn walking_group(caller: &Caller, name: &str) -> NewGroup {
    NewGroup {
        neighbourhood_id: caller.neighbourhood_ids[0],
        name: name.to_owned(),
        description: Some("A gentle hour round the park".to_owned()),
        focus_need: None,
        leader_id: None,
        capacity: Some(12),
    }
}

async fn groups_named(app: &TestApp, name: &str) -> Vec<support_group::Model> {
    support_group::Entity::find().filter(support_group::Column::Name.eq(name)).all(&app.db).await.unwrap()
}

#[tokio::test]
async fn several_writes_commit_together_and_a_failed_one_undoes_only_itself() {
    let app = spawn_app().await;
    let caller = link_worker(&app).await;
    // Someone referred to the link worker's service: whom its staff reach.
    let person = patient::Entity::find()
        .filter(patient::Column::NeighbourhoodId.eq(caller.neighbourhood_ids[0]))
        .filter(patient::Column::Id.is_in(crate::patients::referred_to(&app, &caller).await))
        .one(&app.db)
        .await
        .unwrap()
        .expect("someone of the neighbourhood referred to the service");

    let txn = app.db.begin().await.unwrap();
    let group = groups::create(&txn, &caller, walking_group(&caller, "Tuesday walkers")).await.unwrap();
    let session =
        groups::schedule_session(&txn, &caller, group.id, chrono::Utc::now() + chrono::Duration::days(7), 60, None)
            .await
            .unwrap();
    let member = groups::add_participant(&txn, &caller, group.id, person.id, None).await.unwrap();
    // The same person again: refused, and only that attempt is undone.
    let again = groups::add_participant(&txn, &caller, group.id, person.id, None).await.unwrap_err();
    assert_eq!(again.code(), "CONFLICT", "{again:?}");
    // Nothing is visible outside the transaction before it commits.
    assert!(groups_named(&app, "Tuesday walkers").await.is_empty());
    txn.commit().await.unwrap();

    let stored = groups_named(&app, "Tuesday walkers").await;
    assert_eq!(stored.iter().map(|g| g.id).collect::<Vec<_>>(), vec![group.id]);
    let sessions = group_session::Entity::find().filter(group_session::Column::GroupId.eq(group.id)).all(&app.db);
    assert_eq!(sessions.await.unwrap().iter().map(|s| s.id).collect::<Vec<_>>(), vec![session.id]);
    let members =
        group_participant::Entity::find().filter(group_participant::Column::GroupId.eq(group.id)).all(&app.db);
    assert_eq!(members.await.unwrap().iter().map(|m| m.id).collect::<Vec<_>>(), vec![member.id]);
}

#[tokio::test]
async fn a_transaction_rolled_back_leaves_nothing_of_any_of_its_writes() {
    let app = spawn_app().await;
    let caller = link_worker(&app).await;
    let groups_before = support_group::Entity::find().count(&app.db).await.unwrap();
    let sessions_before = group_session::Entity::find().count(&app.db).await.unwrap();

    let txn = app.db.begin().await.unwrap();
    let group = groups::create(&txn, &caller, walking_group(&caller, "Thursday walkers")).await.unwrap();
    groups::schedule_session(&txn, &caller, group.id, chrono::Utc::now() + chrono::Duration::days(2), 45, None)
        .await
        .unwrap();
    // Within the transaction, the second write saw the first.
    assert_eq!(groups::get(&txn, &caller, group.id).await.unwrap().name, "Thursday walkers");
    txn.rollback().await.unwrap();

    assert!(groups_named(&app, "Thursday walkers").await.is_empty());
    assert_eq!(support_group::Entity::find().count(&app.db).await.unwrap(), groups_before);
    assert_eq!(group_session::Entity::find().count(&app.db).await.unwrap(), sessions_before);
}
