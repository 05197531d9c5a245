//! Directories (IdP connections) and the SCIM user records they keep.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{parse_id, StoreError, StoreResult};
use crate::domain::{AccountId, DirectoryId, OrgId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directory {
    pub id: DirectoryId,
    pub org_id: OrgId,
    pub name: String,
    /// Group PATCH answers 204 rather than the group, for IdPs pushing huge groups.
    pub group_patch_minimal: bool,
    pub created_at: i64,
}

/// A directory's record of one account it provisions. Its id is the SCIM `id`.
#[derive(Clone, Debug, PartialEq)]
pub struct DirectoryUser {
    pub id: uuid::Uuid,
    pub directory_id: DirectoryId,
    pub account_id: AccountId,
    pub external_id: Option<String>,
    /// Attributes owned by the directory's record rather than the account.
    pub attributes: serde_json::Value,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

pub async fn insert_directory(conn: &mut AnyConnection, dir: &Directory) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO directories (id, org_id, name, group_patch_minimal, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(dir.id.to_string())
    .bind(dir.org_id.to_string())
    .bind(&dir.name)
    .bind(i64::from(dir.group_patch_minimal))
    .bind(dir.created_at)
    .execute(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(())
}

fn directory_from_row(row: &AnyRow) -> StoreResult<Directory> {
    Ok(Directory {
        id: parse_id(row.try_get::<&str, _>(0)?)?,
        org_id: parse_id(row.try_get::<&str, _>(1)?)?,
        name: row.try_get(2)?,
        group_patch_minimal: row.try_get::<i64, _>(3)? != 0,
        created_at: row.try_get(4)?,
    })
}

pub async fn get_directory(
    conn: &mut AnyConnection,
    id: DirectoryId,
) -> StoreResult<Option<Directory>> {
    let row = sqlx::query(
        "SELECT id, org_id, name, group_patch_minimal, created_at FROM directories WHERE id = $1",
    )
    .bind(id.to_string())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(directory_from_row).transpose()
}

pub async fn list_org_directories(
    conn: &mut AnyConnection,
    org: OrgId,
) -> StoreResult<Vec<Directory>> {
    let rows = sqlx::query(
        "SELECT id, org_id, name, group_patch_minimal, created_at FROM directories \
         WHERE org_id = $1 ORDER BY created_at, id",
    )
    .bind(org.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter().map(directory_from_row).collect()
}

pub async fn set_group_patch_minimal(
    conn: &mut AnyConnection,
    id: DirectoryId,
    minimal: bool,
) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE directories SET group_patch_minimal = $2 WHERE id = $1")
        .bind(id.to_string())
        .bind(i64::from(minimal))
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

const DIRECTORY_USER_COLUMNS: &str =
    "id, directory_id, account_id, external_id, attributes, created_at, updated_at, version";

fn directory_user_from_row(row: &AnyRow) -> StoreResult<DirectoryUser> {
    directory_user_from_row_at(row, 0)
}

/// Reads `DIRECTORY_USER_COLUMNS` starting at column `at`.
pub(super) fn directory_user_from_row_at(row: &AnyRow, at: usize) -> StoreResult<DirectoryUser> {
    let attributes: String = row.try_get(at + 4)?;
    Ok(DirectoryUser {
        id: parse_id(row.try_get::<&str, _>(at)?)?,
        directory_id: parse_id(row.try_get::<&str, _>(at + 1)?)?,
        account_id: parse_id(row.try_get::<&str, _>(at + 2)?)?,
        external_id: row.try_get(at + 3)?,
        attributes: serde_json::from_str(&attributes)
            .map_err(|e| StoreError::Corrupt(format!("directory user attributes: {e}")))?,
        created_at: row.try_get(at + 5)?,
        updated_at: row.try_get(at + 6)?,
        version: row.try_get(at + 7)?,
    })
}

/// Links an account to a directory; a second record for the same account is a conflict.
pub async fn insert_directory_user(
    conn: &mut AnyConnection,
    user: &DirectoryUser,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO directory_users (id, directory_id, account_id, external_id, attributes, \
         created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(user.id.to_string())
    .bind(user.directory_id.to_string())
    .bind(user.account_id.to_string())
    .bind(user.external_id.as_deref())
    .bind(user.attributes.to_string())
    .bind(user.created_at)
    .bind(user.updated_at)
    .bind(user.version)
    .execute(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(())
}

/// A record by SCIM id, only if it belongs to `directory` (rule 18: others are invisible).
pub async fn get_directory_user(
    conn: &mut AnyConnection,
    directory: DirectoryId,
    id: uuid::Uuid,
) -> StoreResult<Option<DirectoryUser>> {
    let sql = format!(
        "SELECT {DIRECTORY_USER_COLUMNS} FROM directory_users WHERE id = $1 AND directory_id = $2"
    );
    let row = sqlx::query(&sql)
        .bind(id.to_string())
        .bind(directory.to_string())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(directory_user_from_row).transpose()
}

pub async fn find_directory_user_by_account(
    conn: &mut AnyConnection,
    directory: DirectoryId,
    account: AccountId,
) -> StoreResult<Option<DirectoryUser>> {
    let sql = format!(
        "SELECT {DIRECTORY_USER_COLUMNS} FROM directory_users WHERE directory_id = $1 AND account_id = $2"
    );
    let row = sqlx::query(&sql)
        .bind(directory.to_string())
        .bind(account.to_string())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(directory_user_from_row).transpose()
}

/// Replaces the record's own attributes, optionally only at `expected_version` (If-Match is
/// checked inside the write so two writers cannot both pass). False when nothing matched.
pub async fn update_directory_user(
    conn: &mut AnyConnection,
    user: &DirectoryUser,
    expected_version: Option<i64>,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE directory_users SET external_id = $3, attributes = $4, updated_at = $5, \
         version = version + 1 WHERE id = $1 AND directory_id = $2 AND ($6 IS NULL OR version = $6)",
    )
    .bind(user.id.to_string())
    .bind(user.directory_id.to_string())
    .bind(user.external_id.as_deref())
    .bind(user.attributes.to_string())
    .bind(user.updated_at)
    .bind(expected_version)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// True if the record is still at `version`, and from then on holds its row lock until the
/// transaction ends (PostgreSQL; SQLite writers are serialized anyway). `If-Match` is
/// checked this way before a write that touches both the record and its account, so a
/// concurrent writer cannot slip in between the check and the write.
pub async fn claim_directory_user_version(
    conn: &mut AnyConnection,
    directory: DirectoryId,
    id: uuid::Uuid,
    version: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE directory_users SET version = version WHERE id = $1 AND directory_id = $2 AND version = $3",
    )
    .bind(id.to_string())
    .bind(directory.to_string())
    .bind(version)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete_directory_user(
    conn: &mut AnyConnection,
    directory: DirectoryId,
    id: uuid::Uuid,
) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM directory_users WHERE id = $1 AND directory_id = $2")
        .bind(id.to_string())
        .bind(directory.to_string())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
