use sea_orm::entity::prelude::*;

use crate::enums::{AssetCost, NoiseLevel};

/// An activity or service in the community asset directory (shaped like an Open Referral UK
/// service at a location). Categories and weekly sessions are child tables.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "community_asset")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub provider_organisation_id: Uuid,
    /// The neighbourhood whose directory lists it.
    pub neighbourhood_id: Uuid,
    pub name: String,
    pub description: String,
    pub address: String,
    pub postcode: String,
    pub latitude: f64,
    pub longitude: f64,
    /// How to get in touch (phone, email or web), as published.
    pub contact: Option<String>,
    /// Free-text schedule notes beyond the weekly sessions ("term time only").
    pub schedule_note: Option<String>,
    pub cost: AssetCost,
    pub cost_note: Option<String>,
    pub min_age: Option<i32>,
    pub max_age: Option<i32>,
    pub eligibility_note: Option<String>,
    pub step_free: bool,
    pub accessible_toilet: bool,
    pub noise_level: NoiseLevel,
    pub sensory_friendly: bool,
    pub hearing_loop: bool,
    /// On or near a bus route.
    pub on_bus_route: bool,
    /// The provider offers transport (community bus, volunteer drivers).
    pub transport_provided: bool,
    /// Places in all; NULL when not limited.
    pub capacity: Option<i32>,
    /// Places held by people referred or attending.
    pub places_taken: i32,
    /// Takes referrals; false means signposting only.
    pub takes_referrals: bool,
    pub last_checked_on: Date,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
