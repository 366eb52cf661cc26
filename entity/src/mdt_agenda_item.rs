use sea_orm::entity::prelude::*;

use crate::enums::AgendaItemKind;

/// One person on an MDT meeting's agenda.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "mdt_agenda_item")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub meeting_id: Uuid,
    pub patient_id: Uuid,
    /// Order on the agenda, from 0.
    pub position: i32,
    pub reason: String,
    pub kind: AgendaItemKind,
    pub presenter_id: Option<Uuid>,
    pub minutes_allotted: i32,
    /// `meeting:patient` while on the agenda, NULL once removed (unique).
    pub open_key: Option<String>,
    pub added_by: Uuid,
    pub added_at: DateTimeUtc,
    pub removed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
