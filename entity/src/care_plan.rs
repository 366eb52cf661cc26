use sea_orm::entity::prelude::*;

/// A person's current personalised care and support plan (one per person). Goals, actions and
/// sharing hang off it; every change bumps `version` and leaves a revision behind.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "care_plan")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub patient_id: Uuid,
    /// 1 when written, +1 per change; an update based on an older version is refused.
    pub version: i32,
    /// "What matters to me", in the person's words.
    pub what_matters: String,
    pub strengths: Option<String>,
    pub review_date: Option<Date>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_by: Uuid,
    pub updated_organisation_id: Uuid,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
