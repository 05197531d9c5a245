//! Accounts, their content counters, and tombstones.

use std::collections::HashMap;

use super::db::{placeholder_list, query, Conn, Time};

use super::db::IntoParam;
use super::db_types::{DbJson, DbTime, DbTimeOpt, DbUuid, DbUuidOpt};
use super::filter_sql::SqlParams;
use super::{Backend, StoreError, StoreResult};
use crate::domain::{fold_case, AccountId, AccountStatus, OrgId};

/// An account as stored, with its managing org resolved from the verified domains; decodes
/// `ACCOUNT_COLUMNS`.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct Account {
    #[sqlx(rename = "a_id", try_from = "DbUuid")]
    pub id: AccountId,
    /// `None` only for a tombstone (rule 11).
    #[sqlx(rename = "a_email")]
    pub email: Option<String>,
    #[sqlx(rename = "a_display_name")]
    pub display_name: Option<String>,
    /// Account-owned SCIM attributes beyond email and display name (name, title, locale,
    /// the enterprise extension...), as the SCIM layer shapes them.
    #[sqlx(rename = "a_profile", try_from = "DbJson")]
    pub profile: serde_json::Value,
    #[sqlx(rename = "a_status", try_from = "String")]
    pub status: AccountStatus,
    #[sqlx(rename = "a_managing_org", try_from = "DbUuidOpt")]
    pub managing_org: Option<OrgId>,
    #[sqlx(rename = "a_tombstoned_at", try_from = "DbTimeOpt")]
    pub tombstoned_at: Option<i64>,
    #[sqlx(rename = "a_created_at", try_from = "DbTime")]
    pub created_at: i64,
    #[sqlx(rename = "a_updated_at", try_from = "DbTime")]
    pub updated_at: i64,
    #[sqlx(rename = "a_version")]
    pub version: i64,
}

/// What a new account starts with.
#[derive(Clone, Debug)]
pub struct NewAccount {
    pub id: AccountId,
    pub email: String,
    pub display_name: Option<String>,
    pub profile: serde_json::Value,
    pub status: AccountStatus,
    pub at: i64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct ContentCounters {
    pub issues_reported: i64,
    pub issues_assigned: i64,
    pub comments: i64,
    pub page_edits: i64,
}

impl ContentCounters {
    pub fn total(&self) -> i64 {
        self.issues_reported + self.issues_assigned + self.comments + self.page_edits
    }
}

/// Account columns, aliased so they decode by name beside other tables' columns.
pub(super) const ACCOUNT_COLUMNS: &str = "a.id AS a_id, a.email AS a_email, \
     a.display_name AS a_display_name, a.profile AS a_profile, a.status AS a_status, \
     d.org_id AS a_managing_org, a.tombstoned_at AS a_tombstoned_at, \
     a.created_at AS a_created_at, a.updated_at AS a_updated_at, a.version AS a_version";
impl super::inline_reads::InlineRow for Account {
    fn from_inline(row: &super::inline_reads::Columns<'_, '_>) -> rusqlite::Result<Self> {
        let status = row.text("a_status")?;
        Ok(Account {
            id: row.uuid("a_id")?.into(),
            email: row.text_opt("a_email")?,
            display_name: row.text_opt("a_display_name")?,
            profile: row.json("a_profile")?,
            status: AccountStatus::try_from(status).map_err(|err| {
                rusqlite::Error::FromSqlConversionFailure(
                    0,
                    rusqlite::types::Type::Text,
                    err.into(),
                )
            })?,
            managing_org: row.uuid_opt("a_managing_org")?.map(OrgId::from),
            tombstoned_at: row.int_opt("a_tombstoned_at")?,
            created_at: row.int("a_created_at")?,
            updated_at: row.int("a_updated_at")?,
            version: row.int("a_version")?,
        })
    }
}

const ACCOUNT_FROM: &str =
    "FROM accounts a LEFT JOIN verified_domains d ON d.domain = a.email_domain";

/// The lookup key and domain of an email: the domain layer's normal form, so that the
/// account is found, and its managing org joined, exactly as the rules decided.
/// The form emails are compared in: normalized (IDNA ASCII domain, case folded), or folded
/// when the text is not an email.
pub(crate) fn email_key(email: &str) -> String {
    email_parts(email).0
}

pub(super) fn email_parts(email: &str) -> (String, Option<String>) {
    match crate::domain::normalize_email(email) {
        Ok(normal) => (normal.as_str().to_owned(), Some(normal.domain().to_owned())),
        // Not an email (only the admin API's own checks stand before this): still unique.
        Err(_) => (fold_case(email.trim()), None),
    }
}

pub(super) const ACCOUNT_EMAIL_COLUMNS: &str =
    "account_id, position, value_lower, type_lower, is_primary";

/// The positions in `profile.emails` that have an `account_emails` row: those with a value.
pub(super) fn account_email_positions(
    profile: &serde_json::Value,
) -> impl Iterator<Item = i64> + '_ {
    let emails = profile.get("emails").and_then(|e| e.as_array());
    emails
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(position, email)| {
            email.get("value").and_then(|v| v.as_str())?;
            Some(i64::try_from(position).unwrap_or(i64::MAX))
        })
}

/// `profile.emails` as `account_emails` rows of the account `account` (a placeholder), in
/// [`ACCOUNT_EMAIL_COLUMNS`] order, their values pushed to `params`; `None` without any.
pub(super) fn account_email_rows(
    account: &str,
    profile: &serde_json::Value,
    params: &mut SqlParams,
) -> Option<String> {
    let emails = profile.get("emails").and_then(|e| e.as_array())?;
    let mut rows = Vec::new();
    for (position, email) in emails.iter().enumerate() {
        let Some(value) = email.get("value").and_then(|v| v.as_str()) else {
            continue;
        };
        let position = params.int(i64::try_from(position).unwrap_or(i64::MAX));
        let value = params.text(fold_case(value));
        let kind = params.push(
            email
                .get("type")
                .and_then(|t| t.as_str())
                .map(fold_case)
                .into_param(),
        );
        let primary = params.boolean(
            email
                .get("primary")
                .and_then(|p| p.as_bool())
                .unwrap_or(false),
        );
        rows.push(format!(
            "({account}, {position}, {value}, {kind}, {primary})"
        ));
    }
    (!rows.is_empty()).then(|| rows.join(", "))
}

/// Inserts an account; an email already taken (in any case) is `StoreError::Conflict`.
pub async fn insert_account(conn: &mut Conn, new: &NewAccount) -> StoreResult<()> {
    if insert_account_if_new(conn, new).await? {
        Ok(())
    } else {
        Err(StoreError::Conflict)
    }
}

/// Inserts an account unless one already has its email: false then, and nothing written.
/// Two transactions creating the same email at once do not both fail: on PostgreSQL the
/// second waits for the first and then finds the email taken, so its caller can link to the
/// account the first created (rule 12) instead of answering 409.
pub async fn insert_account_if_new(conn: &mut Conn, new: &NewAccount) -> StoreResult<bool> {
    let mut params = SqlParams::default();
    let insert = new_account_insert(new, None, conn.backend(), &mut params);
    // The account and its addresses in one round trip; the addresses only if the account
    // is new.
    match conn.backend() {
        Backend::Sqlite => Ok(params.query(&insert.sqlite).execute(conn).await? > 0),
        Backend::Postgres => {
            let sql = format!("{} SELECT COUNT(*) FROM account", insert.postgres_with);
            Ok(params.query(&sql).scalar::<i64>(conn).await? > 0)
        }
    }
}

/// The SQL that inserts a new account and its addresses (the addresses only if the account
/// is, its email not being taken), its values pushed to `params`.
pub(super) struct AccountInsert {
    /// The account's id, as a placeholder.
    pub(super) id: String,
    /// SQLite: statements for one text. While the addresses' statement runs, `changes()`
    /// is the account statement's count.
    pub(super) sqlite: String,
    /// PostgreSQL: a `WITH` clause whose CTE `account` holds the id if it was inserted; a
    /// data-modifying CTE runs whether or not the statement reads it.
    pub(super) postgres_with: String,
}

/// `owner`: insert only while the email's domain has this owner (the one the caller's
/// decision was made on), as if the email were taken otherwise.
pub(super) fn new_account_insert(
    new: &NewAccount,
    owner: Option<Option<OrgId>>,
    backend: Backend,
    params: &mut SqlParams,
) -> AccountInsert {
    let (lower, domain) = email_parts(&new.email);
    let id = params.uuid(new.id);
    let values = [
        id.clone(),
        params.text(new.email.as_str()),
        params.text(lower),
        params.push(domain.into_param()),
        params.push(new.display_name.clone().into_param()),
        params.push(new.display_name.as_deref().map(fold_case).into_param()),
        params.push((&new.profile).into_param()),
        params.text(new.status.as_str()),
        params.time(new.at),
    ];
    let same = match backend {
        Backend::Sqlite => "IS",
        Backend::Postgres => "IS NOT DISTINCT FROM",
    };
    let condition = match owner {
        Some(owner) => format!(
            "(SELECT org_id FROM verified_domains WHERE domain = {}) {same} {}",
            values[3],
            params.push(owner.into_param())
        ),
        None => "1 = 1".to_owned(),
    };
    // A SELECT (not VALUES) for the condition; its WHERE also tells SQLite's parser that
    // ON CONFLICT is the upsert's.
    let insert = format!(
        "INSERT INTO accounts (id, email, email_lower, email_domain, display_name, \
         display_name_lower, profile, status, created_at, updated_at) \
         SELECT {}, {} WHERE {condition} ON CONFLICT (email_lower) DO NOTHING",
        values.join(", "),
        values[8]
    );
    let Some(emails) = account_email_rows(&id, &new.profile, params) else {
        return AccountInsert {
            sqlite: insert.clone(),
            postgres_with: format!("WITH account AS ({insert} RETURNING id)"),
            id,
        };
    };
    AccountInsert {
        sqlite: format!(
            "{insert}; INSERT INTO account_emails ({ACCOUNT_EMAIL_COLUMNS}) \
             SELECT * FROM (VALUES {emails}) WHERE changes() = 1"
        ),
        postgres_with: format!(
            "WITH account AS ({insert} RETURNING id), \
             emails AS (INSERT INTO account_emails ({ACCOUNT_EMAIL_COLUMNS}) \
             SELECT e.* FROM account, (VALUES {emails}) AS e({ACCOUNT_EMAIL_COLUMNS}))"
        ),
        id,
    }
}

pub async fn get_account(conn: &mut Conn, id: AccountId) -> StoreResult<Option<Account>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} {ACCOUNT_FROM} WHERE a.id = $1");
    Ok(query(&sql).bind(id).fetch_optional(conn).await?)
}

/// The accounts of `ids` that exist, in one statement (none for no ids), in no set order.
pub async fn get_accounts(conn: &mut Conn, ids: &[AccountId]) -> StoreResult<Vec<Account>> {
    let select = format!("SELECT {ACCOUNT_COLUMNS} {ACCOUNT_FROM}");
    super::sql_params::rows_by_ids(conn, &select, "a.id", ids).await
}

/// Looks an account up by email in its normal form (case, IDNA spelling of the domain).
pub async fn find_account_by_email(conn: &mut Conn, email: &str) -> StoreResult<Option<Account>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} {ACCOUNT_FROM} WHERE a.email_lower = $1");
    let email_lower = email_parts(email).0;
    Ok(query(&sql).bind(email_lower).fetch_optional(conn).await?)
}

/// The accounts of these emails, keyed by the email's normal form (as
/// `find_account_by_email` looks each up): one statement for the lot.
pub async fn find_accounts_by_emails(
    conn: &mut Conn,
    emails: &[&str],
) -> StoreResult<HashMap<String, Account>> {
    let lowers: Vec<String> = emails.iter().map(|e| email_parts(e).0).collect();
    if lowers.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT a.email_lower AS found_by, {ACCOUNT_COLUMNS} {ACCOUNT_FROM} \
         WHERE a.email_lower IN ({})",
        placeholder_list(1, lowers.len())
    );
    let found: Vec<AccountFoundBy> = query(&sql).bind_each(lowers).fetch_all(conn).await?;
    Ok(found.into_iter().map(|f| (f.found_by, f.account)).collect())
}

#[derive(sqlx::FromRow)]
struct AccountFoundBy {
    found_by: String,
    #[sqlx(flatten)]
    account: Account,
}

/// Accounts whose email domain the org has verified, i.e. the accounts it manages.
pub async fn list_managed_accounts(conn: &mut Conn, org: OrgId) -> StoreResult<Vec<Account>> {
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS} {ACCOUNT_FROM} WHERE d.org_id = $1 ORDER BY a.email_lower"
    );
    Ok(query(&sql).bind(org).fetch_all(conn).await?)
}

pub async fn set_account_status(
    conn: &mut Conn,
    id: AccountId,
    status: AccountStatus,
    at: i64,
) -> StoreResult<bool> {
    Ok(query(
        "UPDATE accounts SET status = $2, updated_at = $3, version = version + 1 \
         WHERE id = $1 AND status <> $2 AND tombstoned_at IS NULL",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(Time(at))
    .changed_one(&mut *conn)
    .await?)
}

/// Takes the account's row lock until the transaction ends (PostgreSQL; SQLite writers are
/// serialized anyway). Every write that touches an account and its directory records locks
/// the account first, so writers queue in one order and cannot deadlock or lose an update.
/// False if there is no such account.
pub async fn lock_account(conn: &mut Conn, id: AccountId) -> StoreResult<bool> {
    Ok(query(LOCK_ACCOUNT).bind(id).changed_one(conn).await?)
}

/// Takes the account's row lock ($1: its id), changing nothing.
pub(super) const LOCK_ACCOUNT: &str = "UPDATE accounts SET version = version WHERE id = $1";

/// PostgreSQL: has a transaction that has not begun lock the account's row as it begins,
/// before any statement of its own, in the order every writer locks; a transaction that
/// never begins (its one write commits alone) locks it in that write. SQLite's one
/// writer needs no lock.
pub fn lock_account_when_begun(tx: &mut super::Tx, id: AccountId) {
    if tx.backend() == Backend::Postgres {
        tx.lock_on_begin = Some(id);
    }
}

/// Erases personal data, leaving the id (rule 11). The email is freed for a new account.
pub async fn tombstone_account(conn: &mut Conn, id: AccountId, at: i64) -> StoreResult<bool> {
    let done = query(
        "UPDATE accounts SET email = NULL, email_lower = NULL, email_domain = NULL, \
         display_name = NULL, display_name_lower = NULL, profile = '{}', status = 'deactivated', tombstoned_at = $2, \
         updated_at = $2, version = version + 1 WHERE id = $1 AND tombstoned_at IS NULL",
    )
    .bind(id)
    .bind(Time(at))
    .execute(&mut *conn)
    .await?;
    if done != 1 {
        return Ok(false);
    }
    query("DELETE FROM account_emails WHERE account_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    super::account_writes::touch_account_records(conn, id, at, None, None).await?;
    Ok(true)
}

pub async fn content_counters(conn: &mut Conn, id: AccountId) -> StoreResult<ContentCounters> {
    let row: Option<ContentCounters> = query(
        "SELECT issues_reported, issues_assigned, comments, page_edits FROM content_counters \
         WHERE account_id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.unwrap_or_default())
}

pub async fn set_content_counters(
    conn: &mut Conn,
    id: AccountId,
    counters: ContentCounters,
) -> StoreResult<()> {
    query(
        "INSERT INTO content_counters (account_id, issues_reported, issues_assigned, comments, page_edits) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id) DO UPDATE SET \
         issues_reported = excluded.issues_reported, issues_assigned = excluded.issues_assigned, \
         comments = excluded.comments, page_edits = excluded.page_edits",
    )
    .bind(id)
    .bind(counters.issues_reported)
    .bind(counters.issues_assigned)
    .bind(counters.comments)
    .bind(counters.page_edits)
    .execute(conn)
    .await?;
    Ok(())
}
