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

/// A change to a member's access to one of the site's products: the member's facts and the
/// product, once the rules allow `who` to make it.
async fn checked(
    tx: &mut Tx,
    who: &AdminActor,
    site: SiteId,
    account: AccountId,
    product: &str,
    change: ProductAccessChange,
) -> AdminResult<(Target, Product)> {
    let t = target(tx, who, site, account).await?;
    let product = site_product(&t.site, product)?;
    can_change_site_user(
        &t.authority,
        Some(t.member.role),
        SiteUserChange::Product(change),
    )?;
    can_change_site_product(&t.authority, &facts(&t.account, 0), t.member.access, change)?;
    Ok((t, product))
}

/// Audits a change that happened, commits, and answers the member as it is now.
async fn finish(
    mut tx: Tx,
    who: &AdminActor,
    t: &Target,
    changed: bool,
    action: AuditAction,
    detail: serde_json::Value,
) -> AdminResult<Changed<SiteUserView>> {
    if changed {
        let (org, id) = (Some(t.site.org_id), Some(t.account.id));
        audit(&mut tx, who, org, id, action, detail).await?;
    }
    let view = view(&mut tx, t, &t.member).await?;
    tx.commit().await?;
    Ok(Changed {
        changed,
        value: view,
    })
}

pub async fn grant(
    store: &Store,
    who: &AdminActor,
    site: SiteId,
    account: AccountId,
    product: &str,
) -> AdminResult<Changed<SiteUserView>> {
    let mut tx = store.begin().await?;
    let change = ProductAccessChange::Grant;
    let (t, product) = checked(&mut tx, who, site, account, product, change).await?;
    let current = store::account_site_products(&mut tx, t.account.id, t.site.id).await?;
    let changed = !current.iter().any(|p| p == product.as_str());
    let mut detail = json!({ "site_id": t.site.id, "product": product.as_str() });
    if changed {
        let now = store::now_micros();
        let group = product_group(&mut tx, &t.site, &product, now).await?;
        store::add_group_members(&mut tx, group, &[t.account.id], now).await?;
        detail["group_id"] = json!(group);
    }
    finish(
        tx,
        who,
        &t,
        changed,
        AuditAction::ProductAccessGranted,
        detail,
    )
    .await
}

/// Revoking is allowed whatever the account's status (rule 7). When a group other than the
/// site's product group grants the product, nothing changes and the answer names it.
pub async fn revoke(
    store: &Store,
    who: &AdminActor,
    site: SiteId,
    account: AccountId,
    product: &str,
) -> AdminResult<Changed<SiteUserView>> {
    let mut tx = store.begin().await?;
    let change = ProductAccessChange::Revoke;
    let (t, product) = checked(&mut tx, who, site, account, product, change).await?;
    let own = store::site_product_group(&mut tx, t.site.id, product.as_str()).await?;
    let granting =
        store::account_groups_granting(&mut tx, t.account.id, t.site.id, product.as_str()).await?;
    let granting: Vec<_> = granting.iter().map(group_facts).collect();
    let leave = plan_product_revoke(&granting, own)?;
    for group in &leave {
        store::remove_group_members(&mut tx, *group, &[t.account.id]).await?;
    }
    let detail = json!({ "site_id": t.site.id, "product": product.as_str() });
    let changed = !leave.is_empty();
    finish(
        tx,
        who,
        &t,
        changed,
        AuditAction::ProductAccessRevoked,
        detail,
    )
    .await
}
