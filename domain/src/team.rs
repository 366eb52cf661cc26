//! The members of the INT as the API lists them: its neighbourhoods, the organisations that take
//! part in them, and their practitioners. Readable by every signed-in caller (the team's own
//! directory, no patient data).

use sea_orm::sea_query::{Condition, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use entity::{
    neighbourhood, neighbourhood_organisation, organisation, practitioner, OrganisationKind, ProfessionalRole,
};

use crate::error::AppResult;
use crate::pagination::{after_name, after_person, keyset_page, Page, PageRequest};
use crate::search::{like_pattern, lower_like, name_words, SearchText};

/// Every neighbourhood of the deployment, by name (what a commissioner works with).
pub async fn all_neighbourhoods(db: &impl ConnectionTrait) -> AppResult<Vec<neighbourhood::Model>> {
    Ok(neighbourhood::Entity::find().order_by_asc(neighbourhood::Column::Name).all(db).await?)
}

/// A page of the deployment's neighbourhoods, by name.
pub async fn neighbourhoods(
    db: &(impl ConnectionTrait + Clone + Send + 'static),
    page: PageRequest,
) -> AppResult<Page<neighbourhood::Model>> {
    use neighbourhood::Column as C;
    keyset_page(
        db,
        neighbourhood::Entity::find(),
        page,
        &[C::Name, C::Id],
        |key| after_name(C::Name, C::Id, key),
        |m| (m.name.clone(), m.id),
    )
    .await
}

#[derive(Debug, Clone, Default)]
pub struct OrganisationFilter {
    pub kind: Option<OrganisationKind>,
    pub neighbourhood_id: Option<Uuid>,
    pub search: Option<SearchText>,
}

pub async fn organisations(
    db: &(impl ConnectionTrait + Clone + Send + 'static),
    filter: OrganisationFilter,
    page: PageRequest,
) -> AppResult<Page<organisation::Model>> {
    let mut cond = Condition::all();
    if let Some(kind) = filter.kind {
        cond = cond.add(organisation::Column::Kind.eq(kind));
    }
    if let Some(neighbourhood_id) = filter.neighbourhood_id {
        let members = Query::select()
            .column(neighbourhood_organisation::Column::OrganisationId)
            .from(neighbourhood_organisation::Entity)
            .and_where(neighbourhood_organisation::Column::NeighbourhoodId.eq(neighbourhood_id))
            .to_owned();
        cond = cond.add(organisation::Column::Id.in_subquery(members));
    }
    if let Some(search) = &filter.search {
        let pattern = like_pattern(search.as_str(), false);
        cond = cond.add(
            Condition::any()
                .add(lower_like((organisation::Entity, organisation::Column::Name), pattern.clone()))
                .add(lower_like((organisation::Entity, organisation::Column::OdsCode), pattern)),
        );
    }
    use organisation::Column as C;
    keyset_page(
        db,
        organisation::Entity::find().filter(cond),
        page,
        &[C::Name, C::Id],
        |key| after_name(C::Name, C::Id, key),
        |m| (m.name.clone(), m.id),
    )
    .await
}

#[derive(Debug, Clone, Default)]
pub struct PractitionerFilter {
    pub organisation_id: Option<Uuid>,
    pub neighbourhood_id: Option<Uuid>,
    pub role: Option<ProfessionalRole>,
    pub search: Option<SearchText>,
    /// Whether deactivated practitioners are listed too.
    pub include_inactive: bool,
}

pub async fn practitioners(
    db: &(impl ConnectionTrait + Clone + Send + 'static),
    filter: PractitionerFilter,
    page: PageRequest,
) -> AppResult<Page<practitioner::Model>> {
    use practitioner::Column as C;
    let mut cond = Condition::all();
    if !filter.include_inactive {
        cond = cond.add(C::Active.eq(true));
    }
    if let Some(org) = filter.organisation_id {
        cond = cond.add(C::OrganisationId.eq(org));
    }
    if let Some(neighbourhood_id) = filter.neighbourhood_id {
        let members = Query::select()
            .column(neighbourhood_organisation::Column::OrganisationId)
            .from(neighbourhood_organisation::Entity)
            .and_where(neighbourhood_organisation::Column::NeighbourhoodId.eq(neighbourhood_id))
            .to_owned();
        cond = cond.add(C::OrganisationId.in_subquery(members));
    }
    if let Some(role) = filter.role {
        cond = cond.add(C::ProfessionalRole.eq(role));
    }
    if let Some(search) = &filter.search {
        cond = cond.add(name_words(
            (practitioner::Entity, C::FamilyName),
            (practitioner::Entity, C::GivenName),
            search.as_str(),
        ));
    }
    keyset_page(
        db,
        practitioner::Entity::find().filter(cond),
        page,
        &[C::FamilyName, C::GivenName, C::Id],
        |key| after_person(C::FamilyName, C::GivenName, C::Id, key),
        |m| (m.family_name.clone(), m.given_name.clone(), m.id),
    )
    .await
}
