//! Minutes of an MDT meeting as Markdown: who came, then per person the decisions and actions
//! (with owner, due date and status), then the actions carried forward from earlier meetings.
//! Names of people appear only under the reader's own grant; others read "a person on the agenda".

use std::collections::HashMap;
use std::fmt::Write;

use sea_orm::ActiveEnum;
use uuid::Uuid;

use entity::{mdt_action, mdt_meeting, MeetingAttendance, PlanActionStatus};

use crate::context::RequestContext;
use domain::error::AppResult;

fn checkbox(status: PlanActionStatus) -> &'static str {
    match status {
        PlanActionStatus::Open => "[ ]",
        PlanActionStatus::Done => "[x]",
        PlanActionStatus::Cancelled => "[-]",
    }
}

fn human(value: String) -> String {
    let text = value.replace('_', " ");
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Renders the minutes; returns them with the people whose names were shown (for the audit).
pub async fn render(
    req: &RequestContext,
    meeting: &mdt_meeting::Model,
) -> AppResult<(String, Vec<(Uuid, domain::auth::AccessReason)>)> {
    let l = &req.loaders;
    let invitations: Vec<_> = l
        .mdt_invitations
        .load_one(meeting.id)
        .await?
        .unwrap_or_default()
        .into_iter()
        .filter(|i| i.open_key.is_some())
        .collect();
    // The agenda's people come with it; the cache then holds them for `patient.load_many` below.
    let mut known = Vec::new();
    let items: Vec<_> = l
        .mdt_agenda
        .load_one(meeting.id)
        .await?
        .unwrap_or_default()
        .into_iter()
        .filter(|(i, _)| i.open_key.is_some())
        .map(|(item, person)| {
            known.push((person.id, person));
            item
        })
        .collect();
    l.patient.feed_many(known).await;
    let item_ids: Vec<Uuid> = items.iter().map(|i| i.id).collect();
    let decisions = l.mdt_decisions.load_many(item_ids.iter().copied()).await?;
    let actions = l.mdt_item_actions.load_many(item_ids.iter().copied()).await?;
    let carried = domain::mdt::carried_forward(&req.db, meeting).await?;
    let mut people: Vec<Uuid> = invitations.iter().map(|i| i.practitioner_id).collect();
    people.push(meeting.chair_id);
    let all_actions: Vec<&mdt_action::Model> = actions.values().flatten().chain(carried.iter()).collect();
    people.extend(all_actions.iter().filter_map(|a| a.owner_practitioner_id));
    people.extend(decisions.values().flatten().map(|d| d.recorded_by));
    let staff = l.practitioner.load_many(people).await?;
    let mut orgs: Vec<Uuid> = invitations.iter().map(|i| i.organisation_id).collect();
    orgs.extend(all_actions.iter().filter_map(|a| a.owner_organisation_id));
    let organisations = l.organisation.load_many(orgs).await?;
    let mut patient_ids: Vec<Uuid> = items.iter().map(|i| i.patient_id).collect();
    patient_ids.extend(carried.iter().map(|a| a.patient_id));
    let patients = l.patient.load_many(patient_ids).await?;
    let mut shown: HashMap<Uuid, domain::auth::AccessReason> = HashMap::new();
    let mut person = |id: Uuid| match patients
        .get(&id)
        .and_then(|p| req.caller.grant_for(p).filter(|g| g.level().opens_clinical()).map(|g| (p, g)))
    {
        Some((p, g)) => {
            shown.insert(id, g.reason());
            format!("{} {}", p.given_name, p.family_name)
        }
        None => "a person on the agenda".to_owned(),
    };
    let name = |id: Uuid| {
        staff.get(&id).map_or_else(|| "someone".to_owned(), |p| format!("{} {}", p.given_name, p.family_name))
    };
    let owner = |a: &mdt_action::Model| match (a.owner_practitioner_id, a.owner_organisation_id) {
        (Some(p), _) => name(p),
        (None, Some(o)) => organisations.get(&o).map_or_else(|| "an organisation".to_owned(), |o| o.name.clone()),
        (None, None) => "unassigned".to_owned(),
    };

    let mut out = String::new();
    let _ = writeln!(out, "# {}", meeting.title);
    let uk = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&chrono_tz::Europe::London);
    let _ = writeln!(
        out,
        "\n{} to {} · {}",
        uk(meeting.starts_at).format("%A %-d %B %Y, %H:%M"),
        uk(meeting.ends_at).format("%H:%M"),
        [meeting.place.as_deref(), meeting.online_link.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" / ")
    );
    let _ = writeln!(out, "\nChair: {}. Status: {}.", name(meeting.chair_id), human(meeting.status.to_value()));
    let requirements = l.meeting_requirements.load_one(meeting.id).await?;
    let required = domain::mdt::required_disciplines(requirements.unwrap_or_default());
    let q = domain::mdt::quoracy(meeting, required, &invitations);
    out.push_str("\n## Attendance\n\n");
    for (label, wanted) in [
        ("Present", MeetingAttendance::Attended),
        ("Apologies", MeetingAttendance::Apologies),
        ("Invited", MeetingAttendance::Invited),
    ] {
        let who: Vec<String> = invitations
            .iter()
            .filter(|i| i.attendance == wanted)
            .map(|i| {
                let org = organisations.get(&i.organisation_id).map_or("", |o| o.name.as_str());
                format!("{} ({}, {org})", name(i.practitioner_id), human(i.discipline.to_value()))
            })
            .collect();
        if !who.is_empty() {
            let _ = writeln!(out, "- {label}: {}", who.join("; "));
        }
    }
    if q.is_quorate() {
        out.push_str("- Quorate: yes\n");
    } else {
        let missing: Vec<String> = q.missing.iter().map(|d| human(d.to_value()).to_lowercase()).collect();
        let _ = writeln!(out, "- Quorate: no (missing {})", missing.join(", "));
    }
    for (k, item) in items.iter().enumerate() {
        if patients
            .get(&item.patient_id)
            .is_none_or(|p| req.caller.grant_for(p).filter(|g| g.level().opens_clinical()).is_none())
        {
            let _ = writeln!(out, "\n## {}. A person on the agenda\n\nWhat was said is not shared with you.", k + 1);
            continue;
        }
        let _ = writeln!(out, "\n## {}. {} — {}\n", k + 1, person(item.patient_id), item.reason);
        let ds = decisions.get(&item.id).cloned().unwrap_or_default();
        if ds.is_empty() {
            out.push_str("No decision recorded.\n");
        } else {
            out.push_str("Decisions:\n");
            for d in ds {
                let _ = writeln!(out, "- {} ({})", d.text, name(d.recorded_by));
            }
        }
        let xs = actions.get(&item.id).cloned().unwrap_or_default();
        if !xs.is_empty() {
            out.push_str("\nActions:\n");
            for a in &xs {
                let due = a.due_date.map_or_else(String::new, |d| format!(", due {d}"));
                let _ = writeln!(out, "- {} {} — {}{due}", checkbox(a.status), a.text, owner(a));
            }
        }
    }
    let carried: Vec<&mdt_action::Model> = carried
        .iter()
        .filter(|a| {
            patients
                .get(&a.patient_id)
                .is_some_and(|p| req.caller.grant_for(p).filter(|g| g.level().opens_clinical()).is_some())
        })
        .collect();
    if !carried.is_empty() {
        out.push_str("\n## Open actions from earlier meetings\n\n");
        for a in carried {
            let due = a.due_date.map_or_else(String::new, |d| format!(", due {d}"));
            let overdue = if a.due_date.is_some_and(|d| d < req.today) { " (overdue)" } else { "" };
            let _ = writeln!(
                out,
                "- {} {}: {} — {}{due}{overdue}",
                checkbox(a.status),
                person(a.patient_id),
                a.text,
                owner(a)
            );
        }
    }
    Ok((out, shown.into_iter().collect()))
}
