//! Care plan saves as domain functions, without HTTP: the first save writes version 1, each save
//! names the version it was based on and writes the next with its revision, a goal kept by id keeps
//! its identity, and a save based on a version that is no longer current (two people editing one
//! plan) is refused CONFLICT naming the current version, with nothing of it stored.

use domain::auth::{load_caller, AccessWindows, Caller};
use domain::error::AppError;
use domain::plans::{self, GoalDraft, PlanDraft};
use entity::{care_plan, care_plan_goal, care_plan_revision, patient, GoalStatus, ReferralNeed};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use server::cli::DemoRole;
use uuid::Uuid;

use crate::helpers::{spawn_app, TestApp};

async fn gp(app: &TestApp) -> Caller {
    let model = app.practitioner(DemoRole::Gp).await;
    load_caller(&app.db, model.id, AccessWindows::default()).await.unwrap().expect("an active GP")
}

/// A person registered at the GP's practice (a full record to the GP) with no plan yet.
async fn person_without_a_plan(app: &TestApp, caller: &Caller) -> patient::Model {
    let with_plans: Vec<Uuid> =
        care_plan::Entity::find().all(&app.db).await.unwrap().into_iter().map(|p| p.patient_id).collect();
    patient::Entity::find()
        .filter(patient::Column::RegisteredPracticeId.eq(caller.organisation_id))
        .filter(patient::Column::Id.is_not_in(with_plans))
        .order_by_asc(patient::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .expect("a registered person without a plan")
}

fn goal(id: Option<Uuid>, text: &str) -> GoalDraft {
    GoalDraft {
        id,
        need: ReferralNeed::LonelinessOrIsolation,
        text: text.to_owned(),
        status: GoalStatus::InProgress,
        target_date: None,
    }
}

fn draft(what_matters: &str, goals: Vec<GoalDraft>) -> PlanDraft {
    PlanDraft { what_matters: what_matters.to_owned(), strengths: None, review_date: None, goals, actions: vec![] }
}

async fn goals_of(app: &TestApp, plan: Uuid) -> Vec<(Uuid, String)> {
    let rows = care_plan_goal::Entity::find()
        .filter(care_plan_goal::Column::PlanId.eq(plan))
        .order_by_asc(care_plan_goal::Column::Position)
        .all(&app.db)
        .await
        .unwrap();
    rows.into_iter().map(|g| (g.id, g.text)).collect()
}

async fn revisions_of(app: &TestApp, plan: Uuid) -> u64 {
    care_plan_revision::Entity::find().filter(care_plan_revision::Column::PlanId.eq(plan)).count(&app.db).await.unwrap()
}

fn current_version_in(e: AppError) -> Option<i32> {
    assert_eq!(e.code(), "CONFLICT", "{e:?}");
    match e {
        AppError::Conflict { current_version, .. } => current_version,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn saves_write_the_next_version_and_a_stale_one_is_refused_with_nothing_stored() {
    let app = spawn_app().await;
    let caller = gp(&app).await;
    let person = person_without_a_plan(&app, &caller).await;

    // A first save against a version that does not exist is refused by name.
    let none_yet = plans::save(&app.db, &caller, person.id, Some(1), draft("Seeing my grandchildren", vec![])).await;
    assert_eq!(none_yet.unwrap_err().code(), "BAD_USER_INPUT");

    let first = draft("Seeing my grandchildren", vec![goal(None, "Walk to the park twice a week")]);
    let (v1, _) = plans::save(&app.db, &caller, person.id, None, first).await.unwrap();
    assert_eq!(v1.version, 1);
    let goals_v1 = goals_of(&app, v1.id).await;
    assert_eq!(goals_v1.len(), 1);
    assert_eq!(revisions_of(&app, v1.id).await, 1);

    // A second "first" save (someone else wrote the plan meanwhile) names the version to base on.
    let again = plans::save(&app.db, &caller, person.id, None, draft("Other", vec![])).await.unwrap_err();
    assert_eq!(current_version_in(again), Some(1));

    // Based on version 1: version 2, the kept goal keeps its id, a new goal gets one.
    let kept = goal(Some(goals_v1[0].0), "Walk to the park three times a week");
    let second = draft("Seeing my grandchildren; the art group", vec![kept, goal(None, "Join the art group")]);
    let (v2, _) = plans::save(&app.db, &caller, person.id, Some(1), second).await.unwrap();
    assert_eq!((v2.id, v2.version), (v1.id, 2));
    let goals_v2 = goals_of(&app, v2.id).await;
    assert_eq!(goals_v2[0], (goals_v1[0].0, "Walk to the park three times a week".to_owned()));
    assert_eq!(goals_v2.len(), 2);
    assert_ne!(goals_v2[1].0, goals_v1[0].0);
    assert_eq!(revisions_of(&app, v1.id).await, 2);

    // A save still based on version 1 lost the race: CONFLICT naming version 2, nothing written.
    let stale = plans::save(&app.db, &caller, person.id, Some(1), draft("Overwritten?", vec![])).await.unwrap_err();
    assert_eq!(current_version_in(stale), Some(2));
    let stored = care_plan::Entity::find_by_id(v1.id).one(&app.db).await.unwrap().unwrap();
    assert_eq!((stored.version, stored.what_matters.as_str()), (2, "Seeing my grandchildren; the art group"));
    assert_eq!(goals_of(&app, v1.id).await, goals_v2);
    assert_eq!(revisions_of(&app, v1.id).await, 2);

    // A goal id that is not this plan's is refused, and the plan stays as it was.
    let foreign = draft("Seeing my grandchildren", vec![goal(Some(Uuid::now_v7()), "Borrowed goal")]);
    let refused = plans::save(&app.db, &caller, person.id, Some(2), foreign).await.unwrap_err();
    assert_eq!(refused.code(), "BAD_USER_INPUT", "{refused:?}");
    assert_eq!(care_plan::Entity::find_by_id(v1.id).one(&app.db).await.unwrap().unwrap().version, 2);
    assert_eq!(goals_of(&app, v1.id).await, goals_v2);
}
