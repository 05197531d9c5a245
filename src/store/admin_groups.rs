//! Group reads the admin API needs beyond `groups.rs`: an org's groups and the groups
//! through which an account gets a product.

use super::db::{query, Conn};

use super::db_types::DbUuid;
use super::groups::{Group, ProductGrant};
use super::StoreResult;
use crate::domain::{AccountId, GroupId, OrgId, SiteId};

const COLUMNS: &str = "g.id, g.org_id, g.directory_id, g.display_name, g.external_id, \
     g.created_at, g.updated_at, g.version";

/// Every group of an org, local and synced, by name.
pub async fn list_org_groups(conn: &mut Conn, org: OrgId) -> StoreResult<Vec<Group>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM org_groups g WHERE g.org_id = $1 ORDER BY g.display_name_lower, g.id"
    );
    Ok(query(&sql).bind(org).fetch_all(conn).await?)
}

/// A product grant of one of an org's groups.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct OrgGroupGrant {
    #[sqlx(try_from = "DbUuid")]
    pub group_id: GroupId,
    #[sqlx(flatten)]
    pub grant: ProductGrant,
}

/// The grants of every group of an org, in one statement whatever the number of groups,
/// by group, then as `list_group_grants` orders each group's.
pub async fn list_org_group_grants(conn: &mut Conn, org: OrgId) -> StoreResult<Vec<OrgGroupGrant>> {
    let sql = "SELECT gr.group_id, gr.site_id, gr.product FROM group_grants gr \
         JOIN org_groups g ON g.id = gr.group_id WHERE g.org_id = $1 \
         ORDER BY gr.group_id, gr.site_id, gr.product";
    Ok(query(sql).bind(org).fetch_all(conn).await?)
}

/// The groups of `account` that grant `product` on `site`.
pub async fn account_groups_granting(
    conn: &mut Conn,
    account: AccountId,
    site: SiteId,
    product: &str,
) -> StoreResult<Vec<Group>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM org_groups g JOIN group_members m ON m.group_id = g.id \
         JOIN group_grants gr ON gr.group_id = g.id \
         WHERE m.account_id = $1 AND gr.site_id = $2 AND gr.product = $3 ORDER BY g.id"
    );
    Ok(query(&sql)
        .bind(account)
        .bind(site)
        .bind(product)
        .fetch_all(conn)
        .await?)
}

/// Whether `account` is a member of the group.
pub async fn is_group_member(
    conn: &mut Conn,
    group: crate::domain::GroupId,
    account: AccountId,
) -> StoreResult<bool> {
    let found: Option<super::db_types::DbUuid> =
        query("SELECT account_id FROM group_members WHERE group_id = $1 AND account_id = $2")
            .bind(group)
            .bind(account)
            .scalar_optional(conn)
            .await?;
    Ok(found.is_some())
}
