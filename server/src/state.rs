//! What every request handler shares: the schema, the database, the token check, the live-update
//! broker, the audit writer, the metrics and the per-caller limits. The HTTP and websocket
//! endpoints both take it; neither imports the other for it.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::Authenticator;
use api::schema::AppSchema;
use domain::live::LiveBroker;

#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub max_body_bytes: usize,
    pub max_batch: usize,
    pub graphiql: bool,
    /// Introspection answered, and the SDL served at GET /schema.graphql.
    pub introspection: bool,
}

#[derive(Clone)]
pub struct AppState {
    pub schema: AppSchema,
    pub db: DatabaseConnection,
    /// Who a bearer token is.
    pub auth: Authenticator,
    pub settings: Arc<HttpSettings>,
    pub live: LiveBroker,
    pub audit: domain::audit::AuditLog,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Per-caller rate limits (requests here; records read through the audit writer).
    pub brakes: domain::brake::Brakes,
    /// Per-caller websocket limits and the shared reads of their subscriptions (`ws`).
    pub live_callers: crate::ws::CallerSockets,
    /// Cancelled when the server is asked to stop: every websocket then closes with 1001.
    pub shutdown: tokio_util::sync::CancellationToken,
    /// The websocket tasks, so that shutdown can wait for their close frames to go out.
    pub sockets: tokio_util::task::TaskTracker,
}
