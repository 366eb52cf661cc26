//! Opening the database: SQLite (embedded default, file created on first use) or PostgreSQL,
//! migrated to the latest schema before anything else touches it.

use std::time::Duration;

use anyhow::{bail, Context};
use migration::MigratorTrait;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection};

use crate::config::DatabaseArgs;

/// A pooled connection is checked with a round trip before it is handed out only when it has been
/// idle at least this long. sqlx otherwise pings on every acquire, and sea-orm acquires once per
/// statement: with the ping sqlx always sends when a connection goes back to the pool, every
/// statement cost three round trips instead of two (an MDT view's 13 statements, 13 extra pings).
/// A connection in steady use has just answered its last statement and the release ping; one that
/// sat idle may have been dropped by a database restart, a proxy or a firewall, and is still
/// checked, and replaced without the caller noticing when it is gone.
pub const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

/// Connects (creating the SQLite file and its folder when needed) without migrating.
pub async fn connect(args: &DatabaseArgs) -> anyhow::Result<DatabaseConnection> {
    let url = args.database_url.trim();
    if let Some(path) = sqlite_file(url) {
        if let Some(dir) = std::path::Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating the database folder {}", dir.display()))?;
        }
    } else if !(url.starts_with("postgres://") || url.starts_with("postgresql://") || url.starts_with("sqlite:")) {
        bail!("DATABASE_URL must start with sqlite:// or postgres:// (got {:?})", redact(url));
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(args.db_max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(args.db_acquire_timeout_seconds))
        .statement_timeout(Duration::from_secs(args.db_statement_timeout_seconds))
        .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR)
        .sqlx_logging(false);
    let busy = Duration::from_secs(args.db_statement_timeout_seconds);
    options.map_sqlx_sqlite_opts(move |sqlite| sqlite.busy_timeout(busy));
    let db = Database::connect(options).await.with_context(|| format!("connecting to {}", redact(url)))?;
    if db.get_database_backend() == DatabaseBackend::Sqlite && sqlite_file(url).is_some() {
        // Readers do not block the writer; survives restarts (it is a property of the file).
        db.execute_unprepared("PRAGMA journal_mode=WAL").await.context("enabling SQLite WAL")?;
    }
    Ok(db)
}

/// Connects and applies every pending migration. On SQLite it then lets the planner refresh the
/// statistics of any table that lacks them or has changed much since (`PRAGMA optimize`): SQLite
/// keeps none unless asked, and without them it cannot tell a selective index from a broad one.
pub async fn connect_and_migrate(args: &DatabaseArgs) -> anyhow::Result<DatabaseConnection> {
    let db = connect(args).await?;
    migrate(&db).await?;
    if db.get_database_backend() == DatabaseBackend::Sqlite {
        // 0x10000: every table, not only those this connection has queried; 0x02: analyse where useful.
        db.execute_unprepared("PRAGMA optimize=0x10002").await.context("refreshing SQLite's planner statistics")?;
    }
    Ok(db)
}

pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    migration::Migrator::up(db, None).await.context("applying database migrations")
}

/// The file path of a `sqlite://path?…` URL, or `None` for memory databases and other backends.
fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// The URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths_and_redaction() {
        assert_eq!(sqlite_file("sqlite://data/n.db?mode=rwc"), Some("data/n.db"));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://x"), None);
        assert_eq!(redact("postgres://app:s3cret@db:5432/n"), "postgres://app:***@db:5432/n");
        assert_eq!(redact("postgres://postgres@127.0.0.1/n"), "postgres://postgres@127.0.0.1/n");
    }
}
