use sea_orm::entity::prelude::*;

use crate::enums::{ReferralEventKind, ReferralStatus};

/// An immutable entry in a referral's history: who, which organisation, when, why.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "referral_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub referral_id: Uuid,
    pub kind: ReferralEventKind,
    pub from_status: Option<ReferralStatus>,
    pub to_status: Option<ReferralStatus>,
    pub practitioner_id: Uuid,
    pub organisation_id: Uuid,
    pub occurred_at: DateTimeUtc,
    pub reason: Option<String>,
    /// SNOMED CT code of the event where one exists (e.g. 871731000000106).
    pub snomed_code: Option<String>,
    /// For `assigned` events: the worker the referral was assigned to.
    pub assigned_practitioner_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
