//! Product access on a site through the admin API (rule 7). Access stays "the union of
//! what the user's groups grant": granting adds the user to the site's own local group for
//! the product (made on first use), revoking takes them out of it.

use crate::domain::audit::AuditAction;
use serde_json::json;
use store::Conn;

use super::site_users::{target, view};
use super::views::{Changed, SiteUserView};
use super::{audit, facts, invalid, AdminActor, AdminResult};
use crate::domain::{
    can_change_site_product, can_change_site_user, plan_product_revoke, AccountId, GroupId,
    Product, ProductAccessChange, SiteId, SiteUserChange,
};
use crate::service::groups::members::group_facts;
use crate::store::{self, Group, ProductGrant, Site, Store};

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

pub async fn grant(
    store: &Store,
    who: &AdminActor,
    site: SiteId,
    account: AccountId,
    product: &str,
) -> AdminResult<Changed<SiteUserView>> {
    let mut tx = store.begin().await?;
    let t = target(&mut tx, who, site, account).await?;
    let product = site_product(&t.site, product)?;
    let change = ProductAccessChange::Grant;
    can_change_site_user(
        &t.authority,
        Some(t.member.role),
        SiteUserChange::Product(change),
    )?;
    can_change_site_product(&t.authority, &facts(&t.account, 0), t.member.access, change)?;
    let current = store::account_site_products(&mut tx, t.account.id, t.site.id).await?;
    let changed = !current.iter().any(|p| p == product.as_str());
    if changed {
        let now = store::now_micros();
        let group = product_group(&mut tx, &t.site, &product, now).await?;
        store::add_group_members(&mut tx, group, &[t.account.id], now).await?;
        let detail =
            json!({ "site_id": t.site.id, "product": product.as_str(), "group_id": group });
        let (org, id) = (Some(t.site.org_id), Some(t.account.id));
        audit(
            &mut tx,
            who,
            org,
            id,
            AuditAction::ProductAccessGranted,
            detail,
        )
        .await?;
    }
    let view = view(&mut tx, &t, &t.member).await?;
    tx.commit().await?;
    Ok(Changed {
        changed,
        value: view,
    })
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
    let t = target(&mut tx, who, site, account).await?;
    let product = site_product(&t.site, product)?;
    let change = ProductAccessChange::Revoke;
    can_change_site_user(
        &t.authority,
        Some(t.member.role),
        SiteUserChange::Product(change),
    )?;
    can_change_site_product(&t.authority, &facts(&t.account, 0), t.member.access, change)?;
    let own = store::site_product_group(&mut tx, t.site.id, product.as_str()).await?;
    let granting =
        store::account_groups_granting(&mut tx, t.account.id, t.site.id, product.as_str()).await?;
    let granting: Vec<_> = granting.iter().map(group_facts).collect();
    let leave = plan_product_revoke(&granting, own)?;
    let changed = !leave.is_empty();
    for group in &leave {
        store::remove_group_members(&mut tx, *group, &[t.account.id]).await?;
    }
    if changed {
        let detail = json!({ "site_id": t.site.id, "product": product.as_str() });
        let (org, id) = (Some(t.site.org_id), Some(t.account.id));
        audit(
            &mut tx,
            who,
            org,
            id,
            AuditAction::ProductAccessRevoked,
            detail,
        )
        .await?;
    }
    let view = view(&mut tx, &t, &t.member).await?;
    tx.commit().await?;
    Ok(Changed {
        changed,
        value: view,
    })
}
