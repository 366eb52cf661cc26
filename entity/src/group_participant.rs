use sea_orm::entity::prelude::*;

/// A person's membership of a support group, from joining to leaving (kept after they leave).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "group_participant")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub group_id: Uuid,
    pub patient_id: Uuid,
    /// The referral the person is supported under (e.g. while waiting for first contact).
    pub referral_id: Option<Uuid>,
    /// `group:patient` while the membership is current, NULL after leaving (unique).
    pub open_key: Option<String>,
    pub joined_at: DateTimeUtc,
    pub left_at: Option<DateTimeUtc>,
    pub added_by: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
