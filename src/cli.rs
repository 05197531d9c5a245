//! The command line: `serve` and non-interactive admin commands that print JSON.

mod admin_tokens;
mod groups;

use clap::{Parser, Subcommand};
use serde::Serialize;

use crate::config::{DatabaseArgs, LogArgs, ServeArgs};
use crate::domain::DirectoryId;
use crate::http::startup::Application;
use crate::service::bootstrap::{bootstrap, BootstrapRequest};
use crate::service::directory_tokens::{issue_directory_token, revoke_token};
use crate::service::tokens::Tokens;
use crate::store::Store;

#[derive(Debug, Parser)]
#[command(name = "scimd", version, about = "SCIM 2.0 provisioning server")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server.
    Serve(ServeArgs),
    /// Create an organization with verified domains, a site, a directory and first tokens.
    Bootstrap(BootstrapArgs),
    /// Issue or revoke tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Grant or revoke products through groups; show an account's product access.
    #[command(subcommand)]
    Group(groups::GroupCommand),
    /// Change a directory's settings.
    #[command(subcommand)]
    Directory(groups::DirectoryCommand),
}

#[derive(Debug, clap::Args)]
pub struct BootstrapArgs {
    /// Organization name.
    #[arg(long)]
    pub org: String,
    /// A domain the organization owns; accounts with emails there are managed by it. Repeatable.
    #[arg(long = "domain", required = true)]
    pub domains: Vec<String>,
    /// Name of the site to create.
    #[arg(long, default_value = "main")]
    pub site: String,
    /// A product of the site. Repeatable.
    #[arg(long = "product", default_values_t = ["jira-software".to_string(), "confluence".to_string()])]
    pub products: Vec<String>,
    /// Name of the directory (IdP connection) to create.
    #[arg(long, default_value = "default")]
    pub directory: String,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue a SCIM bearer token for a directory, or an admin-API token (--org, --site,
    /// --account).
    Issue {
        #[arg(long, required_unless_present_any = ["org", "site", "account"], conflicts_with_all = ["org", "site", "account"])]
        directory: Option<DirectoryId>,
        #[command(flatten)]
        admin: admin_tokens::AdminTokenArgs,
        /// Days until the token expires; without it the token lasts until revoked.
        /// Days until the token expires (at least 1); without it, the token never expires.
        #[arg(long = "ttl-days")]
        ttl_days: Option<std::num::NonZeroU32>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Revoke a token by its `jti`.
    Revoke {
        jti: uuid::Uuid,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Startup(#[from] crate::http::startup::StartupError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Service(#[from] crate::service::error::ServiceError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Admin(#[from] crate::service::admin::AdminError),
}

async fn open(database: &DatabaseArgs) -> Result<(Store, Tokens), CliError> {
    let url = database
        .database_url
        .as_ref()
        .map(|s| s.expose().to_owned());
    let store = Store::connect_with(url.as_deref(), 2, database.sqlite_durability).await?;
    let tokens = Tokens::load(store.clone()).await?;
    Ok((store, tokens))
}

fn print_json(value: &impl Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    println!("{text}");
    Ok(())
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Serve(args) => {
            crate::telemetry::init(&args.log);
            let app = Application::build(&args).await?;
            tracing::info!(port = app.port(), "scimd listening");
            app.run_until_stopped().await?;
        }
        Command::Bootstrap(args) => {
            crate::telemetry::init(&quiet_logs());
            let (store, tokens) = open(&args.database).await?;
            let outcome = bootstrap(
                &store,
                &tokens,
                &BootstrapRequest {
                    org_name: args.org,
                    domains: args.domains,
                    site_name: args.site,
                    products: args.products,
                    directory_name: args.directory,
                },
            )
            .await?;
            store.close().await;
            print_json(&outcome)?;
        }
        Command::Token(TokenCommand::Issue {
            directory,
            admin,
            ttl_days,
            database,
        }) => {
            crate::telemetry::init(&quiet_logs());
            let (store, tokens) = open(&database).await?;
            let ttl = ttl_days.map(|d| time::Duration::days(i64::from(d.get())));
            let issued = match directory {
                Some(directory) => issue_directory_token(&store, &tokens, directory, ttl).await?,
                None => match admin_tokens::issue(&store, &tokens, &admin, ttl).await {
                    Some(issued) => issued?,
                    None => unreachable_token_target()?,
                },
            };
            store.close().await;
            print_json(&issued)?;
        }
        Command::Token(TokenCommand::Revoke { jti, database }) => {
            crate::telemetry::init(&quiet_logs());
            let (store, _) = open(&database).await?;
            revoke_token(&store, jti).await?;
            store.close().await;
            print_json(&serde_json::json!({ "revoked": jti }))?;
        }
        Command::Group(command) => groups::run_group(command).await?,
        Command::Directory(command) => groups::run_directory(command).await?,
    }
    Ok(())
}

/// Admin commands print JSON on stdout; only warnings go to stderr.
fn quiet_logs() -> LogArgs {
    LogArgs {
        log_level: "warn".into(),
        log_format: crate::config::LogFormat::Pretty,
    }
}

/// clap requires one of --directory, --org, --site, --account; this answers if it did not.
fn unreachable_token_target() -> Result<crate::service::tokens::IssuedToken, CliError> {
    Err(CliError::Io(std::io::Error::other(
        "name what the token is for: --directory, --org, --site or --account",
    )))
}
