//! Registering people and keeping their record current: done by the staff of the person's GP
//! practice (`Caller::may_register_at`), as the practice system would. Demographics and access
//! needs by any of them (registration is the practice's administrative work); coded conditions and
//! the electronic Frailty Index by roles that read what is clinical; the Clinical Frailty Scale by
//! a clinician. Each write returns the practice's grant on the person, which the API audits as a
//! read of them.
//!
//! The NHS number is the person's key: a second person with the same number is a `CONFLICT`
//! naming the one already registered.

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    TransactionSession, TransactionTrait,
};
use uuid::Uuid;

use entity::{neighbourhood_organisation, organisation, patient, patient_condition, OrganisationKind, Sex};

use crate::auth::{Caller, Grant};
use crate::error::{AppError, AppResult};
use crate::nhs_number::NhsNumber;

/// Longest given or family name.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest interpreter language.
pub const MAX_LANGUAGE_CHARS: usize = 40;
/// The earliest date of birth accepted (no one alive was born before it).
pub const EARLIEST_BIRTH: NaiveDate = match NaiveDate::from_ymd_opt(1890, 1, 1) {
    Some(d) => d,
    None => panic!("a valid date"),
};

/// A person to register at the caller's practice.
#[derive(Debug, Clone)]
pub struct NewPerson {
    pub nhs_number: String,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: NaiveDate,
    pub sex: Sex,
    pub postcode: String,
    pub registered_practice_id: Uuid,
    pub deprivation_decile: Option<i16>,
    pub access: AccessNeeds,
}

/// What a person needs for services to reach them, and what matters for access to care.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccessNeeds {
    pub lives_alone: bool,
    pub is_carer: bool,
    pub hearing_impairment: bool,
    pub visual_impairment: bool,
    /// The language when an interpreter is needed.
    pub interpreter_language: Option<String>,
}

/// Changes to a person's demographics; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct PersonChanges {
    pub nhs_number: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub sex: Option<Sex>,
    pub postcode: Option<String>,
    pub deprivation_decile: Option<Option<i16>>,
    pub lives_alone: Option<bool>,
    pub is_carer: Option<bool>,
    pub hearing_impairment: Option<bool>,
    pub visual_impairment: Option<bool>,
    pub interpreter_language: Option<Option<String>>,
}

fn checked_nhs_number(text: &str) -> AppResult<String> {
    NhsNumber::parse(text).map(|n| n.as_digits()).map_err(|e| AppError::bad_input("nhsNumber", e.to_string()))
}

pub(crate) fn checked_birth(date: NaiveDate, today: NaiveDate) -> AppResult<NaiveDate> {
    if date > today {
        return Err(AppError::bad_input("dateOfBirth", format!("{date} is in the future")));
    }
    if date < EARLIEST_BIRTH {
        return Err(AppError::bad_input("dateOfBirth", format!("{date} is before {EARLIEST_BIRTH}")));
    }
    Ok(date)
}

pub(crate) fn checked_decile(decile: Option<i16>) -> AppResult<Option<i16>> {
    match decile {
        Some(d) if !(1..=10).contains(&d) => {
            Err(AppError::bad_input("deprivationDecile", "an IMD decile is 1 (most deprived) to 10"))
        }
        other => Ok(other),
    }
}

pub(crate) fn checked_language(language: Option<String>) -> AppResult<Option<String>> {
    language
        .filter(|l| !l.trim().is_empty())
        .map(|l| crate::administration::checked_text("interpreterLanguage", &l, MAX_LANGUAGE_CHARS))
        .transpose()
}

pub(crate) fn checked_name(field: &str, text: &str) -> AppResult<String> {
    crate::administration::checked_text(field, text, MAX_NAME_CHARS)
}

async fn check_number_free(db: &impl ConnectionTrait, number: &str, except: Option<Uuid>) -> AppResult<()> {
    match patient::Entity::find().filter(patient::Column::NhsNumber.eq(number)).one(db).await? {
        Some(existing) if Some(existing.id) != except => Err(AppError::conflict_with(
            format!("a person with NHS number {number} is already registered ({})", existing.id),
            existing.id,
        )),
        _ => Ok(()),
    }
}

/// The one neighbourhood a practice takes part in (its registered people's).
pub(crate) async fn neighbourhood_of_practice(db: &impl ConnectionTrait, practice_id: Uuid) -> AppResult<Uuid> {
    let practice = organisation::Entity::find_by_id(practice_id).one(db).await?.ok_or_else(|| {
        AppError::bad_input("registeredPracticeId", format!("no organisation has the id {practice_id}"))
    })?;
    if practice.kind != OrganisationKind::GpPractice {
        return Err(AppError::bad_input("registeredPracticeId", format!("{} is not a GP practice", practice.name)));
    }
    let memberships = neighbourhood_organisation::Entity::find()
        .filter(neighbourhood_organisation::Column::OrganisationId.eq(practice_id))
        .all(db)
        .await?;
    match memberships.as_slice() {
        [one] => Ok(one.neighbourhood_id),
        [] => Err(AppError::bad_input(
            "registeredPracticeId",
            format!("{} takes part in no neighbourhood yet; an administrator adds it first", practice.name),
        )),
        _ => Err(AppError::bad_input(
            "registeredPracticeId",
            format!("{} takes part in more than one neighbourhood, so its people's is not known", practice.name),
        )),
    }
}

/// Registers a person at the caller's practice.
pub async fn register(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    today: NaiveDate,
    new: NewPerson,
) -> AppResult<(patient::Model, Grant)> {
    caller.may_register_at(new.registered_practice_id)?;
    let nhs_number = checked_nhs_number(&new.nhs_number)?;
    let given_name = checked_name("givenName", &new.given_name)?;
    let family_name = checked_name("familyName", &new.family_name)?;
    let date_of_birth = checked_birth(new.date_of_birth, today)?;
    let postcode = crate::directory::geo::normalise_postcode("postcode", &new.postcode)?;
    let deprivation_decile = checked_decile(new.deprivation_decile)?;
    let interpreter_language = checked_language(new.access.interpreter_language)?;
    let txn = db.begin().await?;
    check_number_free(&txn, &nhs_number, None).await?;
    let neighbourhood_id = neighbourhood_of_practice(&txn, new.registered_practice_id).await?;
    let now = Utc::now();
    let row = patient::Model {
        id: Uuid::now_v7(),
        nhs_number,
        given_name,
        family_name,
        date_of_birth,
        sex: new.sex,
        postcode,
        deprivation_decile,
        registered_practice_id: new.registered_practice_id,
        neighbourhood_id,
        efi_score: None,
        efi_calculated_on: None,
        clinical_frailty_scale: None,
        cfs_assessed_on: None,
        lives_alone: new.access.lives_alone,
        is_carer: new.access.is_carer,
        hearing_impairment: new.access.hearing_impairment,
        visual_impairment: new.access.visual_impairment,
        interpreter_language,
        national_data_opt_out: false,
        objects_to_sharing: false,
        created_at: now,
        updated_at: now,
        efi_recorded_by: None,
        cfs_assessed_by: None,
    };
    match patient::Entity::insert(row.clone().into_active_model()).exec_without_returning(&txn).await {
        Ok(_) => {}
        Err(e) if crate::open_key::taken(&e) => {
            return Err(AppError::conflict(format!(
                "a person with NHS number {} was registered a moment ago; search for them",
                row.nhs_number
            )))
        }
        Err(e) => return Err(e.into()),
    }
    txn.commit().await?;
    let grant = caller.grant_for(&row).ok_or_else(|| AppError::forbidden(crate::auth::policy::NOT_IN_YOUR_ACCESS))?;
    Ok((row, grant))
}

/// The person, kept by the caller's practice, with the caller's grant on them.
async fn kept(db: &impl ConnectionTrait, caller: &Caller, id: Uuid) -> AppResult<(patient::Model, Grant)> {
    let person = crate::auth::person(db, caller, id).await?;
    let grant = caller.may_keep_registration_of(&person)?;
    Ok((person, grant))
}

/// Changes a person's demographics and access needs.
pub async fn update(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    today: NaiveDate,
    id: Uuid,
    changes: PersonChanges,
) -> AppResult<(patient::Model, Grant)> {
    let txn = db.begin().await?;
    let (before, grant) = kept(&txn, caller, id).await?;
    let mut after = before.clone();
    if let Some(n) = &changes.nhs_number {
        after.nhs_number = checked_nhs_number(n)?;
        check_number_free(&txn, &after.nhs_number, Some(id)).await?;
    }
    if let Some(n) = &changes.given_name {
        after.given_name = checked_name("givenName", n)?;
    }
    if let Some(n) = &changes.family_name {
        after.family_name = checked_name("familyName", n)?;
    }
    if let Some(d) = changes.date_of_birth {
        after.date_of_birth = checked_birth(d, today)?;
    }
    if let Some(s) = changes.sex {
        after.sex = s;
    }
    if let Some(p) = &changes.postcode {
        after.postcode = crate::directory::geo::normalise_postcode("postcode", p)?;
    }
    if let Some(d) = changes.deprivation_decile {
        after.deprivation_decile = checked_decile(d)?;
    }
    after.lives_alone = changes.lives_alone.unwrap_or(after.lives_alone);
    after.is_carer = changes.is_carer.unwrap_or(after.is_carer);
    after.hearing_impairment = changes.hearing_impairment.unwrap_or(after.hearing_impairment);
    after.visual_impairment = changes.visual_impairment.unwrap_or(after.visual_impairment);
    if let Some(l) = changes.interpreter_language {
        after.interpreter_language = checked_language(l)?;
    }
    if after == before {
        txn.commit().await?;
        return Ok((before, grant));
    }
    after.updated_at = Utc::now();
    let mut model = before.into_active_model();
    model.nhs_number = Set(after.nhs_number.clone());
    model.given_name = Set(after.given_name.clone());
    model.family_name = Set(after.family_name.clone());
    model.date_of_birth = Set(after.date_of_birth);
    model.sex = Set(after.sex);
    model.postcode = Set(after.postcode.clone());
    model.deprivation_decile = Set(after.deprivation_decile);
    model.lives_alone = Set(after.lives_alone);
    model.is_carer = Set(after.is_carer);
    model.hearing_impairment = Set(after.hearing_impairment);
    model.visual_impairment = Set(after.visual_impairment);
    model.interpreter_language = Set(after.interpreter_language.clone());
    model.updated_at = Set(after.updated_at);
    match model.update(&txn).await {
        Ok(_) => {}
        Err(e) if crate::open_key::taken(&e) => {
            return Err(AppError::conflict("that NHS number was given to another person a moment ago"))
        }
        Err(e) => return Err(e.into()),
    }
    txn.commit().await?;
    Ok((after, grant))
}

/// Records a coded long-term condition (from the catalogue) for a person.
pub async fn record_condition(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    today: NaiveDate,
    patient_id: Uuid,
    code: &str,
    diagnosed_on: Option<NaiveDate>,
) -> AppResult<(patient_condition::Model, Grant)> {
    let condition = crate::conditions::resolve(code).ok_or_else(|| {
        AppError::bad_input(
            "code",
            format!("{code:?} is not in the long-term condition catalogue (longTermConditions)"),
        )
    })?;
    if let Some(d) = diagnosed_on.filter(|d| *d > today) {
        return Err(AppError::bad_input("diagnosedOn", format!("{d} is in the future")));
    }
    let txn = db.begin().await?;
    let (person, grant) = kept(&txn, caller, patient_id).await?;
    caller.may_record_clinical()?;
    caller.patient_scope()?.check_condition_codes(std::slice::from_ref(&condition.snomed_code))?;
    let existing = patient_condition::Entity::find()
        .filter(patient_condition::Column::PatientId.eq(person.id))
        .filter(patient_condition::Column::SnomedCode.eq(condition.snomed_code.clone()))
        .one(&txn)
        .await?;
    if let Some(existing) = existing {
        return Err(AppError::conflict_with(
            format!("{} is already recorded for this person", condition.name),
            existing.id,
        ));
    }
    let row = patient_condition::Model {
        id: Uuid::now_v7(),
        patient_id: person.id,
        snomed_code: condition.snomed_code.clone(),
        diagnosed_on,
        recorded_at: Utc::now(),
        recorded_by: Some(caller.practitioner_id),
    };
    patient_condition::Entity::insert(row.clone().into_active_model()).exec_without_returning(&txn).await?;
    touch(&txn, person.id).await?;
    txn.commit().await?;
    Ok((row, grant))
}

pub(crate) async fn touch(db: &impl ConnectionTrait, id: Uuid) -> AppResult<()> {
    patient::Entity::update_many()
        .col_expr(patient::Column::UpdatedAt, sea_orm::sea_query::Expr::value(Utc::now()))
        .filter(patient::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// A frailty measure to record.
#[derive(Debug, Clone, Copy)]
pub enum FrailtyMeasure {
    /// The electronic Frailty Index from the practice system: 0 to 1, and the day it was calculated.
    Efi { score: f64, calculated_on: NaiveDate },
    /// The Clinical Frailty Scale (1 to 9) a clinician assessed, and when.
    Cfs { value: i16, assessed_on: NaiveDate },
}

/// Refuses an eFI score outside 0 to 1, or calculated in the future.
pub(crate) fn checked_efi(score: f64, calculated_on: NaiveDate, today: NaiveDate) -> AppResult<()> {
    if !(0.0..=1.0).contains(&score) {
        return Err(AppError::bad_input("score", "an eFI score is between 0 and 1 (deficits present / 36)"));
    }
    if calculated_on > today {
        return Err(AppError::bad_input("calculatedOn", format!("{calculated_on} is in the future")));
    }
    Ok(())
}

/// Records a frailty measure for a person, with who recorded it.
pub async fn record_frailty(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    today: NaiveDate,
    patient_id: Uuid,
    measure: FrailtyMeasure,
) -> AppResult<(patient::Model, Grant)> {
    let txn = db.begin().await?;
    let (person, grant) = kept(&txn, caller, patient_id).await?;
    let mut model = person.clone().into_active_model();
    match measure {
        FrailtyMeasure::Efi { score, calculated_on } => {
            caller.may_record_clinical()?;
            checked_efi(score, calculated_on, today)?;
            model.efi_score = Set(Some(score));
            model.efi_calculated_on = Set(Some(calculated_on));
            model.efi_recorded_by = Set(Some(caller.practitioner_id));
        }
        FrailtyMeasure::Cfs { value, assessed_on } => {
            caller.may_assess_frailty()?;
            if !(1..=9).contains(&value) {
                return Err(AppError::bad_input(
                    "value",
                    "the Clinical Frailty Scale runs from 1 (very fit) to 9 (terminally ill)",
                ));
            }
            if assessed_on > today {
                return Err(AppError::bad_input("assessedOn", format!("{assessed_on} is in the future")));
            }
            model.clinical_frailty_scale = Set(Some(value));
            model.cfs_assessed_on = Set(Some(assessed_on));
            model.cfs_assessed_by = Set(Some(caller.practitioner_id));
        }
    }
    model.updated_at = Set(Utc::now());
    let after = model.update(&txn).await?;
    txn.commit().await?;
    Ok((after, grant))
}
