//! Groups, their members and the products they grant.
//!
//! Membership is one row per member, so adding or removing one member touches one row no
//! matter how large the group is.

use std::collections::HashMap;

use super::db::{placeholder_list, query, Conn, IntoParam, Time};
use super::db_types::{DbTime, DbUuid, DbUuidOpt};
use super::deferred::{HeldWrite, Standalone};
use super::filter_sql::SqlParams;

use super::StoreResult;
use crate::domain::{fold_case, AccountId, DirectoryId, GroupId, OrgId, SiteId};

/// Decodes `GROUP_COLUMNS` (any table alias).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Group {
    #[sqlx(try_from = "DbUuid")]
    pub id: GroupId,
    #[sqlx(try_from = "DbUuid")]
    pub org_id: OrgId,
    /// `Some` for a group synced from a directory (rule 19), `None` for a local group.
    #[sqlx(try_from = "DbUuidOpt")]
    pub directory_id: Option<DirectoryId>,
    pub display_name: String,
    pub external_id: Option<String>,
    #[sqlx(try_from = "DbTime")]
    pub created_at: i64,
    #[sqlx(try_from = "DbTime")]
    pub updated_at: i64,
    pub version: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, sqlx::FromRow)]
pub struct ProductGrant {
    #[sqlx(try_from = "DbUuid")]
    pub site_id: SiteId,
    pub product: String,
}

const GROUP_COLUMNS: &str =
    "id, org_id, directory_id, display_name, external_id, created_at, updated_at, version";

/// A display name already used in the same directory (or among local groups) is a conflict.
pub async fn insert_group(conn: &mut Conn, group: &Group) -> StoreResult<()> {
    let mut params = SqlParams::default();
    let sql = group_insert(group, &mut params);
    params.query(&sql).execute(conn).await?;
    Ok(())
}

/// The INSERT of `group`, its values pushed to `params`; its id is the first.
fn group_insert(group: &Group, params: &mut SqlParams) -> String {
    let values = [
        params.uuid(group.id),
        params.uuid(group.org_id),
        params.push(group.directory_id.into_param()),
        params.text(&group.display_name),
        params.text(fold_case(&group.display_name)),
        params.push(group.external_id.as_deref().into_param()),
        params.time(group.created_at),
        params.time(group.updated_at),
        params.int(group.version),
    ];
    format!(
        "INSERT INTO org_groups (id, org_id, directory_id, display_name, display_name_lower, \
         external_id, created_at, updated_at, version) VALUES ({})",
        values.join(", ")
    )
}

/// A new group, for [`super::hold_for_commit`]: the commit writes it with its journal in
/// one text (on PostgreSQL one statement that commits alone, no `BEGIN`); a display name
/// already used in the same directory is `StoreError::Conflict` from the commit.
pub fn new_group_write(group: &Group) -> HeldWrite {
    let mut params = SqlParams::default();
    let insert = group_insert(group, &mut params);
    HeldWrite {
        statements: vec![insert],
        // It fails or inserts: the journal's statements need no other condition.
        condition: " AND EXISTS (SELECT 1 FROM org_groups WHERE id = $1)".to_owned(),
        journal_before_last: false,
        adds_users: false,
        params,
        standalone: Some(Standalone {
            gate: String::new(),
            slot: 0,
        }),
    }
}

pub async fn get_group(conn: &mut Conn, id: GroupId) -> StoreResult<Option<Group>> {
    let sql = format!("SELECT {GROUP_COLUMNS} FROM org_groups WHERE id = $1");
    Ok(query(&sql).bind(id).fetch_optional(conn).await?)
}

/// The groups of `ids` that exist, in one statement (none for no ids), in no set order.
pub async fn get_groups(conn: &mut Conn, ids: &[GroupId]) -> StoreResult<Vec<Group>> {
    let select = format!("SELECT {GROUP_COLUMNS} FROM org_groups");
    super::sql_params::rows_by_ids(conn, &select, "id", ids).await
}

/// Writes a group's name and external id and bumps its version: the one single-row write
/// every change to a group makes, member changes included, so its ETag always moves.
/// A name already used in the same directory is a conflict.
pub async fn update_group(conn: &mut Conn, group: &Group) -> StoreResult<bool> {
    Ok(query(
        "UPDATE org_groups SET display_name = $2, display_name_lower = $3, external_id = $4, \
         updated_at = $5, version = version + 1 WHERE id = $1",
    )
    .bind(group.id)
    .bind(&group.display_name)
    .bind(fold_case(&group.display_name))
    .bind(group.external_id.as_deref())
    .bind(Time(group.updated_at))
    .changed_one(conn)
    .await?)
}

/// Writes a group's name and external id, leaving its version to the caller (a PATCH has
/// already bumped it).
pub async fn rename_group(conn: &mut Conn, group: &Group) -> StoreResult<bool> {
    Ok(query(
        "UPDATE org_groups SET display_name = $2, display_name_lower = $3, external_id = $4 \
         WHERE id = $1",
    )
    .bind(group.id)
    .bind(&group.display_name)
    .bind(fold_case(&group.display_name))
    .bind(group.external_id.as_deref())
    .changed_one(conn)
    .await?)
}

/// Deletes a group; its memberships and grants go with it (ON DELETE CASCADE).
pub async fn delete_group(conn: &mut Conn, id: GroupId) -> StoreResult<bool> {
    Ok(query("DELETE FROM org_groups WHERE id = $1")
        .bind(id)
        .changed_one(conn)
        .await?)
}

/// Rows per multi-row statement: far below both backends' bound-parameter limits, and large
/// enough that adding 1,000 members takes two statements, not 1,000.
const CHUNK: usize = 500;

fn distinct(accounts: &[AccountId]) -> Vec<AccountId> {
    let mut seen = std::collections::HashSet::new();
    accounts
        .iter()
        .copied()
        .filter(|a| seen.insert(*a))
        .collect()
}

/// Adds members; ones already present are skipped. Returns how many were new. Touches only
/// the rows named, never the rest of the group.
pub async fn add_group_members(
    conn: &mut Conn,
    group: GroupId,
    accounts: &[AccountId],
    at: i64,
) -> StoreResult<u64> {
    let mut added = 0;
    for chunk in distinct(accounts).chunks(CHUNK) {
        let sql = insert_members_sql(chunk.len());
        added += query(&sql)
            .bind(group)
            .bind(Time(at))
            .bind_each(chunk.iter().copied())
            .execute(&mut *conn)
            .await?;
    }
    Ok(added)
}

/// As [`add_group_members`], but names the accounts that were new members.
pub async fn add_group_members_returning(
    conn: &mut Conn,
    group: GroupId,
    accounts: &[AccountId],
    at: i64,
) -> StoreResult<Vec<AccountId>> {
    let mut added = Vec::new();
    for chunk in distinct(accounts).chunks(CHUNK) {
        let sql = format!("{} RETURNING account_id", insert_members_sql(chunk.len()));
        let ids: Vec<DbUuid> = query(&sql)
            .bind(group)
            .bind(Time(at))
            .bind_each(chunk.iter().copied())
            .scalars(&mut *conn)
            .await?;
        added.extend(ids.into_iter().map(AccountId::from));
    }
    Ok(added)
}

/// Inserts `rows` members of group `$1` added at `$2`, accounts from `$3` on; present
/// ones are skipped.
fn insert_members_sql(rows: usize) -> String {
    let values: Vec<String> = (0..rows).map(|i| format!("($1, ${}, $2)", i + 3)).collect();
    format!(
        "INSERT INTO group_members (group_id, account_id, added_at) VALUES {} \
         ON CONFLICT DO NOTHING",
        values.join(", ")
    )
}

/// Removes members; absent ones are skipped. Returns how many were removed.
pub async fn remove_group_members(
    conn: &mut Conn,
    group: GroupId,
    accounts: &[AccountId],
) -> StoreResult<u64> {
    let mut removed = 0;
    for chunk in distinct(accounts).chunks(CHUNK) {
        let sql = format!(
            "DELETE FROM group_members WHERE group_id = $1 AND account_id IN ({})",
            placeholder_list(2, chunk.len())
        );
        removed += query(&sql)
            .bind(group)
            .bind_each(chunk.iter().copied())
            .execute(&mut *conn)
            .await?;
    }
    Ok(removed)
}

/// Empties a group. Returns how many members it had.
pub async fn remove_all_group_members(conn: &mut Conn, group: GroupId) -> StoreResult<u64> {
    Ok(query("DELETE FROM group_members WHERE group_id = $1")
        .bind(group)
        .execute(conn)
        .await?)
}

pub async fn list_group_members(conn: &mut Conn, group: GroupId) -> StoreResult<Vec<AccountId>> {
    let ids: Vec<super::db_types::DbUuid> = query(
        "SELECT account_id FROM group_members WHERE group_id = $1 ORDER BY added_at, account_id",
    )
    .bind(group)
    .scalars(conn)
    .await?;
    Ok(ids.into_iter().map(AccountId::from).collect())
}

pub async fn grant_group_product(
    conn: &mut Conn,
    group: GroupId,
    grant: &ProductGrant,
) -> StoreResult<()> {
    query(
        "INSERT INTO group_grants (group_id, site_id, product) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(group)
    .bind(grant.site_id)
    .bind(&grant.product)
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends a grant. True if the group had it.
pub async fn revoke_group_product(
    conn: &mut Conn,
    group: GroupId,
    grant: &ProductGrant,
) -> StoreResult<bool> {
    Ok(
        query("DELETE FROM group_grants WHERE group_id = $1 AND site_id = $2 AND product = $3")
            .bind(group)
            .bind(grant.site_id)
            .bind(&grant.product)
            .changed_one(conn)
            .await?,
    )
}

pub async fn list_group_grants(conn: &mut Conn, group: GroupId) -> StoreResult<Vec<ProductGrant>> {
    let sql =
        "SELECT site_id, product FROM group_grants WHERE group_id = $1 ORDER BY site_id, product";
    Ok(query(sql).bind(group).fetch_all(conn).await?)
}

/// The products an account's groups grant on a site: its product access there, before
/// account status and site access decide whether it counts (domain rules decide that).
pub async fn account_site_products(
    conn: &mut Conn,
    account: AccountId,
    site: SiteId,
) -> StoreResult<Vec<String>> {
    Ok(query(
        "SELECT DISTINCT g.product FROM group_members m JOIN group_grants g ON g.group_id = m.group_id \
         WHERE m.account_id = $1 AND g.site_id = $2 ORDER BY g.product",
    )
    .bind(account)
    .bind(site)
    .scalars(conn)
    .await?)
}

/// The products each of these accounts has on a site through its groups, in one statement;
/// an account with none is absent.
pub async fn accounts_site_products(
    conn: &mut Conn,
    accounts: &[AccountId],
    site: SiteId,
) -> StoreResult<HashMap<AccountId, Vec<String>>> {
    if accounts.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT DISTINCT m.account_id, g.product FROM group_members m \
         JOIN group_grants g ON g.group_id = m.group_id \
         WHERE g.site_id = $1 AND m.account_id IN ({}) ORDER BY g.product",
        placeholder_list(2, accounts.len())
    );
    let rows: Vec<AccountProduct> = query(&sql)
        .bind(site)
        .bind_each(accounts.iter().copied())
        .fetch_all(conn)
        .await?;
    let mut products: HashMap<AccountId, Vec<String>> = HashMap::new();
    for row in rows {
        products
            .entry(row.account_id)
            .or_default()
            .push(row.product);
    }
    Ok(products)
}

#[derive(sqlx::FromRow)]
struct AccountProduct {
    #[sqlx(try_from = "DbUuid")]
    account_id: AccountId,
    product: String,
}

/// Removes an account from every group synced from `directory` (rule 16), bumping each
/// group's version since its member list changed. Returns how many memberships ended.
pub async fn remove_from_directory_groups(
    conn: &mut Conn,
    directory: DirectoryId,
    account: AccountId,
    at: i64,
) -> StoreResult<u64> {
    let groups: Vec<super::db_types::DbUuid> = query(
        "SELECT g.id FROM group_members m JOIN org_groups g ON g.id = m.group_id \
         WHERE m.account_id = $1 AND g.directory_id = $2 ORDER BY g.id",
    )
    .bind(account)
    .bind(directory)
    .scalars(&mut *conn)
    .await?;
    // One row at a time in id order: every transaction that locks several groups takes
    // them in the same order, so two such deletions cannot deadlock on PostgreSQL.
    for group in &groups {
        query("UPDATE org_groups SET version = version + 1, updated_at = $2 WHERE id = $1")
            .bind(group.0)
            .bind(Time(at))
            .execute(&mut *conn)
            .await?;
    }
    Ok(query(
        "DELETE FROM group_members WHERE account_id = $1 \
         AND group_id IN (SELECT id FROM org_groups WHERE directory_id = $2)",
    )
    .bind(account)
    .bind(directory)
    .execute(conn)
    .await?)
}
