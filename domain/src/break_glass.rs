//! Break-glass: a clinician without a care relationship opens a person's record in an emergency,
//! with a coded reason and their own words, for a limited time (`AccessWindows::break_glass_hours`).
//! Every use is stored for the privacy officer's review, and every read under it is audited as
//! `break_glass`. Refused to roles that do not read clinical records (VCSE staff, commissioners,
//! receptionists), outside the caller's neighbourhoods, and where a relationship already opens the
//! record (`Caller::may_break_glass`).

use chrono::{Duration, Utc};
use sea_orm::{ActiveEnum, ConnectionTrait, EntityTrait, IntoActiveModel};
use uuid::Uuid;

use entity::{break_glass, patient};

use crate::auth::{Caller, Grant};
use crate::error::{AppError, AppResult};

/// Longest statement of why.
pub const MAX_DETAIL_CHARS: usize = 500;

/// Why the glass was broken, from a coded list (and the practitioner's own words beside it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakGlassReason {
    /// Immediate risk to the person's health or life.
    EmergencyCare,
    /// A safeguarding concern about the person or someone they care for.
    Safeguarding,
    /// The person presented for unplanned care and no relationship is recorded yet.
    UnplannedCare,
    /// Care must continue while a referral or care team membership is being set up.
    ContinuityOfCare,
}

impl BreakGlassReason {
    pub const ALL: [Self; 4] = [Self::EmergencyCare, Self::Safeguarding, Self::UnplannedCare, Self::ContinuityOfCare];

    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EmergencyCare => "emergency_care",
            Self::Safeguarding => "safeguarding",
            Self::UnplannedCare => "unplanned_care",
            Self::ContinuityOfCare => "continuity_of_care",
        }
    }

    pub fn from_stored(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == value)
    }

    /// In words, as a subject access report gives it.
    pub fn in_words(self) -> &'static str {
        match self {
            Self::EmergencyCare => "immediate risk to health or life",
            Self::Safeguarding => "a safeguarding concern",
            Self::UnplannedCare => "unplanned care before a care relationship was recorded",
            Self::ContinuityOfCare => "continuing care while a referral or care team place was set up",
        }
    }
}

/// A request to break the glass.
#[derive(Debug, Clone)]
pub struct NewBreakGlass {
    pub patient_id: Uuid,
    pub reason: BreakGlassReason,
    /// Why, in the practitioner's words: required, at most [`MAX_DETAIL_CHARS`].
    pub detail: String,
}

/// Opens the person's record to the caller for the configured hours: stored first (the use is
/// recorded even if nothing is read), then in force from the caller's next request and in the
/// returned grant. Returns the use and the grant (audited as `break_glass`).
pub async fn open(
    db: &impl ConnectionTrait,
    caller: &Caller,
    new: NewBreakGlass,
) -> AppResult<(break_glass::Model, Grant)> {
    let detail = new.detail.trim().to_owned();
    if detail.is_empty() {
        return Err(AppError::bad_input("detail", "say why you need the record now, in your own words"));
    }
    if detail.chars().count() > MAX_DETAIL_CHARS {
        return Err(AppError::bad_input("detail", format!("must be at most {MAX_DETAIL_CHARS} characters")));
    }
    let person = crate::auth::person(db, caller, new.patient_id).await?;
    caller.may_break_glass(&person)?;
    let started_at = Utc::now();
    let row = break_glass::Model {
        id: Uuid::now_v7(),
        practitioner_id: caller.practitioner_id,
        organisation_id: caller.organisation_id,
        professional_role: caller.role.to_value(),
        patient_id: person.id,
        reason: new.reason.as_str().to_owned(),
        detail,
        started_at,
        expires_at: started_at + Duration::hours(i64::from(caller.windows.break_glass_hours)),
        reviewed_by: None,
        reviewed_at: None,
        review_outcome: None,
        review_note: None,
    };
    break_glass::Entity::insert(row.clone().into_active_model()).exec_without_returning(db).await?;
    let grant = caller
        .grant_through_break_glass(&person, &row, started_at)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("a break-glass use just stored opens nothing")))?;
    Ok((row, grant))
}

/// Longest note of a review.
pub const MAX_REVIEW_NOTE_CHARS: usize = 2_000;

/// The privacy officer's finding on a break-glass use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewOutcome {
    /// The emergency and the reason given justified the access.
    Justified,
    /// It did not: the note says what follows (a conversation, training, a report).
    NotJustified,
    /// Passed on for investigation under the organisation's procedure; the note says to whom.
    ReferredForInvestigation,
}

impl ReviewOutcome {
    pub const ALL: [Self; 3] = [Self::Justified, Self::NotJustified, Self::ReferredForInvestigation];

    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Justified => "justified",
            Self::NotJustified => "not_justified",
            Self::ReferredForInvestigation => "referred_for_investigation",
        }
    }

    pub fn from_stored(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == value)
    }
}

/// Records the privacy officer's review of a use, once: a second review is CONFLICT naming the
/// use (a finding is not rewritten; a later one is recorded outside, against the first). The note
/// is required unless the use was justified. NOT_FOUND for a use outside the officer's
/// neighbourhoods, as for one that does not exist. Returns the reviewed use and its person.
pub async fn review(
    db: &impl ConnectionTrait,
    caller: &Caller,
    id: Uuid,
    outcome: ReviewOutcome,
    note: Option<String>,
) -> AppResult<(break_glass::Model, patient::Model)> {
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, QueryFilter};
    let scope = caller.review_scope()?;
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > MAX_REVIEW_NOTE_CHARS) {
        return Err(AppError::bad_input("note", format!("must be at most {MAX_REVIEW_NOTE_CHARS} characters")));
    }
    if note.is_none() && outcome != ReviewOutcome::Justified {
        return Err(AppError::bad_input(
            "note",
            "say what follows from a use that was not justified or is referred on",
        ));
    }
    let found = break_glass::Entity::find_by_id(id).one(db).await?;
    let person = match &found {
        Some(use_) => patient::Entity::find_by_id(use_.patient_id).one(db).await?.filter(|p| scope.covers(p)),
        None => None,
    };
    let (Some(use_), Some(person)) = (found, person) else {
        return Err(AppError::not_found("break-glass use in the neighbourhoods you review", id));
    };
    if use_.reviewed_at.is_some() {
        return Err(AppError::conflict_with("this use has been reviewed already", use_.id));
    }
    let now = Utc::now();
    // Guarded by "not yet reviewed": of two officers reviewing at once, the second is CONFLICT.
    let updated = break_glass::Entity::update_many()
        .col_expr(break_glass::Column::ReviewedBy, Expr::value(caller.practitioner_id))
        .col_expr(break_glass::Column::ReviewedAt, Expr::value(now))
        .col_expr(break_glass::Column::ReviewOutcome, Expr::value(outcome.as_str()))
        .col_expr(break_glass::Column::ReviewNote, Expr::value(note.clone()))
        .filter(break_glass::Column::Id.eq(id))
        .filter(break_glass::Column::ReviewedAt.is_null())
        .exec(db)
        .await?;
    if updated.rows_affected != 1 {
        return Err(AppError::conflict_with("this use has been reviewed already", use_.id));
    }
    let reviewed = break_glass::Model {
        reviewed_by: Some(caller.practitioner_id),
        reviewed_at: Some(now),
        review_outcome: Some(outcome.as_str().to_owned()),
        review_note: note,
        ..use_
    };
    Ok((reviewed, person))
}

/// Which uses the review queue lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueueStatus {
    /// Not reviewed yet: the queue proper.
    #[default]
    Unreviewed,
    Reviewed,
    All,
}

/// A use with the number of audited reads made under it.
#[derive(Debug, Clone, PartialEq)]
pub struct UseWithReads {
    pub model: break_glass::Model,
    pub reads: u64,
}

/// A read under a use is audited within its hours; one of a request that began just before they
/// ended is written a moment after (statements time out long before this).
const READS_AFTER_EXPIRY: Duration = Duration::minutes(5);

/// The break-glass uses of people of the officer's neighbourhoods (or one of them), oldest first,
/// each with how many audited reads it opened. Two statements a page (three after a cursor).
pub async fn queue(
    db: &(impl ConnectionTrait + Clone + Send + 'static),
    caller: &Caller,
    neighbourhood_id: Option<Uuid>,
    status: QueueStatus,
    page: crate::pagination::PageRequest,
) -> AppResult<crate::pagination::Page<UseWithReads>> {
    use break_glass::Column as B;
    use sea_orm::sea_query::{Condition, Query};
    use sea_orm::{ColumnTrait, QueryFilter};
    let scope = caller.review_scope()?;
    if neighbourhood_id.is_some_and(|n| !scope.covers_neighbourhood(n)) {
        return Err(AppError::forbidden("you review the neighbourhoods your organisation takes part in only"));
    }
    let mut people =
        Query::select().column(patient::Column::Id).from(patient::Entity).cond_where(scope.condition()).to_owned();
    if let Some(n) = neighbourhood_id {
        people.and_where(patient::Column::NeighbourhoodId.eq(n));
    }
    let mut base = break_glass::Entity::find().filter(B::PatientId.in_subquery(people));
    base = match status {
        QueueStatus::Unreviewed => base.filter(B::ReviewedAt.is_null()),
        QueueStatus::Reviewed => base.filter(B::ReviewedAt.is_not_null()),
        QueueStatus::All => base,
    };
    let page = crate::pagination::keyset_page(
        db,
        base,
        page,
        &[B::StartedAt, B::Id],
        |(at, id): &(chrono::DateTime<Utc>, Uuid)| {
            Condition::any()
                .add(B::StartedAt.gt(*at))
                .add(Condition::all().add(B::StartedAt.eq(*at)).add(B::Id.gt(*id)))
        },
        |m| (m.started_at, m.id),
    )
    .await?;
    let uses: Vec<&break_glass::Model> = page.items.iter().map(|(_, m)| m).collect();
    let reads = reads_under(db, &uses).await?;
    Ok(page.map(|model| UseWithReads { reads: reads.get(&model.id).copied().unwrap_or(0), model }))
}

/// How many audited reads each use opened: reads of its person by its practitioner on the
/// grounds of break-glass, within its hours. One statement for all of them.
async fn reads_under(
    db: &impl ConnectionTrait,
    uses: &[&break_glass::Model],
) -> AppResult<std::collections::HashMap<Uuid, u64>> {
    if uses.is_empty() {
        return Ok(Default::default());
    }
    let mut sql = crate::sql::Sql::new(db.get_database_backend());
    let parts: Vec<String> = uses
        .iter()
        .map(|u| {
            format!(
                "SELECT {} AS id, COUNT(DISTINCT e.id) AS n FROM access_event_patient ep \
                 JOIN access_event e ON e.id = ep.event_id \
                 WHERE ep.patient_id = {} AND ep.access_reason = {} AND e.practitioner_id = {} \
                 AND e.occurred_at >= {} AND e.occurred_at < {}",
                sql.bind(u.id),
                sql.bind(u.patient_id),
                sql.bind(crate::auth::AccessReason::BreakGlass.as_str()),
                sql.bind(u.practitioner_id),
                sql.bind(u.started_at),
                sql.bind(u.expires_at + READS_AFTER_EXPIRY),
            )
        })
        .collect();
    let rows = sql.query_all(db, parts.join(" UNION ALL ")).await?;
    rows.iter().map(|row| Ok((row.try_get("", "id")?, crate::sql::count(row, "n")?))).collect()
}
