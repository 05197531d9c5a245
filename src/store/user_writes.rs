//! The reads a SCIM user write starts with, each one statement that also takes the locks
//! the write needs: the account row first, the one lock order every writer follows. On
//! SQLite the write transaction already holds the database's write lock (`BEGIN
//! IMMEDIATE`), so reads inside it are current and no row lock is needed.

use super::accounts::{Account, ACCOUNT_COLUMNS};
use super::db::{query, Conn};
use super::db_types::DbUuidOpt;
use super::inline_reads::{Columns, InlineRow};
use super::user_derived::{entitlements_column, groups_column, parse_entitlements, parse_groups};
use super::users::{scim_user_by_id, RowLock, ScimUser};
use super::{Backend, StoreResult};
use super::{Derived, SiteProduct};
use crate::domain::{AccountId, DirectoryId, GroupId, OrgId};

/// What linking an email to a directory depends on (rules 12–14).
#[derive(Clone, Debug, PartialEq)]
pub struct LinkFacts {
    /// The org that verified the email's domain.
    pub domain_owner: Option<OrgId>,
    /// The account that already has the email, locked for the rest of the transaction.
    pub account: Option<FoundAccount>,
}

/// An account found for a link, with what a user linked to it shows at once.
#[derive(Clone, Debug, PartialEq)]
pub struct FoundAccount {
    pub account: Account,
    /// Whether this directory already has a record for it.
    pub provisioned_here: bool,
    /// How many directories have a record for it.
    pub records: i64,
    /// Its groups in this directory and its product access in the directory's org, as a
    /// user read shows them.
    pub groups: Vec<(GroupId, String)>,
    pub entitlements: Vec<SiteProduct>,
}

#[derive(sqlx::FromRow)]
struct LinkFactsRow {
    #[sqlx(try_from = "DbUuidOpt")]
    owner_org: Option<OrgId>,
    here: i64,
    records: i64,
    u_groups: Option<String>,
    u_entitlements: Option<String>,
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

impl InlineRow for JoinedAccount {
    fn from_inline(row: &Columns<'_, '_>) -> rusqlite::Result<Self> {
        match row.uuid_opt("a_id")? {
            None => Ok(JoinedAccount(None)),
            Some(_) => Account::from_inline(row).map(|account| JoinedAccount(Some(account))),
        }
    }
}

impl InlineRow for LinkFactsRow {
    fn from_inline(row: &Columns<'_, '_>) -> rusqlite::Result<Self> {
        Ok(LinkFactsRow {
            owner_org: row.uuid_opt("owner_org")?.map(OrgId::from),
            here: row.int("here")?,
            records: row.int("records")?,
            u_groups: row.text_opt("u_groups")?,
            u_entitlements: row.text_opt("u_entitlements")?,
            account: JoinedAccount::from_inline(row)?,
        })
    }
}

/// The owner of `domain`, and the account with `email_lower` with what a link to it
/// needs. SQLite reads it all in one statement. PostgreSQL starts every subquery of a
/// statement's plan whether a row needs it or not, which made the create of a new account,
/// the common case, about 90 µs of its CPU dearer when the link's columns came along; so
/// it first asks only whether an account has the email, and reads a found one in a second
/// statement that locks its row: a row that changed while it waited for the lock is read
/// as it is now, and no longer found if its email moved.
pub async fn user_link_facts(
    conn: &mut Conn,
    directory: DirectoryId,
    email_lower: &str,
    domain: &str,
) -> StoreResult<LinkFacts> {
    const OWNER: &str = "(SELECT org_id FROM verified_domains WHERE domain = $2)";
    let backend = conn.backend();
    let row: LinkFactsRow = match backend {
        Backend::Sqlite => {
            let sql = format!(
                "SELECT {OWNER} AS owner_org, {} FROM (SELECT $3 AS directory_id) du \
                 LEFT JOIN accounts a ON a.email_lower = $1 \
                 LEFT JOIN verified_domains d ON d.domain = a.email_domain",
                link_columns(backend)
            );
            // Index-bound (the email's and the domain's keys): on a reader, on this thread.
            let statement = query(&sql).bind(email_lower).bind(domain).bind(directory);
            let row = statement.fetch_optional_inline(&mut *conn).await?;
            row.ok_or(sqlx::Error::RowNotFound)?
        }
        Backend::Postgres => {
            let first = email_row(conn, email_lower, domain).await?;
            let Some(id) = first.account_id else {
                return Ok(LinkFacts {
                    domain_owner: first.owner_org,
                    account: None,
                });
            };
            let sql = format!(
                "SELECT CAST(NULL AS uuid) AS owner_org, {} \
                 FROM (SELECT CAST($2 AS uuid) AS directory_id) du \
                 JOIN accounts a ON a.id = $3 AND a.email_lower = $1 \
                 LEFT JOIN verified_domains d ON d.domain = a.email_domain FOR UPDATE OF a",
                link_columns(backend)
            );
            let statement = query(&sql).bind(email_lower).bind(directory).bind(id);
            match statement.fetch_optional::<LinkFactsRow>(&mut *conn).await? {
                Some(found) => LinkFactsRow {
                    owner_org: first.owner_org,
                    ..found
                },
                None => {
                    return Ok(LinkFacts {
                        domain_owner: first.owner_org,
                        account: None,
                    })
                }
            }
        }
    };
    let account = match row.account.0 {
        None => None,
        Some(account) => Some(FoundAccount {
            account,
            provisioned_here: row.here != 0,
            records: row.records,
            groups: parse_groups(row.u_groups)?,
            entitlements: parse_entitlements(row.u_entitlements)?,
        }),
    };
    Ok(LinkFacts {
        domain_owner: row.owner_org,
        account,
    })
}

/// [`user_link_facts`] for a create that reads before its transaction: the facts if no
/// account has the email; `None` if one has, which the transaction then reads (and on
/// PostgreSQL locks) itself, so PostgreSQL runs only its first statement here.
pub async fn facts_if_email_free(
    conn: &mut Conn,
    directory: DirectoryId,
    email_lower: &str,
    domain: &str,
) -> StoreResult<Option<LinkFacts>> {
    match conn.backend() {
        Backend::Sqlite => {
            let facts = user_link_facts(conn, directory, email_lower, domain).await?;
            Ok(facts.account.is_none().then_some(facts))
        }
        Backend::Postgres => {
            let first = email_row(conn, email_lower, domain).await?;
            Ok(first.account_id.is_none().then_some(LinkFacts {
                domain_owner: first.owner_org,
                account: None,
            }))
        }
    }
}

/// PostgreSQL: the owner of `domain` and the id of the account with `email_lower`.
async fn email_row(conn: &mut Conn, email_lower: &str, domain: &str) -> StoreResult<EmailRow> {
    const SQL: &str = "SELECT (SELECT org_id FROM verified_domains WHERE domain = $2) \
                       AS owner_org, (SELECT id FROM accounts WHERE email_lower = $1) AS account_id";
    Ok(query(SQL)
        .bind(email_lower)
        .bind(domain)
        .fetch_one(&mut *conn)
        .await?)
}

#[derive(sqlx::FromRow)]
struct EmailRow {
    #[sqlx(try_from = "DbUuidOpt")]
    owner_org: Option<OrgId>,
    #[sqlx(try_from = "DbUuidOpt")]
    account_id: Option<AccountId>,
}

/// What a link to account `a` needs beside the account: whether the directory `du` stands
/// for (the record a link would make, so that a user's derived columns apply) already has
/// it, how many directories do, and its groups and product access as a user read shows
/// them.
fn link_columns(backend: Backend) -> String {
    let derived = Derived::ALL;
    format!(
        "CAST(CASE WHEN EXISTS (SELECT 1 FROM directory_users x \
           WHERE x.directory_id = du.directory_id AND x.account_id = a.id) THEN 1 ELSE 0 END \
           AS BIGINT) AS here, \
         CAST((SELECT COUNT(*) FROM directory_users y WHERE y.account_id = a.id) AS BIGINT) \
           AS records, \
         {ACCOUNT_COLUMNS}, {}, {}",
        groups_column(backend, derived.groups),
        entitlements_column(backend, derived.entitlements),
    )
}

/// A directory's user for a write, in one statement, with its entitlements, which a write
/// may repeat but not change, and its groups if `groups` (a user write changes neither, so
/// its response shows them as read here). With [`RowLock::ForUpdate`] its account row is
/// locked for the transaction; [`RowLock::None`] is for a write that reads before it takes
/// SQLite's one writer and then writes only if its [`super::ReadGuard`] still holds.
pub async fn scim_user_for_write(
    conn: &mut Conn,
    directory: DirectoryId,
    id: uuid::Uuid,
    groups: bool,
    lock: RowLock,
) -> StoreResult<Option<ScimUser>> {
    scim_user_by_id(conn, directory, id, user_for_write(groups), lock).await
}

fn user_for_write(groups: bool) -> super::Derived {
    super::Derived {
        groups,
        entitlements: true,
    }
}
