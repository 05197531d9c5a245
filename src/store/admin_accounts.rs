//! Accounts as the admin API reads and erases them, and tokens bound to an account.

use sqlx::{AnyConnection, Row};

use super::accounts::{account_columns_from, Account, ACCOUNT_COLUMNS};
use super::admin_sites::contains_pattern;
use super::filter_sql::SqlParams;
use super::{parse_enum, parse_id, StoreResult};
use crate::domain::{AccountId, AccountStatus, OrgId, SiteAccess, SiteId, SiteRole};

/// Which of an org's managed accounts to list.
#[derive(Clone, Debug, Default)]
pub struct ManagedAccountQuery {
    pub status: Option<AccountStatus>,
    pub search: Option<String>,
    pub offset: i64,
    pub limit: i64,
}

/// A page of the accounts `org` manages (their email domain is one it verified), in email
/// order, and how many match in all.
pub async fn list_managed_account_page(
    conn: &mut AnyConnection,
    org: OrgId,
    query: &ManagedAccountQuery,
) -> StoreResult<(Vec<Account>, i64)> {
    let mut binds = SqlParams::default();
    let mut clause = format!("d.org_id = {}", binds.text(org.to_string()));
    if let Some(status) = query.status {
        clause.push_str(&format!(" AND a.status = {}", binds.text(status.as_str())));
    }
    if let Some(search) = query.search.as_deref().filter(|s| !s.is_empty()) {
        let pattern = binds.text(contains_pattern(search));
        clause.push_str(&format!(
            " AND (a.email_lower LIKE {pattern} ESCAPE '\\' OR a.display_name_lower LIKE {pattern} ESCAPE '\\')"
        ));
    }
    let from = "FROM accounts a JOIN verified_domains d ON d.domain = a.email_domain";
    let count_sql = format!("SELECT COUNT(*) {from} WHERE {clause}");
    let total: i64 = binds
        .bind(sqlx::query(&count_sql))
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    let limit = binds.int(query.limit);
    let offset = binds.int(query.offset);
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS} {from} WHERE {clause} ORDER BY a.email_lower, a.id \
         LIMIT {limit} OFFSET {offset}"
    );
    let rows = binds.bind(sqlx::query(&sql)).fetch_all(conn).await?;
    let accounts = rows
        .iter()
        .map(|row| account_columns_from(row, 0))
        .collect::<StoreResult<_>>()?;
    Ok((accounts, total))
}

/// One site membership of an account, with the site's org.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountMembership {
    pub site_id: SiteId,
    pub org_id: OrgId,
    pub access: SiteAccess,
    pub role: SiteRole,
}

/// Every site membership of an account, removed ones included.
pub async fn account_memberships(
    conn: &mut AnyConnection,
    account: AccountId,
) -> StoreResult<Vec<AccountMembership>> {
    let rows = sqlx::query(
        "SELECT su.site_id, s.org_id, su.access, su.role FROM site_users su \
         JOIN sites s ON s.id = su.site_id WHERE su.account_id = $1 ORDER BY su.created_at, su.site_id",
    )
    .bind(account.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(AccountMembership {
                site_id: parse_id(row.try_get::<&str, _>(0)?)?,
                org_id: parse_id(row.try_get::<&str, _>(1)?)?,
                access: parse_enum(row.try_get::<&str, _>(2)?)?,
                role: parse_enum(row.try_get::<&str, _>(3)?)?,
            })
        })
        .collect()
}

/// What erasing an account's links removed, for the audit entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ErasedLinks {
    pub site_memberships: u64,
    pub group_memberships: u64,
    pub directory_records: u64,
    pub tokens_revoked: u64,
}

/// Rule 11, beside `tombstone_account`: the memberships, directory records and tokens of a
/// deleted account go; its content keeps pointing at the id. Queued emails are cancelled.
pub async fn erase_account_links(
    conn: &mut AnyConnection,
    account: AccountId,
    at: i64,
) -> StoreResult<ErasedLinks> {
    let id = account.to_string();
    // Groups that lose a member change their SCIM ETag, as for any member change.
    sqlx::query(
        "UPDATE org_groups SET version = version + 1, updated_at = $2 \
         WHERE id IN (SELECT group_id FROM group_members WHERE account_id = $1)",
    )
    .bind(&id)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    let group_memberships = sqlx::query("DELETE FROM group_members WHERE account_id = $1")
        .bind(&id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let site_memberships = sqlx::query("DELETE FROM site_users WHERE account_id = $1")
        .bind(&id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let directory_records = sqlx::query("DELETE FROM directory_users WHERE account_id = $1")
        .bind(&id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let tokens_revoked = sqlx::query(
        "UPDATE tokens SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL",
    )
    .bind(&id)
    .bind(at)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    sqlx::query(
        "UPDATE email_outbox SET status = 'cancelled' WHERE account_id = $1 \
         AND status IN ('queued', 'sending')",
    )
    .bind(&id)
    .execute(conn)
    .await?;
    Ok(ErasedLinks {
        site_memberships,
        group_memberships,
        directory_records,
        tokens_revoked,
    })
}

/// The account a token was issued to, for site tokens that act as one of the site's users.
pub async fn token_account(
    conn: &mut AnyConnection,
    jti: uuid::Uuid,
) -> StoreResult<Option<AccountId>> {
    let id: Option<Option<String>> =
        sqlx::query_scalar("SELECT account_id FROM tokens WHERE jti = $1")
            .bind(jti.to_string())
            .fetch_optional(conn)
            .await?;
    id.flatten().as_deref().map(parse_id).transpose()
}

/// Binds a just-issued site token to the account it acts as.
pub async fn bind_token_account(
    conn: &mut AnyConnection,
    jti: uuid::Uuid,
    account: AccountId,
) -> StoreResult<()> {
    sqlx::query("UPDATE tokens SET account_id = $2 WHERE jti = $1")
        .bind(jti.to_string())
        .bind(account.to_string())
        .execute(conn)
        .await?;
    Ok(())
}
