//! The binary's interface that operators and scripts rely on: `token --role` prints only a token,
//! `schema` prints the SDL, bad configuration is refused with a message naming it.

use std::process::Command;

use crate::helpers::{spawn_app_with, AppOptions, AUDIENCE, ISSUER, SECRET};

fn neighbourhood() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_neighbourhood"));
    command
        .env_remove("DATABASE_URL")
        .env("NEIGHBOURHOOD_JWT_SECRET", SECRET)
        .env("NEIGHBOURHOOD_JWT_ISSUER", ISSUER)
        .env("NEIGHBOURHOOD_JWT_AUDIENCE", AUDIENCE);
    command
}

#[tokio::test]
async fn token_prints_only_a_token_the_server_accepts() {
    let app = spawn_app_with(AppOptions { population: 300, neighbourhoods: 1, ..AppOptions::default() }).await;
    let database_url = app.database_url();
    for (role, signed_in_as) in [
        ("coordinator", "INT_COORDINATOR"),
        ("link-worker", "SOCIAL_PRESCRIBING_LINK_WORKER"),
        ("gp", "GP"),
        ("social-care", "SOCIAL_WORKER"),
        ("mental-health", "MENTAL_HEALTH_PRACTITIONER"),
        ("vcse", "VCSE_WORKER"),
        ("commissioner", "COMMISSIONER"),
        ("administrator", "DEPLOYMENT_ADMINISTRATOR"),
    ] {
        let output =
            neighbourhood().env("DATABASE_URL", &database_url).args(["token", "--role", role]).output().expect("run");
        assert!(output.status.success(), "{role}: {}", String::from_utf8_lossy(&output.stderr));
        let stdout = String::from_utf8(output.stdout).unwrap();
        let token = stdout.trim_end_matches('\n');
        assert_eq!(token.lines().count(), 1, "only the token on stdout");
        assert_eq!(token.split('.').count(), 3);
        let reply = app.post_raw(Some(token), serde_json::json!({ "query": "{ me { role } }" })).await;
        assert_eq!(reply.status, 200, "{role}: {}", reply.body);
        assert_eq!(reply.data()["me"]["role"], signed_in_as, "{role}: a token for a practitioner of that role");
    }
    let unknown =
        neighbourhood().env("DATABASE_URL", &database_url).args(["token", "--role", "astronaut"]).output().unwrap();
    assert!(!unknown.status.success());
    assert!(unknown.stdout.is_empty(), "nothing a script could take for a token");
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(stderr.contains("astronaut") && stderr.contains("possible values"), "{stderr}");
}

#[test]
fn bootstrap_admin_creates_the_deployments_first_administrator_once() {
    let path = std::env::temp_dir().join(format!("nbh-bootstrap-{}.db", uuid::Uuid::new_v4().simple()));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let bootstrap = |extra: &[&str]| {
        let mut args = vec![
            "bootstrap-admin",
            "--ods-code",
            "qt1",
            "--organisation-name",
            "NHS Example Integrated Care Board",
            "--given-name",
            "Ada",
            "--family-name",
            "Okafor",
            "--subject",
            "555021935999",
        ];
        args.extend_from_slice(extra);
        neighbourhood().env("DATABASE_URL", &url).args(&args).output().expect("run")
    };
    let bad_kind = bootstrap(&["--organisation-kind", "castle"]);
    assert!(!bad_kind.status.success());
    assert!(String::from_utf8_lossy(&bad_kind.stderr).contains("castle"), "the bad value is named");
    let first = bootstrap(&[]);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "{stderr}");
    assert!(stderr.contains("deployment administrator Ada Okafor") && stderr.contains("555021935999"), "{stderr}");
    // They can be given a token at once (the deployment's identity provider would issue theirs).
    let token = neighbourhood().env("DATABASE_URL", &url).args(["token", "--role", "administrator"]).output().unwrap();
    assert!(token.status.success(), "{}", String::from_utf8_lossy(&token.stderr));
    assert_eq!(String::from_utf8(token.stdout).unwrap().trim().split('.').count(), 3);
    let again = bootstrap(&[]);
    assert!(!again.status.success(), "a second bootstrap is refused");
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already has a deployment administrator"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let _ = std::fs::remove_file(&path);
}

#[test]
fn schema_command_prints_the_sdl() {
    let output = neighbourhood().arg("schema").output().expect("run");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8(output.stdout).unwrap(), api::schema::sdl());
}

#[test]
fn bad_configuration_is_named_in_the_error() {
    let output = neighbourhood().env("NEIGHBOURHOOD_ADDR", "not-an-address").arg("serve").output().expect("run");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not-an-address") && stderr.contains("--addr"), "{stderr}");

    let output = neighbourhood().env("NEIGHBOURHOOD_MAX_BATCH", "0").arg("serve").output().expect("run");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("max-batch"));

    let output = neighbourhood().env("DATABASE_URL", "mysql://nope").arg("migrate").output().expect("run");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("DATABASE_URL must start with"));
}
