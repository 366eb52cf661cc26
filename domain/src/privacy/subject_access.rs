//! A person's own access trail for a subject access request (UK GDPR article 15): every audited
//! read of their record, oldest first, with who (name, role, organisation and its ODS code), when
//! (UK time), and why in words a person can read; reads under break-glass with its coded reason and
//! the practitioner's own words. Produced by the privacy officer of the person's neighbourhood, as
//! a CSV file to send and a summary per organisation to write the covering letter from.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use entity::{break_glass, patient, ProfessionalRole};

use crate::auth::{AccessReason, Caller};
use crate::break_glass::BreakGlassReason;
use crate::error::{AppError, AppResult};
use crate::sql::Sql;

/// One read of the person's record.
#[derive(Debug, Clone, PartialEq)]
pub struct SubjectAccessEntry {
    pub occurred_at: DateTime<Utc>,
    pub practitioner_id: Uuid,
    /// As the records say now ("a practitioner no longer recorded" when they are gone).
    pub practitioner_name: String,
    pub professional_role: String,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub ods_code: String,
    /// As stored (`AccessReason::as_str`).
    pub reason: String,
    /// For a read under break-glass: the use's coded reason and the practitioner's own words.
    pub break_glass: Option<(String, String)>,
}

/// The person's whole trail.
#[derive(Debug, Clone)]
pub struct SubjectAccessReport {
    pub person: patient::Model,
    pub generated_at: DateTime<Utc>,
    pub entries: Vec<SubjectAccessEntry>,
}

/// Every read of `person`'s record (in the officer's scope: `super::person_in_scope`), oldest
/// first. Two statements: the reads with who made them, and the person's break-glass uses.
pub async fn report(
    db: &impl ConnectionTrait,
    caller: &Caller,
    person: patient::Model,
    now: DateTime<Utc>,
) -> AppResult<SubjectAccessReport> {
    let scope = caller.review_scope()?;
    if !scope.covers(&person) {
        return Err(AppError::not_found("patient in the neighbourhoods you review", person.id));
    }
    let mut sql = Sql::new(db.get_database_backend());
    let statement = format!(
        "SELECT e.occurred_at AS occurred_at, e.practitioner_id AS practitioner_id, \
         e.professional_role AS professional_role, e.organisation_id AS organisation_id, \
         ep.access_reason AS access_reason, pr.given_name AS given_name, pr.family_name AS family_name, \
         o.name AS organisation_name, o.ods_code AS ods_code \
         FROM access_event_patient ep JOIN access_event e ON e.id = ep.event_id \
         LEFT JOIN practitioner pr ON pr.id = e.practitioner_id \
         LEFT JOIN organisation o ON o.id = e.organisation_id \
         WHERE ep.patient_id = {} ORDER BY ep.event_id",
        sql.bind(person.id)
    );
    let rows = sql.query_all(db, statement).await?;
    let uses = break_glass::Entity::find()
        .filter(break_glass::Column::PatientId.eq(person.id))
        .order_by_desc(break_glass::Column::StartedAt)
        .all(db)
        .await?;
    let mut entries = Vec::with_capacity(rows.len());
    for row in rows {
        let given: Option<String> = row.try_get("", "given_name")?;
        let family: Option<String> = row.try_get("", "family_name")?;
        let occurred_at: DateTime<Utc> = row.try_get("", "occurred_at")?;
        let practitioner_id: Uuid = row.try_get("", "practitioner_id")?;
        let reason: String = row.try_get("", "access_reason")?;
        let break_glass = (reason == AccessReason::BreakGlass.as_str())
            .then(|| uses.iter().find(|u| u.practitioner_id == practitioner_id && u.started_at <= occurred_at))
            .flatten()
            .map(|u| (u.reason.clone(), u.detail.clone()));
        entries.push(SubjectAccessEntry {
            occurred_at,
            practitioner_id,
            practitioner_name: match (given, family) {
                (Some(g), Some(f)) => format!("{g} {f}"),
                _ => "a practitioner no longer recorded".to_owned(),
            },
            professional_role: row.try_get("", "professional_role")?,
            organisation_id: row.try_get("", "organisation_id")?,
            organisation_name: row
                .try_get::<Option<String>>("", "organisation_name")?
                .unwrap_or_else(|| "an organisation no longer recorded".to_owned()),
            ods_code: row.try_get::<Option<String>>("", "ods_code")?.unwrap_or_default(),
            reason,
            break_glass,
        });
    }
    Ok(SubjectAccessReport { person, generated_at: now, entries })
}

impl SubjectAccessReport {
    /// The report as CSV, one read a line, oldest first. Columns: `when` (UK time,
    /// `YYYY-MM-DD HH:MM`), `organisation`, `ods_code`, `role`, `practitioner`, `why` (in words),
    /// `emergency_reason` and `emergency_statement` (break-glass only).
    pub fn to_csv(&self) -> AppResult<String> {
        let mut out = csv::Writer::from_writer(Vec::new());
        let internal = |e: csv::Error| AppError::internal(anyhow::anyhow!("writing the report: {e}"));
        out.write_record([
            "when",
            "organisation",
            "ods_code",
            "role",
            "practitioner",
            "why",
            "emergency_reason",
            "emergency_statement",
        ])
        .map_err(internal)?;
        for e in &self.entries {
            let when = e.occurred_at.with_timezone(&chrono_tz::Europe::London).format("%Y-%m-%d %H:%M").to_string();
            let why: &str = match AccessReason::from_stored(&e.reason) {
                Some(reason) => reason.in_words(),
                None => &e.reason,
            };
            let (emergency_reason, statement) = match &e.break_glass {
                Some((reason, detail)) => {
                    let words: &str = match BreakGlassReason::from_stored(reason) {
                        Some(coded) => coded.in_words(),
                        None => reason,
                    };
                    (words, detail.as_str())
                }
                None => ("", ""),
            };
            out.write_record([
                when.as_str(),
                &e.organisation_name,
                &e.ods_code,
                &role_in_words(&e.professional_role),
                &e.practitioner_name,
                why,
                emergency_reason,
                statement,
            ])
            .map_err(internal)?;
        }
        let bytes = out.into_inner().map_err(|e| AppError::internal(anyhow::anyhow!("writing the report: {e}")))?;
        String::from_utf8(bytes).map_err(|e| AppError::internal(anyhow::anyhow!("writing the report: {e}")))
    }
}

/// A professional role as a letter names it ("Social worker", "GP").
pub fn role_in_words(stored: &str) -> String {
    use sea_orm::ActiveEnum;
    match ProfessionalRole::try_from_value(&stored.to_owned()) {
        Ok(ProfessionalRole::Gp) => "GP".to_owned(),
        Ok(ProfessionalRole::IntCoordinator) => "Integrated neighbourhood team coordinator".to_owned(),
        Ok(ProfessionalRole::VcseWorker) => "Voluntary sector worker".to_owned(),
        _ => {
            let words = stored.replace('_', " ");
            let mut chars = words.chars();
            chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
        }
    }
}
