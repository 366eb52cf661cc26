use sea_orm::entity::prelude::*;

use crate::enums::{ReferralOutcome, ReferralStatus};

/// Structured feedback to the referring practice when a referral ends, ready to file in the GP
/// record; the practice lists it and marks it filed.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "referral_feedback")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub referral_id: Uuid,
    pub patient_id: Uuid,
    /// The practice (or other organisation) that made the referral and files the feedback.
    pub referring_organisation_id: Uuid,
    /// The state the referral ended in.
    pub ended_status: ReferralStatus,
    pub outcome: Option<ReferralOutcome>,
    /// SNOMED CT codes to file, comma-separated (empty when none exists for the service).
    pub snomed_codes: String,
    pub summary: String,
    /// The worker who supported the person (the assigned worker), if any.
    pub worker_id: Option<Uuid>,
    /// Who ended the referral and wrote the feedback.
    pub written_by: Uuid,
    pub created_at: DateTimeUtc,
    pub filed_at: Option<DateTimeUtc>,
    pub filed_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
