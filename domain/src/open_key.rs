//! Open keys: how the database itself holds "at most one open row per pair" (one open referral per
//! person and service, one current membership per group and person, one open invitation per
//! meeting and practitioner, one person per agenda, one connection per person and activity, one
//! sharing agreement per plan and organisation). Such a row carries `open_key`, a unique column
//! holding the pair while the row is open and NULL once it closes; NULLs never collide, so a closed
//! row stays as history and the pair may open again.
//!
//! A write checks before it inserts and answers the common case with a clear message; the unique
//! index decides the races no check can, and [`taken`] recognises the loser of one so that it is
//! answered CONFLICT (naming the row that won, where the caller can find it), never INTERNAL.

use std::fmt::Display;

use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{DbErr, SqlErr};

/// The key of an open row for the pair (`a`, `b`). Every kind of row builds its key here, so that
/// all of them read alike (`a:b`) and none can differ by a separator.
pub fn of(a: impl Display, b: impl Display) -> String {
    format!("{a}:{b}")
}

/// What a closing row's key is set to (in an `UPDATE … SET open_key = `): the pair is free again.
pub fn closed() -> SimpleExpr {
    Expr::value(Option::<String>::None)
}

/// Whether `e` is a unique key taken by another row: an open key (or another unique column, such
/// as a cohort's name) written by a concurrent request between the check and the insert.
pub fn taken(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_names_both_halves_of_the_pair_in_order() {
        let (a, b) = (uuid::Uuid::nil(), uuid::Uuid::max());
        assert_eq!(of(a, b), format!("{a}:{b}"));
        assert_ne!(of(a, b), of(b, a), "the pair is ordered: (meeting, person) is not (person, meeting)");
        assert_eq!(of(a, "SOCIAL_PRESCRIBING"), format!("{a}:SOCIAL_PRESCRIBING"));
    }

    #[test]
    fn only_a_unique_violation_counts_as_taken() {
        assert!(!taken(&DbErr::RecordNotFound("x".into())));
        assert!(!taken(&DbErr::Custom("UNIQUE constraint failed".into())), "recognised by its SQL error, not by text");
    }
}
