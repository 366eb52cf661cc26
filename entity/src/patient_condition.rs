use sea_orm::entity::prelude::*;

/// A long-term condition on a patient's record, coded in SNOMED CT.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "patient_condition")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub patient_id: Uuid,
    pub snomed_code: String,
    pub diagnosed_on: Option<Date>,
    pub recorded_at: DateTimeUtc,
    /// Who recorded it (null when it came with the register).
    pub recorded_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
