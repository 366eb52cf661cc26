//! Per-request context handed to every resolver: the caller, the connection, the request's
//! loaders and what the audit trail needs to name the operation.

use std::collections::HashMap;

use async_graphql::Context;
use chrono::NaiveDate;
use futures::FutureExt;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::loaders::Loaders;
use domain::audit::AuditLog;
use domain::auth::{AccessReason, Caller};
use domain::error::{AppError, AppResult};
use domain::live::LiveBroker;

pub struct RequestContext {
    pub caller: Caller,
    pub db: DatabaseConnection,
    pub loaders: Loaders,
    /// Where mutations announce committed changes to live subscribers.
    pub live: LiveBroker,
    /// Where reads of patients' records are recorded (committed before the response leaves).
    pub audit: AuditLog,
    /// `query Name` / `mutation Name` as sent by the client (`anonymous` when unnamed).
    pub operation: String,
    pub request_id: String,
    /// The date ages are computed against.
    pub today: NaiveDate,
    /// Set when several operations share this context (one live-update event read once for all of
    /// a caller's subscriptions to a meeting): each person is audited once, by the first read,
    /// and every later read of them waits for that audit's commit.
    audited_once: Option<std::sync::Mutex<HashMap<Uuid, SharedAudit>>>,
}

/// One audit commit that several reads wait for.
type SharedAudit = futures::future::Shared<futures::future::BoxFuture<'static, AppResult<()>>>;

impl RequestContext {
    /// The context of one request (or of one live-update event): fresh loaders for this caller.
    pub fn new(
        caller: Caller,
        db: DatabaseConnection,
        live: LiveBroker,
        audit: AuditLog,
        operation: String,
        request_id: String,
    ) -> Self {
        let today = uk_today();
        let disclosure = caller.disclosure();
        let loaders =
            Loaders::new(&db, &caller, today, caller.counted(disclosure), caller.counted_conditions(disclosure));
        Self { caller, db, loaders, live, audit, operation, request_id, today, audited_once: None }
    }

    /// The same context for several operations at once (see `audited_once`).
    pub fn shared(self) -> Self {
        Self { audited_once: Some(std::sync::Mutex::new(HashMap::new())), ..self }
    }

    /// Records that the caller read each of `patients` at the field being resolved; returns once
    /// the audit rows are committed.
    pub async fn audit_reads(&self, ctx: &Context<'_>, patients: &[(uuid::Uuid, AccessReason)]) -> AppResult<()> {
        let path = ctx.path_node.map(|p| p.to_string());
        let Some(once) = &self.audited_once else {
            return self
                .audit
                .record_reads(&self.caller, patients, &self.operation, path.as_deref(), &self.request_id)
                .await;
        };
        // Shared: the people no read has audited yet get one audit of their own; everyone waits
        // for the commits that cover the people they show.
        let mut waits: Vec<SharedAudit> = Vec::new();
        {
            let mut audited = once.lock().unwrap_or_else(|e| e.into_inner());
            let fresh: Vec<(Uuid, AccessReason)> =
                patients.iter().filter(|(p, _)| !audited.contains_key(p)).copied().collect();
            if !fresh.is_empty() {
                let (log, caller) = (self.audit.clone(), self.caller.clone());
                let (operation, request_id) = (self.operation.clone(), self.request_id.clone());
                let reads = fresh.clone();
                let commit: futures::future::BoxFuture<'static, AppResult<()>> = Box::pin(async move {
                    log.record_reads(&caller, &reads, &operation, path.as_deref(), &request_id).await
                });
                let commit = commit.shared();
                for (p, _) in &fresh {
                    audited.insert(*p, commit.clone());
                }
            }
            for (p, _) in patients {
                if let Some(wait) = audited.get(p) {
                    if !waits.iter().any(|w| w.ptr_eq(wait)) {
                        waits.push(wait.clone());
                    }
                }
            }
        }
        for wait in waits {
            wait.await?;
        }
        Ok(())
    }
}

/// Today's date in England (ages turn over at UK midnight, not UTC midnight).
pub fn uk_today() -> NaiveDate {
    chrono::Utc::now().with_timezone(&chrono_tz::Europe::London).date_naive()
}

/// Parses a GraphQL `ID` argument as a UUID, naming the argument when it is not one.
pub fn parse_id(field: &str, id: &async_graphql::ID) -> AppResult<uuid::Uuid> {
    uuid::Uuid::parse_str(id.as_str())
        .map_err(|_| AppError::bad_input(field, format!("{:?} is not a valid id (expected a UUID)", id.as_str())))
}

/// An update input's field: absent leaves it as it is (`None`), null clears it (`Some(None)`), a
/// value sets it.
pub fn change<T>(value: async_graphql::MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        async_graphql::MaybeUndefined::Undefined => None,
        async_graphql::MaybeUndefined::Null => Some(None),
        async_graphql::MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

/// An optional id argument: none when absent, BAD_INPUT naming `field` when it is not a UUID.
pub fn opt_id(field: &str, id: &Option<async_graphql::ID>) -> AppResult<Option<uuid::Uuid>> {
    id.as_ref().map(|id| parse_id(field, id)).transpose()
}

/// The request context, or an internal error if the schema was executed without one.
pub fn request<'a>(ctx: &Context<'a>) -> AppResult<&'a RequestContext> {
    ctx.data::<RequestContext>()
        .map_err(|_| AppError::internal(anyhow::anyhow!("request executed without a RequestContext")))
}
