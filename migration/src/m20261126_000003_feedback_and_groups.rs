//! Feedback to the referring practice when a referral ends, and link-worker-led support groups
//! (sessions, participants, attendance).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReferralFeedback {
    Table,
    Id,
    ReferralId,
    PatientId,
    ReferringOrganisationId,
    EndedStatus,
    Outcome,
    SnomedCodes,
    Summary,
    WorkerId,
    WrittenBy,
    CreatedAt,
    FiledAt,
    FiledBy,
}

#[derive(DeriveIden)]
enum SupportGroup {
    Table,
    Id,
    OrganisationId,
    NeighbourhoodId,
    Name,
    Description,
    FocusNeed,
    LeaderId,
    Capacity,
    CreatedBy,
    CreatedAt,
    ClosedAt,
}

#[derive(DeriveIden)]
enum GroupSession {
    Table,
    Id,
    GroupId,
    StartsAt,
    DurationMinutes,
    Place,
    CreatedAt,
}

#[derive(DeriveIden)]
enum GroupParticipant {
    Table,
    Id,
    GroupId,
    PatientId,
    ReferralId,
    OpenKey,
    JoinedAt,
    LeftAt,
    AddedBy,
}

#[derive(DeriveIden)]
enum GroupAttendance {
    Table,
    SessionId,
    ParticipantId,
    Status,
    RecordedBy,
    RecordedAt,
}

#[derive(DeriveIden)]
enum Referral {
    Table,
    Id,
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

#[derive(DeriveIden)]
enum Neighbourhood {
    Table,
    Id,
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name).from(from.0, from.1).to(to.0, to.1).on_delete(ForeignKeyAction::Restrict).to_owned()
}

fn index(name: &str, table: impl IntoIden, cols: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(Alias::new(*col));
    }
    stmt.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReferralFeedback::Table)
                    .col(pk_uuid(ReferralFeedback::Id))
                    .col(uuid_uniq(ReferralFeedback::ReferralId))
                    .col(uuid(ReferralFeedback::PatientId))
                    .col(uuid(ReferralFeedback::ReferringOrganisationId))
                    .col(string_len(ReferralFeedback::EndedStatus, 32))
                    .col(string_len_null(ReferralFeedback::Outcome, 32))
                    .col(string_len(ReferralFeedback::SnomedCodes, 200))
                    .col(text(ReferralFeedback::Summary))
                    .col(uuid_null(ReferralFeedback::WorkerId))
                    .col(uuid(ReferralFeedback::WrittenBy))
                    .col(timestamp_with_time_zone(ReferralFeedback::CreatedAt))
                    .col(timestamp_with_time_zone_null(ReferralFeedback::FiledAt))
                    .col(uuid_null(ReferralFeedback::FiledBy))
                    .foreign_key(&mut fk(
                        "fk_referral_feedback_referral",
                        (ReferralFeedback::Table, ReferralFeedback::ReferralId),
                        (Referral::Table, Referral::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_referral_feedback_patient",
                        (ReferralFeedback::Table, ReferralFeedback::PatientId),
                        (Patient::Table, Patient::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_referral_feedback_referring_organisation",
                        (ReferralFeedback::Table, ReferralFeedback::ReferringOrganisationId),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_referral_feedback_worker",
                        (ReferralFeedback::Table, ReferralFeedback::WorkerId),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_referral_feedback_written_by",
                        (ReferralFeedback::Table, ReferralFeedback::WrittenBy),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_referral_feedback_filed_by",
                        (ReferralFeedback::Table, ReferralFeedback::FiledBy),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_referral_feedback_inbox",
                ReferralFeedback::Table,
                &["referring_organisation_id", "filed_at", "created_at"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SupportGroup::Table)
                    .col(pk_uuid(SupportGroup::Id))
                    .col(uuid(SupportGroup::OrganisationId))
                    .col(uuid(SupportGroup::NeighbourhoodId))
                    .col(string_len(SupportGroup::Name, 200))
                    .col(text_null(SupportGroup::Description))
                    .col(string_len_null(SupportGroup::FocusNeed, 40))
                    .col(uuid(SupportGroup::LeaderId))
                    .col(integer_null(SupportGroup::Capacity))
                    .col(uuid(SupportGroup::CreatedBy))
                    .col(timestamp_with_time_zone(SupportGroup::CreatedAt))
                    .col(timestamp_with_time_zone_null(SupportGroup::ClosedAt))
                    .foreign_key(&mut fk(
                        "fk_support_group_organisation",
                        (SupportGroup::Table, SupportGroup::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_support_group_neighbourhood",
                        (SupportGroup::Table, SupportGroup::NeighbourhoodId),
                        (Neighbourhood::Table, Neighbourhood::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_support_group_leader",
                        (SupportGroup::Table, SupportGroup::LeaderId),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_support_group_created_by",
                        (SupportGroup::Table, SupportGroup::CreatedBy),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("idx_support_group_organisation", SupportGroup::Table, &["organisation_id", "name"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(GroupSession::Table)
                    .col(pk_uuid(GroupSession::Id))
                    .col(uuid(GroupSession::GroupId))
                    .col(timestamp_with_time_zone(GroupSession::StartsAt))
                    .col(integer(GroupSession::DurationMinutes))
                    .col(string_len_null(GroupSession::Place, 200))
                    .col(timestamp_with_time_zone(GroupSession::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_group_session_group",
                        (GroupSession::Table, GroupSession::GroupId),
                        (SupportGroup::Table, SupportGroup::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("idx_group_session_group", GroupSession::Table, &["group_id", "starts_at"])).await?;

        manager
            .create_table(
                Table::create()
                    .table(GroupParticipant::Table)
                    .col(pk_uuid(GroupParticipant::Id))
                    .col(uuid(GroupParticipant::GroupId))
                    .col(uuid(GroupParticipant::PatientId))
                    .col(uuid_null(GroupParticipant::ReferralId))
                    .col(string_len_null(GroupParticipant::OpenKey, 80))
                    .col(timestamp_with_time_zone(GroupParticipant::JoinedAt))
                    .col(timestamp_with_time_zone_null(GroupParticipant::LeftAt))
                    .col(uuid(GroupParticipant::AddedBy))
                    .foreign_key(&mut fk(
                        "fk_group_participant_group",
                        (GroupParticipant::Table, GroupParticipant::GroupId),
                        (SupportGroup::Table, SupportGroup::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_group_participant_patient",
                        (GroupParticipant::Table, GroupParticipant::PatientId),
                        (Patient::Table, Patient::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_group_participant_referral",
                        (GroupParticipant::Table, GroupParticipant::ReferralId),
                        (Referral::Table, Referral::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_group_participant_added_by",
                        (GroupParticipant::Table, GroupParticipant::AddedBy),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // One current membership per person and group; NULL (after leaving) never collides.
        manager
            .create_index(
                index("uq_group_participant_open", GroupParticipant::Table, &["open_key"]).unique().to_owned(),
            )
            .await?;
        manager
            .create_index(index("idx_group_participant_group", GroupParticipant::Table, &["group_id", "joined_at"]))
            .await?;
        manager
            .create_index(index("idx_group_participant_patient", GroupParticipant::Table, &["patient_id", "joined_at"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(GroupAttendance::Table)
                    .col(uuid(GroupAttendance::SessionId))
                    .col(uuid(GroupAttendance::ParticipantId))
                    .col(string_len(GroupAttendance::Status, 16))
                    .col(uuid(GroupAttendance::RecordedBy))
                    .col(timestamp_with_time_zone(GroupAttendance::RecordedAt))
                    .primary_key(Index::create().col(GroupAttendance::SessionId).col(GroupAttendance::ParticipantId))
                    .foreign_key(&mut fk(
                        "fk_group_attendance_session",
                        (GroupAttendance::Table, GroupAttendance::SessionId),
                        (GroupSession::Table, GroupSession::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_group_attendance_participant",
                        (GroupAttendance::Table, GroupAttendance::ParticipantId),
                        (GroupParticipant::Table, GroupParticipant::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_group_attendance_recorded_by",
                        (GroupAttendance::Table, GroupAttendance::RecordedBy),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("idx_group_attendance_participant", GroupAttendance::Table, &["participant_id"]))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            GroupAttendance::Table.into_iden(),
            GroupParticipant::Table.into_iden(),
            GroupSession::Table.into_iden(),
            SupportGroup::Table.into_iden(),
            ReferralFeedback::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
