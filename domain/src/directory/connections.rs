//! Connections: a person linked to a community asset, moving suggested → referred → attending →
//! stopped or completed (or straight to attending, or stopped from any live state). Referred and
//! attending hold one of the asset's places: taking a place is a guarded UPDATE (it applies only
//! while a place is free), so two link workers cannot both take the last one. Each move and its
//! place change are one transaction, and every move is kept as an event.

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, TransactionSession,
    TransactionTrait,
};
use uuid::Uuid;

use crate::label::label;

use entity::{asset_connection, asset_connection_event, community_asset, ConnectionState as S};

use crate::auth::{Caller, Grant, PatientAccessLevel};
use crate::error::{AppError, AppResult};
use crate::outcomes::patient_with_full_access;
use crate::referrals::bounded_text;

/// The states a connection may move to from `from`.
pub fn allowed_moves(from: S) -> &'static [S] {
    match from {
        S::Suggested => &[S::Referred, S::Attending, S::Stopped],
        S::Referred => &[S::Attending, S::Stopped],
        S::Attending => &[S::Stopped, S::Completed],
        S::Stopped | S::Completed => &[],
    }
}

/// Whether a connection in `state` holds one of the asset's places.
pub fn holds_place(state: S) -> bool {
    matches!(state, S::Referred | S::Attending)
}

pub fn is_live(state: S) -> bool {
    matches!(state, S::Suggested | S::Referred | S::Attending)
}

/// The unique key of an open connection (NULL once it ends).
pub fn open_key(patient_id: Uuid, asset_id: Uuid) -> String {
    crate::open_key::of(patient_id, asset_id)
}

/// Takes one place (if the asset limits them): refused when none is free.
async fn take_place(txn: &impl ConnectionTrait, asset: &community_asset::Model) -> AppResult<()> {
    use community_asset::Column as A;
    let taken = community_asset::Entity::update_many()
        .col_expr(A::PlacesTaken, Expr::col(A::PlacesTaken).add(1))
        .filter(A::Id.eq(asset.id))
        .filter(
            sea_orm::sea_query::Condition::any()
                .add(A::Capacity.is_null())
                .add(Expr::col(A::PlacesTaken).lt(Expr::col(A::Capacity))),
        )
        .exec(txn)
        .await?;
    if taken.rows_affected != 1 {
        return Err(AppError::conflict_with(
            format!(
                "{} is full ({} places); suggest it, or find another activity",
                asset.name,
                asset.capacity.unwrap_or_default()
            ),
            asset.id,
        ));
    }
    Ok(())
}

async fn release_place(txn: &impl ConnectionTrait, asset_id: Uuid) -> AppResult<()> {
    use community_asset::Column as A;
    community_asset::Entity::update_many()
        .col_expr(A::PlacesTaken, Expr::col(A::PlacesTaken).sub(1))
        .filter(A::Id.eq(asset_id))
        .filter(A::PlacesTaken.gt(0))
        .exec(txn)
        .await?;
    Ok(())
}

fn event(
    caller: &Caller,
    connection: Uuid,
    from: Option<S>,
    to: S,
    note: Option<String>,
) -> asset_connection_event::Model {
    asset_connection_event::Model {
        id: Uuid::now_v7(),
        connection_id: connection,
        from_state: from,
        to_state: to,
        practitioner_id: caller.practitioner_id,
        organisation_id: caller.organisation_id,
        occurred_at: Utc::now(),
        note,
    }
}

/// What a link worker asks for.
#[derive(Debug, Clone)]
pub struct NewConnection {
    pub patient_id: Uuid,
    pub asset_id: Uuid,
    pub state: S,
    pub referral_id: Option<Uuid>,
    pub note: Option<String>,
}

/// Connects a person to an asset (suggested, referred or attending), taking a place when the state
/// holds one, in one transaction.
pub async fn connect(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    today: chrono::NaiveDate,
    new: NewConnection,
) -> AppResult<(asset_connection::Model, Grant)> {
    let note = bounded_text("note", new.note)?;
    if !is_live(new.state) {
        return Err(AppError::bad_input("state", "a new connection is SUGGESTED, REFERRED or ATTENDING"));
    }
    let (patient, grant) = patient_with_full_access(db, caller, new.patient_id).await?;
    let asset =
        super::get(db, new.asset_id).await.map_err(|_| AppError::bad_input("assetId", "no such community asset"))?;
    if !asset.active {
        return Err(AppError::bad_input("assetId", format!("{} is no longer running", asset.name)));
    }
    if new.state == S::Referred && !asset.takes_referrals {
        return Err(AppError::bad_input(
            "state",
            format!("{} is signposting only: suggest it, or record the person as attending", asset.name),
        ));
    }
    let age = crate::patients::age_on(patient.date_of_birth, today);
    if asset.min_age.is_some_and(|min| age < min) || asset.max_age.is_some_and(|max| age > max) {
        return Err(AppError::bad_input(
            "assetId",
            format!(
                "{} is for ages {}–{}; the person is {age}",
                asset.name,
                asset.min_age.map_or("any".into(), |a| a.to_string()),
                asset.max_age.map_or("any".into(), |a| a.to_string())
            ),
        ));
    }
    if let Some(referral_id) = new.referral_id {
        let referral = crate::referrals::get(db, caller, referral_id).await?;
        if referral.patient_id != patient.id {
            return Err(AppError::bad_input("referralId", "that referral is for a different person"));
        }
    }
    let key = open_key(patient.id, asset.id);
    let existing =
        || asset_connection::Entity::find().filter(asset_connection::Column::OpenKey.eq(key.clone())).one(db);
    if let Some(open) = existing().await? {
        return Err(AppError::conflict_with(
            format!(
                "the person is already connected to {} ({}); move that connection instead",
                asset.name,
                label(open.state)
            ),
            open.id,
        ));
    }
    let now = Utc::now();
    let model = asset_connection::Model {
        id: Uuid::now_v7(),
        patient_id: patient.id,
        asset_id: asset.id,
        referral_id: new.referral_id,
        state: new.state,
        open_key: Some(key.clone()),
        created_by: caller.practitioner_id,
        created_at: now,
        updated_at: now,
        started_at: (new.state == S::Attending).then_some(now),
        ended_at: None,
    };
    let txn = db.begin().await?;
    if holds_place(new.state) {
        if let Err(e) = take_place(&txn, &asset).await {
            txn.rollback().await?;
            return Err(e);
        }
    }
    if let Err(e) =
        asset_connection::Entity::insert(model.clone().into_active_model()).exec_without_returning(&txn).await
    {
        txn.rollback().await?;
        if crate::open_key::taken(&e) {
            if let Some(open) = existing().await? {
                return Err(AppError::conflict_with("the person was connected to this activity a moment ago", open.id));
            }
        }
        return Err(e.into());
    }
    asset_connection_event::Entity::insert(event(caller, model.id, None, new.state, note).into_active_model())
        .exec_without_returning(&txn)
        .await?;
    txn.commit().await?;
    Ok((model, grant))
}

/// Moves a connection: the person's care team may make any allowed move; the providing
/// organisation records what happens at its activity (attending, stopped, completed) for people
/// referred to it or attending.
pub async fn move_connection(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    id: Uuid,
    to: S,
    note: Option<String>,
) -> AppResult<(asset_connection::Model, community_asset::Model, Grant)> {
    let note = bounded_text("note", note)?;
    let current =
        asset_connection::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found("connection", id))?;
    let asset = super::get(db, current.asset_id).await?;
    let patient = crate::auth::person(db, caller, current.patient_id).await?;
    let grant = caller.grant_through_connection(&patient, &current, &asset).ok_or_else(|| {
        AppError::forbidden("only the person's care team and the organisation running the activity see this connection")
    })?;
    if grant.level() != PatientAccessLevel::Full && !holds_place(current.state) {
        return Err(AppError::forbidden("the activity's provider records attendance for people referred to it"));
    }
    if !allowed_moves(current.state).contains(&to) {
        let allowed: Vec<String> = allowed_moves(current.state).iter().map(|s| label(*s)).collect();
        return Err(AppError::invalid_move(
            format!(
                "a connection that is {} cannot move to {}; allowed: {}",
                label(current.state),
                label(to),
                if allowed.is_empty() { "none (it has ended)".to_owned() } else { allowed.join(", ") }
            ),
            current.state,
            allowed_moves(current.state).iter().copied(),
        ));
    }
    if to == S::Referred && !asset.takes_referrals {
        return Err(AppError::bad_input("to", format!("{} is signposting only", asset.name)));
    }
    let now = Utc::now();
    let mut updated = current.clone();
    updated.state = to;
    updated.updated_at = now;
    if to == S::Attending {
        updated.started_at = Some(now);
    }
    if !is_live(to) {
        updated.ended_at = Some(now);
        updated.open_key = None;
    }
    let txn = db.begin().await?;
    let applied = asset_connection::Entity::update_many()
        .col_expr(asset_connection::Column::State, Expr::value(to.to_value()))
        .col_expr(asset_connection::Column::UpdatedAt, Expr::value(now))
        .col_expr(asset_connection::Column::StartedAt, Expr::value(updated.started_at))
        .col_expr(asset_connection::Column::EndedAt, Expr::value(updated.ended_at))
        .col_expr(asset_connection::Column::OpenKey, Expr::value(updated.open_key.clone()))
        .filter(asset_connection::Column::Id.eq(id))
        .filter(asset_connection::Column::State.eq(current.state))
        .exec(&txn)
        .await?;
    if applied.rows_affected != 1 {
        txn.rollback().await?;
        return Err(AppError::conflict_with("the connection was moved by someone else; reload it", id));
    }
    match (holds_place(current.state), holds_place(to)) {
        (false, true) => {
            if let Err(e) = take_place(&txn, &asset).await {
                txn.rollback().await?;
                return Err(e);
            }
        }
        (true, false) => release_place(&txn, asset.id).await?,
        _ => {}
    }
    asset_connection_event::Entity::insert(event(caller, id, Some(current.state), to, note).into_active_model())
        .exec_without_returning(&txn)
        .await?;
    txn.commit().await?;
    let asset = super::get(db, asset.id).await?;
    Ok((updated, asset, grant))
}

/// Connections to the activities the caller's organisation runs (how a provider sees who is
/// referred and attending), oldest first; `asset_id` and `states` (when not empty) narrow them.
pub async fn of_my_activities(
    db: &(impl ConnectionTrait + Clone + Send + 'static),
    caller: &Caller,
    asset_id: Option<Uuid>,
    states: &[S],
    page: crate::pagination::PageRequest,
) -> AppResult<crate::pagination::Page<asset_connection::Model>> {
    use asset_connection::Column as C;
    use sea_orm::Condition;
    let mut cond = Condition::all().add(
        C::AssetId.in_subquery(
            sea_orm::sea_query::Query::select()
                .column(community_asset::Column::Id)
                .from(community_asset::Entity)
                .and_where(community_asset::Column::ProviderOrganisationId.eq(caller.organisation_id))
                .to_owned(),
        ),
    );
    if let Some(asset) = asset_id {
        cond = cond.add(C::AssetId.eq(asset));
    }
    if !states.is_empty() {
        cond = cond.add(C::State.is_in(states.to_vec()));
    }
    crate::pagination::keyset_page(
        db,
        asset_connection::Entity::find().filter(cond),
        page,
        &[C::CreatedAt, C::Id],
        |(at, id): &(chrono::DateTime<Utc>, Uuid)| {
            Condition::any()
                .add(C::CreatedAt.gt(*at))
                .add(Condition::all().add(C::CreatedAt.eq(*at)).add(C::Id.gt(*id)))
        },
        |m| (m.created_at, m.id),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Iterable;

    #[test]
    fn ended_connections_go_nowhere_and_only_referred_or_attending_hold_places() {
        for s in S::iter() {
            assert_eq!(allowed_moves(s).is_empty(), !is_live(s), "{s:?}");
            assert!(!allowed_moves(s).contains(&S::Suggested));
        }
        assert_eq!(S::iter().filter(|s| holds_place(*s)).collect::<Vec<_>>(), [S::Referred, S::Attending]);
    }
}
