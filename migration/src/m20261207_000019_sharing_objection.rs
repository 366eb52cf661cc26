//! A person's objection to their record being shared beyond their GP practice, recorded by the
//! practice with who, when and the person's words, and withdrawn the same way (rows are kept).
//! `patient.objects_to_sharing` is whether one stands now: the access policy decides on the
//! patient row it already holds (`domain::auth::policy`, `grant_for`) and the scope of every
//! patient select is a condition on that column, so an objection costs no statement and no join on
//! any read. The practice's writes keep the column and the standing row together in one
//! transaction; at most one objection stands per person (`uq_sharing_objection_open_key`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    boolean, pk_uuid, string_len_null, text_null, timestamp_with_time_zone, timestamp_with_time_zone_null, uuid,
    uuid_null,
};

use crate::helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SharingObjection {
    Table,
    Id,
    PatientId,
    OrganisationId,
    RecordedBy,
    RecordedAt,
    Note,
    OpenKey,
    WithdrawnBy,
    WithdrawnAt,
    WithdrawalNote,
}

#[derive(DeriveIden)]
enum Patient {
    Table,
    Id,
    ObjectsToSharing,
}

#[derive(DeriveIden)]
enum Practitioner {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use SharingObjection as S;
        manager
            .alter_table(
                Table::alter()
                    .table(Patient::Table)
                    .add_column(boolean(Patient::ObjectsToSharing).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(pk_uuid(S::Id))
                    .col(uuid(S::PatientId))
                    .col(uuid(S::OrganisationId))
                    .col(uuid(S::RecordedBy))
                    .col(timestamp_with_time_zone(S::RecordedAt))
                    .col(text_null(S::Note))
                    .col(string_len_null(S::OpenKey, 80))
                    .col(uuid_null(S::WithdrawnBy))
                    .col(timestamp_with_time_zone_null(S::WithdrawnAt))
                    .col(text_null(S::WithdrawalNote))
                    .foreign_key(&mut fk(
                        "fk_sharing_objection_patient",
                        (S::Table, S::PatientId),
                        (Patient::Table, Patient::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_sharing_objection_organisation",
                        (S::Table, S::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_sharing_objection_recorded_by",
                        (S::Table, S::RecordedBy),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_sharing_objection_withdrawn_by",
                        (S::Table, S::WithdrawnBy),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("uq_sharing_objection_open_key", S::Table, &["open_key"]).unique().to_owned())
            .await?;
        manager.create_index(index("idx_sharing_objection_patient", S::Table, &["patient_id", "recorded_at"])).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(SharingObjection::Table).to_owned()).await?;
        manager
            .alter_table(Table::alter().table(Patient::Table).drop_column(Patient::ObjectsToSharing).to_owned())
            .await
    }
}
