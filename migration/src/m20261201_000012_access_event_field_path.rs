//! `access_event.field_path`: the GraphQL field path an audited read went through (e.g.
//! `mdtMeeting.agenda`, `patients`), in a column of its own. It used to be appended to the
//! operation label, which is cut at 300 characters: a long operation name pushed the path out of
//! the trail. The operation column keeps only `query Name`; the path is kept whole. Down folds the
//! path back into the label.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::text_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AccessEvent {
    Table,
    FieldPath,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(AccessEvent::Table).add_column(text_null(AccessEvent::FieldPath)).to_owned(),
            )
            .await
    }

    /// The path goes back into the operation label, as it was written before (cut at 300).
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE access_event SET operation = substr(operation || ' / ' || field_path, 1, 300) \
                 WHERE field_path IS NOT NULL",
            )
            .await?;
        manager
            .alter_table(Table::alter().table(AccessEvent::Table).drop_column(AccessEvent::FieldPath).to_owned())
            .await
    }
}
