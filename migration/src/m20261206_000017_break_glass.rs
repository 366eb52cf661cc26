//! `break_glass`: a clinician's emergency access to a record they have no care relationship with,
//! for a limited time, with a coded reason and their own words, and the privacy officer's review.
//! Like the access audit it has no foreign keys: the trail must outlive the records it describes.
//! `domain::auth::load_caller` reads the caller's unexpired uses through
//! `idx_break_glass_practitioner`; the review queue reads `idx_break_glass_started`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    pk_uuid, string_len, string_len_null, text, text_null, timestamp_with_time_zone, timestamp_with_time_zone_null,
    uuid, uuid_null,
};

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum BreakGlass {
    Table,
    Id,
    PractitionerId,
    OrganisationId,
    ProfessionalRole,
    PatientId,
    Reason,
    Detail,
    StartedAt,
    ExpiresAt,
    ReviewedBy,
    ReviewedAt,
    ReviewOutcome,
    ReviewNote,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use BreakGlass as B;
        manager
            .create_table(
                Table::create()
                    .table(B::Table)
                    .col(pk_uuid(B::Id))
                    .col(uuid(B::PractitionerId))
                    .col(uuid(B::OrganisationId))
                    .col(string_len(B::ProfessionalRole, 32))
                    .col(uuid(B::PatientId))
                    .col(string_len(B::Reason, 32))
                    .col(text(B::Detail))
                    .col(timestamp_with_time_zone(B::StartedAt))
                    .col(timestamp_with_time_zone(B::ExpiresAt))
                    .col(uuid_null(B::ReviewedBy))
                    .col(timestamp_with_time_zone_null(B::ReviewedAt))
                    .col(string_len_null(B::ReviewOutcome, 32))
                    .col(text_null(B::ReviewNote))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("idx_break_glass_practitioner", B::Table, &["practitioner_id", "expires_at"]))
            .await?;
        manager.create_index(index("idx_break_glass_patient", B::Table, &["patient_id", "started_at"])).await?;
        manager.create_index(index("idx_break_glass_started", B::Table, &["started_at", "id"])).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(BreakGlass::Table).to_owned()).await
    }
}
