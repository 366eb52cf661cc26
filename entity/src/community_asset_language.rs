use sea_orm::entity::prelude::*;

/// A language a community asset's sessions are run in besides English (e.g. `Polish`), as the
/// provider names it.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "community_asset_language")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub asset_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub language: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
