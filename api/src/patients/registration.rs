//! GraphQL for registering people and keeping their record current (`domain::patients::registration`):
//! by the staff of their GP practice. Each write is an audited read of the person, and returns
//! them under the practice's grant.

use async_graphql::{Context, InputObject, MaybeUndefined, Object, SimpleObject, ID};

use crate::context::{change, parse_id, request};
use crate::enums::Sex;
use crate::error::ApiResult;
use crate::patients::graphql::PatientCondition;
use crate::patients::PatientNode;
use crate::scalars;
use domain::auth::Grant;
use domain::error::AppError;
use domain::patients::registration::{self, AccessNeeds, FrailtyMeasure, NewPerson, PersonChanges};

#[derive(InputObject)]
pub struct RegisterPersonInput {
    /// Ten digits with a valid Modulus 11 check digit (spaces or dashes between groups allowed).
    pub nhs_number: String,
    /// 1 to 100 characters.
    pub given_name: String,
    /// 1 to 100 characters.
    pub family_name: String,
    /// Not in the future, not before 1890.
    pub date_of_birth: scalars::Date,
    pub sex: Sex,
    /// A UK postcode.
    pub postcode: String,
    /// The caller's own practice, which must take part in a neighbourhood.
    pub registered_practice_id: ID,
    /// Index of Multiple Deprivation decile, 1 (most deprived) to 10.
    pub deprivation_decile: Option<i16>,
    #[graphql(default)]
    pub lives_alone: bool,
    #[graphql(default)]
    pub is_carer: bool,
    #[graphql(default)]
    pub hearing_impairment: bool,
    #[graphql(default)]
    pub visual_impairment: bool,
    /// The language, when an interpreter is needed (at most 40 characters).
    pub interpreter_language: Option<String>,
}

/// Changes to a person's demographics and access needs: a field left out stays as it is, null
/// clears it where it may be cleared (deprivation decile, interpreter language).
#[derive(InputObject)]
pub struct UpdatePersonInput {
    pub patient_id: ID,
    pub nhs_number: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub date_of_birth: Option<scalars::Date>,
    pub sex: Option<Sex>,
    pub postcode: Option<String>,
    pub deprivation_decile: MaybeUndefined<i16>,
    pub lives_alone: Option<bool>,
    pub is_carer: Option<bool>,
    pub hearing_impairment: Option<bool>,
    pub visual_impairment: Option<bool>,
    pub interpreter_language: MaybeUndefined<String>,
}

#[derive(InputObject)]
pub struct RecordConditionInput {
    pub patient_id: ID,
    /// A SNOMED CT code or catalogue key of `longTermConditions`.
    pub code: String,
    /// When it was diagnosed (not in the future).
    pub diagnosed_on: Option<scalars::Date>,
}

#[derive(InputObject)]
pub struct RecordFrailtyInput {
    pub patient_id: ID,
    /// The electronic Frailty Index from the practice system, 0 to 1 (with `efiCalculatedOn`).
    pub efi_score: Option<f64>,
    pub efi_calculated_on: Option<scalars::Date>,
    /// The Clinical Frailty Scale, 1 to 9, assessed by the calling clinician (with `cfsAssessedOn`).
    pub clinical_frailty_scale: Option<i16>,
    pub cfs_assessed_on: Option<scalars::Date>,
}

#[derive(SimpleObject)]
pub struct PersonPayload {
    /// The person, under the caller's access (their practice's).
    pub patient: PatientNode,
}

#[derive(SimpleObject)]
pub struct RecordConditionPayload {
    pub condition: PatientCondition,
    pub patient: PatientNode,
}

/// The person as written, under the grant that let the caller write: an audited read of them.
async fn audited(ctx: &Context<'_>, (person, grant): (entity::patient::Model, Grant)) -> ApiResult<PatientNode> {
    request(ctx)?.audit_reads(ctx, &[(person.id, grant.reason())]).await?;
    Ok(PatientNode::new(person, grant))
}

#[derive(Default)]
pub struct RegistrationMutation;

#[Object]
impl RegistrationMutation {
    /// Registers a person at the caller's GP practice. A second person with the same NHS number is
    /// a CONFLICT naming the one registered (`extensions.existingId`).
    async fn register_person(&self, ctx: &Context<'_>, input: RegisterPersonInput) -> ApiResult<PersonPayload> {
        let req = request(ctx)?;
        let new = NewPerson {
            nhs_number: input.nhs_number,
            given_name: input.given_name,
            family_name: input.family_name,
            date_of_birth: input.date_of_birth.0,
            sex: input.sex.into(),
            postcode: input.postcode,
            registered_practice_id: parse_id("registeredPracticeId", &input.registered_practice_id)?,
            deprivation_decile: input.deprivation_decile,
            access: AccessNeeds {
                lives_alone: input.lives_alone,
                is_carer: input.is_carer,
                hearing_impairment: input.hearing_impairment,
                visual_impairment: input.visual_impairment,
                interpreter_language: input.interpreter_language,
            },
        };
        let written = registration::register(&req.db, &req.caller, req.today, new).await?;
        Ok(PersonPayload { patient: audited(ctx, written).await? })
    }

    /// Changes a person's demographics and access needs (their practice's staff).
    async fn update_person(&self, ctx: &Context<'_>, input: UpdatePersonInput) -> ApiResult<PersonPayload> {
        let req = request(ctx)?;
        let id = parse_id("patientId", &input.patient_id)?;
        let changes = PersonChanges {
            nhs_number: input.nhs_number,
            given_name: input.given_name,
            family_name: input.family_name,
            date_of_birth: input.date_of_birth.map(|d| d.0),
            sex: input.sex.map(Into::into),
            postcode: input.postcode,
            deprivation_decile: change(input.deprivation_decile),
            lives_alone: input.lives_alone,
            is_carer: input.is_carer,
            hearing_impairment: input.hearing_impairment,
            visual_impairment: input.visual_impairment,
            interpreter_language: change(input.interpreter_language),
        };
        let written = registration::update(&req.db, &req.caller, req.today, id, changes).await?;
        Ok(PersonPayload { patient: audited(ctx, written).await? })
    }

    /// Records a coded long-term condition, with who recorded it (practice staff whose role reads
    /// what is clinical; a sensitive one only by a role that reads it).
    async fn record_condition(
        &self,
        ctx: &Context<'_>,
        input: RecordConditionInput,
    ) -> ApiResult<RecordConditionPayload> {
        let req = request(ctx)?;
        let id = parse_id("patientId", &input.patient_id)?;
        let (condition, grant) = registration::record_condition(
            &req.db,
            &req.caller,
            req.today,
            id,
            &input.code,
            input.diagnosed_on.map(|d| d.0),
        )
        .await?;
        request(ctx)?.audit_reads(ctx, &[(id, grant.reason())]).await?;
        let patient = PatientNode::load_with(ctx, id, grant).await?;
        Ok(RecordConditionPayload { condition: PatientCondition(condition), patient })
    }

    /// Records the eFI from the practice system (roles that read what is clinical) or a Clinical
    /// Frailty Scale the calling clinician assessed; one of the two per call.
    async fn record_frailty(&self, ctx: &Context<'_>, input: RecordFrailtyInput) -> ApiResult<PersonPayload> {
        let req = request(ctx)?;
        let id = parse_id("patientId", &input.patient_id)?;
        let measure =
            match (input.efi_score, input.efi_calculated_on, input.clinical_frailty_scale, input.cfs_assessed_on) {
                (Some(score), Some(on), None, None) => FrailtyMeasure::Efi { score, calculated_on: on.0 },
                (None, None, Some(value), Some(on)) => FrailtyMeasure::Cfs { value, assessed_on: on.0 },
                (Some(_), None, None, None) => {
                    return Err(AppError::bad_input("efiCalculatedOn", "say when the eFI was calculated").into())
                }
                (None, None, Some(_), None) => {
                    return Err(AppError::bad_input("cfsAssessedOn", "say when the scale was assessed").into())
                }
                _ => {
                    return Err(AppError::bad_input(
                        "efiScore",
                        "give either efiScore with efiCalculatedOn, or clinicalFrailtyScale with cfsAssessedOn",
                    )
                    .into())
                }
            };
        let written = registration::record_frailty(&req.db, &req.caller, req.today, id, measure).await?;
        Ok(PersonPayload { patient: audited(ctx, written).await? })
    }
}
