use sea_orm::entity::prelude::*;

/// The person's agreement that an organisation may see their plan summary: who recorded it and
/// when, and when it was withdrawn (rows are kept; withdrawal closes access at once).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "care_plan_share")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub plan_id: Uuid,
    pub patient_id: Uuid,
    pub organisation_id: Uuid,
    /// `plan:organisation` while the agreement stands, NULL once withdrawn (unique).
    pub open_key: Option<String>,
    pub recorded_by: Uuid,
    pub recorded_at: DateTimeUtc,
    pub withdrawn_by: Option<Uuid>,
    pub withdrawn_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
