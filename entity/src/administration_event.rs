use sea_orm::entity::prelude::*;

/// One administrative change: an organisation, neighbourhood or practitioner created or changed,
/// a practitioner deactivated, a file imported. Who did it (null: the deployment's command line),
/// when, what it concerned, a sentence saying what changed, and the change as JSON (the fields
/// before and after). Rows are never updated or deleted.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "administration_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub at: DateTimeUtc,
    pub actor_id: Option<Uuid>,
    /// What was done, e.g. `practitioner.deactivate`.
    pub action: String,
    /// `organisation`, `neighbourhood`, `practitioner` or `import`.
    pub subject_kind: String,
    pub subject_id: Uuid,
    /// The organisation the change concerns (its own, or the practitioner's), when there is one.
    pub organisation_id: Option<Uuid>,
    pub summary: String,
    /// JSON: the fields changed, before and after.
    pub detail: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
