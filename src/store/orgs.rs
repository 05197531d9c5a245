//! Organizations and their verified domains.

use std::collections::HashMap;

use super::db::{placeholder_list, query, Conn, Time};

use super::db_types::{DbTime, DbUuid};
use super::StoreResult;
use crate::domain::OrgId;

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Organization {
    #[sqlx(try_from = "DbUuid")]
    pub id: OrgId,
    pub name: String,
    #[sqlx(try_from = "DbTime")]
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct VerifiedDomain {
    pub domain: String,
    #[sqlx(try_from = "DbUuid")]
    pub org_id: OrgId,
    #[sqlx(try_from = "DbTime")]
    pub verified_at: i64,
}

pub async fn insert_org(conn: &mut Conn, org: &Organization) -> StoreResult<()> {
    query("INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(org.id)
        .bind(&org.name)
        .bind(Time(org.created_at))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn get_org(conn: &mut Conn, id: OrgId) -> StoreResult<Option<Organization>> {
    Ok(
        query("SELECT id, name, created_at FROM organizations WHERE id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// Verifies `domain` for `org` unless some org already holds it: false then, and nothing
/// changes. One statement, so two orgs verifying at once cannot both win.
pub async fn insert_verified_domain(
    conn: &mut Conn,
    domain: &str,
    org: OrgId,
    at: i64,
) -> StoreResult<bool> {
    Ok(query(
        "INSERT INTO verified_domains (domain, org_id, verified_at) VALUES ($1, $2, $3) \
         ON CONFLICT (domain) DO NOTHING",
    )
    .bind(domain.to_ascii_lowercase())
    .bind(org)
    .bind(Time(at))
    .changed_one(conn)
    .await?)
}

/// Moves `domain` from `from` to `to` (rule 20); management of every account on it follows
/// in the same statement, since it is derived. False if `from` no longer holds it.
pub async fn move_verified_domain(
    conn: &mut Conn,
    domain: &str,
    from: OrgId,
    to: OrgId,
    at: i64,
) -> StoreResult<bool> {
    Ok(query(
        "UPDATE verified_domains SET org_id = $3, verified_at = $4 WHERE domain = $1 AND org_id = $2",
    )
    .bind(domain.to_ascii_lowercase())
    .bind(from)
    .bind(to)
    .bind(Time(at))
.changed_one(conn)
.await?)
}

pub async fn verified_domain_owner(conn: &mut Conn, domain: &str) -> StoreResult<Option<OrgId>> {
    let owner: Option<super::db_types::DbUuid> =
        query("SELECT org_id FROM verified_domains WHERE domain = $1")
            .bind(domain.to_ascii_lowercase())
            .scalar_optional(conn)
            .await?;
    Ok(owner.map(OrgId::from))
}

/// The owners of those of these domains that an org has verified, by domain (lower case):
/// one statement for the lot.
pub async fn verified_domain_owners(
    conn: &mut Conn,
    domains: &[&str],
) -> StoreResult<HashMap<String, OrgId>> {
    if domains.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT domain, org_id FROM verified_domains WHERE domain IN ({})",
        placeholder_list(1, domains.len())
    );
    let owned: Vec<DomainOwner> = query(&sql)
        .bind_each(domains.iter().map(|d| d.to_ascii_lowercase()))
        .fetch_all(conn)
        .await?;
    Ok(owned.into_iter().map(|o| (o.domain, o.org_id)).collect())
}

#[derive(sqlx::FromRow)]
struct DomainOwner {
    domain: String,
    #[sqlx(try_from = "DbUuid")]
    org_id: OrgId,
}

pub async fn list_verified_domains(
    conn: &mut Conn,
    org: OrgId,
) -> StoreResult<Vec<VerifiedDomain>> {
    let sql =
        "SELECT domain, org_id, verified_at FROM verified_domains WHERE org_id = $1 ORDER BY domain";
    Ok(query(sql).bind(org).fetch_all(conn).await?)
}
