//! Statistical disclosure control: how figures about people are shown so that no withheld count,
//! and no one person's result, can be worked out from them.
//!
//! Three attacks defeated plain small-number suppression (issue 23): the difference of two
//! overlapping periods (`2024-01-01..d` minus `..d-1` gave a suppressed single day, and one named
//! person's outcome item by item), and a total minus the rows shown (a total of 6 with one service
//! at 5 gave the 1). Callers who may see identifiable records read exact operational figures (they
//! could read the records themselves). For everyone else (commissioners, VCSE partners), what the
//! NHS's own statistical disclosure control does, applied to every figure:
//!
//! 1. **Fixed periods.** A period is one calendar month, one quarter of the financial year
//!    (April–June, July–September, October–December, January–March) or one financial year (April
//!    to March), and it has ended. Arbitrary ranges are refused: they are what makes overlapping
//!    differences. A figure then counts what had been recorded by the period's end (an outcome
//!    recorded later is left out), so asking again next week gives the same answer.
//! 2. **Suppression.** Counts below 5 are withheld, zero included: a zero shown exactly beside a
//!    withheld total tells where the withheld people are (a quarter's 1 improved, with April's and
//!    May's 0, is June's one person). For the same reason every state, source and need, and every
//!    PCN and service of the neighbourhood, has its row, so a row's absence says nothing.
//! 3. **Complementary suppression.** Along every sum a reader can subtract (states and sources add
//!    up to the referrals received; the breakdown rows add up to the total, field by field; those
//!    waiting are those supported plus those not; improved, same and worse add up to the people
//!    with a pair), a line with exactly one withheld cell withholds the smallest other one too, until
//!    no line has one: a withheld count is never a shown total minus shown parts.
//! 4. **Rounding.** Every count shown is rounded to the nearest 5 (and percentages are computed
//!    from the rounded counts, waits shown in whole days, mean changes to one decimal). A difference
//!    of two shown counts is then a multiple of 5 give or take 4, which always covers 1 to 4: it
//!    cannot single out a withheld count or one person.
//!
//! What this does not claim: an attacker who combines many different tables (every PCN and service
//! filter of every fixed period) with integer programming may narrow some counts further than one
//! difference does; the fixed periods keep those tables few, and rounding keeps every single
//! derivation ambiguous.

use chrono::{Datelike, NaiveDate};
use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::{AppError, AppResult};

/// Where aggregate figures are asked for: a neighbourhood, and within it one PCN or all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Area {
    pub neighbourhood_id: Uuid,
    pub pcn_id: Option<Uuid>,
}

/// The area of an aggregate query, checked the same way for every kind of figure: the caller sees
/// the neighbourhood's aggregates (FORBIDDEN, saying that `figures` are for its organisations and
/// commissioners) and a PCN named is one (BAD_INPUT on `pcnId`). What the caller then sees of
/// the figures is their [`Caller::disclosure`].
pub async fn area(
    db: &impl ConnectionTrait,
    caller: &Caller,
    neighbourhood_id: Uuid,
    pcn_id: Option<Uuid>,
    figures: &str,
) -> AppResult<Area> {
    if !caller.may_see_aggregates(neighbourhood_id) {
        return Err(AppError::forbidden(format!(
            "{figures} are for the neighbourhood's organisations and commissioners"
        )));
    }
    if let Some(pcn) = pcn_id {
        let found = entity::organisation::Entity::find_by_id(pcn).one(db).await?;
        if !found.is_some_and(|o| o.kind == entity::OrganisationKind::Pcn) {
            return Err(AppError::bad_input("pcnId", "no such PCN"));
        }
    }
    Ok(Area { neighbourhood_id, pcn_id })
}

/// Counts below this are withheld from callers who may not see identifiable data (the usual
/// small-number suppression rule for published health statistics).
pub const SMALL_NUMBER_THRESHOLD: u64 = 5;

/// Counts shown to them are rounded to a multiple of this.
pub const ROUNDING_BASE: u64 = 5;

/// Whether a count is a small number (1 to 4).
pub fn small(n: u64) -> bool {
    (1..SMALL_NUMBER_THRESHOLD).contains(&n)
}

/// `n` to the nearest multiple of 5 (halves up: 3 → 5, 7 → 5, 8 → 10).
pub fn round(n: u64) -> u64 {
    n.saturating_add(ROUNDING_BASE / 2) / ROUNDING_BASE * ROUNDING_BASE
}

/// Whose data a figure counts (`Caller::counted`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// Exact figures over an area for a caller who reads every record in it (the INT
    /// coordinator): every person but those who object to sharing beyond their practice (unless
    /// the caller is of that practice), whose records the caller does not read, so that no exact
    /// figure tells anything of them.
    ReadableBy { organisation_id: Uuid },
    /// Exact figures over the caller's own organisation's referrals, which it is a party to:
    /// everyone they count.
    Parties,
    /// Published statistics, a use beyond individual care: every person but those who have
    /// registered a national data opt-out.
    OptedIn,
}

impl Counted {
    /// The condition on the patient rows aliased `p` of hand-written SQL ("" when it counts everyone).
    pub fn sql(self, sql: &mut crate::sql::Sql, p: &str) -> String {
        match self {
            Self::ReadableBy { organisation_id } => format!(
                " AND ({p}.objects_to_sharing = {} OR {p}.registered_practice_id = {})",
                sql.bind(false),
                sql.bind(organisation_id)
            ),
            Self::Parties => String::new(),
            Self::OptedIn => format!(" AND {p}.national_data_opt_out = {}", sql.bind(false)),
        }
    }

    /// The same condition on `patient` for sea-query selects.
    pub fn condition(self) -> sea_orm::sea_query::Condition {
        use entity::patient::Column as P;
        use sea_orm::sea_query::Condition;
        use sea_orm::ColumnTrait;
        match self {
            Self::ReadableBy { organisation_id } => {
                Condition::any().add(P::ObjectsToSharing.eq(false)).add(P::RegisteredPracticeId.eq(organisation_id))
            }
            Self::Parties => Condition::all(),
            Self::OptedIn => Condition::all().add(P::NationalDataOptOut.eq(false)),
        }
    }
}

/// How a caller reads figures about people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disclosure {
    /// Exact figures for any period: the caller may read the records themselves.
    Exact,
    /// Published statistics: fixed, ended periods; suppression, complementary suppression and
    /// rounding (the module documentation).
    Published,
}

impl Disclosure {
    /// Whether a count is withheld for itself: 1 to 4 from everyone (the outcome report), and
    /// zero as well from published statistics.
    pub fn withholds(self, n: u64) -> bool {
        match self {
            Self::Exact => small(n),
            Self::Published => n < SMALL_NUMBER_THRESHOLD,
        }
    }

    /// A count as shown when it is not withheld.
    pub fn shown(self, n: u64) -> u64 {
        match self {
            Self::Exact => n,
            Self::Published => round(n),
        }
    }

    /// A number of days as shown (to 0.1 day exactly; to a whole day published).
    pub fn days(self, days: f64) -> f64 {
        match self {
            Self::Exact => (days * 10.0).round() / 10.0,
            Self::Published => days.round(),
        }
    }

    /// A mean change as shown (two decimals exactly; one published).
    pub fn mean(self, x: f64) -> f64 {
        match self {
            Self::Exact => (x * 100.0).round() / 100.0,
            Self::Published => (x * 10.0).round() / 10.0,
        }
    }

    /// Checks a period: any valid range for exact figures; for published statistics one calendar
    /// month, financial-year quarter or financial year that ended before `today`.
    pub fn check_period(self, from: NaiveDate, to: NaiveDate, today: NaiveDate) -> AppResult<()> {
        if self == Self::Exact {
            return Ok(());
        }
        let refuse = |why: &str| {
            AppError::bad_input(
                "from",
                format!(
                    "{why}: figures for callers who see aggregates only cover one calendar month (e.g. 2026-10-01 to \
                     2026-10-31), one quarter of the financial year (e.g. 2026-07-01 to 2026-09-30) or one financial \
                     year (e.g. 2025-04-01 to 2026-03-31) that has ended; overlapping periods would give small \
                     numbers away by subtraction"
                ),
            )
        };
        if !is_fixed_period(from, to) {
            return Err(refuse(&format!("{from} to {to} is not a fixed reporting period")));
        }
        if to >= today {
            return Err(refuse(&format!("{from} to {to} has not ended yet")));
        }
        Ok(())
    }
}

/// Whether `from..=to` is exactly one calendar month, financial-year quarter or financial year.
pub fn is_fixed_period(from: NaiveDate, to: NaiveDate) -> bool {
    if from.day() != 1 || to < from {
        return false;
    }
    // The number of whole months from `from` to the day after `to`, if `to` ends a month.
    let Some(after) = to.succ_opt() else { return false };
    if after.day() != 1 {
        return false;
    }
    let months = (after.year() - from.year()) * 12 + after.month() as i32 - from.month() as i32;
    match months {
        1 => true,
        3 => matches!(from.month(), 1 | 4 | 7 | 10),
        12 => from.month() == 4,
        _ => false,
    }
}

/// A table of counts and the sums along which a reader could subtract: each line is a total and
/// the parts it is the sum of.
#[derive(Debug, Default)]
pub struct Table {
    values: Vec<u64>,
    lines: Vec<(usize, Vec<usize>)>,
}

/// A cell of a [`Table`].
pub type Cell = usize;

impl Table {
    pub fn cell(&mut self, value: u64) -> Cell {
        self.values.push(value);
        self.values.len() - 1
    }

    /// `total` is the sum of `parts`.
    pub fn line(&mut self, total: Cell, parts: Vec<Cell>) {
        if !parts.is_empty() {
            self.lines.push((total, parts));
        }
    }

    /// Which cells are withheld: those `disclosure` withholds for themselves, then, line by line
    /// until none changes, a second cell wherever a line would withhold exactly one (the smallest
    /// other part that is not zero, else the total).
    pub fn withheld(&self, disclosure: Disclosure) -> Vec<bool> {
        let mut hidden: Vec<bool> = self.values.iter().map(|v| disclosure.withholds(*v)).collect();
        loop {
            let mut changed = false;
            for (total, parts) in &self.lines {
                let members = std::iter::once(*total).chain(parts.iter().copied());
                if members.clone().filter(|c| hidden[*c]).count() != 1 {
                    continue;
                }
                let complement = parts
                    .iter()
                    .copied()
                    .filter(|c| !hidden[*c] && self.values[*c] > 0)
                    .min_by_key(|c| (self.values[*c], *c))
                    .or_else(|| (!hidden[*total]).then_some(*total));
                if let Some(c) = complement {
                    hidden[c] = true;
                    changed = true;
                }
            }
            if !changed {
                return hidden;
            }
        }
    }
}

/// A table's cells as shown under `disclosure`: `None` when withheld, else the (rounded) count.
pub struct Shown {
    values: Vec<Option<u64>>,
}

impl Shown {
    /// `table` protected as `disclosure` says (exact: nothing withheld, nothing rounded).
    pub fn of(table: &Table, disclosure: Disclosure) -> Self {
        let values = match disclosure {
            Disclosure::Exact => table.values.iter().map(|v| Some(*v)).collect(),
            Disclosure::Published => {
                let hidden = table.withheld(disclosure);
                table.values.iter().zip(hidden).map(|(v, h)| (!h).then(|| round(*v))).collect()
            }
        };
        Self { values }
    }

    pub fn get(&self, cell: Cell) -> Option<u64> {
        self.values[cell]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn counts_round_to_the_nearest_five() {
        assert_eq!([0, 1, 2, 3, 5, 7, 8, 12, 13, 1_808].map(round), [0, 0, 0, 5, 5, 5, 10, 10, 15, 1_810]);
    }

    #[test]
    fn only_fixed_ended_periods_are_published() {
        let today = day(2026, 12, 1);
        let published = Disclosure::Published;
        for (from, to) in [
            (day(2026, 11, 1), day(2026, 11, 30)),
            (day(2024, 2, 1), day(2024, 2, 29)),
            (day(2026, 7, 1), day(2026, 9, 30)),
            (day(2026, 1, 1), day(2026, 3, 31)),
            (day(2025, 4, 1), day(2026, 3, 31)),
        ] {
            assert!(published.check_period(from, to, today).is_ok(), "{from} {to}");
        }
        for (from, to) in [
            (day(2024, 1, 1), day(2026, 10, 14)),
            (day(2024, 1, 1), day(2026, 10, 13)),
            (day(2026, 10, 2), day(2026, 10, 31)),
            (day(2026, 8, 1), day(2026, 10, 31)),
            (day(2026, 1, 1), day(2026, 12, 31)),
            (day(2026, 12, 1), day(2026, 12, 31)),
            (day(2026, 10, 1), day(2026, 11, 30)),
        ] {
            let e = published.check_period(from, to, today).unwrap_err();
            assert_eq!(e.code(), "BAD_USER_INPUT", "{from} {to}");
        }
        assert!(Disclosure::Exact.check_period(day(2024, 1, 1), day(2026, 10, 14), today).is_ok());
    }

    #[test]
    fn no_line_withholds_exactly_one_cell() {
        // A total of 6 with one service at 5: the 1 is withheld, and so is the 5.
        let mut t = Table::default();
        let total = t.cell(6);
        let (a, b) = (t.cell(5), t.cell(1));
        t.line(total, vec![a, b]);
        assert_eq!(t.withheld(Disclosure::Exact), vec![false, true, true]);
        // The complement is the smallest part that is not zero; a zero cannot hide anything.
        let mut t = Table::default();
        let total = t.cell(40);
        let parts = vec![t.cell(2), t.cell(0), t.cell(30), t.cell(8)];
        t.line(total, parts);
        assert_eq!(t.withheld(Disclosure::Exact), vec![false, true, false, false, true]);
        // Published, the zero is withheld for itself: it would say where the 2 is not.
        assert_eq!(t.withheld(Disclosure::Published), vec![false, true, true, false, false]);
        // With nothing else to hide in the line, the total goes.
        let mut t = Table::default();
        let total = t.cell(3);
        let parts = vec![t.cell(3), t.cell(0)];
        t.line(total, parts);
        assert_eq!(t.withheld(Disclosure::Exact), vec![true, true, false]);
        // Lines that share cells settle together (a breakdown row's cell is in two lines).
        let mut t = Table::default();
        let (total, row_a, row_b) = (t.cell(20), t.cell(12), t.cell(8));
        let (a1, a2, b1, b2) = (t.cell(10), t.cell(2), t.cell(6), t.cell(2));
        t.line(total, vec![row_a, row_b]);
        t.line(row_a, vec![a1, a2]);
        t.line(row_b, vec![b1, b2]);
        let hidden = t.withheld(Disclosure::Published);
        for (total, parts) in &t.lines {
            let n = std::iter::once(total).chain(parts).filter(|c| hidden[**c]).count();
            assert_ne!(n, 1, "{hidden:?}");
        }
    }

    #[test]
    fn exact_figures_are_shown_as_they_are() {
        let mut t = Table::default();
        let c = t.cell(3);
        assert_eq!(Shown::of(&t, Disclosure::Exact).get(c), Some(3));
        assert_eq!(Shown::of(&t, Disclosure::Published).get(c), None);
    }
}
