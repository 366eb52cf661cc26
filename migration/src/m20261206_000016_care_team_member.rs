//! `care_team_member`: the person's named care team (who is involved, how, since when) and their
//! named care coordinator, as NHS England's proactive care guidance asks for. A membership is a care
//! relationship: it opens the person's record to the practitioner while it stands
//! (`domain::auth::load_caller` reads the practitioner's open memberships through
//! `idx_care_team_member_practitioner`). At most one standing membership per person and
//! practitioner (`open_key`) and one standing named coordinator per person (`coordinator_key`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    boolean, date, pk_uuid, string_len, string_len_null, text_null, timestamp_with_time_zone,
    timestamp_with_time_zone_null, uuid, uuid_null,
};

use crate::helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CareTeamMember {
    Table,
    Id,
    PatientId,
    PractitionerId,
    OrganisationId,
    TeamRole,
    IsCareCoordinator,
    Since,
    OpenKey,
    CoordinatorKey,
    AddedBy,
    AddedAt,
    EndedBy,
    EndedAt,
    EndReason,
}

#[derive(DeriveIden)]
enum Patient {
    Table,
    Id,
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
        use CareTeamMember as C;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .col(pk_uuid(C::Id))
                    .col(uuid(C::PatientId))
                    .col(uuid(C::PractitionerId))
                    .col(uuid(C::OrganisationId))
                    .col(string_len(C::TeamRole, 80))
                    .col(boolean(C::IsCareCoordinator))
                    .col(date(C::Since))
                    .col(string_len_null(C::OpenKey, 80))
                    .col(string_len_null(C::CoordinatorKey, 80))
                    .col(uuid(C::AddedBy))
                    .col(timestamp_with_time_zone(C::AddedAt))
                    .col(uuid_null(C::EndedBy))
                    .col(timestamp_with_time_zone_null(C::EndedAt))
                    .col(text_null(C::EndReason))
                    .foreign_key(&mut fk(
                        "fk_care_team_member_patient",
                        (C::Table, C::PatientId),
                        (Patient::Table, Patient::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_care_team_member_practitioner",
                        (C::Table, C::PractitionerId),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_care_team_member_organisation",
                        (C::Table, C::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_care_team_member_added_by",
                        (C::Table, C::AddedBy),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_care_team_member_ended_by",
                        (C::Table, C::EndedBy),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // NULLs are distinct in both databases' unique indexes: only standing rows collide.
        for (name, column) in
            [("uq_care_team_member_open_key", "open_key"), ("uq_care_team_member_coordinator", "coordinator_key")]
        {
            manager.create_index(index(name, C::Table, &[column]).unique().to_owned()).await?;
        }
        manager.create_index(index("idx_care_team_member_patient", C::Table, &["patient_id", "added_at"])).await?;
        manager
            .create_index(index("idx_care_team_member_practitioner", C::Table, &["practitioner_id", "open_key"]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(CareTeamMember::Table).to_owned()).await
    }
}
