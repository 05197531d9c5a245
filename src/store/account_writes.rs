//! An account's changes written at once: its profile, its status, the lookup rows of its
//! addresses and the version of every directory record of it. One round trip: on SQLite
//! the statements share one text (a hand-off each fewer while the one writer waits), on
//! PostgreSQL they are data-modifying CTEs of one statement.

use std::collections::BTreeSet;

use super::accounts::ACCOUNT_EMAIL_COLUMNS;
use super::accounts::{account_email_positions, account_email_rows, email_parts};
use super::db::{Conn, IntoParam};
use super::deferred::{joined, HeldWrite, Standalone};
use super::directories::{user_name_key, DirectoryUser};
use super::filter_sql::SqlParams;
use super::{Backend, ScimUser, StoreResult};
use crate::domain::{fold_case, AccountId, AccountStatus, OrgId};

/// The account-owned attributes a write replaces.
#[derive(Clone, Copy, Debug)]
pub struct AccountProfileUpdate<'a> {
    pub email: &'a str,
    pub display_name: Option<&'a str>,
    pub profile: &'a serde_json::Value,
    /// The profile this one replaces, whose `emails` the lookup rows hold now: only the
    /// rows that change are written.
    pub replaces: &'a serde_json::Value,
}

/// Which directory records of the account a write moves: their version and
/// `meta.lastModified`, so that each directory's ETag changes whoever changed the account.
#[derive(Clone, Copy, Debug)]
pub enum Touch<'a> {
    /// All of them; `own`, the writing directory's record, also takes its new attributes.
    Records { own: Option<&'a DirectoryUser> },
    /// The transaction found none. SQLite, whose reads under its one writer are current,
    /// writes nothing then. On PostgreSQL a record that a transaction this one waited for
    /// linked may be missing from what it read, and the touch is a clause of the same
    /// statement anyway, so it runs.
    NoneFound,
}

/// One write of an account. The caller holds the account's lock (PostgreSQL's row lock,
/// SQLite's one writer) and has read it, so it knows that what it writes is a change and
/// that the account is no tombstone.
#[derive(Clone, Copy, Debug)]
pub struct AccountChange<'a> {
    pub id: AccountId,
    pub profile: Option<AccountProfileUpdate<'a>>,
    pub status: Option<AccountStatus>,
    pub touch: Touch<'a>,
    pub at: i64,
}

/// What a user write was decided on: the write runs only if it all still holds. On SQLite
/// the user was read before the write took the one writer; on PostgreSQL a read that
/// waited for the account's lock may show the record as it was before the write it waited
/// for. The record's version covers the account too, since every write of an account moves
/// every record of it; the org managing the account comes from its domain's verification,
/// which no account write moves, so it is checked itself.
#[derive(Clone, Debug)]
pub struct ReadGuard {
    record: uuid::Uuid,
    version: i64,
    /// The domain of the account's email as stored, and the org that had verified it.
    domain: Option<String>,
    owner: Option<OrgId>,
}

impl ReadGuard {
    /// What `user`, as read, stands for.
    pub fn of(user: &ScimUser) -> Self {
        ReadGuard {
            record: user.record.id,
            version: user.record.version,
            domain: user.account.email.as_deref().and_then(|e| email_parts(e).1),
            owner: user.account.managing_org,
        }
    }

    /// The same, once this transaction itself has written the record `bumps` times.
    pub fn after_own_writes(mut self, bumps: i64) -> Self {
        self.version += bumps;
        self
    }

    /// ` AND ...`: the condition that it all still holds.
    fn condition(&self, params: &mut SqlParams) -> String {
        let record = format!(
            " AND EXISTS (SELECT 1 FROM directory_users WHERE id = {} AND version = {})",
            params.uuid(self.record),
            params.int(self.version)
        );
        format!("{record}{}", self.management(params))
    }

    /// ` AND ...` that the org managing the account is still the one read (`""` for an
    /// email without a domain, which no org can manage).
    fn management(&self, params: &mut SqlParams) -> String {
        let Some(domain) = &self.domain else {
            return String::new();
        };
        let domain = params.text(domain.as_str());
        match self.owner {
            Some(org) => format!(
                " AND (SELECT org_id FROM verified_domains WHERE domain = {domain}) = {}",
                params.uuid(org)
            ),
            None => {
                format!(" AND NOT EXISTS (SELECT 1 FROM verified_domains WHERE domain = {domain})")
            }
        }
    }

    /// PostgreSQL: a query that locks the account's row and the guarded record's, one row
    /// if it all still holds. A row that a concurrent transaction changed is locked once
    /// that one ends and checked again as it is then (read committed's recheck), so the
    /// record's version is checked as it is under the lock, not as the statement's snapshot
    /// shows it. The account's row first, in the order every writer locks them.
    fn lock_query(&self, account: AccountId, params: &mut SqlParams) -> String {
        let account = params.uuid(account);
        let record = params.uuid(self.record);
        let version = params.int(self.version);
        format!(
            "SELECT 1 FROM accounts a JOIN directory_users r ON r.account_id = a.id \
             WHERE a.id = {account} AND r.id = {record} AND r.version = {version}{} \
             FOR UPDATE OF a, r",
            self.management(params)
        )
    }
}

/// Writes `change`. A taken email, or a userName of `own` that its directory already uses,
/// is `StoreError::Conflict`.
pub async fn write_account(conn: &mut Conn, change: &AccountChange<'_>) -> StoreResult<()> {
    let mut params = SqlParams::default();
    let statements = account_change_statements(conn.backend(), change, "", &mut params);
    if let Some(sql) = joined(conn.backend(), statements) {
        params.query(&sql).execute(conn).await?;
    }
    Ok(())
}

/// [`write_account`] for [`super::hold_for_commit`], if what `guard` stands for still
/// holds. The guarded record is one of the account's, which the write's last statement
/// moves, so the write changes rows only if the guard holds.
pub fn account_write_if_unchanged(
    backend: Backend,
    change: &AccountChange<'_>,
    guard: &ReadGuard,
) -> HeldWrite {
    if backend == Backend::Postgres {
        return locked_write_if_unchanged(change, guard);
    }
    let mut params = SqlParams::default();
    let condition = guard.condition(&mut params);
    let statements = account_change_statements(backend, change, &condition, &mut params);
    HeldWrite {
        statements,
        condition,
        journal_before_last: true,
        adds_users: false,
        params,
        // SQLite's one writer runs it whole or rolls back its savepoint.
        standalone: None,
    }
}

/// PostgreSQL: [`account_write_if_unchanged`] as one statement that takes the account's
/// lock itself (the guard's CTE) and writes only if the guard's row is there. All or
/// nothing by itself, it may run alone, outside a transaction: a write decided on a read
/// made without the lock then costs one round trip.
fn locked_write_if_unchanged(change: &AccountChange<'_>, guard: &ReadGuard) -> HeldWrite {
    let mut params = SqlParams::default();
    let lock = guard.lock_query(change.id, &mut params);
    let mut statements =
        account_change_statements(Backend::Postgres, change, LOCK_GATE, &mut params);
    // The records' touch, which PostgreSQL always has, goes last: its count is the write's.
    let last = statements.pop().unwrap_or_default();
    under_lock(lock, statements, last, params)
}

/// ` AND ...` of every part of a PostgreSQL write under [`under_lock`]'s guard.
const LOCK_GATE: &str = " AND EXISTS (SELECT 1 FROM guard)";

/// PostgreSQL: `last` with `writes` as CTEs, after the `guard` CTE that `lock` (a
/// [`ReadGuard::lock_query`]) makes; every part checks [`LOCK_GATE`], so the statement is
/// all or nothing by itself.
fn under_lock(lock: String, writes: Vec<String>, last: String, params: SqlParams) -> HeldWrite {
    let ctes: Vec<String> = std::iter::once(format!("guard AS MATERIALIZED ({lock})"))
        .chain(
            writes
                .iter()
                .enumerate()
                .map(|(i, write)| format!("w{i} AS ({write})")),
        )
        .collect();
    let ctes = format!("WITH {}", ctes.join(", "));
    HeldWrite {
        statements: vec![format!("{ctes} {last}")],
        condition: LOCK_GATE.to_owned(),
        journal_before_last: true,
        adds_users: false,
        params,
        standalone: Some(Standalone {
            gate: LOCK_GATE.to_owned(),
            slot: ctes.len(),
        }),
    }
}

/// The directory's own record alone written (its account unchanged), for
/// [`super::hold_for_commit`]: only if what `guard` stands for still holds. On PostgreSQL
/// one statement that takes the account's and the record's locks itself, as
/// [`account_write_if_unchanged`] does, and may commit alone. A userName the directory
/// already uses is `StoreError::Conflict` at the commit.
pub fn record_write_if_unchanged(
    backend: Backend,
    record: &DirectoryUser,
    account: AccountId,
    guard: &ReadGuard,
) -> HeldWrite {
    let mut params = SqlParams::default();
    let (lock, condition) = match backend {
        Backend::Postgres => (
            Some(guard.lock_query(account, &mut params)),
            LOCK_GATE.to_owned(),
        ),
        Backend::Sqlite => (None, guard.condition(&mut params)),
    };
    let update = format!(
        "UPDATE directory_users SET external_id = {}, attributes = {}, updated_at = {}, \
         user_name = {}, user_name_lower = {}, version = version + 1 \
         WHERE id = {} AND directory_id = {}{condition}",
        params.push(record.external_id.clone().into_param()),
        params.push((&record.attributes).into_param()),
        params.time(record.updated_at),
        params.text(record.user_name.as_str()),
        params.text(user_name_key(&record.user_name)),
        params.uuid(record.id),
        params.push(record.directory_id.into_param()),
    );
    if let Some(lock) = lock {
        return under_lock(lock, Vec::new(), update, params);
    }
    HeldWrite {
        statements: vec![update],
        condition,
        // The journal checks the guard before the update moves the version.
        journal_before_last: true,
        adds_users: false,
        params,
        standalone: None,
    }
}

/// Moves every directory record of the account, `own` taking its new attributes, and
/// writes its new `status` if given: [`write_account`] without a profile.
pub async fn touch_account_records(
    conn: &mut Conn,
    account: AccountId,
    at: i64,
    own: Option<&DirectoryUser>,
    status: Option<AccountStatus>,
) -> StoreResult<()> {
    let change = AccountChange {
        id: account,
        profile: None,
        status,
        touch: Touch::Records { own },
        at,
    };
    write_account(conn, &change).await
}

/// The statements of [`write_account`], each checking `unchanged` (a guard's condition,
/// or `""`), their values pushed to `params`; the touch of the records last.
fn account_change_statements(
    backend: Backend,
    change: &AccountChange<'_>,
    unchanged: &str,
    params: &mut SqlParams,
) -> Vec<String> {
    let id = params.uuid(change.id);
    let at = params.time(change.at);
    let mut writes = Vec::new();
    let mut sets = Vec::new();
    if let Some(update) = &change.profile {
        let (lower, domain) = email_parts(update.email);
        sets.extend([
            format!("email = {}", params.text(update.email)),
            format!("email_lower = {}", params.text(lower)),
            format!("email_domain = {}", params.push(domain.into_param())),
            format!(
                "display_name = {}",
                params.push(update.display_name.into_param())
            ),
            format!(
                "display_name_lower = {}",
                params.push(update.display_name.map(fold_case).into_param())
            ),
            format!("profile = {}", params.push(update.profile.into_param())),
        ]);
    }
    if let Some(status) = change.status {
        sets.push(format!("status = {}", params.text(status.as_str())));
    }
    if !sets.is_empty() {
        writes.push(format!(
            "UPDATE accounts SET {}, updated_at = {at}, version = version + 1 \
             WHERE id = {id} AND tombstoned_at IS NULL{unchanged}",
            sets.join(", ")
        ));
    }
    if let Some(update) = &change.profile {
        writes.extend(address_writes(&id, update, unchanged, params));
    }
    let touch = match (change.touch, backend) {
        (Touch::NoneFound, Backend::Sqlite) if unchanged.is_empty() => None,
        (Touch::NoneFound, _) => Some(touch_sql(&id, &at, None, params)),
        (Touch::Records { own }, _) => Some(touch_sql(&id, &at, own, params)),
    };
    // The touch moves the guarded record, and the guard's subquery is evaluated once,
    // before it does: each statement of the write checks the state as read.
    writes.extend(touch.map(|touch| format!("{touch}{unchanged}")));
    writes
}

/// The statements that bring the account's `account_emails` rows (kept by position in
/// `profile.emails`) from what `replaces` holds to what `profile` holds: the changed rows
/// in one upsert, the rows of positions that are gone in one delete. Each touches rows
/// the other does not, so they may also run as parts of one PostgreSQL statement.
fn address_writes(
    account: &str,
    update: &AccountProfileUpdate<'_>,
    unchanged: &str,
    params: &mut SqlParams,
) -> Vec<String> {
    if update.profile.get("emails") == update.replaces.get("emails") {
        return Vec::new();
    }
    let mut writes = Vec::new();
    let kept: BTreeSet<i64> = account_email_positions(update.profile).collect();
    let gone = account_email_positions(update.replaces).any(|p| !kept.contains(&p));
    if gone {
        let mut delete = format!("DELETE FROM account_emails WHERE account_id = {account}");
        if !kept.is_empty() {
            let kept: Vec<String> = kept.iter().map(|&p| params.int(p)).collect();
            delete.push_str(&format!(" AND position NOT IN ({})", kept.join(", ")));
        }
        delete.push_str(unchanged);
        writes.push(delete);
    }
    if let Some(rows) = account_email_rows(account, update.profile, params) {
        // A SELECT (whose WHERE also parts it from the upsert clause) when guarded.
        let rows = match unchanged {
            "" => format!("VALUES {rows}"),
            _ => format!("SELECT * FROM (VALUES {rows}) AS v WHERE true{unchanged}"),
        };
        writes.push(format!(
            "INSERT INTO account_emails ({ACCOUNT_EMAIL_COLUMNS}) {rows} \
             ON CONFLICT (account_id, position) DO UPDATE SET \
             value_lower = excluded.value_lower, type_lower = excluded.type_lower, \
             is_primary = excluded.is_primary"
        ));
    }
    writes
}

/// Bumps the version of every directory record of the account; the writing directory's
/// own record, if given, gets its new attributes in the same statement.
fn touch_sql(
    account: &str,
    at: &str,
    own: Option<&DirectoryUser>,
    params: &mut SqlParams,
) -> String {
    let touch = format!("UPDATE directory_users SET version = version + 1, updated_at = {at}");
    let Some(record) = own else {
        return format!("{touch} WHERE account_id = {account}");
    };
    let own = params.uuid(record.id);
    let ours = |column: &str, value: String| {
        format!("{column} = CASE WHEN id = {own} THEN {value} ELSE {column} END")
    };
    let sets = [
        ours(
            "external_id",
            params.push(record.external_id.clone().into_param()),
        ),
        ours("attributes", params.push((&record.attributes).into_param())),
        ours("user_name", params.text(record.user_name.as_str())),
        ours(
            "user_name_lower",
            params.text(user_name_key(&record.user_name)),
        ),
    ];
    format!("{touch}, {} WHERE account_id = {account}", sets.join(", "))
}
