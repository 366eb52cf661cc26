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
use crate::conditions::ConditionView;
use crate::disclosure::SMALL_NUMBER_THRESHOLD;
use crate::error::{AppError, AppResult};
use crate::frailty::FrailtyCategory;
use crate::pagination::{after_key, Direction, LazyCount, Page, PageRequest};
use crate::search::{name_words, SearchText};

/// Most people a search text may name for each of them to count as read by whatever the search
/// answers (a search that names more singles out no one; its small counts still do).
pub const SEARCH_NAMES_AT_MOST: u64 = crate::pagination::MAX_PAGE_SIZE;

/// Everything that narrows a patient list. `criteria` are AND-ed (a cohort plus extra filters).
#[derive(Debug, Clone)]
pub struct PatientSelection {
    pub scope: PatientScope,
    pub criteria: Vec<PatientCriteria>,
    pub neighbourhood_id: Option<Uuid>,
    pub search: Option<SearchText>,
    pub today: NaiveDate,
}

/// The number of the person's coded conditions that `view` shows. `COUNT(*)` rather than a column,
/// so that PostgreSQL counts from the `(patient_id, snomed_code)` index alone, without visiting the
/// rows.
fn condition_count_subquery(view: ConditionView) -> sea_orm::sea_query::SimpleExpr {
    let mut count = Query::select()
        .expr(Expr::col(Asterisk).count())
        .from(patient_condition::Entity)
        .and_where(
            Expr::col((patient_condition::Entity, patient_condition::Column::PatientId))
                .equals((patient::Entity, patient::Column::Id)),
        )
        .to_owned();
    let hidden = view.hidden_codes();
    if !hidden.is_empty() {
        count.and_where(patient_condition::Column::SnomedCode.is_not_in(hidden));
    }
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

/// The SQL condition for one set of criteria (assumed validated, and checked against the reader's
/// view of conditions: `PatientScope::check_condition_codes`), counting the conditions `view` shows.
pub fn criteria_condition(criteria: &PatientCriteria, today: NaiveDate, view: ConditionView) -> Condition {
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
        cond = cond.add(Expr::expr(condition_count_subquery(view)).gte(min));
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
            if criteria.clinical() {
                self.scope.check_clinical("frailty or conditions")?;
            }
            self.scope.check_condition_codes(&criteria.condition_codes)?;
            cond = cond.add(criteria_condition(criteria, self.today, self.scope.conditions()));
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
            let rows = crate::auth::load_people(db, caller, named.select()?.limit(SEARCH_NAMES_AT_MOST + 1)).await?;
            if rows.len() as u64 <= SEARCH_NAMES_AT_MOST {
                return Ok(graded(rows));
            }
        }
        if (1..SMALL_NUMBER_THRESHOLD).contains(&answer) {
            return Ok(graded(
                crate::auth::load_people(db, caller, self.select()?.limit(SMALL_NUMBER_THRESHOLD)).await?,
            ));
        }
        let asks_about_health = self.criteria.iter().any(PatientCriteria::clinical);
        let names_people = self.criteria.iter().any(|c| c.demographic().narrows());
        if asks_about_health && names_people {
            let who = PatientSelection {
                criteria: self.criteria.iter().map(PatientCriteria::demographic).collect(),
                search: None,
                ..self.clone()
            };
            let rows = crate::auth::load_people(db, caller, who.select()?.limit(SMALL_NUMBER_THRESHOLD)).await?;
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
        if order.by != PatientSortKey::Name {
            self.scope.check_clinical("frailty or conditions")?;
        }
        // Cursors through the scope alone: whether the cursor's person matches the criteria is
        // never part of the answer.
        let cursors = patient::Entity::find().filter(self.scope.condition());
        let page = ordered_page(db, caller, self.select()?, cursors, page, order, self.scope.conditions()).await?;
        // The scope is in the query; the per-row decision is checked again so that a scope bug
        // can never reveal a record the policy would refuse.
        Ok(page.filter_map(|m| caller.grant_for(&m).map(|g| (m, g))))
    }
}

/// What a patient list is sorted by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PatientSortKey {
    /// Family name, then given name.
    #[default]
    Name,
    /// The electronic Frailty Index score (`frailty.efiScore`). People with no score come last
    /// in either direction.
    EfiScore,
    /// The Clinical Frailty Scale (`frailty.clinicalFrailtyScale`). People never assessed come
    /// last in either direction.
    ClinicalFrailtyScale,
    /// The number of the person's coded long-term conditions (`conditions`).
    ConditionCount,
}

/// The order of a patient list. People with the same value are listed by name (A to Z), so the
/// order is stable and paging with `after` never skips or repeats anyone. A cursor names a person,
/// not a position: it may be used with another order, and the next page follows that person in it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PatientOrder {
    /// Sorted by what. Default: `Name`.
    pub by: PatientSortKey,
    /// Default: ascending (A to Z; lowest score first).
    pub direction: Direction,
}

impl PatientOrder {
    /// The column of the score this order sorts by, when some people have none, with the value
    /// the unknown sort as (behind a first term that puts them last).
    fn score(self) -> Option<(patient::Column, Value)> {
        match self.by {
            PatientSortKey::EfiScore => Some((patient::Column::EfiScore, 0.0f64.into())),
            PatientSortKey::ClinicalFrailtyScale => Some((patient::Column::ClinicalFrailtyScale, 0i16.into())),
            PatientSortKey::Name | PatientSortKey::ConditionCount => None,
        }
    }

    /// The sort terms, most significant first, ending with the unique id; [`Self::key`] gives a
    /// row's values of the same terms.
    fn terms(self, view: ConditionView) -> Vec<(SimpleExpr, Order)> {
        let dir = self.direction.order();
        let mut terms = Vec::new();
        if let Some((column, unknown)) = self.score() {
            terms.push((Expr::case(Expr::col(column).is_null(), 1).finally(0).into(), Order::Asc));
            terms.push((Expr::col(column).if_null(unknown), dir.clone()));
        }
        if self.by == PatientSortKey::ConditionCount {
            terms.push((condition_count_subquery(view), dir.clone()));
        }
        // By name A to Z within a key; by name itself in the direction asked.
        let names = if self.by == PatientSortKey::Name { dir } else { Order::Asc };
        for column in PERSON_ORDER {
            terms.push((Expr::col((patient::Entity, column)), names.clone()));
        }
        terms
    }

    /// `row`'s values of [`Self::terms`]; `conditions` is its condition count (read only when
    /// the order is by it).
    fn key(self, row: &patient::Model, conditions: i64) -> Vec<Value> {
        use sea_orm::ModelTrait;
        let mut key = Vec::new();
        if let Some((column, unknown)) = self.score() {
            let value = row.get(column);
            let is_unknown = value == unknown.as_null();
            key.push(Value::Int(Some(i32::from(is_unknown))));
            key.push(if is_unknown { unknown } else { value });
        }
        if self.by == PatientSortKey::ConditionCount {
            key.push(conditions.into());
        }
        key.extend(PERSON_ORDER.map(|column| row.get(column)));
        key
    }
}

/// Family name, given name, id: the order of every list of people, and each order's tie-break.
const PERSON_ORDER: [patient::Column; 3] =
    [patient::Column::FamilyName, patient::Column::GivenName, patient::Column::Id];

/// A keyset page of `base` in `order`. As for every list ([`crate::pagination`]), the cursor
/// names only a person's id and is looked up through `cursors`, the caller's scope; the sort
/// values are read from that row (and, for that order, its condition count).
async fn ordered_page(
    db: &(impl ConnectionTrait + Clone + Send + 'static),
    caller: &Caller,
    base: Select<patient::Entity>,
    cursors: Select<patient::Entity>,
    page: PageRequest,
    order: PatientOrder,
    view: ConditionView,
) -> AppResult<Page<patient::Model>> {
    let terms = order.terms(view);
    let total = LazyCount::of(db, base.clone());
    let mut query = base;
    if let Some(cursor_id) = page.after {
        let row = cursors
            .filter(patient::Column::Id.eq(cursor_id))
            .one(db)
            .await?
            .ok_or_else(crate::pagination::cursor_not_in_list)?;
        let conditions = if order.by == PatientSortKey::ConditionCount {
            let hidden = view.hidden_codes();
            let mut count = patient_condition::Entity::find().filter(patient_condition::Column::PatientId.eq(row.id));
            if !hidden.is_empty() {
                count = count.filter(patient_condition::Column::SnomedCode.is_not_in(hidden));
            }
            count.count(db).await? as i64
        } else {
            0
        };
        query = query.filter(after_key(&terms, &order.key(&row, conditions)));
    }
    for (expr, direction) in &terms {
        query = query.order_by(expr.clone(), direction.clone());
    }
    let rows = crate::auth::load_people(db, caller, query.limit(page.limit + 1)).await?;
    Ok(Page::from_rows(rows, page.limit, page.after.is_some(), |m| m.id, |m| m, total))
}

/// One patient, if the caller may see them: NOT_FOUND when no such patient, FORBIDDEN when the
/// policy refuses.
pub async fn get(db: &impl ConnectionTrait, caller: &Caller, id: Uuid) -> AppResult<(patient::Model, Grant)> {
    // A caller with no identifiable access at all learns why, before anything is read.
    caller.patient_scope()?;
    let model = crate::auth::person(db, caller, id).await?;
    let grant = caller
        .grant_for(&model)
        .ok_or_else(|| AppError::forbidden("you have no care relationship that opens this patient's record"))?;
    Ok((model, grant))
}
