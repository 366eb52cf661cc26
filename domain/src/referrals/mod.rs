//! Referrals: a patient referred to a receiving service of the INT, worked through the state
//! machine in `state`, every move kept as an immutable event. Creation and every move are one
//! transaction each; duplicates and retries are refused or answered with the first result.

pub mod caseload;
pub mod feedback;
pub mod figures;
pub mod state;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    TransactionSession, TransactionTrait,
};
use uuid::Uuid;

use entity::{
    neighbourhood_organisation, organisation, patient, referral, referral_event, referral_need, OrganisationKind,
    ReferralEventKind, ReferralNeed, ReferralOutcome, ReferralService, ReferralSource, ReferralStatus, Urgency,
};

use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::pagination::{keyset_page_in, keyset_page_union, Direction, Page, PageRequest, Sliced};
use state::{is_open, snomed_code};

pub const MAX_TEXT_CHARS: usize = 2_000;
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 100;

/// What a referrer sends.
#[derive(Debug, Clone)]
pub struct NewReferral {
    pub patient_id: Uuid,
    pub source: ReferralSource,
    pub service: ReferralService,
    pub receiving_organisation_id: Uuid,
    pub needs: Vec<(ReferralNeed, Option<String>)>,
    pub urgency: Urgency,
    pub context: Option<String>,
    /// For a voluntary-sector receiver: what it needs to know, with nothing clinical in it.
    pub partner_summary: Option<String>,
    pub consent_given: bool,
    pub idempotency_key: Option<String>,
}

/// A move through the state machine, with what the target state requires.
#[derive(Debug, Clone)]
pub struct Move {
    pub to: ReferralStatus,
    pub reason: Option<String>,
    pub outcome: Option<ReferralOutcome>,
    pub suggested_alternative: Option<String>,
    /// For the referring practice when the referral ends (required when closing).
    pub feedback_summary: Option<String>,
}

/// The organisation kinds that can receive each service's referrals.
fn receives(service: ReferralService, kind: OrganisationKind) -> bool {
    use OrganisationKind as K;
    match service {
        ReferralService::SocialPrescribing => matches!(kind, K::SplwProvider | K::Pcn | K::GpPractice),
        ReferralService::AdultSocialCare => kind == K::AdultSocialCare,
        ReferralService::CommunityMentalHealth => kind == K::MentalHealthTrust,
        ReferralService::CommunityNursing => kind == K::CommunityHealthTrust,
        ReferralService::Vcse => kind == K::Vcse,
    }
}

pub fn bounded_text(field: &str, text: Option<String>) -> AppResult<Option<String>> {
    crate::administration::optional_text(field, text, MAX_TEXT_CHARS)
}

/// The unique key an open referral holds (NULL once it ends): one open referral per patient and service.
pub fn open_key(patient_id: Uuid, service: ReferralService) -> String {
    crate::open_key::of(patient_id, service.to_value())
}

/// A referral the caller may see: NOT_FOUND when there is none, FORBIDDEN when they are no party to it.
pub async fn get(db: &impl ConnectionTrait, caller: &Caller, id: Uuid) -> AppResult<referral::Model> {
    let model = referral::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found("referral", id))?;
    if !caller.may_see_referral(&model) {
        return Err(AppError::forbidden(crate::auth::policy::REFERRAL_PARTIES_ONLY));
    }
    Ok(model)
}

/// Creates a referral (received), its needs and its first event in one transaction. Returns the
/// referral and whether it was created now (false: an earlier request with the same idempotency
/// key created it).
pub async fn create(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    new: NewReferral,
) -> AppResult<(referral::Model, bool)> {
    let idempotency_key = new.idempotency_key.as_deref().map(str::trim).filter(|k| !k.is_empty()).map(str::to_owned);
    if idempotency_key.as_ref().is_some_and(|k| k.chars().count() > MAX_IDEMPOTENCY_KEY_CHARS) {
        return Err(AppError::bad_input(
            "idempotencyKey",
            format!("must be at most {MAX_IDEMPOTENCY_KEY_CHARS} characters"),
        ));
    }
    if let Some(key) = &idempotency_key {
        if let Some(existing) = find_by_idempotency_key(db, caller, key).await? {
            return replay(db, existing, &new).await.map(|m| (m, false));
        }
    }
    let checked = checked_referral(&new)?;

    let patient = crate::auth::person(db, caller, new.patient_id).await?;
    caller.patient_scope()?;
    caller.grant_for(&patient).ok_or_else(|| {
        AppError::forbidden("you have no care relationship with this patient, so you cannot refer them")
    })?;
    let receiver = receiver_for(db, &new, &patient).await?;
    if let Some(open) = find_open(db, patient.id, new.service).await? {
        return Err(AppError::conflict_with(
            format!(
                "the patient already has an open referral to this service (id {}); work or close that one",
                open.id
            ),
            open.id,
        ));
    }

    let (model, needs, event) = new_rows(caller, &new, &receiver, checked, idempotency_key.clone(), Utc::now());
    let txn = db.begin().await?;
    let inserted = referral::Entity::insert(model.clone().into_active_model()).exec_without_returning(&txn).await;
    if let Err(e) = inserted {
        txn.rollback().await?;
        // A concurrent request won the race: answer as if it had come first.
        if crate::open_key::taken(&e) {
            if let Some(key) = &idempotency_key {
                if let Some(existing) = find_by_idempotency_key(db, caller, key).await? {
                    return replay(db, existing, &new).await.map(|m| (m, false));
                }
            }
            if let Some(open) = find_open(db, patient.id, new.service).await? {
                return Err(AppError::conflict_with(
                    format!("the patient already has an open referral to this service (id {})", open.id),
                    open.id,
                ));
            }
        }
        return Err(e.into());
    }
    referral_need::Entity::insert_many(needs.into_iter().map(IntoActiveModel::into_active_model))
        .exec_without_returning(&txn)
        .await?;
    referral_event::Entity::insert(event.into_active_model()).exec_without_returning(&txn).await?;
    txn.commit().await?;
    Ok((model, true))
}

/// The receiving organisation, if it provides the service and takes part in the person's
/// neighbourhood (BAD_INPUT on `receivingOrganisationId` otherwise).
async fn receiver_for(
    db: &impl ConnectionTrait,
    new: &NewReferral,
    patient: &patient::Model,
) -> AppResult<organisation::Model> {
    let receiver = organisation::Entity::find_by_id(new.receiving_organisation_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::bad_input("receivingOrganisationId", "no such organisation"))?;
    if !receives(new.service, receiver.kind) {
        return Err(AppError::bad_input(
            "receivingOrganisationId",
            format!("{} does not provide the {} service", receiver.name, state::label(new.service)),
        ));
    }
    let takes_part = neighbourhood_organisation::Entity::find()
        .filter(neighbourhood_organisation::Column::NeighbourhoodId.eq(patient.neighbourhood_id))
        .filter(neighbourhood_organisation::Column::OrganisationId.eq(receiver.id))
        .count(db)
        .await?;
    if takes_part == 0 {
        return Err(AppError::bad_input(
            "receivingOrganisationId",
            format!("{} does not take part in the patient's neighbourhood", receiver.name),
        ));
    }
    Ok(receiver)
}

/// A new referral's own fields checked (before anything is read): consent recorded, at least one
/// need, none twice, OTHER with its detail, texts within bounds. BAD_INPUT names the field.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedReferral {
    pub needs: Vec<(ReferralNeed, Option<String>)>,
    pub context: Option<String>,
    pub partner_summary: Option<String>,
}

pub fn checked_referral(new: &NewReferral) -> AppResult<CheckedReferral> {
    if !new.consent_given {
        return Err(AppError::bad_input(
            "consentGiven",
            "the person's consent to the referral must be recorded before it is sent",
        ));
    }
    if new.needs.is_empty() {
        return Err(AppError::bad_input("needs", "give at least one reason for the referral"));
    }
    let mut needs = Vec::with_capacity(new.needs.len());
    for (need, detail) in &new.needs {
        let detail = bounded_text("needs", detail.clone())?;
        if *need == ReferralNeed::Other && detail.is_none() {
            return Err(AppError::bad_input("needs", "OTHER needs a detail saying what the need is"));
        }
        if needs.iter().any(|(n, _)| n == need) {
            return Err(AppError::bad_input("needs", format!("{} is listed twice", state::label(*need))));
        }
        needs.push((*need, detail));
    }
    let context = bounded_text("context", new.context.clone())?;
    let partner_summary = bounded_text("partnerSummary", new.partner_summary.clone())?;
    Ok(CheckedReferral { needs, context, partner_summary })
}

/// The rows a new referral writes, at `now`: the referral (RECEIVED, holding its open key), its
/// needs and its CREATED event.
fn new_rows(
    caller: &Caller,
    new: &NewReferral,
    receiver: &organisation::Model,
    checked: CheckedReferral,
    idempotency_key: Option<String>,
    now: DateTime<Utc>,
) -> (referral::Model, Vec<referral_need::Model>, referral_event::Model) {
    let model = referral::Model {
        id: Uuid::now_v7(),
        patient_id: new.patient_id,
        source: new.source,
        referring_practitioner_id: caller.practitioner_id,
        referring_organisation_id: caller.organisation_id,
        service: new.service,
        receiving_organisation_id: receiver.id,
        urgency: new.urgency,
        context: checked.context,
        partner_summary: checked.partner_summary,
        consent_recorded_by: caller.practitioner_id,
        consent_recorded_at: now,
        status: ReferralStatus::Received,
        open_key: Some(open_key(new.patient_id, new.service)),
        assigned_practitioner_id: None,
        idempotency_key,
        first_contact_at: None,
        ended_at: None,
        outcome: None,
        rejection_reason: None,
        suggested_alternative: None,
        created_at: now,
        updated_at: now,
    };
    let event = referral_event::Model {
        id: Uuid::now_v7(),
        referral_id: model.id,
        kind: ReferralEventKind::Created,
        from_status: None,
        to_status: Some(ReferralStatus::Received),
        practitioner_id: caller.practitioner_id,
        organisation_id: caller.organisation_id,
        occurred_at: now,
        reason: None,
        snomed_code: snomed_code(new.service, None).map(str::to_owned),
        assigned_practitioner_id: None,
    };
    let needs = checked
        .needs
        .into_iter()
        .map(|(need, detail)| referral_need::Model { referral_id: model.id, need, detail })
        .collect();
    (model, needs, event)
}

async fn find_by_idempotency_key(
    db: &impl ConnectionTrait,
    caller: &Caller,
    key: &str,
) -> AppResult<Option<referral::Model>> {
    Ok(referral::Entity::find()
        .filter(referral::Column::ReferringPractitionerId.eq(caller.practitioner_id))
        .filter(referral::Column::IdempotencyKey.eq(key))
        .one(db)
        .await?)
}

async fn find_open(
    db: &impl ConnectionTrait,
    patient_id: Uuid,
    service: ReferralService,
) -> AppResult<Option<referral::Model>> {
    Ok(referral::Entity::find().filter(referral::Column::OpenKey.eq(open_key(patient_id, service))).one(db).await?)
}

/// A retried create returns the first referral; a key sent again with a different request (another
/// person, service, receiver, source, urgency, context, partner summary or needs) is a CONFLICT,
/// not a silent answer with a referral the request did not describe.
async fn replay(db: &impl ConnectionTrait, existing: referral::Model, new: &NewReferral) -> AppResult<referral::Model> {
    let stored_needs: Vec<(ReferralNeed, Option<String>)> = referral_need::Entity::find()
        .filter(referral_need::Column::ReferralId.eq(existing.id))
        .all(db)
        .await?
        .into_iter()
        .map(|n| (n.need, n.detail))
        .collect();
    let mut sent_needs = Vec::with_capacity(new.needs.len());
    for (need, detail) in &new.needs {
        sent_needs.push((*need, bounded_text("needs", detail.clone())?));
    }
    let sorted = |mut needs: Vec<(ReferralNeed, Option<String>)>| {
        needs.sort_by(|a, b| (a.0.to_value(), &a.1).cmp(&(b.0.to_value(), &b.1)));
        needs
    };
    let same = existing.patient_id == new.patient_id
        && existing.service == new.service
        && existing.receiving_organisation_id == new.receiving_organisation_id
        && existing.source == new.source
        && existing.urgency == new.urgency
        && existing.context == bounded_text("context", new.context.clone())?
        && existing.partner_summary == bounded_text("partnerSummary", new.partner_summary.clone())?
        && sorted(stored_needs) == sorted(sent_needs);
    if same {
        Ok(existing)
    } else {
        Err(AppError::conflict_with(
            "this idempotency key was already used for a different request; a retry must send the same referral, \
             and a new referral needs a new key",
            existing.id,
        ))
    }
}

/// What the state machine needs to know of `caller` and `referral` to judge a move.
pub fn move_context(caller: &Caller, referral: &referral::Model, contact_attempts: usize) -> state::MoveContext {
    state::MoveContext {
        status: referral.status,
        is_referrer: caller.is_referrer(referral),
        is_receiver: caller.is_receiver(referral),
        contact_attempts,
    }
}

/// Contact attempts recorded on a referral.
async fn contact_attempts(db: &(impl ConnectionTrait + TransactionTrait), id: Uuid) -> AppResult<usize> {
    Ok(referral_event::Entity::find()
        .filter(referral_event::Column::ReferralId.eq(id))
        .filter(referral_event::Column::Kind.eq(ReferralEventKind::ContactAttempt))
        .count(db)
        .await? as usize)
}

/// Moves a referral through the state machine: the status change, its event and (when the service
/// ends the referral) the feedback to the referrer are one transaction, and the update only applies
/// if nobody moved the referral in between. Who may make the move is the state machine's rule
/// ([`state::precondition`]); what the move must carry is [`checked_move`]'s; the rows it writes
/// are [`moved_rows`]'.
pub async fn move_referral(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    id: Uuid,
    request: Move,
) -> AppResult<(referral::Model, referral_event::Model)> {
    let current = get(db, caller, id).await?;
    let contact_attempts =
        if request.to == ReferralStatus::UnableToContact { contact_attempts(db, id).await? } else { 0 };
    state::precondition(&move_context(caller, &current, contact_attempts), request.to)?;
    let checked = checked_move(request)?;
    let (updated, event, feedback_row) = moved_rows(caller, &current, checked, Utc::now())?;
    let txn = db.begin().await?;
    let result = referral::Entity::update_many()
        .col_expr(referral::Column::Status, Expr::value(updated.status.to_value()))
        .col_expr(referral::Column::UpdatedAt, Expr::value(updated.updated_at))
        .col_expr(referral::Column::FirstContactAt, Expr::value(updated.first_contact_at))
        .col_expr(referral::Column::OpenKey, Expr::value(updated.open_key.clone()))
        .col_expr(referral::Column::EndedAt, Expr::value(updated.ended_at))
        .col_expr(referral::Column::Outcome, Expr::value(updated.outcome.map(|o| o.to_value())))
        .col_expr(referral::Column::RejectionReason, Expr::value(updated.rejection_reason.clone()))
        .col_expr(referral::Column::SuggestedAlternative, Expr::value(updated.suggested_alternative.clone()))
        .filter(referral::Column::Id.eq(id))
        .filter(referral::Column::Status.eq(current.status))
        .exec(&txn)
        .await?;
    if result.rows_affected != 1 {
        txn.rollback().await?;
        let now_status = referral::Entity::find_by_id(id).one(db).await?.map(|r| state::label(r.status));
        return Err(AppError::conflict_with(
            format!(
                "the referral was moved by someone else while you were working (it is now {}); reload it and try again",
                now_status.unwrap_or_else(|| "gone".to_owned())
            ),
            id,
        ));
    }
    referral_event::Entity::insert(event.clone().into_active_model()).exec_without_returning(&txn).await?;
    if let Some(row) = feedback_row {
        entity::referral_feedback::Entity::insert(row.into_active_model()).exec_without_returning(&txn).await?;
    }
    txn.commit().await?;
    Ok((updated, event))
}

/// A move whose fields fit it: texts within bounds, an outcome exactly when closing, a reason
/// when rejecting, a suggested alternative only when rejecting, feedback only when the service
/// ends the referral.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedMove {
    pub to: ReferralStatus,
    pub reason: Option<String>,
    pub outcome: Option<ReferralOutcome>,
    pub rejection_reason: Option<String>,
    pub suggested_alternative: Option<String>,
    pub feedback_summary: Option<String>,
}

/// Checks what a move carries against where it goes (not who makes it: that is the state
/// machine's). BAD_INPUT names the field.
pub fn checked_move(request: Move) -> AppResult<CheckedMove> {
    let reason = bounded_text("reason", request.reason)?;
    let suggested_alternative = bounded_text("suggestedAlternative", request.suggested_alternative)?;
    let feedback_summary = bounded_text("feedbackSummary", request.feedback_summary)?;
    if feedback_summary.is_some() && !feedback::sends_feedback(request.to) {
        return Err(AppError::bad_input(
            "feedbackSummary",
            "feedback goes to the referrer when the service ends a referral (closed, declined, rejected, unable to contact)",
        ));
    }
    let mut outcome = None;
    let mut rejection_reason = None;
    match request.to {
        ReferralStatus::Closed => {
            outcome = Some(request.outcome.ok_or_else(|| {
                AppError::bad_input("outcome", "closing a referral needs its outcome (GOALS_MET, GOALS_PARTLY_MET, …)")
            })?);
        }
        ReferralStatus::RejectedByService => {
            rejection_reason = Some(
                reason
                    .clone()
                    .ok_or_else(|| AppError::bad_input("reason", "say why the service cannot take this referral"))?,
            );
        }
        _ => {}
    }
    if request.outcome.is_some() && request.to != ReferralStatus::Closed {
        return Err(AppError::bad_input("outcome", "an outcome is given only when closing"));
    }
    if suggested_alternative.is_some() && request.to != ReferralStatus::RejectedByService {
        return Err(AppError::bad_input(
            "suggestedAlternative",
            "a suggested alternative is given only when rejecting",
        ));
    }
    Ok(CheckedMove { to: request.to, reason, outcome, rejection_reason, suggested_alternative, feedback_summary })
}

/// The rows a move writes, at `now`: the referral as it becomes (first contact stamped on
/// CONTACTED; on an ending, its open key released, its end, outcome and reasons), the event, and
/// the feedback to the referrer when the service ends it.
pub fn moved_rows(
    caller: &Caller,
    current: &referral::Model,
    checked: CheckedMove,
    now: DateTime<Utc>,
) -> AppResult<(referral::Model, referral_event::Model, Option<entity::referral_feedback::Model>)> {
    let to = checked.to;
    let mut updated = current.clone();
    updated.status = to;
    updated.updated_at = now;
    if to == ReferralStatus::Contacted {
        updated.first_contact_at = Some(now);
    }
    if !is_open(to) {
        updated.open_key = None;
        updated.ended_at = Some(now);
        updated.outcome = checked.outcome;
        updated.rejection_reason = checked.rejection_reason;
        updated.suggested_alternative = checked.suggested_alternative;
    }
    let feedback_row = if feedback::sends_feedback(to) {
        Some(feedback::for_ending(&updated, caller, checked.feedback_summary, now)?)
    } else {
        None
    };
    let event = referral_event::Model {
        id: Uuid::now_v7(),
        referral_id: current.id,
        kind: ReferralEventKind::StatusChanged,
        from_status: Some(current.status),
        to_status: Some(to),
        practitioner_id: caller.practitioner_id,
        organisation_id: caller.organisation_id,
        occurred_at: now,
        reason: checked.reason,
        snomed_code: snomed_code(current.service, Some(to)).map(str::to_owned),
        assigned_practitioner_id: None,
    };
    Ok((updated, event, feedback_row))
}

/// Records an attempt to contact the person (no change of state; waiting referrals only).
pub async fn record_contact_attempt(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    id: Uuid,
    note: Option<String>,
) -> AppResult<(referral::Model, referral_event::Model)> {
    let current = get(db, caller, id).await?;
    if !caller.is_receiver(&current) {
        return Err(AppError::forbidden("only the receiving organisation records contact attempts"));
    }
    if current.status != ReferralStatus::AwaitingContact {
        return Err(AppError::invalid_move(
            format!(
                "contact attempts are recorded while a referral is AWAITING_CONTACT; this one is {}",
                state::label(current.status)
            ),
            current.status,
            state::moves_now(&move_context(caller, &current, 0)),
        ));
    }
    let event = referral_event::Model {
        id: Uuid::now_v7(),
        referral_id: id,
        kind: ReferralEventKind::ContactAttempt,
        from_status: Some(current.status),
        to_status: Some(current.status),
        practitioner_id: caller.practitioner_id,
        organisation_id: caller.organisation_id,
        occurred_at: Utc::now(),
        reason: bounded_text("note", note)?,
        snomed_code: None,
        assigned_practitioner_id: None,
    };
    referral_event::Entity::insert(event.clone().into_active_model()).exec_without_returning(db).await?;
    Ok((current, event))
}

/// Which referrals a list shows, on top of the caller's own parties.
#[derive(Debug, Clone, Default)]
pub struct ReferralFilter {
    pub patient_id: Option<Uuid>,
    pub statuses: Vec<ReferralStatus>,
    pub service: Option<ReferralService>,
    pub receiving_organisation_id: Option<Uuid>,
    pub referring_organisation_id: Option<Uuid>,
    pub assigned_practitioner_id: Option<Uuid>,
    /// Only referrals no worker has been assigned.
    pub unassigned: bool,
    /// Newest first (an inbox) rather than oldest first (a waiting list).
    pub newest_first: bool,
}

/// Referrals the caller is a party to (referring or receiving organisation, assigned worker),
/// oldest first (the natural order of a waiting list) or newest first (an inbox). The request
/// learns from them whom they relate to the caller (`Caller::learn_from_referrals`), so that the
/// people of the page load without asking again.
pub async fn list(
    db: &(impl ConnectionTrait + Clone + Send + 'static),
    caller: &Caller,
    filter: ReferralFilter,
    page: PageRequest,
) -> AppResult<Page<referral::Model>> {
    let page = list_page(db, caller, filter, page).await?;
    caller.learn_from_referrals(page.items.iter().map(|(_, r)| r));
    Ok(page)
}

async fn list_page(
    db: &(impl ConnectionTrait + Clone + Send + 'static),
    caller: &Caller,
    filter: ReferralFilter,
    page: PageRequest,
) -> AppResult<Page<referral::Model>> {
    use referral::Column as C;
    // The caller's parties, each with the value the filter pins its column to (if any). A party
    // the filter pins to someone else holds none of the list, so it is left out; a party the filter
    // pins to the caller holds all of it, so it alone is enough (a worker's own caseload is read as
    // one slice per state instead of three).
    let every_party = [
        (C::ReferringOrganisationId, caller.organisation_id, filter.referring_organisation_id),
        (C::ReceivingOrganisationId, caller.organisation_id, filter.receiving_organisation_id),
        (C::AssignedPractitionerId, caller.practitioner_id, filter.assigned_practitioner_id),
    ];
    let implied = every_party.iter().find(|(_, mine, pinned)| *pinned == Some(*mine));
    let mut parties: Vec<_> = match implied {
        Some(party) => vec![party],
        None => every_party.iter().filter(|(_, _, pinned)| pinned.is_none()).collect(),
    };
    if parties.is_empty() {
        // The filter names other parties on every side: nothing is visible, and any party says so.
        parties = every_party.iter().collect();
    }
    let parties: Vec<_> = parties.into_iter().map(|(column, mine, _)| column.eq(*mine)).collect();
    // Cursors through every referral the caller is a party to, whatever the filters.
    let cursors = referral::Entity::find()
        .filter(every_party.iter().map(|(column, mine, _)| column.eq(*mine)).fold(Condition::any(), Condition::add));
    let mut cond = Condition::all();
    if let Some(p) = filter.patient_id {
        cond = cond.add(C::PatientId.eq(p));
    }
    if let Some(s) = filter.service {
        cond = cond.add(C::Service.eq(s));
    }
    if let Some(o) = filter.receiving_organisation_id {
        cond = cond.add(C::ReceivingOrganisationId.eq(o));
    }
    if let Some(o) = filter.referring_organisation_id {
        cond = cond.add(C::ReferringOrganisationId.eq(o));
    }
    if let Some(p) = filter.assigned_practitioner_id {
        cond = cond.add(C::AssignedPractitionerId.eq(p));
    }
    if filter.unassigned {
        cond = cond.add(C::AssignedPractitionerId.is_null());
    }
    let mut statuses = filter.statuses;
    statuses.sort_by_key(sea_orm::ActiveEnum::to_value);
    statuses.dedup();
    let whole = referral::Entity::find()
        .filter(cond.clone())
        .filter(parties.iter().cloned().fold(Condition::any(), Condition::add));
    // What one worker holds in the states that count against their capacity is bounded by it
    // (30–40 people; beyond it only with a reason recorded), so such a list (a caseload) is read
    // as one statement from the index of held referrals (migration 000010), in the list's order,
    // and stops at the page's end: its cost does not grow with the worker's closed history. The
    // states are written into the statement so that the partial index applies; a subset of them
    // is bound as well. Every other list keeps the slices below.
    let held_by_one_worker = filter.assigned_practitioner_id.is_some()
        && !statuses.is_empty()
        && statuses.iter().all(|s| caseload::CASELOAD_STATES.contains(s));
    let whole = if held_by_one_worker { whole.filter(caseload::held()) } else { whole };
    let every_held_state = held_by_one_worker && statuses.len() == caseload::CASELOAD_STATES.len();
    let whole =
        if statuses.is_empty() || every_held_state { whole } else { whole.filter(C::Status.is_in(statuses.clone())) };
    let newest_first = filter.newest_first;
    let order = [C::CreatedAt, C::Id];
    let direction = if newest_first { Direction::Descending } else { Direction::Ascending };
    let after = move |(created, id): &(chrono::DateTime<Utc>, Uuid)| {
        if newest_first {
            Condition::any()
                .add(C::CreatedAt.lt(*created))
                .add(Condition::all().add(C::CreatedAt.eq(*created)).add(C::Id.lt(*id)))
        } else {
            Condition::any()
                .add(C::CreatedAt.gt(*created))
                .add(Condition::all().add(C::CreatedAt.eq(*created)).add(C::Id.gt(*id)))
        }
    };
    let key = |m: &referral::Model| (m.created_at, m.id);
    if held_by_one_worker {
        return keyset_page_in(db, whole, cursors, page, &order, direction, after, key).await;
    }
    // One slice per party and status, each read newest (or oldest) first from its own index
    // (migration 000007): a provider's inbox then costs its page, not the provider's history.
    let status_slices: Vec<Option<ReferralStatus>> =
        if statuses.is_empty() { vec![None] } else { statuses.into_iter().map(Some).collect() };
    let mut slices = Vec::new();
    for party in &parties {
        for status in &status_slices {
            let slice = referral::Entity::find().filter(cond.clone()).filter(party.clone());
            slices.push(match status {
                Some(s) => slice.filter(C::Status.eq(*s)),
                None => slice,
            });
        }
    }
    keyset_page_union(db, Sliced { whole, slices, cursors }, page, &order, direction, after, key).await
}

#[cfg(test)]
mod move_tests {
    use super::*;

    fn to(to: ReferralStatus) -> Move {
        Move { to, reason: None, outcome: None, suggested_alternative: None, feedback_summary: None }
    }

    fn refused_on(request: Move) -> String {
        match checked_move(request) {
            Err(AppError::BadUserInput { field: Some(field), .. }) => field,
            other => panic!("expected BAD_INPUT, got {other:?}"),
        }
    }

    #[test]
    fn closing_needs_its_outcome_and_only_closing_takes_one() {
        assert_eq!(refused_on(to(ReferralStatus::Closed)), "outcome");
        let closed = checked_move(Move { outcome: Some(ReferralOutcome::GoalsMet), ..to(ReferralStatus::Closed) });
        assert_eq!(closed.unwrap().outcome, Some(ReferralOutcome::GoalsMet));
        for other in [ReferralStatus::Active, ReferralStatus::DeclinedByPatient, ReferralStatus::CancelledByReferrer] {
            assert_eq!(refused_on(Move { outcome: Some(ReferralOutcome::GoalsMet), ..to(other) }), "outcome");
        }
    }

    #[test]
    fn rejecting_needs_a_reason_and_only_rejecting_suggests_an_alternative() {
        assert_eq!(refused_on(to(ReferralStatus::RejectedByService)), "reason");
        let rejected = checked_move(Move {
            reason: Some("outside our area".to_owned()),
            suggested_alternative: Some("Rushcliffe Community Voluntary Service".to_owned()),
            ..to(ReferralStatus::RejectedByService)
        })
        .unwrap();
        assert_eq!(rejected.rejection_reason.as_deref(), Some("outside our area"));
        let elsewhere =
            Move { suggested_alternative: Some("a walking group".to_owned()), ..to(ReferralStatus::Active) };
        assert_eq!(refused_on(elsewhere), "suggestedAlternative");
    }

    #[test]
    fn feedback_goes_only_with_an_ending_by_the_service() {
        let with_feedback =
            |status| Move { feedback_summary: Some("Attending the art group".to_owned()), ..to(status) };
        assert_eq!(refused_on(with_feedback(ReferralStatus::Contacted)), "feedbackSummary");
        assert_eq!(refused_on(with_feedback(ReferralStatus::CancelledByReferrer)), "feedbackSummary");
        assert!(checked_move(with_feedback(ReferralStatus::DeclinedByPatient)).is_ok());
    }

    #[test]
    fn texts_beyond_their_bound_are_refused_by_name() {
        let long = "x".repeat(MAX_TEXT_CHARS + 1);
        assert_eq!(refused_on(Move { reason: Some(long), ..to(ReferralStatus::AwaitingContact) }), "reason");
    }
}

#[cfg(test)]
mod create_tests {
    use super::*;

    fn new_referral() -> NewReferral {
        NewReferral {
            patient_id: Uuid::nil(),
            source: ReferralSource::Gp,
            service: ReferralService::SocialPrescribing,
            receiving_organisation_id: Uuid::nil(),
            needs: vec![(ReferralNeed::LonelinessOrIsolation, None)],
            urgency: Urgency::Routine,
            context: Some("Lives alone since her husband died; would like company".to_owned()),
            partner_summary: None,
            consent_given: true,
            idempotency_key: None,
        }
    }

    fn refused_on(new: NewReferral) -> String {
        match checked_referral(&new) {
            Err(AppError::BadUserInput { field: Some(field), .. }) => field,
            other => panic!("expected BAD_INPUT, got {other:?}"),
        }
    }

    #[test]
    fn a_referral_needs_consent_and_at_least_one_need_each_named_once() {
        assert!(checked_referral(&new_referral()).is_ok());
        assert_eq!(refused_on(NewReferral { consent_given: false, ..new_referral() }), "consentGiven");
        assert_eq!(refused_on(NewReferral { needs: vec![], ..new_referral() }), "needs");
        let twice = vec![(ReferralNeed::Housing, None), (ReferralNeed::Housing, Some("damp".to_owned()))];
        assert_eq!(refused_on(NewReferral { needs: twice, ..new_referral() }), "needs");
        assert_eq!(refused_on(NewReferral { needs: vec![(ReferralNeed::Other, None)], ..new_referral() }), "needs");
        let other = vec![(ReferralNeed::Other, Some("help with a garden".to_owned()))];
        assert_eq!(checked_referral(&NewReferral { needs: other.clone(), ..new_referral() }).unwrap().needs, other);
    }

    #[test]
    fn texts_are_trimmed_to_none_and_bounded() {
        let blank = checked_referral(&NewReferral { context: Some("   ".to_owned()), ..new_referral() }).unwrap();
        assert_eq!(blank.context, None, "a blank context is no context");
        let long = Some("x".repeat(MAX_TEXT_CHARS + 1));
        assert_eq!(refused_on(NewReferral { partner_summary: long, ..new_referral() }), "partnerSummary");
    }
}
