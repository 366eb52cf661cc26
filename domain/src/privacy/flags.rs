//! Unusual patterns in the access trail, flagged for the privacy officer to look at (not refused:
//! each may have a good reason, which the officer finds in the practitioner's trail):
//!
//! - reads out of hours: outside [`WORKING_HOURS`] on a weekday, UK time, or at a weekend;
//! - reads of a person who shares the reader's family name (a relative, a neighbour, oneself);
//! - break-glass used [`REPEATED_BREAK_GLASS`] times or more in the period: a practitioner opening
//!   record after record without a relationship;
//! - break-glass over a person's standing objection to sharing beyond their practice;
//! - the per-minute brakes refusing a practitioner (`crate::brake`'s volume alarms).
//!
//! Each flag is one practitioner's: how many reads (uses, refusals), of how many people, first and
//! last. Reads and uses count only people of the officer's neighbourhoods; refusals those of
//! practitioners whose organisation takes part in them.

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use sea_orm::{ConnectionTrait, QueryResult};
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::sql::{count, Sql};

/// Working hours on a weekday, UK time: reads outside them (and at weekends) are flagged.
pub const WORKING_HOURS: (u32, u32) = (7, 19);
/// Break-glass uses in one period from which a practitioner is flagged.
pub const REPEATED_BREAK_GLASS: u64 = 3;

/// What a flag is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FlagKind {
    OutOfHours,
    SameFamilyName,
    RepeatedBreakGlass,
    BreakGlassOverObjection,
    VolumeLimit,
}

impl FlagKind {
    fn from_stored(value: &str) -> AppResult<Self> {
        Ok(match value {
            "out_of_hours" => Self::OutOfHours,
            "same_family_name" => Self::SameFamilyName,
            "repeated_break_glass" => Self::RepeatedBreakGlass,
            "break_glass_over_objection" => Self::BreakGlassOverObjection,
            "volume_limit" => Self::VolumeLimit,
            other => return Err(AppError::internal(anyhow::anyhow!("unknown flag kind {other}"))),
        })
    }
}

/// One practitioner's pattern in the period.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessFlag {
    pub kind: FlagKind,
    pub practitioner_id: Uuid,
    /// Reads (audited operations), break-glass uses, or refusals by the brakes.
    pub count: u64,
    /// Distinct people among them (refusals name none: 0).
    pub people: u64,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
}

/// The flags of `[from, to)` over the officer's neighbourhoods (or one of them), by kind, then
/// most first.
pub async fn flags(
    db: &impl ConnectionTrait,
    caller: &Caller,
    neighbourhood_id: Option<Uuid>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<Vec<AccessFlag>> {
    let scope = caller.review_scope()?;
    let neighbourhoods: Vec<Uuid> = match neighbourhood_id {
        Some(id) if scope.covers_neighbourhood(id) => vec![id],
        Some(_) => {
            return Err(AppError::forbidden("you review the neighbourhoods your organisation takes part in only"))
        }
        None => scope.neighbourhoods().to_vec(),
    };
    let mut found = reads(db, &neighbourhoods, from, to).await?;
    found.extend(break_glass(db, &neighbourhoods, from, to).await?);
    found.extend(refusals(db, &neighbourhoods, from, to).await?);
    found.sort_by(|a, b| {
        a.kind.cmp(&b.kind).then(b.count.cmp(&a.count)).then(a.practitioner_id.cmp(&b.practitioner_id))
    });
    Ok(found)
}

/// The weekday working periods of `[from, to)` as UTC instants (clocks change in UK time, so each
/// day is converted on its own).
pub fn working_periods(from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let uk = chrono_tz::Europe::London;
    let at = |day: NaiveDate, hour: u32| {
        NaiveTime::from_hms_opt(hour, 0, 0)
            .and_then(|time| uk.from_local_datetime(&day.and_time(time)).earliest())
            .map(|t| t.with_timezone(&Utc))
    };
    let (first, last) = (from.with_timezone(&uk).date_naive(), to.with_timezone(&uk).date_naive());
    let mut periods = Vec::new();
    let mut day = first;
    while day <= last {
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            if let (Some(start), Some(end)) = (at(day, WORKING_HOURS.0), at(day, WORKING_HOURS.1)) {
                if end > from && start < to {
                    periods.push((start, end));
                }
            }
        }
        let Some(next) = day.checked_add_days(Days::new(1)) else { break };
        day = next;
    }
    periods
}

/// Whether a read at `t` is out of hours.
pub fn out_of_hours(t: DateTime<Utc>) -> bool {
    working_periods(t, t + chrono::Duration::seconds(1)).iter().all(|(start, end)| t < *start || t >= *end)
}

/// Out-of-hours reads and reads of people sharing the reader's family name, in one pass over the
/// period's audited reads of the neighbourhoods' people.
async fn reads(
    db: &impl ConnectionTrait,
    neighbourhoods: &[Uuid],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<Vec<AccessFlag>> {
    let mut sql = Sql::new(db.get_database_backend());
    let periods = working_periods(from, to);
    let working = if periods.is_empty() {
        "1 = 0".to_owned()
    } else {
        periods
            .iter()
            .map(|(start, end)| {
                format!("(e.occurred_at >= {} AND e.occurred_at < {})", sql.bind(*start), sql.bind(*end))
            })
            .collect::<Vec<_>>()
            .join(" OR ")
    };
    // SQLite's placeholders are positional: values are bound in the order the text uses them.
    let (first_id, last_id) = (
        sql.bind(crate::audit::first_event_id_at(from - chrono::Duration::seconds(1))),
        sql.bind(crate::audit::first_event_id_at(to + chrono::Duration::seconds(1))),
    );
    let (since, until) = (sql.bind(from), sql.bind(to));
    let in_neighbourhoods = sql.bind_list(neighbourhoods);
    // Event ids are UUID v7, in time order: the period is a range of the key (a second wider each
    // side: an id is made just before its time is read), which the occurred_at bounds make exact.
    let statement = format!(
        "WITH r AS (SELECT e.id AS event_id, e.practitioner_id AS practitioner_id, e.occurred_at AS occurred_at, \
         ep.patient_id AS patient_id, \
         CASE WHEN {working} THEN 0 ELSE 1 END AS out_of_hours, \
         CASE WHEN LOWER(p.family_name) = LOWER(pr.family_name) THEN 1 ELSE 0 END AS same_name \
         FROM access_event e \
         JOIN access_event_patient ep ON ep.event_id = e.id \
         JOIN patient p ON p.id = ep.patient_id \
         JOIN practitioner pr ON pr.id = e.practitioner_id \
         WHERE e.id >= {first_id} AND e.id < {last_id} AND e.occurred_at >= {since} AND e.occurred_at < {until} \
         AND p.neighbourhood_id IN ({in_neighbourhoods})) \
         SELECT 'out_of_hours' AS kind, practitioner_id, COUNT(DISTINCT event_id) AS n, \
         COUNT(DISTINCT patient_id) AS people, MIN(occurred_at) AS first_at, MAX(occurred_at) AS last_at \
         FROM r WHERE out_of_hours = 1 GROUP BY practitioner_id \
         UNION ALL SELECT 'same_family_name', practitioner_id, COUNT(DISTINCT event_id), COUNT(DISTINCT patient_id), \
         MIN(occurred_at), MAX(occurred_at) FROM r WHERE same_name = 1 GROUP BY practitioner_id"
    );
    sql.query_all(db, statement).await?.iter().map(flag).collect()
}

/// Practitioners who broke the glass repeatedly, and every use on a person who objects to sharing
/// beyond their practice (as the person's row says now).
async fn break_glass(
    db: &impl ConnectionTrait,
    neighbourhoods: &[Uuid],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<Vec<AccessFlag>> {
    let mut sql = Sql::new(db.get_database_backend());
    let (since, until) = (sql.bind(from), sql.bind(to));
    let in_neighbourhoods = sql.bind_list(neighbourhoods);
    let threshold = sql.bind(REPEATED_BREAK_GLASS as i64);
    let objecting = sql.bind(true);
    let statement = format!(
        "WITH u AS (SELECT g.practitioner_id AS practitioner_id, g.patient_id AS patient_id, g.started_at AS started_at, \
         p.objects_to_sharing AS objects FROM break_glass g JOIN patient p ON p.id = g.patient_id \
         WHERE g.started_at >= {since} AND g.started_at < {until} AND p.neighbourhood_id IN ({in_neighbourhoods})) \
         SELECT 'repeated_break_glass' AS kind, practitioner_id, COUNT(*) AS n, COUNT(DISTINCT patient_id) AS people, \
         MIN(started_at) AS first_at, MAX(started_at) AS last_at FROM u GROUP BY practitioner_id HAVING COUNT(*) >= {threshold} \
         UNION ALL SELECT 'break_glass_over_objection', practitioner_id, COUNT(*), COUNT(DISTINCT patient_id), \
         MIN(started_at), MAX(started_at) FROM u WHERE objects = {objecting} GROUP BY practitioner_id"
    );
    sql.query_all(db, statement).await?.iter().map(flag).collect()
}

/// Practitioners the brakes refused, of organisations taking part in the neighbourhoods.
async fn refusals(
    db: &impl ConnectionTrait,
    neighbourhoods: &[Uuid],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<Vec<AccessFlag>> {
    let mut sql = Sql::new(db.get_database_backend());
    let (since, until) = (sql.bind(from), sql.bind(to));
    let in_neighbourhoods = sql.bind_list(neighbourhoods);
    let statement = format!(
        "SELECT 'volume_limit' AS kind, a.practitioner_id AS practitioner_id, COUNT(*) AS n, CAST(0 AS BIGINT) AS people, \
         MIN(a.occurred_at) AS first_at, MAX(a.occurred_at) AS last_at FROM access_alarm a \
         WHERE a.occurred_at >= {since} AND a.occurred_at < {until} AND a.organisation_id IN \
         (SELECT m.organisation_id FROM neighbourhood_organisation m WHERE m.neighbourhood_id IN ({in_neighbourhoods})) \
         GROUP BY a.practitioner_id"
    );
    sql.query_all(db, statement).await?.iter().map(flag).collect()
}

fn flag(row: &QueryResult) -> AppResult<AccessFlag> {
    let kind: String = row.try_get("", "kind")?;
    Ok(AccessFlag {
        kind: FlagKind::from_stored(&kind)?,
        practitioner_id: row.try_get("", "practitioner_id")?,
        count: count(row, "n")?,
        people: count(row, "people")?,
        first_at: row.try_get("", "first_at")?,
        last_at: row.try_get("", "last_at")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn working_hours_are_weekdays_seven_to_seven_uk_time_across_the_clock_change() {
        // Summer (BST, UTC+1): 07:00 UK is 06:00 UTC.
        assert!(out_of_hours(utc("2026-07-01T05:59:00Z")));
        assert!(!out_of_hours(utc("2026-07-01T06:00:00Z")));
        assert!(!out_of_hours(utc("2026-07-01T17:59:59Z")));
        assert!(out_of_hours(utc("2026-07-01T18:00:00Z")));
        // Winter (GMT): 07:00 UK is 07:00 UTC.
        assert!(out_of_hours(utc("2026-12-07T06:30:00Z")));
        assert!(!out_of_hours(utc("2026-12-07T07:00:00Z")));
        assert!(out_of_hours(utc("2026-12-07T19:00:00Z")));
        // Saturday 5 December 2026, midday.
        assert!(out_of_hours(utc("2026-12-05T12:00:00Z")));
        // The week of the October change: Friday 23rd in BST, Monday 26th in GMT.
        let week = working_periods(utc("2026-10-23T00:00:00Z"), utc("2026-10-27T00:00:00Z"));
        assert_eq!(
            week,
            vec![
                (utc("2026-10-23T06:00:00Z"), utc("2026-10-23T18:00:00Z")),
                (utc("2026-10-26T07:00:00Z"), utc("2026-10-26T19:00:00Z")),
            ]
        );
    }
}
