//! The privacy officer's review of the access audit: a practitioner's trail and the review's
//! flags go from an audited operation to the people it read, which `access_event_patient`'s key
//! (`patient_id`, `event_id`: a person's trail as one index range) cannot answer without reading
//! every row. `idx_access_event_patient_event` answers it with a range of its own. Its cost falls
//! on every audited read (one more index entry per person read); bench/README.md has the measure.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AccessEventPatient {
    Table,
}

const BY_EVENT: &str = "idx_access_event_patient_event";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_index(crate::helpers::index(BY_EVENT, AccessEventPatient::Table, &["event_id"])).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name(BY_EVENT).table(AccessEventPatient::Table).to_owned()).await
    }
}
