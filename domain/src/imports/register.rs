//! A GP practice's register (CSV), imported by the practice's own staff: each row registers the
//! person at the practice, brings their record up to date, or leaves it as it is, matched on the
//! NHS number. Columns (docs/import-formats.md):
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `nhs_number` | yes | ten digits, Modulus 11 checked (spaces allowed) |
//! | `given_name`, `family_name` | yes | |
//! | `date_of_birth` | yes | `YYYY-MM-DD` or `DD/MM/YYYY` |
//! | `sex` | yes | `female`, `male`, `other`, `unknown` (or `F`, `M`, `U`) |
//! | `postcode` | yes | a UK postcode |
//! | `deprivation_decile` | no | IMD decile of the postcode, 1 (most deprived) to 10 |
//! | `lives_alone`, `is_carer`, `hearing_impairment`, `visual_impairment` | no | `yes` or `no` |
//! | `interpreter_language` | no | the language, when an interpreter is needed |
//! | `conditions` | no | SNOMED CT codes (or catalogue keys) of long-term conditions, `;`-separated |
//! | `efi_score`, `efi_calculated_on` | no | the electronic Frailty Index (0 to 1) and its date, together |
//!
//! A column the file leaves out leaves what is stored; a column it has is the practice system's
//! word, an empty cell included (no interpreter, not a carer). Conditions are added, never removed:
//! a condition recorded in Neighbourhood stays until a clinician changes it. The clinical columns
//! (`conditions`, `efi_*`) are imported by roles that record what is clinical.
//!
//! Rows are read, checked and written a batch at a time (one look-up of the batch's NHS numbers,
//! one insert of its new people and one of its new conditions), so a register of any length is
//! imported in bounded memory: only the NHS numbers already seen are kept, to refuse a repeat.

use std::collections::{HashMap, HashSet};
use std::io::Read;

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, TransactionSession,
    TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use entity::{patient, patient_condition, Sex};

use super::{FileRefused, ImportReport, Mode, Outcome, RowReport, RowSink, Tally};
use crate::administration::{record, Actor, Subject};
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::nhs_number::NhsNumber;
use crate::patients::registration;

/// The columns, in the order the documentation lists them.
pub const COLUMNS: [&str; 15] = [
    "nhs_number",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "postcode",
    "deprivation_decile",
    "lives_alone",
    "is_carer",
    "hearing_impairment",
    "visual_impairment",
    "interpreter_language",
    "conditions",
    "efi_score",
    "efi_calculated_on",
];
const REQUIRED: [&str; 6] = ["nhs_number", "given_name", "family_name", "date_of_birth", "sex", "postcode"];
const CLINICAL: [&str; 3] = ["conditions", "efi_score", "efi_calculated_on"];
const FLAGS: [&str; 4] = ["lives_alone", "is_carer", "hearing_impairment", "visual_impairment"];

/// Rows checked and written together: one look-up and one insert each. 500 people of 26 columns
/// stay within both databases' limits on bound values.
const BATCH: usize = 500;
/// New conditions inserted by one statement (six columns each).
const CONDITIONS_BATCH: usize = 2_000;

fn bad(column: &str, value: Option<&str>, reason: impl Into<String>) -> Outcome {
    Outcome::Refused { column: Some(column.to_owned()), value: value.map(str::to_owned), reason: reason.into() }
}

/// The file's columns, by position.
struct Header {
    positions: HashMap<&'static str, usize>,
}

impl Header {
    fn has(&self, column: &str) -> bool {
        self.positions.contains_key(column)
    }
}

/// One row as read: its cells by column.
struct Cells<'a> {
    header: &'a Header,
    record: &'a csv::StringRecord,
}

impl Cells<'_> {
    /// The cell, trimmed; `None` when empty or when the file has no such column.
    fn get(&self, column: &str) -> Option<&str> {
        let at = *self.header.positions.get(column)?;
        self.record.get(at).map(str::trim).filter(|v| !v.is_empty())
    }

    fn required(&self, column: &str) -> Result<&str, Outcome> {
        self.get(column).ok_or_else(|| bad(column, None, "required"))
    }

    /// A yes/no cell: `None` when the file has no such column (left as stored).
    fn flag(&self, column: &str) -> Result<Option<bool>, Outcome> {
        if !self.header.has(column) {
            return Ok(None);
        }
        match self.get(column).map(str::to_ascii_lowercase).as_deref() {
            None | Some("no" | "n" | "false" | "0") => Ok(Some(false)),
            Some("yes" | "y" | "true" | "1") => Ok(Some(true)),
            Some(_) => Err(bad(column, self.get(column), "expected yes or no")),
        }
    }
}

/// What the file says about one person, checked for form.
struct Wanted {
    nhs_number: String,
    given_name: String,
    family_name: String,
    date_of_birth: NaiveDate,
    sex: Sex,
    postcode: String,
    /// `None`: the file has no such column.
    deprivation_decile: Option<Option<i16>>,
    flags: [Option<bool>; 4],
    interpreter_language: Option<Option<String>>,
    /// Catalogue codes, without repeats, in the file's order.
    conditions: Vec<String>,
    efi: Option<(f64, NaiveDate)>,
}

fn parse_date(column: &str, text: &str) -> Result<NaiveDate, Outcome> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d/%m/%Y"))
        .map_err(|_| bad(column, Some(text), "not a date: expected YYYY-MM-DD or DD/MM/YYYY"))
}

fn parse_sex(text: &str) -> Option<Sex> {
    match text.to_ascii_lowercase().as_str() {
        "female" | "f" => Some(Sex::Female),
        "male" | "m" => Some(Sex::Male),
        "other" | "o" | "i" | "indeterminate" => Some(Sex::Other),
        "unknown" | "u" | "not known" => Some(Sex::Unknown),
        _ => None,
    }
}

/// The API's field names → the file's columns, for naming what a refused row got wrong.
const FIELDS: [(&str, &str); 10] = [
    ("nhsNumber", "nhs_number"),
    ("givenName", "given_name"),
    ("familyName", "family_name"),
    ("dateOfBirth", "date_of_birth"),
    ("postcode", "postcode"),
    ("deprivationDecile", "deprivation_decile"),
    ("interpreterLanguage", "interpreter_language"),
    ("code", "conditions"),
    ("score", "efi_score"),
    ("calculatedOn", "efi_calculated_on"),
];

/// A refusal from a domain check: the column it names, and the row's value there.
fn refused_by(error: AppError, cells: &Cells<'_>) -> Outcome {
    super::refused(&error, &FIELDS, |column| cells.get(column).map(str::to_owned))
}

fn wanted(cells: &Cells<'_>, caller: &Caller, today: NaiveDate) -> Result<Wanted, Outcome> {
    let number_text = cells.required("nhs_number")?;
    let nhs_number =
        NhsNumber::parse(number_text).map_err(|e| bad("nhs_number", Some(number_text), e.to_string()))?.as_digits();
    let by = |e: AppError| refused_by(e, cells);
    let given_name = registration::checked_name("givenName", cells.required("given_name")?).map_err(by)?;
    let family_name = registration::checked_name("familyName", cells.required("family_name")?).map_err(by)?;
    let birth_text = cells.required("date_of_birth")?;
    let date_of_birth = registration::checked_birth(parse_date("date_of_birth", birth_text)?, today).map_err(by)?;
    let sex_text = cells.required("sex")?;
    let sex = parse_sex(sex_text)
        .ok_or_else(|| bad("sex", Some(sex_text), "expected female, male, other or unknown (or F, M, U)"))?;
    let postcode = crate::directory::geo::normalise_postcode("postcode", cells.required("postcode")?).map_err(by)?;
    let deprivation_decile = if cells.header.has("deprivation_decile") {
        let decile = match cells.get("deprivation_decile") {
            None => None,
            Some(text) => {
                Some(text.parse::<i16>().map_err(|_| bad("deprivation_decile", Some(text), "not a whole number"))?)
            }
        };
        Some(registration::checked_decile(decile).map_err(by)?)
    } else {
        None
    };
    let mut flags = [None; 4];
    for (flag, column) in flags.iter_mut().zip(FLAGS) {
        *flag = cells.flag(column)?;
    }
    let interpreter_language = if cells.header.has("interpreter_language") {
        Some(registration::checked_language(cells.get("interpreter_language").map(str::to_owned)).map_err(by)?)
    } else {
        None
    };
    let mut conditions: Vec<String> = Vec::new();
    for code in cells.get("conditions").unwrap_or_default().split(';').map(str::trim).filter(|c| !c.is_empty()) {
        let condition = crate::conditions::resolve(code).ok_or_else(|| {
            bad("conditions", Some(code), "not in the long-term condition catalogue (longTermConditions)")
        })?;
        if !conditions.contains(&condition.snomed_code) {
            conditions.push(condition.snomed_code.clone());
        }
    }
    if let Err(e) = caller.patient_scope().and_then(|scope| scope.check_condition_codes(&conditions)) {
        return Err(bad("conditions", cells.get("conditions"), e.client_message()));
    }
    let efi = match (cells.get("efi_score"), cells.get("efi_calculated_on")) {
        (None, None) => None,
        (Some(_), None) => return Err(bad("efi_calculated_on", None, "required with efi_score")),
        (None, Some(_)) => return Err(bad("efi_score", None, "required with efi_calculated_on")),
        (Some(score_text), Some(on_text)) => {
            let score: f64 =
                score_text.parse().map_err(|_| bad("efi_score", Some(score_text), "not a number (e.g. 0.19)"))?;
            let on = parse_date("efi_calculated_on", on_text)?;
            registration::checked_efi(score, on, today).map_err(by)?;
            Some((score, on))
        }
    };
    Ok(Wanted {
        nhs_number,
        given_name,
        family_name,
        date_of_birth,
        sex,
        postcode,
        deprivation_decile,
        flags,
        interpreter_language,
        conditions,
        efi,
    })
}

/// A row read, checked for form, waiting for its batch.
struct Pending {
    line: u64,
    key: String,
    about: String,
    bytes: u64,
    wanted: Result<Wanted, Outcome>,
}

/// Imports a practice register read from `input` (CSV with a header row) as `caller`, a member of
/// the practice's staff, each row's report going to `sink` as its batch is decided. A file that
/// cannot be read as a register at all (no header, a required column missing, a caller who may
/// not keep the practice's registrations, clinical columns from a role that does not record them)
/// is refused whole, before any row.
pub async fn import(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    input: impl Read,
    source: &str,
    mode: Mode,
    sink: &mut dyn RowSink,
) -> Result<ImportReport, FileRefused> {
    let practice_id = caller.organisation_id;
    caller.may_register_at(practice_id).map_err(FileRefused)?;
    let mut reader = csv::ReaderBuilder::new().flexible(false).trim(csv::Trim::All).from_reader(input);
    let names = super::read_header(&mut reader, "a register", &REQUIRED, &COLUMNS)?;
    let header = header(&names)?;
    if CLINICAL.iter().any(|c| header.has(c)) {
        caller.may_record_clinical().map_err(|e| {
            FileRefused(AppError::bad_input(
                "file",
                format!(
                    "the file has clinical columns ({}): {}; leave them out, or have a clinician import it",
                    CLINICAL.join(", "),
                    e.client_message()
                ),
            ))
        })?;
    }
    let internal = |e: AppError| FileRefused(e);
    let today = Utc::now().date_naive();
    let txn = db.begin().await.map_err(|e| internal(e.into()))?;
    let cache = ImportCache::widen(&txn).await.map_err(internal)?;
    let neighbourhood_id = registration::neighbourhood_of_practice(&txn, practice_id).await.map_err(internal)?;
    let mut rows = Tally::new(sink);
    let mut seen: HashSet<u64> = HashSet::new();
    let mut batch: Vec<Pending> = Vec::with_capacity(BATCH);
    let mut record_buf = csv::StringRecord::new();
    let context = Context { caller, practice_id, neighbourhood_id };
    loop {
        let line = reader.position().line() + 1;
        let read = reader.read_record(&mut record_buf);
        let bytes = reader.position().byte();
        match read {
            Ok(false) => break,
            Ok(true) => {
                let line = record_buf.position().map_or(line, |p| p.line());
                let cells = Cells { header: &header, record: &record_buf };
                let key: String = cells
                    .get("nhs_number")
                    .unwrap_or_default()
                    .chars()
                    .filter(|c| !c.is_whitespace() && *c != '-')
                    .collect();
                let about = format!(
                    "{} {}",
                    cells.get("given_name").unwrap_or_default(),
                    cells.get("family_name").unwrap_or_default()
                )
                .trim()
                .to_owned();
                let wanted = wanted(&cells, caller, today).and_then(|w| {
                    let number: u64 = w.nhs_number.parse().unwrap_or_default();
                    if seen.insert(number) {
                        Ok(w)
                    } else {
                        Err(bad("nhs_number", Some(&w.nhs_number), "an earlier row of the file has this NHS number"))
                    }
                });
                batch.push(Pending { line, key, about, bytes, wanted });
            }
            Err(e) => {
                let outcome =
                    Outcome::Refused { column: None, value: None, reason: format!("the row cannot be read: {e}") };
                batch.push(Pending { line, key: String::new(), about: String::new(), bytes, wanted: Err(outcome) });
            }
        }
        if batch.len() == BATCH {
            write_batch(&txn, &context, std::mem::take(&mut batch), &mut rows).await.map_err(internal)?;
        }
    }
    write_batch(&txn, &context, batch, &mut rows).await.map_err(internal)?;
    let counts = rows.counts;
    let mut report = ImportReport { kind: "register", dry_run: mode == Mode::DryRun, stored: false, counts };
    if mode == Mode::Apply && counts.refused == 0 {
        let subject = Subject { kind: "import", id: Uuid::now_v7(), organisation_id: Some(practice_id) };
        let summary = format!(
            "imported the register {source}: {} rows, {} registered, {} updated, {} unchanged",
            counts.rows(),
            counts.created,
            counts.updated,
            counts.unchanged
        );
        record(
            &txn,
            Actor::of(caller),
            "import.register",
            subject,
            summary,
            json!({ "source": source, "counts": counts }),
        )
        .await
        .map_err(internal)?;
        cache.restore(&txn).await.map_err(internal)?;
        txn.commit().await.map_err(|e| internal(e.into()))?;
        report.stored = true;
    } else {
        cache.restore(&txn).await.map_err(internal)?;
        txn.rollback().await.map_err(|e| internal(e.into()))?;
    }
    Ok(report)
}

/// SQLite's page cache for the import's connection: its default (2 MiB) holds a few thousand
/// pages, and a register's inserts land all over the NHS-number and name indexes, so a long file
/// would read and write the same pages again and again. The import widens it to 64 MiB while it
/// runs and, when it ends with a report, gives the pooled connection back as it found it.
/// PostgreSQL sizes its own.
struct ImportCache(Option<i64>);

impl ImportCache {
    const KIB: i64 = 64 * 1024;

    async fn widen(db: &impl ConnectionTrait) -> AppResult<Self> {
        if db.get_database_backend() != sea_orm::DatabaseBackend::Sqlite {
            return Ok(Self(None));
        }
        let before = db
            .query_one_raw(sea_orm::Statement::from_string(sea_orm::DatabaseBackend::Sqlite, "PRAGMA cache_size"))
            .await?
            .map(|row| row.try_get_by_index::<i64>(0))
            .transpose()?;
        db.execute_unprepared(&format!("PRAGMA cache_size = -{}", Self::KIB)).await?;
        Ok(Self(before))
    }

    async fn restore(&self, db: &impl ConnectionTrait) -> AppResult<()> {
        if let Some(before) = self.0 {
            db.execute_unprepared(&format!("PRAGMA cache_size = {before}")).await?;
        }
        Ok(())
    }
}

/// The positions of the file's columns (already checked by `read_header`).
fn header(names: &[String]) -> Result<Header, FileRefused> {
    let mut positions = HashMap::new();
    for (at, name) in names.iter().enumerate() {
        if let Some(column) = COLUMNS.iter().find(|c| **c == name.as_str()) {
            if positions.insert(*column, at).is_some() {
                return Err(FileRefused(AppError::bad_input("file", format!("the header has {column} twice"))));
            }
        }
    }
    Ok(Header { positions })
}

/// What every batch shares.
struct Context<'a> {
    caller: &'a Caller,
    practice_id: Uuid,
    neighbourhood_id: Uuid,
}

/// Decides a batch's rows against what is stored, writes them, and reports them in file order.
async fn write_batch(
    txn: &impl ConnectionTrait,
    context: &Context<'_>,
    batch: Vec<Pending>,
    rows: &mut Tally<'_>,
) -> AppResult<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let numbers: Vec<String> =
        batch.iter().filter_map(|p| p.wanted.as_ref().ok()).map(|w| w.nhs_number.clone()).collect();
    let existing: HashMap<String, patient::Model> = if numbers.is_empty() {
        HashMap::new()
    } else {
        patient::Entity::find()
            .filter(patient::Column::NhsNumber.is_in(numbers))
            .all(txn)
            .await?
            .into_iter()
            .map(|p| (p.nhs_number.clone(), p))
            .collect()
    };
    let ours: Vec<Uuid> =
        existing.values().filter(|p| p.registered_practice_id == context.practice_id).map(|p| p.id).collect();
    let mut recorded: HashMap<Uuid, HashSet<String>> = HashMap::new();
    if !ours.is_empty() {
        for c in
            patient_condition::Entity::find().filter(patient_condition::Column::PatientId.is_in(ours)).all(txn).await?
        {
            recorded.entry(c.patient_id).or_default().insert(c.snomed_code);
        }
    }
    let now = Utc::now();
    let caller_id = context.caller.practitioner_id;
    let mut new_people: Vec<patient::ActiveModel> = Vec::new();
    let mut new_conditions: Vec<patient_condition::ActiveModel> = Vec::new();
    let mut reports = Vec::with_capacity(batch.len());
    for pending in batch {
        let outcome = match pending.wanted {
            Err(outcome) => outcome,
            Ok(w) => {
                let add_conditions = |patient_id: Uuid, have: Option<&HashSet<String>>, out: &mut Vec<_>| {
                    let mut added = 0;
                    for code in w.conditions.iter().filter(|c| have.is_none_or(|h| !h.contains(*c))) {
                        out.push(
                            patient_condition::Model {
                                id: Uuid::now_v7(),
                                patient_id,
                                snomed_code: code.clone(),
                                diagnosed_on: None,
                                recorded_at: now,
                                recorded_by: Some(caller_id),
                            }
                            .into_active_model(),
                        );
                        added += 1;
                    }
                    added
                };
                match existing.get(&w.nhs_number) {
                    Some(person) if person.registered_practice_id != context.practice_id => bad(
                        "nhs_number",
                        Some(&w.nhs_number),
                        format!(
                            "a person with this NHS number is registered at another practice ({}); a change of practice is not imported",
                            person.id
                        ),
                    ),
                    Some(person) => {
                        let (after, mut fields) = changed(person, &w, caller_id);
                        if add_conditions(person.id, recorded.get(&person.id), &mut new_conditions) > 0 {
                            fields.push("conditions".to_owned());
                        }
                        if after != *person {
                            let mut after = after;
                            after.updated_at = now;
                            // Every column written: the row as the file leaves it.
                            after.into_active_model().reset_all().update(txn).await?;
                        } else if !fields.is_empty() {
                            registration::touch(txn, person.id).await?;
                        }
                        if fields.is_empty() {
                            Outcome::Unchanged
                        } else {
                            Outcome::Updated { fields }
                        }
                    }
                    None => {
                        let id = Uuid::now_v7();
                        add_conditions(id, None, &mut new_conditions);
                        new_people.push(new_person(id, &w, context, now).into_active_model());
                        Outcome::Created
                    }
                }
            }
        };
        reports
            .push((RowReport { line: pending.line, key: pending.key, about: pending.about, outcome }, pending.bytes));
    }
    if !new_people.is_empty() {
        match patient::Entity::insert_many(new_people).exec_without_returning(txn).await {
            Ok(_) => {}
            Err(e) if crate::open_key::taken(&e) => {
                return Err(AppError::conflict(
                    "a person in this batch was registered by someone else a moment ago; import the file again",
                ))
            }
            Err(e) => return Err(e.into()),
        }
    }
    // A row may list many conditions: their inserts are bounded on their own.
    let mut new_conditions = new_conditions.into_iter().peekable();
    while new_conditions.peek().is_some() {
        let chunk: Vec<_> = new_conditions.by_ref().take(CONDITIONS_BATCH).collect();
        patient_condition::Entity::insert_many(chunk).exec_without_returning(txn).await?;
    }
    for (report, bytes) in reports {
        rows.row(report, bytes);
    }
    Ok(())
}

fn new_person(id: Uuid, w: &Wanted, context: &Context<'_>, now: chrono::DateTime<Utc>) -> patient::Model {
    let [lives_alone, is_carer, hearing, visual] = w.flags;
    patient::Model {
        id,
        nhs_number: w.nhs_number.clone(),
        given_name: w.given_name.clone(),
        family_name: w.family_name.clone(),
        date_of_birth: w.date_of_birth,
        sex: w.sex,
        postcode: w.postcode.clone(),
        deprivation_decile: w.deprivation_decile.flatten(),
        registered_practice_id: context.practice_id,
        neighbourhood_id: context.neighbourhood_id,
        efi_score: w.efi.map(|(score, _)| score),
        efi_calculated_on: w.efi.map(|(_, on)| on),
        clinical_frailty_scale: None,
        cfs_assessed_on: None,
        lives_alone: lives_alone.unwrap_or(false),
        is_carer: is_carer.unwrap_or(false),
        hearing_impairment: hearing.unwrap_or(false),
        visual_impairment: visual.unwrap_or(false),
        interpreter_language: w.interpreter_language.clone().flatten(),
        national_data_opt_out: false,
        objects_to_sharing: false,
        created_at: now,
        updated_at: now,
        efi_recorded_by: w.efi.map(|_| context.caller.practitioner_id),
        cfs_assessed_by: None,
    }
}

/// The person as the file says they are, and the names of the columns that changed.
fn changed(person: &patient::Model, w: &Wanted, caller_id: Uuid) -> (patient::Model, Vec<String>) {
    let mut after = person.clone();
    let mut fields = Vec::new();
    let mut set = |column: &str, differs: bool| {
        if differs {
            fields.push(column.to_owned());
        }
    };
    set("given_name", after.given_name != w.given_name);
    after.given_name.clone_from(&w.given_name);
    set("family_name", after.family_name != w.family_name);
    after.family_name.clone_from(&w.family_name);
    set("date_of_birth", after.date_of_birth != w.date_of_birth);
    after.date_of_birth = w.date_of_birth;
    set("sex", after.sex != w.sex);
    after.sex = w.sex;
    set("postcode", after.postcode != w.postcode);
    after.postcode.clone_from(&w.postcode);
    if let Some(decile) = w.deprivation_decile {
        set("deprivation_decile", after.deprivation_decile != decile);
        after.deprivation_decile = decile;
    }
    let stored =
        [&mut after.lives_alone, &mut after.is_carer, &mut after.hearing_impairment, &mut after.visual_impairment];
    for ((value, wanted), column) in stored.into_iter().zip(w.flags).zip(FLAGS) {
        if let Some(wanted) = wanted {
            set(column, *value != wanted);
            *value = wanted;
        }
    }
    if let Some(language) = &w.interpreter_language {
        set("interpreter_language", after.interpreter_language != *language);
        after.interpreter_language.clone_from(language);
    }
    if let Some((score, on)) = w.efi {
        let differs = after.efi_score != Some(score) || after.efi_calculated_on != Some(on);
        set("efi", differs);
        if differs {
            after.efi_score = Some(score);
            after.efi_calculated_on = Some(on);
            after.efi_recorded_by = Some(caller_id);
        }
    }
    (after, fields)
}
