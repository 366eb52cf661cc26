//! `spawn_app()`: a migrated, seeded database of its own and the real router on port 0.

use std::sync::{Arc, Mutex};

use sea_orm::{ColumnTrait, ConnectionTrait, Database, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};
use server::auth::{Claims, JwtSigner};
use server::cli::DemoRole;
use server::config::{AuthArgs, DatabaseArgs, JwtAlgorithm, LimitArgs, ServeArgs};

pub const SECRET: &str = "an-hs256-test-secret-of-at-least-32-bytes!";
pub const ISSUER: &str = "neighbourhood-test";
pub const AUDIENCE: &str = "neighbourhood-api";

/// Small enough to seed in well under a second, large enough to fill several pages of every cohort.
pub const TEST_POPULATION: u32 = 3_000;

pub struct TestApp {
    pub addr: std::net::SocketAddr,
    pub db: DatabaseConnection,
    pub client: reqwest::Client,
    /// Every statement the server (or the test, through `db`) has run, with its values inlined.
    statements: Arc<Mutex<Vec<String>>>,
    database: TestDatabase,
    database_url: String,
    server: tokio::task::JoinHandle<()>,
}

enum TestDatabase {
    Sqlite(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
        match &self.database {
            TestDatabase::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            TestDatabase::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime: use a thread with its own.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                    rt.block_on(async move {
                        if let Ok(admin) = Database::connect(&admin_url).await {
                            let _ = admin
                                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                                .await;
                            let _ = admin.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

pub fn hs256_auth() -> AuthArgs {
    AuthArgs {
        jwt_algorithm: JwtAlgorithm::Hs256,
        jwt_secret: Some(SECRET.to_owned().into()),
        jwt_public_key_file: None,
        jwt_private_key_file: None,
        jwt_issuer: ISSUER.to_owned(),
        jwt_audience: AUDIENCE.to_owned(),
        jwt_max_lifetime_minutes: 720,
        dev_secret_file: std::env::temp_dir().join("neighbourhood-test-unused-dev-secret"),
    }
}

pub fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/fixtures").join(name)
}

pub fn serve_args(limits: LimitArgs) -> ServeArgs {
    ServeArgs {
        addr: "127.0.0.1:0".parse().expect("addr"),
        demo: false,
        population: TEST_POPULATION,
        graphiql: Some(false),
        introspection: Some(false),
        limits,
        access: server::config::AccessArgs::default(),
        // The suite pages through whole populations as fast as it can: the brakes are off unless a
        // test turns them on (tests/e2e/brakes.rs).
        callers: server::config::CallerLimitArgs {
            rate_limit_requests_per_minute: 0,
            rate_limit_records_per_minute: 0,
            ..server::config::CallerLimitArgs::default()
        },
        log_format: server::config::LogFormat::Text,
    }
}

/// Options for `spawn_app_with`.
pub struct AppOptions {
    /// The pool and its timeouts (the URL is the test's own fresh database).
    pub database: DatabaseArgs,
    pub population: u32,
    pub neighbourhoods: u32,
    pub auth: AuthArgs,
    pub serve: ServeArgs,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            database: DatabaseArgs { db_max_connections: 5, ..DatabaseArgs::default() },
            population: TEST_POPULATION,
            neighbourhoods: 2,
            auth: hs256_auth(),
            serve: serve_args(LimitArgs::default()),
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(AppOptions::default()).await
}

async fn fresh_database() -> (String, TestDatabase) {
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    match std::env::var("NEIGHBOURHOOD_TEST_DATABASE").ok().filter(|v| !v.trim().is_empty()) {
        Some(server) => {
            let server = server.trim_end_matches('/').to_owned();
            let admin_url = format!("{server}/postgres");
            let name = format!("nbh_test_{suffix}");
            let admin = Database::connect(&admin_url).await.expect("connect to the PostgreSQL test server");
            admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create test database");
            admin.close().await.expect("close admin connection");
            (format!("{server}/{name}"), TestDatabase::Postgres { admin_url, name })
        }
        None => {
            let path = std::env::temp_dir().join(format!("nbh-test-{suffix}.db"));
            (format!("sqlite://{}?mode=rwc", path.display()), TestDatabase::Sqlite(path))
        }
    }
}

pub async fn spawn_app_with(options: AppOptions) -> TestApp {
    let (url, database) = fresh_database().await;
    let args = DatabaseArgs { database_url: url.clone(), ..options.database.clone() };
    let mut db = server::db::connect_and_migrate(&args).await.expect("connect and migrate");
    let demo = demo::DemoOptions {
        population: options.population,
        neighbourhoods: options.neighbourhoods,
        seed: 7,
        today: chrono::Utc::now().date_naive(),
        wrong_check_digits: false,
    };
    demo::seed_demo(&db, &demo).await.expect("seed demo");
    let statements = Arc::new(Mutex::new(Vec::new()));
    let log = statements.clone();
    // NEIGHBOURHOOD_TEST_PRINT_SQL=1 prints each statement (the start of it) as it runs: the way to
    // see what a statement budget is spent on.
    let print = std::env::var_os("NEIGHBOURHOOD_TEST_PRINT_SQL").is_some();
    db.set_metric_callback(move |info| {
        if print {
            eprintln!("SQL: {}", info.statement.sql.chars().take(160).collect::<String>());
        }
        log.lock().expect("statement log").push(info.statement.to_string());
    });
    let state = server::serve::build_state(db.clone(), &options.auth, &options.serve).await.expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        axum::serve(listener, server::http::router(state)).await.expect("serve");
    });
    TestApp { addr, db, client: reqwest::Client::new(), statements, database, database_url: url, server }
}

/// A fresh app for a test that only means something on PostgreSQL; `None` when the suite runs on
/// SQLite. The skip is then noted past the test harness's output capture, so that it shows in every
/// run (it is not a silent pass). `test` is the test's path (`module::name`).
pub async fn spawn_postgres_app(test: &str, why: &str) -> Option<TestApp> {
    use std::io::Write;
    if std::env::var("NEIGHBOURHOOD_TEST_DATABASE").is_ok_and(|v| !v.trim().is_empty()) {
        return Some(spawn_app().await);
    }
    let _ = writeln!(
        std::io::stderr(),
        "note: {test} SKIPPED on SQLite ({why}); run with NEIGHBOURHOOD_TEST_DATABASE=postgres://… to test it"
    );
    None
}

/// A GraphQL reply: HTTP status, content type and the JSON body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: Value,
}

impl Reply {
    pub fn data(&self) -> &Value {
        assert!(self.body.get("errors").is_none(), "unexpected errors: {}", self.body);
        &self.body["data"]
    }

    /// The `extensions.code` of the first error.
    pub fn error_code(&self) -> &str {
        self.body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code in {}", self.body))
    }

    pub fn error_message(&self) -> &str {
        self.body["errors"][0]["message"].as_str().unwrap_or_default()
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn practitioner(&self, role: DemoRole) -> entity::practitioner::Model {
        server::cli::token_practitioner(&self.db, server::cli::TokenSubject::Role(role))
            .await
            .expect("demo practitioner")
    }

    /// A practitioner of `role` whose organisation takes part in the given neighbourhood only.
    pub async fn practitioner_in(
        &self,
        role: entity::ProfessionalRole,
        neighbourhood: uuid::Uuid,
    ) -> entity::practitioner::Model {
        use entity::{neighbourhood_organisation as no, practitioner as p};
        let orgs: Vec<uuid::Uuid> = no::Entity::find()
            .filter(no::Column::NeighbourhoodId.eq(neighbourhood))
            .all(&self.db)
            .await
            .expect("members")
            .into_iter()
            .map(|m| m.organisation_id)
            .collect();
        p::Entity::find()
            .filter(p::Column::ProfessionalRole.eq(role))
            .filter(p::Column::OrganisationId.is_in(orgs))
            .order_by_asc(p::Column::Id)
            .one(&self.db)
            .await
            .expect("query")
            .expect("a practitioner of that role in the neighbourhood")
    }

    pub fn signer(&self) -> JwtSigner {
        JwtSigner::hs256(SECRET.as_bytes(), ISSUER, AUDIENCE)
    }

    pub fn claims(&self, practitioner: &entity::practitioner::Model) -> Claims {
        self.signer().claims_for(practitioner, chrono::Duration::hours(1))
    }

    pub fn token_for_practitioner(&self, practitioner: &entity::practitioner::Model) -> String {
        let signer = self.signer();
        signer.sign(&signer.claims_for(practitioner, chrono::Duration::hours(1))).expect("sign")
    }

    pub async fn token(&self, role: DemoRole) -> String {
        let p = self.practitioner(role).await;
        self.token_for_practitioner(&p)
    }

    /// POSTs `body` as a GraphQL-over-HTTP client does, asking for
    /// `application/graphql-response+json` first (request errors are then HTTP 400).
    pub async fn post_raw(&self, token: Option<&str>, body: Value) -> Reply {
        let mut request = self
            .client
            .post(self.url("/graphql"))
            .header("accept", "application/graphql-response+json, application/json;q=0.9")
            .json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let content_type =
            response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply { status, content_type, body }
    }

    pub async fn gql(&self, token: &str, query: &str, variables: Value) -> Reply {
        self.post_raw(Some(token), json!({ "query": query, "variables": variables })).await
    }

    pub fn statement_count(&self) -> usize {
        self.statements.lock().expect("statement log").len()
    }

    /// The statements run since `statement_count()` returned `mark`, with their values inlined.
    pub fn statements_since(&self, mark: usize) -> Vec<String> {
        self.statements.lock().expect("statement log")[mark..].to_vec()
    }

    /// The first neighbourhood (by name) and its id.
    /// Of these people, those who do not object to sharing beyond their practice (the demo records
    /// a few who do, whom no relationship but their practice's opens): for tests about relationships.
    pub async fn sharing(&self, ids: impl IntoIterator<Item = String>) -> Vec<String> {
        let objecting: std::collections::HashSet<String> = entity::patient::Entity::find()
            .filter(entity::patient::Column::ObjectsToSharing.eq(true))
            .all(&self.db)
            .await
            .expect("patients")
            .into_iter()
            .map(|p| p.id.to_string())
            .collect();
        ids.into_iter().filter(|id| !objecting.contains(id)).collect()
    }

    pub async fn neighbourhoods(&self) -> Vec<entity::neighbourhood::Model> {
        entity::neighbourhood::Entity::find()
            .order_by_asc(entity::neighbourhood::Column::Name)
            .all(&self.db)
            .await
            .expect("neighbourhoods")
    }

    pub fn database_url(&self) -> String {
        self.database_url.clone()
    }

    /// The test database, analysed, through a pool of exactly one connection: what a test sets on
    /// the session and the statements it prepares stay with every later call.
    pub async fn one_connection(&self) -> DatabaseConnection {
        self.db.execute_unprepared("ANALYZE").await.expect("analyse");
        let mut options = sea_orm::ConnectOptions::new(self.database_url());
        options.max_connections(1).min_connections(1).sqlx_logging(false);
        Database::connect(options).await.expect("one connection")
    }

    /// The whole access audit, one row per person per audited operation, oldest first.
    pub async fn audit_trail(&self) -> Vec<AuditRow> {
        audit_trail(&self.db).await
    }
}

/// One person read or written in one audited operation (an `access_event_patient` with its event).
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub event_id: uuid::Uuid,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    pub practitioner_id: uuid::Uuid,
    pub organisation_id: uuid::Uuid,
    pub professional_role: String,
    pub operation: String,
    pub field_path: Option<String>,
    pub request_id: Option<String>,
    pub patient_id: uuid::Uuid,
    pub access_reason: String,
}

impl AuditRow {
    /// `query Name / field.path`: the operation and the path it read through.
    pub fn label(&self) -> String {
        match &self.field_path {
            Some(path) => format!("{} / {path}", self.operation),
            None => self.operation.clone(),
        }
    }
}

pub async fn audit_trail(db: &sea_orm::DatabaseConnection) -> Vec<AuditRow> {
    let rows = entity::access_event_patient::Entity::find()
        .find_also_related(entity::access_event::Entity)
        .order_by_asc(entity::access_event_patient::Column::EventId)
        .order_by_asc(entity::access_event_patient::Column::PatientId)
        .all(db)
        .await
        .expect("the access audit");
    rows.into_iter()
        .map(|(person, event)| {
            let event = event.expect("every person audited belongs to an event");
            AuditRow {
                event_id: event.id,
                occurred_at: event.occurred_at,
                practitioner_id: event.practitioner_id,
                organisation_id: event.organisation_id,
                professional_role: event.professional_role,
                operation: event.operation,
                field_path: event.field_path,
                request_id: event.request_id,
                patient_id: person.patient_id,
                access_reason: person.access_reason,
            }
        })
        .collect()
}
