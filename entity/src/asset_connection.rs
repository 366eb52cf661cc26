use sea_orm::entity::prelude::*;

use crate::enums::ConnectionState;

/// A person connected to a community asset, from suggestion to attending and stopping or
/// completing. Referred and attending connections hold one of the asset's places.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "asset_connection")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub patient_id: Uuid,
    pub asset_id: Uuid,
    /// The referral the connection was made under, if any.
    pub referral_id: Option<Uuid>,
    pub state: ConnectionState,
    /// `patient:asset` while the connection is live (suggested, referred, attending), else NULL (unique).
    pub open_key: Option<String>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// When the person started attending.
    pub started_at: Option<DateTimeUtc>,
    /// When it stopped or completed.
    pub ended_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
