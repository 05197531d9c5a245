//! Accounts as the admin API reads and erases them, and tokens bound to an account.

use super::db::{query, Conn, Time};

use super::accounts::{Account, ACCOUNT_COLUMNS};
use super::admin_sites::contains_pattern;
use super::db_types::DbUuid;
use super::filter_sql::SqlParams;
use super::sql_params::counted_page;
use super::StoreResult;
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
    conn: &mut Conn,
    org: OrgId,
    query: &ManagedAccountQuery,
) -> StoreResult<(Vec<Account>, i64)> {
    let mut binds = SqlParams::default();
    let mut clause = format!("d.org_id = {}", binds.uuid(org));
    if let Some(status) = query.status {
        clause.push_str(&format!(" AND a.status = {}", binds.text(status.as_str())));
    }
    if let Some(search) = query.search.as_deref().filter(|s| !s.is_empty()) {
        let pattern = binds.text(contains_pattern(search));
        clause.push_str(&format!(
            " AND (a.email_lower LIKE {pattern} ESCAPE '\\' OR a.display_name_lower LIKE {pattern} ESCAPE '\\')"
        ));
    }
    let from_where = format!(
        "FROM accounts a JOIN verified_domains d ON d.domain = a.email_domain WHERE {clause}"
    );
    counted_page(
        conn,
        binds,
        ACCOUNT_COLUMNS,
        &from_where,
        "a.email_lower, a.id",
        query.offset,
        query.limit,
    )
    .await
}

/// One site membership of an account, with the site's org.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct AccountMembership {
    #[sqlx(try_from = "DbUuid")]
    pub site_id: SiteId,
    #[sqlx(try_from = "DbUuid")]
    pub org_id: OrgId,
    #[sqlx(try_from = "String")]
    pub access: SiteAccess,
    #[sqlx(try_from = "String")]
    pub role: SiteRole,
}

/// Every site membership of an account, removed ones included.
pub async fn account_memberships(
    conn: &mut Conn,
    account: AccountId,
) -> StoreResult<Vec<AccountMembership>> {
    let sql = "SELECT su.site_id, s.org_id, su.access, su.role FROM site_users su \
         JOIN sites s ON s.id = su.site_id WHERE su.account_id = $1 ORDER BY su.created_at, su.site_id";
    Ok(query(sql).bind(account).fetch_all(conn).await?)
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
    conn: &mut Conn,
    account: AccountId,
    at: i64,
) -> StoreResult<ErasedLinks> {
    // Groups that lose a member change their SCIM ETag, as for any member change.
    query(
        "UPDATE org_groups SET version = version + 1, updated_at = $2 \
         WHERE id IN (SELECT group_id FROM group_members WHERE account_id = $1)",
    )
    .bind(account)
    .bind(Time(at))
    .execute(&mut *conn)
    .await?;
    let mut deleted = [0; 3];
    let tables = ["group_members", "site_users", "directory_users"];
    for (count, table) in deleted.iter_mut().zip(tables) {
        let sql = format!("DELETE FROM {table} WHERE account_id = $1");
        *count = query(&sql).bind(account).execute(&mut *conn).await?;
    }
    let [group_memberships, site_memberships, directory_records] = deleted;
    conn.mark_tokens_changed();
    let tokens_revoked =
        query("UPDATE tokens SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL")
            .bind(account)
            .bind(Time(at))
            .execute(&mut *conn)
            .await?;
    query(
        "UPDATE email_outbox SET status = 'cancelled' WHERE account_id = $1 \
         AND status IN ('queued', 'sending')",
    )
    .bind(account)
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
pub async fn token_account(conn: &mut Conn, jti: uuid::Uuid) -> StoreResult<Option<AccountId>> {
    let id: Option<super::db_types::DbUuidOpt> =
        query("SELECT account_id FROM tokens WHERE jti = $1")
            .bind(jti)
            .scalar_optional(conn)
            .await?;
    Ok(id.and_then(Option::from))
}

/// Binds a just-issued site token to the account it acts as.
pub async fn bind_token_account(
    conn: &mut Conn,
    jti: uuid::Uuid,
    account: AccountId,
) -> StoreResult<()> {
    conn.mark_tokens_changed();
    query("UPDATE tokens SET account_id = $2 WHERE jti = $1")
        .bind(jti)
        .bind(account)
        .execute(conn)
        .await?;
    Ok(())
}
