//! Link-worker-led support groups for one neighbourhood, run by the SPLW provider: weekly sessions
//! from a start some months ago to a few weeks after `today`, members drawn mostly from people on
//! the social prescribing waiting list (so that some are "supported while waiting" today) and some
//! whom a link worker connects to a group as part of their plan, and a register for every session
//! that has happened while each person was a member.
//!
//! A current membership holds the same unique `open_key` the API gives one
//! (`domain::groups::participant_open_key`); it is NULL once the person
//! has left. Members never exceed the group's capacity at any time.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, Utc, Weekday};
use entity::{
    group_attendance, group_participant, group_session, practitioner, support_group, AttendanceStatus,
    ProfessionalRole, ReferralNeed as N,
};
use rand::seq::SliceRandom;
use rand::Rng;
use uuid::Uuid;

use super::referrals::{after, gap, office_minute, Hold, Occupancy, Spell};
use super::{at, population, DemoData, Gen, NeighbourhoodCtx};
use domain::error::{AppError, AppResult};
use domain::groups::participant_open_key;

struct Template {
    /// `{town}` is replaced by the place the group meets in.
    name: &'static str,
    focus: N,
    description: &'static str,
    venue: &'static str,
    weekday: Weekday,
    minute: i64,
    duration: i32,
}

/// The waiting-list café first: every neighbourhood runs one.
const TEMPLATES: &[Template] = &[
    Template {
        name: "Waiting-list Wellbeing Café, {town}",
        focus: N::LonelinessOrIsolation,
        description: "A relaxed weekly drop-in for people waiting to see a link worker: a cuppa and a chat, meet others in the same boat and find out what's on in {town} while you wait for your first appointment.",
        venue: "{town} Community Centre",
        weekday: Weekday::Tue,
        minute: 10 * 60,
        duration: 120,
    },
    Template {
        name: "{town} Gentle Walking Group",
        focus: N::PhysicalActivity,
        description: "An easy-paced walk of about an hour on flat paths, finishing with a hot drink. Led by a link worker and a trained walk leader; good for building up activity after illness.",
        venue: "Meet outside {town} Library",
        weekday: Weekday::Thu,
        minute: 10 * 60 + 30,
        duration: 90,
    },
    Template {
        name: "Coping with Loss, {town}",
        focus: N::Bereavement,
        description: "A small, confidential group for people who have lost someone close, co-led with a trained bereavement volunteer. Space to talk, or just to listen.",
        venue: "{town} Methodist Church Hall",
        weekday: Weekday::Wed,
        minute: 13 * 60 + 30,
        duration: 90,
    },
    Template {
        name: "Carers' Coffee Morning, {town}",
        focus: N::CarerSupport,
        description: "For people looking after a partner, relative or friend: time for yourself, peer support, and help with carer's assessments and breaks.",
        venue: "{town} Library",
        weekday: Weekday::Fri,
        minute: 10 * 60,
        duration: 120,
    },
    Template {
        name: "Feeling Good Together, {town}",
        focus: N::LowMoodOrAnxiety,
        description: "Small steps for low mood and worry (sleep, routine, getting out) with people who understand, and where to find more help, including NHS Talking Therapies.",
        venue: "St Mary's Church Hall, {town}",
        weekday: Weekday::Mon,
        minute: 13 * 60 + 30,
        duration: 90,
    },
];

/// Bank holidays around Christmas and New Year: no sessions.
fn is_holiday(date: NaiveDate) -> bool {
    (date.month() == 12 && date.day() >= 24) || (date.month() == 1 && date.day() == 1)
}

struct Group {
    id: Uuid,
    focus: N,
    leader: Uuid,
    created_at: DateTime<Utc>,
    members: Occupancy,
    /// (session id, starts, duration)
    sessions: Vec<(Uuid, DateTime<Utc>, i32)>,
}

/// Generates the neighbourhood's groups, sessions, members and registers into `data`.
pub fn generate(g: &mut Gen, ctx: &NeighbourhoodCtx, spells: &[Spell], data: &mut DemoData) -> AppResult<()> {
    let today = g.today;
    let cutoff = at(today, 0);
    let link_workers: Vec<practitioner::Model> = data
        .practitioners
        .get(ctx.staff.clone())
        .unwrap_or_default()
        .iter()
        .filter(|p| p.professional_role == ProfessionalRole::SocialPrescribingLinkWorker)
        .cloned()
        .collect();
    let Some(provider) = link_workers.first().map(|p| p.organisation_id) else {
        return Err(AppError::internal(anyhow::anyhow!("demo neighbourhood without link workers")));
    };

    // Which groups, where, since when.
    let count = g.rng.random_range(3..=5usize).min(TEMPLATES.len());
    let mut chosen: Vec<usize> = (1..TEMPLATES.len()).collect();
    chosen.shuffle(&mut g.rng);
    chosen.truncate(count - 1);
    chosen.insert(0, 0);
    let mut groups: Vec<Group> = Vec::with_capacity(count);
    let latest_admin = cutoff - Duration::hours(8);
    for (k, t) in chosen.into_iter().enumerate() {
        let template = &TEMPLATES[t];
        let places = ctx.area.places;
        let town = if k == 0 { places[0].0 } else { places[g.rng.random_range(0..places.len())].0 };
        let weeks_back = g.rng.random_range(13..=43u64);
        let mut first = today.checked_sub_days(Days::new(weeks_back * 7)).unwrap_or(today);
        while first.weekday() != template.weekday {
            first = first.succ_opt().unwrap_or(first);
        }
        let created_on = first.checked_sub_days(Days::new(g.rng.random_range(7..=21))).unwrap_or(first);
        let created_at = at(created_on, office_minute(&mut g.rng));
        // A link worker who was in post by then leads it (any of them if none was).
        let in_post: Vec<&practitioner::Model> = link_workers.iter().filter(|p| p.created_at <= created_at).collect();
        let leader = if in_post.is_empty() {
            link_workers[g.rng.random_range(0..link_workers.len())].id
        } else {
            in_post[g.rng.random_range(0..in_post.len())].id
        };
        let capacity = g.rng.random_range(if k == 0 { 12..=15 } else { 10..=15 });
        let duration = template.duration;
        let id = g.uuid();
        data.support_groups.push(support_group::Model {
            id,
            organisation_id: provider,
            neighbourhood_id: ctx.id,
            name: template.name.replace("{town}", town),
            description: Some(template.description.replace("{town}", town)),
            focus_need: Some(template.focus),
            leader_id: leader,
            capacity: Some(capacity),
            created_by: leader,
            created_at,
            closed_at: None,
        });
        let venue = template.venue.replace("{town}", town);
        let until = today.checked_add_days(Days::new(g.rng.random_range(2..=5u64) * 7)).unwrap_or(today);
        let mut sessions = Vec::new();
        let mut day = first;
        while day < until {
            if !is_holiday(day) {
                let starts_at = at(day, template.minute);
                let session_id = g.uuid();
                data.group_sessions.push(group_session::Model {
                    id: session_id,
                    group_id: id,
                    starts_at,
                    duration_minutes: duration,
                    place: Some(venue.clone()),
                    created_at: (starts_at - Duration::days(14)).min(latest_admin).max(created_at),
                });
                sessions.push((session_id, starts_at, duration));
            }
            day = day.checked_add_days(Days::new(7)).unwrap_or(until);
        }
        groups.push(Group {
            id,
            focus: template.focus,
            leader,
            created_at,
            members: Occupancy { capacity: usize::try_from(capacity).unwrap_or(0), holds: Vec::new() },
            sessions,
        });
    }

    // Members: people on the waiting list, into a group for one of their needs or the café; and
    // people a link worker is working with, into a group for one of their needs.
    let mut memberships: HashMap<(usize, Uuid), Vec<Hold>> = HashMap::new();
    let mut joined: Vec<(usize, usize)> = Vec::new(); // (group, participant row)
    for spell in spells {
        // A carer is welcome at the carers' group whatever they were referred for.
        let fits = |focus: N| spell.needs.contains(&focus) || (focus == N::CarerSupport && spell.is_carer);
        let fitting: Vec<usize> = (1..groups.len()).filter(|&i| fits(groups[i].focus)).collect();
        let mut offers: Vec<(usize, DateTime<Utc>, Option<DateTime<Utc>>)> = Vec::new();
        let (waiting_from, waiting_until) = spell.waiting;
        if g.rng.random_bool(if fitting.is_empty() { 0.55 } else { 0.7 }) {
            let k = if fitting.is_empty() || g.rng.random_bool(0.25) {
                0
            } else {
                fitting[g.rng.random_range(0..fitting.len())]
            };
            let joined_at = after(waiting_from, gap(&mut g.rng, 1..=7));
            // Once a link worker starts working with them, most leave the café soon (it is for
            // people waiting) and most stay on in a group for their need for a while; a few drop out.
            let soon = if k == 0 { 0.75 } else { 0.4 };
            let mut left_at = waiting_until.map(|u| {
                let stay = if g.rng.random_bool(soon) { gap(&mut g.rng, 0..=10) } else { gap(&mut g.rng, 15..=60) };
                after(u.max(joined_at), stay)
            });
            if g.rng.random_bool(0.15) {
                let dropped = after(joined_at, gap(&mut g.rng, 5..=30));
                left_at = Some(left_at.map_or(dropped, |l| l.min(dropped)));
            }
            if waiting_until.is_none_or(|u| joined_at < u) {
                offers.push((k, joined_at, left_at));
            }
        }
        if let Some((active_from, active_until)) = spell.active {
            if !fitting.is_empty() && g.rng.random_bool(0.2) {
                let k = fitting[g.rng.random_range(0..fitting.len())];
                let joined_at = after(active_from, gap(&mut g.rng, 3..=20));
                let left_at = Some(after(joined_at, gap(&mut g.rng, 20..=80)));
                if active_until.is_none_or(|u| joined_at < u) {
                    offers.push((k, joined_at, left_at));
                }
            }
        }
        for (k, mut joined_at, left_at) in offers {
            let group = &mut groups[k];
            if joined_at <= group.created_at {
                // The group started after the person was referred: offered a place once it opened.
                joined_at = after(group.created_at, gap(&mut g.rng, 1..=5));
            }
            let left_at = left_at.filter(|l| *l < cutoff);
            let last_session = group.sessions.last().map(|s| s.1);
            let still_eligible = match spell.active {
                Some((from, until)) if joined_at >= from => until.is_none_or(|u| joined_at < u),
                _ => waiting_until.is_none_or(|u| joined_at < u),
            };
            if joined_at >= cutoff
                || !still_eligible
                || left_at.is_some_and(|l| l <= joined_at)
                || last_session.is_none_or(|s| joined_at >= s)
            {
                continue;
            }
            let overlapping = memberships.get(&(k, spell.patient_id)).is_some_and(|m| {
                m.iter().any(|(j, l)| l.is_none_or(|l| l > joined_at) && left_at.is_none_or(|x| *j < x))
            });
            if overlapping || !group.members.fits(joined_at, left_at) {
                continue;
            }
            group.members.holds.push((joined_at, left_at));
            memberships.entry((k, spell.patient_id)).or_default().push((joined_at, left_at));
            data.group_participants.push(group_participant::Model {
                id: g.uuid(),
                group_id: group.id,
                patient_id: spell.patient_id,
                referral_id: Some(spell.referral_id),
                open_key: left_at.is_none().then(|| participant_open_key(group.id, spell.patient_id)),
                joined_at,
                left_at,
                added_by: group.leader,
            });
            joined.push((k, data.group_participants.len() - 1));
        }
    }

    // Registers for the sessions that have happened, while each person was a member.
    for (k, row) in joined {
        let member = &data.group_participants[row];
        let (participant_id, joined_at, left_at) = (member.id, member.joined_at, member.left_at);
        let group = &groups[k];
        let keen = (0.7 + 0.15 * population::standard_normal(&mut g.rng)).clamp(0.25, 0.97);
        for &(session_id, starts_at, duration) in &group.sessions {
            if starts_at < joined_at || starts_at >= cutoff || left_at.is_some_and(|l| starts_at >= l) {
                continue;
            }
            let status = if g.rng.random_bool(keen) {
                AttendanceStatus::Attended
            } else if g.rng.random_bool(1.0 / 3.0) {
                AttendanceStatus::Apologies
            } else {
                AttendanceStatus::DidNotAttend
            };
            let recorded_at = starts_at + Duration::minutes(i64::from(duration) + g.rng.random_range(10..=120));
            data.group_attendance.push(group_attendance::Model {
                session_id,
                participant_id,
                status,
                recorded_by: group.leader,
                recorded_at,
            });
        }
    }
    Ok(())
}
