//! The community asset directory (assets, their categories and weekly sessions), postcode
//! locations for distances, and people's connections to assets with their history.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CommunityAsset {
    Table,
    Id,
    ProviderOrganisationId,
    NeighbourhoodId,
    Name,
    Description,
    Address,
    Postcode,
    Latitude,
    Longitude,
    Contact,
    ScheduleNote,
    Cost,
    CostNote,
    MinAge,
    MaxAge,
    EligibilityNote,
    StepFree,
    AccessibleToilet,
    NoiseLevel,
    SensoryFriendly,
    HearingLoop,
    OnBusRoute,
    TransportProvided,
    Languages,
    Capacity,
    PlacesTaken,
    TakesReferrals,
    LastCheckedOn,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CommunityAssetCategory {
    Table,
    AssetId,
    Category,
}

#[derive(DeriveIden)]
enum CommunityAssetCondition {
    Table,
    AssetId,
    SnomedCode,
}

#[derive(DeriveIden)]
enum CommunityAssetSession {
    Table,
    Id,
    AssetId,
    Weekday,
    StartsAt,
    EndsAt,
}

#[derive(DeriveIden)]
enum PostcodeLocation {
    Table,
    Postcode,
    District,
    Latitude,
    Longitude,
}

#[derive(DeriveIden)]
enum AssetConnection {
    Table,
    Id,
    PatientId,
    AssetId,
    ReferralId,
    State,
    OpenKey,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    StartedAt,
    EndedAt,
}

#[derive(DeriveIden)]
enum AssetConnectionEvent {
    Table,
    Id,
    ConnectionId,
    FromState,
    ToState,
    PractitionerId,
    OrganisationId,
    OccurredAt,
    Note,
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use CommunityAsset as A;
        manager
            .create_table(
                Table::create()
                    .table(A::Table)
                    .col(pk_uuid(A::Id))
                    .col(uuid(A::ProviderOrganisationId))
                    .col(uuid(A::NeighbourhoodId))
                    .col(string_len(A::Name, 200))
                    .col(text(A::Description))
                    .col(string_len(A::Address, 300))
                    .col(string_len(A::Postcode, 10))
                    .col(double(A::Latitude))
                    .col(double(A::Longitude))
                    .col(string_len_null(A::Contact, 200))
                    .col(text_null(A::ScheduleNote))
                    .col(string_len(A::Cost, 16))
                    .col(string_len_null(A::CostNote, 200))
                    .col(integer_null(A::MinAge))
                    .col(integer_null(A::MaxAge))
                    .col(text_null(A::EligibilityNote))
                    .col(boolean(A::StepFree))
                    .col(boolean(A::AccessibleToilet))
                    .col(string_len(A::NoiseLevel, 16))
                    .col(boolean(A::SensoryFriendly))
                    .col(boolean(A::HearingLoop))
                    .col(boolean(A::OnBusRoute))
                    .col(boolean(A::TransportProvided))
                    .col(string_len(A::Languages, 200))
                    .col(integer_null(A::Capacity))
                    .col(integer(A::PlacesTaken))
                    .col(boolean(A::TakesReferrals))
                    .col(date(A::LastCheckedOn))
                    .col(boolean(A::Active))
                    .col(timestamp_with_time_zone(A::CreatedAt))
                    .col(timestamp_with_time_zone(A::UpdatedAt))
                    .check(Expr::col(A::PlacesTaken).gte(0))
                    .foreign_key(&mut fk(
                        "fk_community_asset_provider",
                        (A::Table, A::ProviderOrganisationId),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_community_asset_neighbourhood",
                        (A::Table, A::NeighbourhoodId),
                        (Neighbourhood::Table, Neighbourhood::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("idx_community_asset_neighbourhood", A::Table, &["neighbourhood_id", "name"]))
            .await?;
        manager.create_index(index("idx_community_asset_location", A::Table, &["latitude", "longitude"])).await?;
        manager.create_index(index("idx_community_asset_provider", A::Table, &["provider_organisation_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table(CommunityAssetCategory::Table)
                    .col(uuid(CommunityAssetCategory::AssetId))
                    .col(string_len(CommunityAssetCategory::Category, 32))
                    .primary_key(
                        Index::create().col(CommunityAssetCategory::AssetId).col(CommunityAssetCategory::Category),
                    )
                    .foreign_key(&mut fk(
                        "fk_community_asset_category_asset",
                        (CommunityAssetCategory::Table, CommunityAssetCategory::AssetId),
                        (A::Table, A::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_community_asset_category_category",
                CommunityAssetCategory::Table,
                &["category", "asset_id"],
            ))
            .await?;

        // The long-term conditions an activity is meant for (e.g. COPD for singing for breathing).
        manager
            .create_table(
                Table::create()
                    .table(CommunityAssetCondition::Table)
                    .col(uuid(CommunityAssetCondition::AssetId))
                    .col(string_len(CommunityAssetCondition::SnomedCode, 20))
                    .primary_key(
                        Index::create().col(CommunityAssetCondition::AssetId).col(CommunityAssetCondition::SnomedCode),
                    )
                    .foreign_key(&mut fk(
                        "fk_community_asset_condition_asset",
                        (CommunityAssetCondition::Table, CommunityAssetCondition::AssetId),
                        (A::Table, A::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CommunityAssetSession::Table)
                    .col(pk_uuid(CommunityAssetSession::Id))
                    .col(uuid(CommunityAssetSession::AssetId))
                    .col(small_integer(CommunityAssetSession::Weekday))
                    .col(string_len(CommunityAssetSession::StartsAt, 5))
                    .col(string_len(CommunityAssetSession::EndsAt, 5))
                    .foreign_key(&mut fk(
                        "fk_community_asset_session_asset",
                        (CommunityAssetSession::Table, CommunityAssetSession::AssetId),
                        (A::Table, A::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_community_asset_session_asset",
                CommunityAssetSession::Table,
                &["asset_id", "weekday"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PostcodeLocation::Table)
                    .col(string_len(PostcodeLocation::Postcode, 10).primary_key())
                    .col(string_len(PostcodeLocation::District, 5))
                    .col(double(PostcodeLocation::Latitude))
                    .col(double(PostcodeLocation::Longitude))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("idx_postcode_location_district", PostcodeLocation::Table, &["district"])).await?;

        use AssetConnection as C;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .col(pk_uuid(C::Id))
                    .col(uuid(C::PatientId))
                    .col(uuid(C::AssetId))
                    .col(uuid_null(C::ReferralId))
                    .col(string_len(C::State, 16))
                    .col(string_len_null(C::OpenKey, 80))
                    .col(uuid(C::CreatedBy))
                    .col(timestamp_with_time_zone(C::CreatedAt))
                    .col(timestamp_with_time_zone(C::UpdatedAt))
                    .col(timestamp_with_time_zone_null(C::StartedAt))
                    .col(timestamp_with_time_zone_null(C::EndedAt))
                    .foreign_key(&mut fk(
                        "fk_asset_connection_patient",
                        (C::Table, C::PatientId),
                        (Patient::Table, Patient::Id),
                    ))
                    .foreign_key(&mut fk("fk_asset_connection_asset", (C::Table, C::AssetId), (A::Table, A::Id)))
                    .foreign_key(&mut fk(
                        "fk_asset_connection_referral",
                        (C::Table, C::ReferralId),
                        (Referral::Table, Referral::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_asset_connection_created_by",
                        (C::Table, C::CreatedBy),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("uq_asset_connection_open", C::Table, &["open_key"]).unique().to_owned()).await?;
        manager
            .create_index(index("idx_asset_connection_asset", C::Table, &["asset_id", "state", "created_at"]))
            .await?;
        manager.create_index(index("idx_asset_connection_patient", C::Table, &["patient_id", "created_at"])).await?;

        use AssetConnectionEvent as E;
        manager
            .create_table(
                Table::create()
                    .table(E::Table)
                    .col(pk_uuid(E::Id))
                    .col(uuid(E::ConnectionId))
                    .col(string_len_null(E::FromState, 16))
                    .col(string_len(E::ToState, 16))
                    .col(uuid(E::PractitionerId))
                    .col(uuid(E::OrganisationId))
                    .col(timestamp_with_time_zone(E::OccurredAt))
                    .col(text_null(E::Note))
                    .foreign_key(&mut fk(
                        "fk_asset_connection_event_connection",
                        (E::Table, E::ConnectionId),
                        (C::Table, C::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_asset_connection_event_practitioner",
                        (E::Table, E::PractitionerId),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_asset_connection_event_organisation",
                        (E::Table, E::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("idx_asset_connection_event_connection", E::Table, &["connection_id", "occurred_at"]))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AssetConnectionEvent::Table.into_iden(),
            AssetConnection::Table.into_iden(),
            PostcodeLocation::Table.into_iden(),
            CommunityAssetSession::Table.into_iden(),
            CommunityAssetCondition::Table.into_iden(),
            CommunityAssetCategory::Table.into_iden(),
            CommunityAsset::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
