use sea_orm::entity::prelude::*;

/// A saved, named cohort definition; its membership is computed by query, never copied.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "cohort")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub neighbourhood_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    /// The criteria as JSON text (see `api::patients::PatientCriteria`).
    pub definition: String,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
