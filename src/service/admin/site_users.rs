//! A site's users: the list (rule 8: removed and deactivated users stay visible), remove,
//! suspend, restore, resend invite (rules 6, 8, 9) and roles.

use crate::domain::audit::AuditAction;
use serde_json::json;

use super::outbox::queue_invitation;
use super::views::{Changed, ListView, SiteUserView};
use super::{audit, facts, invalid, load_account, load_site, not_found, site_facts, AdminActor};
use super::{AdminResult, Page};
use crate::domain::{
    authorize_site_admin, can_change_site_user, change_role, transition, AccountId, RoleChange,
    SiteAccess, SiteAction, SiteAuthority, SiteId, SiteRole, SiteUserChange,
};
use crate::store::{self, Site, SiteUser, SiteUserQuery, Store};

/// The list filter's words: the site access states, plus `deactivated` (account status).
pub fn parse_states(raw: &str) -> AdminResult<SiteUserQuery> {
    let mut query = SiteUserQuery::default();
    for word in raw.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        if word == "deactivated" {
            query.deactivated = true;
            continue;
        }
        let access: SiteAccess = word.parse().map_err(|_| {
            invalid(format!(
                "unknown state {word:?}: use active, invited, invite_not_sent, suspended, removed or deactivated"
            ))
        })?;
        // A deactivated account cannot use a site whatever its access says, so it is listed
        // as deactivated, not as active or invited; suspended and removed describe the
        // membership itself and match whatever the account's status.
        if access.has_site_access() {
            query.access_if_active.push(access);
        } else {
            query.access_any_status.push(access);
        }
    }
    Ok(query)
}

pub async fn list(
    store: &Store,
    who: &AdminActor,
    site: SiteId,
    mut query: SiteUserQuery,
    page: Page,
) -> AdminResult<ListView<SiteUserView>> {
    let mut conn = store.read().await?;
    let site = load_site(&mut conn, site).await?;
    authorize_site_admin(who.actor(), &site_facts(&site))?;
    super::bounded("q", query.search.as_deref(), super::MAX_TEXT)?;
    query.offset = page.offset();
    query.limit = page.count;
    let (rows, total) = store::list_site_user_rows(&mut conn, site.id, &query).await?;
    let ids: Vec<AccountId> = rows.iter().map(|r| r.account.id).collect();
    let mut products = store::site_products_of(&mut conn, site.id, &ids).await?;
    let resources = rows
        .iter()
        .map(|row| {
            let granted = products.remove(&row.account.id).unwrap_or_default();
            SiteUserView::from_row(site.id, row, granted)
        })
        .collect::<Vec<_>>();
    Ok(ListView {
        total_results: total,
        start_index: page.start_index,
        items_per_page: resources.len(),
        resources,
    })
}

/// The site, the actor's authority over it and the membership, for a write.
pub(crate) struct Target {
    pub site: Site,
    pub authority: SiteAuthority,
    pub account: store::Account,
    pub member: SiteUser,
}

/// Loads a write's facts. An account that was never a member of the site is not found: the
/// site's admins have nothing to act on.
pub(crate) async fn target(
    tx: &mut store::Conn,
    who: &AdminActor,
    site: SiteId,
    account: AccountId,
) -> AdminResult<Target> {
    let site = load_site(tx, site).await?;
    let authority = authorize_site_admin(who.actor(), &site_facts(&site))?;
    let account = load_account(tx, account).await?;
    let member = store::get_site_user(tx, site.id, account.id)
        .await?
        .ok_or_else(|| not_found("site user"))?;
    Ok(Target {
        site,
        authority,
        account,
        member,
    })
}

pub(crate) async fn view(
    tx: &mut store::Conn,
    t: &Target,
    member: &SiteUser,
) -> AdminResult<SiteUserView> {
    let products = store::account_site_products(tx, t.account.id, t.site.id).await?;
    Ok(SiteUserView::new(
        t.site.id,
        &t.account,
        member.access,
        member.role,
        products,
        (member.created_at, member.updated_at),
    ))
}

/// Remove (rule 8), suspend and restore (rule 9), resend invite (rule 6). Asking for the
/// state the user is already in changes nothing and is answered `changed: false`.
pub async fn act(
    store: &Store,
    who: &AdminActor,
    site: SiteId,
    account: AccountId,
    action: SiteAction,
) -> AdminResult<(Changed<SiteUserView>, bool)> {
    let mut tx = store.begin().await?;
    let t = target(&mut tx, who, site, account).await?;
    can_change_site_user(
        &t.authority,
        Some(t.member.role),
        SiteUserChange::Access(action),
    )?;
    let before = t.member.access;
    let after = transition(&t.authority, &facts(&t.account, 0), before, action)?;
    let resend = action == SiteAction::ResendInvite;
    let changed = before != after || resend;
    let mut member = t.member.clone();
    if changed {
        let now = store::now_micros();
        member.access = after;
        member.updated_at = now;
        store::put_site_user(&mut tx, &member).await?;
        if resend {
            queue_invitation(&mut tx, t.site.id, t.account.id, now).await?;
        }
        let verb = match action {
            SiteAction::Remove => AuditAction::SiteUserRemoved,
            SiteAction::Suspend => AuditAction::SiteUserSuspended,
            SiteAction::Restore => AuditAction::SiteUserRestored,
            SiteAction::ResendInvite => AuditAction::SiteUserInviteResent,
        };
        let detail = json!({ "site_id": t.site.id, "access_before": before, "access": after });
        audit(
            &mut tx,
            who,
            Some(t.site.org_id),
            Some(t.account.id),
            verb,
            detail,
        )
        .await?;
    }
    let view = view(&mut tx, &t, &member).await?;
    tx.commit().await?;
    Ok((
        Changed {
            changed,
            value: view,
        },
        resend,
    ))
}

pub async fn set_role(
    store: &Store,
    who: &AdminActor,
    site: SiteId,
    account: AccountId,
    role: SiteRole,
) -> AdminResult<Changed<SiteUserView>> {
    let mut tx = store.begin().await?;
    let t = target(&mut tx, who, site, account).await?;
    let mut member = t.member.clone();
    can_change_site_user(
        &t.authority,
        Some(member.role),
        SiteUserChange::SetRole(role),
    )?;
    let decision = change_role(member.access, member.role, role)?;
    let changed = decision != RoleChange::Unchanged;
    if let RoleChange::Set(role) = decision {
        let before = member.role;
        member.role = role;
        member.updated_at = store::now_micros();
        store::put_site_user(&mut tx, &member).await?;
        let detail = json!({ "site_id": t.site.id, "role_before": before, "role": role });
        let (org, id) = (Some(t.site.org_id), Some(t.account.id));
        audit(
            &mut tx,
            who,
            org,
            id,
            AuditAction::SiteUserRoleChanged,
            detail,
        )
        .await?;
    }
    let view = view(&mut tx, &t, &member).await?;
    tx.commit().await?;
    Ok(Changed {
        changed,
        value: view,
    })
}

/// One site user.
pub async fn get(
    store: &Store,
    who: &AdminActor,
    site: SiteId,
    account: AccountId,
) -> AdminResult<SiteUserView> {
    let mut conn = store.read().await?;
    let t = target(&mut conn, who, site, account).await?;
    view(&mut conn, &t, &t.member).await
}
