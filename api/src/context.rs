//! Per-request context handed to every resolver: the caller, the connection, the request's
//! loaders and what the audit trail needs to name the operation.

use async_graphql::Context;
use chrono::NaiveDate;
use sea_orm::DatabaseConnection;

use crate::audit::AuditLog;
use crate::auth::{AccessReason, Caller};
use crate::error::{AppError, AppResult};
use crate::live::LiveBroker;
use crate::loaders::Loaders;

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
}

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
        let loaders = Loaders::new(&db, today);
        Self { caller, db, loaders, live, audit, operation, request_id, today }
    }

    /// Records that the caller read each of `patients` at the field being resolved; returns once
    /// the audit rows are committed.
    pub async fn audit_reads(&self, ctx: &Context<'_>, patients: &[(uuid::Uuid, AccessReason)]) -> AppResult<()> {
        let path = ctx.path_node.map(|p| p.to_string());
        self.audit.record_reads(&self.caller, patients, &self.operation, path.as_deref(), &self.request_id).await
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

/// The request context, or an internal error if the schema was executed without one.
pub fn request<'a>(ctx: &Context<'a>) -> AppResult<&'a RequestContext> {
    ctx.data::<RequestContext>()
        .map_err(|_| AppError::internal(anyhow::anyhow!("request executed without a RequestContext")))
}
