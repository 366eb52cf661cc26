//! Saved cohorts: a named definition evaluated against a neighbourhood's population. Membership is
//! always a query, never a copy; counts are aggregates, members are identifiable and audited.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Query, UnionType};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter};
use uuid::Uuid;

use entity::{cohort, neighbourhood_organisation, organisation, patient, OrganisationKind};

use crate::auth::Caller;
use crate::conditions::ConditionView;
use crate::disclosure::Counted;
use crate::error::{AppError, AppResult};
use crate::pagination::{after_name, keyset_page, Page, PageRequest};
use crate::patients::query::criteria_condition;
use crate::patients::PatientCriteria;
use crate::sql::any_of;

/// A stored cohort with its parsed definition.
#[derive(Debug, Clone)]
pub struct Cohort {
    pub model: cohort::Model,
    pub criteria: PatientCriteria,
}

impl Cohort {
    fn from_model(model: cohort::Model) -> AppResult<Self> {
        let criteria: PatientCriteria = serde_json::from_str(&model.definition).map_err(|e| {
            AppError::internal(anyhow::anyhow!("cohort {} has an unreadable definition: {e}", model.id))
        })?;
        Ok(Self { model, criteria })
    }
}

/// One cohort, if the caller may see its neighbourhood's aggregates.
pub async fn get(db: &impl ConnectionTrait, caller: &Caller, id: Uuid) -> AppResult<Cohort> {
    let model = cohort::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found("cohort", id))?;
    if !caller.may_see_aggregates(model.neighbourhood_id) {
        return Err(AppError::forbidden(
            "this cohort belongs to a neighbourhood your organisation does not take part in",
        ));
    }
    Cohort::from_model(model)
}

/// Cohorts the caller may see, by name; `neighbourhood_id` narrows to one neighbourhood.
pub async fn list(
    db: &(impl ConnectionTrait + Clone + Send + 'static),
    caller: &Caller,
    neighbourhood_id: Option<Uuid>,
    page: PageRequest,
) -> AppResult<Page<Cohort>> {
    use cohort::Column as C;
    let mut cond = Condition::all();
    match neighbourhood_id {
        Some(n) if !caller.may_see_aggregates(n) => {
            return Err(AppError::forbidden("your organisation does not take part in that neighbourhood"))
        }
        Some(n) => cond = cond.add(C::NeighbourhoodId.eq(n)),
        None if caller.sees_every_neighbourhood() => {}
        None => cond = cond.add(C::NeighbourhoodId.is_in(caller.neighbourhood_ids.clone())),
    }
    let page = keyset_page(
        db,
        cohort::Entity::find().filter(cond),
        page,
        &[C::Name, C::Id],
        |key| after_name(C::Name, C::Id, key),
        |m| (m.name.clone(), m.id),
    )
    .await?;
    let Page { items, page_info, total } = page;
    let items = items
        .into_iter()
        .map(|(cursor, model)| Cohort::from_model(model).map(|c| (cursor, c)))
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Page { items, page_info, total })
}

pub struct NewCohort {
    pub neighbourhood_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub criteria: PatientCriteria,
}

pub const MAX_NAME_CHARS: usize = 120;
pub const MAX_DESCRIPTION_CHARS: usize = 2_000;

/// Saves a cohort definition after checking the caller, the name and the criteria.
pub async fn create(db: &impl ConnectionTrait, caller: &Caller, new: NewCohort) -> AppResult<Cohort> {
    if !caller.may_manage_cohorts(new.neighbourhood_id) {
        return Err(AppError::forbidden(
            "only staff of organisations taking part in the neighbourhood, with access to its patients, can define its cohorts",
        ));
    }
    let name = new.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::bad_input("name", format!("must be 1 to {MAX_NAME_CHARS} characters")));
    }
    let description = new.description.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
    if description.as_ref().is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_CHARS) {
        return Err(AppError::bad_input("description", format!("must be at most {MAX_DESCRIPTION_CHARS} characters")));
    }
    let criteria = new.criteria.validated()?;
    // A definition its author could not count or list would be of no use to them, and would let
    // them learn who has a condition their role does not read from the figures others see.
    caller.condition_view().check_codes(&criteria.condition_codes)?;
    if let Some(practice_id) = criteria.practice_id {
        let practice = organisation::Entity::find_by_id(practice_id)
            .filter(organisation::Column::Kind.eq(OrganisationKind::GpPractice))
            .filter(
                organisation::Column::Id.in_subquery(
                    Query::select()
                        .column(neighbourhood_organisation::Column::OrganisationId)
                        .from(neighbourhood_organisation::Entity)
                        .and_where(neighbourhood_organisation::Column::NeighbourhoodId.eq(new.neighbourhood_id))
                        .to_owned(),
                ),
            )
            .one(db)
            .await?;
        if practice.is_none() {
            return Err(AppError::bad_input("practiceId", "is not a GP practice taking part in this neighbourhood"));
        }
    }
    let duplicate = |id: Uuid| {
        AppError::conflict_with(format!("this neighbourhood already has a cohort named {name:?} (id {id})"), id)
    };
    if let Some(existing) = cohort::Entity::find()
        .filter(cohort::Column::NeighbourhoodId.eq(new.neighbourhood_id))
        .filter(cohort::Column::Name.eq(name.clone()))
        .one(db)
        .await?
    {
        return Err(duplicate(existing.id));
    }
    let model = cohort::Model {
        id: Uuid::now_v7(),
        neighbourhood_id: new.neighbourhood_id,
        name: name.clone(),
        description,
        definition: serde_json::to_string(&criteria).map_err(AppError::internal)?,
        created_by: caller.practitioner_id,
        created_at: Utc::now(),
    };
    match cohort::Entity::insert(model.clone().into_active_model()).exec_without_returning(db).await {
        Ok(_) => Ok(Cohort { model, criteria }),
        // Lost a race with an identical create: report it as the conflict it is.
        Err(e) if crate::open_key::taken(&e) => {
            Err(AppError::conflict(format!("this neighbourhood already has a cohort named {name:?}")))
        }
        Err(e) => Err(e.into()),
    }
}

/// Deletes a cohort definition (members are untouched: they were never copied).
pub async fn delete(db: &impl ConnectionTrait, caller: &Caller, id: Uuid) -> AppResult<Uuid> {
    let cohort = get(db, caller, id).await?;
    if !caller.may_manage_cohorts(cohort.model.neighbourhood_id) {
        return Err(AppError::forbidden("you may not change this neighbourhood's cohorts"));
    }
    cohort::Entity::delete_by_id(id).exec(db).await?;
    Ok(id)
}

const COUNTS_PER_STATEMENT: usize = 100;

/// Member counts of `cohorts`, of the people `counted` names (`Caller::counted`), in one statement
/// per 100 cohorts.
pub async fn member_counts(
    db: &impl ConnectionTrait,
    cohorts: &[Cohort],
    today: chrono::NaiveDate,
    counted: Counted,
    view: ConditionView,
) -> AppResult<HashMap<Uuid, u64>> {
    let mut out = HashMap::with_capacity(cohorts.len());
    for chunk in cohorts.chunks(COUNTS_PER_STATEMENT) {
        let mut selects = chunk.iter().map(|c| {
            Query::select()
                .expr_as(Expr::val(c.model.id.to_string()), Alias::new("cohort_id"))
                .expr_as(Expr::col((patient::Entity, patient::Column::Id)).count(), Alias::new("members"))
                .from(patient::Entity)
                .cond_where(
                    Condition::all()
                        .add(patient::Column::NeighbourhoodId.eq(c.model.neighbourhood_id))
                        .add(criteria_condition(&c.criteria, today, view))
                        .add(counted.condition()),
                )
                .to_owned()
        });
        let Some(mut statement) = selects.next() else { continue };
        for next in selects {
            statement.union(UnionType::All, next);
        }
        let rows = db.query_all(&statement).await?;
        for row in rows {
            let id: String = row.try_get("", "cohort_id")?;
            let members: i64 = row.try_get("", "members")?;
            let id = Uuid::parse_str(&id).map_err(AppError::internal)?;
            out.insert(id, u64::try_from(members).unwrap_or(0));
        }
    }
    Ok(out)
}

/// Member counts of the cohorts with these ids (unknown ids are left out), in one statement per
/// 100 cohorts: a UNION ALL of counts, in chunks that stay under SQLite's compound-select limit.
pub async fn member_counts_of(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
    today: chrono::NaiveDate,
    counted: Counted,
    view: ConditionView,
) -> AppResult<HashMap<Uuid, u64>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let models =
        cohort::Entity::find().filter(any_of(db.get_database_backend(), cohort::Column::Id, ids)).all(db).await?;
    let cohorts = models.into_iter().map(Cohort::from_model).collect::<AppResult<Vec<_>>>()?;
    member_counts(db, &cohorts, today, counted, view).await
}
