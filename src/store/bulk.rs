//! Shared commits for a run of write transactions from one request (SCIM Bulk): each
//! transaction the run begins is a SAVEPOINT inside a *chunk* transaction, released when it
//! commits and rolled back to when it fails or is dropped, so each stays atomic on its own
//! and one failing leaves the others. The chunk commits once it holds
//! [`CHUNK_TRANSACTIONS`] of them or has been open [`CHUNK_TIME`], or, on SQLite, once it has
//! been open [`YIELD_AFTER`] while another request waits for the one writer; and at the end.
//! On SQLite the chunk is itself a member of the group commit; on PostgreSQL, a transaction
//! of its own. A COMMIT waits for the disk (an fsync, milliseconds), so the fewer the
//! better; the bounds keep row locks, and SQLite's writer, from being held long.
//!
//! A transaction's changes are durable only once its chunk has committed, so the caller
//! answers only after [`BulkSession::finish`], which also names the chunks whose COMMIT
//! failed (their transactions are lost, and must be reported as failed). The run's
//! transactions are sequential: a `begin` while another is open is an error.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::Executor;
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::db::{Conn, Handle, Native, Tx};
use super::Store;

/// Transactions per chunk at most.
pub const CHUNK_TRANSACTIONS: usize = 256;
/// How long a chunk stays open at most.
pub const CHUNK_TIME: Duration = Duration::from_millis(50);
/// On SQLite a chunk holds the one writer: once another request waits for it, the chunk
/// commits after this long, so nobody waits longer behind a bulk than behind a full group
/// commit.
pub const YIELD_AFTER: Duration = super::group_commit::DEFAULT_MAX_WAIT;

// A committed transaction's savepoint is released together with the next one's opening
// (or by the chunk's COMMIT), in one round trip: on PostgreSQL a round trip is what a bulk
// operation mostly waits for.
const SAVEPOINT: &str = "SAVEPOINT scimd_bulk_op";
const RELEASE_THEN_SAVEPOINT: &str = "RELEASE SAVEPOINT scimd_bulk_op; SAVEPOINT scimd_bulk_op";
const UNDO_THEN_SAVEPOINT: &str = "ROLLBACK TO SAVEPOINT scimd_bulk_op; \
     RELEASE SAVEPOINT scimd_bulk_op; SAVEPOINT scimd_bulk_op";
const UNDO: &str = "ROLLBACK TO SAVEPOINT scimd_bulk_op; RELEASE SAVEPOINT scimd_bulk_op";

/// The chunk's innermost savepoint, between transactions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Top {
    /// None open.
    Clear,
    /// The last transaction committed: its savepoint awaits release.
    Committed,
    /// The last transaction ended without committing: roll back to its savepoint.
    Abandoned,
}

struct Slot {
    backend: super::Backend,
    /// On SQLite, the transactions waiting for the writer.
    writer_queue: Option<Arc<AtomicUsize>>,
    /// The open chunk, between transactions.
    chunk: Option<Tx>,
    top: Top,
    /// Chunks opened so far; the open one's number.
    number: u64,
    /// Transactions released into the open chunk.
    released: usize,
    opened: Option<Instant>,
    /// The chunk the last committed transaction was released into.
    last_released: Option<u64>,
    /// Chunks whose COMMIT failed (or that were lost otherwise).
    failed: Vec<u64>,
}

struct Shared {
    /// The store underneath (without a session), which opens the chunks.
    base: Store,
    slot: Arc<Mutex<Slot>>,
}

/// A run of transactions sharing commits; see the module documentation.
#[derive(Clone)]
pub struct BulkSession {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for BulkSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BulkSession")
    }
}

/// A transaction (or read) of the run: the chunk, lent to it while it lasts.
pub(super) struct Nested {
    slot: OwnedMutexGuard<Slot>,
    /// Committed or rolled back explicitly (otherwise dropping it leaves a rollback due).
    ended: bool,
}

impl Nested {
    pub(super) fn backend(&self) -> super::Backend {
        match self.slot.chunk.as_ref() {
            Some(chunk) => chunk.conn.backend(),
            None => self.slot.backend,
        }
    }

    pub(super) fn native(&mut self) -> Result<Native<'_>, sqlx::Error> {
        match self.slot.chunk.as_mut() {
            Some(chunk) => chunk.conn.native(),
            // A nested transaction holds its chunk until it ends.
            None => Err(sqlx::Error::PoolClosed),
        }
    }

    /// Keeps the savepoint's changes in the chunk, and commits the chunk if it is due.
    pub(super) async fn commit(mut self, changed: super::db::Changed) -> Result<(), sqlx::Error> {
        self.ended = true;
        let slot = &mut *self.slot;
        let Some(chunk) = slot.chunk.as_mut() else {
            return Err(sqlx::Error::PoolClosed);
        };
        chunk.conn.changed |= changed;
        slot.top = Top::Committed;
        slot.released += 1;
        slot.last_released = Some(slot.number);
        let open_for = slot.opened.map(|t| t.elapsed()).unwrap_or_default();
        let others_wait = slot
            .writer_queue
            .as_ref()
            .is_some_and(|queue| queue.load(Ordering::SeqCst) > 0);
        let due = slot.released >= CHUNK_TRANSACTIONS
            || open_for >= CHUNK_TIME
            || (others_wait && open_for >= YIELD_AFTER);
        if due {
            commit_chunk(slot).await;
        }
        Ok(())
    }

    pub(super) async fn rollback(mut self) -> Result<(), sqlx::Error> {
        self.ended = true;
        let slot = &mut *self.slot;
        slot.top = Top::Clear;
        if let Some(chunk) = slot.chunk.as_mut() {
            if let Err(err) = execute(chunk, UNDO).await {
                lose_chunk(slot);
                return Err(err);
            }
        }
        Ok(())
    }
}

impl Drop for Nested {
    fn drop(&mut self) {
        // Ended without commit or rollback (an error returned early, a read finished, or
        // the request was cancelled): the next user of the chunk rolls back to the savepoint.
        if self.slot.chunk.is_some() && !self.ended {
            self.slot.top = Top::Abandoned;
        }
    }
}

async fn execute(chunk: &mut Tx, sql: &str) -> Result<(), sqlx::Error> {
    chunk.conn.take_writer().await?;
    match chunk.conn.native()? {
        Native::Sqlite(c) => c.execute(sql).await.map(|_| ()),
        Native::Postgres(c) => c.execute(sql).await.map(|_| ()),
    }
}

/// Commits the open chunk; a failed COMMIT loses what was released into it.
async fn commit_chunk(slot: &mut Slot) {
    let Some(chunk) = slot.chunk.take() else {
        return;
    };
    // Boxed: a chunk's commit is a `Tx::commit`, which is how a nested one got here.
    if slot.released > 0 && Box::pin(chunk.commit()).await.is_err() {
        slot.failed.push(slot.number);
    }
    slot.released = 0;
    slot.opened = None;
    slot.top = Top::Clear;
}

/// Drops the open chunk (it rolls back) and records what was released into it as lost.
fn lose_chunk(slot: &mut Slot) {
    if slot.chunk.take().is_some() && slot.released > 0 {
        slot.failed.push(slot.number);
    }
    slot.released = 0;
    slot.opened = None;
    slot.top = Top::Clear;
}

impl BulkSession {
    pub(super) fn new(base: Store) -> Self {
        BulkSession {
            shared: Arc::new(Shared {
                slot: Arc::new(Mutex::new(Slot {
                    backend: base.backend(),
                    writer_queue: base.writer_queue(),
                    chunk: None,
                    top: Top::Clear,
                    number: 0,
                    released: 0,
                    opened: None,
                    last_released: None,
                    failed: Vec::new(),
                })),
                base,
            }),
        }
    }

    /// Lends the chunk (opening one if none is open) to a new savepoint.
    pub(super) async fn begin(&self) -> Result<Nested, sqlx::Error> {
        // The run's transactions are sequential; one that is still open here means a use
        // case holds two connections at once, which would wait for itself forever.
        let mut guard = self.shared.slot.clone().try_lock_owned().map_err(|_| {
            sqlx::Error::Protocol(
                "a bulk operation asked for a second connection while holding one".into(),
            )
        })?;
        let slot = &mut *guard;
        if slot.chunk.is_none() {
            // Boxed: the base store's `begin` is the one that sent its caller here.
            let chunk = Box::pin(self.shared.base.begin())
                .await
                .map_err(|err| match err {
                    super::StoreError::Database(err) => err,
                    other => sqlx::Error::Protocol(other.to_string()),
                })?;
            slot.chunk = Some(chunk);
            slot.top = Top::Clear;
            slot.number += 1;
            slot.released = 0;
            slot.opened = Some(Instant::now());
        }
        let open = match slot.top {
            Top::Clear => SAVEPOINT,
            Top::Committed => RELEASE_THEN_SAVEPOINT,
            Top::Abandoned => UNDO_THEN_SAVEPOINT,
        };
        if let Some(chunk) = slot.chunk.as_mut() {
            if let Err(err) = execute(chunk, open).await {
                // The chunk's state is unknown now: give it up, with what it held.
                lose_chunk(slot);
                return Err(err);
            }
        }
        slot.top = Top::Clear;
        Ok(Nested {
            slot: guard,
            ended: false,
        })
    }

    /// The chunk the last committed transaction went into, to match against
    /// [`BulkSession::finish`]'s lost chunks.
    pub async fn last_chunk(&self) -> Option<u64> {
        self.shared.slot.lock().await.last_released
    }

    /// Commits what is open; the chunks whose transactions were lost.
    pub async fn finish(&self) -> Vec<u64> {
        let mut slot = self.shared.slot.lock().await;
        if slot.top == Top::Abandoned {
            slot.top = Top::Clear;
            if let Some(chunk) = slot.chunk.as_mut() {
                if execute(chunk, UNDO).await.is_err() {
                    lose_chunk(&mut slot);
                }
            }
        }
        commit_chunk(&mut slot).await;
        slot.failed.clone()
    }
}

impl Store {
    /// A store whose transactions share commits (see [`BulkSession`]), and the session to
    /// finish it with. Its reads run inside the open chunk too, so they see what the run
    /// wrote before it committed.
    pub fn bulk_session(&self) -> (Store, BulkSession) {
        let session = BulkSession::new(Store {
            bulk: None,
            ..self.clone()
        });
        let store = Store {
            bulk: Some(session.clone()),
            ..self.clone()
        };
        (store, session)
    }

    pub(super) fn session(&self) -> Option<&BulkSession> {
        self.bulk.as_ref()
    }
}

/// A connection for a read of the run: a savepoint in the chunk, rolled back when dropped.
pub(super) fn read_conn(nested: Nested) -> Conn {
    Conn::new(Handle::Nested(Box::new(nested)))
}
