//! Selecting patients: the caller's scope, saved or ad-hoc criteria, search, keyset pages. Every
//! select that can return patient rows is built here, so the scope condition cannot be forgotten.

use chrono::{Months, NaiveDate};
use sea_orm::sea_query::{Asterisk, Condition, Expr, ExprTrait, Order, Query, SimpleExpr, SubQueryStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select, Value,
};
use uuid::Uuid;

use entity::{patient, patient_condition};

use super::criteria::{ConditionMatch, PatientCriteria};
use crate::auth::{Caller, Grant, PatientScope};
use crate::disclosure::SMALL_NUMBER_THRESHOLD;
use crate::error::{AppError, AppResult};
use crate::frailty::FrailtyCategory;
use crate::pagination::{after_person, keyset_page_in, Direction, LazyCount, Page, PageRequest};
use crate::search::{name_words, SearchText};

/// Most people a search text may name for each of them to count as read by whatever the search
/// answers (a search that names more singles out no one; its small counts still do).
pub const SEARCH_NAMES_AT_MOST: u64 = crate::config::MAX_PAGE_SIZE;

/// Everything that narrows a patient list. `criteria` are AND-ed (a cohort plus extra filters).
#[derive(Debug, Clone)]
pub struct PatientSelection {
    pub scope: PatientScope,
    pub criteria: Vec<PatientCriteria>,
    pub neighbourhood_id: Option<Uuid>,
    pub search: Option<SearchText>,
    pub today: NaiveDate,
}

/// The number of the person's coded conditions. `COUNT(*)` rather than a column, so that PostgreSQL
/// counts from the `(patient_id, snomed_code)` index alone, without visiting the rows.
fn condition_count_subquery() -> sea_orm::sea_query::SimpleExpr {
    let count = Query::select()
        .expr(Expr::col(Asterisk).count())
        .from(patient_condition::Entity)
        .and_where(
            Expr::col((patient_condition::Entity, patient_condition::Column::PatientId))
                .equals((patient::Entity, patient::Column::Id)),
        )
        .to_owned();
    sea_orm::sea_query::SimpleExpr::SubQuery(None, Box::new(SubQueryStatement::SelectStatement(count)))
}

fn has_condition(codes: &[String]) -> sea_orm::sea_query::SimpleExpr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(patient_condition::Entity)
            .and_where(
                Expr::col((patient_condition::Entity, patient_condition::Column::PatientId))
                    .equals((patient::Entity, patient::Column::Id)),
            )
            .and_where(patient_condition::Column::SnomedCode.is_in(codes.iter().cloned()))
            .to_owned(),
    )
}

fn years_before(today: NaiveDate, years: u32) -> NaiveDate {
    today.checked_sub_months(Months::new(years * 12)).unwrap_or(NaiveDate::MIN)
}

/// The SQL condition for one set of criteria (assumed validated).
pub fn criteria_condition(criteria: &PatientCriteria, today: NaiveDate) -> Condition {
    use patient::Column as P;
    let mut cond = Condition::all();
    if !criteria.frailty_categories.is_empty() {
        let mut any = Condition::any();
        for category in &criteria.frailty_categories {
            let mut range = Condition::all().add(P::EfiScore.is_not_null());
            let (lower, upper) = FrailtyCategory::efi_bounds(*category);
            if let Some(lower) = lower {
                range = range.add(P::EfiScore.gt(lower));
            }
            if let Some(upper) = upper {
                range = range.add(P::EfiScore.lte(upper));
            }
            any = any.add(range);
        }
        cond = cond.add(any);
    }
    if let Some(min) = criteria.min_condition_count.filter(|m| *m > 0) {
        cond = cond.add(Expr::expr(condition_count_subquery()).gte(min));
    }
    if !criteria.condition_codes.is_empty() {
        match criteria.condition_match {
            ConditionMatch::Any => cond = cond.add(has_condition(&criteria.condition_codes)),
            ConditionMatch::All => {
                for code in &criteria.condition_codes {
                    cond = cond.add(has_condition(std::slice::from_ref(code)));
                }
            }
        }
    }
    if let Some(min) = criteria.age_min {
        cond = cond.add(P::DateOfBirth.lte(years_before(today, min)));
    }
    if let Some(max) = criteria.age_max {
        cond = cond.add(P::DateOfBirth.gt(years_before(today, max + 1)));
    }
    if let Some(practice) = criteria.practice_id {
        cond = cond.add(P::RegisteredPracticeId.eq(practice));
    }
    cond
}

/// Name or NHS number search: digits match the start of the NHS number, words the start of a name.
fn search_condition(search: &str) -> Option<Condition> {
    let search = search.trim();
    if search.is_empty() {
        return None;
    }
    let compact: String = search.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    if !compact.is_empty() && compact.chars().all(|c| c.is_ascii_digit()) {
        return Some(Condition::all().add(patient::Column::NhsNumber.like(format!("{compact}%"))));
    }
    Some(name_words(
        (patient::Entity, patient::Column::FamilyName),
        (patient::Entity, patient::Column::GivenName),
        search,
    ))
}

impl PatientSelection {
    pub fn select(&self) -> AppResult<Select<patient::Entity>> {
        let mut cond = self.scope.condition();
        if let Some(neighbourhood_id) = self.neighbourhood_id {
            if !self.scope.covers_neighbourhood(neighbourhood_id) {
                return Err(AppError::forbidden(
                    "your organisation does not take part in that neighbourhood, so its patients are not visible to you",
                ));
            }
            cond = cond.add(patient::Column::NeighbourhoodId.eq(neighbourhood_id));
        }
        for criteria in &self.criteria {
            cond = cond.add(criteria_condition(criteria, self.today));
        }
        if let Some(search) = self.search.as_ref().and_then(|s| search_condition(s.as_str())) {
            cond = cond.add(search);
        }
        Ok(patient::Entity::find().filter(cond))
    }

    pub async fn count(&self, db: &impl ConnectionTrait) -> AppResult<u64> {
        Ok(self.select()?.count(db).await?)
    }

    /// The same people without the criteria: those the search text alone names (none without a
    /// search). What a search answers, page or count, is an answer about them: "does this person
    /// have that condition" is a search with a criterion whose answer is one or none.
    pub fn named_by_search(&self) -> Option<PatientSelection> {
        self.search.as_ref()?;
        Some(PatientSelection { criteria: Vec::new(), ..self.clone() })
    }

    /// The people whose reading `answer` stands for, with the caller's grant on each: when the
    /// selection has search text that names at most [`SEARCH_NAMES_AT_MOST`] people, those people
    /// (whatever the criteria leave of them); else, when `answer` counts 1 to 4 people (a cohort
    /// small enough to single someone out), those people; else, when the criteria ask about health
    /// and who they ask about (their age and practice alone) is 1 to 4 people, those people ("has
    /// the one 101-year-old of this practice dementia?" answers 0 or 1); else nobody.
    pub async fn singled_out(
        &self,
        db: &impl ConnectionTrait,
        caller: &Caller,
        answer: u64,
    ) -> AppResult<Vec<(patient::Model, Grant)>> {
        let graded = |rows: Vec<patient::Model>| {
            rows.into_iter().filter_map(|m| caller.grant_for(&m).map(|g| (m, g))).collect::<Vec<_>>()
        };
        if let Some(named) = self.named_by_search() {
            let rows = named.select()?.limit(SEARCH_NAMES_AT_MOST + 1).all(db).await?;
            if rows.len() as u64 <= SEARCH_NAMES_AT_MOST {
                return Ok(graded(rows));
            }
        }
        if (1..SMALL_NUMBER_THRESHOLD).contains(&answer) {
            return Ok(graded(self.select()?.limit(SMALL_NUMBER_THRESHOLD).all(db).await?));
        }
        let asks_about_health = self.criteria.iter().any(PatientCriteria::clinical);
        let names_people = self.criteria.iter().any(|c| c.demographic().narrows());
        if asks_about_health && names_people {
            let who = PatientSelection {
                criteria: self.criteria.iter().map(PatientCriteria::demographic).collect(),
                search: None,
                ..self.clone()
            };
            let rows = who.select()?.limit(SMALL_NUMBER_THRESHOLD).all(db).await?;
            if (rows.len() as u64) < SMALL_NUMBER_THRESHOLD {
                return Ok(graded(rows));
            }
        }
        Ok(Vec::new())
    }

    /// One page of patients in `order`, each with the grant that lets the caller see it.
    pub async fn page(
        &self,
        db: &(impl ConnectionTrait + Clone + Send + 'static),
        caller: &Caller,
        page: PageRequest,
        order: PatientOrder,
    ) -> AppResult<Page<(patient::Model, Grant)>> {
        use patient::Column as P;
        // Cursors through the scope alone: whether the cursor's person matches the criteria is
        // never part of the answer.
        let cursors = patient::Entity::find().filter(self.scope.condition());
        let page = if order == PatientOrder::default() {
            keyset_page_in(
                db,
                self.select()?,
                cursors,
                page,
                &[P::FamilyName, P::GivenName, P::Id],
                Direction::Ascending,
                |key| after_person(P::FamilyName, P::GivenName, P::Id, key),
                |m| (m.family_name.clone(), m.given_name.clone(), m.id),
            )
            .await?
        } else {
            ordered_page(db, self.select()?, cursors, page, order).await?
        };
        // The scope is in the query; the per-row decision is checked again so that a scope bug
        // can never reveal a record the policy would refuse.
        Ok(page.filter_map(|m| caller.grant_for(&m).map(|g| (m, g))))
    }
}

/// What a list of patients is sorted by. Ties are broken by name, then by id, so that every order
/// is total and pages never skip or repeat anyone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PatientSortKey {
    /// Family name, then given name.
    #[default]
    Name,
    /// The electronic Frailty Index score; people with no score come last either way.
    EfiScore,
    /// The Clinical Frailty Scale; people never assessed come last either way.
    ClinicalFrailtyScale,
    /// The number of the person's coded long-term conditions.
    ConditionCount,
}

/// The order of a patient list: a key and its direction (name A to Z by default).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PatientOrder {
    pub by: PatientSortKey,
    pub direction: Direction,
}

/// One sort column of an ordered page: its expression, direction, and the cursor row's value.
struct SortTerm {
    expr: SimpleExpr,
    order: Order,
    value: fn(&patient::Model, i64) -> Value,
}

impl PatientOrder {
    /// The terms of the order, most significant first, ending with the unique id.
    fn terms(self) -> Vec<SortTerm> {
        use patient::Column as P;
        let dir = self.direction.order();
        let asc = Order::Asc;
        let unknown_last = |column: P| -> SimpleExpr { Expr::case(Expr::col(column).is_null(), 1).finally(0).into() };
        let mut terms = match self.by {
            PatientSortKey::Name => Vec::new(),
            PatientSortKey::EfiScore => vec![
                SortTerm {
                    expr: unknown_last(P::EfiScore),
                    order: asc.clone(),
                    value: |m, _| Value::Int(Some(i32::from(m.efi_score.is_none()))),
                },
                SortTerm {
                    expr: Expr::col(P::EfiScore).if_null(0.0f64),
                    order: dir.clone(),
                    value: |m, _| Value::Double(Some(m.efi_score.unwrap_or(0.0))),
                },
            ],
            PatientSortKey::ClinicalFrailtyScale => vec![
                SortTerm {
                    expr: unknown_last(P::ClinicalFrailtyScale),
                    order: asc.clone(),
                    value: |m, _| Value::Int(Some(i32::from(m.clinical_frailty_scale.is_none()))),
                },
                SortTerm {
                    expr: Expr::col(P::ClinicalFrailtyScale).if_null(0i16),
                    order: dir.clone(),
                    value: |m, _| Value::SmallInt(Some(m.clinical_frailty_scale.unwrap_or(0))),
                },
            ],
            PatientSortKey::ConditionCount => vec![SortTerm {
                expr: condition_count_subquery(),
                order: dir.clone(),
                value: |_, conditions| Value::BigInt(Some(conditions)),
            }],
        };
        // By name A to Z within a key; by name itself in the direction asked.
        let names = if self.by == PatientSortKey::Name { dir } else { asc };
        terms.push(SortTerm {
            expr: Expr::col((patient::Entity, P::FamilyName)),
            order: names.clone(),
            value: |m, _| Value::String(Some(m.family_name.clone())),
        });
        terms.push(SortTerm {
            expr: Expr::col((patient::Entity, P::GivenName)),
            order: names.clone(),
            value: |m, _| Value::String(Some(m.given_name.clone())),
        });
        terms.push(SortTerm {
            expr: Expr::col((patient::Entity, P::Id)),
            order: names,
            value: |m, _| Value::Uuid(Some(m.id)),
        });
        terms
    }
}

/// Rows after the row whose term values are `key`, in the terms' order: the first term that
/// differs decides, in its own direction.
fn after_terms(terms: &[SortTerm], key: &[Value]) -> Condition {
    let mut any = Condition::any();
    for (i, term) in terms.iter().enumerate() {
        let mut all = Condition::all();
        for (earlier, value) in terms[..i].iter().zip(key) {
            all = all.add(Expr::expr(earlier.expr.clone()).eq(value.clone()));
        }
        let beyond = match term.order {
            Order::Desc => Expr::expr(term.expr.clone()).lt(key[i].clone()),
            _ => Expr::expr(term.expr.clone()).gt(key[i].clone()),
        };
        any = any.add(all.add(beyond));
    }
    any
}

/// A keyset page of `base` in `order` (any order but the default, which `keyset_page_in` serves
/// from the name index). As there, the cursor names only a person's id and is looked up through
/// `cursors`, the caller's scope; its sort values are read from that row (and its condition count).
async fn ordered_page(
    db: &(impl ConnectionTrait + Clone + Send + 'static),
    base: Select<patient::Entity>,
    cursors: Select<patient::Entity>,
    page: PageRequest,
    order: PatientOrder,
) -> AppResult<Page<patient::Model>> {
    let terms = order.terms();
    let total = LazyCount::of(db, base.clone());
    let mut query = base;
    if let Some(cursor_id) = page.after {
        let row = cursors
            .filter(patient::Column::Id.eq(cursor_id))
            .one(db)
            .await?
            .ok_or_else(crate::pagination::cursor_not_in_list)?;
        let conditions = if order.by == PatientSortKey::ConditionCount {
            patient_condition::Entity::find().filter(patient_condition::Column::PatientId.eq(row.id)).count(db).await?
                as i64
        } else {
            0
        };
        let key: Vec<Value> = terms.iter().map(|t| (t.value)(&row, conditions)).collect();
        query = query.filter(after_terms(&terms, &key));
    }
    for term in &terms {
        query = query.order_by(term.expr.clone(), term.order.clone());
    }
    let rows = query.limit(page.limit + 1).all(db).await?;
    Ok(Page::from_rows(rows, page.limit, page.after.is_some(), |m| m.id, |m| m, total))
}

/// One patient, if the caller may see them: NOT_FOUND when no such patient, FORBIDDEN when the
/// policy refuses.
pub async fn get(db: &impl ConnectionTrait, caller: &Caller, id: Uuid) -> AppResult<(patient::Model, Grant)> {
    // A caller with no identifiable access at all learns why, before anything is read.
    caller.patient_scope()?;
    let model = patient::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found("patient", id))?;
    let grant = caller
        .grant_for(&model)
        .ok_or_else(|| AppError::forbidden("you have no care relationship that opens this patient's record"))?;
    Ok((model, grant))
}
