//! Issuing admin-API tokens (`scimd token issue --org|--site|--account`): stand-ins for a
//! login system, registered by `jti` like every token so they can be revoked.

use crate::domain::audit::{ActorKind, AuditAction};
use serde_json::json;

use super::{load_account, load_site, not_found, AdminResult};
use crate::domain::{AccountId, OrgId, SiteId};
use crate::service::tokens::{IssuedToken, Tokens};
use crate::store::{self, NewAuditEntry, Store, TokenSubject};

/// Whom an admin token is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminTokenFor {
    /// An administrator of the org.
    Org(OrgId),
    /// The site's administration. With an account, the token acts with that account's
    /// current role on the site (site admin or trusted user); without, as a site admin.
    Site {
        site: SiteId,
        account: Option<AccountId>,
    },
    /// The account's owner (self-service).
    Owner(AccountId),
}

pub async fn issue_admin_token(
    store: &Store,
    tokens: &Tokens,
    whom: AdminTokenFor,
    ttl: Option<time::Duration>,
) -> AdminResult<IssuedToken> {
    let mut tx = store.begin().await?;
    let (subject, org, account) = match whom {
        AdminTokenFor::Org(org) => {
            store::get_org(&mut tx, org)
                .await?
                .ok_or_else(|| not_found("organization"))?;
            (TokenSubject::OrgAdmin { org }, Some(org), None)
        }
        AdminTokenFor::Site { site, account } => {
            let site = load_site(&mut tx, site).await?;
            if let Some(account) = account {
                load_account(&mut tx, account).await?;
            }
            let subject = TokenSubject::SiteAdmin {
                site: site.id,
                org: site.org_id,
            };
            (subject, Some(site.org_id), account)
        }
        AdminTokenFor::Owner(account) => {
            load_account(&mut tx, account).await?;
            (TokenSubject::AccountOwner { account }, None, Some(account))
        }
    };
    let issued = tokens.issue(&mut tx, subject, ttl).await?;
    if let (TokenSubject::SiteAdmin { .. }, Some(account)) = (subject, account) {
        store::bind_token_account(&mut tx, issued.jti, account).await?;
    }
    store::append_audit(
        &mut tx,
        &NewAuditEntry {
            at: store::now_micros(),
            org_id: org,
            account_id: account,
            actor_kind: ActorKind::System,
            actor_id: "cli".into(),
            action: AuditAction::TokenIssued,
            detail: json!({ "jti": issued.jti, "kind": subject.kind() }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(issued)
}
