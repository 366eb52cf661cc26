//! Who is calling (the practitioner, their organisation, neighbourhoods, practices and care
//! relationships, loaded in one statement) and what the access policy lets them see.

pub mod policy;
pub mod referral_parties;

use sea_orm::{ActiveEnum, ConnectionTrait};
use uuid::Uuid;

use entity::{OrganisationKind, ProfessionalRole};

use crate::error::{AppError, AppResult};
pub use policy::{AccessReason, Grant, PatientAccessLevel, PatientScope, Reach, ReferralView};
pub use referral_parties::{load_people, load_people_by_id, load_person, person, ReferralParties};

/// The authenticated practitioner, with what the access policy needs to decide.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    pub practitioner_id: Uuid,
    /// The `sub` claim the practitioner's tokens carry (none: they cannot sign in).
    pub identity_subject: Option<String>,
    pub name: String,
    pub role: ProfessionalRole,
    pub organisation_id: Uuid,
    pub organisation_kind: OrganisationKind,
    /// Neighbourhoods the caller's organisation takes part in.
    pub neighbourhood_ids: Vec<Uuid>,
    /// The GP practices whose registered people the caller's organisation serves: itself, when it
    /// is a practice; its member practices, when it is a PCN.
    pub practice_ids: Vec<Uuid>,
    /// People on the agenda of an MDT meeting the caller is invited to, while its access window is open.
    pub mdt_patient_ids: Vec<Uuid>,
    /// Whether a referral to the caller's organisation or assigned to the caller, open or ended
    /// within `AccessWindows::referral_days_after_end`, relates a person to them: learnt with the
    /// people the request loads (`referral_parties`), never loaded as a list.
    pub referral_parties: ReferralParties,
    /// For staff of a GP practice or a PCN only, the same people as a list (sorted), which their
    /// scope binds beside their practices' or neighbourhood's population: a practice receives few
    /// referrals, and a list keeps the statements of its cohort and patient lists as they were.
    pub practice_referred_ids: Vec<Uuid>,
    /// People whose named care team the caller stands in.
    pub care_team_patient_ids: Vec<Uuid>,
    /// People whose record the caller opened by breaking the glass, while that lasts.
    pub break_glass_patient_ids: Vec<Uuid>,
    /// How long the relationships that open records for a time last.
    pub windows: AccessWindows,
    /// The database the caller's relationships are read from: the SQL of a scope differs a little.
    pub backend: sea_orm::DatabaseBackend,
}

/// Who a verified token says its bearer is, before the records are read: the identity
/// provider's subject, and the organisation and role when the token states them (tokens from
/// `neighbourhood token` do; an identity provider's need not, the records decide).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bearer {
    pub subject: String,
    pub organisation_id: Option<Uuid>,
    /// The professional role as stored (e.g. `int_coordinator`).
    pub role: Option<String>,
}

impl Bearer {
    /// Whether `caller` is still who the token says: the practitioner who signs in as the
    /// subject, in the organisation and role the token states (if it states them).
    pub fn is(&self, caller: &Caller) -> bool {
        caller.identity_subject.as_deref() == Some(self.subject.as_str())
            && self.organisation_id.is_none_or(|org| org == caller.organisation_id)
            && self.role.as_deref().is_none_or(|role| role == caller.role.to_value())
    }

    /// The caller this bearer is, as the records say now: refused when no active practitioner
    /// signs in as the subject (`None`) or the token's organisation or role is no longer theirs.
    pub fn matched(&self, caller: Option<Caller>) -> AppResult<Caller> {
        caller.filter(|c| self.is(c)).ok_or_else(Self::stale)
    }

    /// The refusal of a token whose practitioner record no longer agrees with it.
    pub fn stale() -> AppError {
        AppError::Unauthenticated(
            "the token does not match an active practitioner record (no active practitioner signs in with its subject, or their organisation or role has changed)".to_owned(),
        )
    }
}

/// How long the relationships that open records for a time last: an MDT meeting's invitation
/// around the meeting, and a referral after it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessWindows {
    /// Days before an MDT meeting from which its invitees may open the records of the people on its agenda.
    pub mdt_days_before: u32,
    /// Days after the meeting ends that this lasts.
    pub mdt_days_after: u32,
    /// Days after a referral ends that the receiving organisation and the assigned worker still
    /// reach the person through it.
    pub referral_days_after_end: u32,
    /// Hours a break-glass use opens a record for.
    pub break_glass_hours: u32,
}

impl Default for AccessWindows {
    fn default() -> Self {
        Self { mdt_days_before: 7, mdt_days_after: 14, referral_days_after_end: 90, break_glass_hours: 4 }
    }
}

/// The caller for an active practitioner (`None` when there is no such active practitioner):
/// what a verified token names, or whom the demo acts as when it prepares an agenda.
///
/// One statement, run on every request: the practitioner with their organisation, the
/// neighbourhoods that organisation takes part in, the practices whose people it serves, the
/// people on the agenda of meetings the practitioner is invited to whose window contains now, the
/// people whose named care team the practitioner stands in, and those whose record they opened by
/// breaking the glass while that lasts, as rows of one `UNION ALL` told apart by `kind`. A round
/// trip per part cost the database and the server more than the parts themselves. The referral
/// relationship is loaded here only for the staff of a practice or PCN (few, and their scope binds
/// them): a provider's worker may have thousands, and each request learns it for the people it
/// loads (`referral_parties`).
pub async fn load_caller(
    db: &impl ConnectionTrait,
    practitioner_id: Uuid,
    window: AccessWindows,
) -> AppResult<Option<Caller>> {
    load(db, Who::Practitioner(practitioner_id), window).await
}

/// [`load_caller`] for the practitioner who signs in with the identity provider's `subject`.
pub async fn load_signed_in(
    db: &impl ConnectionTrait,
    subject: &str,
    window: AccessWindows,
) -> AppResult<Option<Caller>> {
    load(db, Who::Subject(subject), window).await
}

enum Who<'a> {
    Practitioner(Uuid),
    Subject(&'a str),
}

async fn load(db: &impl ConnectionTrait, who: Who<'_>, window: AccessWindows) -> AppResult<Option<Caller>> {
    let now = chrono::Utc::now();
    let mut sql = crate::sql::Sql::new(db.get_database_backend());
    let me = match who {
        Who::Practitioner(id) => format!("p.id = {}", sql.bind(id)),
        Who::Subject(subject) => format!("p.identity_subject = {}", sql.bind(subject.to_owned())),
    };
    // The practitioner is bound once, in `me`, and every part reads it: PostgreSQL then costs the
    // statement the same whoever asks, so after its first few executions on a connection it keeps
    // one plan. Bound in each part, as it was, the plan for a practitioner with no invitations
    // looked cheaper than one for anyone, and PostgreSQL planned the seven parts anew on every
    // request: about 0.8 ms, more than running them. For the same reason the moments are `now()`
    // and the windows' days in the text there (numbers from the configuration, never from a
    // request); SQLite, which plans once per prepared statement anyway, binds them.
    //
    // Each part reads `me` as a scalar sub-select, not as a join: the planners know nothing of
    // `me`'s size, and joined to it SQLite drove the parts from the big tables (every agenda item,
    // every care team member) where as scalars both seek each index by its first column.
    let moment = |sql: &mut crate::sql::Sql, days: i64| match sql.backend {
        sea_orm::DatabaseBackend::Postgres => format!("(now() + interval '{days} days')"),
        _ => sql.bind(now + chrono::Duration::days(days)),
    };
    let practice_kind = sql.bind(OrganisationKind::GpPractice.to_value());
    let mdt_from = moment(&mut sql, i64::from(window.mdt_days_before));
    let mdt_until = moment(&mut sql, -i64::from(window.mdt_days_after));
    let received_since = moment(&mut sql, -i64::from(window.referral_days_after_end));
    let assigned_since = moment(&mut sql, -i64::from(window.referral_days_after_end));
    let practice_kind_again = sql.bind(OrganisationKind::GpPractice.to_value());
    let pcn_kind = sql.bind(OrganisationKind::Pcn.to_value());
    let glass_after = moment(&mut sql, 0);
    let (my_id, my_org) = ("(SELECT id FROM me)", "(SELECT organisation_id FROM me)");
    let statement = format!(
        "WITH me AS MATERIALIZED (SELECT p.id, p.organisation_id FROM practitioner p WHERE {me}) \
         SELECT 'c' AS kind, p.id AS id, p.given_name AS given_name, p.family_name AS family_name, \
         p.professional_role AS role, p.active AS active, o.id AS organisation_id, o.kind AS organisation_kind, \
         p.identity_subject AS subject \
         FROM me JOIN practitioner p ON p.id = me.id JOIN organisation o ON o.id = p.organisation_id \
         UNION ALL SELECT 'n', m.neighbourhood_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL \
         FROM neighbourhood_organisation m WHERE m.organisation_id = {my_org} \
         UNION ALL SELECT 'g', o.id, NULL, NULL, NULL, NULL, NULL, NULL, NULL \
         FROM organisation o WHERE (o.id = {my_org} OR o.parent_id = {my_org}) AND o.kind = {practice_kind} \
         UNION ALL SELECT 'p', x.patient_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM (\
         SELECT DISTINCT a.patient_id FROM mdt_invitation i \
         JOIN mdt_meeting m ON m.id = i.meeting_id \
         JOIN mdt_agenda_item a ON a.meeting_id = m.id \
         WHERE i.practitioner_id = {my_id} AND i.open_key IS NOT NULL AND a.open_key IS NOT NULL \
         AND m.starts_at <= {mdt_from} AND m.ends_at >= {mdt_until}) x \
         UNION ALL SELECT 'r', y.patient_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM (\
         SELECT r.patient_id FROM referral r WHERE r.receiving_organisation_id = {my_org} AND r.ended_at IS NULL \
         UNION SELECT r.patient_id FROM referral r \
         WHERE r.receiving_organisation_id = {my_org} AND r.ended_at >= {received_since} \
         UNION SELECT r.patient_id FROM referral r WHERE r.assigned_practitioner_id = {my_id} AND r.ended_at IS NULL \
         UNION SELECT r.patient_id FROM referral r \
         WHERE r.assigned_practitioner_id = {my_id} AND r.ended_at >= {assigned_since}) y \
         WHERE (SELECT o.kind FROM organisation o WHERE o.id = {my_org}) IN ({practice_kind_again}, {pcn_kind}) \
         UNION ALL SELECT 't', t.patient_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL \
         FROM care_team_member t WHERE t.practitioner_id = {my_id} AND t.open_key IS NOT NULL \
         UNION ALL SELECT 'b', g.patient_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL \
         FROM break_glass g WHERE g.practitioner_id = {my_id} AND g.expires_at > {glass_after}",
    );
    let rows = sql.query_all(db, statement).await?;
    let (mut found, mut neighbourhoods, mut practices) = (None, Vec::new(), Vec::new());
    let (mut on_agenda, mut referred, mut in_team, mut broken) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for row in &rows {
        let kind: String = row.try_get("", "kind")?;
        let id: Uuid = row.try_get("", "id")?;
        match kind.as_str() {
            "c" => found = Some(row),
            "n" => neighbourhoods.push(id),
            "g" => practices.push(id),
            "p" => on_agenda.push(id),
            "t" => in_team.push(id),
            "r" => referred.push(id),
            _ => broken.push(id),
        }
    }
    let Some(row) = found else {
        return Ok(None);
    };
    let active: bool = row.try_get("", "active")?;
    if !active {
        return Ok(None);
    }
    let given_name: String = row.try_get("", "given_name")?;
    let family_name: String = row.try_get("", "family_name")?;
    let role: String = row.try_get("", "role")?;
    let organisation_kind: String = row.try_get("", "organisation_kind")?;
    let mut caller = Caller {
        practitioner_id: row.try_get("", "id")?,
        identity_subject: row.try_get("", "subject")?,
        name: format!("{given_name} {family_name}"),
        role: ProfessionalRole::try_from_value(&role)?,
        organisation_id: row.try_get("", "organisation_id")?,
        organisation_kind: OrganisationKind::try_from_value(&organisation_kind)?,
        neighbourhood_ids: neighbourhoods,
        practice_ids: practices,
        mdt_patient_ids: Vec::new(),
        referral_parties: ReferralParties::default(),
        practice_referred_ids: Vec::new(),
        care_team_patient_ids: Vec::new(),
        break_glass_patient_ids: Vec::new(),
        windows: window,
        backend: db.get_database_backend(),
    };
    // Callers who never see identifiable records gain nothing from an agenda or a referral here
    // (a VCSE receiver reads the summary through the referral itself).
    if caller.patient_scope().is_ok() {
        caller.mdt_patient_ids = on_agenda;
        referred.sort_unstable();
        referred.dedup();
        caller.practice_referred_ids = referred;
        caller.care_team_patient_ids = in_team;
        // Only roles that may break the glass have uses in force (a role changed since is refused).
        if caller.reads_clinical() {
            caller.break_glass_patient_ids = broken;
        }
    }
    Ok(Some(caller))
}
