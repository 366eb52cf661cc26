use sea_orm::entity::prelude::*;

use crate::enums::MeasurementKind;

/// One administration of an outcome instrument (SWEMWBS, ONS4 …) to a person. Item responses are
/// in `outcome_response`; the scores are computed by the server when it is recorded.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "outcome_measurement")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub patient_id: Uuid,
    /// The instrument's key in the server's catalogue, e.g. `swemwbs`, `ons4`.
    pub instrument: String,
    pub kind: MeasurementKind,
    /// For a follow-up: the baseline it is compared with.
    pub baseline_id: Option<Uuid>,
    pub referral_id: Option<Uuid>,
    pub taken_on: Date,
    /// Sum of the items, where the instrument has one.
    pub raw_score: Option<i32>,
    /// The instrument's converted score (SWEMWBS metric score), where it has one.
    pub metric_score: Option<f64>,
    pub recorded_by: Uuid,
    pub recorded_organisation_id: Uuid,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
