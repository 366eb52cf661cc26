use sea_orm::entity::prelude::*;

use crate::enums::PlanActionStatus;

/// One change of an MDT action's status (immutable).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "mdt_action_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub action_id: Uuid,
    pub from_status: Option<PlanActionStatus>,
    pub to_status: PlanActionStatus,
    pub practitioner_id: Uuid,
    pub occurred_at: DateTimeUtc,
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
