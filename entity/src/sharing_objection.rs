use sea_orm::entity::prelude::*;

/// A person's objection to their record being shared beyond their GP practice: recorded by the
/// practice (who, when, the person's words) and withdrawn the same way. Rows are kept; while one
/// stands (`open_key` set) `patient.objects_to_sharing` is true, and only the practice (and
/// break-glass) reads the record.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sharing_objection")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub patient_id: Uuid,
    /// The practice that recorded it (the person's registered practice then).
    pub organisation_id: Uuid,
    pub recorded_by: Uuid,
    pub recorded_at: DateTimeUtc,
    /// What the person said, in their words or the practice's note of them.
    pub note: Option<String>,
    /// The patient's id while the objection stands, NULL once withdrawn (unique).
    pub open_key: Option<String>,
    pub withdrawn_by: Option<Uuid>,
    pub withdrawn_at: Option<DateTimeUtc>,
    pub withdrawal_note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
