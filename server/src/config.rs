//! Typed configuration, read once at start from flags and environment variables (clap) and
//! checked before anything else happens: a bad value stops the process with a message naming it.

use std::net::SocketAddr;
use std::path::PathBuf;

use api::schema::SchemaSettings;
use clap::{Args, ValueEnum};
use secrecy::SecretString;

/// Where the embedded default database lives when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/neighbourhood.db?mode=rwc";

#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Database to use: `sqlite://path?mode=rwc` (embedded default) or `postgres://user@host/db`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,

    /// Maximum connections in the pool (PostgreSQL; SQLite uses one writer).
    #[arg(long, env = "NEIGHBOURHOOD_DB_MAX_CONNECTIONS", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=500), global = true)]
    pub db_max_connections: u32,

    /// How long a request waits for a pooled connection before it is answered `UNAVAILABLE`
    /// (retryable; HTTP 503 with `Retry-After` when nothing of it could run), in seconds.
    #[arg(long, env = "NEIGHBOURHOOD_DB_ACQUIRE_TIMEOUT_SECONDS", default_value_t = 3,
          value_parser = clap::value_parser!(u64).range(1..=120), global = true)]
    pub db_acquire_timeout_seconds: u64,

    /// Longest a statement may run (PostgreSQL's `statement_timeout`) or wait for a lock
    /// (SQLite's busy timeout) before it is abandoned and answered `UNAVAILABLE`, in seconds; so
    /// that one blocked statement cannot hold a connection indefinitely.
    #[arg(long, env = "NEIGHBOURHOOD_DB_STATEMENT_TIMEOUT_SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3_600), global = true)]
    pub db_statement_timeout_seconds: u64,
}

impl Default for DatabaseArgs {
    fn default() -> Self {
        Self {
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            db_max_connections: 10,
            db_acquire_timeout_seconds: 3,
            db_statement_timeout_seconds: 30,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum JwtAlgorithm {
    /// Shared secret; development and tests.
    Hs256,
    /// RSA public key (PEM); production.
    Rs256,
    /// ECDSA P-256 public key (PEM); production.
    Es256,
}

impl JwtAlgorithm {
    pub fn to_jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        match self {
            Self::Hs256 => jsonwebtoken::Algorithm::HS256,
            Self::Rs256 => jsonwebtoken::Algorithm::RS256,
            Self::Es256 => jsonwebtoken::Algorithm::ES256,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct AuthArgs {
    /// Signature algorithm every token must use; any other is refused.
    #[arg(long, env = "NEIGHBOURHOOD_JWT_ALGORITHM", value_enum, default_value = "HS256", global = true)]
    pub jwt_algorithm: JwtAlgorithm,

    /// HS256 shared secret (at least 32 bytes). When unset, a development secret is generated
    /// once in `NEIGHBOURHOOD_DEV_SECRET_FILE` and used by both `serve` and `token`.
    #[arg(long, env = "NEIGHBOURHOOD_JWT_SECRET", hide_env_values = true, global = true)]
    pub jwt_secret: Option<SecretString>,

    /// PEM public key for RS256/ES256 verification.
    #[arg(long, env = "NEIGHBOURHOOD_JWT_PUBLIC_KEY_FILE", global = true)]
    pub jwt_public_key_file: Option<PathBuf>,

    /// PEM private key for RS256/ES256 signing (only the `token` command uses it).
    #[arg(long, env = "NEIGHBOURHOOD_JWT_PRIVATE_KEY_FILE", global = true)]
    pub jwt_private_key_file: Option<PathBuf>,

    /// Required `iss` claim.
    #[arg(long, env = "NEIGHBOURHOOD_JWT_ISSUER", default_value = "neighbourhood-dev", global = true)]
    pub jwt_issuer: String,

    /// Required `aud` claim.
    #[arg(long, env = "NEIGHBOURHOOD_JWT_AUDIENCE", default_value = "neighbourhood-api", global = true)]
    pub jwt_audience: String,

    /// Longest token lifetime accepted (`exp - iat`), in minutes; longer-lived tokens are refused.
    #[arg(long, env = "NEIGHBOURHOOD_JWT_MAX_LIFETIME_MINUTES", default_value_t = 720,
          value_parser = clap::value_parser!(i64).range(1..=10_080), global = true)]
    pub jwt_max_lifetime_minutes: i64,

    /// Where the generated development HS256 secret is kept.
    #[arg(long, env = "NEIGHBOURHOOD_DEV_SECRET_FILE", default_value = "data/dev-jwt-secret", global = true)]
    pub dev_secret_file: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "NEIGHBOURHOOD_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// Seed the demo neighbourhood when the database is empty, and turn on GraphiQL and
    /// introspection unless they are set explicitly.
    #[arg(long)]
    pub demo: bool,

    /// Population of the demo neighbourhood (with --demo).
    #[arg(long, default_value_t = 50_000)]
    pub population: u32,

    /// Serve GraphiQL on GET /graphql (default: on with --demo, off otherwise).
    #[arg(long, env = "NEIGHBOURHOOD_GRAPHIQL")]
    pub graphiql: Option<bool>,

    /// Answer introspection queries (default: on with --demo, off otherwise).
    #[arg(long, env = "NEIGHBOURHOOD_INTROSPECTION")]
    pub introspection: Option<bool>,

    #[command(flatten)]
    pub limits: LimitArgs,

    #[command(flatten)]
    pub access: AccessArgs,

    #[command(flatten)]
    pub callers: CallerLimitArgs,

    /// Log format.
    #[arg(long, env = "NEIGHBOURHOOD_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
}

/// Access rules that are a matter of local policy.
#[derive(Debug, Clone, Copy, Args)]
pub struct AccessArgs {
    /// Days before an MDT meeting from which an invited practitioner may open the records of the
    /// people on its agenda.
    #[arg(long, env = "NEIGHBOURHOOD_MDT_ACCESS_DAYS_BEFORE", default_value_t = 7,
          value_parser = clap::value_parser!(u32).range(0..=60))]
    pub mdt_access_days_before: u32,

    /// Days after an MDT meeting ends during which that access lasts (for follow-up).
    #[arg(long, env = "NEIGHBOURHOOD_MDT_ACCESS_DAYS_AFTER", default_value_t = 14,
          value_parser = clap::value_parser!(u32).range(0..=90))]
    pub mdt_access_days_after: u32,

    /// Days after a referral ends during which the receiving organisation's staff and the
    /// assigned worker still reach the person through it (a late letter, a re-referral, the
    /// outcome to record); an open referral always gives that relationship.
    #[arg(long, env = "NEIGHBOURHOOD_REFERRAL_ACCESS_DAYS_AFTER_END", default_value_t = 90,
          value_parser = clap::value_parser!(u32).range(0..=365))]
    pub referral_access_days_after_end: u32,

    /// Hours a break-glass use opens a record for (a clinician without a care relationship, in an
    /// emergency, with a stated reason; every use goes to the privacy officer's review).
    #[arg(long, env = "NEIGHBOURHOOD_BREAK_GLASS_HOURS", default_value_t = 4,
          value_parser = clap::value_parser!(u32).range(1..=24))]
    pub break_glass_hours: u32,
}

impl Default for AccessArgs {
    fn default() -> Self {
        let windows = domain::auth::AccessWindows::default();
        Self {
            mdt_access_days_before: windows.mdt_days_before,
            mdt_access_days_after: windows.mdt_days_after,
            referral_access_days_after_end: windows.referral_days_after_end,
            break_glass_hours: windows.break_glass_hours,
        }
    }
}

impl AccessArgs {
    /// The windows of the relationships that open records for a time.
    pub fn windows(&self) -> domain::auth::AccessWindows {
        domain::auth::AccessWindows {
            mdt_days_before: self.mdt_access_days_before,
            mdt_days_after: self.mdt_access_days_after,
            referral_days_after_end: self.referral_access_days_after_end,
            break_glass_hours: self.break_glass_hours,
        }
    }
}

/// Per-caller limits: a brake on bulk reading, and on live updates multiplied by connections.
#[derive(Debug, Clone, Copy, Args)]
pub struct CallerLimitArgs {
    /// GraphQL requests one practitioner may make a minute (a batch counts each operation, a
    /// websocket each subscribe); 0 turns the brake off.
    #[arg(long, env = "NEIGHBOURHOOD_RATE_LIMIT_REQUESTS_PER_MINUTE", default_value_t = 600,
          value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub rate_limit_requests_per_minute: u32,

    /// Identifiable patient records one practitioner may read a minute (every audited read
    /// counts its people); 0 turns the brake off.
    #[arg(long, env = "NEIGHBOURHOOD_RATE_LIMIT_RECORDS_PER_MINUTE", default_value_t = 1_000,
          value_parser = clap::value_parser!(u32).range(0..=10_000_000))]
    pub rate_limit_records_per_minute: u32,

    /// Websocket connections one practitioner may hold open at once.
    #[arg(long, env = "NEIGHBOURHOOD_MAX_WEBSOCKETS_PER_CALLER", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub max_websockets_per_caller: u32,

    /// Subscriptions one practitioner may run at once, over all their connections.
    #[arg(long, env = "NEIGHBOURHOOD_MAX_SUBSCRIPTIONS_PER_CALLER", default_value_t = 20,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub max_subscriptions_per_caller: u32,
}

impl Default for CallerLimitArgs {
    fn default() -> Self {
        Self {
            rate_limit_requests_per_minute: 600,
            rate_limit_records_per_minute: 1_000,
            max_websockets_per_caller: 5,
            max_subscriptions_per_caller: 20,
        }
    }
}

/// Request limits. Every request is bounded in size, batch, depth, complexity and aliases.
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Largest request body accepted, in bytes (larger gets 413).
    #[arg(long, env = "NEIGHBOURHOOD_MAX_BODY_BYTES", default_value_t = 65_536,
          value_parser = clap::value_parser!(u64).range(1_024..=10_485_760))]
    pub max_body_bytes: u64,

    /// Most operations in one batched request.
    #[arg(long, env = "NEIGHBOURHOOD_MAX_BATCH", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_batch: u32,

    /// Deepest selection nesting.
    #[arg(long, env = "NEIGHBOURHOOD_MAX_DEPTH", default_value_t = SchemaSettings::DEFAULT.max_depth,
          value_parser = clap::value_parser!(u32).range(2..=64))]
    pub max_depth: u32,

    /// Highest query complexity (each field costs 1; list fields multiply by their page size).
    #[arg(long, env = "NEIGHBOURHOOD_MAX_COMPLEXITY", default_value_t = SchemaSettings::DEFAULT.max_complexity,
          value_parser = clap::value_parser!(u32).range(10..=1_000_000))]
    pub max_complexity: u32,

    /// Most aliased fields in one request (aliases of `__typename` included).
    #[arg(long, env = "NEIGHBOURHOOD_MAX_ALIASES", default_value_t = SchemaSettings::DEFAULT.max_aliases,
          value_parser = clap::value_parser!(u32).range(0..=1_000))]
    pub max_aliases: u32,

    /// Most field selections in one request after expanding fragments (`__typename` included).
    #[arg(long, env = "NEIGHBOURHOOD_MAX_FIELDS", default_value_t = SchemaSettings::DEFAULT.max_fields,
          value_parser = clap::value_parser!(u32).range(10..=100_000))]
    pub max_fields: u32,

    /// Answer with "did you mean …" suggestions on unknown fields.
    #[arg(long, env = "NEIGHBOURHOOD_FIELD_SUGGESTIONS", default_value_t = SchemaSettings::DEFAULT.field_suggestions)]
    pub field_suggestions: bool,
}

impl Default for LimitArgs {
    fn default() -> Self {
        Self {
            max_body_bytes: 65_536,
            max_batch: 10,
            max_depth: SchemaSettings::DEFAULT.max_depth,
            max_complexity: SchemaSettings::DEFAULT.max_complexity,
            max_aliases: SchemaSettings::DEFAULT.max_aliases,
            max_fields: SchemaSettings::DEFAULT.max_fields,
            field_suggestions: SchemaSettings::DEFAULT.field_suggestions,
        }
    }
}

impl LimitArgs {
    /// The settings of the schema these limits build (the body size and batch are HTTP's).
    pub fn schema(&self, introspection: bool) -> SchemaSettings {
        SchemaSettings {
            max_depth: self.max_depth,
            max_complexity: self.max_complexity,
            max_aliases: self.max_aliases,
            max_fields: self.max_fields,
            field_suggestions: self.field_suggestions,
            introspection,
        }
    }
}
