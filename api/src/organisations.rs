//! Organisations: GP practices, PCNs, the ICB, adult social care, trusts, VCSE partners, identified
//! by ODS code. Directory data, readable by every signed-in practitioner.

use async_graphql::{ComplexObject, Context, Object, SimpleObject, ID};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use entity::organisation;

use crate::connection_type;
use crate::context::{opt_id, parse_id, request};
use crate::enums::OrganisationKind;
use crate::error::ApiResult;
use domain::error::{AppError, AppResult};
use domain::pagination::{Page, PageRequest};
use domain::search::SearchText;
pub use domain::team::OrganisationFilter;

#[derive(Clone, SimpleObject)]
#[graphql(complex, name = "Organisation")]
pub struct OrganisationNode {
    #[graphql(skip)]
    pub model: organisation::Model,
    pub id: ID,
    /// Organisation Data Service code.
    pub ods_code: String,
    pub name: String,
    pub kind: OrganisationKind,
    /// Registered list size (GP practices).
    pub list_size: Option<i32>,
    pub postcode: Option<String>,
}

impl From<organisation::Model> for OrganisationNode {
    fn from(model: organisation::Model) -> Self {
        Self {
            id: ID(model.id.to_string()),
            ods_code: model.ods_code.clone(),
            name: model.name.clone(),
            kind: model.kind.into(),
            list_size: model.list_size,
            postcode: model.postcode.clone(),
            model,
        }
    }
}

impl OrganisationNode {
    /// The organisation `id` (none when no id is given), through the request's batching loader, so that
    /// every organisation a response names is read in one statement. For a nullable field.
    pub async fn load(ctx: &Context<'_>, id: impl Into<Option<Uuid>>) -> ApiResult<Option<Self>> {
        let Some(id) = id.into() else { return Ok(None) };
        Ok(request(ctx)?.loaders.organisation.load_one(id).await?.map(Into::into))
    }

    /// The organisation `id`, which must exist (a non-null field, a look-up by id): NOT_FOUND otherwise.
    pub async fn find(ctx: &Context<'_>, id: Uuid) -> ApiResult<Self> {
        Ok(Self::load(ctx, id).await?.ok_or_else(|| AppError::not_found("organisation", id))?)
    }
}

#[ComplexObject]
impl OrganisationNode {
    /// The organisation this one belongs to (a practice's PCN, a PCN's ICB).
    async fn parent(&self, ctx: &Context<'_>) -> ApiResult<Option<OrganisationNode>> {
        OrganisationNode::load(ctx, self.model.parent_id).await
    }
}

connection_type!(OrganisationConnection, OrganisationEdge, OrganisationNode, "A page of organisations, by name.");

/// A page of organisations as nodes (`domain::team::organisations`).
pub async fn list(
    db: &(impl ConnectionTrait + Clone + Send + 'static),
    filter: OrganisationFilter,
    page: PageRequest,
) -> AppResult<Page<OrganisationNode>> {
    Ok(domain::team::organisations(db, filter, page).await?.map(OrganisationNode::from))
}

#[derive(Default)]
pub struct OrganisationQuery;

#[Object]
impl OrganisationQuery {
    /// Organisations, by name; filter by kind, by neighbourhood taking part, or by name / ODS code.
    #[graphql(complexity = "crate::connection::page_cost(first, child_complexity)")]
    async fn organisations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        kind: Option<OrganisationKind>,
        neighbourhood_id: Option<ID>,
        search: Option<String>,
    ) -> ApiResult<OrganisationConnection> {
        let req = request(ctx)?;
        let filter = OrganisationFilter {
            kind: kind.map(Into::into),
            neighbourhood_id: opt_id("neighbourhoodId", &neighbourhood_id)?,
            search: SearchText::parse(search)?,
        };
        Ok(OrganisationConnection(list(&req.db, filter, PageRequest::new(first, after)?).await?))
    }

    async fn organisation(&self, ctx: &Context<'_>, id: ID) -> ApiResult<OrganisationNode> {
        OrganisationNode::find(ctx, parse_id("id", &id)?).await
    }
}
