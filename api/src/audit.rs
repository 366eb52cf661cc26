//! The access audit: every read of a patient's record is committed before the response that shows
//! it leaves the server.
//!
//! Reads are written by one writer task per process with group commit: a request hands its rows to
//! the writer and waits until they are committed; the writer takes everything that is waiting at
//! that moment and writes it as one statement. One request alone is one statement, as before; under
//! load, eight concurrent requests cost one statement and one WAL flush instead of eight (the
//! benchmark showed the audit insert as the most expensive statement of a read). On PostgreSQL the
//! rows travel as one array parameter per column, so the statement text, and so its prepared plan,
//! is the same whatever the batch size. SQLite, in process, takes each request's rows as one multi-row insert,
//! and a batch's inserts in one transaction (one commit).

use chrono::Utc;
use sea_orm::{
    ActiveEnum, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, IntoActiveModel, Statement,
    TransactionTrait,
};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use entity::access_audit;

use crate::auth::{AccessReason, Caller};
use crate::error::{AppError, AppResult};

/// Rows per statement (on SQLite, 9 parameters each keeps well under its limit of 32,766); a larger
/// batch is written in chunks inside one transaction. Also the most rows the writer takes into one batch.
const MAX_ROWS_PER_STATEMENT: usize = 2_000;
/// Requests waiting for the writer before senders wait too (back-pressure, not loss).
const QUEUE: usize = 1_024;

/// The process's audit writer. Cloning shares it.
#[derive(Clone)]
pub struct AuditLog {
    queue: mpsc::Sender<Pending>,
}

/// One request's rows and where to say that they are committed.
struct Pending {
    rows: Vec<access_audit::Model>,
    done: oneshot::Sender<AppResult<()>>,
}

impl AuditLog {
    /// Starts the writer on the current tokio runtime. It stops when the last `AuditLog` is dropped,
    /// after writing what it holds.
    pub fn start(db: DatabaseConnection) -> Self {
        let (queue, pending) = mpsc::channel(QUEUE);
        tokio::spawn(write_loop(db, pending));
        Self { queue }
    }

    /// Records that `caller` read each of `patients` through `operation`, and returns once the rows
    /// are committed (or with the error that stopped them).
    pub async fn record_reads(
        &self,
        caller: &Caller,
        patients: &[(Uuid, AccessReason)],
        operation: &str,
        request_id: &str,
    ) -> AppResult<()> {
        if patients.is_empty() {
            return Ok(());
        }
        let now = Utc::now();
        let operation: String = operation.chars().take(300).collect();
        let request_id: String = request_id.chars().take(64).collect();
        let role = caller.role.to_value();
        let rows = patients
            .iter()
            .map(|(patient_id, reason)| access_audit::Model {
                id: Uuid::now_v7(),
                occurred_at: now,
                practitioner_id: caller.practitioner_id,
                organisation_id: caller.organisation_id,
                professional_role: role.clone(),
                patient_id: *patient_id,
                operation: operation.clone(),
                access_reason: reason.as_str().to_owned(),
                request_id: Some(request_id.clone()),
            })
            .collect();
        let (done, committed) = oneshot::channel();
        self.queue
            .send(Pending { rows, done })
            .await
            .map_err(|_| AppError::internal(anyhow::anyhow!("the audit writer has stopped")))?;
        committed
            .await
            .map_err(|_| AppError::internal(anyhow::anyhow!("the audit writer stopped before committing")))?
    }
}

/// Takes whatever is waiting, writes it, tells every request the outcome; again until closed.
async fn write_loop(db: DatabaseConnection, mut pending: mpsc::Receiver<Pending>) {
    let mut carried: Option<Pending> = None;
    loop {
        let first = match carried.take() {
            Some(next) => next,
            None => match pending.recv().await {
                Some(next) => next,
                None => return,
            },
        };
        let mut rows = first.rows.len();
        let mut batch = vec![first];
        while rows < MAX_ROWS_PER_STATEMENT {
            let Ok(next) = pending.try_recv() else { break };
            if rows + next.rows.len() > MAX_ROWS_PER_STATEMENT {
                carried = Some(next);
                break;
            }
            rows += next.rows.len();
            batch.push(next);
        }
        let outcome = write(&db, &batch).await;
        if let Err(e) = &outcome {
            tracing::error!(error = ?e, rows, requests = batch.len(), "writing the access audit failed");
        }
        for request in batch {
            // A request that has gone away no longer waits; its rows are written all the same.
            let _ = request.done.send(outcome.clone());
        }
    }
}

async fn write(db: &DatabaseConnection, batch: &[Pending]) -> AppResult<()> {
    if db.get_database_backend() == DatabaseBackend::Postgres {
        let rows: Vec<&access_audit::Model> = batch.iter().flat_map(|p| &p.rows).collect();
        if rows.len() <= MAX_ROWS_PER_STATEMENT {
            return insert_arrays(db, &rows).await;
        }
        // Several statements: one transaction, so that a batch is written whole or not at all.
        let txn = db.begin().await?;
        for chunk in rows.chunks(MAX_ROWS_PER_STATEMENT) {
            insert_arrays(&txn, chunk).await?;
        }
        txn.commit().await?;
        return Ok(());
    }
    // SQLite compiles and caches every statement text per connection: one insert per request keeps
    // the texts to the sizes requests read (a page), where an insert per batch size filled those
    // caches with large programs (peak RSS 170 MiB instead of 76 in the benchmark). The batch's
    // inserts share one transaction: one commit, written whole or not at all.
    if let [only] = batch {
        if only.rows.len() <= MAX_ROWS_PER_STATEMENT {
            return insert_values(db, &only.rows).await;
        }
    }
    let txn = db.begin().await?;
    for request in batch {
        for chunk in request.rows.chunks(MAX_ROWS_PER_STATEMENT) {
            insert_values(&txn, chunk).await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// SQLite: a multi-row insert.
async fn insert_values(db: &impl ConnectionTrait, rows: &[access_audit::Model]) -> AppResult<()> {
    access_audit::Entity::insert_many(rows.iter().cloned().map(IntoActiveModel::into_active_model))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// PostgreSQL: one array parameter per column, unnested into rows, so one statement text (one
/// prepared plan) whatever the batch size. Arrays travel in PostgreSQL's binary format: the
/// benchmark measured a 115-row insert at about 60% of the time of the same rows as one JSON
/// document, which PostgreSQL had to parse.
async fn insert_arrays(db: &impl ConnectionTrait, rows: &[&access_audit::Model]) -> AppResult<()> {
    fn column<T>(rows: &[&access_audit::Model], f: impl Fn(&access_audit::Model) -> T) -> sea_orm::Value
    where
        Vec<T>: Into<sea_orm::Value>,
    {
        rows.iter().map(|r| f(r)).collect::<Vec<T>>().into()
    }
    db.execute_raw(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        PG_INSERT,
        [
            column(rows, |r| r.id),
            column(rows, |r| r.occurred_at.fixed_offset()),
            column(rows, |r| r.practitioner_id),
            column(rows, |r| r.organisation_id),
            column(rows, |r| r.professional_role.clone()),
            column(rows, |r| r.patient_id),
            column(rows, |r| r.operation.clone()),
            column(rows, |r| r.access_reason.clone()),
            // Arrays of text carry no NULLs here: an absent request id travels as '' and is stored as NULL.
            column(rows, |r| r.request_id.clone().unwrap_or_default()),
        ],
    ))
    .await?;
    Ok(())
}

const PG_INSERT: &str = "INSERT INTO access_audit (id, occurred_at, practitioner_id, organisation_id, \
     professional_role, patient_id, operation, access_reason, request_id) \
     SELECT id, occurred_at, practitioner_id, organisation_id, professional_role, patient_id, operation, \
     access_reason, NULLIF(request_id, '') \
     FROM unnest($1::uuid[], $2::timestamptz[], $3::uuid[], $4::uuid[], $5::text[], $6::uuid[], $7::text[], \
     $8::text[], $9::text[]) AS r(id, occurred_at, practitioner_id, organisation_id, professional_role, \
     patient_id, operation, access_reason, request_id)";
