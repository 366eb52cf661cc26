use sea_orm::entity::prelude::*;

/// A volume alarm for the privacy officer: a caller refused for going over a per-minute limit
/// (`kind`: `requests_per_minute` or `records_per_minute`), with the limit and what the refused
/// call attempted. No foreign keys: the trail must outlive the records it describes.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "access_alarm")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub occurred_at: DateTimeUtc,
    pub practitioner_id: Uuid,
    pub organisation_id: Uuid,
    pub professional_role: String,
    pub kind: String,
    pub limit_per_minute: i64,
    /// Requests, or records, the refused call asked for.
    pub attempted: i64,
    pub request_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
