//! GraphQL for administration of the team (`domain::administration`): organisations,
//! neighbourhoods and their members, practitioners and the identity they sign in with, and the
//! administration trail. For administrators (a deployment's, or an organisation's own); nothing
//! here reads a patient record.

use async_graphql::{Context, InputObject, MaybeUndefined, Object, SimpleObject, ID};

use entity::administration_event;

use crate::connection_type;
use crate::context::{change, opt_id, parse_id, request};
use crate::enums::{OrganisationKind, ProfessionalRole};
use crate::error::ApiResult;
use crate::neighbourhoods::NeighbourhoodNode;
use crate::organisations::OrganisationNode;
use crate::practitioners::PractitionerNode;
use crate::scalars;
use domain::administration::{neighbourhoods, organisations, practitioners, TrailFilter};
use domain::error::AppResult;
use domain::pagination::PageRequest;

/// A field that cannot be cleared: absent leaves it, a value sets it, null is refused.
fn required_change<T>(field: &str, value: MaybeUndefined<T>) -> AppResult<Option<T>> {
    match value {
        MaybeUndefined::Undefined => Ok(None),
        MaybeUndefined::Null => {
            Err(domain::error::AppError::bad_input(field, "cannot be cleared; leave it out to keep it"))
        }
        MaybeUndefined::Value(v) => Ok(Some(v)),
    }
}

/// One administrative change: who made it, when, to what, and what changed.
#[derive(Clone)]
pub struct AdministrationEvent(pub administration_event::Model);

#[Object]
impl AdministrationEvent {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn at(&self) -> scalars::DateTime {
        self.0.at.into()
    }
    /// Who made it (null: the deployment's command line, e.g. the first administrator).
    async fn actor(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.0.actor_id).await
    }
    /// What was done, e.g. `practitioner.deactivate`.
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// `organisation`, `neighbourhood`, `practitioner` or `import` (a file imported).
    async fn subject_kind(&self) -> &str {
        &self.0.subject_kind
    }
    async fn subject_id(&self) -> ID {
        ID(self.0.subject_id.to_string())
    }
    /// The organisation the change concerns, when there is one.
    async fn organisation(&self, ctx: &Context<'_>) -> ApiResult<Option<OrganisationNode>> {
        OrganisationNode::load(ctx, self.0.organisation_id).await
    }
    /// What changed, in a sentence.
    async fn summary(&self) -> &str {
        &self.0.summary
    }
    /// What changed, as JSON text: the fields before and after.
    async fn detail(&self) -> &str {
        &self.0.detail
    }
}

connection_type!(
    AdministrationEventConnection,
    AdministrationEventEdge,
    AdministrationEvent,
    "A page of administrative changes, newest first."
);

#[derive(Default)]
pub struct AdministrationQuery;

#[Object]
impl AdministrationQuery {
    /// Administrative changes, newest first: all of them for a deployment administrator or a
    /// privacy officer, their organisation's (and its staff's) for an organisation's administrator.
    #[graphql(complexity = "crate::connection::page_cost(first, child_complexity)")]
    async fn administration_trail(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(desc = "Only changes to this organisation, neighbourhood, practitioner or directory entry.")]
        subject_id: Option<ID>,
    ) -> ApiResult<AdministrationEventConnection> {
        let req = request(ctx)?;
        let filter = TrailFilter { subject_id: opt_id("subjectId", &subject_id)? };
        let page = domain::administration::trail(&req.db, &req.caller, filter, PageRequest::new(first, after)?).await?;
        Ok(AdministrationEventConnection(page.map(AdministrationEvent)))
    }
}

#[derive(InputObject)]
pub struct CreateOrganisationInput {
    /// ODS organisation code: 3 to 6 letters and digits, unique (stored in capitals).
    pub ods_code: String,
    /// 1 to 200 characters.
    pub name: String,
    pub kind: OrganisationKind,
    /// The organisation it belongs to (a practice's PCN, a PCN's ICB).
    pub parent_id: Option<ID>,
    /// Registered list size (GP practices only).
    pub list_size: Option<i32>,
    pub postcode: Option<String>,
}

/// Changes to an organisation: a field left out stays as it is, null clears it. ODS code, kind
/// and parent are a deployment administrator's to change; name, list size and postcode also the
/// organisation's own administrator's.
#[derive(InputObject)]
pub struct UpdateOrganisationInput {
    pub id: ID,
    pub ods_code: MaybeUndefined<String>,
    pub name: MaybeUndefined<String>,
    pub kind: MaybeUndefined<OrganisationKind>,
    pub parent_id: MaybeUndefined<ID>,
    pub list_size: MaybeUndefined<i32>,
    pub postcode: MaybeUndefined<String>,
}

#[derive(SimpleObject)]
pub struct OrganisationPayload {
    pub organisation: OrganisationNode,
}

#[derive(InputObject)]
pub struct CreateNeighbourhoodInput {
    /// 1 to 120 characters, unique.
    pub name: String,
    /// The population the team is set up to serve (1 to 500,000).
    pub planned_population: i32,
    /// The organisations taking part from the start.
    #[graphql(default)]
    pub organisation_ids: Vec<ID>,
}

#[derive(InputObject)]
pub struct UpdateNeighbourhoodInput {
    pub id: ID,
    pub name: Option<String>,
    pub planned_population: Option<i32>,
}

#[derive(InputObject)]
pub struct NeighbourhoodMemberInput {
    pub neighbourhood_id: ID,
    pub organisation_id: ID,
}

#[derive(SimpleObject)]
pub struct NeighbourhoodPayload {
    pub neighbourhood: NeighbourhoodNode,
}

#[derive(InputObject)]
pub struct CreatePractitionerInput {
    /// 1 to 100 characters.
    pub given_name: String,
    /// 1 to 100 characters.
    pub family_name: String,
    pub professional_role: ProfessionalRole,
    /// An organisation the caller administers.
    pub organisation_id: ID,
    /// Whole-time equivalent, above 0 and at most 1.
    pub fte: f64,
    /// How many people they can hold at once (0 to 1,000; caseload-holding roles).
    pub caseload_capacity: Option<i32>,
    /// The `sub` claim of their tokens from the identity provider (NHS CIS2 or the deployment's
    /// own): unique; without it they cannot sign in until it is set.
    pub identity_subject: Option<String>,
    /// The organisation's own reference for them (staff number; unique within it, at most 64
    /// characters): what a staff list import matches on.
    pub staff_ref: Option<String>,
}

/// Changes to a practitioner: a field left out stays as it is, null clears it.
#[derive(InputObject)]
pub struct UpdatePractitionerInput {
    pub id: ID,
    pub given_name: MaybeUndefined<String>,
    pub family_name: MaybeUndefined<String>,
    pub professional_role: MaybeUndefined<ProfessionalRole>,
    pub organisation_id: MaybeUndefined<ID>,
    pub fte: MaybeUndefined<f64>,
    pub caseload_capacity: MaybeUndefined<i32>,
    /// Null: they can no longer sign in (their record stays active).
    pub identity_subject: MaybeUndefined<String>,
    pub staff_ref: MaybeUndefined<String>,
}

#[derive(InputObject)]
pub struct DeactivatePractitionerInput {
    pub id: ID,
    /// Why (optional, at most 2,000 characters; kept in the administration trail).
    pub reason: Option<String>,
}

#[derive(InputObject)]
pub struct ReactivatePractitionerInput {
    pub id: ID,
}

#[derive(SimpleObject)]
pub struct PractitionerPayload {
    pub practitioner: PractitionerNode,
}

#[derive(SimpleObject)]
pub struct DeactivatePractitionerPayload {
    pub practitioner: PractitionerNode,
    /// Places in people's care teams that ended with it.
    pub care_team_memberships_ended: u64,
    /// Open referrals still assigned to them, for their team to reassign.
    pub open_referrals_assigned: u64,
}

#[derive(Default)]
pub struct AdministrationMutation;

#[Object]
impl AdministrationMutation {
    /// Adds an organisation (a deployment administrator).
    async fn create_organisation(
        &self,
        ctx: &Context<'_>,
        input: CreateOrganisationInput,
    ) -> ApiResult<OrganisationPayload> {
        let req = request(ctx)?;
        let new = organisations::NewOrganisation {
            ods_code: input.ods_code,
            name: input.name,
            kind: input.kind.into(),
            parent_id: opt_id("parentId", &input.parent_id)?,
            list_size: input.list_size,
            postcode: input.postcode,
        };
        let row = organisations::create(&req.db, &req.caller, new).await?;
        Ok(OrganisationPayload { organisation: row.into() })
    }

    /// Changes an organisation.
    async fn update_organisation(
        &self,
        ctx: &Context<'_>,
        input: UpdateOrganisationInput,
    ) -> ApiResult<OrganisationPayload> {
        let req = request(ctx)?;
        let id = parse_id("id", &input.id)?;
        let parent_id = match change(input.parent_id) {
            Some(Some(parent)) => Some(Some(parse_id("parentId", &parent)?)),
            Some(None) => Some(None),
            None => None,
        };
        let changes = organisations::OrganisationChanges {
            ods_code: required_change("odsCode", input.ods_code)?,
            name: required_change("name", input.name)?,
            kind: required_change("kind", input.kind)?.map(Into::into),
            parent_id,
            list_size: change(input.list_size),
            postcode: change(input.postcode),
        };
        let row = organisations::update(&req.db, &req.caller, id, changes).await?;
        Ok(OrganisationPayload { organisation: row.into() })
    }

    /// Adds a neighbourhood (INT) with the organisations taking part from the start (a deployment
    /// administrator).
    async fn create_neighbourhood(
        &self,
        ctx: &Context<'_>,
        input: CreateNeighbourhoodInput,
    ) -> ApiResult<NeighbourhoodPayload> {
        let req = request(ctx)?;
        let organisation_ids =
            input.organisation_ids.iter().map(|id| parse_id("organisationIds", id)).collect::<AppResult<Vec<_>>>()?;
        let new = neighbourhoods::NewNeighbourhood {
            name: input.name,
            planned_population: input.planned_population,
            organisation_ids,
        };
        let row = neighbourhoods::create(&req.db, &req.caller, new).await?;
        Ok(NeighbourhoodPayload { neighbourhood: row.into() })
    }

    /// Renames a neighbourhood or changes its planned population (a deployment administrator).
    async fn update_neighbourhood(
        &self,
        ctx: &Context<'_>,
        input: UpdateNeighbourhoodInput,
    ) -> ApiResult<NeighbourhoodPayload> {
        let req = request(ctx)?;
        let id = parse_id("id", &input.id)?;
        let row = neighbourhoods::update(&req.db, &req.caller, id, input.name, input.planned_population).await?;
        Ok(NeighbourhoodPayload { neighbourhood: row.into() })
    }

    /// Adds an organisation to a neighbourhood: its staff take part from their next request (a
    /// deployment administrator).
    async fn add_neighbourhood_member(
        &self,
        ctx: &Context<'_>,
        input: NeighbourhoodMemberInput,
    ) -> ApiResult<NeighbourhoodPayload> {
        let req = request(ctx)?;
        let (n, o) = (
            parse_id("neighbourhoodId", &input.neighbourhood_id)?,
            parse_id("organisationId", &input.organisation_id)?,
        );
        let row = neighbourhoods::add_member(&req.db, &req.caller, n, o).await?;
        Ok(NeighbourhoodPayload { neighbourhood: row.into() })
    }

    /// Takes an organisation out of a neighbourhood: its staff lose what taking part gave them at
    /// their next request. Refused (CONFLICT) for a practice whose registered people belong to it.
    async fn remove_neighbourhood_member(
        &self,
        ctx: &Context<'_>,
        input: NeighbourhoodMemberInput,
    ) -> ApiResult<NeighbourhoodPayload> {
        let req = request(ctx)?;
        let (n, o) = (
            parse_id("neighbourhoodId", &input.neighbourhood_id)?,
            parse_id("organisationId", &input.organisation_id)?,
        );
        let row = neighbourhoods::remove_member(&req.db, &req.caller, n, o).await?;
        Ok(NeighbourhoodPayload { neighbourhood: row.into() })
    }

    /// Adds a practitioner to an organisation the caller administers.
    async fn create_practitioner(
        &self,
        ctx: &Context<'_>,
        input: CreatePractitionerInput,
    ) -> ApiResult<PractitionerPayload> {
        let req = request(ctx)?;
        let new = practitioners::NewPractitioner {
            given_name: input.given_name,
            family_name: input.family_name,
            professional_role: input.professional_role.into(),
            organisation_id: parse_id("organisationId", &input.organisation_id)?,
            fte: input.fte,
            caseload_capacity: input.caseload_capacity,
            identity_subject: input.identity_subject,
            staff_ref: input.staff_ref,
        };
        let row = practitioners::create(&req.db, &req.caller, new).await?;
        Ok(PractitionerPayload { practitioner: row.into() })
    }

    /// Changes a practitioner. A new role or organisation applies at their next request; a token
    /// that still claims the old one is refused.
    async fn update_practitioner(
        &self,
        ctx: &Context<'_>,
        input: UpdatePractitionerInput,
    ) -> ApiResult<PractitionerPayload> {
        let req = request(ctx)?;
        let id = parse_id("id", &input.id)?;
        let organisation_id = match required_change("organisationId", input.organisation_id)? {
            Some(org) => Some(parse_id("organisationId", &org)?),
            None => None,
        };
        let changes = practitioners::PractitionerChanges {
            given_name: required_change("givenName", input.given_name)?,
            family_name: required_change("familyName", input.family_name)?,
            professional_role: required_change("professionalRole", input.professional_role)?.map(Into::into),
            organisation_id,
            fte: required_change("fte", input.fte)?,
            caseload_capacity: change(input.caseload_capacity),
            identity_subject: change(input.identity_subject),
            staff_ref: change(input.staff_ref),
        };
        let row = practitioners::update(&req.db, &req.caller, id, changes).await?;
        Ok(PractitionerPayload { practitioner: row.into() })
    }

    /// Deactivates a practitioner: refused from their next request, their history kept, their
    /// places in care teams ended.
    async fn deactivate_practitioner(
        &self,
        ctx: &Context<'_>,
        input: DeactivatePractitionerInput,
    ) -> ApiResult<DeactivatePractitionerPayload> {
        let req = request(ctx)?;
        let id = parse_id("id", &input.id)?;
        let done = practitioners::deactivate(&req.db, &req.caller, id, input.reason).await?;
        Ok(DeactivatePractitionerPayload {
            practitioner: done.practitioner.into(),
            care_team_memberships_ended: done.care_team_memberships_ended,
            open_referrals_assigned: done.open_referrals_assigned,
        })
    }

    /// Makes a deactivated practitioner active again.
    async fn reactivate_practitioner(
        &self,
        ctx: &Context<'_>,
        input: ReactivatePractitionerInput,
    ) -> ApiResult<PractitionerPayload> {
        let req = request(ctx)?;
        let id = parse_id("id", &input.id)?;
        let row = practitioners::reactivate(&req.db, &req.caller, id).await?;
        Ok(PractitionerPayload { practitioner: row.into() })
    }
}
