use sea_orm::entity::prelude::*;

use crate::enums::{ReferralOutcome, ReferralService, ReferralSource, ReferralStatus, Urgency};

/// A referral of a patient to a receiving service. `status` changes only through the state
/// machine, each change with its `referral_event`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "referral")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub patient_id: Uuid,
    pub source: ReferralSource,
    pub referring_practitioner_id: Uuid,
    pub referring_organisation_id: Uuid,
    pub service: ReferralService,
    pub receiving_organisation_id: Uuid,
    pub urgency: Urgency,
    pub context: Option<String>,
    /// For a voluntary-sector receiver: what it needs to know, written with nothing clinical in it.
    pub partner_summary: Option<String>,
    pub consent_recorded_by: Uuid,
    pub consent_recorded_at: DateTimeUtc,
    pub status: ReferralStatus,
    /// `patient:service` while the referral is open, NULL once it ends: a unique index on it
    /// makes "one open referral per patient and service" hold under concurrent creates.
    pub open_key: Option<String>,
    pub assigned_practitioner_id: Option<Uuid>,
    /// The referrer's idempotency key: a retried create returns the first referral.
    pub idempotency_key: Option<String>,
    pub first_contact_at: Option<DateTimeUtc>,
    pub ended_at: Option<DateTimeUtc>,
    pub outcome: Option<ReferralOutcome>,
    pub rejection_reason: Option<String>,
    pub suggested_alternative: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
