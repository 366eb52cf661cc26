//! Indexes that let every slice of a referral list be read in date order, so that an inbox costs
//! its page, not the organisation's whole history. A referral list is the union of three parties
//! (referring organisation, receiving organisation, assigned worker), each cut per status when the
//! list filters by status (`referrals::list`); each slice needs an index on (party, status,
//! created_at) or, unfiltered, on (party, created_at). A county-wide provider receives referrals
//! from every neighbourhood, so its inbox grows with the population it serves.

use sea_orm_migration::prelude::*;

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Referral {
    Table,
}

/// (name, columns) of the indexes this migration creates.
const CREATED: [(&str, &[&str]); 4] = [
    ("idx_referral_receiving_created", &["receiving_organisation_id", "created_at"]),
    ("idx_referral_referring_status", &["referring_organisation_id", "status", "created_at"]),
    ("idx_referral_assigned_status_created", &["assigned_practitioner_id", "status", "created_at"]),
    ("idx_referral_assigned_created", &["assigned_practitioner_id", "created_at"]),
];

/// Replaced by `idx_referral_assigned_status_created`, which has it as a prefix.
const REPLACED: (&str, &[&str]) = ("idx_referral_assigned", &["assigned_practitioner_id", "status"]);

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, cols) in CREATED {
            manager.create_index(index(name, Referral::Table, cols)).await?;
        }
        manager.drop_index(Index::drop().name(REPLACED.0).table(Referral::Table).to_owned()).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_index(index(REPLACED.0, Referral::Table, REPLACED.1)).await?;
        for (name, _) in CREATED {
            manager.drop_index(Index::drop().name(name).table(Referral::Table).to_owned()).await?;
        }
        Ok(())
    }
}
