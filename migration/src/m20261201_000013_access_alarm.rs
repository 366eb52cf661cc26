//! `access_alarm`: a volume alarm for the privacy officer, written when a caller is refused for
//! going over a per-minute limit (requests, or identifiable records read). Like the access audit it
//! has no foreign keys: the trail must outlive the records it describes.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, pk_uuid, string_len, string_len_null, timestamp_with_time_zone, uuid};

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AccessAlarm {
    Table,
    Id,
    OccurredAt,
    PractitionerId,
    OrganisationId,
    ProfessionalRole,
    Kind,
    LimitPerMinute,
    Attempted,
    RequestId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AccessAlarm::Table)
                    .col(pk_uuid(AccessAlarm::Id))
                    .col(timestamp_with_time_zone(AccessAlarm::OccurredAt))
                    .col(uuid(AccessAlarm::PractitionerId))
                    .col(uuid(AccessAlarm::OrganisationId))
                    .col(string_len(AccessAlarm::ProfessionalRole, 32))
                    .col(string_len(AccessAlarm::Kind, 32))
                    .col(big_integer(AccessAlarm::LimitPerMinute))
                    .col(big_integer(AccessAlarm::Attempted))
                    .col(string_len_null(AccessAlarm::RequestId, 64))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("idx_access_alarm_occurred", AccessAlarm::Table, &["occurred_at"])).await?;
        manager
            .create_index(index(
                "idx_access_alarm_practitioner",
                AccessAlarm::Table,
                &["practitioner_id", "occurred_at"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(AccessAlarm::Table).to_owned()).await
    }
}
