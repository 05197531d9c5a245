//! Product access through groups: an operator maps a group to products on its org's sites,
//! and an account's access on a site is derived from its groups at read time, so a
//! membership change takes effect at once. Used by the CLI; the admin API (issue 5) builds
//! on the same functions.

use crate::domain::audit::{ActorKind, AuditAction};
use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::json;

use crate::domain::{
    licensed_products, product_access, AccountId, DirectoryId, GroupId, Product,
    ProductAccessChange, SiteId,
};
use crate::service::error::{ServiceError, ServiceResult};
use crate::store::{self, NewAuditEntry, ProductGrant, Store, Tx};

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct GrantView {
    pub site_id: SiteId,
    pub product: String,
}

/// A group's grants after a change.
#[derive(Clone, Debug, Serialize)]
pub struct GroupGrants {
    pub group_id: GroupId,
    pub display_name: String,
    /// False when the group already had (or already lacked) the grant.
    pub changed: bool,
    pub grants: Vec<GrantView>,
}

async fn audit(
    tx: &mut Tx,
    org: crate::domain::OrgId,
    action: AuditAction,
    detail: serde_json::Value,
) -> ServiceResult<()> {
    store::append_audit(
        tx,
        &NewAuditEntry {
            at: store::now_micros(),
            org_id: Some(org),
            account_id: None,
            actor_kind: ActorKind::System,
            actor_id: "cli".into(),
            action,
            detail,
        },
    )
    .await?;
    Ok(())
}

/// Grants `product` on `site` to the members of `group` (the site must belong to the
/// group's org and offer the product), or ends that grant: members keep whatever other
/// groups grant them.
pub async fn change_product(
    store: &Store,
    group_id: GroupId,
    site_id: SiteId,
    product: &str,
    change: ProductAccessChange,
) -> ServiceResult<GroupGrants> {
    let grant = change == ProductAccessChange::Grant;
    let product = Product::new(product).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let mut tx = store.begin().await?;
    let group = store::get_group(&mut tx, group_id)
        .await?
        .ok_or(ServiceError::NotFound("group"))?;
    let site = store::get_site(&mut tx, site_id)
        .await?
        .ok_or(ServiceError::NotFound("site"))?;
    if site.org_id != group.org_id {
        return Err(ServiceError::Invalid(format!(
            "site {site_id} belongs to another organization than group {group_id}"
        )));
    }
    if grant && !site.products.iter().any(|p| p == product.as_str()) {
        return Err(ServiceError::Invalid(format!(
            "site {site_id} has no product {product}; its products: {}",
            site.products.join(", ")
        )));
    }
    let row = ProductGrant {
        site_id,
        product: product.as_str().to_owned(),
    };
    let changed = if grant {
        let before = store::list_group_grants(&mut tx, group_id).await?;
        store::grant_group_product(&mut tx, group_id, &row).await?;
        !before.contains(&row)
    } else {
        store::revoke_group_product(&mut tx, group_id, &row).await?
    };
    if changed {
        let action = if grant {
            AuditAction::GroupProductGranted
        } else {
            AuditAction::GroupProductRevoked
        };
        audit(
            &mut tx,
            group.org_id,
            action,
            json!({ "group_id": group_id, "site_id": site_id, "product": product }),
        )
        .await?;
    }
    let grants = store::list_group_grants(&mut tx, group_id)
        .await?
        .into_iter()
        .map(|g| GrantView {
            site_id: g.site_id,
            product: g.product,
        })
        .collect();
    tx.commit().await?;
    Ok(GroupGrants {
        group_id,
        display_name: group.display_name,
        changed,
        grants,
    })
}

/// An account's product access on one site.
#[derive(Clone, Debug, Serialize)]
pub struct AccountSiteAccess {
    pub account_id: AccountId,
    pub site_id: SiteId,
    pub status: &'static str,
    /// The account's membership of the site, if it has one.
    pub site_access: Option<&'static str>,
    /// What the account's groups grant on the site; kept while it is deactivated (rule 1).
    pub granted: BTreeSet<Product>,
    /// What it can use and what counts against the site's licenses: `granted` while the
    /// account is active and has site access, nothing otherwise (rules 1, 7).
    pub licensed: BTreeSet<Product>,
}

/// Derives an account's product access on `site` from its groups, now.
pub async fn account_site_access(
    store: &Store,
    account: AccountId,
    site: SiteId,
) -> ServiceResult<AccountSiteAccess> {
    let mut conn = store.read().await?;
    let account = store::get_account(&mut conn, account)
        .await?
        .ok_or(ServiceError::NotFound("account"))?;
    store::get_site(&mut conn, site)
        .await?
        .ok_or(ServiceError::NotFound("site"))?;
    let grants: Vec<crate::domain::licenses::ProductGrant> =
        store::account_site_products(&mut conn, account.id, site)
            .await?
            .iter()
            // Stored keys were validated when granted; one that no longer parses grants nothing.
            .filter_map(|p| Product::new(p).ok())
            .map(|product| crate::domain::licenses::ProductGrant { site, product })
            .collect();
    let granted = product_access(site, &grants);
    let membership = store::get_site_user(&mut conn, site, account.id).await?;
    let licensed = match &membership {
        Some(m) => licensed_products(account.status, m.access, granted.clone()),
        None => BTreeSet::new(),
    };
    Ok(AccountSiteAccess {
        account_id: account.id,
        site_id: site,
        status: account.status.as_str(),
        site_access: membership.map(|m| m.access.as_str()),
        granted,
        licensed,
    })
}

/// The account with this email, for commands that name accounts by email.
pub async fn account_by_email(store: &Store, email: &str) -> ServiceResult<AccountId> {
    let mut conn = store.read().await?;
    store::find_account_by_email(&mut conn, email)
        .await?
        .map(|a| a.id)
        .ok_or(ServiceError::NotFound("account"))
}

/// Makes group PATCH answer 204 for this directory, for IdPs that push very large groups
/// and do not need the group back.
pub async fn set_group_patch_minimal(
    store: &Store,
    directory: DirectoryId,
    minimal: bool,
) -> ServiceResult<()> {
    let mut tx = store.begin().await?;
    let dir = store::get_directory(&mut tx, directory)
        .await?
        .ok_or(ServiceError::NotFound("directory"))?;
    store::set_group_patch_minimal(&mut tx, directory, minimal).await?;
    audit(
        &mut tx,
        dir.org_id,
        AuditAction::DirectoryGroupPatchMinimalSet,
        json!({ "directory_id": directory, "group_patch_minimal": minimal }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
