//! Starting the service: configuration checked, database migrated (and seeded for the demo),
//! schema built once, then HTTP until a shutdown signal.

use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::auth::{Authenticator, DevSecret, JwtVerifier};
use crate::config::{AuthArgs, DatabaseArgs, ServeArgs};
use crate::db;
use crate::http::router;
use crate::state::{AppState, HttpSettings};
use api::schema::build_schema;
use domain::live::LiveBroker;

/// Everything `serve` needs, already validated.
pub struct ServerConfig {
    pub database: DatabaseArgs,
    pub auth: AuthArgs,
    pub serve: ServeArgs,
}

/// The state the router needs, built from configuration (shared by `serve` and the tests).
pub async fn build_state(
    db: sea_orm::DatabaseConnection,
    auth: &AuthArgs,
    serve: &ServeArgs,
) -> anyhow::Result<AppState> {
    let dev_secret = if serve.demo { DevSecret::Allowed } else { DevSecret::Refused };
    let verifier = JwtVerifier::from_config(auth, dev_secret).context("JWT configuration")?;
    let introspection = serve.introspection.unwrap_or(serve.demo);
    let settings = serve.limits.schema(introspection);
    let live = LiveBroker::start(&db).await?;
    let window = serve.access.windows();
    let callers = &serve.callers;
    let brakes = domain::brake::Brakes::new(
        db.clone(),
        callers.rate_limit_requests_per_minute,
        callers.rate_limit_records_per_minute,
    );
    Ok(AppState {
        schema: build_schema(&settings),
        audit: domain::audit::AuditLog::start(db.clone()).with_brakes(brakes.clone()),
        brakes,
        live_callers: crate::ws::CallerSockets::new(
            callers.max_websockets_per_caller,
            callers.max_subscriptions_per_caller,
        ),
        shutdown: tokio_util::sync::CancellationToken::new(),
        sockets: tokio_util::task::TaskTracker::new(),
        auth: Authenticator::new(db.clone(), verifier, window),
        db,
        live,
        metrics: Arc::new(crate::metrics::Metrics::default()),
        settings: Arc::new(HttpSettings {
            max_body_bytes: serve.limits.max_body_bytes as usize,
            max_batch: serve.limits.max_batch as usize,
            graphiql: serve.graphiql.unwrap_or(serve.demo),
            introspection,
        }),
    })
}

/// Serves on `db` (opened and migrated by the caller, and seeded with the demo when it asked for
/// one) until SIGTERM or Ctrl-C.
pub async fn serve(config: ServerConfig, db: sea_orm::DatabaseConnection) -> anyhow::Result<()> {
    let ServerConfig { database, auth, serve } = config;
    let state = build_state(db, &auth, &serve).await?;
    let graphiql = state.settings.graphiql;
    let listener = TcpListener::bind(serve.addr).await.with_context(|| format!("listening on {}", serve.addr))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, database = %db::redact(&database.database_url), "Neighbourhood is listening");
    println!();
    if graphiql {
        println!("  GraphiQL:   http://{addr}/graphql");
    } else {
        println!("  GraphQL:    POST http://{addr}/graphql");
    }
    println!("  Get a token: cargo run -- token --role coordinator");
    println!("  then send the header  Authorization: Bearer <token>");
    println!();
    // On SIGTERM or Ctrl-C: stop accepting, let HTTP requests finish, and close every websocket
    // with 1001 (going away) so that clients connect again, to another replica behind a load
    // balancer, rather than find their connection dropped. Upgraded websockets are not among the
    // connections axum waits for, so they are waited for here, a few seconds at most.
    let (shutdown, sockets) = (state.shutdown.clone(), state.sockets.clone());
    let stopping = shutdown.clone();
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            tracing::info!("shutting down: closing websockets with 1001 and finishing requests");
            stopping.cancel();
        })
        .await
        .context("serving HTTP")?;
    shutdown.cancel();
    sockets.close();
    if tokio::time::timeout(SOCKETS_CLOSE_WITHIN, sockets.wait()).await.is_err() {
        tracing::warn!(open = sockets.len(), "websockets still open after {SOCKETS_CLOSE_WITHIN:?}; stopping anyway");
    }
    tracing::info!("stopped");
    Ok(())
}

/// How long a stopping server waits for its websockets' close handshakes.
const SOCKETS_CLOSE_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}
