//! A SCIM User's row as list and lookup statements return it, decoded by sqlx or, on the
//! readers' inline path, straight from SQLite (`inline_reads`).

use super::accounts::Account;
use super::db_types::DbSortValue;
use super::directories::DirectoryUser;
use super::inline_reads::{Columns, InlineRow};
use super::user_derived::{parse_entitlements, parse_groups};
use super::users::ScimUser;
use super::{StoreError, StoreResult};

#[derive(sqlx::FromRow)]
pub(super) struct ScimUserRow {
    #[sqlx(flatten)]
    record: DirectoryUser,
    #[sqlx(flatten)]
    account: Account,
    /// `[[id, displayName], ...]` as JSON text, or NULL.
    #[sqlx(default)]
    u_groups: Option<String>,
    /// `[[siteId, siteName, product], ...]` as JSON text, or NULL.
    #[sqlx(default)]
    u_entitlements: Option<String>,
    /// Both of them as one column (PostgreSQL, when both are read).
    #[sqlx(default)]
    u_derived: Option<String>,
    /// The number of users the query matches, repeated on every row of a page.
    pub(super) u_total: i64,
    /// The row's sort key, on list pages (for cursors).
    #[sqlx(default)]
    pub(super) k_sort: DbSortValue,
}

impl TryFrom<ScimUserRow> for ScimUser {
    type Error = StoreError;

    fn try_from(row: ScimUserRow) -> StoreResult<ScimUser> {
        let (groups, entitlements) = match row.u_derived {
            Some(both) => super::user_derived::parse_derived(Some(both))?,
            None => (
                parse_groups(row.u_groups)?,
                parse_entitlements(row.u_entitlements)?,
            ),
        };
        Ok(ScimUser {
            record: row.record,
            account: row.account,
            groups,
            entitlements,
        })
    }
}

impl InlineRow for ScimUserRow {
    fn from_inline(row: &Columns<'_, '_>) -> rusqlite::Result<Self> {
        Ok(ScimUserRow {
            record: DirectoryUser::from_inline(row)?,
            account: Account::from_inline(row)?,
            u_groups: row.text_if_present("u_groups")?,
            u_entitlements: row.text_if_present("u_entitlements")?,
            u_derived: row.text_if_present("u_derived")?,
            u_total: row.int("u_total")?,
            k_sort: row.sort_key_if_present("k_sort")?,
        })
    }
}
