//! The people a caller reaches through referrals, in two small index probes per request.
//!
//! Staff of adult social care, mental health, community nursing and social prescribing services see
//! a person only through a care relationship; one of them is a referral to their organisation (or
//! assigned to them) that is open or ended within the configured period
//! (`domain::auth::AccessWindows::referral_days_after_end`). The caller is loaded with those people
//! on every request, so the statement asks `(receiving_organisation_id, ended_at)` and
//! `(assigned_practitioner_id, ended_at)` for `ended_at IS NULL` (open) and `ended_at >= cutoff`:
//! ranges of the index, not the organisation's whole referral history, which grows every year.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Referral {
    Table,
}

const RECEIVING: &str = "idx_referral_receiving_ended";
const ASSIGNED: &str = "idx_referral_assigned_ended";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(crate::helpers::index(RECEIVING, Referral::Table, &["receiving_organisation_id", "ended_at"]))
            .await?;
        manager
            .create_index(crate::helpers::index(ASSIGNED, Referral::Table, &["assigned_practitioner_id", "ended_at"]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [RECEIVING, ASSIGNED] {
            manager.drop_index(Index::drop().name(name).table(Referral::Table).to_owned()).await?;
        }
        Ok(())
    }
}
