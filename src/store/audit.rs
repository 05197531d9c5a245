//! The append-only audit log. Entries are written in the transaction of the change they
//! describe, so a change and its record commit or vanish together.

use super::db::{query, Conn};

use super::StoreResult;
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

pub async fn append_audit(conn: &mut Conn, entry: &NewAuditEntry<'_>) -> StoreResult<()> {
    query(
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
    conn: &mut Conn,
    scope: AuditScope,
    limit: i64,
) -> StoreResult<Vec<AuditEntry>> {
    let (org, account) = match scope {
        AuditScope::Org(org) => (Some(org), None),
        AuditScope::Account(account) => (None, Some(account)),
    };
    super::list_audit_page(
        conn,
        &super::AuditPageQuery {
            org,
            account,
            before: None,
            limit,
        },
    )
    .await
}
