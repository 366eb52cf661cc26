//! GraphQL for cohorts: definitions and member counts (aggregate), members (identifiable, audited).

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};

use crate::connection_type;
use crate::context::{opt_id, parse_id, request};
use crate::enums::{ConditionMatch, FrailtyCategory};
use crate::error::ApiResult;
use crate::neighbourhoods::NeighbourhoodNode;
use crate::organisations::OrganisationNode;
use crate::patients::graphql::{
    patient_page, LongTermCondition, PatientConnection, PatientCriteriaInput, PatientOrderInput,
};
use crate::practitioners::PractitionerNode;
use crate::scalars;
use domain::cohorts::Cohort;
use domain::conditions;
use domain::error::AppError;
use domain::patients::PatientSelection;
use domain::search::SearchText;

#[derive(Clone)]
pub struct CohortNode(pub Cohort);

/// A cohort's criteria, as saved.
pub struct CohortDefinition(Cohort);

#[Object]
impl CohortDefinition {
    async fn frailty_categories(&self) -> Vec<FrailtyCategory> {
        self.0.criteria.frailty_categories.iter().map(|&category| category.into()).collect()
    }

    async fn min_condition_count(&self) -> Option<u32> {
        self.0.criteria.min_condition_count
    }

    async fn conditions(&self) -> Vec<LongTermCondition> {
        self.0
            .criteria
            .condition_codes
            .iter()
            .filter_map(|code| conditions::by_code(code))
            .map(LongTermCondition::from)
            .collect()
    }

    async fn condition_match(&self) -> ConditionMatch {
        self.0.criteria.condition_match.into()
    }

    async fn age_min(&self) -> Option<u32> {
        self.0.criteria.age_min
    }

    async fn age_max(&self) -> Option<u32> {
        self.0.criteria.age_max
    }

    async fn practice(&self, ctx: &Context<'_>) -> ApiResult<Option<OrganisationNode>> {
        OrganisationNode::load(ctx, self.0.criteria.practice_id).await
    }
}

#[Object(name = "Cohort")]
impl CohortNode {
    async fn id(&self) -> ID {
        ID(self.0.model.id.to_string())
    }

    async fn name(&self) -> &str {
        &self.0.model.name
    }

    async fn description(&self) -> Option<&str> {
        self.0.model.description.as_deref()
    }

    async fn definition(&self) -> CohortDefinition {
        CohortDefinition(self.0.clone())
    }

    async fn neighbourhood(&self, ctx: &Context<'_>) -> ApiResult<NeighbourhoodNode> {
        let id = self.0.model.neighbourhood_id;
        let found = request(ctx)?.loaders.neighbourhood.load_one(id).await?;
        Ok(found.map(Into::into).ok_or_else(|| AppError::not_found("neighbourhood", id))?)
    }

    /// How many people in the neighbourhood meet the definition now (aggregate, not identifiable).
    /// Null when the count is 1 to 4 and the caller may not see identifiable data (small-number
    /// suppression). For callers who may read the members, a count of 1 to 4 singles them out:
    /// it is an audited read of those people.
    async fn member_count(&self, ctx: &Context<'_>) -> ApiResult<Option<u64>> {
        let req = request(ctx)?;
        // An exact count by a condition the caller does not read would say who has it.
        req.caller.counted_conditions(req.caller.disclosure()).check_codes(&self.0.criteria.condition_codes)?;
        let count = req.loaders.cohort_counts.load_one(self.0.model.id).await?.unwrap_or(0);
        let shown = req.caller.disclosable_count(count);
        if shown.is_some() {
            if let Ok(scope) = req.caller.patient_scope() {
                let selection = PatientSelection {
                    scope,
                    criteria: vec![self.0.criteria.clone()],
                    neighbourhood_id: Some(self.0.model.neighbourhood_id),
                    search: None,
                    today: req.today,
                };
                let people = selection.singled_out(&req.db, &req.caller, count).await?;
                let reads: Vec<_> = people.iter().map(|(m, g)| (m.id, g.reason())).collect();
                req.audit_reads(ctx, &reads).await?;
            }
        }
        Ok(shown)
    }

    /// The people who meet the definition now, by name unless `orderBy` says otherwise.
    /// Identifiable: every record is audited.
    /// Null (with FORBIDDEN) for callers who see aggregates only.
    #[graphql(complexity = "crate::connection::page_cost(first, child_complexity)")]
    async fn members(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        search: Option<String>,
        order_by: Option<PatientOrderInput>,
    ) -> ApiResult<Option<PatientConnection>> {
        let req = request(ctx)?;
        let selection = PatientSelection {
            scope: req.caller.patient_scope()?,
            criteria: vec![self.0.criteria.clone()],
            neighbourhood_id: Some(self.0.model.neighbourhood_id),
            search: SearchText::parse(search)?,
            today: req.today,
        };
        patient_page(ctx, req, selection, first, after, order_by.map(Into::into)).await.map(Some)
    }

    async fn created_by(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.0.model.created_by).await
    }

    async fn created_at(&self) -> scalars::DateTime {
        self.0.model.created_at.into()
    }
}

connection_type!(CohortConnection, CohortEdge, CohortNode, "A page of saved cohorts, by name.");

#[derive(Default)]
pub struct CohortQuery;

#[Object]
impl CohortQuery {
    /// Saved cohorts of the caller's neighbourhoods (commissioners: all), by name.
    #[graphql(complexity = "crate::connection::page_cost(first, child_complexity)")]
    async fn cohorts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        neighbourhood_id: Option<ID>,
    ) -> ApiResult<CohortConnection> {
        let req = request(ctx)?;
        let neighbourhood_id = opt_id("neighbourhoodId", &neighbourhood_id)?;
        let page = domain::cohorts::list(
            &req.db,
            &req.caller,
            neighbourhood_id,
            domain::pagination::PageRequest::new(first, after)?,
        )
        .await?;
        let domain::pagination::Page { items, page_info, total } = page;
        Ok(CohortConnection(domain::pagination::Page {
            items: items.into_iter().map(|(c, cohort)| (c, CohortNode(cohort))).collect(),
            page_info,
            total,
        }))
    }

    async fn cohort(&self, ctx: &Context<'_>, id: ID) -> ApiResult<CohortNode> {
        let req = request(ctx)?;
        Ok(CohortNode(domain::cohorts::get(&req.db, &req.caller, parse_id("id", &id)?).await?))
    }
}

#[derive(InputObject)]
pub struct CreateCohortInput {
    pub neighbourhood_id: ID,
    /// Unique within the neighbourhood, e.g. "Moderate or severe frailty with 2+ long-term conditions".
    pub name: String,
    pub description: Option<String>,
    pub criteria: PatientCriteriaInput,
}

#[derive(SimpleObject)]
pub struct CreateCohortPayload {
    pub cohort: CohortNode,
}

#[derive(InputObject)]
pub struct DeleteCohortInput {
    pub id: ID,
}

#[derive(SimpleObject)]
pub struct DeleteCohortPayload {
    pub deleted_cohort_id: ID,
}

#[derive(Default)]
pub struct CohortMutation;

#[Object]
impl CohortMutation {
    /// Saves a named cohort definition for a neighbourhood.
    async fn create_cohort(&self, ctx: &Context<'_>, input: CreateCohortInput) -> ApiResult<CreateCohortPayload> {
        let req = request(ctx)?;
        let new = domain::cohorts::NewCohort {
            neighbourhood_id: parse_id("neighbourhoodId", &input.neighbourhood_id)?,
            name: input.name,
            description: input.description,
            criteria: input.criteria.into_criteria()?,
        };
        Ok(CreateCohortPayload { cohort: CohortNode(domain::cohorts::create(&req.db, &req.caller, new).await?) })
    }

    /// Deletes a saved cohort definition.
    async fn delete_cohort(&self, ctx: &Context<'_>, input: DeleteCohortInput) -> ApiResult<DeleteCohortPayload> {
        let req = request(ctx)?;
        let id = domain::cohorts::delete(&req.db, &req.caller, parse_id("id", &input.id)?).await?;
        Ok(DeleteCohortPayload { deleted_cohort_id: ID(id.to_string()) })
    }
}
