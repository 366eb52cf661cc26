//! The access audit: every read of a patient's record is committed before the response that shows
//! it leaves the server.
//!
//! One audited operation of one request is one `access_event` (who, as what, when, which operation,
//! through which field path, which request) with one `access_event_patient` row per person it read
//! (patient, reason). The
//! people of one operation are a set: a page that shows someone twice (two of their referrals)
//! records them once, with the first reason given.
//!
//! Reads are written by one writer task per process with group commit: a request hands its event to
//! the writer and waits until it is committed; the writer takes everything that is waiting at that
//! moment and writes it as one statement. One request alone is one statement, as before; under
//! load, eight concurrent requests cost one statement and one WAL flush instead of eight (why:
//! bench/README.md, "Measurements behind the code"). On PostgreSQL the
//! rows travel as one array parameter per column, events and people in the same statement, so the
//! statement text, and so its prepared plan, is the same whatever the batch size, and an event is
//! never stored without its people. SQLite, in process, takes each request's event and people as two
//! inserts, and a batch's inserts in one transaction (one commit).

use std::collections::HashSet;

use chrono::Utc;
use sea_orm::{
    ActiveEnum, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, IntoActiveModel, Statement,
    TransactionTrait,
};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use entity::{access_event, access_event_patient};

use crate::auth::{AccessReason, Caller};
use crate::brake::Brakes;
use crate::error::{AppError, AppResult};

/// People per statement (on SQLite, 3 parameters each keeps well under its limit of 32,766); a
/// larger batch is written in chunks inside one transaction. Also the most people the writer takes
/// into one batch.
const MAX_ROWS_PER_STATEMENT: usize = 2_000;
/// Requests waiting for the writer before senders wait too (back-pressure, not loss).
const QUEUE: usize = 1_024;

/// The process's audit writer. Cloning shares it.
#[derive(Clone)]
pub struct AuditLog {
    queue: mpsc::Sender<Pending>,
    /// Every audited read passes here first: the caller's allowance of records read a minute.
    brakes: Brakes,
}

/// One request's audited operation, its people, and where to say that they are committed.
struct Pending {
    event: access_event::Model,
    people: Vec<access_event_patient::Model>,
    done: oneshot::Sender<AppResult<()>>,
}

impl AuditLog {
    /// Starts the writer on the current tokio runtime. It stops when the last `AuditLog` is dropped,
    /// after writing what it holds.
    pub fn start(db: DatabaseConnection) -> Self {
        let (queue, pending) = mpsc::channel(QUEUE);
        tokio::spawn(write_loop(db, pending));
        Self { queue, brakes: Brakes::off() }
    }

    /// The writer, with every read first admitted by `brakes` (records read a minute per caller).
    pub fn with_brakes(self, brakes: Brakes) -> Self {
        Self { brakes, ..self }
    }

    /// Records that `caller` read each of `patients` through `operation` (`query Name`) at
    /// `field_path`, and returns once the rows are committed (or with the error that stopped them).
    /// A person listed twice is recorded once, with the first reason.
    pub async fn record_reads(
        &self,
        caller: &Caller,
        patients: &[(Uuid, AccessReason)],
        operation: &str,
        field_path: Option<&str>,
        request_id: &str,
    ) -> AppResult<()> {
        if patients.is_empty() {
            return Ok(());
        }
        // Over the caller's allowance, the read is refused before anything is written or shown.
        self.brakes.admit_records(caller, patients.len(), request_id).await?;
        let event = access_event::Model {
            id: Uuid::now_v7(),
            occurred_at: Utc::now(),
            practitioner_id: caller.practitioner_id,
            organisation_id: caller.organisation_id,
            professional_role: caller.role.to_value(),
            operation: operation.chars().take(300).collect(),
            field_path: field_path.map(str::to_owned),
            request_id: Some(request_id.chars().take(64).collect()),
        };
        let mut seen = HashSet::with_capacity(patients.len());
        let people = patients
            .iter()
            .filter(|(patient_id, _)| seen.insert(*patient_id))
            .map(|(patient_id, reason)| access_event_patient::Model {
                patient_id: *patient_id,
                event_id: event.id,
                access_reason: reason.as_str().to_owned(),
            })
            .collect();
        let (done, committed) = oneshot::channel();
        self.queue
            .send(Pending { event, people, done })
            .await
            .map_err(|_| AppError::internal(anyhow::anyhow!("the audit writer has stopped")))?;
        committed
            .await
            .map_err(|_| AppError::internal(anyhow::anyhow!("the audit writer stopped before committing")))?
    }
}

/// The smallest event id an event recorded at or after `t` can have. Event ids are UUID v7: their
/// first 48 bits are the millisecond they were made, and both databases order UUIDs by their bytes,
/// so a period of the trail is a range of `access_event`'s key (`id >= first_event_id_at(from) AND
/// id < first_event_id_at(to)`), with no index on the time to keep up on every audited read.
pub fn first_event_id_at(t: chrono::DateTime<Utc>) -> Uuid {
    let millis = u64::try_from(t.timestamp_millis()).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(millis, &[0; 10]).into_uuid()
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
        let mut rows = first.people.len();
        let mut batch = vec![first];
        while rows < MAX_ROWS_PER_STATEMENT {
            let Ok(next) = pending.try_recv() else { break };
            if rows + next.people.len() > MAX_ROWS_PER_STATEMENT {
                carried = Some(next);
                break;
            }
            rows += next.people.len();
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
        let events: Vec<&access_event::Model> = batch.iter().map(|p| &p.event).collect();
        let people: Vec<&access_event_patient::Model> = batch.iter().flat_map(|p| &p.people).collect();
        if people.len() <= MAX_ROWS_PER_STATEMENT {
            return insert_arrays(db, &events, &people).await;
        }
        // Several statements: one transaction, so that a batch is written whole or not at all. The
        // events go with the first chunk of people.
        let txn = db.begin().await?;
        for (n, chunk) in people.chunks(MAX_ROWS_PER_STATEMENT).enumerate() {
            insert_arrays(&txn, if n == 0 { &events } else { &[] }, chunk).await?;
        }
        txn.commit().await?;
        return Ok(());
    }
    // SQLite compiles and caches every statement text per connection: inserts per request keep the
    // texts to the sizes requests read (a page), where an insert per batch size filled those caches
    // with large programs (peak RSS 170 MiB instead of 76 in the benchmark). The batch's inserts
    // share one transaction: one commit, written whole or not at all.
    let txn = db.begin().await?;
    for request in batch {
        access_event::Entity::insert(request.event.clone().into_active_model()).exec_without_returning(&txn).await?;
        for chunk in request.people.chunks(MAX_ROWS_PER_STATEMENT) {
            access_event_patient::Entity::insert_many(chunk.iter().cloned().map(IntoActiveModel::into_active_model))
                .exec_without_returning(&txn)
                .await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// PostgreSQL: events and people in one statement, one array parameter per column, unnested into
/// rows: one statement text (one prepared plan) whatever the batch size, and events stored only with
/// their people. Arrays, not a JSON document: they travel in PostgreSQL's binary format and need
/// no parsing.
async fn insert_arrays(
    db: &impl ConnectionTrait,
    events: &[&access_event::Model],
    people: &[&access_event_patient::Model],
) -> AppResult<()> {
    fn column<R, T>(rows: &[&R], f: impl Fn(&R) -> T) -> sea_orm::Value
    where
        Vec<T>: Into<sea_orm::Value>,
    {
        rows.iter().map(|r| f(r)).collect::<Vec<T>>().into()
    }
    db.execute_raw(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        PG_INSERT,
        [
            column(events, |e| e.id),
            column(events, |e| e.occurred_at.fixed_offset()),
            column(events, |e| e.practitioner_id),
            column(events, |e| e.organisation_id),
            column(events, |e| e.professional_role.clone()),
            column(events, |e| e.operation.clone()),
            // Arrays of text carry no NULLs here: an absent request id travels as '' and is stored as NULL.
            column(events, |e| e.request_id.clone().unwrap_or_default()),
            column(events, |e| e.field_path.clone().unwrap_or_default()),
            column(people, |p| p.patient_id),
            column(people, |p| p.event_id),
            column(people, |p| p.access_reason.clone()),
        ],
    ))
    .await?;
    Ok(())
}

/// A data-modifying `WITH` runs exactly once whether or not the main statement reads it, and both
/// inserts stand or fall together.
const PG_INSERT: &str = "WITH event AS (INSERT INTO access_event (id, occurred_at, practitioner_id, organisation_id, \
     professional_role, operation, request_id, field_path) \
     SELECT id, occurred_at, practitioner_id, organisation_id, professional_role, operation, NULLIF(request_id, ''), \
     NULLIF(field_path, '') \
     FROM unnest($1::uuid[], $2::timestamptz[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[]) \
     AS e(id, occurred_at, practitioner_id, organisation_id, professional_role, operation, request_id, field_path)) \
     INSERT INTO access_event_patient (patient_id, event_id, access_reason) \
     SELECT patient_id, event_id, access_reason FROM unnest($9::uuid[], $10::uuid[], $11::text[]) \
     AS p(patient_id, event_id, access_reason)";
