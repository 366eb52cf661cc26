//! The core model: organisations, neighbourhoods, practitioners, patients and their long-term
//! conditions, saved cohorts and the access audit. Foreign keys are inline (SQLite cannot add them later).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Id,
    OdsCode,
    Name,
    Kind,
    ParentId,
    ListSize,
    Postcode,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Neighbourhood {
    Table,
    Id,
    Name,
    PlannedPopulation,
    CreatedAt,
}

#[derive(DeriveIden)]
enum NeighbourhoodOrganisation {
    Table,
    NeighbourhoodId,
    OrganisationId,
    JoinedAt,
}

#[derive(DeriveIden)]
enum Practitioner {
    Table,
    Id,
    GivenName,
    FamilyName,
    ProfessionalRole,
    OrganisationId,
    Fte,
    CaseloadCapacity,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Patient {
    Table,
    Id,
    NhsNumber,
    GivenName,
    FamilyName,
    DateOfBirth,
    Sex,
    Postcode,
    DeprivationDecile,
    RegisteredPracticeId,
    NeighbourhoodId,
    EfiScore,
    EfiCalculatedOn,
    ClinicalFrailtyScale,
    CfsAssessedOn,
    LivesAlone,
    IsCarer,
    HearingImpairment,
    VisualImpairment,
    InterpreterLanguage,
    NationalDataOptOut,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PatientCondition {
    Table,
    Id,
    PatientId,
    SnomedCode,
    DiagnosedOn,
    RecordedAt,
}

#[derive(DeriveIden)]
enum Cohort {
    Table,
    Id,
    NeighbourhoodId,
    Name,
    Description,
    Definition,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AccessAudit {
    Table,
    Id,
    OccurredAt,
    PractitionerId,
    OrganisationId,
    ProfessionalRole,
    PatientId,
    Operation,
    AccessReason,
    RequestId,
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name).from(from.0, from.1).to(to.0, to.1).on_delete(on_delete).to_owned()
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
                    .table(Organisation::Table)
                    .col(pk_uuid(Organisation::Id))
                    .col(string_len_uniq(Organisation::OdsCode, 16))
                    .col(string_len(Organisation::Name, 200))
                    .col(string_len(Organisation::Kind, 32))
                    .col(uuid_null(Organisation::ParentId))
                    .col(integer_null(Organisation::ListSize))
                    .col(string_len_null(Organisation::Postcode, 8))
                    .col(timestamp_with_time_zone(Organisation::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_organisation_parent",
                        (Organisation::Table, Organisation::ParentId),
                        (Organisation::Table, Organisation::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("idx_organisation_kind", Organisation::Table, &["kind"])).await?;
        manager.create_index(index("idx_organisation_parent", Organisation::Table, &["parent_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table(Neighbourhood::Table)
                    .col(pk_uuid(Neighbourhood::Id))
                    .col(string_len_uniq(Neighbourhood::Name, 200))
                    .col(integer(Neighbourhood::PlannedPopulation))
                    .col(timestamp_with_time_zone(Neighbourhood::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(NeighbourhoodOrganisation::Table)
                    .col(uuid(NeighbourhoodOrganisation::NeighbourhoodId))
                    .col(uuid(NeighbourhoodOrganisation::OrganisationId))
                    .col(timestamp_with_time_zone(NeighbourhoodOrganisation::JoinedAt))
                    .primary_key(
                        Index::create()
                            .col(NeighbourhoodOrganisation::NeighbourhoodId)
                            .col(NeighbourhoodOrganisation::OrganisationId),
                    )
                    .foreign_key(&mut fk(
                        "fk_neighbourhood_organisation_neighbourhood",
                        (NeighbourhoodOrganisation::Table, NeighbourhoodOrganisation::NeighbourhoodId),
                        (Neighbourhood::Table, Neighbourhood::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_neighbourhood_organisation_organisation",
                        (NeighbourhoodOrganisation::Table, NeighbourhoodOrganisation::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_neighbourhood_organisation_organisation",
                NeighbourhoodOrganisation::Table,
                &["organisation_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Practitioner::Table)
                    .col(pk_uuid(Practitioner::Id))
                    .col(string_len(Practitioner::GivenName, 100))
                    .col(string_len(Practitioner::FamilyName, 100))
                    .col(string_len(Practitioner::ProfessionalRole, 32))
                    .col(uuid(Practitioner::OrganisationId))
                    .col(double(Practitioner::Fte))
                    .col(integer_null(Practitioner::CaseloadCapacity))
                    .col(boolean(Practitioner::Active))
                    .col(timestamp_with_time_zone(Practitioner::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_practitioner_organisation",
                        (Practitioner::Table, Practitioner::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_practitioner_organisation",
                Practitioner::Table,
                &["organisation_id", "professional_role"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Patient::Table)
                    .col(pk_uuid(Patient::Id))
                    .col(char_len_uniq(Patient::NhsNumber, 10))
                    .col(string_len(Patient::GivenName, 100))
                    .col(string_len(Patient::FamilyName, 100))
                    .col(date(Patient::DateOfBirth))
                    .col(string_len(Patient::Sex, 16))
                    .col(string_len(Patient::Postcode, 8))
                    .col(small_integer_null(Patient::DeprivationDecile))
                    .col(uuid(Patient::RegisteredPracticeId))
                    .col(uuid(Patient::NeighbourhoodId))
                    .col(double_null(Patient::EfiScore))
                    .col(date_null(Patient::EfiCalculatedOn))
                    .col(small_integer_null(Patient::ClinicalFrailtyScale))
                    .col(date_null(Patient::CfsAssessedOn))
                    .col(boolean(Patient::LivesAlone))
                    .col(boolean(Patient::IsCarer))
                    .col(boolean(Patient::HearingImpairment))
                    .col(boolean(Patient::VisualImpairment))
                    .col(string_len_null(Patient::InterpreterLanguage, 60))
                    .col(boolean(Patient::NationalDataOptOut))
                    .col(timestamp_with_time_zone(Patient::CreatedAt))
                    .col(timestamp_with_time_zone(Patient::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_patient_practice",
                        (Patient::Table, Patient::RegisteredPracticeId),
                        (Organisation::Table, Organisation::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_patient_neighbourhood",
                        (Patient::Table, Patient::NeighbourhoodId),
                        (Neighbourhood::Table, Neighbourhood::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        // Pages are ordered by name within a neighbourhood; the keyset needs all three columns.
        manager
            .create_index(index(
                "idx_patient_neighbourhood_name",
                Patient::Table,
                &["neighbourhood_id", "family_name", "given_name", "id"],
            ))
            .await?;
        manager
            .create_index(index("idx_patient_neighbourhood_efi", Patient::Table, &["neighbourhood_id", "efi_score"]))
            .await?;
        manager.create_index(index("idx_patient_practice", Patient::Table, &["registered_practice_id"])).await?;
        manager
            .create_index(index(
                "idx_patient_neighbourhood_dob",
                Patient::Table,
                &["neighbourhood_id", "date_of_birth"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PatientCondition::Table)
                    .col(pk_uuid(PatientCondition::Id))
                    .col(uuid(PatientCondition::PatientId))
                    .col(string_len(PatientCondition::SnomedCode, 18))
                    .col(date_null(PatientCondition::DiagnosedOn))
                    .col(timestamp_with_time_zone(PatientCondition::RecordedAt))
                    .foreign_key(&mut fk(
                        "fk_patient_condition_patient",
                        (PatientCondition::Table, PatientCondition::PatientId),
                        (Patient::Table, Patient::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index("uq_patient_condition_patient_code", PatientCondition::Table, &["patient_id", "snomed_code"])
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("idx_patient_condition_code", PatientCondition::Table, &["snomed_code", "patient_id"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Cohort::Table)
                    .col(pk_uuid(Cohort::Id))
                    .col(uuid(Cohort::NeighbourhoodId))
                    .col(string_len(Cohort::Name, 120))
                    .col(text_null(Cohort::Description))
                    .col(text(Cohort::Definition))
                    .col(uuid(Cohort::CreatedBy))
                    .col(timestamp_with_time_zone(Cohort::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_cohort_neighbourhood",
                        (Cohort::Table, Cohort::NeighbourhoodId),
                        (Neighbourhood::Table, Neighbourhood::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_cohort_created_by",
                        (Cohort::Table, Cohort::CreatedBy),
                        (Practitioner::Table, Practitioner::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index("uq_cohort_neighbourhood_name", Cohort::Table, &["neighbourhood_id", "name"]).unique().to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AccessAudit::Table)
                    .col(pk_uuid(AccessAudit::Id))
                    .col(timestamp_with_time_zone(AccessAudit::OccurredAt))
                    .col(uuid(AccessAudit::PractitionerId))
                    .col(uuid(AccessAudit::OrganisationId))
                    .col(string_len(AccessAudit::ProfessionalRole, 32))
                    .col(uuid(AccessAudit::PatientId))
                    .col(string_len(AccessAudit::Operation, 300))
                    .col(string_len(AccessAudit::AccessReason, 64))
                    .col(string_len_null(AccessAudit::RequestId, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("idx_access_audit_patient", AccessAudit::Table, &["patient_id", "occurred_at"]))
            .await?;
        manager
            .create_index(index(
                "idx_access_audit_practitioner",
                AccessAudit::Table,
                &["practitioner_id", "occurred_at"],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AccessAudit::Table.into_iden(),
            Cohort::Table.into_iden(),
            PatientCondition::Table.into_iden(),
            Patient::Table.into_iden(),
            Practitioner::Table.into_iden(),
            NeighbourhoodOrganisation::Table.into_iden(),
            Neighbourhood::Table.into_iden(),
            Organisation::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
