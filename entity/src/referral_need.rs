use sea_orm::entity::prelude::*;

use crate::enums::ReferralNeed;

/// One coded need or reason on a referral (`detail` holds the text for `other`).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "referral_need")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub referral_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub need: ReferralNeed,
    pub detail: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
