//! Indexes that let every slice of a referral list be read in date order from the index alone, so
//! that an inbox costs its page, not the organisation's whole history. A referral list is the union
//! of three parties (referring organisation, receiving organisation, assigned worker), each cut per
//! status when the list filters by status (`referrals::list`, `pagination::keyset_page_union`); each
//! slice reads (party, status, created_at, id) or, unfiltered, (party, created_at, id), and only the
//! rows on the page are then read whole. A county-wide provider receives referrals from every
//! neighbourhood, so its inbox grows with the population it serves.

use sea_orm_migration::prelude::*;

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Referral {
    Table,
}

/// (name, columns) of the indexes this migration creates.
const CREATED: [(&str, &[&str]); 6] = [
    ("idx_referral_receiving_status_created", &["receiving_organisation_id", "status", "created_at", "id"]),
    ("idx_referral_receiving_created", &["receiving_organisation_id", "created_at", "id"]),
    ("idx_referral_referring_status_created", &["referring_organisation_id", "status", "created_at", "id"]),
    ("idx_referral_referring_created", &["referring_organisation_id", "created_at", "id"]),
    ("idx_referral_assigned_status_created", &["assigned_practitioner_id", "status", "created_at", "id"]),
    ("idx_referral_assigned_created", &["assigned_practitioner_id", "created_at", "id"]),
];

/// The indexes of migration 000002 that the ones above extend (each is a prefix of one of them).
const REPLACED: [(&str, &[&str]); 3] = [
    ("idx_referral_receiving", &["receiving_organisation_id", "status", "created_at"]),
    ("idx_referral_referring", &["referring_organisation_id", "created_at"]),
    ("idx_referral_assigned", &["assigned_practitioner_id", "status"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, cols) in CREATED {
            manager.create_index(index(name, Referral::Table, cols)).await?;
        }
        for (name, _) in REPLACED {
            manager.drop_index(Index::drop().name(name).table(Referral::Table).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, cols) in REPLACED {
            manager.create_index(index(name, Referral::Table, cols)).await?;
        }
        for (name, _) in CREATED {
            manager.drop_index(Index::drop().name(name).table(Referral::Table).to_owned()).await?;
        }
        Ok(())
    }
}
