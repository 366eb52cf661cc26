//! `referral.partner_summary`: what the referrer writes for a voluntary-sector (VCSE) receiver, in
//! words that carry nothing clinical. A VCSE party to a referral does not read the referral's
//! free text written by other organisations (`context`, need details, reasons), which may be
//! clinical ("two falls this month…"); it reads the need categories and this summary.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::text_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Referral {
    Table,
    PartnerSummary,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(Referral::Table).add_column(text_null(Referral::PartnerSummary)).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Referral::Table).drop_column(Referral::PartnerSummary).to_owned())
            .await
    }
}
