//! MDT rules as domain functions, without HTTP: every write to a meeting returns a
//! `MeetingChanged` that names the meetings and the kind of change, and only announcing it hands
//! back what was written, so the resolvers cannot change a meeting without its subscribers hearing
//! of it. Composed in one transaction, the writes are announced after its commit; a rolled-back
//! transaction leaves nothing to announce.

use chrono::{DateTime, Duration, Utc};
use domain::auth::{load_caller, AccessWindows, Caller};
use domain::live::{ChangeKind, LiveBroker};
use domain::mdt::{self, NewItem, NewMeeting};
use entity::{mdt_meeting, mdt_meeting_required_discipline, patient, AgendaItemKind, Discipline, MeetingStatus};
use entity::{MeetingAttendance, ProfessionalRole as R};
use futures::{FutureExt, StreamExt};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait};
use server::cli::DemoRole;
use uuid::Uuid;

use crate::helpers::{spawn_app, TestApp};

async fn coordinator(app: &TestApp) -> Caller {
    let model = app.practitioner(DemoRole::Coordinator).await;
    load_caller(&app.db, model.id, AccessWindows::default()).await.unwrap().expect("an active coordinator")
}

/// A meeting in the coordinator's neighbourhood, chaired by one of its GPs, `days` ahead (far
/// beyond the demo's own meetings, so that the chair is free).
fn meeting(caller: &Caller, chair: Uuid, days: i64, required: Option<Vec<Discipline>>) -> NewMeeting {
    let starts: DateTime<Utc> = Utc::now() + Duration::days(400 + days);
    NewMeeting {
        neighbourhood_id: caller.neighbourhood_ids[0],
        title: format!("Frailty MDT +{days}"),
        starts_at: starts,
        ends_at: starts + Duration::minutes(90),
        place: Some("Arnold Health Centre, room 2".to_owned()),
        online_link: None,
        chair_id: chair,
        required_disciplines: required,
    }
}

#[tokio::test]
async fn each_write_names_its_meeting_and_change_and_is_heard_only_when_announced() {
    let app = spawn_app().await;
    let caller = coordinator(&app).await;
    let n = caller.neighbourhood_ids[0];
    let gp = app.practitioner_in(R::Gp, n).await;
    let nurse = app.practitioner_in(R::DistrictNurse, n).await;
    let person = patient::Entity::find().filter(patient::Column::NeighbourhoodId.eq(n)).one(&app.db).await.unwrap();
    let person = person.expect("a person of the neighbourhood");
    let live = LiveBroker::in_process(64);

    let scheduled = mdt::schedule(&app.db, &caller, meeting(&caller, gp.id, 1, None)).await.unwrap();
    let [change] = scheduled.changes() else { panic!("one change: {:?}", scheduled.changes()) };
    assert_eq!(change.kind, ChangeKind::Scheduled);
    let id = change.meeting_id;
    let mut heard = Box::pin(live.changes(id));
    let stored = scheduled.announce(&live).await;
    assert_eq!(stored.id, id, "the change names the meeting written");
    assert_eq!(heard.next().await.map(|h| h.kind), Some(ChangeKind::Scheduled));

    // Two writes in one transaction: nothing to hear until the caller announces them, which it
    // does once its transaction has committed.
    let txn = app.db.begin().await.unwrap();
    let invited = mdt::invite(&txn, &caller, id, nurse.id).await.unwrap();
    let item = NewItem {
        patient_id: person.id,
        reason: "Two falls since the last review".to_owned(),
        kind: AgendaItemKind::FullDiscussion,
        presenter_id: None,
        minutes_allotted: 10,
    };
    let added = mdt::add_item(&txn, &caller, id, item).await.unwrap();
    let kinds: Vec<_> = invited.changes().iter().chain(added.changes()).map(|c| (c.meeting_id, c.kind)).collect();
    assert_eq!(kinds, vec![(id, ChangeKind::Invitations), (id, ChangeKind::Agenda)]);
    assert!(heard.next().now_or_never().is_none(), "a write not yet committed is not announced");
    txn.commit().await.unwrap();
    let (_, invitation) = invited.announce(&live).await;
    let (_, item, _) = added.announce(&live).await;
    assert_eq!((invitation.practitioner_id, item.patient_id), (nurse.id, person.id));
    assert_eq!(heard.next().await.map(|h| h.kind), Some(ChangeKind::Invitations));
    assert_eq!(heard.next().await.map(|h| h.kind), Some(ChangeKind::Agenda));

    // Attendance, a decision and an action each name the same meeting, with their own kind.
    let attended =
        mdt::record_attendance(&app.db, &caller, id, vec![(nurse.id, MeetingAttendance::Apologies)]).await.unwrap();
    assert_eq!(
        attended.changes().iter().map(|c| (c.meeting_id, c.kind)).collect::<Vec<_>>(),
        vec![(id, ChangeKind::Attendance)]
    );
    attended.announce(&live).await;
    let decision = mdt::record_decision(&app.db, &caller, item.id, "Refer for a falls assessment".to_owned()).await;
    let decision = decision.unwrap();
    assert_eq!(
        decision.changes().iter().map(|c| (c.meeting_id, c.kind)).collect::<Vec<_>>(),
        vec![(id, ChangeKind::Decision)]
    );
    decision.announce(&live).await;
    assert_eq!(heard.next().await.map(|h| h.kind), Some(ChangeKind::Attendance));
    assert_eq!(heard.next().await.map(|h| h.kind), Some(ChangeKind::Decision));

    // A refused write announces nothing: there is no value to announce.
    let closed_twice = mdt::set_status(&app.db, &caller, id, MeetingStatus::Closed).await;
    assert!(closed_twice.is_err(), "a planned meeting cannot close before it starts");
    assert!(heard.next().now_or_never().is_none());
}

#[tokio::test]
async fn a_rolled_back_transaction_leaves_nothing_stored_and_nothing_to_announce() {
    let app = spawn_app().await;
    let caller = coordinator(&app).await;
    let gp = app.practitioner_in(R::Gp, caller.neighbourhood_ids[0]).await;
    let before = mdt_meeting::Entity::find().count(&app.db).await.unwrap();
    let txn = app.db.begin().await.unwrap();
    let scheduled = mdt::schedule(&txn, &caller, meeting(&caller, gp.id, 2, None)).await.unwrap();
    let id = scheduled.changes()[0].meeting_id;
    txn.rollback().await.unwrap();
    // The caller drops the change unannounced (the type says it must decide: it is must_use).
    drop(scheduled);
    assert_eq!(mdt_meeting::Entity::find().count(&app.db).await.unwrap(), before);
    assert!(mdt_meeting::Entity::find_by_id(id).one(&app.db).await.unwrap().is_none());
}

#[tokio::test]
async fn a_neighbourhood_list_change_is_announced_to_exactly_the_meetings_that_follow_it() {
    let app = spawn_app().await;
    let caller = coordinator(&app).await;
    let n = caller.neighbourhood_ids[0];
    let gp = app.practitioner_in(R::Gp, n).await;
    let live = LiveBroker::in_process(64);
    let follows =
        mdt::schedule(&app.db, &caller, meeting(&caller, gp.id, 3, None)).await.unwrap().announce(&live).await;
    let own = vec![Discipline::GeneralPractice, Discipline::MentalHealth];
    let own_list =
        mdt::schedule(&app.db, &caller, meeting(&caller, gp.id, 4, Some(own))).await.unwrap().announce(&live).await;
    let closed = mdt::schedule(&app.db, &caller, meeting(&caller, gp.id, 5, None)).await.unwrap().announce(&live).await;
    for to in [MeetingStatus::InProgress, MeetingStatus::Closed] {
        mdt::set_status(&app.db, &caller, closed.id, to).await.unwrap().announce(&live).await;
    }

    let changed = mdt::set_required_disciplines(
        &app.db,
        &caller,
        n,
        vec![Discipline::GeneralPractice, Discipline::AdultSocialCare, Discipline::GeneralPractice],
    )
    .await
    .unwrap();
    assert!(changed.changes().iter().all(|c| c.kind == ChangeKind::Requirements));
    let told: Vec<Uuid> = changed.changes().iter().map(|c| c.meeting_id).collect();
    assert!(told.contains(&follows.id), "a planned meeting on the neighbourhood's list");
    assert!(!told.contains(&own_list.id), "a meeting with its own list keeps its quoracy");
    assert!(!told.contains(&closed.id), "a closed meeting's quoracy is history");
    // Every meeting told (the demo's included) is open and follows the neighbourhood's list.
    for id in &told {
        let m = mdt_meeting::Entity::find_by_id(*id).one(&app.db).await.unwrap().unwrap();
        assert_eq!(m.neighbourhood_id, n);
        assert_ne!(m.status, MeetingStatus::Closed);
        let own_rows = mdt_meeting_required_discipline::Entity::find()
            .filter(mdt_meeting_required_discipline::Column::MeetingId.eq(*id))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(own_rows, 0, "{id} has a list of its own");
    }
    let mut heard = Box::pin(live.changes(follows.id));
    let list = changed.announce(&live).await;
    assert_eq!(
        list,
        vec![Discipline::GeneralPractice, Discipline::AdultSocialCare],
        "in the catalogue's order, without repeats"
    );
    assert_eq!(heard.next().await.map(|h| h.kind), Some(ChangeKind::Requirements));
}
