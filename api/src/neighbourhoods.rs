//! Neighbourhoods (Integrated Neighbourhood Teams): a defined population and the organisations
//! that take part in serving it.

use async_graphql::{ComplexObject, Context, Object, SimpleObject, ID};
use sea_orm::ConnectionTrait;

use entity::neighbourhood;

use crate::connection_type;
use crate::context::{parse_id, request};
use crate::error::ApiResult;
use crate::organisations::OrganisationNode;
use domain::error::{AppError, AppResult};
use domain::pagination::{Page, PageRequest};

#[derive(Clone, SimpleObject)]
#[graphql(complex, name = "Neighbourhood")]
pub struct NeighbourhoodNode {
    #[graphql(skip)]
    pub model: neighbourhood::Model,
    pub id: ID,
    pub name: String,
    /// The population the team was set up to serve.
    pub planned_population: i32,
}

impl From<neighbourhood::Model> for NeighbourhoodNode {
    fn from(model: neighbourhood::Model) -> Self {
        Self {
            id: ID(model.id.to_string()),
            name: model.name.clone(),
            planned_population: model.planned_population,
            model,
        }
    }
}

#[ComplexObject]
impl NeighbourhoodNode {
    /// Organisations taking part in this neighbourhood, by name.
    async fn organisations(&self, ctx: &Context<'_>) -> ApiResult<Vec<OrganisationNode>> {
        let req = request(ctx)?;
        let ids = req.loaders.neighbourhood_members.load_one(self.model.id).await?.unwrap_or_default();
        let mut orgs: Vec<OrganisationNode> =
            req.loaders.organisation.load_many(ids).await?.into_values().map(Into::into).collect();
        orgs.sort_by(|a, b| a.name.cmp(&b.name).then(a.model.id.cmp(&b.model.id)));
        Ok(orgs)
    }

    /// Whether the signed-in practitioner's organisation takes part here.
    async fn is_member(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        Ok(request(ctx)?.caller.takes_part_in(self.model.id))
    }
}

connection_type!(NeighbourhoodConnection, NeighbourhoodEdge, NeighbourhoodNode, "A page of neighbourhoods, by name.");

/// A page of neighbourhoods as nodes (`domain::team::neighbourhoods`).
pub async fn list(
    db: &(impl ConnectionTrait + Clone + Send + 'static),
    page: PageRequest,
) -> AppResult<Page<NeighbourhoodNode>> {
    Ok(domain::team::neighbourhoods(db, page).await?.map(NeighbourhoodNode::from))
}

#[derive(Default)]
pub struct NeighbourhoodQuery;

#[Object]
impl NeighbourhoodQuery {
    /// All neighbourhoods of this deployment, by name.
    #[graphql(complexity = "crate::connection::page_cost(first, child_complexity)")]
    async fn neighbourhoods(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<NeighbourhoodConnection> {
        let req = request(ctx)?;
        Ok(NeighbourhoodConnection(list(&req.db, PageRequest::new(first, after)?).await?))
    }

    async fn neighbourhood(&self, ctx: &Context<'_>, id: ID) -> ApiResult<NeighbourhoodNode> {
        let id = parse_id("id", &id)?;
        let found = request(ctx)?.loaders.neighbourhood.load_one(id).await?;
        Ok(found.map(Into::into).ok_or_else(|| AppError::not_found("neighbourhood", id))?)
    }
}
