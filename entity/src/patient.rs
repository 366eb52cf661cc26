use sea_orm::entity::prelude::*;

use crate::enums::Sex;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "patient")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Ten digits, Modulus 11 checked before it is stored.
    #[sea_orm(unique)]
    pub nhs_number: String,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Date,
    pub sex: Sex,
    pub postcode: String,
    /// Index of Multiple Deprivation decile (1 = most deprived).
    pub deprivation_decile: Option<i16>,
    pub registered_practice_id: Uuid,
    pub neighbourhood_id: Uuid,
    /// Electronic Frailty Index score, 0..=1 (deficits present / 36).
    pub efi_score: Option<f64>,
    pub efi_calculated_on: Option<Date>,
    /// Clinical Frailty Scale 1..=9, when a clinician has assessed it.
    pub clinical_frailty_scale: Option<i16>,
    pub cfs_assessed_on: Option<Date>,
    pub lives_alone: bool,
    pub is_carer: bool,
    pub hearing_impairment: bool,
    pub visual_impairment: bool,
    /// Preferred language when an interpreter is needed; `None` when none is needed.
    pub interpreter_language: Option<String>,
    pub national_data_opt_out: bool,
    /// An objection to sharing beyond the GP practice stands (`sharing_objection`): only the
    /// practice, and break-glass, read the record.
    pub objects_to_sharing: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Who recorded the eFI (null when it came with the register, as the demo's did).
    pub efi_recorded_by: Option<Uuid>,
    /// The clinician who assessed the Clinical Frailty Scale.
    pub cfs_assessed_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
