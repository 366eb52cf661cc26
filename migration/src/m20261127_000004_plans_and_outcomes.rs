//! Personalised care and support plans (goals, actions, revisions, sharing agreements) and outcome
//! measurements with their item responses.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CarePlan {
    Table,
    Id,
    PatientId,
    Version,
    WhatMatters,
    Strengths,
    ReviewDate,
    CreatedBy,
    CreatedAt,
    UpdatedBy,
    UpdatedOrganisationId,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CarePlanGoal {
    Table,
    Id,
    PlanId,
    Position,
    Need,
    Text,
    Status,
    TargetDate,
}

#[derive(DeriveIden)]
enum CarePlanAction {
    Table,
    Id,
    PlanId,
    GoalId,
    Position,
    Text,
    OwnerOrganisationId,
    OwnerPractitionerId,
    DueDate,
    Status,
}

#[derive(DeriveIden)]
enum CarePlanRevision {
    Table,
    Id,
    PlanId,
    Version,
    Content,
    ChangedBy,
    ChangedOrganisationId,
    ChangedAt,
}

#[derive(DeriveIden)]
enum CarePlanShare {
    Table,
    Id,
    PlanId,
    PatientId,
    OrganisationId,
    OpenKey,
    RecordedBy,
    RecordedAt,
    WithdrawnBy,
    WithdrawnAt,
}

#[derive(DeriveIden)]
enum OutcomeMeasurement {
    Table,
    Id,
    PatientId,
    Instrument,
    Kind,
    BaselineId,
    ReferralId,
    TakenOn,
    RawScore,
    MetricScore,
    RecordedBy,
    RecordedOrganisationId,
    RecordedAt,
}

#[derive(DeriveIden)]
enum OutcomeResponse {
    Table,
    MeasurementId,
    Item,
    Value,
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CarePlan::Table)
                    .col(pk_uuid(CarePlan::Id))
                    .col(uuid_uniq(CarePlan::PatientId))
                    .col(integer(CarePlan::Version))
                    .col(text(CarePlan::WhatMatters))
                    .col(text_null(CarePlan::Strengths))
                    .col(date_null(CarePlan::ReviewDate))
                    .col(uuid(CarePlan::CreatedBy))
                    .col(timestamp_with_time_zone(CarePlan::CreatedAt))
                    .col(uuid(CarePlan::UpdatedBy))
                    .col(uuid(CarePlan::UpdatedOrganisationId))
                    .col(timestamp_with_time_zone(CarePlan::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_care_plan_patient",
                        (CarePlan::Table, CarePlan::PatientId),
                        (Patient::Table, Patient::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_care_plan_created_by",
                        (CarePlan::Table, CarePlan::CreatedBy),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_care_plan_updated_by",
                        (CarePlan::Table, CarePlan::UpdatedBy),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_care_plan_updated_organisation",
                        (CarePlan::Table, CarePlan::UpdatedOrganisationId),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CarePlanGoal::Table)
                    .col(pk_uuid(CarePlanGoal::Id))
                    .col(uuid(CarePlanGoal::PlanId))
                    .col(integer(CarePlanGoal::Position))
                    .col(string_len(CarePlanGoal::Need, 40))
                    .col(text(CarePlanGoal::Text))
                    .col(string_len(CarePlanGoal::Status, 24))
                    .col(date_null(CarePlanGoal::TargetDate))
                    .foreign_key(&mut fk(
                        "fk_care_plan_goal_plan",
                        (CarePlanGoal::Table, CarePlanGoal::PlanId),
                        (CarePlan::Table, CarePlan::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("idx_care_plan_goal_plan", CarePlanGoal::Table, &["plan_id", "position"])).await?;

        manager
            .create_table(
                Table::create()
                    .table(CarePlanAction::Table)
                    .col(pk_uuid(CarePlanAction::Id))
                    .col(uuid(CarePlanAction::PlanId))
                    .col(uuid_null(CarePlanAction::GoalId))
                    .col(integer(CarePlanAction::Position))
                    .col(text(CarePlanAction::Text))
                    .col(uuid_null(CarePlanAction::OwnerOrganisationId))
                    .col(uuid_null(CarePlanAction::OwnerPractitionerId))
                    .col(date_null(CarePlanAction::DueDate))
                    .col(string_len(CarePlanAction::Status, 16))
                    .foreign_key(&mut fk(
                        "fk_care_plan_action_plan",
                        (CarePlanAction::Table, CarePlanAction::PlanId),
                        (CarePlan::Table, CarePlan::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_care_plan_action_goal",
                        (CarePlanAction::Table, CarePlanAction::GoalId),
                        (CarePlanGoal::Table, CarePlanGoal::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_care_plan_action_owner_organisation",
                        (CarePlanAction::Table, CarePlanAction::OwnerOrganisationId),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_care_plan_action_owner_practitioner",
                        (CarePlanAction::Table, CarePlanAction::OwnerPractitionerId),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("idx_care_plan_action_plan", CarePlanAction::Table, &["plan_id", "position"]))
            .await?;
        manager
            .create_index(index(
                "idx_care_plan_action_owner_practitioner",
                CarePlanAction::Table,
                &["owner_practitioner_id", "status"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CarePlanRevision::Table)
                    .col(pk_uuid(CarePlanRevision::Id))
                    .col(uuid(CarePlanRevision::PlanId))
                    .col(integer(CarePlanRevision::Version))
                    .col(text(CarePlanRevision::Content))
                    .col(uuid(CarePlanRevision::ChangedBy))
                    .col(uuid(CarePlanRevision::ChangedOrganisationId))
                    .col(timestamp_with_time_zone(CarePlanRevision::ChangedAt))
                    .foreign_key(&mut fk(
                        "fk_care_plan_revision_plan",
                        (CarePlanRevision::Table, CarePlanRevision::PlanId),
                        (CarePlan::Table, CarePlan::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_care_plan_revision_changed_by",
                        (CarePlanRevision::Table, CarePlanRevision::ChangedBy),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // One revision per version: two writers that both read version n cannot both write n + 1.
        manager
            .create_index(
                index("uq_care_plan_revision_version", CarePlanRevision::Table, &["plan_id", "version"])
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CarePlanShare::Table)
                    .col(pk_uuid(CarePlanShare::Id))
                    .col(uuid(CarePlanShare::PlanId))
                    .col(uuid(CarePlanShare::PatientId))
                    .col(uuid(CarePlanShare::OrganisationId))
                    .col(string_len_null(CarePlanShare::OpenKey, 80))
                    .col(uuid(CarePlanShare::RecordedBy))
                    .col(timestamp_with_time_zone(CarePlanShare::RecordedAt))
                    .col(uuid_null(CarePlanShare::WithdrawnBy))
                    .col(timestamp_with_time_zone_null(CarePlanShare::WithdrawnAt))
                    .foreign_key(&mut fk(
                        "fk_care_plan_share_plan",
                        (CarePlanShare::Table, CarePlanShare::PlanId),
                        (CarePlan::Table, CarePlan::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_care_plan_share_patient",
                        (CarePlanShare::Table, CarePlanShare::PatientId),
                        (Patient::Table, Patient::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_care_plan_share_organisation",
                        (CarePlanShare::Table, CarePlanShare::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_care_plan_share_recorded_by",
                        (CarePlanShare::Table, CarePlanShare::RecordedBy),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_care_plan_share_withdrawn_by",
                        (CarePlanShare::Table, CarePlanShare::WithdrawnBy),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("uq_care_plan_share_open", CarePlanShare::Table, &["open_key"]).unique().to_owned())
            .await?;
        manager
            .create_index(index(
                "idx_care_plan_share_organisation",
                CarePlanShare::Table,
                &["organisation_id", "withdrawn_at", "recorded_at"],
            ))
            .await?;
        manager.create_index(index("idx_care_plan_share_plan", CarePlanShare::Table, &["plan_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table(OutcomeMeasurement::Table)
                    .col(pk_uuid(OutcomeMeasurement::Id))
                    .col(uuid(OutcomeMeasurement::PatientId))
                    .col(string_len(OutcomeMeasurement::Instrument, 32))
                    .col(string_len(OutcomeMeasurement::Kind, 16))
                    .col(uuid_null(OutcomeMeasurement::BaselineId))
                    .col(uuid_null(OutcomeMeasurement::ReferralId))
                    .col(date(OutcomeMeasurement::TakenOn))
                    .col(integer_null(OutcomeMeasurement::RawScore))
                    .col(double_null(OutcomeMeasurement::MetricScore))
                    .col(uuid(OutcomeMeasurement::RecordedBy))
                    .col(uuid(OutcomeMeasurement::RecordedOrganisationId))
                    .col(timestamp_with_time_zone(OutcomeMeasurement::RecordedAt))
                    .foreign_key(&mut fk(
                        "fk_outcome_measurement_patient",
                        (OutcomeMeasurement::Table, OutcomeMeasurement::PatientId),
                        (Patient::Table, Patient::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_outcome_measurement_baseline",
                        (OutcomeMeasurement::Table, OutcomeMeasurement::BaselineId),
                        (OutcomeMeasurement::Table, OutcomeMeasurement::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_outcome_measurement_referral",
                        (OutcomeMeasurement::Table, OutcomeMeasurement::ReferralId),
                        (Referral::Table, Referral::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_outcome_measurement_recorded_by",
                        (OutcomeMeasurement::Table, OutcomeMeasurement::RecordedBy),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_outcome_measurement_recorded_organisation",
                        (OutcomeMeasurement::Table, OutcomeMeasurement::RecordedOrganisationId),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_outcome_measurement_patient",
                OutcomeMeasurement::Table,
                &["patient_id", "instrument", "taken_on"],
            ))
            .await?;
        // The outcome report selects follow-ups by instrument and period.
        manager
            .create_index(index(
                "idx_outcome_measurement_report",
                OutcomeMeasurement::Table,
                &["instrument", "kind", "taken_on"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OutcomeResponse::Table)
                    .col(uuid(OutcomeResponse::MeasurementId))
                    .col(string_len(OutcomeResponse::Item, 40))
                    .col(small_integer(OutcomeResponse::Value))
                    .primary_key(Index::create().col(OutcomeResponse::MeasurementId).col(OutcomeResponse::Item))
                    .foreign_key(&mut fk(
                        "fk_outcome_response_measurement",
                        (OutcomeResponse::Table, OutcomeResponse::MeasurementId),
                        (OutcomeMeasurement::Table, OutcomeMeasurement::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OutcomeResponse::Table.into_iden(),
            OutcomeMeasurement::Table.into_iden(),
            CarePlanShare::Table.into_iden(),
            CarePlanRevision::Table.into_iden(),
            CarePlanAction::Table.into_iden(),
            CarePlanGoal::Table.into_iden(),
            CarePlan::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
