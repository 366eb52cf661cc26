//! The token matrix: every way a bearer token can be wrong is refused with UNAUTHENTICATED (401),
//! and the algorithm is pinned by configuration.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
use serde_json::{json, Value};
use server::cli::DemoRole;
use server::config::{JwtAlgorithm, LimitArgs};

use crate::helpers::{
    fixture, hs256_auth, serve_args, spawn_app, spawn_app_with, AppOptions, TestApp, AUDIENCE, ISSUER, SECRET,
};

const ME: &str = "{ me { role } }";

fn sign(claims: &Value, algorithm: Algorithm, key: &EncodingKey) -> String {
    encode(&Header::new(algorithm), claims, key).expect("sign")
}

fn unsigned(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap());
    format!("{header}.{body}.")
}

async fn assert_refused(app: &TestApp, token: Option<&str>, why: &str) {
    let reply = app.post_raw(token, json!({ "query": ME })).await;
    assert_eq!(reply.status, 401, "{why}: {}", reply.body);
    assert_eq!(reply.error_code(), "UNAUTHENTICATED", "{why}");
    assert!(reply.body["data"].is_null(), "{why}: no data");
}

#[tokio::test]
async fn hs256_token_matrix() {
    let app = spawn_app().await;
    let practitioner = app.practitioner(DemoRole::Coordinator).await;
    let good: Value = serde_json::to_value(app.claims(&practitioner)).unwrap();
    let key = EncodingKey::from_secret(SECRET.as_bytes());
    let now = chrono::Utc::now().timestamp();
    let with = |field: &str, value: Value| {
        let mut c = good.clone();
        c[field] = value;
        c
    };
    let without = |field: &str| {
        let mut c = good.clone();
        c.as_object_mut().unwrap().remove(field);
        c
    };

    // The control: a good token works.
    let ok = app.post_raw(Some(&sign(&good, Algorithm::HS256, &key)), json!({ "query": ME })).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.data()["me"]["role"], "INT_COORDINATOR");

    assert_refused(&app, None, "no Authorization header").await;
    assert_refused(&app, Some("not-a-jwt"), "garbage").await;
    assert_refused(&app, Some(&unsigned(&good)), "alg none").await;
    assert_refused(&app, Some(&sign(&good, Algorithm::HS384, &key)), "HS384 instead of HS256").await;
    assert_refused(&app, Some(&sign(&good, Algorithm::HS512, &key)), "HS512 instead of HS256").await;
    let wrong_key = EncodingKey::from_secret(b"another-secret-that-is-also-32-bytes-long");
    assert_refused(&app, Some(&sign(&good, Algorithm::HS256, &wrong_key)), "wrong secret").await;
    let rsa = EncodingKey::from_rsa_pem(&std::fs::read(fixture("rsa-private.pem")).unwrap()).unwrap();
    assert_refused(&app, Some(&sign(&good, Algorithm::RS256, &rsa)), "RS256 when HS256 is pinned").await;
    assert_refused(&app, Some(&sign(&with("aud", json!("someone-else")), Algorithm::HS256, &key)), "wrong audience")
        .await;
    assert_refused(
        &app,
        Some(&sign(&with("iss", json!("https://evil.example")), Algorithm::HS256, &key)),
        "wrong issuer",
    )
    .await;
    assert_refused(&app, Some(&sign(&with("exp", json!(now - 3600)), Algorithm::HS256, &key)), "expired").await;
    assert_refused(&app, Some(&sign(&with("nbf", json!(now + 3600)), Algorithm::HS256, &key)), "not yet valid").await;
    assert_refused(
        &app,
        Some(&sign(&with("exp", json!((now + 3600).to_string())), Algorithm::HS256, &key)),
        "string exp",
    )
    .await;
    assert_refused(&app, Some(&sign(&with("nbf", json!(now.to_string())), Algorithm::HS256, &key)), "string nbf").await;
    // `exp - iat` of extreme values overflowed (a panic in a debug build, a wrap past the lifetime
    // cap in release): each is refused like any other over-long token.
    let mut extreme = with("iat", json!(i64::MIN));
    extreme["exp"] = json!(i64::MAX);
    assert_refused(&app, Some(&sign(&extreme, Algorithm::HS256, &key)), "iat i64::MIN, exp i64::MAX").await;
    assert_refused(&app, Some(&sign(&with("exp", json!(i64::MAX)), Algorithm::HS256, &key)), "exp i64::MAX").await;
    assert_refused(&app, Some(&sign(&with("iat", json!(i64::MIN)), Algorithm::HS256, &key)), "iat i64::MIN").await;
    let ok = app.post_raw(Some(&sign(&good, Algorithm::HS256, &key)), json!({ "query": ME })).await;
    assert_eq!(ok.status, 200, "the server still answers after the extreme tokens: {}", ok.body);
    assert_eq!(ok.data()["me"]["role"], "INT_COORDINATOR", "and to the good token, as its practitioner");
    for claim in ["exp", "nbf", "iss", "aud", "sub"] {
        assert_refused(&app, Some(&sign(&without(claim), Algorithm::HS256, &key)), &format!("missing {claim}")).await;
    }
    assert_refused(
        &app,
        Some(&sign(&with("sub", json!(uuid::Uuid::new_v4())), Algorithm::HS256, &key)),
        "unknown practitioner",
    )
    .await;
    assert_refused(
        &app,
        Some(&sign(&with("role", json!("gp")), Algorithm::HS256, &key)),
        "role claim disagrees with the record",
    )
    .await;
    assert_refused(
        &app,
        Some(&sign(&with("org", json!(uuid::Uuid::new_v4())), Algorithm::HS256, &key)),
        "organisation claim disagrees",
    )
    .await;
    // Change one character in the middle of the signature (the last base64url character may only
    // carry padding bits, which would leave the signature bytes unchanged).
    let token = sign(&good, Algorithm::HS256, &key);
    let signature_start = token.rfind('.').unwrap() + 1;
    let middle = signature_start + (token.len() - signature_start) / 2;
    let mut tampered = token.into_bytes();
    tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_refused(&app, Some(&tampered), "tampered signature").await;
    let basic = app
        .client
        .post(app.url("/graphql"))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .json(&json!({ "query": ME }))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401);
    assert_eq!(basic.headers()["www-authenticate"], "Bearer");

    // A practitioner who has left is refused even with an unexpired token.
    let token = sign(&good, Algorithm::HS256, &key);
    let mut record = practitioner.into_active_model();
    record.active = Set(false);
    record.update(&app.db).await.unwrap();
    assert_refused(&app, Some(&token), "deactivated practitioner").await;
}

/// A small app whose tokens must be signed with `algorithm` and the fixture key pair `keys`.
async fn app_pinned_to(algorithm: JwtAlgorithm, keys: &str) -> (TestApp, server::config::AuthArgs) {
    let mut auth = hs256_auth();
    auth.jwt_algorithm = algorithm;
    auth.jwt_secret = None;
    auth.jwt_public_key_file = Some(fixture(&format!("{keys}-public.pem")));
    auth.jwt_private_key_file = Some(fixture(&format!("{keys}-private.pem")));
    let options = AppOptions {
        auth: auth.clone(),
        serve: serve_args(LimitArgs::default()),
        population: 300,
        neighbourhoods: 1,
        ..AppOptions::default()
    };
    (spawn_app_with(options).await, auth)
}

#[tokio::test]
async fn rs256_pinned_server_refuses_key_confusion() {
    let (app, auth) = app_pinned_to(JwtAlgorithm::Rs256, "rsa").await;
    let practitioner = app.practitioner(DemoRole::Gp).await;
    let signer = server::auth::JwtSigner::from_config(&auth).unwrap();
    let claims = signer.claims_for(&practitioner, chrono::Duration::minutes(5));
    let ok = app.post_raw(Some(&signer.sign(&claims).unwrap()), json!({ "query": ME })).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.data()["me"]["role"], "GP", "the token's practitioner, signed in");

    // The classic attack: HS256 "signed" with the server's public key as the HMAC secret.
    let public_pem = std::fs::read(fixture("rsa-public.pem")).unwrap();
    let claims = serde_json::to_value(&claims).unwrap();
    let forged = sign(&claims, Algorithm::HS256, &EncodingKey::from_secret(&public_pem));
    assert_refused(&app, Some(&forged), "HS256 with the RSA public key as secret").await;
    assert_refused(&app, Some(&unsigned(&claims)), "alg none").await;
    let ec = EncodingKey::from_ec_pem(&std::fs::read(fixture("ec-private.pem")).unwrap()).unwrap();
    assert_refused(&app, Some(&sign(&claims, Algorithm::ES256, &ec)), "ES256 when RS256 is pinned").await;
}

#[tokio::test]
async fn es256_tokens_verify_with_the_configured_public_key() {
    let (app, auth) = app_pinned_to(JwtAlgorithm::Es256, "ec").await;
    let practitioner = app.practitioner(DemoRole::LinkWorker).await;
    let signer = server::auth::JwtSigner::from_config(&auth).unwrap();
    let ok = app
        .post_raw(
            Some(&signer.sign(&signer.claims_for(&practitioner, chrono::Duration::minutes(5))).unwrap()),
            json!({ "query": ME }),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.data()["me"]["role"], "SOCIAL_PRESCRIBING_LINK_WORKER");
}

#[test]
fn bad_key_configuration_is_refused_at_start_with_a_clear_message() {
    let mut auth = hs256_auth();
    auth.jwt_secret = Some("short".to_owned().into());
    let err = server::auth::JwtVerifier::from_config(&auth, server::auth::DevSecret::Refused)
        .err()
        .expect("short secret refused");
    assert!(format!("{err:#}").contains("at least 32 bytes"), "{err:#}");

    auth.jwt_algorithm = JwtAlgorithm::Rs256;
    auth.jwt_public_key_file = None;
    let err = server::auth::JwtVerifier::from_config(&auth, server::auth::DevSecret::Refused)
        .err()
        .expect("missing key refused");
    assert!(format!("{err:#}").contains("NEIGHBOURHOOD_JWT_PUBLIC_KEY_FILE"), "{err:#}");

    auth.jwt_public_key_file = Some(fixture("ec-public.pem"));
    let err = server::auth::JwtVerifier::from_config(&auth, server::auth::DevSecret::Refused)
        .err()
        .expect("wrong key type refused");
    assert!(format!("{err:#}").contains("not an RSA public key"), "{err:#}");

    // Outside demo mode, a server with no key configured refuses to start.
    let mut auth = hs256_auth();
    auth.jwt_secret = None;
    let err =
        server::auth::JwtVerifier::from_config(&auth, server::auth::DevSecret::Refused).err().expect("no key refused");
    assert!(format!("{err:#}").contains("NEIGHBOURHOOD_JWT_SECRET"), "{err:#}");
    let _ = (ISSUER, AUDIENCE);
}
