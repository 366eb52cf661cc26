use sea_orm::entity::prelude::*;

use crate::enums::{GoalStatus, ReferralNeed};

/// A goal in a care plan, in the current version (history lives in revisions).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "care_plan_goal")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub plan_id: Uuid,
    /// Order in the plan, from 0.
    pub position: i32,
    /// The need or domain the goal addresses (the referral need codes).
    pub need: ReferralNeed,
    pub text: String,
    pub status: GoalStatus,
    pub target_date: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
