use sea_orm::entity::prelude::*;

use crate::enums::PlanActionStatus;

/// An action agreed at an MDT meeting for one person, owned by a practitioner or an organisation.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "mdt_action")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub meeting_id: Uuid,
    pub item_id: Uuid,
    pub patient_id: Uuid,
    pub text: String,
    pub owner_practitioner_id: Option<Uuid>,
    pub owner_organisation_id: Option<Uuid>,
    pub due_date: Option<Date>,
    pub status: PlanActionStatus,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
