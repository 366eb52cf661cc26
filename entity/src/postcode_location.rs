use sea_orm::entity::prelude::*;

/// Where a postcode is (WGS84), for distances. Loaded from a postcode directory in production;
/// the demo writes the postcodes it generates.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "postcode_location")]
pub struct Model {
    /// Normalised: upper case, one space before the inward code (`NG5 6AA`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub postcode: String,
    /// The outward code (`NG5`), for district-level look-ups.
    pub district: String,
    pub latitude: f64,
    pub longitude: f64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
