//! Registering people through the API (issue 27): who recorded what about a person. A coded
//! condition keeps who recorded it (null for rows loaded before: the demo, an import), and the
//! frailty measures who calculated the eFI and who assessed the Clinical Frailty Scale.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::uuid_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Patient {
    Table,
    EfiRecordedBy,
    CfsAssessedBy,
}

#[derive(DeriveIden)]
enum PatientCondition {
    Table,
    RecordedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for column in [Patient::EfiRecordedBy, Patient::CfsAssessedBy] {
            manager.alter_table(Table::alter().table(Patient::Table).add_column(uuid_null(column)).to_owned()).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(PatientCondition::Table)
                    .add_column(uuid_null(PatientCondition::RecordedBy))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(PatientCondition::Table).drop_column(PatientCondition::RecordedBy).to_owned(),
            )
            .await?;
        for column in [Patient::CfsAssessedBy, Patient::EfiRecordedBy] {
            manager.alter_table(Table::alter().table(Patient::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
