//! The append-only audit log. Entries are written in the transaction of the change they
//! describe, so a change and its record commit or vanish together.

use super::db::{Conn, IntoParam, Param};
use super::db_types::{DbJson, DbTime, DbUuidOpt};
use super::filter_sql::SqlParams;
use super::provisioning_log::{values, NewProvisioningEntry, COLUMNS as LOG_COLUMNS};
use super::Backend;

use super::StoreResult;
use crate::domain::audit::{ActorKind, AuditAction};
use crate::domain::{AccountId, OrgId};

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: i64,
    #[sqlx(try_from = "DbTime")]
    pub at: i64,
    #[sqlx(try_from = "DbUuidOpt")]
    pub org_id: Option<OrgId>,
    #[sqlx(try_from = "DbUuidOpt")]
    pub account_id: Option<AccountId>,
    /// `directory`, `org_admin`, `site_admin`, `account` or `system`.
    pub actor_kind: String,
    pub actor_id: String,
    /// A stable verb such as `account.deactivated`.
    pub action: String,
    #[sqlx(try_from = "DbJson")]
    pub detail: serde_json::Value,
}

#[derive(Clone, Debug)]
pub struct NewAuditEntry {
    pub at: i64,
    pub org_id: Option<OrgId>,
    pub account_id: Option<AccountId>,
    pub actor_kind: ActorKind,
    pub actor_id: String,
    pub action: AuditAction,
    pub detail: serde_json::Value,
}

/// An entry waiting for its transaction's commit.
#[derive(Debug)]
pub(super) struct PendingAudit {
    at: i64,
    org_id: Option<OrgId>,
    account_id: Option<AccountId>,
    actor_kind: ActorKind,
    actor_id: String,
    action: AuditAction,
    detail: String,
}

impl From<&NewAuditEntry> for PendingAudit {
    fn from(entry: &NewAuditEntry) -> Self {
        PendingAudit {
            at: entry.at,
            org_id: entry.org_id,
            account_id: entry.account_id,
            actor_kind: entry.actor_kind,
            actor_id: entry.actor_id.clone(),
            action: entry.action,
            detail: entry.detail.to_string(),
        }
    }
}

/// Appends an entry to the change's transaction. Inside a transaction the entries are
/// written together, in order, in one statement when it commits.
pub async fn append_audit(conn: &mut Conn, entry: &NewAuditEntry) -> StoreResult<()> {
    conn.pending_audit.push(PendingAudit::from(entry));
    if !conn.in_transaction() {
        flush_journal(conn).await?;
    }
    Ok(())
}

pub(super) const AUDIT_COLUMNS: &str =
    "at, org_id, account_id, actor_kind, actor_id, action, detail";

/// The values of an audit entry in [`AUDIT_COLUMNS`] order, pushed to `params`.
fn audit_cells(e: &PendingAudit, params: &mut SqlParams) -> [String; 7] {
    [
        params.time(e.at),
        params.push(e.org_id.into_param()),
        params.push(e.account_id.into_param()),
        params.text(e.actor_kind.as_str()),
        params.text(e.actor_id.as_str()),
        params.text(e.action.as_str()),
        params.push(Param::Json(e.detail.clone())),
    ]
}

/// PostgreSQL: the SELECT of an INSERT of `entry` (into [`AUDIT_COLUMNS`]), its detail
/// merged with `merge` (a jsonb expression over `source`), one row per row of `source`
/// (`FROM ... WHERE ...`).
pub(super) fn gated_audit_select(
    entry: &NewAuditEntry,
    params: &mut SqlParams,
    merge: &str,
    source: &str,
) -> String {
    let pending = PendingAudit::from(entry);
    let [at, org, account, kind, actor, action, detail] = audit_cells(&pending, params);
    format!(
        "SELECT {at}, {org}, {account}, {kind}, {actor}, {action}, {detail} || {merge} {source}"
    )
}

fn audit_values(e: &PendingAudit, params: &mut SqlParams) -> String {
    audit_cells(e, params).join(", ")
}

fn log_rows(entries: &[NewProvisioningEntry], params: &mut SqlParams) -> Vec<String> {
    entries.iter().map(|e| values(e, params)).collect()
}

fn tuples(rows: &[String]) -> String {
    let rows: Vec<String> = rows.iter().map(|r| format!("({r})")).collect();
    rows.join(", ")
}

/// An INSERT's rows: `VALUES ...`, or, with a `gate` (` AND ...`), the rows only if it holds.
fn rows_source(rows: &[String], gate: &str) -> String {
    match gate {
        "" => format!("VALUES {}", tuples(rows)),
        _ => format!(
            "SELECT * FROM (VALUES {}) AS j WHERE true{gate}",
            tuples(rows)
        ),
    }
}

/// Entries per INSERT at most: well below SQLite's 32,766 bound parameters per statement.
const ROWS_PER_STATEMENT: usize = 1000;

/// Writes the audit and provisioning entries appended so far, oldest first: the usual
/// transaction's (its audit entries and its one provisioning entry) in one statement.
/// Before a read of the log, which no write held for the commit may precede.
pub(super) async fn flush_journal(conn: &mut Conn) -> Result<(), sqlx::Error> {
    if conn.deferred.is_some() {
        return Err(sqlx::Error::Protocol(
            "the log is read after a write held for the commit".to_owned(),
        ));
    }
    flush_journal_then(conn, None).await.map(drop)
}

/// How [`flush_journal_then`] ended.
pub(super) struct Flushed {
    /// `then` ran, in the text of the last statement.
    pub(super) carried: bool,
    /// The write held for the commit, if any, found what it was decided on as it was; if
    /// not, nothing of the journal was written either.
    pub(super) held: bool,
}

/// [`flush_journal`], with `then` (statements without parameters) sent in the text of its
/// last statement, saving a round trip. A write held for the commit goes first, in the
/// same text if nothing that may write ran on the connection before (SQLite): each
/// journal statement then checks its guard too. On an error `then` did not run, unless
/// the error was its own.
pub(super) async fn flush_journal_then(
    conn: &mut Conn,
    then: Option<&str>,
) -> Result<Flushed, sqlx::Error> {
    let audit = std::mem::take(&mut conn.pending_audit);
    let provisioning = std::mem::take(&mut conn.pending_provisioning);
    let mut audit_chunks: Vec<&[PendingAudit]> = audit.chunks(ROWS_PER_STATEMENT).collect();
    let mut log_chunks: Vec<&[NewProvisioningEntry]> =
        provisioning.chunks(ROWS_PER_STATEMENT).collect();
    let mut deferred = conn.deferred.take();
    // PostgreSQL: the held write and the journal in one statement. Outside a transaction
    // (`commits_alone`), the journal checks the write's gate: no rollback would undo it.
    let postgres = conn.backend() == Backend::Postgres;
    let one_chunk_each = audit_chunks.len() <= 1 && log_chunks.len() <= 1;
    let alone = !conn.in_transaction();
    if let Some(write) =
        deferred.take_if(|w| postgres && one_chunk_each && w.takes_journal_ctes(alone))
    {
        let audit = audit_chunks.pop().unwrap_or_default();
        let provisioning = log_chunks.pop().unwrap_or_default();
        let mut params = write.params;
        let gate = match (&write.standalone, alone) {
            (Some(standalone), true) => standalone.gate.as_str(),
            _ => "",
        };
        let journal = table_inserts(audit, provisioning, gate, &mut params);
        let write = super::deferred::HeldWrite { params, ..write };
        let (sql, params) = write.with_journal_ctes(journal);
        let held = params.query(&sql).execute(conn).await? > 0;
        return Ok(Flushed {
            carried: false,
            held,
        });
    }
    let carry_write = then.is_some()
        && !conn.wrote
        && conn.backend() == Backend::Sqlite
        && audit_chunks.len() <= 1
        && log_chunks.len() <= 1;
    if !carry_write {
        if let Some(write) = deferred.take() {
            if !write.run(conn).await? {
                return Ok(Flushed {
                    carried: false,
                    held: false,
                });
            }
        }
    }
    // The last chunk of each goes together; a transaction rarely has more.
    let last = audit_chunks.pop().unwrap_or_default();
    let provisioning = log_chunks.pop().unwrap_or_default();
    for chunk in audit_chunks {
        let mut params = SqlParams::default();
        let rows: Vec<String> = chunk.iter().map(|e| audit_values(e, &mut params)).collect();
        let sql = format!(
            "INSERT INTO audit_log ({AUDIT_COLUMNS}) VALUES {}",
            tuples(&rows)
        );
        params.query(&sql).execute(conn).await?;
    }
    for chunk in log_chunks {
        let mut params = SqlParams::default();
        let sql = format!(
            "INSERT INTO provisioning_log ({LOG_COLUMNS}) VALUES {}",
            tuples(&log_rows(chunk, &mut params))
        );
        params.query(&sql).execute(conn).await?;
    }
    if let (Some(write), Some(then)) = (deferred, then) {
        let (sql, params) = write_with_journal(conn.backend(), write, last, provisioning);
        let changed = params.query(&sql).execute_then(conn, then).await?;
        return Ok(Flushed {
            carried: true,
            held: changed > 0,
        });
    }
    let mut params = SqlParams::default();
    let Some(sql) = journal_sql(conn.backend(), last, provisioning, "", &mut params) else {
        return Ok(Flushed {
            carried: false,
            held: true,
        });
    };
    match then {
        Some(then) => params.query(&sql).execute_then(conn, then).await?,
        None => params.query(&sql).execute(conn).await?,
    };
    Ok(Flushed {
        carried: then.is_some(),
        held: true,
    })
}

/// PostgreSQL: whether what a transaction that ran nothing leaves to its commit is one
/// statement that is all or nothing by itself (a [`super::deferred::Standalone`] write and
/// its journal, or the journal alone), so that it may run outside a transaction.
pub(super) fn commits_alone(conn: &Conn) -> bool {
    conn.pending_audit.len() <= ROWS_PER_STATEMENT
        && conn.pending_provisioning.len() <= ROWS_PER_STATEMENT
        && conn
            .deferred
            .as_ref()
            .is_none_or(|write| write.takes_journal_ctes(true))
}

/// The text of `write` with the journal's statement gated on its condition.
fn write_with_journal(
    backend: Backend,
    write: super::deferred::HeldWrite,
    audit: &[PendingAudit],
    provisioning: &[NewProvisioningEntry],
) -> (String, SqlParams) {
    let mut params = write.params;
    let journal = journal_sql(backend, audit, provisioning, &write.condition, &mut params);
    let write = super::deferred::HeldWrite { params, ..write };
    write.with_journal(journal)
}

/// SQLite: everything a transaction that ran nothing leaves to its commit (its held write
/// and its journal, the write's condition gating the journal) as one text for the writer's
/// queue, taken from `conn`; `None`, and `conn` as it was, if there is nothing to write or
/// it needs more than one text.
pub(super) fn queued_text(conn: &mut Conn) -> Option<super::group_commit::QueuedText> {
    let some = conn.leaves_to_commit();
    let fits = conn.pending_audit.len() <= ROWS_PER_STATEMENT
        && conn.pending_provisioning.len() <= ROWS_PER_STATEMENT
        && !conn.wrote;
    if !(some && fits) {
        return None;
    }
    let audit = std::mem::take(&mut conn.pending_audit);
    let provisioning = std::mem::take(&mut conn.pending_provisioning);
    let backend = conn.backend();
    let (sql, params, guarded) = match conn.deferred.take() {
        Some(write) => {
            let (sql, params) = write_with_journal(backend, write, &audit, &provisioning);
            (sql, params, true)
        }
        None => {
            let mut params = SqlParams::default();
            let sql = journal_sql(backend, &audit, &provisioning, "", &mut params)?;
            (sql, params, false)
        }
    };
    Some(super::group_commit::QueuedText {
        sql,
        params: params.into_values(),
        guarded,
    })
}

/// The statement writing `audit` and `provisioning` entries (each at most a chunk), only
/// if `gate` holds; `None` if there are none.
fn journal_sql(
    backend: Backend,
    audit: &[PendingAudit],
    provisioning: &[NewProvisioningEntry],
    gate: &str,
    params: &mut SqlParams,
) -> Option<String> {
    let sql = match (audit.is_empty(), provisioning.is_empty(), backend) {
        (true, true, _) => return None,
        (false, true, _) => {
            let rows: Vec<String> = audit.iter().map(|e| audit_values(e, params)).collect();
            format!(
                "INSERT INTO audit_log ({AUDIT_COLUMNS}) {}",
                rows_source(&rows, gate)
            )
        }
        (true, false, _) => format!(
            "INSERT INTO provisioning_log ({LOG_COLUMNS}) {}",
            rows_source(&log_rows(provisioning, params), gate)
        ),
        (false, false, Backend::Postgres) => {
            let inserts = table_inserts(audit, provisioning, gate, params);
            super::deferred::joined(backend, inserts)?
        }
        // SQLite takes no INSERT inside WITH: the view's trigger files each row in its
        // table (migration 0011). Its columns are the log's, then the audit's own.
        (false, false, Backend::Sqlite) => {
            let mut rows: Vec<String> = audit
                .iter()
                .map(|e| {
                    let [at, org, account, kind, actor, action, detail] = audit_cells(e, params);
                    format!(
                        "'audit', {at}, {org}, NULL, NULL, NULL, NULL, NULL, {account}, NULL, \
                         NULL, NULL, NULL, NULL, NULL, NULL, {kind}, {actor}, {action}, {detail}"
                    )
                })
                .collect();
            rows.extend(
                log_rows(provisioning, params)
                    .into_iter()
                    .map(|r| format!("'provisioning', {r}, NULL, NULL, NULL, NULL")),
            );
            format!(
                "INSERT INTO log_journal (kind, {LOG_COLUMNS}, actor_kind, actor_id, action, \
                 audit_detail) {}",
                rows_source(&rows, gate)
            )
        }
    };
    Some(sql)
}

/// One INSERT per table with entries: `audit` (if any) into the audit log, then
/// `provisioning` (if any) into the provisioning log, each only if `gate` holds.
fn table_inserts(
    audit: &[PendingAudit],
    provisioning: &[NewProvisioningEntry],
    gate: &str,
    params: &mut SqlParams,
) -> Vec<String> {
    let mut inserts = Vec::new();
    if !audit.is_empty() {
        let rows: Vec<String> = audit.iter().map(|e| audit_values(e, params)).collect();
        inserts.push(format!(
            "INSERT INTO audit_log ({AUDIT_COLUMNS}) {}",
            rows_source(&rows, gate)
        ));
    }
    if !provisioning.is_empty() {
        inserts.push(format!(
            "INSERT INTO provisioning_log ({LOG_COLUMNS}) {}",
            rows_source(&log_rows(provisioning, params), gate)
        ));
    }
    inserts
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
