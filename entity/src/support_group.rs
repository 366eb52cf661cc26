use sea_orm::entity::prelude::*;

use crate::enums::ReferralNeed;

/// A link-worker-led group (e.g. people waiting with similar needs), run by one organisation for
/// one neighbourhood.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "support_group")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub neighbourhood_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    /// The need the group is for, if it has one focus.
    pub focus_need: Option<ReferralNeed>,
    pub leader_id: Uuid,
    /// Most participants at once, if limited.
    pub capacity: Option<i32>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
