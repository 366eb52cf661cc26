//! Multidisciplinary team (MDT) meetings: the disciplines a neighbourhood requires at its meetings,
//! meetings with their invitations and attendance, agenda items (one person each), decisions and
//! owned actions with their history.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum NeighbourhoodRequiredDiscipline {
    Table,
    NeighbourhoodId,
    Discipline,
}

#[derive(DeriveIden)]
enum MdtMeeting {
    Table,
    Id,
    NeighbourhoodId,
    Title,
    StartsAt,
    EndsAt,
    Place,
    OnlineLink,
    ChairId,
    Status,
    RequiredDisciplines,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MdtInvitation {
    Table,
    Id,
    MeetingId,
    PractitionerId,
    OrganisationId,
    Discipline,
    Attendance,
    OpenKey,
    InvitedBy,
    InvitedAt,
    RemovedAt,
}

#[derive(DeriveIden)]
enum MdtAgendaItem {
    Table,
    Id,
    MeetingId,
    PatientId,
    Position,
    Reason,
    Kind,
    PresenterId,
    MinutesAllotted,
    OpenKey,
    AddedBy,
    AddedAt,
    RemovedAt,
}

#[derive(DeriveIden)]
enum MdtDecision {
    Table,
    Id,
    ItemId,
    Text,
    RecordedBy,
    RecordedAt,
}

#[derive(DeriveIden)]
enum MdtAction {
    Table,
    Id,
    MeetingId,
    ItemId,
    PatientId,
    Text,
    OwnerPractitionerId,
    OwnerOrganisationId,
    DueDate,
    Status,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MdtActionEvent {
    Table,
    Id,
    ActionId,
    FromStatus,
    ToStatus,
    PractitionerId,
    OccurredAt,
    Note,
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use NeighbourhoodRequiredDiscipline as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(uuid(R::NeighbourhoodId))
                    .col(string_len(R::Discipline, 32))
                    .primary_key(Index::create().col(R::NeighbourhoodId).col(R::Discipline))
                    .foreign_key(&mut fk(
                        "fk_required_discipline_neighbourhood",
                        (R::Table, R::NeighbourhoodId),
                        (Neighbourhood::Table, Neighbourhood::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        use MdtMeeting as M;
        manager
            .create_table(
                Table::create()
                    .table(M::Table)
                    .col(pk_uuid(M::Id))
                    .col(uuid(M::NeighbourhoodId))
                    .col(string_len(M::Title, 200))
                    .col(timestamp_with_time_zone(M::StartsAt))
                    .col(timestamp_with_time_zone(M::EndsAt))
                    .col(string_len_null(M::Place, 200))
                    .col(string_len_null(M::OnlineLink, 500))
                    .col(uuid(M::ChairId))
                    .col(string_len(M::Status, 16))
                    .col(string_len_null(M::RequiredDisciplines, 400))
                    .col(uuid(M::CreatedBy))
                    .col(timestamp_with_time_zone(M::CreatedAt))
                    .col(timestamp_with_time_zone(M::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_mdt_meeting_neighbourhood",
                        (M::Table, M::NeighbourhoodId),
                        (Neighbourhood::Table, Neighbourhood::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_mdt_meeting_chair",
                        (M::Table, M::ChairId),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_mdt_meeting_created_by",
                        (M::Table, M::CreatedBy),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("idx_mdt_meeting_neighbourhood", M::Table, &["neighbourhood_id", "starts_at"]))
            .await?;

        use MdtInvitation as I;
        manager
            .create_table(
                Table::create()
                    .table(I::Table)
                    .col(pk_uuid(I::Id))
                    .col(uuid(I::MeetingId))
                    .col(uuid(I::PractitionerId))
                    .col(uuid(I::OrganisationId))
                    .col(string_len(I::Discipline, 32))
                    .col(string_len(I::Attendance, 16))
                    .col(string_len_null(I::OpenKey, 80))
                    .col(uuid(I::InvitedBy))
                    .col(timestamp_with_time_zone(I::InvitedAt))
                    .col(timestamp_with_time_zone_null(I::RemovedAt))
                    .foreign_key(&mut fk("fk_mdt_invitation_meeting", (I::Table, I::MeetingId), (M::Table, M::Id)))
                    .foreign_key(&mut fk(
                        "fk_mdt_invitation_practitioner",
                        (I::Table, I::PractitionerId),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_mdt_invitation_organisation",
                        (I::Table, I::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_mdt_invitation_invited_by",
                        (I::Table, I::InvitedBy),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("uq_mdt_invitation_open", I::Table, &["open_key"]).unique().to_owned()).await?;
        manager.create_index(index("idx_mdt_invitation_meeting", I::Table, &["meeting_id"])).await?;
        manager
            .create_index(index("idx_mdt_invitation_practitioner", I::Table, &["practitioner_id", "removed_at"]))
            .await?;

        use MdtAgendaItem as A;
        manager
            .create_table(
                Table::create()
                    .table(A::Table)
                    .col(pk_uuid(A::Id))
                    .col(uuid(A::MeetingId))
                    .col(uuid(A::PatientId))
                    .col(integer(A::Position))
                    .col(text(A::Reason))
                    .col(string_len(A::Kind, 24))
                    .col(uuid_null(A::PresenterId))
                    .col(integer(A::MinutesAllotted))
                    .col(string_len_null(A::OpenKey, 80))
                    .col(uuid(A::AddedBy))
                    .col(timestamp_with_time_zone(A::AddedAt))
                    .col(timestamp_with_time_zone_null(A::RemovedAt))
                    .foreign_key(&mut fk("fk_mdt_agenda_item_meeting", (A::Table, A::MeetingId), (M::Table, M::Id)))
                    .foreign_key(&mut fk(
                        "fk_mdt_agenda_item_patient",
                        (A::Table, A::PatientId),
                        (Patient::Table, Patient::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_mdt_agenda_item_presenter",
                        (A::Table, A::PresenterId),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_mdt_agenda_item_added_by",
                        (A::Table, A::AddedBy),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("uq_mdt_agenda_item_open", A::Table, &["open_key"]).unique().to_owned()).await?;
        manager.create_index(index("idx_mdt_agenda_item_meeting", A::Table, &["meeting_id", "position"])).await?;
        manager.create_index(index("idx_mdt_agenda_item_patient", A::Table, &["patient_id", "removed_at"])).await?;

        use MdtDecision as D;
        manager
            .create_table(
                Table::create()
                    .table(D::Table)
                    .col(pk_uuid(D::Id))
                    .col(uuid(D::ItemId))
                    .col(text(D::Text))
                    .col(uuid(D::RecordedBy))
                    .col(timestamp_with_time_zone(D::RecordedAt))
                    .foreign_key(&mut fk("fk_mdt_decision_item", (D::Table, D::ItemId), (A::Table, A::Id)))
                    .foreign_key(&mut fk(
                        "fk_mdt_decision_recorded_by",
                        (D::Table, D::RecordedBy),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("idx_mdt_decision_item", D::Table, &["item_id", "recorded_at"])).await?;

        use MdtAction as X;
        manager
            .create_table(
                Table::create()
                    .table(X::Table)
                    .col(pk_uuid(X::Id))
                    .col(uuid(X::MeetingId))
                    .col(uuid(X::ItemId))
                    .col(uuid(X::PatientId))
                    .col(text(X::Text))
                    .col(uuid_null(X::OwnerPractitionerId))
                    .col(uuid_null(X::OwnerOrganisationId))
                    .col(date_null(X::DueDate))
                    .col(string_len(X::Status, 16))
                    .col(uuid(X::CreatedBy))
                    .col(timestamp_with_time_zone(X::CreatedAt))
                    .col(timestamp_with_time_zone(X::UpdatedAt))
                    .foreign_key(&mut fk("fk_mdt_action_meeting", (X::Table, X::MeetingId), (M::Table, M::Id)))
                    .foreign_key(&mut fk("fk_mdt_action_item", (X::Table, X::ItemId), (A::Table, A::Id)))
                    .foreign_key(&mut fk(
                        "fk_mdt_action_patient",
                        (X::Table, X::PatientId),
                        (Patient::Table, Patient::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_mdt_action_owner_practitioner",
                        (X::Table, X::OwnerPractitionerId),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_mdt_action_owner_organisation",
                        (X::Table, X::OwnerOrganisationId),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_mdt_action_created_by",
                        (X::Table, X::CreatedBy),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("idx_mdt_action_item", X::Table, &["item_id", "created_at"])).await?;
        manager.create_index(index("idx_mdt_action_patient", X::Table, &["patient_id", "status"])).await?;
        manager
            .create_index(index("idx_mdt_action_owner", X::Table, &["owner_practitioner_id", "status", "due_date"]))
            .await?;
        manager.create_index(index("idx_mdt_action_meeting", X::Table, &["meeting_id", "status", "due_date"])).await?;

        use MdtActionEvent as E;
        manager
            .create_table(
                Table::create()
                    .table(E::Table)
                    .col(pk_uuid(E::Id))
                    .col(uuid(E::ActionId))
                    .col(string_len_null(E::FromStatus, 16))
                    .col(string_len(E::ToStatus, 16))
                    .col(uuid(E::PractitionerId))
                    .col(timestamp_with_time_zone(E::OccurredAt))
                    .col(text_null(E::Note))
                    .foreign_key(&mut fk("fk_mdt_action_event_action", (E::Table, E::ActionId), (X::Table, X::Id)))
                    .foreign_key(&mut fk(
                        "fk_mdt_action_event_practitioner",
                        (E::Table, E::PractitionerId),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("idx_mdt_action_event_action", E::Table, &["action_id", "occurred_at"])).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            MdtActionEvent::Table.into_iden(),
            MdtAction::Table.into_iden(),
            MdtDecision::Table.into_iden(),
            MdtAgendaItem::Table.into_iden(),
            MdtInvitation::Table.into_iden(),
            MdtMeeting::Table.into_iden(),
            NeighbourhoodRequiredDiscipline::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
