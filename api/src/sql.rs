//! Hand-written SQL for the aggregate queries that sea-query cannot express comfortably (window
//! functions over common table expressions), written once for both backends: placeholders and
//! the few functions that differ are produced here.

use sea_orm::{ConnectionTrait, DatabaseBackend, QueryResult, Statement, Value};

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
