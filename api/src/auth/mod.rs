//! Who is calling: the bearer token is verified, then matched to the practitioner record so that a
//! deactivated practitioner or a token whose claims disagree with the record is refused.

pub mod jwt;
pub mod policy;

use sea_orm::{ConnectionTrait, EntityTrait, JoinType, QuerySelect};
use uuid::Uuid;

use entity::{organisation, practitioner, OrganisationKind, ProfessionalRole};

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
    /// People on the agenda of an MDT meeting the caller is invited to, while its access window is open.
    pub mdt_patient_ids: Vec<Uuid>,
}

/// How long around an MDT meeting its invitees may open the records of the people on its agenda.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MdtWindow {
    pub days_before: u32,
    pub days_after: u32,
}

impl Default for MdtWindow {
    fn default() -> Self {
        Self { days_before: 7, days_after: 14 }
    }
}

/// The neighbourhoods `organisation` takes part in and, when `with_agendas`, the people on the
/// agenda of meetings `practitioner` is invited to whose window contains now: one statement.
async fn access_ids(
    db: &impl ConnectionTrait,
    organisation: Uuid,
    practitioner: Uuid,
    with_agendas: bool,
    window: MdtWindow,
) -> AppResult<(Vec<Uuid>, Vec<Uuid>)> {
    let now = chrono::Utc::now();
    let mut sql = crate::sql::Sql::new(db.get_database_backend());
    let mut statement = format!(
        "SELECT 'n' AS kind, neighbourhood_id AS id FROM neighbourhood_organisation WHERE organisation_id = {}",
        sql.bind(organisation)
    );
    if with_agendas {
        statement += &format!(
            " UNION ALL SELECT DISTINCT 'p' AS kind, a.patient_id AS id FROM mdt_invitation i \
             JOIN mdt_meeting m ON m.id = i.meeting_id \
             JOIN mdt_agenda_item a ON a.meeting_id = m.id \
             WHERE i.practitioner_id = {} AND i.open_key IS NOT NULL AND a.open_key IS NOT NULL \
             AND m.starts_at <= {} AND m.ends_at >= {}",
            sql.bind(practitioner),
            sql.bind(now + chrono::Duration::days(i64::from(window.days_before))),
            sql.bind(now - chrono::Duration::days(i64::from(window.days_after))),
        );
    }
    let (mut neighbourhoods, mut patients) = (Vec::new(), Vec::new());
    for row in sql.query_all(db, statement).await? {
        let kind: String = row.try_get("", "kind")?;
        let id: Uuid = row.try_get("", "id")?;
        if kind == "n" {
            neighbourhoods.push(id);
        } else {
            patients.push(id);
        }
    }
    Ok((neighbourhoods, patients))
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

/// Verifies the token and loads the caller: two statements whatever the request (the practitioner
/// with their organisation, then the neighbourhoods and MDT agendas that open records).
pub async fn authenticate(
    db: &impl ConnectionTrait,
    verifier: &JwtVerifier,
    token: &str,
    window: MdtWindow,
) -> AppResult<Caller> {
    let claims = verifier.verify(token)?;
    let stale = || AppError::Unauthenticated("the token does not match an active practitioner record".to_owned());
    let caller = load_caller(db, claims.sub, window).await?.ok_or_else(stale)?;
    if caller.organisation_id != claims.org || sea_orm::ActiveEnum::to_value(&caller.role) != claims.role {
        return Err(stale());
    }
    Ok(caller)
}

/// The caller for an active practitioner (`None` when there is no such active practitioner):
/// what a verified token names, or whom the demo acts as when it prepares an agenda.
pub async fn load_caller(
    db: &impl ConnectionTrait,
    practitioner_id: Uuid,
    window: MdtWindow,
) -> AppResult<Option<Caller>> {
    let found = practitioner::Entity::find_by_id(practitioner_id)
        .select_also(organisation::Entity)
        .join(
            JoinType::InnerJoin,
            practitioner::Entity::belongs_to(organisation::Entity)
                .from(practitioner::Column::OrganisationId)
                .to(organisation::Column::Id)
                .into(),
        )
        .one(db)
        .await?;
    let Some((practitioner, Some(organisation))) = found else {
        return Ok(None);
    };
    if !practitioner.active {
        return Ok(None);
    }
    let mut caller = Caller {
        practitioner_id: practitioner.id,
        name: format!("{} {}", practitioner.given_name, practitioner.family_name),
        role: practitioner.professional_role,
        organisation_id: organisation.id,
        organisation_kind: organisation.kind,
        neighbourhood_ids: Vec::new(),
        mdt_patient_ids: Vec::new(),
    };
    // Callers who never see identifiable records gain nothing from an agenda: skip that part.
    let with_agendas = caller.patient_scope().is_ok();
    let (neighbourhoods, patients) = access_ids(db, organisation.id, practitioner.id, with_agendas, window).await?;
    caller.neighbourhood_ids = neighbourhoods;
    caller.mdt_patient_ids = patients;
    Ok(Some(caller))
}
