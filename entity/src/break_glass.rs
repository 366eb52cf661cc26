use sea_orm::entity::prelude::*;

/// A clinician's emergency access to a record they have no care relationship with: the coded
/// reason and their own words, when it began and when it lapses, and the privacy officer's review.
/// Rows are never deleted: each is a use to be reviewed.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "break_glass")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub practitioner_id: Uuid,
    /// The practitioner's organisation and role when they broke the glass.
    pub organisation_id: Uuid,
    pub professional_role: String,
    pub patient_id: Uuid,
    /// The coded reason (`domain::break_glass::BreakGlassReason`, as stored).
    pub reason: String,
    /// Why, in the practitioner's words.
    pub detail: String,
    pub started_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<DateTimeUtc>,
    /// The review's outcome (`domain::break_glass::ReviewOutcome`, as stored).
    pub review_outcome: Option<String>,
    pub review_note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
