//! `scimd token issue --org|--site|--account`: admin-API tokens, standing in for a login
//! system until scimd has one.

use clap::Args;

use crate::domain::{AccountId, OrgId, SiteId};
use crate::service::admin::tokens::{issue_admin_token, AdminTokenFor};
use crate::service::admin::AdminResult;
use crate::service::tokens::{IssuedToken, Tokens};
use crate::store::Store;

#[derive(Debug, Args)]
pub struct AdminTokenArgs {
    /// Issue an org-admin token for this organization.
    #[arg(long, conflicts_with_all = ["site", "account"])]
    pub org: Option<OrgId>,
    /// Issue a site-administration token for this site. With --account, the token acts with
    /// that account's current role on the site (site admin or trusted user).
    #[arg(long)]
    pub site: Option<SiteId>,
    /// Issue an account-owner token (self-service), or, with --site, name the site user the
    /// site token acts as.
    #[arg(long)]
    pub account: Option<AccountId>,
}

impl AdminTokenArgs {
    fn target(&self) -> Option<AdminTokenFor> {
        match (self.org, self.site, self.account) {
            (Some(org), _, _) => Some(AdminTokenFor::Org(org)),
            (None, Some(site), account) => Some(AdminTokenFor::Site { site, account }),
            (None, None, Some(account)) => Some(AdminTokenFor::Owner(account)),
            (None, None, None) => None,
        }
    }
}

/// Issues the admin token the arguments name; `None` when they name none.
pub async fn issue(
    store: &Store,
    tokens: &Tokens,
    args: &AdminTokenArgs,
    ttl: Option<time::Duration>,
) -> Option<AdminResult<IssuedToken>> {
    let target = args.target()?;
    Some(issue_admin_token(store, tokens, target, ttl).await)
}
