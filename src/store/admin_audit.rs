//! Paged reads of the audit log for the admin API.

use super::db::Conn;

use super::audit::AuditEntry;
use super::filter_sql::SqlParams;
use super::StoreResult;
use crate::domain::{AccountId, OrgId};

/// Which entries to read, newest first.
#[derive(Clone, Copy, Debug)]
pub struct AuditPageQuery {
    pub org: Option<OrgId>,
    pub account: Option<AccountId>,
    /// Only entries older than this id (the last id of the previous page).
    pub before: Option<i64>,
    pub limit: i64,
}

pub async fn list_audit_page(
    conn: &mut Conn,
    query: &AuditPageQuery,
) -> StoreResult<Vec<AuditEntry>> {
    super::audit::flush_journal(conn).await?;
    let mut binds = SqlParams::default();
    let mut conditions = Vec::new();
    if let Some(org) = query.org {
        conditions.push(format!("org_id = {}", binds.uuid(org)));
    }
    if let Some(account) = query.account {
        conditions.push(format!("account_id = {}", binds.uuid(account)));
    }
    if let Some(before) = query.before {
        conditions.push(format!("id < {}", binds.int(before)));
    }
    if conditions.is_empty() {
        // Never the whole log across tenants.
        return Ok(Vec::new());
    }
    let limit = binds.int(query.limit);
    let sql = format!(
        "SELECT id, at, org_id, account_id, actor_kind, actor_id, action, detail FROM audit_log \
         WHERE {} ORDER BY id DESC LIMIT {limit}",
        conditions.join(" AND ")
    );
    Ok(binds.to_query(&sql).fetch_all(conn).await?)
}
