//! The append-only audit log. Entries are written in the transaction of the change they
//! describe, so a change and its record commit or vanish together.

use super::db::{Conn, IntoParam, Param};
use super::filter_sql::SqlParams;

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

/// An entry waiting for its transaction's commit.
#[derive(Debug)]
pub(super) struct PendingAudit {
    at: i64,
    org_id: Option<OrgId>,
    account_id: Option<AccountId>,
    actor_kind: String,
    actor_id: String,
    action: String,
    detail: String,
}

/// Appends an entry to the change's transaction. Inside a transaction the entries are
/// written together, in order, in one statement when it commits.
pub async fn append_audit(conn: &mut Conn, entry: &NewAuditEntry<'_>) -> StoreResult<()> {
    conn.pending_audit.push(PendingAudit {
        at: entry.at,
        org_id: entry.org_id,
        account_id: entry.account_id,
        actor_kind: entry.actor_kind.to_owned(),
        actor_id: entry.actor_id.clone(),
        action: entry.action.to_owned(),
        detail: entry.detail.to_string(),
    });
    if !conn.in_transaction() {
        flush_audit(conn).await?;
    }
    Ok(())
}

/// Writes the entries appended so far, oldest first.
pub(super) async fn flush_audit(conn: &mut Conn) -> Result<(), sqlx::Error> {
    // Well below SQLite's 32,766 bound parameters per statement.
    const ROWS_PER_STATEMENT: usize = 1000;
    let pending = std::mem::take(&mut conn.pending_audit);
    for chunk in pending.chunks(ROWS_PER_STATEMENT) {
        let mut params = SqlParams::default();
        let rows: Vec<String> = chunk
            .iter()
            .map(|e| {
                format!(
                    "({}, {}, {}, {}, {}, {}, {})",
                    params.time(e.at),
                    params.push(e.org_id.into_param()),
                    params.push(e.account_id.into_param()),
                    params.text(e.actor_kind.as_str()),
                    params.text(e.actor_id.as_str()),
                    params.text(e.action.as_str()),
                    params.push(Param::Json(e.detail.clone())),
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO audit_log (at, org_id, account_id, actor_kind, actor_id, action, detail) \
             VALUES {}",
            rows.join(", ")
        );
        params.query(&sql).execute(conn).await?;
    }
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
