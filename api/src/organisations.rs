//! Organisations: GP practices, PCNs, the ICB, adult social care, trusts, VCSE partners, identified
//! by ODS code. Directory data, readable by every signed-in practitioner.

use async_graphql::{ComplexObject, Context, Enum, Object, SimpleObject, ID};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use entity::{neighbourhood_organisation, organisation};

use crate::connection_type;
use crate::context::request;
use crate::error::{AppError, AppResult};
use crate::pagination::{LazyCount, Page, PageRequest};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "entity::OrganisationKind")]
pub enum OrganisationKind {
    GpPractice,
    Pcn,
    Icb,
    AdultSocialCare,
    MentalHealthTrust,
    CommunityHealthTrust,
    Vcse,
    SplwProvider,
    Housing,
    Other,
}

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

#[ComplexObject]
impl OrganisationNode {
    /// The organisation this one belongs to (a practice's PCN, a PCN's ICB).
    async fn parent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<OrganisationNode>> {
        let Some(parent_id) = self.model.parent_id else { return Ok(None) };
        Ok(request(ctx)?.loaders.organisation.load_one(parent_id).await?.map(Into::into))
    }
}

connection_type!(OrganisationConnection, OrganisationEdge, OrganisationNode, "A page of organisations, by name.");

/// Parses a GraphQL `ID` argument as a UUID.
pub fn parse_id(field: &str, id: &ID) -> AppResult<Uuid> {
    Uuid::parse_str(id.as_str())
        .map_err(|_| AppError::bad_input(field, format!("{:?} is not a valid id (expected a UUID)", id.as_str())))
}

/// Keyset for lists ordered by a name and then id.
pub type NameKey = (String, Uuid);

/// `name > a OR (name = a AND id > b)` for any table ordered by (name, id).
pub fn after_name_key(name_col: impl ColumnTrait, id_col: impl ColumnTrait, key: &NameKey) -> Condition {
    Condition::any()
        .add(name_col.gt(key.0.clone()))
        .add(Condition::all().add(name_col.eq(key.0.clone())).add(id_col.gt(key.1)))
}

/// Escapes LIKE wildcards in user text and lower-cases it, for `LOWER(col) LIKE pattern ESCAPE '\'`.
pub fn like_pattern(text: &str, prefix_only: bool) -> String {
    let escaped: String = text
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    if prefix_only {
        format!("{escaped}%")
    } else {
        format!("%{escaped}%")
    }
}

/// Case-insensitive match of a column against a LIKE pattern built by [`like_pattern`].
pub fn lower_like(col: impl sea_orm::sea_query::IntoColumnRef, pattern: String) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::ExprTrait as _;
    Expr::expr(sea_orm::sea_query::Func::lower(Expr::col(col)))
        .like(sea_orm::sea_query::LikeExpr::new(pattern).escape('\\'))
}

#[derive(Debug, Clone, Default)]
pub struct OrganisationFilter {
    pub kind: Option<entity::OrganisationKind>,
    pub neighbourhood_id: Option<Uuid>,
    pub search: Option<String>,
}

pub async fn list(
    db: &(impl ConnectionTrait + Clone + Send + Sync + 'static),
    filter: OrganisationFilter,
    page: PageRequest<NameKey>,
) -> AppResult<Page<OrganisationNode>> {
    let mut cond = Condition::all();
    if let Some(kind) = filter.kind {
        cond = cond.add(organisation::Column::Kind.eq(kind));
    }
    if let Some(neighbourhood_id) = filter.neighbourhood_id {
        let members = sea_orm::sea_query::Query::select()
            .column(neighbourhood_organisation::Column::OrganisationId)
            .from(neighbourhood_organisation::Entity)
            .and_where(neighbourhood_organisation::Column::NeighbourhoodId.eq(neighbourhood_id))
            .to_owned();
        cond = cond.add(organisation::Column::Id.in_subquery(members));
    }
    if let Some(search) = filter.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = like_pattern(search, false);
        cond = cond.add(
            Condition::any()
                .add(lower_like((organisation::Entity, organisation::Column::Name), pattern.clone()))
                .add(lower_like((organisation::Entity, organisation::Column::OdsCode), pattern)),
        );
    }
    let base = organisation::Entity::find().filter(cond);
    let count_query = base.clone();
    let count_db = db.clone();
    let total = LazyCount::new(move || {
        let (q, db) = (count_query.clone(), count_db.clone());
        Box::pin(async move { Ok(q.count(&db).await?) })
    });
    let mut query = base;
    if let Some(after) = &page.after {
        query = query.filter(after_name_key(organisation::Column::Name, organisation::Column::Id, after));
    }
    let rows = query
        .order_by_asc(organisation::Column::Name)
        .order_by_asc(organisation::Column::Id)
        .limit(page.limit + 1)
        .all(db)
        .await?;
    Ok(Page::from_rows(
        rows,
        page.limit,
        page.after.is_some(),
        |m| (m.name.clone(), m.id),
        OrganisationNode::from,
        total,
    ))
}

#[derive(Default)]
pub struct OrganisationQuery;

#[Object]
impl OrganisationQuery {
    /// Organisations, by name; filter by kind, by neighbourhood taking part, or by name / ODS code.
    #[graphql(complexity = "crate::pagination::page_cost(first, child_complexity)")]
    async fn organisations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        kind: Option<OrganisationKind>,
        neighbourhood_id: Option<ID>,
        search: Option<String>,
    ) -> async_graphql::Result<OrganisationConnection> {
        let req = request(ctx)?;
        let filter = OrganisationFilter {
            kind: kind.map(Into::into),
            neighbourhood_id: neighbourhood_id.as_ref().map(|id| parse_id("neighbourhoodId", id)).transpose()?,
            search,
        };
        Ok(OrganisationConnection(list(&req.db, filter, PageRequest::new(first, after)?).await?))
    }

    async fn organisation(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<OrganisationNode> {
        let id = parse_id("id", &id)?;
        let req = request(ctx)?;
        let found = req.loaders.organisation.load_one(id).await?;
        Ok(found.map(Into::into).ok_or_else(|| AppError::not_found("organisation", id))?)
    }
}
