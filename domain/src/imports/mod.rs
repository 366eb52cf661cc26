//! Imports of files a team already keeps (a staff list, a practice register; caseload spreadsheets
//! and directories to follow). Each goes through the same domain functions, access policy and audit as
//! the API, row by row, inside one transaction: a dry run reports what every row would do and stores
//! nothing; a real run stores the whole file or, when any row is refused, nothing. Rows are matched
//! on the source's own identifiers, so importing the same file again changes nothing.

pub mod register;
pub mod staff;

use std::fmt;

use serde::Serialize;

use crate::error::AppError;

/// Whether an import stores what it reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Report what every row would do; store nothing.
    DryRun,
    /// Store the whole file, or nothing when any row is refused.
    Apply,
}

/// What happened, or would happen, to one row.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Created,
    Updated { fields: Vec<String> },
    Unchanged,
    Refused { column: Option<String>, value: Option<String>, reason: String },
}

/// One row of the file and its outcome. `line` counts the header as line 1.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowReport {
    pub line: u64,
    /// The row's key in the source (e.g. `A81001/12345`).
    pub key: String,
    /// Whom or what the row is about, in words.
    pub about: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// What one import did, or would do: the counts of each outcome and whether anything was stored.
/// The rows themselves went to the import's [`RowSink`] as they were decided.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportReport {
    pub kind: &'static str,
    pub dry_run: bool,
    /// Whether the file's changes were stored (a real run with no row refused).
    pub stored: bool,
    pub counts: Counts,
}

/// How many rows had each outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub refused: usize,
}

impl Counts {
    pub fn rows(&self) -> usize {
        self.created + self.updated + self.unchanged + self.refused
    }

    fn add(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Created => self.created += 1,
            Outcome::Updated { .. } => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::Refused { .. } => self.refused += 1,
        }
    }
}

/// Where an import puts each row's report as soon as it is decided, so that a file of any length
/// is imported in bounded memory: the command line writes rows out, an upload keeps them for its
/// reply (an upload is bounded by the request's size).
pub trait RowSink: Send {
    /// `bytes` is how far into the file the import has read.
    fn row(&mut self, row: RowReport, bytes: u64);
}

/// A sink that keeps every row.
#[derive(Debug, Default)]
pub struct KeepRows(pub Vec<RowReport>);

impl RowSink for KeepRows {
    fn row(&mut self, row: RowReport, _bytes: u64) {
        self.0.push(row);
    }
}

/// Counts the rows an import reports while passing them on.
pub(crate) struct Tally<'a> {
    pub counts: Counts,
    sink: &'a mut dyn RowSink,
}

impl<'a> Tally<'a> {
    pub fn new(sink: &'a mut dyn RowSink) -> Self {
        Self { counts: Counts::default(), sink }
    }

    pub fn row(&mut self, row: RowReport, bytes: u64) {
        self.counts.add(&row.outcome);
        self.sink.row(row, bytes);
    }
}

impl RowReport {
    /// The row in words, one line: `would` when nothing will be stored (a dry run).
    pub fn line(&self, would: bool) -> String {
        let what = match &self.outcome {
            Outcome::Created => "create".to_owned(),
            Outcome::Updated { fields } => format!("update {}", fields.join(", ")),
            Outcome::Unchanged => "unchanged".to_owned(),
            Outcome::Refused { column, value, reason } => {
                let mut text = "REFUSED".to_owned();
                if let Some(column) = column {
                    text.push_str(&format!(" column {column}"));
                }
                if let Some(value) = value {
                    text.push_str(&format!(" value {value:?}"));
                }
                format!("{text}: {reason}")
            }
        };
        let would = would && matches!(self.outcome, Outcome::Created | Outcome::Updated { .. });
        format!("line {} ({}, {}): {}{what}", self.line, self.key, self.about, if would { "would " } else { "" })
    }
}

impl fmt::Display for ImportReport {
    /// The totals and what was stored.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.counts;
        write!(
            f,
            "{} rows: {} create, {} update, {} unchanged, {} refused; ",
            c.rows(),
            c.created,
            c.updated,
            c.unchanged,
            c.refused
        )?;
        match (self.dry_run, self.stored) {
            (true, _) => write!(f, "dry run: nothing stored"),
            (false, true) => write!(f, "stored"),
            (false, false) => {
                write!(f, "nothing stored: the file is stored whole or not at all; correct the refused rows")
            }
        }
    }
}

/// Reads a CSV file's header row (names trimmed, lower case) and checks it against the kind's
/// columns: every required one present, none unknown. `kind` names the file in the refusal ("a
/// staff list").
pub(crate) fn read_header<R: std::io::Read>(
    reader: &mut csv::Reader<R>,
    kind: &str,
    required: &[&str],
    columns: &[&str],
) -> Result<Vec<String>, FileRefused> {
    let names: Vec<String> = reader
        .headers()
        .map_err(|e| FileRefused(AppError::bad_input("file", format!("the header row cannot be read: {e}"))))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let missing: Vec<&str> = required.iter().copied().filter(|c| !names.iter().any(|h| h == c)).collect();
    if !missing.is_empty() {
        return Err(FileRefused(AppError::bad_input(
            "file",
            format!("the header has no column {}; {kind} has the columns {}", missing.join(", "), columns.join(", ")),
        )));
    }
    let unknown: Vec<&String> = names.iter().filter(|h| !columns.contains(&h.as_str())).collect();
    if !unknown.is_empty() {
        return Err(FileRefused(AppError::bad_input(
            "file",
            format!("unknown columns {unknown:?}; {kind} has the columns {}", columns.join(", ")),
        )));
    }
    Ok(names)
}

/// A whole file refused before its rows are read (a missing column, a caller who may not import).
#[derive(Debug, Clone)]
pub struct FileRefused(pub AppError);

/// A refusal of a row from a domain error: the column the error names (through `columns`, the
/// API's field name → the file's column), the value the row had there, and the reason.
pub(crate) fn refused(
    error: &AppError,
    columns: &[(&str, &str)],
    value_of: impl Fn(&str) -> Option<String>,
) -> Outcome {
    let (field, reason) = match error {
        AppError::BadUserInput { field, message } => (field.clone(), message.clone()),
        other => (None, other.client_message()),
    };
    let column = field.as_deref().and_then(|f| columns.iter().find(|(api, _)| *api == f).map(|(_, c)| (*c).to_owned()));
    let value = column.as_deref().and_then(&value_of);
    Outcome::Refused { column, value, reason }
}
