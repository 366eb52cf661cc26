//! GraphQL for the imports of files a team already keeps (`domain::imports`), uploaded by a browser
//! as a GraphQL multipart request: the same imports, with the same dry run, whole-or-nothing
//! storage and report, as `neighbourhood import`, the caller's token deciding as `--as` does.

use async_graphql::{Context, Enum, Object, SimpleObject, Upload};

use crate::context::request;
use crate::error::ApiResult;
use domain::error::AppError;
use domain::imports::{self, KeepRows, Mode};

/// The content and name of the file an `Upload` argument names. Not `Upload::value`, which indexes
/// the request's files unchecked: a JSON request may name a file it never sent.
fn uploaded(ctx: &Context<'_>, file: &Upload) -> ApiResult<(impl std::io::Read + Send + 'static, String)> {
    let upload = ctx.query_env.uploads.get(file.0).ok_or_else(|| {
        AppError::bad_input("file", "no file was sent with the request (send it as a GraphQL multipart request)")
    })?;
    let upload = upload
        .try_clone()
        .map_err(|e| AppError::bad_input("file", format!("the uploaded file cannot be read: {e}")))?;
    let source = format!("upload {}", upload.filename);
    Ok((upload.into_read(), source))
}

fn mode(dry_run: bool) -> Mode {
    if dry_run {
        Mode::DryRun
    } else {
        Mode::Apply
    }
}

#[derive(Default)]
pub struct ImportMutation;

#[Object]
impl ImportMutation {
    /// Imports a staff list uploaded as a file (CSV, the columns of docs/import-formats.md; a
    /// GraphQL multipart request, which needs the `GraphQL-Require-Preflight` header), as
    /// `neighbourhood import staff` does: a dry run (the default) reports what every row would do
    /// and stores nothing; a real run stores the whole file or, when any row is refused, nothing.
    /// For administrators. A file that cannot be read as a staff list at all is BAD_USER_INPUT
    /// (field `file`).
    async fn import_staff_list(
        &self,
        ctx: &Context<'_>,
        file: Upload,
        #[graphql(default = true)] dry_run: bool,
    ) -> ApiResult<ImportReport> {
        let req = request(ctx)?;
        let (content, source) = uploaded(ctx, &file)?;
        let mut rows = KeepRows::default();
        let report = imports::staff::import(&req.db, &req.caller, content, &source, mode(dry_run), &mut rows)
            .await
            .map_err(|refused| refused.0)?;
        Ok(ImportReport::new(report, rows))
    }

    /// Imports the register of the caller's GP practice uploaded as a file (CSV, the columns of
    /// docs/import-formats.md), as `neighbourhood import register` does: everyone in it is
    /// registered at the caller's practice, matched on the NHS number. For the practice's own
    /// staff; the clinical columns (conditions, eFI) for roles that record what is clinical. A dry
    /// run (the default) reports and stores nothing; a real run stores the whole file or nothing.
    async fn import_register(
        &self,
        ctx: &Context<'_>,
        file: Upload,
        #[graphql(default = true)] dry_run: bool,
    ) -> ApiResult<ImportReport> {
        let req = request(ctx)?;
        let (content, source) = uploaded(ctx, &file)?;
        let mut rows = KeepRows::default();
        let report = imports::register::import(&req.db, &req.caller, content, &source, mode(dry_run), &mut rows)
            .await
            .map_err(|refused| refused.0)?;
        Ok(ImportReport::new(report, rows))
    }
}

/// What an import did, or would do, to one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ImportOutcome {
    Created,
    Updated,
    Unchanged,
    Refused,
}

/// One row of an imported file and its outcome.
#[derive(SimpleObject)]
pub struct ImportRow {
    /// The line of the file (the header is line 1).
    pub line: u64,
    /// The row's key in the source (e.g. `A81001/12345`: ODS code and staff reference; an NHS
    /// number).
    pub key: String,
    /// Whom or what the row is about, in words.
    pub about: String,
    pub outcome: ImportOutcome,
    /// What an update changes.
    pub fields: Vec<String>,
    /// For a refused row: the column, the value found and why it was refused.
    pub column: Option<String>,
    pub value: Option<String>,
    pub reason: Option<String>,
}

/// How many rows had each outcome.
#[derive(SimpleObject)]
pub struct ImportCounts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub refused: u64,
}

/// The report of one import: every row, the counts, and whether anything was stored.
#[derive(SimpleObject)]
pub struct ImportReport {
    /// What was imported (`staff`, `register`).
    pub kind: String,
    pub dry_run: bool,
    /// Whether the file's changes were stored: a real run in which no row was refused.
    pub stored: bool,
    pub counts: ImportCounts,
    pub rows: Vec<ImportRow>,
}

impl ImportReport {
    fn new(report: imports::ImportReport, rows: KeepRows) -> Self {
        let c = report.counts;
        let count = |n: usize| n as u64;
        Self {
            kind: report.kind.to_owned(),
            dry_run: report.dry_run,
            stored: report.stored,
            counts: ImportCounts {
                created: count(c.created),
                updated: count(c.updated),
                unchanged: count(c.unchanged),
                refused: count(c.refused),
            },
            rows: rows
                .0
                .into_iter()
                .map(|row| {
                    let (outcome, fields, column, value, reason) = match row.outcome {
                        imports::Outcome::Created => (ImportOutcome::Created, Vec::new(), None, None, None),
                        imports::Outcome::Updated { fields } => (ImportOutcome::Updated, fields, None, None, None),
                        imports::Outcome::Unchanged => (ImportOutcome::Unchanged, Vec::new(), None, None, None),
                        imports::Outcome::Refused { column, value, reason } => {
                            (ImportOutcome::Refused, Vec::new(), column, value, Some(reason))
                        }
                    };
                    ImportRow { line: row.line, key: row.key, about: row.about, outcome, fields, column, value, reason }
                })
                .collect(),
        }
    }
}
