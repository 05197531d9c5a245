//! Who an admin token acts as. The registered token record says whom it speaks for; a site
//! token bound to an account acts with that account's *current* role on the site, so a
//! demoted or removed admin loses the power at once, without revoking anything.

use super::{AdminError, AdminResult};
use crate::domain::audit::ActorKind;
use crate::domain::{AccountId, Actor, SiteAccess, SiteRole};
use crate::store::{self, Store, TokenRecord, TokenSubject};

/// An authenticated admin-API caller. Only [`AdminActor::from_token`] makes one, from a
/// verified token record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdminActor {
    actor: Actor,
    jti: uuid::Uuid,
    account: Option<AccountId>,
}

impl AdminActor {
    /// Resolves a verified token into the actor it stands for.
    pub async fn from_token(store: &Store, record: &TokenRecord) -> AdminResult<Self> {
        let mut conn = store.read().await?;
        let (actor, account) = match record.subject {
            TokenSubject::OrgAdmin { org } => (Actor::OrgAdmin(org), None),
            TokenSubject::SiteAdmin { site, org } => {
                match store::token_account(&mut conn, record.jti).await? {
                    None => (Actor::SiteAdmin { site, org }, None),
                    Some(account) => {
                        let actor = site_user_actor(&mut conn, site, org, account).await?;
                        (actor, Some(account))
                    }
                }
            }
            TokenSubject::AccountOwner { account } => {
                match store::get_account(&mut conn, account).await? {
                    Some(a) if a.tombstoned_at.is_none() => {}
                    _ => return Err(AdminError::Unauthorized("the token's account was deleted")),
                }
                (Actor::AccountOwner(account), Some(account))
            }
            TokenSubject::Directory { .. } => {
                return Err(AdminError::Unauthorized(
                    "directory tokens are for the SCIM API",
                ))
            }
        };
        Ok(Self {
            actor,
            jti: record.jti,
            account,
        })
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub fn jti(&self) -> uuid::Uuid {
        self.jti
    }

    /// The audit log's `actor_kind`.
    pub fn kind(&self) -> ActorKind {
        match self.actor {
            Actor::OrgAdmin(_) => ActorKind::OrgAdmin,
            Actor::SiteAdmin { .. } => ActorKind::SiteAdmin,
            Actor::TrustedUser { .. } => ActorKind::TrustedUser,
            Actor::AccountOwner(_) => ActorKind::Account,
            Actor::Directory { .. } => ActorKind::Directory,
        }
    }

    /// The audit log's `actor_id`: the person's account when the token is bound to one,
    /// otherwise the token itself.
    pub fn id(&self) -> String {
        self.account
            .map_or_else(|| self.jti.to_string(), |a| a.to_string())
    }
}

/// The site role a bound account holds right now; without site access or an active
/// account it administers nothing.
async fn site_user_actor(
    conn: &mut store::Conn,
    site: crate::domain::SiteId,
    org: crate::domain::OrgId,
    account: AccountId,
) -> AdminResult<Actor> {
    let refused = || AdminError::from(crate::domain::Refusal::NotSiteAdministrator);
    let live = store::get_account(&mut *conn, account)
        .await?
        .filter(|a| a.tombstoned_at.is_none() && a.status.is_active())
        .ok_or_else(refused)?;
    let member = store::get_site_user(conn, site, live.id)
        .await?
        .filter(|m| SiteAccess::has_site_access(m.access))
        .ok_or_else(refused)?;
    match member.role {
        SiteRole::SiteAdmin => Ok(Actor::SiteAdmin { site, org }),
        SiteRole::Trusted => Ok(Actor::TrustedUser { site, org }),
        SiteRole::Basic => Err(refused()),
    }
}
