use sea_orm::entity::prelude::*;

use crate::enums::OrganisationKind;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "organisation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub ods_code: String,
    pub name: String,
    pub kind: OrganisationKind,
    pub parent_id: Option<Uuid>,
    /// Registered list size (GP practices only).
    pub list_size: Option<i32>,
    pub postcode: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
