//! The account lifecycle (rules 1–3, 10, 11): status is global and belongs to the managing
//! org (or to the owner of an unmanaged account); deletion is refused while the account has
//! content and otherwise leaves a tombstone.

use crate::domain::audit::AuditAction;
use serde::Serialize;
use serde_json::json;
use store::Conn;

use super::views::{AccountView, AuditPage};
use super::{audit, facts, not_found, AdminActor, AdminError, AdminResult};
use crate::domain::{
    can_change_status, can_delete, can_view_account, tombstone, AccountId, AccountStatus, Actor,
    SiteAccess, SiteFacts, SiteId, SiteRole, StatusChange,
};
use crate::service::events;
use crate::store::{self, Account, AccountMembership, AuditPageQuery, Store};

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MembershipView {
    pub site_id: SiteId,
    pub access: SiteAccess,
    pub role: SiteRole,
}

/// An account and the memberships the caller may see.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AccountDetail {
    #[serde(flatten)]
    pub account: AccountView,
    pub sites: Vec<MembershipView>,
}

/// The account with the site memberships the actor sees: all for the owner and the managing
/// org, the sites of their own org (or their own site) for other admins.
fn detail(actor: &Actor, account: &Account, all: &[AccountMembership]) -> AccountDetail {
    let sites = all
        .iter()
        .filter(|m| match *actor {
            Actor::AccountOwner(_) => true,
            Actor::OrgAdmin(org) => account.managing_org == Some(org) || m.org_id == org,
            Actor::SiteAdmin { site, .. } | Actor::TrustedUser { site, .. } => m.site_id == site,
            Actor::Directory { .. } => false,
        })
        .map(|m| MembershipView {
            site_id: m.site_id,
            access: m.access,
            role: m.role,
        })
        .collect();
    AccountDetail {
        account: AccountView::from(account),
        sites,
    }
}

/// The account as stored, a tombstone included.
async fn stored(conn: &mut Conn, id: AccountId) -> AdminResult<Account> {
    store::get_account(conn, id)
        .await?
        .ok_or_else(|| not_found("account"))
}

/// Loads an account the actor may see. A tombstone holds no personal data and no links left
/// to decide by, so any admin may read one: it answers "this id was deleted" (rule 11).
async fn visible(
    conn: &mut Conn,
    who: &AdminActor,
    id: AccountId,
) -> AdminResult<(Account, Vec<AccountMembership>)> {
    let account = stored(&mut *conn, id).await?;
    let memberships = store::account_memberships(conn, id).await?;
    if account.tombstoned_at.is_some() {
        return Ok((account, memberships));
    }
    let sites: Vec<SiteFacts> = memberships
        .iter()
        .map(|m| SiteFacts {
            id: m.site_id,
            org: m.org_id,
        })
        .collect();
    can_view_account(who.actor(), &facts(&account, 0), &sites).map_err(|_| not_found("account"))?;
    Ok((account, memberships))
}

/// The account self-service acts on: an owner token's own. Admins act on others' accounts,
/// by id, under the rules for their authority.
pub fn own_account(actor: &Actor) -> AdminResult<AccountId> {
    match *actor {
        Actor::AccountOwner(id) => Ok(id),
        _ => Err(AdminError::NotAccountOwner),
    }
}

pub async fn get(store: &Store, who: &AdminActor, id: AccountId) -> AdminResult<AccountDetail> {
    let mut conn = store.read().await?;
    let (account, memberships) = visible(&mut conn, who, id).await?;
    Ok(detail(who.actor(), &account, &memberships))
}

/// Rules 1–3: deactivate or reactivate. Only the status changes: memberships, groups and
/// content stay, which is what makes reactivation exact. A refusal names who can act.
pub async fn set_status(
    store: &Store,
    who: &AdminActor,
    id: AccountId,
    target: AccountStatus,
) -> AdminResult<(bool, AccountDetail)> {
    let mut tx = store.begin().await?;
    let (account, memberships) = visible(&mut tx, who, id).await?;
    if account.tombstoned_at.is_some() {
        return Err(not_found("account"));
    }
    let decision = can_change_status(who.actor(), &facts(&account, 0), target)?;
    let mut changed = false;
    if let StatusChange::Set(status) = decision {
        // The write re-checks the status, so a concurrent change is not recorded twice.
        let now = store::now_micros();
        changed = store::set_account_status(&mut tx, account.id, status, now).await?;
        if changed {
            store::touch_account_records(&mut tx, account.id, now, None, None).await?;
            let moved = crate::domain::events::StatusMove::between(account.status, status);
            if let Some(moved) = moved {
                let change = events::AccountChange {
                    account: account.id,
                    except: None,
                    event: moved.event(),
                };
                events::record(&mut tx, store, &[], &[change]).await?;
            }
        }
    }
    if let (true, StatusChange::Set(status)) = (changed, decision) {
        let verb = match status {
            AccountStatus::Active => AuditAction::AccountReactivated,
            AccountStatus::Deactivated => AuditAction::AccountDeactivated,
        };
        let detail = json!({ "status_before": account.status, "status": status });
        audit(
            &mut tx,
            who,
            account.managing_org,
            Some(account.id),
            verb,
            detail,
        )
        .await?;
    }
    let account = stored(&mut tx, id).await?;
    tx.commit().await?;
    Ok((changed, detail(who.actor(), &account, &memberships)))
}

/// Rules 10, 11. Deleting a tombstone again answers the tombstone (`changed: false`).
pub async fn delete(
    store: &Store,
    who: &AdminActor,
    id: AccountId,
) -> AdminResult<(bool, AccountView)> {
    let mut tx = store.begin().await?;
    let (account, _) = visible(&mut tx, who, id).await?;
    if account.tombstoned_at.is_some() {
        tx.commit().await?;
        return Ok((false, AccountView::from(&account)));
    }
    let content = store::content_counters(&mut tx, account.id).await?.total();
    let content = u64::try_from(content).unwrap_or(0);
    can_delete(who.actor(), &facts(&account, content))?;
    let grave = tombstone(account.id, time::OffsetDateTime::now_utc());
    let at = store::micros(grave.deleted_at);
    // Every directory's record of the account goes: each is a SCIM resource deleted, which
    // must be recorded while the records are still there to name.
    let change = events::AccountChange {
        account: account.id,
        except: None,
        event: crate::domain::events::EventType::Delete,
    };
    events::record(&mut tx, store, &[], &[change]).await?;
    // Erase the links first: memberships and tokens belong to the person, not the id.
    let erased = store::erase_account_links(&mut tx, account.id, at).await?;
    store::erase_provisioning_email(&mut tx, account.id, account.email.as_deref()).await?;
    store::tombstone_account(&mut tx, account.id, at).await?;
    let detail = json!({
        "site_memberships_erased": erased.site_memberships,
        "group_memberships_erased": erased.group_memberships,
        "directory_records_erased": erased.directory_records,
        "tokens_revoked": erased.tokens_revoked,
    });
    audit(
        &mut tx,
        who,
        account.managing_org,
        Some(account.id),
        AuditAction::AccountDeleted,
        detail,
    )
    .await?;
    let gone = stored(&mut tx, id).await?;
    tx.commit().await?;
    Ok((true, AccountView::from(&gone)))
}

/// The account's audit trail: all of it for the owner and the managing org, otherwise what
/// the caller's own org recorded about it.
pub async fn audit_log(
    store: &Store,
    who: &AdminActor,
    id: AccountId,
    before: Option<i64>,
    limit: i64,
) -> AdminResult<AuditPage> {
    let mut conn = store.read().await?;
    let (account, _) = visible(&mut conn, who, id).await?;
    let org = match *who.actor() {
        Actor::AccountOwner(owner) if owner == account.id => None,
        // A tombstone is visible to anyone, but its history is not: another person's
        // token has no org to scope it to.
        Actor::AccountOwner(_) => return Err(not_found("account")),
        Actor::OrgAdmin(org) if account.managing_org == Some(org) => None,
        other => other.org(),
    };
    let query = AuditPageQuery {
        org,
        account: Some(account.id),
        before,
        limit,
    };
    let entries = store::list_audit_page(&mut conn, &query).await?;
    Ok(AuditPage::new(entries, limit))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::domain::{OrgId, SiteId};

    #[test]
    fn only_an_owner_token_has_an_own_account() {
        let id = AccountId::new();
        assert_eq!(own_account(&Actor::AccountOwner(id)).unwrap(), id);
        let (org, site) = (OrgId::new(), SiteId::new());
        for admin in [Actor::OrgAdmin(org), Actor::SiteAdmin { site, org }] {
            assert!(matches!(
                own_account(&admin),
                Err(AdminError::NotAccountOwner)
            ));
        }
    }
}
