//! The reads a SCIM user write starts with, each one statement that also takes the locks
//! the write needs: the account row first, the one lock order every writer follows. On
//! SQLite the write transaction already holds the database's write lock (`BEGIN
//! IMMEDIATE`), so reads inside it are current and no row lock is needed.

use super::accounts::{Account, ACCOUNT_COLUMNS};
use super::db::{query, Conn};
use super::db_types::DbUuidOpt;
use super::users::{scim_user_by_id, ScimUser};
use super::{Backend, StoreResult};
use crate::domain::{DirectoryId, OrgId};

/// What linking an email to a directory depends on (rules 12–14).
#[derive(Clone, Debug, PartialEq)]
pub struct LinkFacts {
    /// The org that verified the email's domain.
    pub domain_owner: Option<OrgId>,
    /// The account that already has the email, locked for the rest of the transaction.
    pub account: Option<Account>,
    /// Whether this directory already has a record for that account.
    pub provisioned_here: bool,
}

#[derive(sqlx::FromRow)]
struct LinkFactsRow {
    #[sqlx(try_from = "DbUuidOpt")]
    owner_org: Option<OrgId>,
    here: i64,
    #[sqlx(flatten)]
    account: JoinedAccount,
}

/// `ACCOUNT_COLUMNS` from an outer join: all NULL when no account has the email.
struct JoinedAccount(Option<Account>);

impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for JoinedAccount
where
    Account: sqlx::FromRow<'r, R>,
    DbUuidOpt: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    &'r str: sqlx::ColumnIndex<R>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        let id: DbUuidOpt = row.try_get("a_id")?;
        match id.0 {
            None => Ok(JoinedAccount(None)),
            Some(_) => Account::from_row(row).map(|account| JoinedAccount(Some(account))),
        }
    }
}

/// The owner of `domain`, the account with `email_lower` and whether `directory` already
/// provisions it, in one statement; on PostgreSQL an account found is locked again and
/// re-read (a second statement) so that nothing read is stale.
pub async fn user_link_facts(
    conn: &mut Conn,
    directory: DirectoryId,
    email_lower: &str,
    domain: &str,
) -> StoreResult<LinkFacts> {
    let sql = format!(
        "SELECT (SELECT org_id FROM verified_domains WHERE domain = $2) AS owner_org, \
         CAST(CASE WHEN EXISTS (SELECT 1 FROM directory_users x \
           WHERE x.directory_id = $3 AND x.account_id = a.id) THEN 1 ELSE 0 END AS BIGINT) AS here, \
         {ACCOUNT_COLUMNS} FROM (SELECT 1 AS one) q \
         LEFT JOIN accounts a ON a.email_lower = $1 \
         LEFT JOIN verified_domains d ON d.domain = a.email_domain"
    );
    let row: LinkFactsRow = query(&sql)
        .bind(email_lower)
        .bind(domain)
        .bind(directory)
        .fetch_one(&mut *conn)
        .await?;
    let domain_owner = row.owner_org;
    let provisioned_here = row.here != 0;
    let mut account = row.account.0;
    if let (Some(found), Backend::Postgres) = (&account, conn.backend()) {
        account = lock_account_row(conn, found.id).await?;
    }
    Ok(LinkFacts {
        domain_owner,
        account,
        provisioned_here,
    })
}

/// Locks an account's row and reads it (PostgreSQL: `FOR UPDATE`; SQLite: a plain read,
/// the transaction already being the only writer).
pub async fn lock_account_row(
    conn: &mut Conn,
    id: crate::domain::AccountId,
) -> StoreResult<Option<Account>> {
    let lock = match conn.backend() {
        Backend::Postgres => " FOR UPDATE OF a",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts a \
         LEFT JOIN verified_domains d ON d.domain = a.email_domain WHERE a.id = $1{lock}"
    );
    Ok(query(&sql).bind(id).fetch_optional(conn).await?)
}

/// A directory's user for a write, its account row locked, in one statement; with its
/// entitlements, which a write may repeat but not change.
pub async fn lock_scim_user(
    conn: &mut Conn,
    directory: DirectoryId,
    id: uuid::Uuid,
) -> StoreResult<Option<ScimUser>> {
    let derived = super::Derived {
        groups: false,
        entitlements: true,
    };
    // SQLite serializes writers anyway: it has no row locks to take.
    let lock = match conn.backend() {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE OF a",
    };
    scim_user_by_id(conn, directory, id, derived, lock).await
}
