//! A practice's frailty register in one index range: the cohort page ("moderate or severe frailty
//! at this practice") read every patient of the practice through `(registered_practice_id)` and
//! intersected them with the neighbourhood's frailty index (11,413 entries for 380 people in the
//! benchmark's largest practice). `(registered_practice_id, efi_score)` reads the 380 directly; it
//! also serves every lookup by practice alone, so it replaces the old index rather than adding one.

use sea_orm_migration::prelude::*;

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Patient {
    Table,
}

const CREATED: (&str, &[&str]) = ("idx_patient_practice_efi", &["registered_practice_id", "efi_score"]);
const REPLACED: (&str, &[&str]) = ("idx_patient_practice", &["registered_practice_id"]);

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_index(index(CREATED.0, Patient::Table, CREATED.1)).await?;
        manager.drop_index(Index::drop().name(REPLACED.0).table(Patient::Table).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_index(index(REPLACED.0, Patient::Table, REPLACED.1)).await?;
        manager.drop_index(Index::drop().name(CREATED.0).table(Patient::Table).to_owned()).await
    }
}
