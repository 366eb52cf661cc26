use sea_orm::entity::prelude::*;

use crate::enums::ProfessionalRole;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "practitioner")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub given_name: String,
    pub family_name: String,
    pub professional_role: ProfessionalRole,
    pub organisation_id: Uuid,
    /// Whole-time equivalent, 0 < fte <= 1.
    pub fte: f64,
    /// How many people this practitioner can hold at once (caseload-holding roles only).
    pub caseload_capacity: Option<i32>,
    pub active: bool,
    pub created_at: DateTimeUtc,
    /// The `sub` claim of the identity provider's tokens for this practitioner (unique; null: they
    /// cannot sign in yet).
    pub identity_subject: Option<String>,
    /// When they were deactivated (null while active).
    pub left_at: Option<DateTimeUtc>,
    /// The organisation's own reference for them (staff number, HR row id): unique within it; what
    /// a staff list import matches on.
    pub staff_ref: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
