//! Who is calling: the bearer token is verified, then matched to the practitioner record so that a
//! deactivated practitioner or a token whose claims disagree with the record is refused.

pub mod jwt;
pub mod policy;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use entity::{neighbourhood_organisation, organisation, practitioner, OrganisationKind, ProfessionalRole};

use crate::error::{AppError, AppResult};
pub use jwt::{Claims, DevSecret, JwtSigner, JwtVerifier};
pub use policy::{AccessReason, Grant, PatientAccessLevel, PatientScope};

/// The authenticated practitioner, with what the access policy needs to decide.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    pub practitioner_id: Uuid,
    pub name: String,
    pub role: ProfessionalRole,
    pub organisation_id: Uuid,
    pub organisation_kind: OrganisationKind,
    /// Neighbourhoods the caller's organisation takes part in.
    pub neighbourhood_ids: Vec<Uuid>,
}

/// Extracts the token from an `Authorization` header value.
pub fn bearer_token(header: Option<&str>) -> AppResult<&str> {
    let header = header.ok_or_else(|| {
        AppError::Unauthenticated(
            "missing Authorization header; send `Authorization: Bearer <token>` (see README: how to get a token)"
                .to_owned(),
        )
    })?;
    let (scheme, token) = header.split_once(' ').unwrap_or((header, ""));
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AppError::Unauthenticated("the Authorization header must be `Bearer <token>`".to_owned()));
    }
    Ok(token.trim())
}

/// Verifies the token and loads the caller: three statements whatever the request.
pub async fn authenticate(db: &impl ConnectionTrait, verifier: &JwtVerifier, token: &str) -> AppResult<Caller> {
    let claims = verifier.verify(token)?;
    let stale = || AppError::Unauthenticated("the token does not match an active practitioner record".to_owned());
    let practitioner = practitioner::Entity::find_by_id(claims.sub).one(db).await?.ok_or_else(stale)?;
    let organisation =
        organisation::Entity::find_by_id(practitioner.organisation_id).one(db).await?.ok_or_else(stale)?;
    if !practitioner.active
        || practitioner.organisation_id != claims.org
        || sea_orm::ActiveEnum::to_value(&practitioner.professional_role) != claims.role
    {
        return Err(stale());
    }
    let neighbourhood_ids: Vec<Uuid> = neighbourhood_organisation::Entity::find()
        .select_only()
        .column(neighbourhood_organisation::Column::NeighbourhoodId)
        .filter(neighbourhood_organisation::Column::OrganisationId.eq(organisation.id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(Caller {
        practitioner_id: practitioner.id,
        name: format!("{} {}", practitioner.given_name, practitioner.family_name),
        role: practitioner.professional_role,
        organisation_id: organisation.id,
        organisation_kind: organisation.kind,
        neighbourhood_ids,
    })
}
