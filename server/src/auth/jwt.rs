//! JWT verification (and, for development and tests, signing). Issuer, audience, expiry and
//! not-before are all required; the algorithm is pinned by configuration, so `alg: none` or a
//! swapped algorithm never verifies.

use std::path::Path;

use anyhow::{bail, Context};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::{AuthArgs, JwtAlgorithm};
use domain::error::AppError;

/// Claims a token carries. `sub` is the identity the practitioner signs in with (their
/// `identity_subject`, as the identity provider issues it); `org` and `role`, when present, must
/// agree with the practitioner's record (tokens from `neighbourhood token` carry them; a real
/// identity provider's need not, and the record decides).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    pub sub: String,
    /// The practitioner's organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<Uuid>,
    /// The practitioner's professional role (e.g. `int_coordinator`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
}

impl Claims {
    /// Who the claims say the bearer is.
    pub fn bearer(&self) -> domain::auth::Bearer {
        domain::auth::Bearer { subject: self.sub.clone(), organisation_id: self.org, role: self.role.clone() }
    }
}

/// Shortest acceptable HS256 secret (RFC 7518 §3.2: at least the hash size).
pub const MIN_SECRET_BYTES: usize = 32;

/// Whether an HS256 key may come from the generated development secret file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DevSecret {
    /// `serve --demo` and the `token` command.
    Allowed,
    /// A server outside demo mode must be given its key.
    Refused,
}

/// Checks tokens against the configured algorithm, key, issuer, audience and maximum lifetime.
#[derive(Clone)]
pub struct JwtVerifier {
    key: DecodingKey,
    validation: Validation,
    max_lifetime_seconds: i64,
}

impl JwtVerifier {
    pub fn from_config(auth: &AuthArgs, dev_secret: DevSecret) -> anyhow::Result<Self> {
        let key = match auth.jwt_algorithm {
            JwtAlgorithm::Hs256 => {
                DecodingKey::from_secret(resolve_hs_secret(auth, dev_secret)?.expose_secret().as_bytes())
            }
            JwtAlgorithm::Rs256 => DecodingKey::from_rsa_pem(&read_pem(
                auth.jwt_public_key_file.as_deref(),
                "NEIGHBOURHOOD_JWT_PUBLIC_KEY_FILE",
            )?)
            .context("NEIGHBOURHOOD_JWT_PUBLIC_KEY_FILE is not an RSA public key in PEM form")?,
            JwtAlgorithm::Es256 => DecodingKey::from_ec_pem(&read_pem(
                auth.jwt_public_key_file.as_deref(),
                "NEIGHBOURHOOD_JWT_PUBLIC_KEY_FILE",
            )?)
            .context("NEIGHBOURHOOD_JWT_PUBLIC_KEY_FILE is not an EC (P-256) public key in PEM form")?,
        };
        Ok(Self::new(
            key,
            auth.jwt_algorithm.to_jsonwebtoken(),
            &auth.jwt_issuer,
            &auth.jwt_audience,
            chrono::Duration::minutes(auth.jwt_max_lifetime_minutes),
        ))
    }

    pub fn new(
        key: DecodingKey,
        algorithm: Algorithm,
        issuer: &str,
        audience: &str,
        max_lifetime: chrono::Duration,
    ) -> Self {
        let mut validation = Validation::new(algorithm);
        validation.algorithms = vec![algorithm];
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = 30;
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        Self { key, validation, max_lifetime_seconds: max_lifetime.num_seconds() }
    }

    /// Verifies a compact JWT. The error says which check failed, never echoing the token.
    pub fn verify(&self, token: &str) -> Result<Claims, AppError> {
        let claims = self.decode(token)?;
        let now = chrono::Utc::now().timestamp();
        let refuse = |reason: &str| Err(AppError::Unauthenticated(format!("invalid bearer token: {reason}")));
        let leeway = i64::try_from(self.validation.leeway).unwrap_or(i64::MAX);
        if claims.iat > now.saturating_add(leeway) {
            return refuse("the token claims to be issued in the future (iat)");
        }
        if claims.iat < 0 {
            return refuse("the token's iat is before 1970");
        }
        // Checked: claims are the sender's numbers, and `exp - iat` of extreme values overflows.
        match claims.exp.checked_sub(claims.iat) {
            Some(lifetime) if lifetime <= self.max_lifetime_seconds => Ok(claims),
            _ => refuse(&format!(
                "the token lives longer than this service accepts ({} minutes at most)",
                self.max_lifetime_seconds / 60
            )),
        }
    }

    fn decode(&self, token: &str) -> Result<Claims, AppError> {
        use jsonwebtoken::errors::ErrorKind;
        decode::<Claims>(token, &self.key, &self.validation).map(|data| data.claims).map_err(|e| {
            let reason = match e.kind() {
                ErrorKind::ExpiredSignature => "the token has expired".to_owned(),
                ErrorKind::ImmatureSignature => "the token is not valid yet (nbf is in the future)".to_owned(),
                ErrorKind::InvalidIssuer => "the token was issued by an issuer this service does not trust".to_owned(),
                ErrorKind::InvalidAudience => "the token is not meant for this service (aud)".to_owned(),
                ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                    "the token is signed with an algorithm this service does not accept".to_owned()
                }
                ErrorKind::InvalidSignature => "the token's signature does not verify".to_owned(),
                ErrorKind::MissingRequiredClaim(c) => format!("the token lacks the required claim {c}"),
                ErrorKind::InvalidClaimFormat(c) => format!("the token's {c} claim has the wrong type"),
                ErrorKind::Json(_) => "the token's claims are not in the expected form".to_owned(),
                _ => "the token is malformed".to_owned(),
            };
            AppError::Unauthenticated(format!("invalid bearer token: {reason}"))
        })
    }
}

/// Signs tokens; used by `neighbourhood token` and by tests, never by the server.
pub struct JwtSigner {
    key: EncodingKey,
    algorithm: Algorithm,
    pub issuer: String,
    pub audience: String,
}

impl JwtSigner {
    pub fn from_config(auth: &AuthArgs) -> anyhow::Result<Self> {
        let key = match auth.jwt_algorithm {
            JwtAlgorithm::Hs256 => {
                EncodingKey::from_secret(resolve_hs_secret(auth, DevSecret::Allowed)?.expose_secret().as_bytes())
            }
            JwtAlgorithm::Rs256 => EncodingKey::from_rsa_pem(&read_pem(
                auth.jwt_private_key_file.as_deref(),
                "NEIGHBOURHOOD_JWT_PRIVATE_KEY_FILE",
            )?)
            .context("NEIGHBOURHOOD_JWT_PRIVATE_KEY_FILE is not an RSA private key in PEM form")?,
            JwtAlgorithm::Es256 => EncodingKey::from_ec_pem(&read_pem(
                auth.jwt_private_key_file.as_deref(),
                "NEIGHBOURHOOD_JWT_PRIVATE_KEY_FILE",
            )?)
            .context("NEIGHBOURHOOD_JWT_PRIVATE_KEY_FILE is not an EC (P-256) private key in PEM form")?,
        };
        Ok(Self {
            key,
            algorithm: auth.jwt_algorithm.to_jsonwebtoken(),
            issuer: auth.jwt_issuer.clone(),
            audience: auth.jwt_audience.clone(),
        })
    }

    pub fn hs256(secret: &[u8], issuer: &str, audience: &str) -> Self {
        Self {
            key: EncodingKey::from_secret(secret),
            algorithm: Algorithm::HS256,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        }
    }

    /// Claims for a practitioner, valid from now for `lifetime`: their identity as the subject
    /// (their id when they have none, which no record matches: such a token is refused).
    pub fn claims_for(&self, practitioner: &entity::practitioner::Model, lifetime: chrono::Duration) -> Claims {
        let now = chrono::Utc::now().timestamp();
        Claims {
            sub: practitioner.identity_subject.clone().unwrap_or_else(|| practitioner.id.to_string()),
            org: Some(practitioner.organisation_id),
            role: Some(practitioner.professional_role.to_value()),
            name: Some(format!("{} {}", practitioner.given_name, practitioner.family_name)),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            nbf: now,
            exp: now + lifetime.num_seconds(),
        }
    }

    pub fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        encode(&Header::new(self.algorithm), claims, &self.key).context("signing the token")
    }
}

use sea_orm::ActiveEnum as _;

fn read_pem(path: Option<&Path>, variable: &str) -> anyhow::Result<Vec<u8>> {
    let Some(path) = path else {
        bail!("{variable} must name a PEM key file for the configured algorithm");
    };
    std::fs::read(path).with_context(|| format!("{variable}: cannot read {}", path.display()))
}

/// The configured HS256 secret, or (where allowed) the development secret file, created on
/// first use.
fn resolve_hs_secret(auth: &AuthArgs, dev_secret: DevSecret) -> anyhow::Result<SecretString> {
    if let Some(secret) = &auth.jwt_secret {
        if secret.expose_secret().len() < MIN_SECRET_BYTES {
            bail!("NEIGHBOURHOOD_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long");
        }
        return Ok(secret.clone());
    }
    if dev_secret == DevSecret::Refused {
        bail!(
            "no token key is configured: set NEIGHBOURHOOD_JWT_SECRET (HS256), or NEIGHBOURHOOD_JWT_ALGORITHM=RS256/ES256 \
             with NEIGHBOURHOOD_JWT_PUBLIC_KEY_FILE; the generated development secret is used only with `serve --demo`"
        );
    }
    let path = &auth.dev_secret_file;
    if let Ok(existing) = std::fs::read_to_string(path) {
        let existing = existing.trim().to_owned();
        if existing.len() < MIN_SECRET_BYTES {
            bail!(
                "{} holds a secret shorter than {MIN_SECRET_BYTES} bytes; delete it to generate a new one",
                path.display()
            );
        }
        return Ok(SecretString::from(existing));
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    write_private(path, &secret).with_context(|| format!("writing the development secret to {}", path.display()))?;
    tracing::warn!(file = %path.display(), "generated a development JWT secret; set NEIGHBOURHOOD_JWT_SECRET (or RS256/ES256 keys) in production");
    Ok(SecretString::from(secret))
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"a-unit-test-secret-of-at-least-32-bytes";

    fn verifier() -> JwtVerifier {
        JwtVerifier::new(DecodingKey::from_secret(SECRET), Algorithm::HS256, "iss", "aud", chrono::Duration::hours(12))
    }

    fn token(iat: i64, exp: i64) -> String {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: Uuid::nil().to_string(),
            org: Some(Uuid::nil()),
            role: Some("gp".into()),
            name: Some("Test".into()),
            iss: "iss".into(),
            aud: "aud".into(),
            iat,
            nbf: now - 60,
            exp,
        };
        JwtSigner::hs256(SECRET, "iss", "aud").sign(&claims).expect("sign")
    }

    /// `exp - iat` of the sender's own numbers must neither overflow (a panic in a debug build)
    /// nor wrap around into an acceptable lifetime (release).
    #[test]
    fn extreme_lifetimes_are_refused_without_overflow() {
        let now = chrono::Utc::now().timestamp();
        let v = verifier();
        assert!(v.verify(&token(now, now + 3600)).is_ok(), "the control");
        for (iat, exp, why) in [
            (i64::MIN, i64::MAX, "iat at the minimum, exp at the maximum"),
            (i64::MIN, now + 3600, "iat at the minimum"),
            (now, i64::MAX, "exp at the maximum"),
            (-1, now + 3600, "iat before 1970"),
            (now - 13 * 3600, now + 60, "longer than 12 hours"),
            (now + 3600, now + 7200, "issued in the future"),
        ] {
            let refused = v.verify(&token(iat, exp)).expect_err(why);
            assert_eq!(refused.code(), "UNAUTHENTICATED", "{why}");
        }
    }
}
