//! The access audit as one row per audited operation and one narrow row per person read in it.
//!
//! `access_audit` held one wide row per person read: who, organisation, role, operation and request
//! id repeated on each, and three indexes to keep up. It was the largest statement of every list
//! read in the benchmark (30 rows for one MDT preparation view, 100 for a referral inbox page: a
//! fifth to a half of PostgreSQL's time on those reads). Now `access_event` holds the who, when and
//! what once per operation (indexed by practitioner and time), and `access_event_patient` holds only
//! (patient, event, reason), keyed by patient: one index, a third of the bytes per person. A 30-person
//! read cost about half as much to write in pgbench (1.30 → 0.68 ms).
//!
//! Nothing recorded is lost: each old row becomes an event with its one person (same id, time,
//! practitioner, organisation, role, operation and request id). `down` turns every person of every
//! event back into one wide row.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{pk_uuid, string_len, string_len_null, timestamp_with_time_zone, uuid};

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AccessEvent {
    Table,
    Id,
    OccurredAt,
    PractitionerId,
    OrganisationId,
    ProfessionalRole,
    Operation,
    RequestId,
}

#[derive(DeriveIden)]
enum AccessEventPatient {
    Table,
    PatientId,
    EventId,
    AccessReason,
}

#[derive(DeriveIden)]
enum AccessAudit {
    Table,
    Id,
    OccurredAt,
    PractitionerId,
    OrganisationId,
    ProfessionalRole,
    PatientId,
    Operation,
    AccessReason,
    RequestId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AccessEvent::Table)
                    .col(pk_uuid(AccessEvent::Id))
                    .col(timestamp_with_time_zone(AccessEvent::OccurredAt))
                    .col(uuid(AccessEvent::PractitionerId))
                    .col(uuid(AccessEvent::OrganisationId))
                    .col(string_len(AccessEvent::ProfessionalRole, 32))
                    .col(string_len(AccessEvent::Operation, 300))
                    .col(string_len_null(AccessEvent::RequestId, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_access_event_practitioner",
                AccessEvent::Table,
                &["practitioner_id", "occurred_at"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AccessEventPatient::Table)
                    .col(uuid(AccessEventPatient::PatientId))
                    .col(uuid(AccessEventPatient::EventId))
                    .col(string_len(AccessEventPatient::AccessReason, 64))
                    .primary_key(Index::create().col(AccessEventPatient::PatientId).col(AccessEventPatient::EventId))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO access_event (id, occurred_at, practitioner_id, organisation_id, professional_role, \
             operation, request_id) SELECT id, occurred_at, practitioner_id, organisation_id, professional_role, \
             operation, request_id FROM access_audit",
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO access_event_patient (patient_id, event_id, access_reason) \
             SELECT patient_id, id, access_reason FROM access_audit",
        )
        .await?;
        manager.drop_table(Table::drop().table(AccessAudit::Table).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AccessAudit::Table)
                    .col(pk_uuid(AccessAudit::Id))
                    .col(timestamp_with_time_zone(AccessAudit::OccurredAt))
                    .col(uuid(AccessAudit::PractitionerId))
                    .col(uuid(AccessAudit::OrganisationId))
                    .col(string_len(AccessAudit::ProfessionalRole, 32))
                    .col(uuid(AccessAudit::PatientId))
                    .col(string_len(AccessAudit::Operation, 300))
                    .col(string_len(AccessAudit::AccessReason, 64))
                    .col(string_len_null(AccessAudit::RequestId, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("idx_access_audit_patient", AccessAudit::Table, &["patient_id", "occurred_at"]))
            .await?;
        manager
            .create_index(index(
                "idx_access_audit_practitioner",
                AccessAudit::Table,
                &["practitioner_id", "occurred_at"],
            ))
            .await?;
        // An event with several people becomes several rows: the first keeps the event's id, the
        // others get fresh ones (the old table keyed each row by its own id).
        let db = manager.get_connection();
        let fresh_id = match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => "gen_random_uuid()",
            _ => "randomblob(16)",
        };
        db.execute_unprepared(&format!(
            "INSERT INTO access_audit (id, occurred_at, practitioner_id, organisation_id, professional_role, patient_id, \
             operation, access_reason, request_id) \
             SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM access_event_patient q WHERE q.event_id = e.id \
             AND q.patient_id < p.patient_id) THEN e.id ELSE {fresh_id} END, e.occurred_at, e.practitioner_id, e.organisation_id, e.professional_role, \
             p.patient_id, e.operation, p.access_reason, e.request_id \
             FROM access_event e JOIN access_event_patient p ON p.event_id = e.id"
        ))
        .await?;
        manager.drop_table(Table::drop().table(AccessEventPatient::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(AccessEvent::Table).to_owned()).await
    }
}
