//! Organizations and their verified domains.

use sqlx::{AnyConnection, Row};

use super::{parse_id, StoreError, StoreResult};
use crate::domain::OrgId;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Organization {
    pub id: OrgId,
    pub name: String,
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedDomain {
    pub domain: String,
    pub org_id: OrgId,
    pub verified_at: i64,
}

pub async fn insert_org(conn: &mut AnyConnection, org: &Organization) -> StoreResult<()> {
    sqlx::query("INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(org.id.to_string())
        .bind(&org.name)
        .bind(org.created_at)
        .execute(conn)
        .await
        .map_err(StoreError::from_write)?;
    Ok(())
}

pub async fn get_org(conn: &mut AnyConnection, id: OrgId) -> StoreResult<Option<Organization>> {
    let row = sqlx::query("SELECT id, name, created_at FROM organizations WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?;
    row.map(|row| {
        Ok(Organization {
            id: parse_id(row.try_get::<&str, _>(0)?)?,
            name: row.try_get(1)?,
            created_at: row.try_get(2)?,
        })
    })
    .transpose()
}

/// Verifies `domain` for `org` unless some org already holds it: false then, and nothing
/// changes. One statement, so two orgs verifying at once cannot both win.
pub async fn insert_verified_domain(
    conn: &mut AnyConnection,
    domain: &str,
    org: OrgId,
    at: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO verified_domains (domain, org_id, verified_at) VALUES ($1, $2, $3) \
         ON CONFLICT (domain) DO NOTHING",
    )
    .bind(domain.to_ascii_lowercase())
    .bind(org.to_string())
    .bind(at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves `domain` from `from` to `to` (rule 20); management of every account on it follows
/// in the same statement, since it is derived. False if `from` no longer holds it.
pub async fn move_verified_domain(
    conn: &mut AnyConnection,
    domain: &str,
    from: OrgId,
    to: OrgId,
    at: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE verified_domains SET org_id = $3, verified_at = $4 WHERE domain = $1 AND org_id = $2",
    )
    .bind(domain.to_ascii_lowercase())
    .bind(from.to_string())
    .bind(to.to_string())
    .bind(at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn verified_domain_owner(
    conn: &mut AnyConnection,
    domain: &str,
) -> StoreResult<Option<OrgId>> {
    let owner: Option<String> =
        sqlx::query_scalar("SELECT org_id FROM verified_domains WHERE domain = $1")
            .bind(domain.to_ascii_lowercase())
            .fetch_optional(conn)
            .await?;
    owner.as_deref().map(parse_id).transpose()
}

pub async fn list_verified_domains(
    conn: &mut AnyConnection,
    org: OrgId,
) -> StoreResult<Vec<VerifiedDomain>> {
    let rows = sqlx::query(
        "SELECT domain, org_id, verified_at FROM verified_domains WHERE org_id = $1 ORDER BY domain",
    )
    .bind(org.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(VerifiedDomain {
                domain: row.try_get(0)?,
                org_id: parse_id(row.try_get::<&str, _>(1)?)?,
                verified_at: row.try_get(2)?,
            })
        })
        .collect()
}
