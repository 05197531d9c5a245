//! Sites, their products, and site memberships.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{parse_enum, parse_id, StoreError, StoreResult};
use crate::domain::{AccountId, OrgId, SiteAccess, SiteId, SiteRole};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    pub id: SiteId,
    pub org_id: OrgId,
    pub name: String,
    pub products: Vec<String>,
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteUser {
    pub site_id: SiteId,
    pub account_id: AccountId,
    pub access: SiteAccess,
    pub role: SiteRole,
    pub created_at: i64,
    pub updated_at: i64,
}

pub async fn insert_site(conn: &mut AnyConnection, site: &Site) -> StoreResult<()> {
    sqlx::query("INSERT INTO sites (id, org_id, name, created_at) VALUES ($1, $2, $3, $4)")
        .bind(site.id.to_string())
        .bind(site.org_id.to_string())
        .bind(&site.name)
        .bind(site.created_at)
        .execute(&mut *conn)
        .await
        .map_err(StoreError::from_write)?;
    for product in &site.products {
        sqlx::query(
            "INSERT INTO site_products (site_id, product) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(site.id.to_string())
        .bind(product)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn get_site(conn: &mut AnyConnection, id: SiteId) -> StoreResult<Option<Site>> {
    let Some(row) = sqlx::query("SELECT id, org_id, name, created_at FROM sites WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let products =
        sqlx::query_scalar("SELECT product FROM site_products WHERE site_id = $1 ORDER BY product")
            .bind(id.to_string())
            .fetch_all(&mut *conn)
            .await?;
    Ok(Some(Site {
        id: parse_id(row.try_get::<&str, _>(0)?)?,
        org_id: parse_id(row.try_get::<&str, _>(1)?)?,
        name: row.try_get(2)?,
        products,
        created_at: row.try_get(3)?,
    }))
}

pub async fn list_org_sites(conn: &mut AnyConnection, org: OrgId) -> StoreResult<Vec<SiteId>> {
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT id FROM sites WHERE org_id = $1 ORDER BY created_at, id")
            .bind(org.to_string())
            .fetch_all(conn)
            .await?;
    ids.iter().map(|id| parse_id(id)).collect()
}

fn site_user_from_row(row: &AnyRow) -> StoreResult<SiteUser> {
    Ok(SiteUser {
        site_id: parse_id(row.try_get::<&str, _>(0)?)?,
        account_id: parse_id(row.try_get::<&str, _>(1)?)?,
        access: parse_enum(row.try_get::<&str, _>(2)?)?,
        role: parse_enum(row.try_get::<&str, _>(3)?)?,
        created_at: row.try_get(4)?,
        updated_at: row.try_get(5)?,
    })
}

/// Creates or overwrites a membership's access and role.
pub async fn put_site_user(conn: &mut AnyConnection, user: &SiteUser) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO site_users (site_id, account_id, access, role, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (site_id, account_id) DO UPDATE SET \
         access = excluded.access, role = excluded.role, updated_at = excluded.updated_at",
    )
    .bind(user.site_id.to_string())
    .bind(user.account_id.to_string())
    .bind(user.access.as_str())
    .bind(user.role.as_str())
    .bind(user.created_at)
    .bind(user.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_site_user(
    conn: &mut AnyConnection,
    site: SiteId,
    account: AccountId,
) -> StoreResult<Option<SiteUser>> {
    let row = sqlx::query(
        "SELECT site_id, account_id, access, role, created_at, updated_at FROM site_users \
         WHERE site_id = $1 AND account_id = $2",
    )
    .bind(site.to_string())
    .bind(account.to_string())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(site_user_from_row).transpose()
}

/// Every membership of a site, removed ones included (rule 8: they stay visible).
pub async fn list_site_users(conn: &mut AnyConnection, site: SiteId) -> StoreResult<Vec<SiteUser>> {
    let rows = sqlx::query(
        "SELECT site_id, account_id, access, role, created_at, updated_at FROM site_users \
         WHERE site_id = $1 ORDER BY created_at, account_id",
    )
    .bind(site.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter().map(site_user_from_row).collect()
}

/// Adds an account to a site unless it already has a membership there (whatever its
/// state: a removed or suspended user is not silently brought back). True if added.
pub async fn ensure_site_user(conn: &mut AnyConnection, user: &SiteUser) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO site_users (site_id, account_id, access, role, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (site_id, account_id) DO NOTHING",
    )
    .bind(user.site_id.to_string())
    .bind(user.account_id.to_string())
    .bind(user.access.as_str())
    .bind(user.role.as_str())
    .bind(user.created_at)
    .bind(user.updated_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
