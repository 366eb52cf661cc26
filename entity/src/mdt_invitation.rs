use sea_orm::entity::prelude::*;

use crate::enums::{Discipline, MeetingAttendance};

/// A practitioner invited to an MDT meeting, with the discipline they bring and whether they came.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "mdt_invitation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub meeting_id: Uuid,
    pub practitioner_id: Uuid,
    pub organisation_id: Uuid,
    pub discipline: Discipline,
    pub attendance: MeetingAttendance,
    /// `meeting:practitioner` while the invitation stands, NULL once removed (unique).
    pub open_key: Option<String>,
    pub invited_by: Uuid,
    pub invited_at: DateTimeUtc,
    pub removed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
