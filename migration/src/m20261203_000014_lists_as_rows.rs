//! Two lists that were stored as comma-joined text become rows, so that the database can check
//! them and a query can ask for them: a community asset's languages (`community_asset_language`,
//! one row per language its sessions are run in besides English) and the disciplines one MDT
//! meeting requires for quoracy (`mdt_meeting_required_discipline`; a meeting with none follows its
//! neighbourhood's list, as `neighbourhood_required_discipline`, or the default). What was stored
//! is carried over (trimmed, empty parts and repeats dropped) before the text columns go. A
//! discipline the list named that is not one of [`DISCIPLINES`] was already ignored when quoracy
//! was measured, and is dropped; a language longer than its new column stops the migration with
//! the asset named, rather than being cut short.

use std::collections::BTreeSet;

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{string_len, uuid};
use sea_orm_migration::sea_orm::ConnectionTrait;

use crate::helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum CommunityAsset {
    Table,
    Id,
    Languages,
}

#[derive(DeriveIden, Clone, Copy)]
enum CommunityAssetLanguage {
    Table,
    AssetId,
    Language,
}

#[derive(DeriveIden, Clone, Copy)]
enum MdtMeeting {
    Table,
    Id,
    RequiredDisciplines,
}

#[derive(DeriveIden, Clone, Copy)]
enum MdtMeetingRequiredDiscipline {
    Table,
    MeetingId,
    Discipline,
}

/// The disciplines' stored values when the lists became rows (frozen here, as a migration's
/// schema is: `entity::Discipline` may grow later).
pub const DISCIPLINES: [&str; 10] = [
    "general_practice",
    "practice_nursing",
    "pharmacy",
    "social_prescribing",
    "adult_social_care",
    "mental_health",
    "community_nursing",
    "occupational_therapy",
    "voluntary_sector",
    "coordination",
];

/// The longest language a `community_asset_language` row holds.
const LANGUAGE_LEN: u32 = 60;

/// The parts of a comma-joined list, trimmed, without empty parts or repeats.
fn parts(text: &str) -> BTreeSet<String> {
    text.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect()
}

/// Rows `(owner, part)` of every stored list of `column` in `table`.
async fn stored_lists(
    db: &SchemaManagerConnection<'_>,
    table: impl IntoIden + Clone,
    id: impl IntoIden + Clone,
    column: impl IntoIden + Clone,
) -> Result<Vec<(sea_orm_migration::sea_orm::prelude::Uuid, String)>, DbErr> {
    let select = Query::select().column(id.clone()).column(column.clone()).from(table).to_owned();
    let mut rows = Vec::new();
    for row in db.query_all(&select).await? {
        let owner = row.try_get_by_index(0)?;
        let list: Option<String> = row.try_get_by_index(1)?;
        for part in parts(list.as_deref().unwrap_or_default()) {
            rows.push((owner, part));
        }
    }
    Ok(rows)
}

async fn insert_rows(
    db: &SchemaManagerConnection<'_>,
    table: impl IntoIden + Clone,
    columns: [impl IntoIden + Clone; 2],
    rows: Vec<(sea_orm_migration::sea_orm::prelude::Uuid, String)>,
) -> Result<(), DbErr> {
    for chunk in rows.chunks(500) {
        let mut insert = Query::insert().into_table(table.clone()).columns(columns.clone()).to_owned();
        for (owner, part) in chunk {
            insert.values_panic([(*owner).into(), part.clone().into()]);
        }
        db.execute(&insert).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use CommunityAssetLanguage as L;
        use MdtMeetingRequiredDiscipline as R;
        // Read and checked before anything changes: SQLite does not undo a failed migration's DDL.
        let db = manager.get_connection();
        let languages = stored_lists(db, CommunityAsset::Table, CommunityAsset::Id, CommunityAsset::Languages).await?;
        if let Some((asset, language)) = languages.iter().find(|(_, l)| l.chars().count() > LANGUAGE_LEN as usize) {
            return Err(DbErr::Migration(format!(
                "community asset {asset} names a language of more than {LANGUAGE_LEN} characters (\"{language}\"): \
                 shorten it in community_asset.languages and migrate again"
            )));
        }
        let mut disciplines =
            stored_lists(db, MdtMeeting::Table, MdtMeeting::Id, MdtMeeting::RequiredDisciplines).await?;
        disciplines.retain(|(_, d)| DISCIPLINES.contains(&d.as_str()));

        manager
            .create_table(
                Table::create()
                    .table(L::Table)
                    .col(uuid(L::AssetId))
                    .col(string_len(L::Language, LANGUAGE_LEN))
                    .primary_key(Index::create().col(L::AssetId).col(L::Language))
                    .foreign_key(&mut fk(
                        "fk_community_asset_language_asset",
                        (L::Table, L::AssetId),
                        (CommunityAsset::Table, CommunityAsset::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("idx_community_asset_language_language", L::Table, &["language", "asset_id"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(uuid(R::MeetingId))
                    .col(string_len(R::Discipline, 32))
                    .primary_key(Index::create().col(R::MeetingId).col(R::Discipline))
                    .foreign_key(&mut fk(
                        "fk_mdt_meeting_required_discipline_meeting",
                        (R::Table, R::MeetingId),
                        (MdtMeeting::Table, MdtMeeting::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        insert_rows(db, L::Table, [L::AssetId, L::Language], languages).await?;
        insert_rows(db, R::Table, [R::MeetingId, R::Discipline], disciplines).await?;

        manager
            .alter_table(Table::alter().table(CommunityAsset::Table).drop_column(CommunityAsset::Languages).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter().table(MdtMeeting::Table).drop_column(MdtMeeting::RequiredDisciplines).to_owned(),
            )
            .await
    }

    /// Back to comma-joined text, with what the rows hold.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use sea_orm_migration::schema::string_len_null;
        use CommunityAssetLanguage as L;
        use MdtMeetingRequiredDiscipline as R;
        manager
            .alter_table(
                Table::alter()
                    .table(CommunityAsset::Table)
                    .add_column(string_len(CommunityAsset::Languages, 200).default(""))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(MdtMeeting::Table)
                    .add_column(string_len_null(MdtMeeting::RequiredDisciplines, 400))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        join_back(
            db,
            (L::Table, L::AssetId, L::Language),
            (CommunityAsset::Table, CommunityAsset::Id, CommunityAsset::Languages),
        )
        .await?;
        join_back(
            db,
            (R::Table, R::MeetingId, R::Discipline),
            (MdtMeeting::Table, MdtMeeting::Id, MdtMeeting::RequiredDisciplines),
        )
        .await?;
        manager.drop_table(Table::drop().table(R::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(L::Table).to_owned()).await
    }
}

/// Writes each owner's rows of `rows` back into `column` of `table`, comma-joined.
async fn join_back<
    T: IntoIden + Clone,
    C: IntoIden + Clone,
    U: IntoIden + Clone,
    I: IntoIden + Clone,
    K: IntoIden + Clone,
>(
    db: &SchemaManagerConnection<'_>,
    rows: (T, C, C),
    into: (U, I, K),
) -> Result<(), DbErr> {
    let (table, owner, part) = rows;
    let select = Query::select()
        .column(owner.clone())
        .column(part.clone())
        .from(table)
        .order_by(owner, Order::Asc)
        .order_by(part, Order::Asc)
        .to_owned();
    let mut lists: std::collections::BTreeMap<sea_orm_migration::sea_orm::prelude::Uuid, Vec<String>> =
        Default::default();
    for row in db.query_all(&select).await? {
        lists.entry(row.try_get_by_index(0)?).or_default().push(row.try_get_by_index(1)?);
    }
    let (table, id, column) = into;
    for (owner, parts) in lists {
        let update = Query::update()
            .table(table.clone())
            .value(column.clone(), parts.join(", "))
            .and_where(Expr::col(id.clone()).eq(owner))
            .to_owned();
        db.execute(&update).await?;
    }
    Ok(())
}
