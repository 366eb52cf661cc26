//! MDT meetings: scheduling, invitations and quoracy, the agenda, decisions and actions (with
//! their history), carry-forward to the next meeting, and a closed meeting's read-only rule.

use chrono::{Duration, Utc};
use entity::ProfessionalRole as R;
use sea_orm::{EntityTrait, QueryFilter};
use server::cli::DemoRole;

use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};
use crate::scenarios::{schedule, schedule_doc, team, Team, MEETING};

fn op(name: &str, input_type: &str) -> String {
    format!("mutation($input: {input_type}!) {{ {name}(input: $input) {{ meeting {{ {MEETING} }} }} }}")
}

async fn invite(app: &TestApp, t: &Team, meeting: &str, who: &str) -> crate::helpers::Reply {
    app.gql(
        &t.coordinator,
        &op("inviteToMdtMeeting", "MdtInvitationInput"),
        json!({ "input": { "meetingId": meeting, "practitionerId": who } }),
    )
    .await
}

#[tokio::test]
async fn quoracy_follows_invitations_apologies_and_attendance() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let m = schedule(&app, &t, 48, None).await;
    let id = m["id"].as_str().unwrap().to_owned();
    assert_eq!(m["status"], "PLANNED");
    assert_eq!(
        m["quoracy"]["required"],
        json!(["GENERAL_PRACTICE", "SOCIAL_PRESCRIBING", "ADULT_SOCIAL_CARE", "MENTAL_HEALTH", "COMMUNITY_NURSING"])
    );
    assert_eq!(m["quoracy"]["isQuorate"], false);

    for role in [R::Gp, R::SocialWorker, R::MentalHealthPractitioner, R::DistrictNurse] {
        invite(&app, &t, &id, &t.id(role)).await.data();
    }
    let reply = invite(&app, &t, &id, &t.id(R::SocialWorker)).await;
    assert_eq!(reply.error_code(), "CONFLICT", "invited twice");
    let reply = invite(&app, &t, &id, &t.id(R::Receptionist)).await;
    assert_eq!(reply.error_code(), "BAD_USER_INPUT", "a receptionist brings no discipline");
    let before = invite(&app, &t, &id, &t.id(R::Gp)).await;
    assert_eq!(before.error_code(), "CONFLICT");
    let q = &app
        .gql(&t.coordinator, &format!("query($id: ID!) {{ mdtMeeting(id: $id) {{ {MEETING} }} }}"), json!({ "id": id }))
        .await
        .body["data"]["mdtMeeting"]["quoracy"]
        .clone();
    assert_eq!(q["missing"], json!(["SOCIAL_PRESCRIBING"]));
    let full = invite(&app, &t, &id, &t.id(R::SocialPrescribingLinkWorker)).await;
    assert_eq!(full.data()["inviteToMdtMeeting"]["meeting"]["quoracy"]["isQuorate"], true, "will be quorate");

    // Apologies before the meeting take a discipline away; "attended" cannot be recorded yet.
    let attendance = op("recordMdtAttendance", "RecordMdtAttendanceInput");
    let sorry = app
        .gql(&t.coordinator, &attendance, json!({ "input": { "meetingId": id, "entries": [{ "practitionerId": t.id(R::DistrictNurse), "attendance": "APOLOGIES" }] } }))
        .await;
    assert_eq!(sorry.data()["recordMdtAttendance"]["meeting"]["quoracy"]["missing"], json!(["COMMUNITY_NURSING"]));
    let early = app
        .gql(&t.coordinator, &attendance, json!({ "input": { "meetingId": id, "entries": [{ "practitionerId": t.id(R::Gp), "attendance": "ATTENDED" }] } }))
        .await;
    assert_eq!(early.error_code(), "BAD_USER_INPUT");

    // Once started, only those recorded as attending count.
    let status = op("setMdtMeetingStatus", "SetMdtMeetingStatusInput");
    let started = app.gql(&t.coordinator, &status, json!({ "input": { "meetingId": id, "to": "IN_PROGRESS" } })).await;
    assert_eq!(started.data()["setMdtMeetingStatus"]["meeting"]["quoracy"]["present"], json!([]));
    let entries: Vec<Value> = [R::Gp, R::SocialWorker, R::MentalHealthPractitioner, R::SocialPrescribingLinkWorker]
        .iter()
        .map(|r| json!({ "practitionerId": t.id(*r), "attendance": "ATTENDED" }))
        .collect();
    let present =
        app.gql(&t.coordinator, &attendance, json!({ "input": { "meetingId": id, "entries": entries } })).await;
    let q = &present.data()["recordMdtAttendance"]["meeting"]["quoracy"];
    assert_eq!(q["isQuorate"], false);
    assert_eq!(q["missing"], json!(["COMMUNITY_NURSING"]));
    let skip = app.gql(&t.coordinator, &status, json!({ "input": { "meetingId": id, "to": "PLANNED" } })).await;
    assert_eq!(skip.error_code(), "INVALID_TRANSITION");

    // The neighbourhood sets its own requirement (its staff only); a meeting may override it.
    let set =
        "mutation($input: SetRequiredDisciplinesInput!) { setRequiredDisciplines(input: $input) { disciplines } }";
    let vcse_token = app.token(DemoRole::Vcse).await;
    let refused = app
        .gql(
            &vcse_token,
            set,
            json!({ "input": { "neighbourhoodId": t.neighbourhood, "disciplines": ["GENERAL_PRACTICE"] } }),
        )
        .await;
    assert_eq!(refused.error_code(), "FORBIDDEN");
    let empty = app
        .gql(&t.coordinator, set, json!({ "input": { "neighbourhoodId": t.neighbourhood, "disciplines": [] } }))
        .await;
    assert_eq!(empty.error_code(), "BAD_USER_INPUT");
    let custom = app
        .gql(&t.coordinator, set, json!({ "input": { "neighbourhoodId": t.neighbourhood, "disciplines": ["MENTAL_HEALTH", "GENERAL_PRACTICE", "MENTAL_HEALTH"] } }))
        .await;
    assert_eq!(custom.data()["setRequiredDisciplines"]["disciplines"], json!(["GENERAL_PRACTICE", "MENTAL_HEALTH"]));
    let next = schedule(&app, &t, 96, None).await;
    assert_eq!(next["quoracy"]["required"], json!(["GENERAL_PRACTICE", "MENTAL_HEALTH"]));

    // A meeting may require its own disciplines.
    let small = schedule(&app, &t, 72, Some(json!(["GENERAL_PRACTICE"]))).await;
    let small_id = small["id"].as_str().unwrap().to_owned();
    let q = invite(&app, &t, &small_id, &t.id(R::Gp)).await;
    assert_eq!(q.data()["inviteToMdtMeeting"]["meeting"]["quoracy"]["isQuorate"], true);

    // Bad schedules say what is wrong; VCSE staff do not organise meetings.
    let starts = Utc::now() + Duration::hours(3);
    for (patch, field) in [
        (json!({ "endsAt": (starts - Duration::hours(1)).to_rfc3339() }), "endsAt"),
        (json!({ "place": null }), "place"),
        (json!({ "title": " " }), "title"),
    ] {
        let mut input = json!({ "neighbourhoodId": t.neighbourhood, "title": "MDT", "startsAt": starts.to_rfc3339(),
            "endsAt": (starts + Duration::hours(1)).to_rfc3339(), "place": "Room 2", "chairId": t.id(R::Gp) });
        input.as_object_mut().unwrap().extend(patch.as_object().cloned().unwrap());
        let reply = app.gql(&t.coordinator, &schedule_doc(), json!({ "input": input })).await;
        assert_eq!(reply.body["errors"][0]["extensions"]["field"], field, "{patch}");
    }
    let vcse = app.token(DemoRole::Vcse).await;
    let input = json!({ "neighbourhoodId": t.neighbourhood, "title": "MDT", "startsAt": starts.to_rfc3339(),
        "endsAt": (starts + Duration::hours(1)).to_rfc3339(), "place": "Room 2", "chairId": t.id(R::Gp) });
    assert_eq!(app.gql(&vcse, &schedule_doc(), json!({ "input": input })).await.error_code(), "FORBIDDEN");
}

#[tokio::test]
async fn decisions_and_actions_are_recorded_carried_forward_and_kept_after_closing() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let page = app
        .gql(
            &t.coordinator,
            "query($n: ID) { patients(first: 4, filter: { neighbourhoodId: $n, ageMin: 75 }) { nodes { id } } }",
            json!({ "n": t.neighbourhood }),
        )
        .await;
    let people: Vec<String> = page.data()["patients"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    let first = schedule(&app, &t, -3, None).await;
    let first_id = first["id"].as_str().unwrap().to_owned();
    let add = op("addMdtAgendaItem", "AddMdtAgendaItemInput");
    for (k, p) in people.iter().take(3).enumerate() {
        let reply = app
            .gql(&t.coordinator, &add, json!({ "input": { "meetingId": first_id, "patientId": p, "reason": format!("Severe frailty, fall {k} weeks ago"), "presenterId": t.id(R::Gp) } }))
            .await;
        reply.data();
    }
    let dup = app
        .gql(
            &t.coordinator,
            &add,
            json!({ "input": { "meetingId": first_id, "patientId": people[0], "reason": "again" } }),
        )
        .await;
    assert_eq!(dup.error_code(), "CONFLICT");
    let read = app
        .gql(
            &t.coordinator,
            &format!("query($id: ID!) {{ mdtMeeting(id: $id) {{ {MEETING} }} }}"),
            json!({ "id": first_id }),
        )
        .await;
    let items: Vec<String> = read.data()["mdtMeeting"]["agenda"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(items.len(), 3);

    // Reorder (every item once), then take one off.
    let reorder = op("reorderMdtAgenda", "ReorderMdtAgendaInput");
    let bad = app
        .gql(&t.coordinator, &reorder, json!({ "input": { "meetingId": first_id, "itemIds": [items[0], items[1]] } }))
        .await;
    assert_eq!(bad.error_code(), "BAD_USER_INPUT");
    let reordered = app
        .gql(
            &t.coordinator,
            &reorder,
            json!({ "input": { "meetingId": first_id, "itemIds": [items[2], items[0], items[1]] } }),
        )
        .await;
    let order: Vec<&str> = reordered.data()["reorderMdtAgenda"]["meeting"]["agenda"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(order, [items[2].as_str(), items[0].as_str(), items[1].as_str()]);
    let removed = app
        .gql(
            &t.coordinator,
            &op("removeMdtAgendaItem", "RemoveMdtAgendaItemInput"),
            json!({ "input": { "itemId": items[1] } }),
        )
        .await;
    assert_eq!(removed.data()["removeMdtAgendaItem"]["meeting"]["agenda"].as_array().unwrap().len(), 2);

    // Decisions and actions per item, by an invitee.
    invite(&app, &t, &first_id, &t.id(R::SocialPrescribingLinkWorker)).await.data();
    let worker =
        app.token_for_practitioner(&t.members.iter().find(|(r, _)| *r == R::SocialPrescribingLinkWorker).unwrap().1);
    let decision = app
        .gql(
            &worker,
            "mutation($input: RecordMdtDecisionInput!) { recordMdtDecision(input: $input) { decision { text } } }",
            json!({ "input": { "itemId": items[0], "text": "Refer to falls service; link worker to visit" } }),
        )
        .await;
    assert_eq!(
        decision.data()["recordMdtDecision"]["decision"]["text"],
        "Refer to falls service; link worker to visit"
    );
    let action_doc = "mutation($input: AddMdtActionInput!) { addMdtAction(input: $input) { action { id status isOverdue ownerOrganisation { id } history { toStatus } } } }";
    let today = api::context::uk_today();
    let overdue = app
        .gql(&worker, action_doc, json!({ "input": { "itemId": items[0], "text": "Home visit with the person's daughter", "ownerPractitionerId": t.id(R::SocialPrescribingLinkWorker), "dueDate": (today - chrono::Days::new(2)).to_string() } }))
        .await;
    let overdue_id = overdue.data()["addMdtAction"]["action"]["id"].as_str().unwrap().to_owned();
    assert_eq!(overdue.data()["addMdtAction"]["action"]["isOverdue"], true);
    let later = app
        .gql(&worker, action_doc, json!({ "input": { "itemId": items[2], "text": "Care needs assessment", "ownerOrganisationId": t.members.iter().find(|(r, _)| *r == R::SocialWorker).unwrap().1.organisation_id.to_string(), "dueDate": (today + chrono::Days::new(14)).to_string() } }))
        .await;
    let later_id = later.data()["addMdtAction"]["action"]["id"].as_str().unwrap().to_owned();
    let ownerless =
        app.gql(&worker, action_doc, json!({ "input": { "itemId": items[0], "text": "Someone should" } })).await;
    assert_eq!(ownerless.error_code(), "BAD_USER_INPUT");
    let outsider = app.token(DemoRole::Pharmacist).await;
    let not_invited = app
        .gql(
            &outsider,
            action_doc,
            json!({ "input": { "itemId": items[0], "text": "x", "ownerOrganisationId": t.neighbourhood } }),
        )
        .await;
    assert!(matches!(not_invited.error_code(), "FORBIDDEN" | "BAD_USER_INPUT"));

    // The owner's list and the coordinator's overdue list.
    let mine = app.gql(&worker, "{ myMdtActions { id } }", json!({})).await;
    assert!(mine.data()["myMdtActions"].as_array().unwrap().iter().any(|a| a["id"] == overdue_id.as_str()));
    // A "my actions" screen in one request: each action's meeting and person as objects. The
    // person opens only as far as the caller's own access to the record goes; owning the action
    // opens nothing more. Checked against what `patient(id:)` gives the same caller.
    let screen = app
        .gql(
            &worker,
            "{ myMdtActions { id patientId meetingId meeting { id title } patient { id accessLevel name } } }",
            json!({}),
        )
        .await;
    for (i, action) in screen.body["data"]["myMdtActions"].as_array().unwrap().iter().enumerate() {
        assert_eq!(action["meeting"]["id"], action["meetingId"], "{}", screen.body);
        assert!(action["meeting"]["title"].as_str().is_some_and(|t| !t.is_empty()), "{}", screen.body);
        let direct = app
            .gql(
                &worker,
                "query($id: ID!) { patient(id: $id) { id accessLevel name } }",
                json!({ "id": action["patientId"] }),
            )
            .await;
        if direct.body.get("errors").is_none() {
            assert_eq!(action["patient"], direct.data()["patient"], "the same view of the person either way");
        } else {
            assert!(action["patient"].is_null(), "no more through the action than directly: {}", screen.body);
            let error = screen.body["errors"].as_array().unwrap().iter().find(|e| e["path"][1] == i).unwrap();
            assert_eq!(error["extensions"]["code"], "FORBIDDEN");
        }
    }
    // From the other side: a voluntary-sector worker given an action about someone whose record
    // their organisation may not read sees the action, never the person through it.
    let n: uuid::Uuid = t.neighbourhood.parse().unwrap();
    let volunteer = app.practitioner_in(R::VcseWorker, n).await;
    let volunteer_token = app.token_for_practitioner(&volunteer);
    let given = app
        .gql(&worker, action_doc, json!({ "input": { "itemId": items[0], "text": "Telephone befriending call", "ownerPractitionerId": volunteer.id.to_string() } }))
        .await;
    let given_id = given.data()["addMdtAction"]["action"]["id"].as_str().unwrap().to_owned();
    let theirs =
        app.gql(&volunteer_token, "{ myMdtActions { id patientId patient { name nhsNumber } } }", json!({})).await;
    let list = theirs.body["data"]["myMdtActions"].as_array().unwrap();
    let at = list.iter().position(|a| a["id"] == given_id.as_str()).expect("the owner sees the action");
    let direct = app
        .gql(&volunteer_token, "query($id: ID!) { patient(id: $id) { name } }", json!({ "id": list[at]["patientId"] }))
        .await;
    assert_eq!(
        direct.error_code(),
        "FORBIDDEN",
        "the volunteer's organisation may not read this record: {}",
        direct.body
    );
    assert!(list[at]["patient"].is_null(), "{}", theirs.body);
    let refused =
        theirs.body["errors"].as_array().unwrap().iter().find(|e| e["path"][1] == at).expect("an error says why");
    assert_eq!(refused["extensions"]["code"], "FORBIDDEN");
    let late = app
        .gql(
            &t.coordinator,
            "query($n: ID!) { overdueMdtActions(neighbourhoodId: $n) { id } }",
            json!({ "n": t.neighbourhood }),
        )
        .await;
    let late_ids: Vec<&str> =
        late.data()["overdueMdtActions"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert!(late_ids.contains(&overdue_id.as_str()) && !late_ids.contains(&later_id.as_str()));

    // Closing makes the meeting read-only, except action statuses.
    let status = op("setMdtMeetingStatus", "SetMdtMeetingStatusInput");
    app.gql(&t.coordinator, &status, json!({ "input": { "meetingId": first_id, "to": "IN_PROGRESS" } })).await.data();
    app.gql(&t.coordinator, &status, json!({ "input": { "meetingId": first_id, "to": "CLOSED" } })).await.data();
    let after = app
        .gql(
            &worker,
            "mutation($input: RecordMdtDecisionInput!) { recordMdtDecision(input: $input) { decision { text } } }",
            json!({ "input": { "itemId": items[0], "text": "late" } }),
        )
        .await;
    assert_eq!(after.error_code(), "INVALID_TRANSITION");
    assert_eq!(
        app.gql(
            &t.coordinator,
            &add,
            json!({ "input": { "meetingId": first_id, "patientId": people[3], "reason": "late" } })
        )
        .await
        .error_code(),
        "INVALID_TRANSITION"
    );
    let done = app
        .gql(&worker, "mutation($input: SetMdtActionStatusInput!) { setMdtActionStatus(input: $input) { action { status history { fromStatus toStatus note } } } }", json!({ "input": { "actionId": overdue_id, "to": "DONE", "note": "visited on Tuesday" } }))
        .await;
    let a = &done.data()["setMdtActionStatus"]["action"];
    assert_eq!(a["status"], "DONE");
    assert_eq!(
        a["history"],
        json!([{ "fromStatus": null, "toStatus": "OPEN", "note": null }, { "fromStatus": "OPEN", "toStatus": "DONE", "note": "visited on Tuesday" }])
    );

    // The next meeting carries forward what is still open.
    let next = schedule(&app, &t, 24 * 14, None).await;
    let carried: Vec<&str> =
        next["carriedForwardActions"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert!(carried.contains(&later_id.as_str()) && !carried.contains(&overdue_id.as_str()), "{carried:?}");

    // Someone from another neighbourhood cannot go on this agenda.
    let other =
        app.gql(&app.token(DemoRole::Commissioner).await, "{ neighbourhoods { nodes { id } } }", json!({})).await;
    let elsewhere = other.data()["neighbourhoods"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .find(|n| *n != t.neighbourhood)
        .unwrap();
    let stranger = entity::patient::Entity::find()
        .filter(sea_orm::ColumnTrait::eq(
            &entity::patient::Column::NeighbourhoodId,
            uuid::Uuid::parse_str(&elsewhere).unwrap(),
        ))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let next_id = next["id"].as_str().unwrap();
    let wrong = app
        .gql(
            &t.coordinator,
            &add,
            json!({ "input": { "meetingId": next_id, "patientId": stranger.id.to_string(), "reason": "x" } }),
        )
        .await;
    assert!(matches!(wrong.error_code(), "BAD_USER_INPUT" | "FORBIDDEN"), "{}", wrong.body);
}

#[tokio::test]
async fn invitees_open_agenda_records_within_the_window_until_removed() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let here: uuid::Uuid = t.neighbourhood.parse().unwrap();
    let others =
        app.gql(&app.token(DemoRole::Commissioner).await, "{ neighbourhoods { nodes { id } } }", json!({})).await;
    let elsewhere: uuid::Uuid = others.data()["neighbourhoods"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().parse().unwrap())
        .find(|n| *n != here)
        .unwrap();
    // A GP of the other neighbourhood, joining this neighbourhood's MDT.
    let visitor_model = app.practitioner_in(R::Gp, elsewhere).await;
    let visitor = app.token_for_practitioner(&visitor_model);
    let vcse_model = app.practitioner_in(R::VcseWorker, here).await;
    let vcse = app.token_for_practitioner(&vcse_model);
    let page = app
        .gql(
            &t.coordinator,
            "query($n: ID) { patients(first: 5, filter: { neighbourhoodId: $n, ageMin: 70 }) { nodes { id } } }",
            json!({ "n": t.neighbourhood }),
        )
        .await;
    let people: Vec<String> = page.data()["patients"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    let read = |token: String, id: String| {
        let app = &app;
        async move {
            app.gql(&token, "query($id: ID!) { patient(id: $id) { name conditions { code } } }", json!({ "id": id }))
                .await
        }
    };
    assert_eq!(
        read(visitor.clone(), people[0].clone()).await.error_code(),
        "FORBIDDEN",
        "no access before the meeting"
    );

    let add = op("addMdtAgendaItem", "AddMdtAgendaItemInput");
    let soon = schedule(&app, &t, 48, None).await;
    let soon_id = soon["id"].as_str().unwrap().to_owned();
    invite(&app, &t, &soon_id, &visitor_model.id.to_string()).await.data();
    invite(&app, &t, &soon_id, &vcse_model.id.to_string()).await.data();
    let item = app
        .gql(
            &t.coordinator,
            &add,
            json!({ "input": { "meetingId": soon_id, "patientId": people[0], "reason": "Carer breakdown risk" } }),
        )
        .await;
    let item_id = item.data()["addMdtAgendaItem"]["meeting"]["agenda"][0]["id"].as_str().unwrap().to_owned();

    // Two days before: the visitor opens the record of the person on the agenda, and only theirs.
    let opened = read(visitor.clone(), people[0].clone()).await;
    assert!(opened.data()["patient"]["name"].is_string());
    let audit: Vec<_> = app.audit_trail().await.into_iter().filter(|a| a.practitioner_id == visitor_model.id).collect();
    assert!(audit.iter().any(|a| a.access_reason == "mdt_agenda" && a.patient_id.to_string() == people[0]));
    assert_eq!(read(visitor.clone(), people[1].clone()).await.error_code(), "FORBIDDEN", "not on the agenda");
    let meeting = app
        .gql(&visitor, &format!("query($id: ID!) {{ mdtMeeting(id: $id) {{ {MEETING} }} }}"), json!({ "id": soon_id }))
        .await;
    assert_eq!(
        meeting.data()["mdtMeeting"]["agenda"][0]["patient"]["id"],
        people[0].as_str(),
        "the invitee sees the agenda"
    );
    // A VCSE invitee sees only what the person shared: nothing here.
    assert_eq!(read(vcse.clone(), people[0].clone()).await.error_code(), "FORBIDDEN");

    // Taken off the agenda: closed at once; back on: open; invitation withdrawn: closed.
    let remove = op("removeMdtAgendaItem", "RemoveMdtAgendaItemInput");
    app.gql(&t.coordinator, &remove, json!({ "input": { "itemId": item_id } })).await.data();
    assert_eq!(read(visitor.clone(), people[0].clone()).await.error_code(), "FORBIDDEN");
    app.gql(
        &t.coordinator,
        &add,
        json!({ "input": { "meetingId": soon_id, "patientId": people[0], "reason": "Back on" } }),
    )
    .await
    .data();
    assert!(read(visitor.clone(), people[0].clone()).await.data()["patient"]["name"].is_string());
    let uninvite = op("removeMdtInvitation", "MdtInvitationInput");
    app.gql(
        &t.coordinator,
        &uninvite,
        json!({ "input": { "meetingId": soon_id, "practitionerId": visitor_model.id.to_string() } }),
    )
    .await
    .data();
    assert_eq!(read(visitor.clone(), people[0].clone()).await.error_code(), "FORBIDDEN");

    // Outside the window: a meeting a month away has not opened; one that ended three weeks ago has expired.
    for (hours, person) in [(24 * 30, &people[2]), (-24 * 21 - 2, &people[3])] {
        let m = schedule(&app, &t, hours, None).await;
        let id = m["id"].as_str().unwrap().to_owned();
        invite(&app, &t, &id, &visitor_model.id.to_string()).await.data();
        app.gql(&t.coordinator, &add, json!({ "input": { "meetingId": id, "patientId": person, "reason": "Review" } }))
            .await
            .data();
        assert_eq!(read(visitor.clone(), person.clone()).await.error_code(), "FORBIDDEN", "{hours} hours away");
    }
}

#[tokio::test]
async fn minutes_set_out_attendance_and_each_persons_decisions_and_actions() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let page = app
        .gql(
            &t.coordinator,
            "query($n: ID) { patients(first: 2, filter: { neighbourhoodId: $n, ageMin: 80 }) { nodes { id name } } }",
            json!({ "n": t.neighbourhood }),
        )
        .await;
    let people = page.data()["patients"]["nodes"].as_array().unwrap().clone();
    let m = schedule(&app, &t, -1, None).await;
    let id = m["id"].as_str().unwrap().to_owned();
    for role in [R::Gp, R::SocialWorker, R::DistrictNurse] {
        invite(&app, &t, &id, &t.id(role)).await.data();
    }
    let add = op("addMdtAgendaItem", "AddMdtAgendaItemInput");
    for p in &people {
        app.gql(
            &t.coordinator,
            &add,
            json!({ "input": { "meetingId": id, "patientId": p["id"], "reason": "Recent fall" } }),
        )
        .await
        .data();
    }
    let status = op("setMdtMeetingStatus", "SetMdtMeetingStatusInput");
    app.gql(&t.coordinator, &status, json!({ "input": { "meetingId": id, "to": "IN_PROGRESS" } })).await.data();
    let attendance = op("recordMdtAttendance", "RecordMdtAttendanceInput");
    app.gql(
        &t.coordinator,
        &attendance,
        json!({ "input": { "meetingId": id, "entries": [
        { "practitionerId": t.id(R::Gp), "attendance": "ATTENDED" },
        { "practitionerId": t.id(R::SocialWorker), "attendance": "ATTENDED" },
        { "practitionerId": t.id(R::DistrictNurse), "attendance": "APOLOGIES" } ] } }),
    )
    .await
    .data();
    let read = app
        .gql(&t.coordinator, &format!("query($id: ID!) {{ mdtMeeting(id: $id) {{ {MEETING} }} }}"), json!({ "id": id }))
        .await;
    let item = read.data()["mdtMeeting"]["agenda"][0]["id"].as_str().unwrap().to_owned();
    app.gql(
        &t.coordinator,
        "mutation($input: RecordMdtDecisionInput!) { recordMdtDecision(input: $input) { decision { text } } }",
        json!({ "input": { "itemId": item, "text": "Falls assessment at home" } }),
    )
    .await
    .data();
    app.gql(&t.coordinator, "mutation($input: AddMdtActionInput!) { addMdtAction(input: $input) { action { id } } }", json!({ "input": { "itemId": item, "text": "Book the falls assessment", "ownerPractitionerId": t.id(R::DistrictNurse), "dueDate": "2027-01-08" } })).await.data();

    let minutes =
        app.gql(&t.coordinator, "query($id: ID!) { mdtMeeting(id: $id) { minutes } }", json!({ "id": id })).await;
    let text = minutes.data()["mdtMeeting"]["minutes"].as_str().unwrap().to_owned();
    assert!(text.starts_with("# Frailty MDT\n"), "{text}");
    assert!(text.contains("## Attendance") && text.contains("- Present: ") && text.contains("- Apologies: "), "{text}");
    assert!(text.contains("- Quorate: no (missing "), "{text}");
    let first = people[0]["name"].as_str().unwrap();
    assert!(text.contains(&format!("## 1. {first} — Recent fall")), "{text}");
    assert!(text.contains("- Falls assessment at home ("), "{text}");
    assert!(text.contains("- [ ] Book the falls assessment — ") && text.contains(", due 2027-01-08"), "{text}");
    assert!(text.contains("## 2. ") && text.contains("No decision recorded."), "{text}");
    // Names appear only under the reader's own access: a VCSE invitee reads the minutes without them.
    let vcse_model = app.practitioner_in(R::VcseWorker, t.neighbourhood.parse().unwrap()).await;
    let vcse = app.token_for_practitioner(&vcse_model);
    invite(&app, &t, &id, &vcse_model.id.to_string()).await.data();
    let theirs = app.gql(&vcse, "query($id: ID!) { mdtMeeting(id: $id) { minutes } }", json!({ "id": id })).await;
    let text = theirs.data()["mdtMeeting"]["minutes"].as_str().unwrap();
    assert!(!text.contains(first) && !text.contains("Recent fall") && !text.contains("Falls assessment"), "{text}");
    assert!(text.contains("## 1. A person on the agenda\n\nWhat was said is not shared with you."), "{text}");
    // The same holds field by field: the item's reason, decisions and actions are closed to them.
    for field in ["reason", "decisions { text }", "actions { text }", "patient { name }"] {
        let reply = app
            .gql(
                &vcse,
                &format!("query($id: ID!) {{ mdtMeeting(id: $id) {{ agenda {{ {field} }} }} }}"),
                json!({ "id": id }),
            )
            .await;
        assert_eq!(reply.error_code(), "FORBIDDEN", "{field}");
    }
    let positions = app
        .gql(&vcse, "query($id: ID!) { mdtMeeting(id: $id) { agenda { position kind } } }", json!({ "id": id }))
        .await;
    assert_eq!(positions.data()["mdtMeeting"]["agenda"].as_array().unwrap().len(), 2, "the agenda's shape is visible");
}

/// `upcoming: true` lists meetings that have not ended and are not closed; one chair does not
/// chair two open meetings at once.
#[tokio::test]
async fn upcoming_leaves_out_closed_meetings_and_a_chair_chairs_one_meeting_at_a_time() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let closed = schedule(&app, &t, 5, None).await["id"].as_str().unwrap().to_owned();
    let open = schedule(&app, &t, 24, None).await["id"].as_str().unwrap().to_owned();
    let status = op("setMdtMeetingStatus", "SetMdtMeetingStatusInput");
    for to in ["IN_PROGRESS", "CLOSED"] {
        app.gql(&t.coordinator, &status, json!({ "input": { "meetingId": closed, "to": to } })).await.data();
    }
    let list = "query($n: ID!) { mdtMeetings(neighbourhoodId: $n, upcoming: true) { nodes { id status } } }";
    let upcoming = app.gql(&t.coordinator, list, json!({ "n": t.neighbourhood })).await;
    let ids: Vec<&str> =
        upcoming.data()["mdtMeetings"]["nodes"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&open.as_str()), "{ids:?}");
    assert!(!ids.contains(&closed.as_str()), "a closed meeting is not upcoming, though it has not ended: {ids:?}");

    // The same chair half an hour into the open meeting: refused, naming the meeting in the way.
    let starts = Utc::now() + Duration::hours(24) + Duration::minutes(30);
    let clash = json!({ "input": { "neighbourhoodId": t.neighbourhood, "title": "Second MDT", "startsAt": starts.to_rfc3339(),
        "endsAt": (starts + Duration::minutes(60)).to_rfc3339(), "onlineLink": "https://meet.example/mdt", "chairId": t.id(R::Gp) } });
    let refused = app.gql(&t.coordinator, &schedule_doc(), clash.clone()).await;
    assert_eq!(refused.error_code(), "CONFLICT");
    assert_eq!(refused.body["errors"][0]["extensions"]["existingId"], open.as_str());
    // Another chair at that time, or the closed meeting's slot, is fine.
    let mut other_chair = clash.clone();
    other_chair["input"]["chairId"] = json!(t.id(R::SocialWorker));
    app.gql(&t.coordinator, &schedule_doc(), other_chair).await.data();
    let no_place = json!({ "input": { "neighbourhoodId": t.neighbourhood, "title": "Nowhere", "startsAt": (starts + Duration::days(3)).to_rfc3339(),
        "endsAt": (starts + Duration::days(3) + Duration::minutes(60)).to_rfc3339(), "chairId": t.id(R::Gp) } });
    let nowhere = app.gql(&t.coordinator, &schedule_doc(), no_place).await;
    assert_eq!(nowhere.body["errors"][0]["extensions"]["field"], "place", "{}", nowhere.body);
}

/// Migration 000014 turned two comma-joined lists into rows: an asset's languages and a meeting's
/// own required disciplines. Down must give back the text the rows hold; up again must carry
/// stored text over as the old readers understood it (trimmed, empty parts and repeats dropped,
/// an unknown discipline ignored), and refuse, changing nothing, a language its column cannot hold.
#[tokio::test]
async fn lists_stored_as_rows_survive_their_migration_both_ways() {
    use migration::MigratorTrait;

    let app = spawn_app().await;
    let t = team(&app).await;
    let own = schedule(&app, &t, 48, Some(json!(["MENTAL_HEALTH", "GENERAL_PRACTICE"]))).await;
    let inherits = schedule(&app, &t, 96, None).await;
    let (own, inherits) = (own["id"].as_str().unwrap().to_owned(), inherits["id"].as_str().unwrap().to_owned());
    let mut by_asset: std::collections::BTreeMap<uuid::Uuid, Vec<String>> = Default::default();
    for row in entity::community_asset_language::Entity::find().all(&app.db).await.unwrap() {
        by_asset.entry(row.asset_id).or_default().push(row.language);
    }
    by_asset.values_mut().for_each(|l| l.sort());
    let (asset, languages) = by_asset.iter().find(|(_, l)| l.len() > 1).expect("a demo asset run in two languages");
    let asset = asset.to_string();

    let before = lists(&app, &t.coordinator, &asset, &own, &inherits).await;
    assert_eq!(before.0, json!(languages), "the asset's languages are its rows, alphabetically");
    assert_eq!(before.1, json!(["GENERAL_PRACTICE", "MENTAL_HEALTH"]), "the meeting's own list");
    assert_eq!(
        before.2,
        json!(["GENERAL_PRACTICE", "SOCIAL_PRESCRIBING", "ADULT_SOCIAL_CARE", "MENTAL_HEALTH", "COMMUNITY_NURSING"]),
        "no list of its own: the default"
    );

    // Down to before the migration that made the lists rows, whatever came after it.
    let steps = {
        use migration::MigratorTrait;
        let all = migration::Migrator::migrations();
        1 + all.iter().rev().position(|m| m.name() == "m20261203_000014_lists_as_rows").expect("the migration") as u32
    };
    migration::Migrator::down(&app.db, Some(steps)).await.unwrap();
    assert_eq!(
        text(&app, "community_asset", "languages", &asset).await,
        Some(languages.join(", ")),
        "down: the rows, comma-joined"
    );
    assert_eq!(
        text(&app, "mdt_meeting", "required_disciplines", &own).await.as_deref(),
        Some("general_practice, mental_health")
    );
    assert_eq!(text(&app, "mdt_meeting", "required_disciplines", &inherits).await, None);

    // Text as it was stored before: spaces, empty parts, repeats, a discipline no reader knew.
    set(&app, "community_asset", "languages", &asset, " Urdu ,, Somali, Urdu ,").await;
    set(&app, "mdt_meeting", "required_disciplines", &inherits, "coordination,, chaplaincy ,pharmacy, coordination")
        .await;
    let long = format!("Polish,{}", "x".repeat(61));
    let other = by_asset.keys().map(ToString::to_string).find(|a| *a != asset).unwrap();
    set(&app, "community_asset", "languages", &other, &long).await;
    let refused = migration::Migrator::up(&app.db, None).await.expect_err("a language longer than its column");
    let message = refused.to_string();
    assert!(message.contains(&format!("community asset {other}")) && message.contains("more than 60"), "{message}");
    assert_eq!(text(&app, "community_asset", "languages", &other).await, Some(long), "refused before anything changed");
    set(&app, "community_asset", "languages", &other, "Polish").await;

    migration::Migrator::up(&app.db, None).await.unwrap();
    let after = lists(&app, &t.coordinator, &asset, &own, &inherits).await;
    assert_eq!(after.0, json!(["Somali", "Urdu"]), "trimmed, without empty parts or repeats");
    assert_eq!(after.1, before.1, "the own list came back");
    assert_eq!(after.2, json!(["PHARMACY", "COORDINATION"]), "the known disciplines, once each");
}

/// An asset's languages and two meetings' required disciplines, as the API answers them.
async fn lists(app: &TestApp, token: &str, asset: &str, own: &str, inherits: &str) -> (Value, Value, Value) {
    let reply = app
        .gql(
            token,
            "query($a: ID!, $m: ID!, $n: ID!) { communityAsset(id: $a) { languages }
               own: mdtMeeting(id: $m) { quoracy { required } } inherits: mdtMeeting(id: $n) { quoracy { required } } }",
            json!({ "a": asset, "m": own, "n": inherits }),
        )
        .await;
    let data = reply.data();
    (
        data["communityAsset"]["languages"].clone(),
        data["own"]["quoracy"]["required"].clone(),
        data["inherits"]["quoracy"]["required"].clone(),
    )
}

/// `column` of the row of `table` whose id is `id`, as text.
async fn text(app: &TestApp, table: &str, column: &str, id: &str) -> Option<String> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
    use sea_orm::ConnectionTrait;
    let select = Query::select()
        .column(Alias::new(column))
        .from(Alias::new(table))
        .and_where(Expr::col(Alias::new("id")).eq(uuid::Uuid::parse_str(id).unwrap()))
        .to_owned();
    let row = app.db.query_one(&select).await.unwrap().expect("the row");
    row.try_get_by_index::<Option<String>>(0).unwrap()
}

/// Stores `value` in `column` of the row of `table` whose id is `id`.
async fn set(app: &TestApp, table: &str, column: &str, id: &str, value: &str) {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
    use sea_orm::ConnectionTrait;
    let update = Query::update()
        .table(Alias::new(table))
        .value(Alias::new(column), value)
        .and_where(Expr::col(Alias::new("id")).eq(uuid::Uuid::parse_str(id).unwrap()))
        .to_owned();
    app.db.execute(&update).await.unwrap();
}
