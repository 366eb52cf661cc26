//! Who is calling: the bearer token is verified, then matched to the practitioner record so that a
//! deactivated practitioner or a token whose claims disagree with the record is refused.

pub mod jwt;

use std::sync::Arc;

use api::live::Tokens;
use async_trait::async_trait;
use sea_orm::DatabaseConnection;

use domain::auth::{load_signed_in, AccessWindows, Bearer, Caller};
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

/// Who a bearer token is: the token verified, then the practitioner it names loaded as the records
/// say now (one statement whatever the request, `load_signed_in`). HTTP requests, websocket
/// connections and every subscription event check their token through it.
#[derive(Clone)]
pub struct Authenticator {
    db: DatabaseConnection,
    verifier: Arc<JwtVerifier>,
    window: AccessWindows,
}

impl Authenticator {
    pub fn new(db: DatabaseConnection, verifier: JwtVerifier, window: AccessWindows) -> Self {
        Self { db, verifier: Arc::new(verifier), window }
    }

    /// The token's claims, checked without a statement.
    pub fn verify(&self, token: &str) -> AppResult<Claims> {
        self.verifier.verify(token)
    }

    /// The caller the token is for.
    pub async fn caller(&self, token: &str) -> AppResult<Caller> {
        let bearer = self.verify(token)?.bearer();
        bearer.matched(load_signed_in(&self.db, &bearer.subject, self.window).await?)
    }
}

#[async_trait]
impl Tokens for Authenticator {
    fn bearer(&self, token: &str) -> AppResult<Bearer> {
        Ok(self.verify(token)?.bearer())
    }

    async fn caller(&self, token: &str) -> AppResult<Caller> {
        Authenticator::caller(self, token).await
    }
}
