//! Practitioners: the people of the team, their discipline, organisation and capacity.

use async_graphql::{ComplexObject, Context, Object, SimpleObject, ID};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use entity::practitioner;

use crate::connection_type;
use crate::context::{opt_id, parse_id, request};
use crate::enums::ProfessionalRole;
use crate::error::ApiResult;
use crate::neighbourhoods::NeighbourhoodNode;
use crate::organisations::OrganisationNode;
use crate::scalars;
use domain::error::{AppError, AppResult};
use domain::pagination::{Page, PageRequest};
use domain::search::SearchText;
pub use domain::team::PractitionerFilter;

#[derive(Clone, SimpleObject)]
#[graphql(complex, name = "Practitioner")]
pub struct PractitionerNode {
    #[graphql(skip)]
    pub model: practitioner::Model,
    pub id: ID,
    pub given_name: String,
    pub family_name: String,
    pub professional_role: ProfessionalRole,
    /// Whole-time equivalent.
    pub fte: f64,
    /// How many people this practitioner can hold at once (caseload-holding roles).
    pub caseload_capacity: Option<i32>,
    pub active: bool,
}

impl From<practitioner::Model> for PractitionerNode {
    fn from(model: practitioner::Model) -> Self {
        Self {
            id: ID(model.id.to_string()),
            given_name: model.given_name.clone(),
            family_name: model.family_name.clone(),
            professional_role: model.professional_role.into(),
            fte: model.fte,
            caseload_capacity: model.caseload_capacity,
            active: model.active,
            model,
        }
    }
}

impl PractitionerNode {
    /// The practitioner `id` (none when no id is given), through the request's batching loader, so that
    /// every practitioner a response names is read in one statement. For a nullable field.
    pub async fn load(ctx: &Context<'_>, id: impl Into<Option<Uuid>>) -> ApiResult<Option<Self>> {
        let Some(id) = id.into() else { return Ok(None) };
        Ok(request(ctx)?.loaders.practitioner.load_one(id).await?.map(Into::into))
    }

    /// The practitioner `id`, which must exist (a non-null field, a look-up by id): NOT_FOUND otherwise.
    pub async fn find(ctx: &Context<'_>, id: Uuid) -> ApiResult<Self> {
        Ok(Self::load(ctx, id).await?.ok_or_else(|| AppError::not_found("practitioner", id))?)
    }
}

#[ComplexObject]
impl PractitionerNode {
    async fn name(&self) -> String {
        format!("{} {}", self.model.given_name, self.model.family_name)
    }

    async fn organisation(&self, ctx: &Context<'_>) -> ApiResult<OrganisationNode> {
        let id = self.model.organisation_id;
        OrganisationNode::find(ctx, id).await
    }

    /// When they were deactivated (null while active).
    async fn left_at(&self) -> Option<scalars::DateTime> {
        self.model.left_at.map(Into::into)
    }

    /// The `sub` claim of their tokens, shown to themselves and to the administrators of their
    /// organisation (null to everyone else, and when they cannot sign in).
    async fn identity_subject(&self, ctx: &Context<'_>) -> ApiResult<Option<&str>> {
        let caller = &request(ctx)?.caller;
        Ok(self.model.identity_subject.as_deref().filter(|_| caller.reads_identity_of(&self.model)))
    }

    /// Their organisation's own reference for them (staff number), shown to whom the identity is.
    async fn staff_ref(&self, ctx: &Context<'_>) -> ApiResult<Option<&str>> {
        let caller = &request(ctx)?.caller;
        Ok(self.model.staff_ref.as_deref().filter(|_| caller.reads_identity_of(&self.model)))
    }
}

connection_type!(
    PractitionerConnection,
    PractitionerEdge,
    PractitionerNode,
    "A page of practitioners, by family name."
);

/// A page of practitioners as nodes (`domain::team::practitioners`).
pub async fn list(
    db: &(impl ConnectionTrait + Clone + Send + 'static),
    filter: PractitionerFilter,
    page: PageRequest,
) -> AppResult<Page<PractitionerNode>> {
    Ok(domain::team::practitioners(db, filter, page).await?.map(PractitionerNode::from))
}

/// The signed-in practitioner and what they may reach.
pub struct Me;

#[Object]
impl Me {
    async fn practitioner(&self, ctx: &Context<'_>) -> ApiResult<PractitionerNode> {
        PractitionerNode::find(ctx, request(ctx)?.caller.practitioner_id).await
    }

    async fn role(&self, ctx: &Context<'_>) -> ApiResult<ProfessionalRole> {
        Ok(request(ctx)?.caller.role.into())
    }

    async fn organisation(&self, ctx: &Context<'_>) -> ApiResult<OrganisationNode> {
        OrganisationNode::find(ctx, request(ctx)?.caller.organisation_id).await
    }

    /// The neighbourhoods this practitioner works with: those their organisation takes part in
    /// or, for a commissioner, every neighbourhood whose figures they may see (all of them).
    async fn neighbourhoods(&self, ctx: &Context<'_>) -> ApiResult<Vec<NeighbourhoodNode>> {
        let req = request(ctx)?;
        if req.caller.sees_every_neighbourhood() {
            let all = domain::team::all_neighbourhoods(&req.db).await?;
            return Ok(all.into_iter().map(Into::into).collect());
        }
        let found = req.loaders.neighbourhood.load_many(req.caller.neighbourhood_ids.iter().copied()).await?;
        let mut nodes: Vec<NeighbourhoodNode> = found.into_values().map(Into::into).collect();
        nodes.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(nodes)
    }

    /// The access the practitioner has to the records of their neighbourhoods' patients.
    async fn patient_access(&self, ctx: &Context<'_>) -> ApiResult<crate::enums::PatientAccessLevel> {
        Ok(request(ctx)?.caller.patient_access_level().into())
    }
}

#[derive(Default)]
pub struct PractitionerQuery;

#[Object]
impl PractitionerQuery {
    /// The signed-in practitioner.
    async fn me(&self) -> Me {
        Me
    }

    /// Practitioners, by family name; filter by organisation, neighbourhood, role or name. Those
    /// deactivated are left out unless `includeInactive`.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::connection::page_cost(first, child_complexity)")]
    async fn practitioners(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        organisation_id: Option<ID>,
        neighbourhood_id: Option<ID>,
        role: Option<ProfessionalRole>,
        search: Option<String>,
        #[graphql(default = false)] include_inactive: bool,
    ) -> ApiResult<PractitionerConnection> {
        let req = request(ctx)?;
        let filter = PractitionerFilter {
            organisation_id: opt_id("organisationId", &organisation_id)?,
            neighbourhood_id: opt_id("neighbourhoodId", &neighbourhood_id)?,
            role: role.map(Into::into),
            search: SearchText::parse(search)?,
            include_inactive,
        };
        Ok(PractitionerConnection(list(&req.db, filter, PageRequest::new(first, after)?).await?))
    }

    async fn practitioner(&self, ctx: &Context<'_>, id: ID) -> ApiResult<PractitionerNode> {
        let id = parse_id("id", &id)?;
        PractitionerNode::find(ctx, id).await
    }
}
