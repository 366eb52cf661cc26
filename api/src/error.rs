//! How a domain error reaches a client: a GraphQL error whose message hides internal causes and
//! whose `extensions` carry the stable `code` (and `field`, `existingId`, `currentVersion`,
//! `currentStatus`/`allowedMoves`, `retryAfterSeconds` where they apply).
//!
//! Resolvers return [`ApiResult`], so `?` takes a domain `AppResult` and an async-graphql result
//! alike. `AppError` is deliberately not `Display`, and `ApiError` is not either: async-graphql's
//! blanket conversion from any `Display` type would send its text with no code.

use async_graphql::ErrorExtensions;

pub use domain::error::{code, AppError, AppResult};

/// What a resolver fails with: a GraphQL error, made from a domain error with its extensions.
#[derive(Debug, Clone)]
pub struct ApiError(async_graphql::Error);

/// The result of every resolver.
pub type ApiResult<T> = Result<T, ApiError>;

/// The GraphQL error a client is sent for `e`.
pub fn graphql_error(e: &AppError) -> async_graphql::Error {
    let mut error = async_graphql::Error::new(e.client_message());
    error = error.extend_with(|_, ext| ext.set("code", e.code()));
    if let AppError::BadUserInput { field: Some(field), .. } = e {
        error = error.extend_with(|_, ext| ext.set("field", field.as_str()));
    }
    if let AppError::Conflict { existing_id: Some(id), .. } = e {
        error = error.extend_with(|_, ext| ext.set("existingId", id.as_str()));
    }
    if let AppError::Conflict { current_version: Some(version), .. } = e {
        error = error.extend_with(|_, ext| ext.set("currentVersion", *version));
    }
    if let AppError::InvalidTransition { current_status: Some(current), allowed_moves, .. } = e {
        error = error.extend_with(|_, ext| {
            ext.set("currentStatus", async_graphql::Value::Enum(async_graphql::Name::new(current)));
            ext.set(
                "allowedMoves",
                async_graphql::Value::List(
                    allowed_moves.iter().map(|m| async_graphql::Value::Enum(async_graphql::Name::new(m))).collect(),
                ),
            );
        });
    }
    if let Some(seconds) = e.retry_after_seconds() {
        error = error.extend_with(|_, ext| ext.set("retryAfterSeconds", seconds));
    }
    error
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        Self(graphql_error(&e))
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> Self {
        AppError::from(e).into()
    }
}

impl From<async_graphql::Error> for ApiError {
    fn from(e: async_graphql::Error) -> Self {
        Self(e)
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(e: ApiError) -> Self {
        e.0
    }
}
