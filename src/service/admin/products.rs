//! Product access on a site through the admin API (rule 7). Access stays "the union of
//! what the user's groups grant": granting adds the user to the site's own local group for
//! the product (made on first use), revoking takes them out of it.

use crate::domain::audit::AuditAction;
use serde_json::json;
use store::Conn;

use super::site_users::{target, view, Target};
use super::views::{Changed, SiteUserView};
use super::{audit, facts, invalid, AdminActor, AdminResult};
use crate::domain::{
    can_change_site_product, can_change_site_user, plan_product_revoke, AccountId, GroupId,
    Product, ProductAccessChange, SiteId, SiteUserChange,
};
use crate::service::groups::members::group_facts;
use crate::store::{self, Group, ProductGrant, Site, Store, Tx};

/// A product key the site offers.
pub(crate) fn site_product(site: &Site, raw: &str) -> AdminResult<Product> {
    let product = Product::new(raw.trim()).map_err(|e| invalid(e.to_string()))?;
    if !site.products.iter().any(|p| p == product.as_str()) {
        return Err(invalid(format!(
            "this site has no product {:?}; its products are {}",
            product.as_str(),
            site.products.join(", ")
        )));
    }
    Ok(product)
}

/// The site's own group for `product`, made (with its grant) on first use.
pub(crate) async fn product_group(
    conn: &mut Conn,
    site: &Site,
    product: &Product,
    at: i64,
) -> AdminResult<GroupId> {
    if let Some(id) = store::site_product_group(conn, site.id, product.as_str()).await? {
        return Ok(id);
    }
    let mut name = format!("{}-users-{}", product.as_str(), site.name);
    if store::local_group_name_taken(conn, site.org_id, &name).await? {
        name = format!("{}-users-{}", product.as_str(), site.id);
    }
    let group = Group {
        id: GroupId::new(),
        org_id: site.org_id,
        directory_id: None,
        display_name: name,
        external_id: None,
        created_at: at,
        updated_at: at,
        version: 1,
    };
    store::insert_group(conn, &group).await?;
    let grant = ProductGrant {
        site_id: site.id,
        product: product.as_str().to_owned(),
    };
    store::grant_group_product(conn, group.id, &grant).await?;
    store::insert_site_product_group(conn, site.id, product.as_str(), group.id).await?;
    Ok(group.id)
}

/// Rule 7: grants or revokes a member's access to one of the site's products, once the
/// rules allow `who` to make the change. Granting adds the member to the site's product
/// group; revoking, allowed whatever the account's status, takes them out of it, and is
/// refused (naming it) when another group grants the product.
pub async fn change_access(
    store: &Store,
    who: &AdminActor,
    (site, account): (SiteId, AccountId),
    product: &str,
    change: ProductAccessChange,
) -> AdminResult<Changed<SiteUserView>> {
    let mut tx = store.begin().await?;
    let t = target(&mut tx, who, site, account).await?;
    let product = site_product(&t.site, product)?;
    can_change_site_user(
        &t.authority,
        Some(t.member.role),
        SiteUserChange::Product(change),
    )?;
    can_change_site_product(&t.authority, &facts(&t.account, 0), t.member.access, change)?;
    let mut detail = json!({ "site_id": t.site.id, "product": product.as_str() });
    let (changed, action) = match change {
        ProductAccessChange::Grant => {
            let group = grant(&mut tx, &t, &product).await?;
            if let Some(group) = group {
                detail["group_id"] = json!(group);
            }
            (group.is_some(), AuditAction::ProductAccessGranted)
        }
        ProductAccessChange::Revoke => (
            revoke(&mut tx, &t, &product).await?,
            AuditAction::ProductAccessRevoked,
        ),
    };
    if changed {
        let (org, id) = (Some(t.site.org_id), Some(t.account.id));
        audit(&mut tx, who, org, id, action, detail).await?;
    }
    let view = view(&mut tx, &t, &t.member).await?;
    tx.commit().await?;
    Ok(Changed {
        changed,
        value: view,
    })
}

/// Adds the member to the site's product group unless they have the product already; the
/// group, if they were added.
async fn grant(tx: &mut Tx, t: &Target, product: &Product) -> AdminResult<Option<GroupId>> {
    let current = store::account_site_products(tx, t.account.id, t.site.id).await?;
    if current.iter().any(|p| p == product.as_str()) {
        return Ok(None);
    }
    let now = store::now_micros();
    let group = product_group(tx, &t.site, product, now).await?;
    store::add_group_members(tx, group, &[t.account.id], now).await?;
    Ok(Some(group))
}

/// Takes the member out of the groups the domain says to leave; true if there were any.
async fn revoke(tx: &mut Tx, t: &Target, product: &Product) -> AdminResult<bool> {
    let own = store::site_product_group(tx, t.site.id, product.as_str()).await?;
    let granting =
        store::account_groups_granting(tx, t.account.id, t.site.id, product.as_str()).await?;
    let granting: Vec<_> = granting.iter().map(group_facts).collect();
    let leave = plan_product_revoke(&granting, own)?;
    for group in &leave {
        store::remove_group_members(tx, *group, &[t.account.id]).await?;
    }
    Ok(!leave.is_empty())
}
