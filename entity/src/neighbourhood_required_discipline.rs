use sea_orm::entity::prelude::*;

use crate::enums::Discipline;

/// A discipline a neighbourhood requires at its MDT meetings for them to be quorate.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "neighbourhood_required_discipline")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub neighbourhood_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub discipline: Discipline,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
