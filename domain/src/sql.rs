//! Hand-written SQL for the aggregate queries that sea-query cannot express comfortably (window
//! functions over common table expressions), written once for both backends: placeholders and
//! the few functions that differ are produced here, and key lists that each backend binds its own way.

use sea_orm::sea_query::{Expr, ExprTrait, PgFunc, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseBackend, QueryResult, Statement, Value};
use uuid::Uuid;

use crate::error::AppResult;

/// A statement under construction with the backend's placeholders.
pub struct Sql {
    pub backend: DatabaseBackend,
    pub values: Vec<Value>,
}

impl Sql {
    pub fn new(backend: DatabaseBackend) -> Self {
        Self { backend, values: Vec::new() }
    }

    /// Binds a value and returns its placeholder.
    pub fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        match self.backend {
            DatabaseBackend::Postgres => format!("${}", self.values.len()),
            _ => "?".to_owned(),
        }
    }

    /// Seconds from `a` to `b` (timestamps), as a double.
    /// One placeholder per key, comma-separated, for `IN (…)` in hand-written SQL.
    pub fn bind_list(&mut self, keys: &[Uuid]) -> String {
        keys.iter().map(|k| self.bind(*k)).collect::<Vec<_>>().join(", ")
    }

    pub fn seconds_between(&self, a: &str, b: &str) -> String {
        match self.backend {
            DatabaseBackend::Postgres => format!("CAST(EXTRACT(EPOCH FROM ({b} - {a})) AS DOUBLE PRECISION)"),
            _ => format!("((julianday({b}) - julianday({a})) * 86400.0)"),
        }
    }

    /// Runs `statement` with the values bound so far.
    pub async fn query_all(self, db: &impl ConnectionTrait, statement: String) -> AppResult<Vec<QueryResult>> {
        Ok(db.query_all_raw(Statement::from_sql_and_values(self.backend, statement, self.values)).await?)
    }
}

/// A count column (NULL as 0).
pub fn count(row: &QueryResult, column: &str) -> AppResult<u64> {
    let n: Option<i64> = row.try_get("", column)?;
    Ok(n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
}

/// `column IN (keys)` for the batched key lists of the read path (loaders and per-key counts). On
/// PostgreSQL it is `column = ANY($1)` with the keys as one array parameter, so that the statement
/// text does not depend on how many keys a batch holds: one prepared statement per loader instead
/// of one per batch size, and PostgreSQL can keep its generic plan instead of planning every
/// execution again. SQLite has no arrays and keeps `IN`.
///
/// One key is `column = $1` on PostgreSQL: a generic plan for `= ANY($1)` must guess how many keys
/// the array holds, and where that guess makes it dearer than the plan for the actual single key
/// PostgreSQL plans every execution again for good. The equality has a generic plan as good as
/// any, so one key costs one cached plan, and a batch another (what each cost:
/// bench/README.md, "Measurements behind the code").
pub fn any_of(backend: DatabaseBackend, column: impl ColumnTrait, keys: &[Uuid]) -> SimpleExpr {
    match (backend, keys) {
        (DatabaseBackend::Postgres, [one]) => column.eq(*one),
        (DatabaseBackend::Postgres, _) => Expr::col(column.as_column_ref()).eq(PgFunc::any(Expr::val(keys.to_vec()))),
        _ => column.is_in(keys.iter().copied()),
    }
}

/// After a bulk load: the planner's statistics, measured now, on both backends. It may run inside
/// the loading transaction (both backends allow it, and both sample the transaction's own rows), so
/// that the statements that follow in it are planned for what is there.
/// * SQLite has no statistics until asked, and without them picks the name order over the
///   neighbourhood index for a cohort page.
/// * PostgreSQL's autovacuum analyses loaded tables on its own, but only after the commit: until
///   then the planner takes the tables for small, which the demo's MDT proposals, run inside its
///   transaction, pay for at scale.
pub async fn refresh_statistics(db: &impl ConnectionTrait) -> Result<(), sea_orm::DbErr> {
    db.execute_unprepared("ANALYZE").await?;
    Ok(())
}
