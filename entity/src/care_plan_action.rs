use sea_orm::entity::prelude::*;

use crate::enums::PlanActionStatus;

/// An action in a care plan, owned by an organisation or a practitioner (or both).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "care_plan_action")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub plan_id: Uuid,
    /// The goal it serves, if any.
    pub goal_id: Option<Uuid>,
    pub position: i32,
    pub text: String,
    pub owner_organisation_id: Option<Uuid>,
    pub owner_practitioner_id: Option<Uuid>,
    pub due_date: Option<Date>,
    pub status: PlanActionStatus,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
