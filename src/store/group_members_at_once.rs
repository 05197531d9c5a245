//! PostgreSQL: SCIM PATCHes that only add and remove a few members of a directory's group,
//! sent as one statement that commits as it runs, with their journal
//! (`scim_group_member_changes`, migration 0014).
//!
//! Every change to a group takes the group's row lock, so one group's writers take turns,
//! each for as long as it holds the lock. Sent statement by statement (`BEGIN`, the users,
//! the version bump, the member row, the journal, `COMMIT`), a change held it across four
//! round trips and a WAL flush. Here the changes of one group that arrive while its last
//! statement runs wait in this process and then go together, in arrival order, in the next
//! one: one lock, one round trip and one commit for all of them. Each is still decided as
//! if alone (the function locks first, then reads what the changes before it left), is
//! answered with its own version, and one refused writes nothing.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::json;
use tokio::sync::oneshot;

use super::audit::gated_audit_select;
use super::db::{Conn, Handle};
use super::db_types::{DbJsonOpt, DbTimeOpt, DbUuidOpt};
use super::filter_sql::SqlParams;
use super::groups::Group;
use super::provisioning_log::values_changed_by;
use super::scim_groups::MemberRef;
use super::{conn_pool, Param, Pools, Store, StoreError, StoreResult};
use crate::domain::{DirectoryId, GroupId, OrgId};
use crate::store::{NewAuditEntry, NewProvisioningEntry};

/// Member ids one change names at most to go this way; a larger change goes statement by
/// statement, where the lock's round trips are small beside its rows.
pub const MAX_MEMBER_IDS_AT_ONCE: usize = 20;

/// Changes in one statement at most: the rest wait for the next.
const MAX_BATCH: usize = 64;

/// A change of members by SCIM user ids, with the entries that record it.
#[derive(Debug)]
pub struct MemberChangeAtOnce {
    pub directory: DirectoryId,
    pub group: GroupId,
    /// Each must be a user of the directory, or nothing changes.
    pub add: Vec<uuid::Uuid>,
    /// Ids that are not users, or not members, are skipped.
    pub remove: Vec<uuid::Uuid>,
    pub at: i64,
    /// The version an `If-Match` names.
    pub if_version: Option<i64>,
    /// The response shows the members: read them as the change left them.
    pub with_members: bool,
    /// Written only if a member row changed, its detail given the counts (`added`,
    /// `removed`).
    pub audit: NewAuditEntry,
    /// Written when the change was made, its `changed` whether a member row changed.
    pub log: NewProvisioningEntry,
}

/// How a change ended. Only `Done` wrote anything.
#[derive(Debug, PartialEq, Eq)]
pub enum MemberChangeOutcome {
    NotFound,
    VersionMoved,
    /// These ids to add are not users of the directory.
    NotUsers(Vec<uuid::Uuid>),
    Done {
        /// The group just after the change (its version moved only if a member row
        /// changed).
        group: Group,
        group_patch_minimal: bool,
        added: u64,
        removed: u64,
        /// With `with_members`: the members just after the change.
        members: Option<Vec<MemberRef>>,
    },
}

type Reply = oneshot::Sender<StoreResult<MemberChangeOutcome>>;

/// A group as one directory addresses it. Changes go together only under the same key: a
/// statement runs every change it holds as its first change's directory.
type Key = (DirectoryId, GroupId);

/// The changes waiting, by group; a group is present while a statement of its changes runs.
#[derive(Debug, Default)]
pub(super) struct MemberBatches(Mutex<HashMap<Key, Vec<(MemberChangeAtOnce, Reply)>>>);

impl MemberBatches {
    /// Queues a change; true if no statement of its group runs, so that one must start.
    fn enqueue(&self, change: MemberChangeAtOnce, reply: Reply) -> bool {
        let mut groups = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let key = (change.directory, change.group);
        match groups.get_mut(&key) {
            Some(waiting) => {
                waiting.push((change, reply));
                false
            }
            None => {
                groups.insert(key, vec![(change, reply)]);
                true
            }
        }
    }

    /// The next changes under `key` to send; none, and the key forgotten, if none wait.
    fn next(&self, key: Key) -> Vec<(MemberChangeAtOnce, Reply)> {
        let mut groups = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let Some(waiting) = groups.get_mut(&key) else {
            return Vec::new();
        };
        if waiting.is_empty() {
            groups.remove(&key);
            return Vec::new();
        }
        let rest = waiting.split_off(waiting.len().min(MAX_BATCH));
        std::mem::replace(waiting, rest)
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    n: i64,
    outcome: String,
    /// Comma-separated.
    missing: Option<String>,
    added: i64,
    removed: i64,
    #[sqlx(try_from = "DbUuidOpt")]
    id: Option<GroupId>,
    #[sqlx(try_from = "DbUuidOpt")]
    org_id: Option<OrgId>,
    #[sqlx(try_from = "DbUuidOpt")]
    directory_id: Option<DirectoryId>,
    display_name: Option<String>,
    external_id: Option<String>,
    #[sqlx(try_from = "DbTimeOpt")]
    created_at: Option<i64>,
    #[sqlx(try_from = "DbTimeOpt")]
    updated_at: Option<i64>,
    version: Option<i64>,
    group_patch_minimal: Option<bool>,
    #[sqlx(try_from = "DbJsonOpt")]
    members: Option<String>,
}

impl Store {
    /// Whether a member change can go as [`change_group_members_at_once`]: on PostgreSQL,
    /// outside a bulk session (whose writes share one transaction).
    pub fn member_changes_at_once(&self) -> bool {
        matches!(self.pools, Pools::Postgres(_)) && self.session().is_none()
    }
}

/// Makes `change` with the changes of its group that queue beside it (see the module).
/// `None` where [`Store::member_changes_at_once`] is false or the change names more than
/// [`MAX_MEMBER_IDS_AT_ONCE`] ids.
pub async fn change_group_members_at_once(
    store: &Store,
    change: MemberChangeAtOnce,
) -> StoreResult<Option<MemberChangeOutcome>> {
    if !store.member_changes_at_once()
        || change.add.len() + change.remove.len() > MAX_MEMBER_IDS_AT_ONCE
    {
        return Ok(None);
    }
    let key = (change.directory, change.group);
    let (reply, outcome) = oneshot::channel();
    if store.member_batches.enqueue(change, reply) {
        // Its own task: the statement runs to its end even if this request is dropped,
        // and answers the changes queued behind it.
        tokio::spawn(send_batches(store.clone(), key));
    }
    let outcome = outcome.await;
    // The statement ran in another task: the request counts the one it was part of.
    super::statement_count::count_for_request(super::statement_count::Counts {
        statements: 1,
        transactions: 0,
    });
    match outcome {
        Ok(outcome) => outcome.map(Some),
        Err(_) => Err(StoreError::Database(sqlx::Error::Protocol(
            "a member change's statement ended without its outcome".to_owned(),
        ))),
    }
}

/// Sends the changes queued under `key` until none wait.
async fn send_batches(store: Store, key: Key) {
    let mut sending = Sending {
        store: &store,
        key,
        done: false,
    };
    loop {
        let batch = store.member_batches.next(key);
        if batch.is_empty() {
            sending.done = true;
            return;
        }
        let (changes, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        match run(&store, &changes).await {
            Ok(outcomes) => {
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
            }
            // PostgreSQL refused the statement (a deadlock with a user's deletion, say), so
            // nothing of it was written: each change goes alone then, to be answered with
            // its own outcome. After an error that leaves it unknown whether the statement
            // committed (a lost connection), none is sent again.
            Err(err) if changes.len() > 1 && refused_by_the_database(&err) => {
                for (change, reply) in changes.iter().zip(replies) {
                    let outcome = run(&store, std::slice::from_ref(change)).await;
                    let _ = reply.send(outcome.and_then(|mut o| one(o.pop())));
                }
            }
            Err(err) => {
                for reply in replies {
                    let _ = reply.send(Err(StoreError::Database(sqlx::Error::Protocol(
                        err.to_string(),
                    ))));
                }
            }
        }
    }
}

/// The task sending a key's changes. Should it end before the queue did (a panic, the
/// runtime shutting down), the key is forgotten with what waits under it, whose requests
/// then fail, so that later changes of the group start a task of their own instead of
/// queueing behind one that is gone. (After a normal end the key was forgotten already,
/// and may be another task's since.)
struct Sending<'a> {
    store: &'a Store,
    key: Key,
    done: bool,
}

impl Drop for Sending<'_> {
    fn drop(&mut self) {
        if !self.done {
            let mut groups =
                (self.store.member_batches.0.lock()).unwrap_or_else(|e| e.into_inner());
            groups.remove(&self.key);
        }
    }
}

/// Whether the database answered the statement with an error: then it wrote nothing.
fn refused_by_the_database(err: &StoreError) -> bool {
    matches!(
        err,
        StoreError::Conflict | StoreError::TooLong | StoreError::Database(sqlx::Error::Database(_))
    )
}

fn one(outcome: Option<MemberChangeOutcome>) -> StoreResult<MemberChangeOutcome> {
    outcome.ok_or_else(|| StoreError::Corrupt("a member change had no outcome".to_owned()))
}

/// The statement of `changes` (all of one group), and their outcomes in their order.
async fn run(
    store: &Store,
    changes: &[MemberChangeAtOnce],
) -> StoreResult<Vec<MemberChangeOutcome>> {
    let (Pools::Postgres(pool), Some(first)) = (&store.pools, changes.first()) else {
        return Ok(Vec::new());
    };
    let mut params = SqlParams::default();
    let specs: Vec<serde_json::Value> = changes
        .iter()
        .map(|c| {
            json!({"add": c.add, "remove": c.remove, "at": c.at, "if_version": c.if_version,
                "members": c.with_members})
        })
        .collect();
    let call = format!(
        "scim_group_member_changes({}, {}, {})",
        params.uuid(first.group),
        params.uuid(first.directory),
        params.push(Param::Json(serde_json::Value::Array(specs).to_string())),
    );
    let (mut audits, mut logs) = (Vec::new(), Vec::new());
    for (k, change) in (1..).zip(changes) {
        audits.push(gated_audit_select(
            &change.audit,
            &mut params,
            "jsonb_build_object('added', ch.added, 'removed', ch.removed)",
            &format!(
                "FROM ch WHERE ch.n = {k} AND ch.outcome = 'done' AND ch.added + ch.removed > 0"
            ),
        ));
        logs.push(format!(
            "SELECT {} FROM ch WHERE ch.n = {k} AND ch.outcome = 'done'",
            values_changed_by(&change.log, &mut params, "ch.added + ch.removed > 0"),
        ));
    }
    let sql = format!(
        "WITH ch AS MATERIALIZED (SELECT * FROM {call}), \
         journal0 AS (INSERT INTO audit_log ({}) {}), \
         journal1 AS (INSERT INTO provisioning_log ({}) {}) \
         SELECT n, outcome, array_to_string(missing, ',') AS missing, added, removed, id, \
         org_id, directory_id, display_name, external_id, created_at, updated_at, version, \
         group_patch_minimal, members FROM ch ORDER BY n",
        super::audit::AUDIT_COLUMNS,
        audits.join(" UNION ALL "),
        super::provisioning_log::COLUMNS,
        logs.join(" UNION ALL "),
    );
    let mut conn = Conn::new(Handle::Postgres(conn_pool::get(pool).await?));
    let rows: Vec<Row> = params.query(&sql).fetch_all(&mut conn).await?;
    let mut outcomes: Vec<Option<MemberChangeOutcome>> = changes.iter().map(|_| None).collect();
    for row in rows {
        let slot = usize::try_from(row.n - 1)
            .ok()
            .and_then(|i| outcomes.get_mut(i));
        if let Some(slot) = slot {
            *slot = Some(outcome(row));
        }
    }
    outcomes.into_iter().map(one).collect()
}

fn outcome(row: Row) -> MemberChangeOutcome {
    let group = || -> Option<Group> {
        Some(Group {
            id: row.id?,
            org_id: row.org_id?,
            directory_id: row.directory_id,
            display_name: row.display_name.clone()?,
            external_id: row.external_id.clone(),
            created_at: row.created_at?,
            updated_at: row.updated_at?,
            version: row.version?,
        })
    };
    match (row.outcome.as_str(), group()) {
        ("not_users", _) => MemberChangeOutcome::NotUsers(
            (row.missing.as_deref().unwrap_or_default().split(','))
                .filter_map(|id| id.parse().ok())
                .collect(),
        ),
        ("version_moved", _) => MemberChangeOutcome::VersionMoved,
        ("done", Some(group)) => MemberChangeOutcome::Done {
            group,
            group_patch_minimal: row.group_patch_minimal.unwrap_or(false),
            added: row.added.unsigned_abs(),
            removed: row.removed.unsigned_abs(),
            members: row.members.as_deref().map(member_refs),
        },
        _ => MemberChangeOutcome::NotFound,
    }
}

/// The members the statement read (`[{"id": ..., "display": ...}]`).
fn member_refs(json: &str) -> Vec<MemberRef> {
    let listed: Vec<serde_json::Value> = serde_json::from_str(json).unwrap_or_default();
    listed
        .iter()
        .filter_map(|m| {
            Some(MemberRef {
                user_id: m["id"].as_str()?.parse().ok()?,
                display: m["display"].as_str().map(str::to_owned),
            })
        })
        .collect()
}
