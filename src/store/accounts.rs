//! Accounts, their content counters, and tombstones.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{parse_enum, parse_id, StoreError, StoreResult};
use crate::domain::{AccountId, AccountStatus, OrgId};

/// An account as stored, with its managing org resolved from the verified domains.
#[derive(Clone, Debug, PartialEq)]
pub struct Account {
    pub id: AccountId,
    /// `None` only for a tombstone (rule 11).
    pub email: Option<String>,
    pub display_name: Option<String>,
    /// Account-owned SCIM attributes beyond email and display name (name, title, locale,
    /// the enterprise extension...), as the SCIM layer shapes them.
    pub profile: serde_json::Value,
    pub status: AccountStatus,
    pub managing_org: Option<OrgId>,
    pub tombstoned_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
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

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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

pub(super) const ACCOUNT_COLUMNS: &str = "a.id, a.email, a.display_name, a.profile, a.status, \
     d.org_id, a.tombstoned_at, a.created_at, a.updated_at, a.version";
const ACCOUNT_FROM: &str =
    "FROM accounts a LEFT JOIN verified_domains d ON d.domain = a.email_domain";

/// The lookup key and domain of an email: the domain layer's normal form, so that the
/// account is found, and its managing org joined, exactly as the rules decided.
fn email_parts(email: &str) -> (String, Option<String>) {
    match crate::domain::normalize_email(email) {
        Ok(normal) => (normal.as_str().to_owned(), Some(normal.domain().to_owned())),
        // Not an email (only the admin API's own checks stand before this): still unique.
        Err(_) => (email.trim().to_lowercase(), None),
    }
}

fn account_from_row(row: &AnyRow) -> StoreResult<Account> {
    account_columns_from(row, 0)
}

/// Reads `ACCOUNT_COLUMNS` starting at column `at` (they follow other columns in joins).
pub(super) fn account_columns_from(row: &AnyRow, at: usize) -> StoreResult<Account> {
    let profile: String = row.try_get(at + 3)?;
    let managing: Option<String> = row.try_get(at + 5)?;
    Ok(Account {
        id: parse_id(row.try_get::<&str, _>(at)?)?,
        email: row.try_get(at + 1)?,
        display_name: row.try_get(at + 2)?,
        profile: serde_json::from_str(&profile)
            .map_err(|e| StoreError::Corrupt(format!("account profile: {e}")))?,
        status: parse_enum(row.try_get::<&str, _>(at + 4)?)?,
        managing_org: managing.as_deref().map(parse_id).transpose()?,
        tombstoned_at: row.try_get(at + 6)?,
        created_at: row.try_get(at + 7)?,
        updated_at: row.try_get(at + 8)?,
        version: row.try_get(at + 9)?,
    })
}

/// Mirrors `profile.emails` into `account_emails`, where `emails.value` lookups find it.
async fn sync_account_emails(
    conn: &mut AnyConnection,
    id: AccountId,
    profile: &serde_json::Value,
) -> StoreResult<()> {
    sqlx::query("DELETE FROM account_emails WHERE account_id = $1")
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    let emails = profile.get("emails").and_then(|e| e.as_array());
    for (position, email) in emails.into_iter().flatten().enumerate() {
        let Some(value) = email.get("value").and_then(|v| v.as_str()) else {
            continue;
        };
        sqlx::query(
            "INSERT INTO account_emails (account_id, position, value_lower, type_lower, is_primary) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.to_string())
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .bind(value.to_lowercase())
        .bind(email.get("type").and_then(|t| t.as_str()).map(str::to_lowercase))
        .bind(i64::from(email.get("primary").and_then(|p| p.as_bool()).unwrap_or(false)))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Inserts an account; an email already taken (in any case) is `StoreError::Conflict`.
pub async fn insert_account(conn: &mut AnyConnection, new: &NewAccount) -> StoreResult<()> {
    let (lower, domain) = email_parts(&new.email);
    sqlx::query(
        "INSERT INTO accounts (id, email, email_lower, email_domain, display_name, \
         display_name_lower, profile, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(new.id.to_string())
    .bind(&new.email)
    .bind(lower)
    .bind(domain)
    .bind(new.display_name.as_deref())
    .bind(new.display_name.as_deref().map(str::to_lowercase))
    .bind(new.profile.to_string())
    .bind(new.status.as_str())
    .bind(new.at)
    .execute(&mut *conn)
    .await
    .map_err(StoreError::from_write)?;
    sync_account_emails(conn, new.id, &new.profile).await
}

pub async fn get_account(conn: &mut AnyConnection, id: AccountId) -> StoreResult<Option<Account>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} {ACCOUNT_FROM} WHERE a.id = $1");
    let row = sqlx::query(&sql)
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(account_from_row).transpose()
}

/// Looks an account up by email, ignoring case.
pub async fn find_account_by_email(
    conn: &mut AnyConnection,
    email: &str,
) -> StoreResult<Option<Account>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} {ACCOUNT_FROM} WHERE a.email_lower = $1");
    let row = sqlx::query(&sql)
        .bind(email.to_lowercase())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(account_from_row).transpose()
}

/// Accounts whose email domain the org has verified, i.e. the accounts it manages.
pub async fn list_managed_accounts(
    conn: &mut AnyConnection,
    org: OrgId,
) -> StoreResult<Vec<Account>> {
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS} {ACCOUNT_FROM} WHERE d.org_id = $1 ORDER BY a.email_lower"
    );
    let rows = sqlx::query(&sql)
        .bind(org.to_string())
        .fetch_all(conn)
        .await?;
    rows.iter().map(account_from_row).collect()
}

/// The account-owned attributes a write may change.
#[derive(Clone, Debug)]
pub struct AccountProfileUpdate<'a> {
    pub email: &'a str,
    pub display_name: Option<&'a str>,
    pub profile: &'a serde_json::Value,
}

pub async fn update_account_profile(
    conn: &mut AnyConnection,
    id: AccountId,
    update: &AccountProfileUpdate<'_>,
    at: i64,
) -> StoreResult<bool> {
    let (lower, domain) = email_parts(update.email);
    let done = sqlx::query(
        "UPDATE accounts SET email = $2, email_lower = $3, email_domain = $4, display_name = $5, \
         display_name_lower = $6, profile = $7, updated_at = $8, version = version + 1 \
         WHERE id = $1 AND tombstoned_at IS NULL",
    )
    .bind(id.to_string())
    .bind(update.email)
    .bind(lower)
    .bind(domain)
    .bind(update.display_name)
    .bind(update.display_name.map(str::to_lowercase))
    .bind(update.profile.to_string())
    .bind(at)
    .execute(&mut *conn)
    .await
    .map_err(StoreError::from_write)?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    sync_account_emails(&mut *conn, id, update.profile).await?;
    touch_account_records(conn, id, at).await?;
    Ok(true)
}

pub async fn set_account_status(
    conn: &mut AnyConnection,
    id: AccountId,
    status: AccountStatus,
    at: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE accounts SET status = $2, updated_at = $3, version = version + 1 \
         WHERE id = $1 AND status <> $2 AND tombstoned_at IS NULL",
    )
    .bind(id.to_string())
    .bind(status.as_str())
    .bind(at)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    touch_account_records(conn, id, at).await?;
    Ok(true)
}

/// Takes the account's row lock until the transaction ends (PostgreSQL; SQLite writers are
/// serialized anyway). Every write that touches an account and its directory records locks
/// the account first, so writers queue in one order and cannot deadlock or lose an update.
/// False if there is no such account.
pub async fn lock_account(conn: &mut AnyConnection, id: AccountId) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE accounts SET version = version WHERE id = $1")
        .bind(id.to_string())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Erases personal data, leaving the id (rule 11). The email is freed for a new account.
pub async fn tombstone_account(
    conn: &mut AnyConnection,
    id: AccountId,
    at: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE accounts SET email = NULL, email_lower = NULL, email_domain = NULL, \
         display_name = NULL, display_name_lower = NULL, profile = '{}', status = 'deactivated', tombstoned_at = $2, \
         updated_at = $2, version = version + 1 WHERE id = $1 AND tombstoned_at IS NULL",
    )
    .bind(id.to_string())
    .bind(at)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    sync_account_emails(&mut *conn, id, &serde_json::json!({})).await?;
    touch_account_records(conn, id, at).await?;
    Ok(true)
}

/// Bumps the version of every directory record of an account, so each directory's ETag
/// and `meta.lastModified` change when the account changes, whoever changed it.
async fn touch_account_records(
    conn: &mut AnyConnection,
    account: AccountId,
    at: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE directory_users SET version = version + 1, updated_at = $2 WHERE account_id = $1",
    )
    .bind(account.to_string())
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn content_counters(
    conn: &mut AnyConnection,
    id: AccountId,
) -> StoreResult<ContentCounters> {
    let row = sqlx::query(
        "SELECT issues_reported, issues_assigned, comments, page_edits FROM content_counters \
         WHERE account_id = $1",
    )
    .bind(id.to_string())
    .fetch_optional(conn)
    .await?;
    Ok(match row {
        Some(row) => ContentCounters {
            issues_reported: row.try_get(0)?,
            issues_assigned: row.try_get(1)?,
            comments: row.try_get(2)?,
            page_edits: row.try_get(3)?,
        },
        None => ContentCounters::default(),
    })
}

pub async fn set_content_counters(
    conn: &mut AnyConnection,
    id: AccountId,
    counters: ContentCounters,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO content_counters (account_id, issues_reported, issues_assigned, comments, page_edits) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id) DO UPDATE SET \
         issues_reported = excluded.issues_reported, issues_assigned = excluded.issues_assigned, \
         comments = excluded.comments, page_edits = excluded.page_edits",
    )
    .bind(id.to_string())
    .bind(counters.issues_reported)
    .bind(counters.issues_assigned)
    .bind(counters.comments)
    .bind(counters.page_edits)
    .execute(conn)
    .await?;
    Ok(())
}
