//! Pending domain verifications: the challenge token each org must publish in DNS.

use super::db::{query, Conn, Time};
use super::db_types::{DbTime, DbUuid};
use super::StoreResult;
use crate::domain::OrgId;

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct DomainChallengeRow {
    pub domain: String,
    #[sqlx(try_from = "DbUuid")]
    pub org_id: OrgId,
    pub token: String,
    #[sqlx(try_from = "DbTime")]
    pub created_at: i64,
}

/// The org's challenge for `domain`, created with `token` unless it has one already: asking
/// again hands out the same token, so a record already published stays valid.
pub async fn ensure_domain_challenge(
    conn: &mut Conn,
    domain: &str,
    org: OrgId,
    token: &str,
    at: i64,
) -> StoreResult<(bool, DomainChallengeRow)> {
    let created = query(
        "INSERT INTO domain_challenges (domain, org_id, token, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (domain, org_id) DO NOTHING",
    )
    .bind(domain)
    .bind(org)
    .bind(token)
    .bind(Time(at))
    .execute(&mut *conn)
    .await?;
    let row = get_domain_challenge(conn, domain, org)
        .await?
        .ok_or_else(|| super::StoreError::Corrupt("challenge vanished after insert".into()))?;
    Ok((created == 1, row))
}

pub async fn get_domain_challenge(
    conn: &mut Conn,
    domain: &str,
    org: OrgId,
) -> StoreResult<Option<DomainChallengeRow>> {
    let sql = "SELECT domain, org_id, token, created_at FROM domain_challenges \
         WHERE domain = $1 AND org_id = $2";
    Ok(query(sql)
        .bind(domain)
        .bind(org)
        .fetch_optional(conn)
        .await?)
}

/// Every org's challenge for `domain`: once one org holds it, the others' prove nothing.
pub async fn delete_domain_challenges(conn: &mut Conn, domain: &str) -> StoreResult<u64> {
    Ok(query("DELETE FROM domain_challenges WHERE domain = $1")
        .bind(domain)
        .execute(conn)
        .await?)
}

pub async fn list_domain_challenges(
    conn: &mut Conn,
    org: OrgId,
) -> StoreResult<Vec<DomainChallengeRow>> {
    let sql = "SELECT domain, org_id, token, created_at FROM domain_challenges \
         WHERE org_id = $1 ORDER BY domain";
    Ok(query(sql).bind(org).fetch_all(conn).await?)
}
