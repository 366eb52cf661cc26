//! The outcome report: for a neighbourhood (optionally one PCN or service) and a period, how many
//! people have a baseline and a follow-up, how their scores changed, and for each item the share
//! who improved, stayed the same or worsened, each with its numerator and denominator. Computed in
//! the database (two grouped statements, whatever the number of people); small counts suppressed.
//!
//! Definitions:
//! * A **pair** is a person's latest follow-up taken in the period (per instrument) with the
//!   baseline it was recorded against. One pair per person and instrument.
//! * **Improved** means a better response at follow-up than at baseline: higher, or lower for items
//!   where lower is better (ONS4 anxiety).
//! * **Suppression**, for every caller: counts of 1–4 are never shown. When the number of people is
//!   under 5 the whole instrument is suppressed; when exactly one of an item's improved / same /
//!   worse counts is suppressed, the smallest of the other two is suppressed too, so that it cannot
//!   be recovered by subtraction from the denominator.
//! * **Published statistics**, for callers who see aggregates only (`crate::disclosure`): the
//!   period is a calendar month, financial-year quarter or financial year that has ended, only
//!   follow-ups recorded by its end count (so the figures of a period never change), the counts
//!   shown are rounded to the nearest 5, percentages computed from the rounded counts and mean
//!   changes shown to one decimal.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{ActiveEnum, ConnectionTrait};
use uuid::Uuid;

use entity::{MeasurementKind, ReferralService};

use super::instruments::{Instrument, CATALOGUE};
use crate::disclosure::{Cell, Disclosure, Table};
use crate::error::{AppError, AppResult};
use crate::sql::{count, Sql};

/// Longest period one report may cover.
pub const MAX_PERIOD_DAYS: i64 = 5 * 366;

#[derive(Debug, Clone)]
pub struct ReportScope {
    pub neighbourhood_id: Uuid,
    pub pcn_id: Option<Uuid>,
    /// Only follow-ups recorded under a referral to this service.
    pub service: Option<ReferralService>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Only follow-ups recorded before this instant (published statistics: the period's end).
    pub recorded_before: Option<chrono::DateTime<chrono::Utc>>,
    /// Whose outcomes are counted (`Caller::counted`).
    pub counted: crate::disclosure::Counted,
}

impl ReportScope {
    pub fn checked(self) -> AppResult<Self> {
        if self.from > self.to {
            return Err(AppError::bad_input(
                "from",
                format!("must be on or before `to` ({} is after {})", self.from, self.to),
            ));
        }
        if (self.to - self.from).num_days() > MAX_PERIOD_DAYS {
            return Err(AppError::bad_input("from", format!("a period covers at most {MAX_PERIOD_DAYS} days")));
        }
        Ok(self)
    }
}

/// Raw counts for one item (before suppression); `improved` already accounts for the item's direction.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemCounts {
    pub item: &'static str,
    pub improved: u64,
    pub same: u64,
    pub worsened: u64,
    /// Mean of follow-up minus baseline, on the item's own scale.
    pub mean_change: Option<f64>,
}

/// Raw counts for one instrument (before suppression).
#[derive(Debug, Clone)]
pub struct InstrumentCounts {
    pub instrument: &'static Instrument,
    pub people: u64,
    /// Mean change of the metric score (instruments that have one).
    pub mean_metric_change: Option<f64>,
    pub items: Vec<ItemCounts>,
}

/// Computes the raw counts for every instrument in the catalogue: two statements.
/// Per item of an instrument: people improved, the same, worse, and the mean change.
type ItemTally = (u64, u64, u64, Option<f64>);

pub async fn compute(db: &impl ConnectionTrait, scope: &ReportScope) -> AppResult<Vec<InstrumentCounts>> {
    let backend = db.get_database_backend();
    let pairs = |sql: &mut Sql| {
        let mut filter = format!(
            "m.kind = {} AND m.baseline_id IS NOT NULL AND m.taken_on >= {} AND m.taken_on <= {} AND p.neighbourhood_id = {}",
            sql.bind(MeasurementKind::FollowUp.to_value()),
            sql.bind(scope.from),
            sql.bind(scope.to),
            sql.bind(scope.neighbourhood_id),
        );
        let mut joins = String::from(" JOIN patient p ON p.id = m.patient_id");
        if let Some(pcn) = scope.pcn_id {
            joins.push_str(" JOIN organisation o ON o.id = p.registered_practice_id");
            filter.push_str(&format!(" AND o.parent_id = {}", sql.bind(pcn)));
        }
        if let Some(service) = scope.service {
            joins.push_str(" JOIN referral r ON r.id = m.referral_id");
            filter.push_str(&format!(" AND r.service = {}", sql.bind(service.to_value())));
        }
        if let Some(before) = scope.recorded_before {
            filter.push_str(&format!(" AND m.recorded_at < {}", sql.bind(before)));
        }
        filter.push_str(&scope.counted.sql(sql, "p"));
        format!(
            "WITH fu AS (SELECT m.id, m.instrument, m.baseline_id, m.metric_score, \
             ROW_NUMBER() OVER (PARTITION BY m.patient_id, m.instrument ORDER BY m.taken_on DESC, m.id DESC) AS rn \
             FROM outcome_measurement m{joins} WHERE {filter}), \
             pairs AS (SELECT fu.id AS fu_id, fu.instrument, fu.baseline_id AS b_id, \
             fu.metric_score - b.metric_score AS delta \
             FROM fu JOIN outcome_measurement b ON b.id = fu.baseline_id WHERE fu.rn = 1)"
        )
    };

    let mut sql = Sql::new(backend);
    let cte = pairs(&mut sql);
    let people_rows = sql
        .query_all(
            db,
            format!(
                "{cte} SELECT instrument, COUNT(*) AS people, CAST(AVG(delta) AS DOUBLE PRECISION) AS mean_delta \
                 FROM pairs GROUP BY instrument"
            ),
        )
        .await?;
    let mut people: HashMap<String, (u64, Option<f64>)> = HashMap::new();
    for row in people_rows {
        let instrument: String = row.try_get("", "instrument")?;
        people.insert(instrument, (count(&row, "people")?, row.try_get("", "mean_delta")?));
    }

    let mut sql = Sql::new(backend);
    let cte = pairs(&mut sql);
    let item_rows = sql
        .query_all(
            db,
            format!(
                "{cte} SELECT pairs.instrument, f.item, \
                 SUM(CASE WHEN f.value > b.value THEN 1 ELSE 0 END) AS higher, \
                 SUM(CASE WHEN f.value = b.value THEN 1 ELSE 0 END) AS same, \
                 SUM(CASE WHEN f.value < b.value THEN 1 ELSE 0 END) AS lower, \
                 CAST(AVG(f.value - b.value) AS DOUBLE PRECISION) AS mean_delta \
                 FROM pairs JOIN outcome_response f ON f.measurement_id = pairs.fu_id \
                 JOIN outcome_response b ON b.measurement_id = pairs.b_id AND b.item = f.item \
                 GROUP BY pairs.instrument, f.item"
            ),
        )
        .await?;
    let mut items: HashMap<(String, String), ItemTally> = HashMap::new();
    for row in item_rows {
        let key = (row.try_get::<String>("", "instrument")?, row.try_get::<String>("", "item")?);
        items.insert(
            key,
            (count(&row, "higher")?, count(&row, "same")?, count(&row, "lower")?, row.try_get("", "mean_delta")?),
        );
    }

    Ok(CATALOGUE
        .iter()
        .map(|instrument| {
            let (people, mean_metric_change) = people.get(instrument.key).copied().unwrap_or((0, None));
            let items = instrument
                .items
                .iter()
                .map(|item| {
                    let (higher, same, lower, mean_change) = items
                        .get(&(instrument.key.to_owned(), item.key.to_owned()))
                        .copied()
                        .unwrap_or((0, 0, 0, None));
                    let (improved, worsened) = if item.higher_is_better { (higher, lower) } else { (lower, higher) };
                    ItemCounts { item: item.key, improved, same, worsened, mean_change }
                })
                .collect();
            InstrumentCounts { instrument, people, mean_metric_change, items }
        })
        .collect())
}

/// A share of the people with a pair, as it may be shown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Share {
    /// `None` when suppressed.
    pub numerator: Option<u64>,
    /// `None` when the whole instrument is suppressed.
    pub denominator: Option<u64>,
    /// Per cent to one decimal place; `None` when suppressed or when nobody has a pair.
    pub percent: Option<f64>,
    pub suppressed: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DisclosedItem {
    pub item: &'static str,
    pub improved: Share,
    pub same: Share,
    pub worsened: Share,
    pub mean_change: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct DisclosedInstrument {
    pub instrument: &'static Instrument,
    /// `None` when suppressed (1–4 people).
    pub people: Option<u64>,
    pub people_suppressed: bool,
    pub mean_metric_change: Option<f64>,
    pub items: Vec<DisclosedItem>,
}

fn percent(n: u64, d: u64) -> Option<f64> {
    (d > 0).then(|| (n as f64 * 1000.0 / d as f64).round() / 10.0)
}

/// Applies the suppression rules of the module documentation (and, published, the rounding).
pub fn disclose(counts: &InstrumentCounts, disclosure: Disclosure) -> DisclosedInstrument {
    let people = counts.people;
    if disclosure.withholds(people) {
        let hidden = Share { numerator: None, denominator: None, percent: None, suppressed: true };
        return DisclosedInstrument {
            instrument: counts.instrument,
            people: None,
            people_suppressed: true,
            mean_metric_change: None,
            items: counts
                .items
                .iter()
                .map(|i| DisclosedItem {
                    item: i.item,
                    improved: hidden,
                    same: hidden,
                    worsened: hidden,
                    mean_change: None,
                })
                .collect(),
        };
    }
    // Each item's improved, same and worse add up to the people with a pair: a reader could
    // subtract along each item's line, so no line may withhold exactly one.
    let mut table = Table::default();
    let total = table.cell(people);
    let cells: Vec<[Cell; 3]> = counts
        .items
        .iter()
        .map(|i| {
            let parts = [table.cell(i.improved), table.cell(i.same), table.cell(i.worsened)];
            table.line(total, parts.to_vec());
            parts
        })
        .collect();
    // Suppression holds for every caller; rounding (and withheld zeros) only for published statistics.
    let hidden = table.withheld(disclosure);
    let shown = |c: Cell, value: u64| (!hidden[c]).then(|| disclosure.shown(value));
    let denominator = disclosure.shown(people);
    let items = counts
        .items
        .iter()
        .zip(&cells)
        .map(|(i, parts)| {
            let share = |k: usize, value: u64| {
                let numerator = shown(parts[k], value);
                Share {
                    numerator,
                    denominator: Some(denominator),
                    percent: numerator.and_then(|n| percent(n, denominator)),
                    suppressed: numerator.is_none(),
                }
            };
            DisclosedItem {
                item: i.item,
                improved: share(0, i.improved),
                same: share(1, i.same),
                worsened: share(2, i.worsened),
                mean_change: i.mean_change.map(|m| disclosure.mean(m)),
            }
        })
        .collect();
    DisclosedInstrument {
        instrument: counts.instrument,
        people: Some(denominator),
        people_suppressed: false,
        mean_metric_change: counts.mean_metric_change.map(|m| disclosure.mean(m)),
        items,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcomes::instruments::SWEMWBS;

    fn disclose_exact(counts: &InstrumentCounts) -> DisclosedInstrument {
        disclose(counts, Disclosure::Exact)
    }

    #[test]
    fn published_counts_are_rounded_and_percentages_come_from_the_rounded_counts() {
        let d = disclose(&counts(52, (33, 12, 7)), Disclosure::Published);
        assert_eq!(d.people, Some(50));
        let i = &d.items[0];
        assert_eq!(
            i.improved,
            Share { numerator: Some(35), denominator: Some(50), percent: Some(70.0), suppressed: false }
        );
        assert_eq!(i.same.numerator, Some(10));
        assert_eq!(i.worsened.numerator, Some(5));
        assert_eq!(d.mean_metric_change, Some(2.3));
        assert_eq!(i.mean_change, Some(0.5));
    }

    fn counts(people: u64, triple: (u64, u64, u64)) -> InstrumentCounts {
        InstrumentCounts {
            instrument: &SWEMWBS,
            people,
            mean_metric_change: Some(2.345),
            items: vec![ItemCounts {
                item: "thinking_clearly",
                improved: triple.0,
                same: triple.1,
                worsened: triple.2,
                mean_change: Some(0.5),
            }],
        }
    }

    #[test]
    fn fewer_than_five_people_suppresses_the_whole_instrument() {
        let d = disclose_exact(&counts(4, (3, 1, 0)));
        assert!(d.people_suppressed && d.people.is_none() && d.mean_metric_change.is_none());
        let i = &d.items[0];
        assert!(i.improved.suppressed && i.improved.numerator.is_none() && i.improved.denominator.is_none());
        assert!(i.mean_change.is_none());
        let none = disclose_exact(&counts(0, (0, 0, 0)));
        assert_eq!(none.people, Some(0));
        assert_eq!(
            none.items[0].improved,
            Share { numerator: Some(0), denominator: Some(0), percent: None, suppressed: false }
        );
    }

    #[test]
    fn one_small_cell_takes_the_next_smallest_with_it() {
        let d = disclose_exact(&counts(50, (33, 14, 3)));
        let i = &d.items[0];
        assert_eq!(
            i.improved,
            Share { numerator: Some(33), denominator: Some(50), percent: Some(66.0), suppressed: false }
        );
        assert!(i.worsened.suppressed && i.same.suppressed, "14 would give the 3 away");
        assert_eq!(d.mean_metric_change, Some(2.35));
        // Two small cells hide each other; none small hides nothing; zero is not small.
        let d = disclose_exact(&counts(50, (46, 2, 2)));
        assert!(!d.items[0].improved.suppressed && d.items[0].same.suppressed && d.items[0].worsened.suppressed);
        let d = disclose_exact(&counts(50, (40, 10, 0)));
        assert!(!d.items[0].improved.suppressed && !d.items[0].same.suppressed && !d.items[0].worsened.suppressed);
        assert_eq!(d.items[0].worsened.numerator, Some(0));
    }
}
