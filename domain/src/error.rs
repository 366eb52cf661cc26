//! One error type for the whole service, with the stable `extensions.code` values clients act on.
//! Internal causes are logged with a correlation id and never sent to the client.

use std::sync::Arc;

use sea_orm::DbErr;

/// Stable codes carried in `extensions.code`.
pub mod code {
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    pub const FORBIDDEN: &str = "FORBIDDEN";
    pub const NOT_FOUND: &str = "NOT_FOUND";
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    pub const CONFLICT: &str = "CONFLICT";
    pub const INVALID_TRANSITION: &str = "INVALID_TRANSITION";
    pub const INTERNAL: &str = "INTERNAL";
    /// The caller went over a per-minute limit; `extensions.retryAfterSeconds` says when to retry.
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    /// The database is saturated or a statement waited too long: retry after
    /// `extensions.retryAfterSeconds`; nothing was changed.
    pub const UNAVAILABLE: &str = "UNAVAILABLE";
    /// The request could not be parsed or failed validation (including the server's limits).
    pub const GRAPHQL_VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
}

/// Everything a domain function can fail with. Deliberately not `Display`: the only way out to a
/// client is the API's conversion (`api::error`), which hides internal causes.
#[derive(Debug, Clone)]
pub enum AppError {
    Unauthenticated(String),
    Forbidden(String),
    NotFound {
        what: &'static str,
        id: String,
    },
    BadUserInput {
        field: Option<String>,
        message: String,
    },
    /// The request clashes with what is stored; `existing_id` names the record it clashes with.
    Conflict {
        message: String,
        existing_id: Option<String>,
        /// The version now stored, when the clash is an edit of an older version.
        current_version: Option<i32>,
    },
    /// A state machine refused a move. The message names the current state and the allowed moves;
    /// where the refusal is about a state, `extensions.currentStatus` and `extensions.allowedMoves`
    /// carry them too (GraphQL enum names), for a client to act on without reading prose.
    InvalidTransition {
        message: String,
        current_status: Option<String>,
        allowed_moves: Vec<String>,
    },
    /// The caller went over a per-minute limit; retrying after `retry_after_seconds` succeeds.
    RateLimited {
        message: String,
        retry_after_seconds: u64,
    },
    /// The database could not serve the request in time (no pooled connection within the acquire
    /// timeout, a statement over the statement timeout, a lock not granted): retryable.
    Unavailable {
        message: String,
        retry_after_seconds: u64,
    },
    Internal(Arc<anyhow::Error>),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn not_found(what: &'static str, id: impl ToString) -> Self {
        Self::NotFound { what, id: id.to_string() }
    }

    pub fn bad_input(field: &str, message: impl Into<String>) -> Self {
        Self::BadUserInput { field: Some(field.to_owned()), message: message.into() }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict { message: message.into(), existing_id: None, current_version: None }
    }

    pub fn conflict_with(message: impl Into<String>, existing_id: impl ToString) -> Self {
        Self::Conflict { message: message.into(), existing_id: Some(existing_id.to_string()), current_version: None }
    }

    /// An edit of version `base` of a record that is now at `current_version`.
    pub fn stale(message: impl Into<String>, existing_id: impl ToString, current_version: i32) -> Self {
        Self::Conflict {
            message: message.into(),
            existing_id: Some(existing_id.to_string()),
            current_version: Some(current_version),
        }
    }

    /// A refused move that is not about one state machine's states (a closed group, say).
    pub fn invalid_transition(message: impl Into<String>) -> Self {
        Self::InvalidTransition { message: message.into(), current_status: None, allowed_moves: Vec::new() }
    }

    /// A refused move from `current`, with the moves that would be accepted now.
    pub fn invalid_move<E: sea_orm::ActiveEnum<Value = String>>(
        message: impl Into<String>,
        current: E,
        allowed: impl IntoIterator<Item = E>,
    ) -> Self {
        Self::InvalidTransition {
            message: message.into(),
            current_status: Some(crate::label::label(current)),
            allowed_moves: allowed.into_iter().map(crate::label::label).collect(),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Self::Internal(Arc::new(cause.into()))
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => code::UNAUTHENTICATED,
            Self::Forbidden(_) => code::FORBIDDEN,
            Self::NotFound { .. } => code::NOT_FOUND,
            Self::BadUserInput { .. } => code::BAD_USER_INPUT,
            Self::Conflict { .. } => code::CONFLICT,
            Self::InvalidTransition { .. } => code::INVALID_TRANSITION,
            Self::RateLimited { .. } => code::RATE_LIMITED,
            Self::Unavailable { .. } => code::UNAVAILABLE,
            Self::Internal(_) => code::INTERNAL,
        }
    }

    /// What the client is told. For internal errors this logs the cause and returns only a reference.
    pub fn client_message(&self) -> String {
        match self {
            Self::Unauthenticated(m) | Self::Forbidden(m) => m.clone(),
            Self::Conflict { message, .. }
            | Self::RateLimited { message, .. }
            | Self::Unavailable { message, .. }
            | Self::InvalidTransition { message, .. } => message.clone(),
            Self::NotFound { what, id } => format!("no {what} with id {id} exists"),
            Self::BadUserInput { field: Some(f), message } => format!("{f}: {message}"),
            Self::BadUserInput { field: None, message } => message.clone(),
            Self::Internal(cause) => {
                let reference = crate::telemetry::current_request_id();
                tracing::error!(error = ?cause, request_id = %reference, "internal error");
                format!("internal error; quote reference {reference} to the service desk")
            }
        }
    }
}

/// Seconds a client is asked to wait before retrying when the database is saturated.
pub const UNAVAILABLE_RETRY_AFTER_SECONDS: u64 = 2;

impl AppError {
    /// The database could not serve the request in time; `what` says how.
    pub fn unavailable(what: &str) -> Self {
        Self::Unavailable {
            message: format!(
                "the database is busy ({what}); nothing was changed, retry in {UNAVAILABLE_RETRY_AFTER_SECONDS} seconds"
            ),
            retry_after_seconds: UNAVAILABLE_RETRY_AFTER_SECONDS,
        }
    }

    /// How long to wait before retrying, for errors that say so.
    pub fn retry_after_seconds(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after_seconds, .. } | Self::Unavailable { retry_after_seconds, .. } => {
                Some(*retry_after_seconds)
            }
            _ => None,
        }
    }
}

/// Whether a database error says the database was too busy, not that the request was wrong:
/// no pooled connection in time, PostgreSQL's statement timeout (57014) or a lock not granted
/// (55P03), SQLite busy or locked (5, 6).
fn busy(e: &DbErr) -> Option<&'static str> {
    if matches!(e, DbErr::ConnectionAcquire(sea_orm::error::ConnAcquireErr::Timeout)) {
        return Some("no connection was free in time");
    }
    let runtime = match e {
        DbErr::Conn(r) | DbErr::Exec(r) | DbErr::Query(r) => r,
        _ => return None,
    };
    let sea_orm::RuntimeErr::SqlxError(sqlx) = runtime else { return None };
    let sqlx::Error::Database(database) = sqlx.as_ref() else {
        return matches!(sqlx.as_ref(), sqlx::Error::PoolTimedOut).then_some("no connection was free in time");
    };
    match database.code().as_deref() {
        Some("57014") => Some("a statement ran past the statement timeout"),
        Some("55P03") | Some("5") | Some("6") | Some("517") | Some("261") => Some("a lock was not granted in time"),
        _ => None,
    }
}

impl From<DbErr> for AppError {
    fn from(e: DbErr) -> Self {
        match busy(&e) {
            Some(what) => {
                tracing::warn!(error = %e, "database busy");
                Self::unavailable(what)
            }
            None => Self::internal(e),
        }
    }
}

impl From<Arc<DbErr>> for AppError {
    fn from(e: Arc<DbErr>) -> Self {
        Self::from(DbErr::clone(&e))
    }
}
