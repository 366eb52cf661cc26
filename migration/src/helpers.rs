//! Statement helpers shared by migrations written after 2026-11-26. Migrations that landed before
//! keep their own copies: a landed migration is never edited.

use sea_orm_migration::prelude::*;

/// A foreign key that refuses deleting a row still referred to.
pub fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name).from(from.0, from.1).to(to.0, to.1).on_delete(ForeignKeyAction::Restrict).to_owned()
}

/// An index on `cols` (snake_case column names) of `table`.
pub fn index(name: &str, table: impl IntoIden, cols: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(Alias::new(*col));
    }
    stmt.to_owned()
}
