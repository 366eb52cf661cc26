//! An organisation's staff list (CSV), imported by an administrator: each row creates the
//! practitioner, updates them, or leaves them as they are, matched on the organisation's ODS code
//! and its own staff reference. Columns (docs/import-formats.md):
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `ods_code` | yes | the organisation they work for |
//! | `staff_ref` | yes | the organisation's reference for them (unique within it) |
//! | `given_name`, `family_name` | yes | |
//! | `role` | yes | professional role, as stored (`practice_nurse`) or as the API names it (`PRACTICE_NURSE`) |
//! | `fte` | yes | whole-time equivalent, above 0 and at most 1 |
//! | `caseload_capacity` | no | people they can hold at once (empty: left as stored) |
//! | `identity_subject` | no | the `sub` of their tokens from the identity provider (empty: left as stored) |
//! | `active` | no | `yes` (default) or `no`: `no` deactivates them |

use std::collections::{HashMap, HashSet};
use std::io::Read;

use sea_orm::{ActiveEnum, ConnectionTrait, TransactionSession, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use entity::{practitioner, ProfessionalRole};

use super::{refused, FileRefused, ImportReport, Mode, Outcome, RowReport, RowSink, Tally};
use crate::administration::practitioners::{self, NewPractitioner, PractitionerChanges};
use crate::administration::{organisations, record, Actor, Subject};
use crate::auth::Caller;
use crate::error::AppError;

/// The columns, in the order the documentation lists them.
pub const COLUMNS: [&str; 9] = [
    "ods_code",
    "staff_ref",
    "given_name",
    "family_name",
    "role",
    "fte",
    "caseload_capacity",
    "identity_subject",
    "active",
];
const REQUIRED: [&str; 6] = ["ods_code", "staff_ref", "given_name", "family_name", "role", "fte"];

/// The API's field names → the file's columns, for naming what a refused row got wrong.
const FIELDS: [(&str, &str); 9] = [
    ("organisationId", "ods_code"),
    ("odsCode", "ods_code"),
    ("staffRef", "staff_ref"),
    ("givenName", "given_name"),
    ("familyName", "family_name"),
    ("professionalRole", "role"),
    ("fte", "fte"),
    ("caseloadCapacity", "caseload_capacity"),
    ("identitySubject", "identity_subject"),
];

/// One row as read.
struct Row {
    values: HashMap<&'static str, String>,
}

impl Row {
    fn get(&self, column: &str) -> Option<&str> {
        self.values.get(column).map(String::as_str).map(str::trim).filter(|v| !v.is_empty())
    }
}

fn bad(column: &str, value: Option<&str>, reason: impl Into<String>) -> Outcome {
    Outcome::Refused { column: Some(column.to_owned()), value: value.map(str::to_owned), reason: reason.into() }
}

fn parse_role(text: &str) -> Option<ProfessionalRole> {
    ProfessionalRole::try_from_value(&text.trim().to_ascii_lowercase()).ok()
}

/// What the file says about one practitioner, checked for form.
struct Wanted {
    staff_ref: String,
    given_name: String,
    family_name: String,
    role: ProfessionalRole,
    fte: f64,
    caseload_capacity: Option<i32>,
    identity_subject: Option<String>,
    active: bool,
}

fn wanted(row: &Row) -> Result<Wanted, Outcome> {
    let required = |column: &str| row.get(column).ok_or_else(|| bad(column, None, "required"));
    let role_text = required("role")?;
    let role = parse_role(role_text).ok_or_else(|| {
        let known: Vec<String> = <ProfessionalRole as sea_orm::Iterable>::iter().map(|r| r.to_value()).collect();
        bad("role", Some(role_text), format!("not a professional role; expected one of {}", known.join(", ")))
    })?;
    let fte_text = required("fte")?;
    let fte: f64 = fte_text.parse().map_err(|_| bad("fte", Some(fte_text), "not a number (e.g. 0.8)"))?;
    let caseload_capacity = match row.get("caseload_capacity") {
        None => None,
        Some(text) => {
            Some(text.parse::<i32>().map_err(|_| bad("caseload_capacity", Some(text), "not a whole number"))?)
        }
    };
    let active = match row.get("active").map(str::to_ascii_lowercase).as_deref() {
        None | Some("yes" | "y" | "true" | "1") => true,
        Some("no" | "n" | "false" | "0") => false,
        Some(_) => return Err(bad("active", row.get("active"), "expected yes or no")),
    };
    Ok(Wanted {
        staff_ref: required("staff_ref")?.to_owned(),
        given_name: required("given_name")?.to_owned(),
        family_name: required("family_name")?.to_owned(),
        role,
        fte,
        caseload_capacity,
        identity_subject: row.get("identity_subject").map(str::to_owned),
        active,
    })
}

/// The changes that bring `existing` to what the file says (the names of the fields changed).
fn changes(existing: &practitioner::Model, w: &Wanted) -> (PractitionerChanges, Vec<String>) {
    let mut c = PractitionerChanges::default();
    let mut fields = Vec::new();
    if existing.given_name != w.given_name {
        c.given_name = Some(w.given_name.clone());
        fields.push("given_name".to_owned());
    }
    if existing.family_name != w.family_name {
        c.family_name = Some(w.family_name.clone());
        fields.push("family_name".to_owned());
    }
    if existing.professional_role != w.role {
        c.professional_role = Some(w.role);
        fields.push("role".to_owned());
    }
    if (existing.fte - w.fte).abs() > 1e-9 {
        c.fte = Some(w.fte);
        fields.push("fte".to_owned());
    }
    // An empty optional cell leaves what is stored: a list from HR rarely knows the identity an
    // administrator gave someone, and must not sign them out.
    if w.caseload_capacity.is_some() && existing.caseload_capacity != w.caseload_capacity {
        c.caseload_capacity = Some(w.caseload_capacity);
        fields.push("caseload_capacity".to_owned());
    }
    if w.identity_subject.is_some() && existing.identity_subject != w.identity_subject {
        c.identity_subject = Some(w.identity_subject.clone());
        fields.push("identity_subject".to_owned());
    }
    (c, fields)
}

/// Imports a staff list read from `input` (CSV with a header row) as `caller`, each row's report
/// going to `sink` as it is decided. A file that cannot be read as a staff list
/// at all (no header, a required column missing, a caller who may not administer) is refused
/// whole, before any row.
pub async fn import(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    input: impl Read,
    source: &str,
    mode: Mode,
    sink: &mut dyn RowSink,
) -> Result<ImportReport, FileRefused> {
    caller.administration().map_err(FileRefused)?;
    let mut reader = csv::ReaderBuilder::new().flexible(false).trim(csv::Trim::All).from_reader(input);
    let header = super::read_header(&mut reader, "a staff list", &REQUIRED, &COLUMNS)?;
    let internal = |e: AppError| FileRefused(e);
    let txn = db.begin().await.map_err(|e| internal(e.into()))?;
    let mut rows = Tally::new(sink);
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let mut organisations_by_code: HashMap<String, Option<Uuid>> = HashMap::new();
    let mut record_buf = csv::StringRecord::new();
    loop {
        let line = reader.position().line() + 1;
        match reader.read_record(&mut record_buf) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let outcome =
                    Outcome::Refused { column: None, value: None, reason: format!("the row cannot be read: {e}") };
                rows.row(
                    RowReport { line, key: String::new(), about: String::new(), outcome },
                    reader.position().byte(),
                );
                continue;
            }
        }
        let line = record_buf.position().map_or(line, |p| p.line());
        let mut values = HashMap::new();
        for (name, value) in header.iter().zip(record_buf.iter()) {
            if let Some(column) = COLUMNS.iter().find(|c| **c == name.as_str()) {
                values.insert(*column, value.to_owned());
            }
        }
        let row = Row { values };
        let code = row.get("ods_code").unwrap_or_default().to_ascii_uppercase();
        let staff_ref = row.get("staff_ref").unwrap_or_default().to_owned();
        let key = format!("{code}/{staff_ref}");
        let about =
            format!("{} {}", row.get("given_name").unwrap_or_default(), row.get("family_name").unwrap_or_default())
                .trim()
                .to_owned();
        let outcome = one_row(&txn, caller, &row, &code, &staff_ref, &mut seen, &mut organisations_by_code).await;
        rows.row(RowReport { line, key, about, outcome }, reader.position().byte());
    }
    let counts = rows.counts;
    let mut report = ImportReport { kind: "staff", dry_run: mode == Mode::DryRun, stored: false, counts };
    if mode == Mode::Apply && counts.refused == 0 {
        // An organisation's administrator imports their own staff: the import is in their trail.
        let organisation_id = match caller.administration() {
            Ok(crate::auth::policy::AdminScope::Organisation(id)) => Some(id),
            _ => None,
        };
        let subject = Subject { kind: "import", id: Uuid::now_v7(), organisation_id };
        let summary = format!(
            "imported the staff list {source}: {} rows, {} created, {} updated, {} unchanged",
            counts.rows(),
            counts.created,
            counts.updated,
            counts.unchanged
        );
        record(
            &txn,
            Actor::of(caller),
            "import.staff",
            subject,
            summary,
            json!({ "source": source, "counts": counts }),
        )
        .await
        .map_err(internal)?;
        txn.commit().await.map_err(|e| internal(e.into()))?;
        report.stored = true;
    } else {
        txn.rollback().await.map_err(|e| internal(e.into()))?;
    }
    Ok(report)
}

async fn one_row(
    txn: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    row: &Row,
    code: &str,
    staff_ref: &str,
    seen: &mut HashSet<(String, String)>,
    organisations_by_code: &mut HashMap<String, Option<Uuid>>,
) -> Outcome {
    if code.is_empty() {
        return bad("ods_code", None, "required");
    }
    if staff_ref.is_empty() {
        return bad("staff_ref", None, "required");
    }
    if !seen.insert((code.to_owned(), staff_ref.to_owned())) {
        return bad(
            "staff_ref",
            Some(staff_ref),
            format!("an earlier row of the file has the same staff_ref at {code}"),
        );
    }
    let organisation_id = match organisations_by_code.get(code) {
        Some(found) => *found,
        None => {
            let found = match organisations::by_ods_code(txn, code).await {
                Ok(found) => found.map(|o| o.id),
                Err(e) => return refused(&e, &FIELDS, |_| None),
            };
            organisations_by_code.insert(code.to_owned(), found);
            found
        }
    };
    let Some(organisation_id) = organisation_id else {
        return bad("ods_code", Some(code), "no organisation has this ODS code; an administrator adds it first");
    };
    let w = match wanted(row) {
        Ok(w) => w,
        Err(outcome) => return outcome,
    };
    let value_of = |column: &str| row.get(column).map(str::to_owned);
    let existing = match practitioners::by_staff_ref(txn, organisation_id, staff_ref).await {
        Ok(existing) => existing,
        Err(e) => return refused(&e, &FIELDS, value_of),
    };
    match existing {
        None => {
            let new = NewPractitioner {
                given_name: w.given_name.clone(),
                family_name: w.family_name.clone(),
                professional_role: w.role,
                organisation_id,
                fte: w.fte,
                caseload_capacity: w.caseload_capacity,
                identity_subject: w.identity_subject.clone(),
                staff_ref: Some(w.staff_ref.clone()),
            };
            let created = match practitioners::create(txn, caller, new).await {
                Ok(created) => created,
                Err(e) => return refused(&e, &FIELDS, value_of),
            };
            if !w.active {
                if let Err(e) =
                    practitioners::deactivate(txn, caller, created.id, Some("staff list import".to_owned())).await
                {
                    return refused(&e, &FIELDS, value_of);
                }
            }
            Outcome::Created
        }
        Some(existing) => {
            let (c, mut fields) = changes(&existing, &w);
            if !fields.is_empty() {
                if let Err(e) = practitioners::update(txn, caller, existing.id, c).await {
                    return refused(&e, &FIELDS, value_of);
                }
            }
            if existing.active != w.active {
                let result = if w.active {
                    practitioners::reactivate(txn, caller, existing.id).await.map(|_| ())
                } else {
                    practitioners::deactivate(txn, caller, existing.id, Some("staff list import".to_owned()))
                        .await
                        .map(|_| ())
                };
                if let Err(e) = result {
                    return refused(&e, &FIELDS, value_of);
                }
                fields.push("active".to_owned());
            }
            if fields.is_empty() {
                Outcome::Unchanged
            } else {
                Outcome::Updated { fields }
            }
        }
    }
}
