//! The provisioning log: one row per SCIM write a directory sent. A write that succeeded is
//! logged in its own transaction, in the statement that writes the transaction's audit
//! entries (see `audit::flush_journal`); a failed one afterwards, in a write of its own.

use super::accounts::email_key;
use super::db::{Conn, IntoParam, Param};
use super::filter_sql::SqlParams;
use super::StoreResult;
use crate::domain::{
    AccountId, DirectoryId, OrgId, ProvisionedResource, ProvisioningOperation, ProvisioningOutcome,
};

/// An entry to record.
#[derive(Clone, Debug, PartialEq)]
pub struct NewProvisioningEntry {
    pub at: i64,
    pub org_id: OrgId,
    pub directory_id: DirectoryId,
    /// The `jti` of the token the directory used.
    pub token_id: uuid::Uuid,
    pub operation: ProvisioningOperation,
    pub resource_type: ProvisionedResource,
    /// The SCIM id addressed or created, when known.
    pub resource_id: Option<uuid::Uuid>,
    pub account_id: Option<AccountId>,
    pub email: Option<String>,
    pub outcome: ProvisioningOutcome,
    /// Whether an `ok` write changed anything; `None` for failures.
    pub changed: Option<bool>,
    /// The HTTP status of a failure; `None` for `ok` (200, 201 or 204 as the request asked).
    pub status: Option<u16>,
    /// The refusal's code, or the SCIM `scimType` of a client error.
    pub code: Option<String>,
    /// A refusal's explanation of who can act.
    pub detail: Option<String>,
}

/// A recorded entry.
#[derive(Clone, Debug, PartialEq)]
pub struct ProvisioningEntry {
    pub id: i64,
    pub entry: NewProvisioningEntry,
}

/// Where an entry's account and email come from.
enum Account<'a> {
    /// The entry's own values.
    Given,
    /// These SQL expressions (the account, email and folded email of a joined record).
    From([&'a str; 3]),
}

/// The values of `entry` in [`COLUMNS`] order, pushed to `params`.
fn row(
    entry: &NewProvisioningEntry,
    params: &mut SqlParams,
    account: Account<'_>,
    changed: Option<&str>,
) -> String {
    let mut row = vec![
        params.time(entry.at),
        params.uuid(entry.org_id),
        params.uuid(entry.directory_id),
        params.uuid(entry.token_id),
        params.text(entry.operation.as_str()),
        params.text(entry.resource_type.as_str()),
        params.push(entry.resource_id.into_param()),
    ];
    match account {
        Account::Given => row.extend([
            params.push(entry.account_id.into_param()),
            params.push(entry.email.clone().into_param()),
            params.push(entry.email.as_deref().map(email_key).into_param()),
        ]),
        Account::From(exprs) => row.extend(exprs.map(str::to_owned)),
    }
    row.extend([
        params.text(entry.outcome.as_str()),
        changed.map_or_else(|| params.push(entry.changed.into_param()), str::to_owned),
        params.push(entry.status.map(i64::from).into_param()),
        params.push(entry.code.clone().into_param()),
        params.push(entry.detail.clone().into_param()),
    ]);
    row.join(", ")
}

/// The `VALUES` tuple of `entry`, its values pushed to `params`.
pub(super) fn values(entry: &NewProvisioningEntry, params: &mut SqlParams) -> String {
    row(entry, params, Account::Given, None)
}

/// [`values`], with `changed` an SQL expression instead of the entry's.
pub(super) fn values_changed_by(
    entry: &NewProvisioningEntry,
    params: &mut SqlParams,
    changed: &str,
) -> String {
    row(entry, params, Account::Given, Some(changed))
}

pub(super) const COLUMNS: &str = "at, org_id, directory_id, token_id, operation, resource_type, \
     resource_id, account_id, email, email_lower, outcome, changed, status, code, detail";

/// Adds a successful write's entry to its transaction: written at commit with the audit
/// entries, in one statement (at once outside a transaction).
pub async fn append_provisioning(conn: &mut Conn, entry: NewProvisioningEntry) -> StoreResult<()> {
    conn.pending_provisioning.push(entry);
    if !conn.in_transaction() {
        super::audit::flush_journal(conn).await?;
    }
    Ok(())
}

/// Records a failed write in one statement. Without an email, a user's account and email
/// are those of the directory's record named by `resource_id`, if it has one: a refusal
/// of a PATCH then names the account the IdP tried to change.
pub async fn insert_failed_provisioning(
    conn: &mut Conn,
    entry: &NewProvisioningEntry,
) -> StoreResult<()> {
    let mut params = SqlParams::default();
    let lookup = entry.email.is_none()
        && entry.account_id.is_none()
        && entry.resource_type == ProvisionedResource::User;
    let sql = match entry.resource_id {
        Some(id) if lookup => {
            let values = row(
                entry,
                &mut params,
                Account::From(["du.account_id", "a.email", "a.email_lower"]),
                None,
            );
            let directory = params.uuid(entry.directory_id);
            let id = params.uuid(id);
            format!(
                "INSERT INTO provisioning_log ({COLUMNS}) SELECT {values} FROM (SELECT 1 AS one) o \
                 LEFT JOIN directory_users du ON du.directory_id = {directory} AND du.id = {id} \
                 LEFT JOIN accounts a ON a.id = du.account_id"
            )
        }
        _ => {
            let values = values(entry, &mut params);
            format!("INSERT INTO provisioning_log ({COLUMNS}) VALUES ({values})")
        }
    };
    params.query(&sql).execute(conn).await?;
    Ok(())
}

/// Which entries to read, newest first.
#[derive(Clone, Debug, Default)]
pub struct ProvisioningLogQuery {
    pub org: Option<OrgId>,
    pub directory: Option<DirectoryId>,
    /// Any of these outcomes; empty: all.
    pub outcomes: Vec<ProvisioningOutcome>,
    /// Compared as accounts compare emails (ignoring case, the domain in IDNA ASCII form).
    pub email: Option<String>,
    /// Only entries older than this id (the last id of the previous page).
    pub before: Option<i64>,
    pub limit: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    #[sqlx(try_from = "super::db_types::DbTime")]
    at: i64,
    #[sqlx(try_from = "super::db_types::DbUuid")]
    org_id: OrgId,
    #[sqlx(try_from = "super::db_types::DbUuid")]
    directory_id: DirectoryId,
    #[sqlx(try_from = "super::db_types::DbUuid")]
    token_id: uuid::Uuid,
    #[sqlx(try_from = "String")]
    operation: ProvisioningOperation,
    #[sqlx(try_from = "String")]
    resource_type: ProvisionedResource,
    #[sqlx(try_from = "super::db_types::DbUuidOpt")]
    resource_id: Option<uuid::Uuid>,
    #[sqlx(try_from = "super::db_types::DbUuidOpt")]
    account_id: Option<AccountId>,
    email: Option<String>,
    #[sqlx(try_from = "String")]
    outcome: ProvisioningOutcome,
    changed: Option<bool>,
    status: Option<i64>,
    code: Option<String>,
    detail: Option<String>,
}

impl From<Row> for ProvisioningEntry {
    fn from(row: Row) -> Self {
        ProvisioningEntry {
            id: row.id,
            entry: NewProvisioningEntry {
                at: row.at,
                org_id: row.org_id,
                directory_id: row.directory_id,
                token_id: row.token_id,
                operation: row.operation,
                resource_type: row.resource_type,
                resource_id: row.resource_id,
                account_id: row.account_id,
                email: row.email,
                outcome: row.outcome,
                changed: row.changed,
                status: row.status.and_then(|s| u16::try_from(s).ok()),
                code: row.code,
                detail: row.detail,
            },
        }
    }
}

/// One page of an org's log, newest first, in one statement. Each filter has its index:
/// the org's rows, its failures, a directory's rows or an email's rows, all by id.
pub async fn list_provisioning_log(
    conn: &mut Conn,
    query: &ProvisioningLogQuery,
) -> StoreResult<Vec<ProvisioningEntry>> {
    super::audit::flush_journal(conn).await?;
    let Some(org) = query.org else {
        // Never the whole log across tenants.
        return Ok(Vec::new());
    };
    let mut binds = SqlParams::default();
    let mut conditions = vec![format!("org_id = {}", binds.uuid(org))];
    if let Some(directory) = query.directory {
        conditions.push(format!("directory_id = {}", binds.uuid(directory)));
    }
    if !query.outcomes.is_empty() {
        let listed: Vec<String> = query
            .outcomes
            .iter()
            .map(|o| binds.text(o.as_str()))
            .collect();
        conditions.push(format!("outcome IN ({})", listed.join(", ")));
        if !query.outcomes.contains(&ProvisioningOutcome::Ok) {
            // Spelt as the partial index's condition, so both planners may use it.
            conditions.push("outcome <> 'ok'".to_owned());
        }
    }
    if let Some(email) = &query.email {
        conditions.push(format!("email_lower = {}", binds.text(email_key(email))));
    }
    if let Some(before) = query.before {
        conditions.push(format!("id < {}", binds.int(before)));
    }
    let limit = binds.int(query.limit);
    let sql = format!(
        "SELECT id, at, org_id, directory_id, token_id, operation, resource_type, resource_id, \
         account_id, email, outcome, changed, status, code, detail FROM provisioning_log \
         WHERE {} ORDER BY id DESC LIMIT {limit}",
        conditions.join(" AND ")
    );
    let rows: Vec<Row> = binds.query(&sql).fetch_all(conn).await?;
    Ok(rows.into_iter().map(ProvisioningEntry::from).collect())
}

/// How many rows one pruning statement deletes at most.
pub const PRUNE_BATCH: u64 = 1000;

/// Deletes up to [`PRUNE_BATCH`] of the oldest entries recorded before `cutoff`; how many
/// went. The batch size is in the text, not bound: PostgreSQL then plans the `IN` as that
/// many primary-key probes, where an unknown `LIMIT` made it hash-join a scan of the table.
pub async fn prune_provisioning_log(conn: &mut Conn, cutoff: i64) -> StoreResult<u64> {
    let sql = format!(
        "DELETE FROM provisioning_log WHERE id IN \
         (SELECT id FROM provisioning_log WHERE at < $1 ORDER BY at LIMIT {PRUNE_BATCH})"
    );
    let deleted = super::db::query(&sql)
        .bind(Param::Time(cutoff))
        .execute(conn)
        .await?;
    Ok(deleted)
}

/// Erases a deleted account's email from the log (rule 11): the entries that name the
/// account, and those that name its email without it (a refused create).
pub async fn erase_provisioning_email(
    conn: &mut Conn,
    account: AccountId,
    email: Option<&str>,
) -> StoreResult<u64> {
    let erased = super::db::query(
        "UPDATE provisioning_log SET email = NULL, email_lower = NULL \
         WHERE account_id = $1 OR email_lower = $2",
    )
    .bind(account)
    .bind(email.map(email_key))
    .execute(conn)
    .await?;
    Ok(erased)
}
