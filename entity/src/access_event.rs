use sea_orm::entity::prelude::*;

/// One audited operation of one request: who, as what, when, through which GraphQL operation. The
/// people it read are its `access_event_patient` rows. No foreign key to the practitioner or the
/// patients: the trail must outlive the records it describes.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "access_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub occurred_at: DateTimeUtc,
    pub practitioner_id: Uuid,
    pub organisation_id: Uuid,
    pub professional_role: String,
    /// The GraphQL operation, e.g. `query CohortPage` (at most 300 characters).
    pub operation: String,
    /// The field path the read went through, e.g. `patients` or `mdtMeeting.agenda` (kept whole;
    /// absent on events recorded before it had a column of its own).
    pub field_path: Option<String>,
    pub request_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::access_event_patient::Entity")]
    Patients,
}

impl Related<super::access_event_patient::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Patients.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
