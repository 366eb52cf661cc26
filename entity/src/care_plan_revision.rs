use sea_orm::entity::prelude::*;

/// A care plan as it stood at one version: the whole content as JSON, who changed it and when.
/// Written in the same transaction as the change; never updated.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "care_plan_revision")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub plan_id: Uuid,
    pub version: i32,
    /// What matters, strengths, review date, goals and actions at this version, as JSON text
    /// (portable across both databases; read back by the server only).
    pub content: String,
    pub changed_by: Uuid,
    pub changed_organisation_id: Uuid,
    pub changed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
