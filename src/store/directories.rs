//! Directories (IdP connections) and the SCIM user records they keep.

use super::db::{query, Conn, IntoParam, Time};
use super::db_types::{DbJson, DbTime, DbUuid};
use super::deferred::{HeldWrite, Standalone};
use super::filter_sql::SqlParams;

use super::{Backend, StoreResult};
use crate::domain::{AccountId, DirectoryId, OrgId, SiteAccess, SiteRole};

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Directory {
    #[sqlx(try_from = "DbUuid")]
    pub id: DirectoryId,
    #[sqlx(try_from = "DbUuid")]
    pub org_id: OrgId,
    pub name: String,
    /// Group PATCH answers 204 rather than the group, for IdPs pushing huge groups.
    pub group_patch_minimal: bool,
    #[sqlx(try_from = "DbTime")]
    pub created_at: i64,
}

/// A directory's record of one account it provisions. Its id is the SCIM `id`.
/// Decodes `DIRECTORY_USER_COLUMNS`.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct DirectoryUser {
    #[sqlx(rename = "du_id", try_from = "DbUuid")]
    pub id: uuid::Uuid,
    #[sqlx(rename = "du_directory_id", try_from = "DbUuid")]
    pub directory_id: DirectoryId,
    #[sqlx(rename = "du_account_id", try_from = "DbUuid")]
    pub account_id: AccountId,
    /// The IdP's identifier for the user, unique in the directory ignoring case.
    #[sqlx(rename = "du_user_name")]
    pub user_name: String,
    #[sqlx(rename = "du_external_id")]
    pub external_id: Option<String>,
    /// Attributes owned by the directory's record rather than the account.
    #[sqlx(rename = "du_attributes", try_from = "DbJson")]
    pub attributes: serde_json::Value,
    #[sqlx(rename = "du_created_at", try_from = "DbTime")]
    pub created_at: i64,
    #[sqlx(rename = "du_updated_at", try_from = "DbTime")]
    pub updated_at: i64,
    #[sqlx(rename = "du_version")]
    pub version: i64,
}

pub async fn insert_directory(conn: &mut Conn, dir: &Directory) -> StoreResult<()> {
    query(
        "INSERT INTO directories (id, org_id, name, group_patch_minimal, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(dir.id)
    .bind(dir.org_id)
    .bind(&dir.name)
    .bind(dir.group_patch_minimal)
    .bind(Time(dir.created_at))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_directory(conn: &mut Conn, id: DirectoryId) -> StoreResult<Option<Directory>> {
    let sql =
        "SELECT id, org_id, name, group_patch_minimal, created_at FROM directories WHERE id = $1";
    Ok(query(sql).bind(id).fetch_optional(conn).await?)
}

pub async fn list_org_directories(conn: &mut Conn, org: OrgId) -> StoreResult<Vec<Directory>> {
    let sql = "SELECT id, org_id, name, group_patch_minimal, created_at FROM directories \
         WHERE org_id = $1 ORDER BY created_at, id";
    Ok(query(sql).bind(org).fetch_all(conn).await?)
}

/// An org's directories, each with the time of the last change it made (its newest audit
/// entry), in one statement. The subquery walks the org's audit index from the newest entry
/// back to the directory's first match, so an active directory costs a few index entries.
pub async fn list_org_directories_with_activity(
    conn: &mut Conn,
    org: OrgId,
) -> StoreResult<Vec<(Directory, Option<i64>)>> {
    #[derive(sqlx::FromRow)]
    struct ActivityRow {
        #[sqlx(flatten)]
        directory: Directory,
        #[sqlx(try_from = "super::db_types::DbTimeOpt")]
        last_change_at: Option<i64>,
    }
    let rows: Vec<ActivityRow> = query(
        "SELECT d.id, d.org_id, d.name, d.group_patch_minimal, d.created_at, \
         (SELECT a.at FROM audit_log a WHERE a.org_id = d.org_id \
            AND a.actor_kind = 'directory' AND a.actor_id = CAST(d.id AS TEXT) \
          ORDER BY a.id DESC LIMIT 1) AS last_change_at \
         FROM directories d WHERE d.org_id = $1 ORDER BY d.created_at, d.id",
    )
    .bind(org)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.directory, row.last_change_at))
        .collect())
}

pub async fn set_group_patch_minimal(
    conn: &mut Conn,
    id: DirectoryId,
    minimal: bool,
) -> StoreResult<bool> {
    Ok(
        query("UPDATE directories SET group_patch_minimal = $2 WHERE id = $1")
            .bind(id)
            .bind(minimal)
            .changed_one(conn)
            .await?,
    )
}

/// Directory record columns, aliased so they decode by name beside other tables' columns.
pub(super) const DIRECTORY_USER_COLUMNS: &str =
    "du.id AS du_id, du.directory_id AS du_directory_id, \
     du.account_id AS du_account_id, du.user_name AS du_user_name, \
     du.external_id AS du_external_id, \
     du.attributes AS du_attributes, du.created_at AS du_created_at, \
     du.updated_at AS du_updated_at, du.version AS du_version";

impl super::inline_reads::InlineRow for DirectoryUser {
    fn from_inline(row: &super::inline_reads::Columns<'_, '_>) -> rusqlite::Result<Self> {
        Ok(DirectoryUser {
            id: row.uuid("du_id")?,
            directory_id: row.uuid("du_directory_id")?.into(),
            account_id: row.uuid("du_account_id")?.into(),
            user_name: row.text("du_user_name")?,
            external_id: row.text_opt("du_external_id")?,
            attributes: row.json("du_attributes")?,
            created_at: row.int("du_created_at")?,
            updated_at: row.int("du_updated_at")?,
            version: row.int("du_version")?,
        })
    }
}

const INSERT_DIRECTORY_USER: &str = "INSERT INTO directory_users (id, directory_id, account_id, \
     user_name, user_name_lower, external_id, attributes, created_at, updated_at, version)";
const INSERT_SITE_USERS: &str =
    "INSERT INTO site_users (site_id, account_id, access, role, created_at, updated_at)";

/// Links an account to a directory; a second record for the same account, or a userName
/// the directory already uses, is a conflict.
pub async fn insert_directory_user(conn: &mut Conn, user: &DirectoryUser) -> StoreResult<()> {
    let mut params = SqlParams::default();
    let sql = format!(
        "{INSERT_DIRECTORY_USER} VALUES ({})",
        directory_user_values(user, &mut params)
    );
    params.query(&sql).execute(&mut *conn).await?;
    conn.mark_users_changed();
    Ok(())
}

/// The site access a directory gives the accounts it links: `access` with `role` on every
/// site of `org` where the account has no membership yet, as of `at`.
#[derive(Clone, Copy, Debug)]
pub struct DirectorySiteAccess {
    pub org: OrgId,
    pub access: SiteAccess,
    pub role: SiteRole,
    pub at: i64,
}

/// Links an account to a directory as [`insert_directory_user`] does, and gives it its
/// [`DirectorySiteAccess`], in one round trip: on SQLite two statements in one text (a
/// hand-off fewer while the one writer waits), on PostgreSQL one statement.
pub async fn insert_directory_user_with_site_access(
    conn: &mut Conn,
    user: &DirectoryUser,
    sites: DirectorySiteAccess,
) -> StoreResult<()> {
    let mut params = SqlParams::default();
    let record = directory_user_values(user, &mut params);
    let account = params.push(user.account_id.into_param());
    let [org, access, role, at] = site_access_values(sites, &mut params);
    let insert = format!("{INSERT_DIRECTORY_USER} VALUES ({record})");
    let site_users = format!(
        "{INSERT_SITE_USERS} SELECT s.id, {account}, {access}, {role}, {at}, {at} FROM sites s \
         WHERE s.org_id = {org} ON CONFLICT (site_id, account_id) DO NOTHING"
    );
    let sql = match conn.backend() {
        Backend::Sqlite => format!("{insert}; {site_users}"),
        // A data-modifying CTE runs whether or not the statement reads it.
        Backend::Postgres => format!("WITH linked AS ({insert}) {site_users}"),
    };
    params.query(&sql).execute(&mut *conn).await?;
    conn.mark_users_changed();
    Ok(())
}

/// A new account (as [`super::insert_account_if_new`]) linked to a directory with its site
/// access (as [`insert_directory_user_with_site_access`]), all in one text, for
/// [`super::hold_for_commit`]: the commit says it did not hold, and nothing is written, if
/// the account's email is taken or its domain's owner is no longer `owner` (the one the
/// caller decided on); `StoreError::Conflict` if the directory already uses the userName.
pub fn new_user_write(
    backend: Backend,
    new: &super::NewAccount,
    owner: Option<OrgId>,
    user: &DirectoryUser,
    sites: DirectorySiteAccess,
) -> HeldWrite {
    let mut params = SqlParams::default();
    let account = super::accounts::new_account_insert(new, Some(owner), backend, &mut params);
    let record = directory_user_values(user, &mut params);
    let [org, access, role, at] = site_access_values(sites, &mut params);
    let id = &account.id;
    // The account was inserted (its email was free, its domain's owner as decided): what
    // each later statement, and the journal, checks.
    let exists = format!("EXISTS (SELECT 1 FROM accounts WHERE id = {id})");
    // Every part of the PostgreSQL statement reads the account's CTE, so the statement is
    // all or nothing by itself.
    let mut standalone = None;
    let statements = match backend {
        Backend::Sqlite => vec![
            account.sqlite,
            format!("{INSERT_DIRECTORY_USER} SELECT {record} WHERE {exists}"),
            format!(
                "{INSERT_SITE_USERS} SELECT s.id, {id}, {access}, {role}, {at}, {at} FROM sites s \
                 WHERE s.org_id = {org} AND {exists} ON CONFLICT (site_id, account_id) DO NOTHING"
            ),
        ],
        // The record's insert, the statement itself, counts one row only if the account
        // was inserted.
        Backend::Postgres => {
            let ctes = format!(
                "{}, access AS ({INSERT_SITE_USERS} SELECT s.id, account.id, {access}, {role}, \
                 {at}, {at} FROM sites s, account WHERE s.org_id = {org} \
                 ON CONFLICT (site_id, account_id) DO NOTHING)",
                account.postgres_with
            );
            standalone = Some(Standalone {
                gate: " AND EXISTS (SELECT 1 FROM account)".to_owned(),
                slot: ctes.len(),
            });
            vec![format!(
                "{ctes} {INSERT_DIRECTORY_USER} SELECT {record} FROM account"
            )]
        }
    };
    HeldWrite {
        statements,
        condition: format!(" AND {exists}"),
        journal_before_last: false,
        adds_users: true,
        params,
        standalone,
    }
}

/// A record's values in [`INSERT_DIRECTORY_USER`]'s column order, pushed to `params`.
fn directory_user_values(user: &DirectoryUser, params: &mut SqlParams) -> String {
    [
        params.uuid(user.id),
        params.push(user.directory_id.into_param()),
        params.push(user.account_id.into_param()),
        params.text(user.user_name.as_str()),
        params.text(user_name_key(&user.user_name)),
        params.push(user.external_id.clone().into_param()),
        params.push((&user.attributes).into_param()),
        params.time(user.created_at),
        params.time(user.updated_at),
        params.int(user.version),
    ]
    .join(", ")
}

/// The org, access, role and time of a [`DirectorySiteAccess`], pushed to `params`.
fn site_access_values(sites: DirectorySiteAccess, params: &mut SqlParams) -> [String; 4] {
    [
        params.push(sites.org.into_param()),
        params.text(sites.access.as_str()),
        params.text(sites.role.as_str()),
        params.time(sites.at),
    ]
}

/// How userNames are compared: ignoring case (RFC 7643 §4.1.1: `caseExact` false), the way
/// the filter compiler folds the values it binds.
pub(super) fn user_name_key(user_name: &str) -> String {
    crate::domain::fold_case(user_name)
}

/// A record by SCIM id, only if it belongs to `directory` (rule 18: others are invisible).
pub async fn get_directory_user(
    conn: &mut Conn,
    directory: DirectoryId,
    id: uuid::Uuid,
) -> StoreResult<Option<DirectoryUser>> {
    directory_user_by(conn, directory, "id", id).await
}

pub async fn find_directory_user_by_account(
    conn: &mut Conn,
    directory: DirectoryId,
    account: AccountId,
) -> StoreResult<Option<DirectoryUser>> {
    directory_user_by(conn, directory, "account_id", account).await
}

/// `directory`'s record whose `column` (a key unique within a directory) is `value`.
async fn directory_user_by(
    conn: &mut Conn,
    directory: DirectoryId,
    column: &'static str,
    value: impl IntoParam,
) -> StoreResult<Option<DirectoryUser>> {
    let sql = format!(
        "SELECT {DIRECTORY_USER_COLUMNS} FROM directory_users du \
         WHERE du.directory_id = $1 AND du.{column} = $2"
    );
    Ok(query(&sql)
        .bind(directory)
        .bind(value)
        .fetch_optional(conn)
        .await?)
}

/// Replaces the record's own attributes, optionally only at `expected_version` (If-Match is
/// checked inside the write so two writers cannot both pass). False when nothing matched.
pub async fn update_directory_user(
    conn: &mut Conn,
    user: &DirectoryUser,
    expected_version: Option<i64>,
) -> StoreResult<bool> {
    Ok(query(
        "UPDATE directory_users SET external_id = $3, attributes = $4, updated_at = $5, \
         user_name = $7, user_name_lower = $8, version = version + 1 \
         WHERE id = $1 AND directory_id = $2 AND ($6 IS NULL OR version = $6)",
    )
    .bind(user.id)
    .bind(user.directory_id)
    .bind(user.external_id.as_deref())
    .bind(&user.attributes)
    .bind(Time(user.updated_at))
    .bind(expected_version)
    .bind(&user.user_name)
    .bind(user_name_key(&user.user_name))
    .changed_one(conn)
    .await?)
}

/// True if the record is still at `version`, and from then on holds its row lock until the
/// transaction ends (PostgreSQL; SQLite writers are serialized anyway). `If-Match` is
/// checked this way before a write that touches both the record and its account, so a
/// concurrent writer cannot slip in between the check and the write.
pub async fn claim_directory_user_version(
    conn: &mut Conn,
    directory: DirectoryId,
    id: uuid::Uuid,
    version: i64,
) -> StoreResult<bool> {
    Ok(query(
        "UPDATE directory_users SET version = version WHERE id = $1 AND directory_id = $2 AND version = $3",
    )
    .bind(id)
    .bind(directory)
    .bind(version)
.changed_one(conn)
.await?)
}

pub async fn delete_directory_user(
    conn: &mut Conn,
    directory: DirectoryId,
    id: uuid::Uuid,
) -> StoreResult<bool> {
    let deleted = query("DELETE FROM directory_users WHERE id = $1 AND directory_id = $2")
        .bind(id)
        .bind(directory)
        .changed_one(&mut *conn)
        .await?;
    if deleted {
        conn.mark_users_changed();
    }
    Ok(deleted)
}
