//! The referral pathway: referrals, their coded needs and their immutable event history.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Referral {
    Table,
    Id,
    PatientId,
    Source,
    ReferringPractitionerId,
    ReferringOrganisationId,
    Service,
    ReceivingOrganisationId,
    Urgency,
    Context,
    ConsentRecordedBy,
    ConsentRecordedAt,
    Status,
    OpenKey,
    AssignedPractitionerId,
    IdempotencyKey,
    FirstContactAt,
    EndedAt,
    Outcome,
    RejectionReason,
    SuggestedAlternative,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ReferralNeed {
    Table,
    ReferralId,
    Need,
    Detail,
}

#[derive(DeriveIden)]
enum ReferralEvent {
    Table,
    Id,
    ReferralId,
    Kind,
    FromStatus,
    ToStatus,
    PractitionerId,
    OrganisationId,
    OccurredAt,
    Reason,
    SnomedCode,
    AssignedPractitionerId,
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
                    .table(Referral::Table)
                    .col(pk_uuid(Referral::Id))
                    .col(uuid(Referral::PatientId))
                    .col(string_len(Referral::Source, 32))
                    .col(uuid(Referral::ReferringPractitionerId))
                    .col(uuid(Referral::ReferringOrganisationId))
                    .col(string_len(Referral::Service, 32))
                    .col(uuid(Referral::ReceivingOrganisationId))
                    .col(string_len(Referral::Urgency, 16))
                    .col(text_null(Referral::Context))
                    .col(uuid(Referral::ConsentRecordedBy))
                    .col(timestamp_with_time_zone(Referral::ConsentRecordedAt))
                    .col(string_len(Referral::Status, 32))
                    .col(string_len_null(Referral::OpenKey, 80))
                    .col(uuid_null(Referral::AssignedPractitionerId))
                    .col(string_len_null(Referral::IdempotencyKey, 100))
                    .col(timestamp_with_time_zone_null(Referral::FirstContactAt))
                    .col(timestamp_with_time_zone_null(Referral::EndedAt))
                    .col(string_len_null(Referral::Outcome, 32))
                    .col(text_null(Referral::RejectionReason))
                    .col(text_null(Referral::SuggestedAlternative))
                    .col(timestamp_with_time_zone(Referral::CreatedAt))
                    .col(timestamp_with_time_zone(Referral::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_referral_patient",
                        (Referral::Table, Referral::PatientId),
                        (Patient::Table, Patient::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_referral_referring_practitioner",
                        (Referral::Table, Referral::ReferringPractitionerId),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_referral_referring_organisation",
                        (Referral::Table, Referral::ReferringOrganisationId),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_referral_receiving_organisation",
                        (Referral::Table, Referral::ReceivingOrganisationId),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_referral_consent_recorded_by",
                        (Referral::Table, Referral::ConsentRecordedBy),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_referral_assigned_practitioner",
                        (Referral::Table, Referral::AssignedPractitionerId),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // NULLs are distinct in both databases' unique indexes: only open referrals collide.
        manager.create_index(index("uq_referral_open_key", Referral::Table, &["open_key"]).unique().to_owned()).await?;
        manager
            .create_index(
                index("uq_referral_idempotency", Referral::Table, &["referring_practitioner_id", "idempotency_key"])
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("idx_referral_patient", Referral::Table, &["patient_id", "created_at"])).await?;
        manager
            .create_index(index(
                "idx_referral_receiving",
                Referral::Table,
                &["receiving_organisation_id", "status", "created_at"],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_referral_referring",
                Referral::Table,
                &["referring_organisation_id", "created_at"],
            ))
            .await?;
        manager
            .create_index(index("idx_referral_assigned", Referral::Table, &["assigned_practitioner_id", "status"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ReferralNeed::Table)
                    .col(uuid(ReferralNeed::ReferralId))
                    .col(string_len(ReferralNeed::Need, 40))
                    .col(text_null(ReferralNeed::Detail))
                    .primary_key(Index::create().col(ReferralNeed::ReferralId).col(ReferralNeed::Need))
                    .foreign_key(
                        &mut fk(
                            "fk_referral_need_referral",
                            (ReferralNeed::Table, ReferralNeed::ReferralId),
                            (Referral::Table, Referral::Id),
                        )
                        .on_delete(ForeignKeyAction::Cascade)
                        .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ReferralEvent::Table)
                    .col(pk_uuid(ReferralEvent::Id))
                    .col(uuid(ReferralEvent::ReferralId))
                    .col(string_len(ReferralEvent::Kind, 24))
                    .col(string_len_null(ReferralEvent::FromStatus, 32))
                    .col(string_len_null(ReferralEvent::ToStatus, 32))
                    .col(uuid(ReferralEvent::PractitionerId))
                    .col(uuid(ReferralEvent::OrganisationId))
                    .col(timestamp_with_time_zone(ReferralEvent::OccurredAt))
                    .col(text_null(ReferralEvent::Reason))
                    .col(string_len_null(ReferralEvent::SnomedCode, 18))
                    .col(uuid_null(ReferralEvent::AssignedPractitionerId))
                    .foreign_key(&mut fk(
                        "fk_referral_event_referral",
                        (ReferralEvent::Table, ReferralEvent::ReferralId),
                        (Referral::Table, Referral::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_referral_event_practitioner",
                        (ReferralEvent::Table, ReferralEvent::PractitionerId),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("idx_referral_event_referral", ReferralEvent::Table, &["referral_id", "occurred_at"]))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [ReferralEvent::Table.into_iden(), ReferralNeed::Table.into_iden(), Referral::Table.into_iden()] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
