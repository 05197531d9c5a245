//! Sites, their products, and site memberships.

use std::collections::HashMap;

use super::db::{placeholder_list, query, Conn, Query, Time};
use super::db_types::{DbTime, DbUuid};

use super::StoreResult;
use crate::domain::{AccountId, OrgId, SiteAccess, SiteId, SiteRole};

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Site {
    #[sqlx(try_from = "DbUuid")]
    pub id: SiteId,
    #[sqlx(try_from = "DbUuid")]
    pub org_id: OrgId,
    pub name: String,
    /// In a table of their own, read by a second statement.
    #[sqlx(skip)]
    pub products: Vec<String>,
    #[sqlx(try_from = "DbTime")]
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SiteUser {
    #[sqlx(try_from = "DbUuid")]
    pub site_id: SiteId,
    #[sqlx(try_from = "DbUuid")]
    pub account_id: AccountId,
    #[sqlx(try_from = "String")]
    pub access: SiteAccess,
    #[sqlx(try_from = "String")]
    pub role: SiteRole,
    #[sqlx(try_from = "DbTime")]
    pub created_at: i64,
    #[sqlx(try_from = "DbTime")]
    pub updated_at: i64,
}

pub async fn insert_site(conn: &mut Conn, site: &Site) -> StoreResult<()> {
    query("INSERT INTO sites (id, org_id, name, created_at) VALUES ($1, $2, $3, $4)")
        .bind(site.id)
        .bind(site.org_id)
        .bind(&site.name)
        .bind(Time(site.created_at))
        .execute(&mut *conn)
        .await?;
    for product in &site.products {
        query(
            "INSERT INTO site_products (site_id, product) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(site.id)
        .bind(product)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn get_site(conn: &mut Conn, id: SiteId) -> StoreResult<Option<Site>> {
    let Some(mut site): Option<Site> =
        query("SELECT id, org_id, name, created_at FROM sites WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
    else {
        return Ok(None);
    };
    site.products = query("SELECT product FROM site_products WHERE site_id = $1 ORDER BY product")
        .bind(id)
        .scalars(&mut *conn)
        .await?;
    Ok(Some(site))
}

/// The sites of `ids`, without their products (a delivery pass needs their names): one
/// statement for the lot, in no set order; ids of sites that are gone are left out.
pub async fn sites_without_products(conn: &mut Conn, ids: &[SiteId]) -> StoreResult<Vec<Site>> {
    super::sql_params::rows_by_ids(
        conn,
        "SELECT id, org_id, name, created_at FROM sites",
        "id",
        ids,
    )
    .await
}

/// A product of one of an org's sites.
#[derive(sqlx::FromRow)]
struct OrgSiteProduct {
    #[sqlx(try_from = "DbUuid")]
    site_id: SiteId,
    product: String,
}

/// Every site of an org with its products, oldest first: two statements whatever the
/// number of sites, as an org admin's list is.
pub async fn list_org_sites(conn: &mut Conn, org: OrgId) -> StoreResult<Vec<Site>> {
    let mut sites: Vec<Site> = query(
        "SELECT id, org_id, name, created_at FROM sites WHERE org_id = $1 \
         ORDER BY created_at, id",
    )
    .bind(org)
    .fetch_all(&mut *conn)
    .await?;
    if sites.is_empty() {
        return Ok(sites);
    }
    let products: Vec<OrgSiteProduct> = query(
        "SELECT sp.site_id, sp.product FROM site_products sp \
         JOIN sites s ON s.id = sp.site_id WHERE s.org_id = $1 ORDER BY sp.product",
    )
    .bind(org)
    .fetch_all(&mut *conn)
    .await?;
    let mut by_site: HashMap<SiteId, Vec<String>> = HashMap::new();
    for row in products {
        by_site.entry(row.site_id).or_default().push(row.product);
    }
    for site in &mut sites {
        site.products = by_site.remove(&site.id).unwrap_or_default();
    }
    Ok(sites)
}

/// `user`'s values bound next, every column of `site_users` in table order.
fn bind_site_user<'q>(statement: Query<'q>, user: &SiteUser) -> Query<'q> {
    statement
        .bind(user.site_id)
        .bind(user.account_id)
        .bind(user.access.as_str())
        .bind(user.role.as_str())
        .bind(Time(user.created_at))
        .bind(Time(user.updated_at))
}

/// Creates or overwrites a membership's access and role.
pub async fn put_site_user(conn: &mut Conn, user: &SiteUser) -> StoreResult<()> {
    put_site_users(conn, std::slice::from_ref(user)).await
}

/// Rows per multi-row membership statement (six values each).
const SITE_USERS_PER_STATEMENT: usize = 200;

/// [`put_site_user`] for many memberships (of distinct accounts or sites), a statement per
/// [`SITE_USERS_PER_STATEMENT`].
pub async fn put_site_users(conn: &mut Conn, users: &[SiteUser]) -> StoreResult<()> {
    for chunk in users.chunks(SITE_USERS_PER_STATEMENT) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| format!("({})", placeholder_list(i * 6 + 1, 6)))
            .collect();
        let sql = format!(
            "INSERT INTO site_users (site_id, account_id, access, role, created_at, updated_at) \
             VALUES {} ON CONFLICT (site_id, account_id) DO UPDATE SET \
             access = excluded.access, role = excluded.role, updated_at = excluded.updated_at",
            rows.join(", ")
        );
        let statement = chunk.iter().fold(query(&sql), bind_site_user);
        statement.execute(&mut *conn).await?;
    }
    Ok(())
}

pub async fn get_site_user(
    conn: &mut Conn,
    site: SiteId,
    account: AccountId,
) -> StoreResult<Option<SiteUser>> {
    let sql = "SELECT site_id, account_id, access, role, created_at, updated_at FROM site_users \
         WHERE site_id = $1 AND account_id = $2";
    Ok(query(sql)
        .bind(site)
        .bind(account)
        .fetch_optional(conn)
        .await?)
}

/// Every membership of a site, removed ones included (rule 8: they stay visible).
pub async fn list_site_users(conn: &mut Conn, site: SiteId) -> StoreResult<Vec<SiteUser>> {
    let sql = "SELECT site_id, account_id, access, role, created_at, updated_at FROM site_users \
         WHERE site_id = $1 ORDER BY created_at, account_id";
    Ok(query(sql).bind(site).fetch_all(conn).await?)
}

/// The memberships of these accounts on a site, removed ones included: one statement.
pub async fn site_users_of(
    conn: &mut Conn,
    site: SiteId,
    accounts: &[AccountId],
) -> StoreResult<Vec<SiteUser>> {
    if accounts.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT site_id, account_id, access, role, created_at, updated_at FROM site_users \
         WHERE site_id = $1 AND account_id IN ({})",
        placeholder_list(2, accounts.len())
    );
    Ok(query(&sql)
        .bind(site)
        .bind_each(accounts.iter().copied())
        .fetch_all(conn)
        .await?)
}

/// Creates a membership unless the account already has one on the site; true if it did.
pub async fn ensure_site_user(conn: &mut Conn, user: &SiteUser) -> StoreResult<bool> {
    let sql = "INSERT INTO site_users (site_id, account_id, access, role, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (site_id, account_id) DO NOTHING";
    Ok(bind_site_user(query(sql), user).execute(conn).await? == 1)
}
