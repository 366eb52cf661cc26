//! The organisation's own reference for a member of staff (its staff number, the row id of its HR
//! or rostering system): what a staff list import matches rows on, so that importing the same
//! list again changes nothing. Unique within the organisation; null for practitioners entered by
//! hand.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::string_len_null;

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Practitioner {
    Table,
    StaffRef,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Practitioner::Table)
                    .add_column(string_len_null(Practitioner::StaffRef, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index("uq_practitioner_staff_ref", Practitioner::Table, &["organisation_id", "staff_ref"])
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("uq_practitioner_staff_ref").table(Practitioner::Table).to_owned())
            .await?;
        manager
            .alter_table(Table::alter().table(Practitioner::Table).drop_column(Practitioner::StaffRef).to_owned())
            .await
    }
}
