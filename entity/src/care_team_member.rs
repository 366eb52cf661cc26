use sea_orm::entity::prelude::*;

/// A practitioner named in a person's care team: how they are involved, since when, and whether
/// they are the person's named care coordinator (at most one at a time). Rows are kept; ending a
/// membership closes the access it gave at the caller's next request.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "care_team_member")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub patient_id: Uuid,
    pub practitioner_id: Uuid,
    /// The practitioner's organisation when they joined the team.
    pub organisation_id: Uuid,
    /// How they are involved, in words ("Community matron", "Social worker for the carer").
    pub team_role: String,
    pub is_care_coordinator: bool,
    /// The day their involvement began.
    pub since: Date,
    /// `patient:practitioner` while the membership stands, NULL once it ends (unique).
    pub open_key: Option<String>,
    /// The patient's id while this is their standing named care coordinator, else NULL (unique).
    pub coordinator_key: Option<String>,
    pub added_by: Uuid,
    pub added_at: DateTimeUtc,
    pub ended_by: Option<Uuid>,
    pub ended_at: Option<DateTimeUtc>,
    pub end_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
