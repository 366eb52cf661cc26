//! What the `neighbourhood` subcommands do, apart from argument parsing (which lives in the binary).

use anyhow::{bail, Context};
use clap::ValueEnum;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use entity::{practitioner, ProfessionalRole};

use crate::auth::JwtSigner;
use crate::config::AuthArgs;

/// Roles a development token can be minted for (the demo has practitioners of each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DemoRole {
    /// INT coordinator (prepares MDT meetings, works cohorts).
    Coordinator,
    /// Social prescribing link worker.
    LinkWorker,
    Gp,
    PracticeNurse,
    Pharmacist,
    Receptionist,
    /// Adult social care social worker.
    SocialCare,
    /// Community mental health practitioner.
    MentalHealth,
    DistrictNurse,
    OccupationalTherapist,
    CareCoordinator,
    WellbeingCoach,
    /// VCSE partner worker (no identifiable patient data).
    Vcse,
    /// ICB commissioner (aggregates only).
    Commissioner,
    /// Caldicott Guardian / IG lead (the access trail, break-glass reviews; no record).
    PrivacyOfficer,
    /// The deployment's administrator (organisations, neighbourhoods, staff; no record).
    Administrator,
}

impl DemoRole {
    pub fn professional_role(self) -> ProfessionalRole {
        match self {
            Self::Coordinator => ProfessionalRole::IntCoordinator,
            Self::LinkWorker => ProfessionalRole::SocialPrescribingLinkWorker,
            Self::Gp => ProfessionalRole::Gp,
            Self::PracticeNurse => ProfessionalRole::PracticeNurse,
            Self::Pharmacist => ProfessionalRole::Pharmacist,
            Self::Receptionist => ProfessionalRole::Receptionist,
            Self::SocialCare => ProfessionalRole::SocialWorker,
            Self::MentalHealth => ProfessionalRole::MentalHealthPractitioner,
            Self::DistrictNurse => ProfessionalRole::DistrictNurse,
            Self::OccupationalTherapist => ProfessionalRole::OccupationalTherapist,
            Self::CareCoordinator => ProfessionalRole::CareCoordinator,
            Self::WellbeingCoach => ProfessionalRole::HealthAndWellbeingCoach,
            Self::Vcse => ProfessionalRole::VcseWorker,
            Self::Commissioner => ProfessionalRole::Commissioner,
            Self::PrivacyOfficer => ProfessionalRole::PrivacyOfficer,
            Self::Administrator => ProfessionalRole::DeploymentAdministrator,
        }
    }
}

/// Who a token is for: a practitioner by id, or the first active practitioner of a role.
#[derive(Debug, Clone, Copy)]
pub enum TokenSubject {
    Role(DemoRole),
    Practitioner(Uuid),
}

/// Finds the practitioner a token is for.
pub async fn token_practitioner(
    db: &impl ConnectionTrait,
    subject: TokenSubject,
) -> anyhow::Result<practitioner::Model> {
    let found = match subject {
        TokenSubject::Practitioner(id) => practitioner::Entity::find_by_id(id).one(db).await?,
        TokenSubject::Role(role) => {
            practitioner::Entity::find()
                .filter(practitioner::Column::ProfessionalRole.eq(role.professional_role()))
                .filter(practitioner::Column::Active.eq(true))
                .order_by_asc(practitioner::Column::CreatedAt)
                .order_by_asc(practitioner::Column::Id)
                .one(db)
                .await?
        }
    };
    match (found, subject) {
        (Some(p), _) if p.active => Ok(p),
        (Some(p), _) => bail!("practitioner {} is not active", p.id),
        (None, TokenSubject::Role(role)) => bail!(
            "no active practitioner has the role {:?}; seed the demo first (`neighbourhood seed-demo` or `neighbourhood serve --demo`)",
            role.to_possible_value().map(|v| v.get_name().to_owned()).unwrap_or_default()
        ),
        (None, TokenSubject::Practitioner(id)) => bail!("no practitioner has id {id}"),
    }
}

/// Mints a signed development token for a practitioner.
pub async fn mint_token(
    db: &impl ConnectionTrait,
    auth: &AuthArgs,
    subject: TokenSubject,
    lifetime: chrono::Duration,
) -> anyhow::Result<String> {
    if lifetime.num_minutes() > auth.jwt_max_lifetime_minutes {
        bail!(
            "--ttl-minutes {} is longer than the server accepts (NEIGHBOURHOOD_JWT_MAX_LIFETIME_MINUTES = {})",
            lifetime.num_minutes(),
            auth.jwt_max_lifetime_minutes
        );
    }
    let practitioner = token_practitioner(db, subject).await?;
    if practitioner.identity_subject.is_none() {
        bail!(
            "practitioner {} has no identity to sign in with; an administrator sets it (updatePractitioner identitySubject)",
            practitioner.id
        );
    }
    let signer = JwtSigner::from_config(auth).context("JWT signing configuration")?;
    signer.sign(&signer.claims_for(&practitioner, lifetime))
}

/// `neighbourhood bootstrap-admin`: the deployment's first administrator.
#[derive(Debug, Clone, clap::Args)]
pub struct BootstrapArgs {
    /// ODS code of the administrator's organisation (found, or created with the next two options).
    #[arg(long)]
    pub ods_code: String,
    /// The organisation's name, when it is new.
    #[arg(long)]
    pub organisation_name: Option<String>,
    /// The organisation's kind when it is new, as stored (`icb`, `pcn`, `gp_practice`, ...).
    #[arg(long, default_value = "icb")]
    pub organisation_kind: String,
    #[arg(long)]
    pub given_name: String,
    #[arg(long)]
    pub family_name: String,
    /// The `sub` claim of their tokens from the identity provider.
    #[arg(long)]
    pub subject: String,
}

/// Creates the first deployment administrator (`domain::administration::practitioners::bootstrap`).
pub async fn bootstrap_admin(
    db: &sea_orm::DatabaseConnection,
    args: BootstrapArgs,
) -> anyhow::Result<practitioner::Model> {
    use domain::administration::{organisations::NewOrganisation, practitioners};
    use sea_orm::ActiveEnum;
    let kind = entity::OrganisationKind::try_from_value(&args.organisation_kind).map_err(|_| {
        anyhow::anyhow!(
            "--organisation-kind {:?} is not a kind of organisation (e.g. icb, pcn, gp_practice, adult_social_care)",
            args.organisation_kind
        )
    })?;
    let organisation = NewOrganisation {
        ods_code: args.ods_code.clone(),
        name: args.organisation_name.unwrap_or_default(),
        kind,
        parent_id: None,
        list_size: None,
        postcode: None,
    };
    let administrator = practitioners::NewPractitioner {
        given_name: args.given_name,
        family_name: args.family_name,
        professional_role: ProfessionalRole::DeploymentAdministrator,
        organisation_id: uuid::Uuid::nil(),
        fte: 1.0,
        caseload_capacity: None,
        identity_subject: Some(args.subject),
        staff_ref: None,
    };
    practitioners::bootstrap(db, organisation, administrator).await.map_err(|e| anyhow::anyhow!(e.client_message()))
}

/// `neighbourhood import …`: what to import.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum ImportKind {
    /// An organisation's staff list (CSV; columns in docs/import-formats.md), as an administrator.
    Staff(ImportArgs),
    /// A GP practice's register of people (CSV; columns in docs/import-formats.md), as a member of
    /// the practice's staff.
    Register(ImportArgs),
}

/// The options every import takes.
#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    /// The file to import.
    pub file: std::path::PathBuf,
    /// The identity (`sub`) of the member of staff the import runs as: it goes through their
    /// access and is recorded in the administration trail as theirs.
    #[arg(long = "as", value_name = "SUBJECT")]
    pub as_subject: String,
    /// Report what every row would do, and store nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Writes each row's line on stdout as it is decided, around a progress bar on stderr.
struct PrintRows {
    bar: indicatif::ProgressBar,
    dry_run: bool,
    rows: u64,
}

impl domain::imports::RowSink for PrintRows {
    fn row(&mut self, row: domain::imports::RowReport, bytes: u64) {
        use std::io::Write;
        let line = row.line(self.dry_run);
        // A closed stdout (`| head`) must not stop the import half way: the report is lost, not the file.
        self.bar.suspend(|| {
            let _ = writeln!(std::io::stdout().lock(), "{line}");
        });
        self.rows += 1;
        self.bar.set_position(bytes);
        if self.rows.is_multiple_of(256) {
            self.bar.set_message(format!("{} rows", self.rows));
        }
    }
}

/// Runs an import and prints its report on stdout, a line per row as it goes, with a progress bar
/// on stderr when it is a terminal. Returns whether every row was accepted.
pub async fn import(db: &sea_orm::DatabaseConnection, kind: ImportKind) -> anyhow::Result<bool> {
    use domain::imports::{self, Mode};
    let (args, register) = match kind {
        ImportKind::Staff(args) => (args, false),
        ImportKind::Register(args) => (args, true),
    };
    // The access windows do not matter here: an import reads no record it does not write.
    let caller = domain::auth::load_signed_in(db, &args.as_subject, domain::auth::AccessWindows::default())
        .await
        .map_err(|e| anyhow::anyhow!(e.client_message()))?
        .ok_or_else(|| anyhow::anyhow!("no active practitioner signs in as {:?}", args.as_subject))?;
    let file = std::fs::File::open(&args.file).with_context(|| format!("cannot open {}", args.file.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = indicatif::ProgressBar::with_draw_target(Some(size), indicatif::ProgressDrawTarget::stderr());
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {bytes}/{total_bytes} {wide_bar} {msg} {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut rows = PrintRows { bar, dry_run: args.dry_run, rows: 0 };
    let mode = if args.dry_run { Mode::DryRun } else { Mode::Apply };
    let source = args.file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let input = std::io::BufReader::with_capacity(1 << 16, file);
    let report = if register {
        imports::register::import(db, &caller, input, &source, mode, &mut rows).await
    } else {
        imports::staff::import(db, &caller, input, &source, mode, &mut rows).await
    }
    .map_err(|refused| anyhow::anyhow!(refused.0.client_message()))?;
    rows.bar.finish_and_clear();
    println!("{report}");
    Ok(report.counts.refused == 0)
}
