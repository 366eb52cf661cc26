//! Per-caller brakes on bulk reading: requests, and identifiable records read, per practitioner per
//! minute. A receptionist paging out 5,000 full records in 50 requests and 1.2 s is exactly what a
//! care team never does; a brake stops it at the limit with a clear, retryable error
//! (`RATE_LIMITED`, with `retryAfterSeconds`; HTTP 429 with `Retry-After` when a whole request is
//! refused), and the first refusal of a caller in a minute records a volume alarm
//! (`access_alarm`) for the privacy officer.
//!
//! The limits are GCRA buckets (governor): a caller may use a minute's allowance at once and then
//! earns it back evenly. They are kept per process: behind N replicas a caller gets at most N times
//! the rate, which is still a brake (and costs no statement per request).

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sea_orm::{ActiveEnum, DatabaseConnection, EntityTrait, IntoActiveModel};
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::{AppError, AppResult};

/// What a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    Requests,
    Records,
}

impl Limit {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requests => "requests_per_minute",
            Self::Records => "records_per_minute",
        }
    }

    fn words(self) -> &'static str {
        match self {
            Self::Requests => "requests",
            Self::Records => "identifiable records read",
        }
    }
}

struct Bucket {
    limiter: DefaultKeyedRateLimiter<Uuid>,
    per_minute: u32,
}

/// The process's brakes. Cloning shares them.
#[derive(Clone)]
pub struct Brakes {
    inner: Arc<Inner>,
}

struct Inner {
    requests: Option<Bucket>,
    records: Option<Bucket>,
    db: Option<DatabaseConnection>,
    /// When each caller's last alarm of each kind was recorded: one a minute is enough to see.
    alarmed: Mutex<HashMap<(Uuid, Limit), Instant>>,
    clock: DefaultClock,
}

/// One alarm a minute per caller and kind.
const ALARM_EVERY: Duration = Duration::from_secs(60);

impl Brakes {
    /// Brakes of `requests_per_minute` and `records_per_minute` per caller (0: no brake), whose
    /// alarms are written to `db`.
    pub fn new(db: DatabaseConnection, requests_per_minute: u32, records_per_minute: u32) -> Self {
        Self::build(Some(db), requests_per_minute, records_per_minute)
    }

    /// No brakes at all (tools that drive the audit writer directly).
    pub fn off() -> Self {
        Self::build(None, 0, 0)
    }

    fn build(db: Option<DatabaseConnection>, requests_per_minute: u32, records_per_minute: u32) -> Self {
        let bucket = |per_minute: u32| {
            NonZeroU32::new(per_minute)
                .map(|n| Bucket { limiter: RateLimiter::keyed(Quota::per_minute(n)), per_minute })
        };
        Self {
            inner: Arc::new(Inner {
                requests: bucket(requests_per_minute),
                records: bucket(records_per_minute),
                db,
                alarmed: Mutex::new(HashMap::new()),
                clock: DefaultClock::default(),
            }),
        }
    }

    /// Admits `n` requests (one, or a batch's operations) of `caller`, or refuses them all.
    pub async fn admit_requests(&self, caller: &Caller, n: usize, request_id: &str) -> AppResult<()> {
        self.admit(Limit::Requests, caller, n, request_id).await
    }

    /// Admits a read of `n` identifiable records by `caller`, or refuses it whole (nothing of it is
    /// shown: the audit, which calls this first, then fails and the read's fields with it).
    pub async fn admit_records(&self, caller: &Caller, n: usize, request_id: &str) -> AppResult<()> {
        self.admit(Limit::Records, caller, n, request_id).await
    }

    async fn admit(&self, limit: Limit, caller: &Caller, n: usize, request_id: &str) -> AppResult<()> {
        let bucket = match limit {
            Limit::Requests => &self.inner.requests,
            Limit::Records => &self.inner.records,
        };
        let Some(bucket) = bucket else { return Ok(()) };
        let Some(cells) = NonZeroU32::new(u32::try_from(n).unwrap_or(u32::MAX)) else { return Ok(()) };
        let refusal = match bucket.limiter.check_key_n(&caller.practitioner_id, cells) {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(not_until)) => {
                let wait = not_until.wait_time_from(self.inner.clock.now());
                AppError::RateLimited {
                    message: format!(
                        "you are over the limit of {} {} a minute; retry in {} s",
                        bucket.per_minute,
                        limit.words(),
                        wait.as_secs().max(1)
                    ),
                    retry_after_seconds: wait.as_secs().max(1),
                }
            }
            Err(_) => AppError::RateLimited {
                message: format!(
                    "this asks for {n} {} at once, more than the limit of {} a minute allows; ask for fewer (a smaller page)",
                    limit.words(),
                    bucket.per_minute
                ),
                retry_after_seconds: 60,
            },
        };
        self.alarm(limit, bucket.per_minute, caller, n, request_id).await;
        Err(refusal)
    }

    /// Records the volume alarm (at most one a minute per caller and kind) and logs it. A failure
    /// to write it is logged, never hidden, and does not turn the refusal into something else.
    async fn alarm(&self, limit: Limit, per_minute: u32, caller: &Caller, attempted: usize, request_id: &str) {
        tracing::warn!(practitioner = %caller.practitioner_id, limit = limit.as_str(), per_minute, attempted, "caller over a per-minute limit");
        let due = {
            let mut alarmed = self.inner.alarmed.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            alarmed.retain(|_, at| now.duration_since(*at) < ALARM_EVERY);
            match alarmed.entry((caller.practitioner_id, limit)) {
                std::collections::hash_map::Entry::Occupied(_) => false,
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(now);
                    true
                }
            }
        };
        let Some(db) = self.inner.db.as_ref().filter(|_| due) else { return };
        let row = entity::access_alarm::Model {
            id: Uuid::now_v7(),
            occurred_at: chrono::Utc::now(),
            practitioner_id: caller.practitioner_id,
            organisation_id: caller.organisation_id,
            professional_role: caller.role.to_value(),
            kind: limit.as_str().to_owned(),
            limit_per_minute: i64::from(per_minute),
            attempted: i64::try_from(attempted).unwrap_or(i64::MAX),
            request_id: Some(request_id.chars().take(64).collect()),
        };
        if let Err(e) = entity::access_alarm::Entity::insert(row.into_active_model()).exec_without_returning(db).await {
            tracing::error!(error = %e, practitioner = %caller.practitioner_id, "writing a volume alarm failed");
        }
    }
}
