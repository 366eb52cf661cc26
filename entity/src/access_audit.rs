use sea_orm::entity::prelude::*;

/// One read or write of a patient's record: who, as what, which operation, on what grounds.
/// No foreign key to the patient: the trail must outlive the record it describes.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "access_audit")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub occurred_at: DateTimeUtc,
    pub practitioner_id: Uuid,
    pub organisation_id: Uuid,
    pub professional_role: String,
    pub patient_id: Uuid,
    /// GraphQL operation and field, e.g. `query CohortPage / patients`.
    pub operation: String,
    /// Why access was granted (e.g. `neighbourhood_member`).
    pub access_reason: String,
    pub request_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
