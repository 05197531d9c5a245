//! The append-only audit log. Entries are written in the transaction of the change they
//! describe, so a change and its record commit or vanish together.

use sqlx::{AnyConnection, Row};

use super::{parse_id, StoreError, StoreResult};
use crate::domain::{AccountId, OrgId};

#[derive(Clone, Debug, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub org_id: Option<OrgId>,
    pub account_id: Option<AccountId>,
    /// `directory`, `org_admin`, `site_admin`, `account` or `system`.
    pub actor_kind: String,
    pub actor_id: String,
    /// A stable verb such as `account.deactivated`.
    pub action: String,
    pub detail: serde_json::Value,
}

#[derive(Clone, Debug)]
pub struct NewAuditEntry<'a> {
    pub at: i64,
    pub org_id: Option<OrgId>,
    pub account_id: Option<AccountId>,
    pub actor_kind: &'a str,
    pub actor_id: String,
    pub action: &'a str,
    pub detail: serde_json::Value,
}

pub async fn append_audit(conn: &mut AnyConnection, entry: &NewAuditEntry<'_>) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, org_id, account_id, actor_kind, actor_id, action, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(entry.at)
    .bind(entry.org_id.map(|o| o.to_string()))
    .bind(entry.account_id.map(|a| a.to_string()))
    .bind(entry.actor_kind)
    .bind(&entry.actor_id)
    .bind(entry.action)
    .bind(entry.detail.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// Which entries to list, newest first.
#[derive(Clone, Copy, Debug)]
pub enum AuditScope {
    Org(OrgId),
    Account(AccountId),
}

pub async fn list_audit(
    conn: &mut AnyConnection,
    scope: AuditScope,
    limit: i64,
) -> StoreResult<Vec<AuditEntry>> {
    let (sql, key) = match scope {
        AuditScope::Org(org) => (
            "SELECT id, at, org_id, account_id, actor_kind, actor_id, action, detail FROM audit_log \
             WHERE org_id = $1 ORDER BY id DESC LIMIT $2",
            org.to_string(),
        ),
        AuditScope::Account(account) => (
            "SELECT id, at, org_id, account_id, actor_kind, actor_id, action, detail FROM audit_log \
             WHERE account_id = $1 ORDER BY id DESC LIMIT $2",
            account.to_string(),
        ),
    };
    let rows = sqlx::query(sql)
        .bind(key)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|row| {
            let org: Option<String> = row.try_get(2)?;
            let account: Option<String> = row.try_get(3)?;
            let detail: String = row.try_get(7)?;
            Ok(AuditEntry {
                id: row.try_get(0)?,
                at: row.try_get(1)?,
                org_id: org.as_deref().map(parse_id).transpose()?,
                account_id: account.as_deref().map(parse_id).transpose()?,
                actor_kind: row.try_get(4)?,
                actor_id: row.try_get(5)?,
                action: row.try_get(6)?,
                detail: serde_json::from_str(&detail)
                    .map_err(|e| StoreError::Corrupt(format!("audit detail: {e}")))?,
            })
        })
        .collect()
}
