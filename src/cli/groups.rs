//! `scimd group ...` and `scimd directory ...`: product grants, product access, and the
//! per-directory group PATCH setting.

use clap::Subcommand;
use serde_json::json;

use super::{open, print_json, quiet_logs, CliError};
use crate::config::DatabaseArgs;
use crate::domain::{DirectoryId, GroupId, ProductAccessChange, SiteId};
use crate::service::groups::access;

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Grant a product on a site to a group's members.
    Grant(GrantArgs),
    /// Revoke a product on a site from a group.
    Revoke(GrantArgs),
    /// Show an account's product access on a site, as its groups grant it.
    Access {
        /// The account's email.
        #[arg(long)]
        email: String,
        #[arg(long)]
        site: SiteId,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Debug, clap::Args)]
pub struct GrantArgs {
    /// The group's id (its SCIM id).
    #[arg(long)]
    pub group: GroupId,
    #[arg(long)]
    pub site: SiteId,
    /// A product key of the site, e.g. `jira-software`.
    #[arg(long)]
    pub product: String,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[derive(Debug, Subcommand)]
pub enum DirectoryCommand {
    /// Change a directory's settings.
    Set {
        #[arg(long)]
        directory: DirectoryId,
        /// Answer group PATCH with 204 instead of the group (for IdPs pushing huge groups).
        #[arg(long = "group-patch-minimal", action = clap::ArgAction::Set)]
        group_patch_minimal: bool,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

async fn change_product(args: GrantArgs, change: ProductAccessChange) -> Result<(), CliError> {
    let (store, _) = open(&args.database).await?;
    let outcome =
        access::change_product(&store, args.group, args.site, &args.product, change).await;
    store.close().await;
    print_json(&outcome?)
}

pub async fn run_group(command: GroupCommand) -> Result<(), CliError> {
    crate::telemetry::init(&quiet_logs());
    match command {
        GroupCommand::Grant(args) => change_product(args, ProductAccessChange::Grant).await?,
        GroupCommand::Revoke(args) => change_product(args, ProductAccessChange::Revoke).await?,
        GroupCommand::Access {
            email,
            site,
            database,
        } => {
            let (store, _) = open(&database).await?;
            let outcome = match access::account_by_email(&store, &email).await {
                Ok(account) => access::account_site_access(&store, account, site).await,
                Err(err) => Err(err),
            };
            store.close().await;
            print_json(&outcome?)?;
        }
    }
    Ok(())
}

pub async fn run_directory(command: DirectoryCommand) -> Result<(), CliError> {
    crate::telemetry::init(&quiet_logs());
    match command {
        DirectoryCommand::Set {
            directory,
            group_patch_minimal,
            database,
        } => {
            let (store, _) = open(&database).await?;
            let outcome =
                access::set_group_patch_minimal(&store, directory, group_patch_minimal).await;
            store.close().await;
            outcome?;
            print_json(
                &json!({ "directory_id": directory, "group_patch_minimal": group_patch_minimal }),
            )?;
        }
    }
    Ok(())
}
