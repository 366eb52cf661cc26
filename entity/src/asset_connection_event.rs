use sea_orm::entity::prelude::*;

use crate::enums::ConnectionState;

/// One move of a connection (immutable): who, when, from which state to which, and a note.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "asset_connection_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub connection_id: Uuid,
    pub from_state: Option<ConnectionState>,
    pub to_state: ConnectionState,
    pub practitioner_id: Uuid,
    pub organisation_id: Uuid,
    pub occurred_at: DateTimeUtc,
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
