use sea_orm::entity::prelude::*;

/// A weekly session of a community asset: the day and times it runs.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "community_asset_session")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub asset_id: Uuid,
    /// ISO weekday: 1 Monday … 7 Sunday.
    pub weekday: i16,
    /// Local time, `HH:MM`.
    pub starts_at: String,
    pub ends_at: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
