//! `neighbourhood`: the command line of the service. Parsing only; the work lives in `api`.

// See server/src/lib.rs: the schema's futures nest deeper than the default limit in a clean build.
#![recursion_limit = "256"]

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use server::cli::{DemoRole, TokenSubject};
use server::config::{AuthArgs, DatabaseArgs, LogFormat, ServeArgs};

/// jemalloc instead of glibc malloc: see the workspace manifest.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(name = "neighbourhood", version, about = "GraphQL backend for Integrated Neighbourhood Teams")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    database: DatabaseArgs,

    #[command(flatten)]
    auth: AuthArgs,
}

#[derive(Parser)]
struct ServeOnly {
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Run the GraphQL server (the default).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the synthetic demo neighbourhood(s) into an empty database.
    #[cfg(feature = "demo")]
    SeedDemo {
        /// People in total, split across the neighbourhoods.
        #[arg(long, default_value_t = 50_000)]
        population: u32,
        /// Number of neighbourhoods (INTs).
        #[arg(long, default_value_t = 1)]
        neighbourhoods: u32,
        /// Seed of the generator: the same seed and date give the same data.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Date the ages are computed against (default: today), as YYYY-MM-DD.
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
        /// For scale benchmarks: beyond the ~909,000 valid test NHS numbers, give people numbers from
        /// the same never-issued range with a wrong check digit (which the API itself would refuse).
        #[arg(long)]
        wrong_check_digits: bool,
    },
    /// Print a signed development token (and nothing else) for a demo practitioner.
    Token {
        /// Mint for the first active demo practitioner with this role.
        #[arg(long, value_enum, required_unless_present = "practitioner", conflicts_with = "practitioner")]
        role: Option<DemoRole>,
        /// Mint for this practitioner id.
        #[arg(long)]
        practitioner: Option<uuid::Uuid>,
        /// Lifetime in minutes.
        #[arg(long, default_value_t = 480, value_parser = clap::value_parser!(i64).range(1..=10_080))]
        ttl_minutes: i64,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Create the deployment's first administrator (and their organisation, unless its ODS code is
    /// already there), who then adds organisations, neighbourhoods and staff through the API.
    /// Refused once an active deployment administrator exists.
    BootstrapAdmin(server::cli::BootstrapArgs),
    /// Import a file the team keeps (a staff list): `--dry-run` reports what every row would do;
    /// a real run stores the whole file or, when a row is refused, nothing. Exits 1 when a row is
    /// refused.
    #[command(subcommand)]
    Import(server::cli::ImportKind),
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = match cli.command {
        Some(command) => command,
        // Bare `neighbourhood` serves, configured from the environment.
        None => Command::Serve(ServeOnly::parse_from(["neighbourhood"]).serve),
    };
    let log_format = match &command {
        Command::Serve(args) => args.log_format,
        _ => LogFormat::Text,
    };
    init_tracing(log_format);
    match run(command, cli.database, cli.auth).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, database: DatabaseArgs, auth: AuthArgs) -> anyhow::Result<()> {
    match command {
        Command::Serve(serve) => {
            let db = server::db::connect_and_migrate(&database).await?;
            if serve.demo {
                seed_demo_unless_data(&db, serve.population).await?;
            }
            server::serve::serve(server::serve::ServerConfig { database, auth, serve }, db).await
        }
        Command::Migrate => {
            server::db::connect_and_migrate(&database).await?;
            eprintln!("migrations applied to {}", server::db::redact(&database.database_url));
            Ok(())
        }
        #[cfg(feature = "demo")]
        Command::SeedDemo { population, neighbourhoods, seed, today, wrong_check_digits } => {
            let db = server::db::connect_and_migrate(&database).await?;
            if !demo::is_empty(&db).await.map_err(|e| anyhow::anyhow!(e.client_message()))? {
                anyhow::bail!("the database already holds data; seed-demo only fills an empty database");
            }
            let options = demo::DemoOptions {
                population,
                neighbourhoods,
                seed,
                today: today.unwrap_or_else(|| chrono::Utc::now().date_naive()),
                wrong_check_digits,
            };
            let started = std::time::Instant::now();
            let summary = demo::seed_demo(&db, &options).await.map_err(|e| anyhow::anyhow!(e.client_message()))?;
            eprintln!("seeded in {:.1}s: {summary:?}", started.elapsed().as_secs_f64());
            Ok(())
        }
        Command::Token { role, practitioner, ttl_minutes } => {
            let db = server::db::connect_and_migrate(&database).await?;
            let subject = match (role, practitioner) {
                (_, Some(id)) => TokenSubject::Practitioner(id),
                (Some(role), None) => TokenSubject::Role(role),
                (None, None) => anyhow::bail!("give --role or --practitioner"),
            };
            let token = server::cli::mint_token(&db, &auth, subject, chrono::Duration::minutes(ttl_minutes)).await?;
            println!("{token}");
            Ok(())
        }
        Command::Schema => {
            print!("{}", api::schema::sdl());
            Ok(())
        }
        Command::Import(kind) => {
            let db = server::db::connect_and_migrate(&database).await?;
            if !server::cli::import(&db, kind).await? {
                anyhow::bail!("rows were refused (see the report above)");
            }
            Ok(())
        }
        Command::BootstrapAdmin(args) => {
            let db = server::db::connect_and_migrate(&database).await?;
            let admin = server::cli::bootstrap_admin(&db, args).await?;
            eprintln!(
                "deployment administrator {} {} ({}) created; they sign in with the subject {:?}",
                admin.given_name,
                admin.family_name,
                admin.id,
                admin.identity_subject.unwrap_or_default()
            );
            Ok(())
        }
    }
}

/// `serve --demo`: the demo neighbourhood, unless the database already holds data.
#[cfg(feature = "demo")]
async fn seed_demo_unless_data(db: &sea_orm::DatabaseConnection, population: u32) -> anyhow::Result<()> {
    if !demo::is_empty(db).await.map_err(|e| anyhow::anyhow!("checking for data: {}", e.client_message()))? {
        tracing::info!("database already holds data; not seeding the demo");
        return Ok(());
    }
    let options =
        demo::DemoOptions { population, today: chrono::Utc::now().date_naive(), ..demo::DemoOptions::default() };
    let started = std::time::Instant::now();
    tracing::info!(population = options.population, "seeding the demo neighbourhood");
    let summary =
        demo::seed_demo(db, &options).await.map_err(|e| anyhow::anyhow!("seeding the demo: {}", e.client_message()))?;
    tracing::info!(?summary, elapsed_ms = started.elapsed().as_millis() as u64, "demo data ready");
    Ok(())
}

/// A production build (`--no-default-features`) carries no demo generator.
#[cfg(not(feature = "demo"))]
async fn seed_demo_unless_data(_: &sea_orm::DatabaseConnection, _: u32) -> anyhow::Result<()> {
    anyhow::bail!("this build has no demo generator (it was built without the `demo` feature); serve without --demo")
}
