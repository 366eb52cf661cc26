use sea_orm::entity::prelude::*;

use crate::enums::Discipline;

/// A discipline one MDT meeting requires for quoracy. A meeting with none follows its
/// neighbourhood's list (`neighbourhood_required_discipline`), else the default.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "mdt_meeting_required_discipline")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub meeting_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub discipline: Discipline,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
