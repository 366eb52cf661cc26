use sea_orm::entity::prelude::*;

/// One person whose record an `access_event` read or wrote, and on what grounds. The key is
/// `(patient_id, event_id)`: a person's trail is one index range, and event ids (UUID v7) are in
/// time order within it. Written only together with its event, in the same statement.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "access_event_patient")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub patient_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_id: Uuid,
    /// Why access was granted (e.g. `neighbourhood_member`).
    pub access_reason: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::access_event::Entity",
        from = "Column::EventId",
        to = "super::access_event::Column::Id"
    )]
    Event,
}

impl Related<super::access_event::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Event.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
