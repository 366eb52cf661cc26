//! Caseloads: who holds which referrals, against their capacity (the briefing: 30–40 people at a
//! time for a link worker). Assignment beyond capacity is refused unless an override reason is
//! given, and that reason is kept in the referral's history.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SimpleExpr};
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect,
    TransactionSession, TransactionTrait,
};
use uuid::Uuid;

use entity::{practitioner, referral, referral_event, ReferralEventKind, ReferralStatus};

use super::state::{is_open, label};
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::sql::any_of;

/// States in which an assigned referral counts towards its worker's caseload.
pub const CASELOAD_STATES: [ReferralStatus; 3] =
    [ReferralStatus::AwaitingContact, ReferralStatus::Contacted, ReferralStatus::Active];

/// `status IN ('awaiting_contact', 'contacted', 'active')`, with the states written into the
/// statement rather than bound. The partial index of held referrals (`idx_referral_held`, migration
/// 000010) serves only a statement whose text implies its condition: a bound state proves nothing to
/// a plan made once for any value, and PostgreSQL then read a worker's whole history instead.
pub fn held() -> SimpleExpr {
    Expr::col((referral::Entity, referral::Column::Status))
        .is_in(CASELOAD_STATES.map(|s| SimpleExpr::Constant(s.to_value().into())))
}

/// Active caseload per practitioner, in one statement (from the index of held referrals).
pub async fn caseload_counts(db: &impl ConnectionTrait, practitioners: &[Uuid]) -> AppResult<HashMap<Uuid, u64>> {
    let mut out: HashMap<Uuid, u64> = practitioners.iter().map(|p| (*p, 0)).collect();
    if practitioners.is_empty() {
        return Ok(out);
    }
    let statement = Query::select()
        .column(referral::Column::AssignedPractitionerId)
        .expr_as(Expr::col(referral::Column::Id).count(), Alias::new("held"))
        .from(referral::Entity)
        .and_where(any_of(db.get_database_backend(), referral::Column::AssignedPractitionerId, practitioners))
        .and_where(held())
        .group_by_col(referral::Column::AssignedPractitionerId)
        .to_owned();
    for row in db.query_all(&statement).await? {
        let id: Uuid = row.try_get("", "assigned_practitioner_id")?;
        let held: i64 = row.try_get("", "held")?;
        out.insert(id, u64::try_from(held).unwrap_or(0));
    }
    Ok(out)
}

/// Assigns a referral to a worker of the receiving organisation. Over capacity, `override_reason`
/// is required and recorded. The count and the assignment are one transaction; on PostgreSQL the
/// worker's row is locked so that two assignments cannot both take the last place.
pub async fn assign(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    referral_id: Uuid,
    worker_id: Uuid,
    override_reason: Option<String>,
) -> AppResult<(referral::Model, referral_event::Model)> {
    let current = super::get(db, caller, referral_id).await?;
    if !caller.is_receiver(&current) {
        return Err(AppError::forbidden("only the receiving organisation assigns its referrals"));
    }
    if !is_open(current.status) {
        return Err(AppError::invalid_move(
            format!("the referral is {} and has ended; ended referrals are not assigned", label(current.status)),
            current.status,
            [],
        ));
    }
    let override_reason = super::bounded_text("overrideReason", override_reason)?;
    let txn = db.begin().await?;
    let mut worker_query = practitioner::Entity::find_by_id(worker_id);
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        worker_query = worker_query.lock_exclusive();
    }
    let worker =
        worker_query.one(&txn).await?.ok_or_else(|| AppError::bad_input("practitionerId", "no such practitioner"))?;
    if !worker.active || worker.organisation_id != current.receiving_organisation_id {
        return Err(AppError::bad_input("practitionerId", "assign to an active worker of the receiving organisation"));
    }
    let Some(capacity) = worker.caseload_capacity else {
        return Err(AppError::bad_input("practitionerId", "this practitioner does not hold a caseload"));
    };
    if current.assigned_practitioner_id == Some(worker.id) {
        return Err(AppError::bad_input("practitionerId", "the referral is already assigned to this practitioner"));
    }
    let held = caseload_counts(&txn, &[worker.id]).await?.get(&worker.id).copied().unwrap_or(0);
    let capacity = u64::try_from(capacity).unwrap_or(0);
    if held >= capacity && override_reason.is_none() {
        return Err(AppError::conflict(format!(
            "{} {}'s caseload is full ({held} of {capacity}); give overrideReason to assign beyond capacity",
            worker.given_name, worker.family_name
        )));
    }
    let reason = match (&override_reason, held >= capacity) {
        (Some(why), true) => Some(format!("over capacity ({held} of {capacity}): {why}")),
        (why, _) => why.clone(),
    };
    let now = Utc::now();
    let result = referral::Entity::update_many()
        .col_expr(referral::Column::AssignedPractitionerId, Expr::value(Some(worker.id)))
        .col_expr(referral::Column::UpdatedAt, Expr::value(now))
        .filter(referral::Column::Id.eq(current.id))
        .filter(referral::Column::Status.eq(current.status.to_value()))
        .exec(&txn)
        .await?;
    if result.rows_affected != 1 {
        return Err(AppError::conflict_with(
            "the referral changed while you were assigning it; reload and try again",
            current.id,
        ));
    }
    let event = referral_event::Model {
        id: Uuid::now_v7(),
        referral_id: current.id,
        kind: ReferralEventKind::Assigned,
        from_status: Some(current.status),
        to_status: Some(current.status),
        practitioner_id: caller.practitioner_id,
        organisation_id: caller.organisation_id,
        occurred_at: now,
        reason,
        snomed_code: None,
        assigned_practitioner_id: Some(worker.id),
    };
    referral_event::Entity::insert(event.clone().into_active_model()).exec_without_returning(&txn).await?;
    txn.commit().await?;
    let mut updated = current;
    updated.assigned_practitioner_id = Some(worker.id);
    updated.updated_at = now;
    Ok((updated, event))
}

/// Workers of the receiving organisation who hold caseloads, most spare capacity first.
pub async fn suggest_assignees(
    db: &impl ConnectionTrait,
    caller: &Caller,
    referral_id: Uuid,
) -> AppResult<Vec<(practitioner::Model, u64)>> {
    let current = super::get(db, caller, referral_id).await?;
    let workers = practitioner::Entity::find()
        .filter(practitioner::Column::OrganisationId.eq(current.receiving_organisation_id))
        .filter(practitioner::Column::Active.eq(true))
        .filter(practitioner::Column::CaseloadCapacity.is_not_null())
        .all(db)
        .await?;
    let ids: Vec<Uuid> = workers.iter().map(|w| w.id).collect();
    let held = caseload_counts(db, &ids).await?;
    let mut ranked: Vec<(practitioner::Model, u64)> = workers
        .into_iter()
        .map(|w| {
            let h = held.get(&w.id).copied().unwrap_or(0);
            (w, h)
        })
        .collect();
    let spare = |(w, h): &(practitioner::Model, u64)| i64::from(w.caseload_capacity.unwrap_or(0)) - *h as i64;
    ranked
        .sort_by(|a, b| spare(b).cmp(&spare(a)).then(a.0.family_name.cmp(&b.0.family_name)).then(a.0.id.cmp(&b.0.id)));
    Ok(ranked)
}

#[cfg(test)]
mod held_index_tests {
    use sea_orm::sea_query::{PostgresQueryBuilder, Query, SqliteQueryBuilder};
    use sea_orm::ActiveEnum;

    use super::*;

    /// The partial index (migration 000010) holds the states a caseload counts, as the migration
    /// wrote them; if `CASELOAD_STATES` changes, the index needs a new migration.
    #[test]
    fn the_index_of_held_referrals_holds_the_caseload_states() {
        let states: Vec<String> = CASELOAD_STATES.iter().map(|s| s.to_value()).collect();
        assert_eq!(states, migration::HELD_STATES);
    }

    /// Written into the statement, not bound: a bound state cannot show a plan that the partial
    /// index applies.
    #[test]
    fn the_held_states_are_written_into_the_statement() {
        let mut select = Query::select();
        select.column(referral::Column::Id).from(referral::Entity).and_where(held());
        let expected = r#""referral"."status" IN ('awaiting_contact', 'contacted', 'active')"#;
        for (sql, values) in [select.build(PostgresQueryBuilder), select.build(SqliteQueryBuilder)] {
            assert!(sql.contains(expected), "{sql}");
            assert!(values.0.is_empty(), "nothing bound: {values:?}");
        }
    }
}
