//! Waiting-list and throughput figures for a neighbourhood, per PCN and service, computed in the
//! database: a handful of grouped statements whose result size depends on the number of groups,
//! never on the number of referrals.
//!
//! Definitions (the figures a PCN lead reads):
//! * **Received in the period**: referrals created in [from, to] (UK days), with their current
//!   state (published statistics: their state at `as_at`, so that an ended period's figures never
//!   change), their source and their needs (a referral with two needs counts under both).
//! * **Waiting** at `as_at` (the end of the period, or now if sooner): referrals created by then,
//!   not yet contacted and not ended by then (received or awaiting contact). **Supported while
//!   waiting**: of those, people who were current members of a support group at `as_at`.
//!   **Oldest wait**: days since the oldest of them was referred.
//! * **Wait to first contact**: for referrals first contacted in the period, days from referral to
//!   first contact; median and 90th percentile by linear interpolation between closest ranks
//!   (PostgreSQL's `percentile_cont`), selected with window functions so only four rows per group
//!   leave the database.
//! * **Estimated wait** for a new referral: the people ahead of it plus itself, divided by the
//!   recent rate of first contacts (those in the [`THROUGHPUT_WINDOW_DAYS`] before `as_at`); absent
//!   when nobody was contacted in that window.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use sea_orm::{ActiveEnum, ConnectionTrait, QueryResult, Statement};
use uuid::Uuid;

use entity::{ReferralNeed, ReferralService, ReferralSource, ReferralStatus};

use crate::disclosure::Counted;
use crate::error::{AppError, AppResult};
use crate::sql::{count, Sql};

/// The recent window over which throughput is measured for the estimated wait.
pub const THROUGHPUT_WINDOW_DAYS: i64 = 84;
/// Longest period one request may cover.
pub const MAX_PERIOD_DAYS: i64 = 5 * 366;

const SECONDS_PER_DAY: f64 = 86_400.0;

/// What to compute figures for.
#[derive(Debug, Clone)]
pub struct FigureScope {
    pub neighbourhood_id: Uuid,
    pub pcn_id: Option<Uuid>,
    pub service: Option<ReferralService>,
    /// Only referrals this organisation received.
    pub receiving_organisation_id: Option<Uuid>,
    /// Only referrals this organisation made.
    pub referring_organisation_id: Option<Uuid>,
    /// Each referral's state as it was at `as_at` rather than now (published statistics).
    pub status_as_at: bool,
    /// Whose referrals are counted (`Caller::counted`): published statistics leave out national
    /// data opt-outs.
    pub counted: Counted,
    /// First instant of the period (UK midnight of `from`).
    pub start: DateTime<Utc>,
    /// First instant after the period (UK midnight after `to`).
    pub end: DateTime<Utc>,
    /// The waiting-list snapshot instant: the period's end, or now if sooner.
    pub as_at: DateTime<Utc>,
}

impl FigureScope {
    /// A scope for the UK days `from`..=`to`, checked.
    pub fn for_days(
        neighbourhood_id: Uuid,
        pcn_id: Option<Uuid>,
        service: Option<ReferralService>,
        from: NaiveDate,
        to: NaiveDate,
        now: DateTime<Utc>,
    ) -> AppResult<Self> {
        if from > to {
            return Err(AppError::bad_input("from", format!("must be on or before `to` ({from} is after {to})")));
        }
        if (to - from).num_days() > MAX_PERIOD_DAYS {
            return Err(AppError::bad_input("from", format!("a period covers at most {MAX_PERIOD_DAYS} days")));
        }
        let start = uk_midnight(from)?;
        let end = uk_midnight(to.succ_opt().ok_or_else(|| AppError::bad_input("to", "is out of range"))?)?;
        if start > now {
            return Err(AppError::bad_input("from", "the period has not started yet"));
        }
        Ok(Self {
            neighbourhood_id,
            pcn_id,
            service,
            receiving_organisation_id: None,
            referring_organisation_id: None,
            status_as_at: false,
            counted: Counted::Parties,
            start,
            end,
            as_at: end.min(now),
        })
    }
}

/// The instant a UK calendar day starts.
pub fn uk_midnight(day: NaiveDate) -> AppResult<DateTime<Utc>> {
    let local = day.and_hms_opt(0, 0, 0).ok_or_else(|| AppError::bad_input("from", "is out of range"))?;
    chrono_tz::Europe::London
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| AppError::bad_input("from", format!("{day} has no midnight in UK time")))
}

/// One group's figures (the whole scope when ungrouped).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub received: u64,
    pub by_status: Vec<(ReferralStatus, u64)>,
    pub by_source: Vec<(ReferralSource, u64)>,
    pub by_need: Vec<(ReferralNeed, u64)>,
    pub waiting: u64,
    pub supported_while_waiting: u64,
    pub oldest_wait_days: Option<f64>,
    pub first_contacts: u64,
    pub median_wait_days: Option<f64>,
    pub p90_wait_days: Option<f64>,
    pub recent_first_contacts: u64,
    pub estimated_wait_days: Option<f64>,
}

/// A breakdown row's key: the PCN (parent of the registered practice) and the service.
pub type GroupKey = (Option<Uuid>, ReferralService);

/// The scope's referrals with their PCN, as a common table expression named `base`.
fn base_cte(sql: &mut Sql, scope: &FigureScope) -> String {
    // The state: as it is now, or (`status_as_at`) as it was at `as_at`, from the referral's
    // history, so that the figures of an ended period never change as referrals move on.
    let status = if scope.status_as_at {
        format!(
            "COALESCE((SELECT e.to_status FROM referral_event e WHERE e.referral_id = r.id \
             AND e.to_status IS NOT NULL AND e.occurred_at <= {} \
             ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1), r.status)",
            sql.bind(scope.as_at)
        )
    } else {
        "r.status".to_owned()
    };
    let mut cte = format!(
        "WITH base AS (SELECT r.id, r.patient_id, r.service, {status} AS status, r.source, r.created_at, \
         r.first_contact_at, r.ended_at, o.parent_id AS pcn_id \
         FROM referral r JOIN patient p ON p.id = r.patient_id \
         JOIN organisation o ON o.id = p.registered_practice_id \
         WHERE p.neighbourhood_id = {}",
        sql.bind(scope.neighbourhood_id)
    );
    if let Some(pcn) = scope.pcn_id {
        cte.push_str(&format!(" AND o.parent_id = {}", sql.bind(pcn)));
    }
    if let Some(service) = scope.service {
        cte.push_str(&format!(" AND r.service = {}", sql.bind(service.to_value())));
    }
    if let Some(org) = scope.receiving_organisation_id {
        cte.push_str(&format!(" AND r.receiving_organisation_id = {}", sql.bind(org)));
    }
    if let Some(org) = scope.referring_organisation_id {
        cte.push_str(&format!(" AND r.referring_organisation_id = {}", sql.bind(org)));
    }
    cte.push_str(&scope.counted.sql(sql, "p"));
    cte.push(')');
    cte
}

fn key_of(row: &QueryResult, grouped: bool) -> AppResult<Option<GroupKey>> {
    if !grouped {
        return Ok(None);
    }
    let pcn: Option<Uuid> = row.try_get("", "pcn_id")?;
    let service: String = row.try_get("", "service")?;
    let service = ReferralService::try_from_value(&service).map_err(AppError::internal)?;
    Ok(Some((pcn, service)))
}

/// The value at quantile `q` of `n` sorted values, from the ranks fetched (`rank → value`).
fn interpolate(q: f64, n: u64, ranks: &HashMap<u64, f64>) -> Option<f64> {
    if n == 0 {
        return None;
    }
    let position = q * (n - 1) as f64;
    let lo = position.floor() as u64;
    let hi = position.ceil() as u64;
    let (lo_v, hi_v) = (ranks.get(&lo)?, ranks.get(&hi)?);
    Some(lo_v + (position - lo as f64) * (hi_v - lo_v))
}

/// Figures for the scope: ungrouped (`grouped = false`, one entry keyed `None`) or per PCN and
/// service. Three statements either way.
pub async fn compute(
    db: &impl ConnectionTrait,
    scope: &FigureScope,
    grouped: bool,
) -> AppResult<HashMap<Option<GroupKey>, Figures>> {
    let backend = db.get_database_backend();
    let keys = if grouped { "pcn_id, service, " } else { "" };
    let group_by = |extra: &str| match (grouped, extra.is_empty()) {
        (true, true) => " GROUP BY pcn_id, service".to_owned(),
        (true, false) => format!(" GROUP BY pcn_id, service, {extra}"),
        (false, true) => String::new(),
        (false, false) => format!(" GROUP BY {extra}"),
    };
    let mut out: HashMap<Option<GroupKey>, Figures> = HashMap::new();

    // 1. Referrals received in the period: by state, by source and by need.
    let mut sql = Sql::new(backend);
    let cte = base_cte(&mut sql, scope);
    let in_period =
        |sql: &mut Sql| format!("created_at >= {} AND created_at < {}", sql.bind(scope.start), sql.bind(scope.end));
    let mut statement = format!(
        "{cte} SELECT {keys}'status' AS dimension, status AS value, COUNT(*) AS n FROM base WHERE {}{}",
        in_period(&mut sql),
        group_by("status")
    );
    statement.push_str(&format!(
        " UNION ALL SELECT {keys}'source', source, COUNT(*) FROM base WHERE {}{}",
        in_period(&mut sql),
        group_by("source")
    ));
    statement.push_str(&format!(
        " UNION ALL SELECT {keys}'need', rn.need, COUNT(*) FROM base \
         JOIN referral_need rn ON rn.referral_id = base.id WHERE {}{}",
        in_period(&mut sql),
        group_by("rn.need")
    ));
    for row in db.query_all_raw(Statement::from_sql_and_values(backend, statement, sql.values)).await? {
        let figures = out.entry(key_of(&row, grouped)?).or_default();
        let dimension: String = row.try_get("", "dimension")?;
        let value: String = row.try_get("", "value")?;
        let n = count(&row, "n")?;
        match dimension.as_str() {
            "status" => {
                let status = ReferralStatus::try_from_value(&value).map_err(AppError::internal)?;
                figures.received += n;
                figures.by_status.push((status, n));
            }
            "source" => {
                figures.by_source.push((ReferralSource::try_from_value(&value).map_err(AppError::internal)?, n))
            }
            _ => figures.by_need.push((ReferralNeed::try_from_value(&value).map_err(AppError::internal)?, n)),
        }
    }

    // 2. The waiting list at `as_at` and the recent throughput, in one pass. Placeholders are
    // positional on SQLite, so every occurrence binds its own value, in the order written.
    let mut sql = Sql::new(backend);
    let cte = base_cte(&mut sql, scope);
    let waiting = |sql: &mut Sql| {
        format!(
            "(first_contact_at IS NULL OR first_contact_at > {}) AND (ended_at IS NULL OR ended_at > {})",
            sql.bind(scope.as_at),
            sql.bind(scope.as_at)
        )
    };
    let mut statement =
        format!("{cte} SELECT {keys}SUM(CASE WHEN {} THEN 1 ELSE 0 END) AS waiting, ", waiting(&mut sql));
    statement.push_str(&format!("MIN(CASE WHEN {} THEN created_at END) AS oldest, ", waiting(&mut sql)));
    statement.push_str(&format!(
        "SUM(CASE WHEN {} AND EXISTS (SELECT 1 FROM group_participant gp WHERE gp.patient_id = base.patient_id \
         AND gp.joined_at <= {} AND (gp.left_at IS NULL OR gp.left_at > {})) THEN 1 ELSE 0 END) AS supported, ",
        waiting(&mut sql),
        sql.bind(scope.as_at),
        sql.bind(scope.as_at)
    ));
    statement.push_str(&format!(
        "SUM(CASE WHEN first_contact_at >= {} AND first_contact_at < {} THEN 1 ELSE 0 END) AS recent ",
        sql.bind(scope.as_at - Duration::days(THROUGHPUT_WINDOW_DAYS)),
        sql.bind(scope.as_at)
    ));
    statement.push_str(&format!("FROM base WHERE created_at <= {}{}", sql.bind(scope.as_at), group_by("")));
    for row in db.query_all_raw(Statement::from_sql_and_values(backend, statement, sql.values)).await? {
        let figures = out.entry(key_of(&row, grouped)?).or_default();
        figures.waiting = count(&row, "waiting")?;
        figures.supported_while_waiting = count(&row, "supported")?;
        figures.recent_first_contacts = count(&row, "recent")?;
        let oldest: Option<DateTime<Utc>> = row.try_get("", "oldest")?;
        figures.oldest_wait_days =
            oldest.map(|t| (scope.as_at - t).num_milliseconds() as f64 / 1000.0 / SECONDS_PER_DAY);
        figures.estimated_wait_days = (figures.recent_first_contacts > 0).then(|| {
            (figures.waiting + 1) as f64 * THROUGHPUT_WINDOW_DAYS as f64 / figures.recent_first_contacts as f64
        });
    }

    // 3. Waits to first contact in the period: only the ranks the two quantiles need.
    let mut sql = Sql::new(backend);
    let cte = base_cte(&mut sql, scope);
    let wait = sql.seconds_between("created_at", "first_contact_at");
    let (start, end) = (sql.bind(scope.start), sql.bind(scope.end));
    let partition = if grouped { "PARTITION BY pcn_id, service " } else { "" };
    let statement = format!(
        "{cte} SELECT {keys}n, rank_no, wait FROM (\
           SELECT {keys}{wait} AS wait, \
             ROW_NUMBER() OVER ({partition}ORDER BY {wait}) - 1 AS rank_no, \
             COUNT(*) OVER ({}) AS n \
           FROM base WHERE first_contact_at >= {start} AND first_contact_at < {end}\
         ) ranked \
         WHERE rank_no IN ((n - 1) * 5 / 10, ((n - 1) * 5 + 9) / 10, (n - 1) * 9 / 10, ((n - 1) * 9 + 9) / 10)",
        partition.trim_end(),
    );
    let mut ranks: HashMap<Option<GroupKey>, (u64, HashMap<u64, f64>)> = HashMap::new();
    for row in db.query_all_raw(Statement::from_sql_and_values(backend, statement, sql.values)).await? {
        let entry = ranks.entry(key_of(&row, grouped)?).or_default();
        entry.0 = count(&row, "n")?;
        let rank = count(&row, "rank_no")?;
        let seconds: f64 = row.try_get("", "wait")?;
        entry.1.insert(rank, seconds / SECONDS_PER_DAY);
    }
    for (key, (n, values)) in ranks {
        let figures = out.entry(key).or_default();
        figures.first_contacts = n;
        figures.median_wait_days = interpolate(0.5, n, &values);
        figures.p90_wait_days = interpolate(0.9, n, &values);
    }

    for figures in out.values_mut() {
        figures.by_status.sort_by_key(|(s, _)| *s as u8);
        figures.by_source.sort_by_key(|(s, _)| *s as u8);
        figures.by_need.sort();
    }
    if !grouped {
        out.entry(None).or_default();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_between_closest_ranks() {
        let values: HashMap<u64, f64> = [(0, 1.0), (1, 2.0), (2, 4.0), (3, 10.0)].into();
        assert_eq!(interpolate(0.5, 4, &values), Some(3.0));
        assert!((interpolate(0.9, 4, &values).unwrap() - 8.2).abs() < 1e-9);
        assert_eq!(interpolate(0.5, 1, &[(0, 7.0)].into()), Some(7.0));
        assert_eq!(interpolate(0.5, 0, &HashMap::new()), None);
    }

    #[test]
    fn periods_are_uk_days_and_checked() {
        let now = Utc::now();
        let n = Uuid::nil();
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let summer = FigureScope::for_days(n, None, None, day(2025, 7, 1), day(2025, 7, 31), now).unwrap();
        assert_eq!(summer.start.to_rfc3339(), "2025-06-30T23:00:00+00:00", "BST midnight");
        assert_eq!(summer.end.to_rfc3339(), "2025-07-31T23:00:00+00:00");
        assert_eq!(summer.as_at, summer.end);
        assert!(FigureScope::for_days(n, None, None, day(2025, 8, 1), day(2025, 7, 1), now).is_err());
        assert!(FigureScope::for_days(n, None, None, day(2015, 1, 1), day(2025, 1, 1), now).is_err());
    }
}
