use sea_orm::entity::prelude::*;

/// One item's response in an outcome measurement.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "outcome_response")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub measurement_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub item: String,
    pub value: i16,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
