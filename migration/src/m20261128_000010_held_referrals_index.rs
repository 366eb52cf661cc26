//! What each worker holds, in one small ordered index: `(assigned_practitioner_id, created_at, id)`
//! over the referrals in a state that counts against a caseload (awaiting contact, contacted,
//! active).
//!
//! A caseload page and a caseload count name one worker and those states. Through the index of
//! 000007 on `(assigned_practitioner_id, status, created_at, id)` that is the best plan only when
//! PostgreSQL plans the statement for the states it is given; a prepared statement is soon planned
//! once for any states (a generic plan), and then PostgreSQL read the worker's whole assignment
//! history in date order through `(assigned_practitioner_id, created_at, id)` and dropped what was
//! closed: 290 entries and 87 buffers for 29 held referrals in the benchmark, growing with every
//! year of the worker's history. A partial index holds only what is held, so a statement whose text
//! states these states (`referrals::caseload::held`) reads the page in order and stops at its end
//! (13 buffers), and counts from the index alone (3 buffers). Closing a referral takes it out.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Referral {
    Table,
    Status,
}

pub const HELD_INDEX: &str = "idx_referral_held";

/// The states the index holds, as stored. `referrals::caseload::CASELOAD_STATES` must name the same
/// (a test checks it): another set needs another migration.
pub const HELD_STATES: [&str; 3] = ["awaiting_contact", "contacted", "active"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut index =
            crate::helpers::index(HELD_INDEX, Referral::Table, &["assigned_practitioner_id", "created_at", "id"]);
        index.and_where(Expr::col(Referral::Status).is_in(HELD_STATES));
        manager.create_index(index).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name(HELD_INDEX).table(Referral::Table).to_owned()).await
    }
}
