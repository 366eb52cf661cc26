//! Who is calling: the bearer token is verified, then matched to the practitioner record so that a
//! deactivated practitioner or a token whose claims disagree with the record is refused.

pub mod jwt;

use sea_orm::{ActiveEnum, ConnectionTrait};

use domain::auth::{load_caller, Caller, MdtWindow};
use domain::error::{AppError, AppResult};
pub use jwt::{Claims, DevSecret, JwtSigner, JwtVerifier};

/// Extracts the token from an `Authorization` header value.
pub fn bearer_token(header: Option<&str>) -> AppResult<&str> {
    let header = header.ok_or_else(|| {
        AppError::Unauthenticated(
            "missing Authorization header; send `Authorization: Bearer <token>` (see README: how to get a token)"
                .to_owned(),
        )
    })?;
    let (scheme, token) = header.split_once(' ').unwrap_or((header, ""));
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AppError::Unauthenticated("the Authorization header must be `Bearer <token>`".to_owned()));
    }
    Ok(token.trim())
}

/// Verifies the token and loads the caller: one statement whatever the request (`load_caller`).
pub async fn authenticate(
    db: &impl ConnectionTrait,
    verifier: &JwtVerifier,
    token: &str,
    window: MdtWindow,
) -> AppResult<Caller> {
    let claims = verifier.verify(token)?;
    let stale = || AppError::Unauthenticated("the token does not match an active practitioner record".to_owned());
    let caller = load_caller(db, claims.sub, window).await?.ok_or_else(stale)?;
    if caller.organisation_id != claims.org || caller.role.to_value() != claims.role {
        return Err(stale());
    }
    Ok(caller)
}
