use sea_orm::entity::prelude::*;

/// A long-term condition (SNOMED CT) a community asset is meant for.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "community_asset_condition")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub asset_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub snomed_code: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
