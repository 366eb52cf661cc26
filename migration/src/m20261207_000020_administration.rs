//! Administration of the team (issue 27): the identity a practitioner signs in with, when they
//! left, and the trail of administrative changes.
//!
//! - `practitioner.identity_subject`: the `sub` claim the deployment's identity provider (NHS
//!   CIS2, an organisation's own) puts in the practitioner's tokens; unique, so a token names at
//!   most one practitioner, and null for a practitioner who cannot sign in yet (a staff list
//!   loaded before their accounts exist). Practitioners stored before this migration signed in
//!   with tokens whose subject was their id, so that is what they keep.
//! - `practitioner.left_at`: when an administrator deactivated them (null while active).
//! - `administration_event`: who changed which organisation, neighbourhood or practitioner (or
//!   imported which file), when, and what, in words and as JSON, with the organisation it
//!   concerns (what an organisation's administrator reads back). Rows are never updated.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    pk_uuid, string_len, string_len_null, text, timestamp_with_time_zone, uuid, uuid_null,
};
use sea_orm_migration::sea_orm::prelude::Uuid;
use sea_orm_migration::sea_orm::ConnectionTrait;

use crate::helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Practitioner {
    Table,
    Id,
    IdentitySubject,
    LeftAt,
}

#[derive(DeriveIden)]
enum AdministrationEvent {
    Table,
    Id,
    At,
    ActorId,
    Action,
    SubjectKind,
    SubjectId,
    OrganisationId,
    Summary,
    Detail,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use AdministrationEvent as E;
        manager
            .alter_table(
                Table::alter()
                    .table(Practitioner::Table)
                    .add_column(string_len_null(Practitioner::IdentitySubject, 255))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Practitioner::Table)
                    .add_column(ColumnDef::new(Practitioner::LeftAt).timestamp_with_time_zone().null())
                    .to_owned(),
            )
            .await?;
        // Each stored practitioner keeps signing in as before: with their id as the subject. Read
        // and written through the driver, which stores a UUID as each database does.
        let db = manager.get_connection();
        let select = Query::select().column(Practitioner::Id).from(Practitioner::Table).to_owned();
        for row in db.query_all(&select).await? {
            let id: Uuid = row.try_get_by_index(0)?;
            let update = Query::update()
                .table(Practitioner::Table)
                .value(Practitioner::IdentitySubject, id.to_string())
                .and_where(Expr::col(Practitioner::Id).eq(id))
                .to_owned();
            db.execute(&update).await?;
        }
        manager
            .create_index(
                index("uq_practitioner_identity_subject", Practitioner::Table, &["identity_subject"])
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(E::Table)
                    .col(pk_uuid(E::Id))
                    .col(timestamp_with_time_zone(E::At))
                    .col(uuid_null(E::ActorId))
                    .col(string_len(E::Action, 64))
                    .col(string_len(E::SubjectKind, 32))
                    .col(uuid(E::SubjectId))
                    .col(uuid_null(E::OrganisationId))
                    .col(text(E::Summary))
                    .col(text(E::Detail))
                    .foreign_key(&mut fk(
                        "fk_administration_event_actor",
                        (E::Table, E::ActorId),
                        (Practitioner::Table, Practitioner::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("idx_administration_event_at", E::Table, &["at", "id"])).await?;
        manager.create_index(index("idx_administration_event_subject", E::Table, &["subject_id", "at"])).await?;
        manager
            .create_index(index("idx_administration_event_organisation", E::Table, &["organisation_id", "at", "id"]))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(AdministrationEvent::Table).to_owned()).await?;
        manager
            .drop_index(Index::drop().name("uq_practitioner_identity_subject").table(Practitioner::Table).to_owned())
            .await?;
        for column in [Practitioner::LeftAt, Practitioner::IdentitySubject] {
            manager.alter_table(Table::alter().table(Practitioner::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
