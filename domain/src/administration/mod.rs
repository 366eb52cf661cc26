//! Administration of the team: organisations, neighbourhoods and their members, practitioners and
//! the identity they sign in with, and the disciplines an MDT needs. Done by administrators
//! (`Caller::administration`): a deployment administrator manages all of it, an organisation's
//! administrator their own organisation's details and staff. Administrators read no patient
//! records. Every change is one transaction with its row in the administration trail
//! (`administration_event`: who, when, what, before and after), which administrators and privacy
//! officers read back (`trail`).

pub mod neighbourhoods;
pub mod organisations;
pub mod practitioners;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter};
use uuid::Uuid;

use entity::administration_event;

use crate::auth::policy::TrailScope;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::pagination::{keyset_page_in, Direction, Page, PageRequest};

/// Who made a change: a practitioner through the API, or the deployment's command line (the
/// first administrator, before anyone can sign in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Practitioner(Uuid),
    CommandLine,
}

impl Actor {
    pub fn of(caller: &Caller) -> Self {
        Self::Practitioner(caller.practitioner_id)
    }

    fn id(self) -> Option<Uuid> {
        match self {
            Self::Practitioner(id) => Some(id),
            Self::CommandLine => None,
        }
    }
}

/// What a change concerns.
#[derive(Debug, Clone, Copy)]
pub struct Subject {
    pub kind: &'static str,
    pub id: Uuid,
    /// The organisation concerned (the organisation itself, or the practitioner's).
    pub organisation_id: Option<Uuid>,
}

/// Writes one row of the administration trail (inside the change's transaction).
pub(crate) async fn record(
    db: &impl ConnectionTrait,
    actor: Actor,
    action: &str,
    subject: Subject,
    summary: String,
    detail: serde_json::Value,
) -> AppResult<administration_event::Model> {
    let row = administration_event::Model {
        id: Uuid::now_v7(),
        at: Utc::now(),
        actor_id: actor.id(),
        action: action.to_owned(),
        subject_kind: subject.kind.to_owned(),
        subject_id: subject.id,
        organisation_id: subject.organisation_id,
        summary,
        detail: detail.to_string(),
    };
    administration_event::Entity::insert(row.clone().into_active_model()).exec_without_returning(db).await?;
    Ok(row)
}

/// A filter on the administration trail.
#[derive(Debug, Clone, Default)]
pub struct TrailFilter {
    /// Only changes to this organisation, neighbourhood, practitioner or directory entry.
    pub subject_id: Option<Uuid>,
}

/// The administration trail, newest first: everything for a deployment administrator or a privacy
/// officer, an organisation's own changes (and its staff's) for its administrator.
pub async fn trail(
    db: &(impl ConnectionTrait + Clone + Send + 'static),
    caller: &Caller,
    filter: TrailFilter,
    page: PageRequest,
) -> AppResult<Page<administration_event::Model>> {
    use administration_event::Column as C;
    let mut scope = Condition::all();
    if let TrailScope::Organisation(id) = caller.administration_trail_scope()? {
        scope = scope.add(C::OrganisationId.eq(id));
    }
    let mut cond = scope.clone();
    if let Some(subject) = filter.subject_id {
        cond = cond.add(C::SubjectId.eq(subject));
    }
    keyset_page_in(
        db,
        administration_event::Entity::find().filter(cond),
        administration_event::Entity::find().filter(scope),
        page,
        &[C::At, C::Id],
        Direction::Descending,
        |(at, id): &(DateTime<Utc>, Uuid)| {
            Condition::any().add(C::At.lt(*at)).add(Condition::all().add(C::At.eq(*at)).add(C::Id.lt(*id)))
        },
        |m| (m.at, m.id),
    )
    .await
}

/// Free text that may be left empty: trimmed, `None` when empty, at most `max` characters.
pub(crate) fn optional_text(field: &str, text: Option<String>, max: usize) -> AppResult<Option<String>> {
    let text = text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    match &text {
        Some(t) if t.chars().count() > max => {
            Err(AppError::bad_input(field, format!("must be at most {max} characters")))
        }
        _ => Ok(text),
    }
}

/// A name or label: trimmed, 1 to `max` characters, no control characters.
pub(crate) fn checked_text(field: &str, text: &str, max: usize) -> AppResult<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::bad_input(field, "must not be empty"));
    }
    if text.chars().count() > max {
        return Err(AppError::bad_input(field, format!("must be at most {max} characters")));
    }
    if text.chars().any(char::is_control) {
        return Err(AppError::bad_input(field, "must not contain control characters (line breaks, tabs)"));
    }
    Ok(text.to_owned())
}
