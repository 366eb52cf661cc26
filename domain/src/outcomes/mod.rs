//! Outcome measures: an instrument from the catalogue (`instruments`) taken with a person at the
//! start of their support (baseline) or later (follow-up, paired with the baseline it is compared
//! with). Item responses are stored; scores are computed here, never taken from the client. The
//! outcome report (`report`) turns pairs into figures with their denominators.

pub mod instruments;
pub mod report;

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, TransactionSession,
    TransactionTrait,
};
use uuid::Uuid;

use entity::{outcome_measurement, outcome_response, patient, MeasurementKind};

use crate::auth::{Caller, Grant};
use crate::error::{AppError, AppResult};

/// What a practitioner records.
#[derive(Debug, Clone)]
pub struct NewMeasurement {
    pub patient_id: Uuid,
    pub instrument: String,
    pub kind: MeasurementKind,
    pub taken_on: NaiveDate,
    pub referral_id: Option<Uuid>,
    pub responses: Vec<(String, i32)>,
}

/// The patient, if the caller has full access to their record (outcomes are part of it).
pub async fn patient_with_full_access(
    db: &impl ConnectionTrait,
    caller: &Caller,
    patient_id: Uuid,
) -> AppResult<(patient::Model, Grant)> {
    let model = crate::auth::person(db, caller, patient_id).await?;
    caller.patient_scope()?;
    let grant = caller
        .grant_for(&model)
        .filter(|g| g.level() == crate::auth::PatientAccessLevel::Full)
        .ok_or_else(|| AppError::forbidden("you have no care relationship with this patient"))?;
    Ok((model, grant))
}

/// Validates, scores and stores a measurement with its responses in one transaction. A follow-up
/// is paired with the person's latest earlier baseline of the same instrument (within the same
/// referral when it names one and that referral has a baseline).
pub async fn record(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    today: NaiveDate,
    new: NewMeasurement,
) -> AppResult<(outcome_measurement::Model, Grant)> {
    let instrument = instruments::by_key(&new.instrument)?;
    let values = instrument.validate(&new.responses)?;
    if new.taken_on > today {
        return Err(AppError::bad_input("takenOn", format!("{} is in the future", new.taken_on)));
    }
    let (patient, grant) = patient_with_full_access(db, caller, new.patient_id).await?;
    if new.taken_on < patient.date_of_birth {
        return Err(AppError::bad_input("takenOn", "is before the person was born"));
    }
    if let Some(referral_id) = new.referral_id {
        let referral = crate::referrals::get(db, caller, referral_id).await.map_err(|e| match e {
            AppError::NotFound { .. } => AppError::bad_input("referralId", "no such referral"),
            other => other,
        })?;
        if referral.patient_id != patient.id {
            return Err(AppError::bad_input("referralId", "that referral is for a different person"));
        }
    }
    let baseline_id = match new.kind {
        MeasurementKind::Baseline => None,
        MeasurementKind::FollowUp => Some(
            baseline_for(db, patient.id, instrument.key, new.taken_on, new.referral_id).await?.ok_or_else(|| {
                AppError::bad_input(
                    "kind",
                    format!(
                        "a follow-up is compared with a baseline: record a {} baseline taken on or before {} first",
                        instrument.key, new.taken_on
                    ),
                )
            })?,
        ),
    };
    let scores = (instrument.score)(&values);
    let model = outcome_measurement::Model {
        id: Uuid::now_v7(),
        patient_id: patient.id,
        instrument: instrument.key.to_owned(),
        kind: new.kind,
        baseline_id,
        referral_id: new.referral_id,
        taken_on: new.taken_on,
        raw_score: scores.raw,
        metric_score: scores.metric,
        recorded_by: caller.practitioner_id,
        recorded_organisation_id: caller.organisation_id,
        recorded_at: Utc::now(),
    };
    let rows = instrument.items.iter().zip(&values).map(|(item, value)| {
        outcome_response::Model { measurement_id: model.id, item: item.key.to_owned(), value: *value }
            .into_active_model()
    });
    let txn = db.begin().await?;
    outcome_measurement::Entity::insert(model.clone().into_active_model()).exec_without_returning(&txn).await?;
    outcome_response::Entity::insert_many(rows).exec_without_returning(&txn).await?;
    txn.commit().await?;
    Ok((model, grant))
}

/// The baseline a follow-up taken on `taken_on` is compared with.
async fn baseline_for(
    db: &impl ConnectionTrait,
    patient_id: Uuid,
    instrument: &str,
    taken_on: NaiveDate,
    referral_id: Option<Uuid>,
) -> AppResult<Option<Uuid>> {
    use outcome_measurement::Column as C;
    let latest = |referral: Option<Uuid>| {
        let mut select = outcome_measurement::Entity::find()
            .filter(C::PatientId.eq(patient_id))
            .filter(C::Instrument.eq(instrument))
            .filter(C::Kind.eq(MeasurementKind::Baseline))
            .filter(C::TakenOn.lte(taken_on));
        if let Some(r) = referral {
            select = select.filter(C::ReferralId.eq(r));
        }
        select.order_by_desc(C::TakenOn).order_by_desc(C::Id)
    };
    if let Some(referral) = referral_id {
        if let Some(found) = latest(Some(referral)).one(db).await? {
            return Ok(Some(found.id));
        }
    }
    Ok(latest(None).one(db).await?.map(|m| m.id))
}
