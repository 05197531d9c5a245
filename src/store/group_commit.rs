//! Group commit for SQLite. SQLite has one writer at a time, and each commit costs a WAL
//! write and (with `synchronous = FULL`) an fsync. So write transactions queue for the one
//! write connection, and each runs inside a SAVEPOINT of a transaction shared with the
//! transactions just before and after it: a failing request rolls back to its savepoint,
//! leaving the others' changes, and one COMMIT makes the whole batch durable. Every request
//! is answered only after the COMMIT that holds it; if that COMMIT fails, every request in
//! the batch fails with it and nothing of the batch remains.
//!
//! The batch commits when nobody is queued behind it, when it holds [`MAX_BATCH`]
//! transactions, or when its first transaction has waited [`DEFAULT_MAX_WAIT`] (as
//! configured): under light load a transaction commits alone, as before; under load the
//! commits are shared. When the batch is due as its last member ends, the COMMIT rides in
//! the text of that member's last statement (its audit entries), so a lone transaction
//! costs no round trip for it.
//!
//! A transaction takes the writer at its first statement. One that ran none before its
//! commit (its reads on a reader, its write held for the commit) never takes it: the
//! writer's queue ([`queue`]) runs its text, in rounds that each commit at their end (and
//! with them any batch they joined).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::{Executor, Sqlite, SqliteConnection, SqlitePool};
use tokio::sync::{oneshot, Mutex, OwnedMutexGuard};

use super::audit;
use super::db::{self, Handle, Tx};

mod direct;
mod queue;
mod stats;
pub(super) use queue::QueuedText;
pub(super) use stats::Commits;
pub use stats::GroupCommitStats;
use stats::Stats;

/// Transactions per COMMIT at most.
pub const MAX_BATCH: usize = 64;
/// The longest a released transaction waits for others to join its batch, unless the
/// store's options say otherwise.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_millis(5);

type Outcome = Result<(), Arc<sqlx::Error>>;

struct Batch {
    /// The writer's handle as the queue runs statements on it; declared before `conn` so
    /// that it is dropped first.
    direct: Option<direct::Direct>,
    conn: Option<PoolConnection<Sqlite>>,
    /// A shared transaction is open on `conn`.
    open: bool,
    /// The last member's commit released its savepoint and opened the next one (in the text
    /// of its last statement): the next member starts without a round trip.
    savepoint_ready: bool,
    /// Transactions released into the open one, waiting for its COMMIT.
    released: Vec<oneshot::Sender<Outcome>>,
    started: Option<Instant>,
}

/// The one SQLite writer and its batch.
#[derive(Clone)]
pub(super) struct GroupCommit {
    pool: SqlitePool,
    batch: Arc<Mutex<Batch>>,
    queued: Arc<AtomicUsize>,
    stats: Arc<Stats>,
    max_wait: Duration,
    /// The writer's queue ([`queue`]), started by the first text queued.
    queue: Arc<std::sync::OnceLock<Option<queue::Sender>>>,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GroupCommit")
    }
}

/// Counts a task waiting for the writer, until it has it or gives up. One that gives up
/// (its request was cancelled) may be the one the open batch is waiting for, so the batch
/// is committed without it.
struct Queued {
    writer: GroupCommit,
    acquired: bool,
}

impl Drop for Queued {
    fn drop(&mut self) {
        self.writer.queued.fetch_sub(1, Ordering::SeqCst);
        if !self.acquired {
            let writer = self.writer.clone();
            spawn_or_drop(async move {
                let guard = writer.batch.clone().lock_owned().await;
                writer.settle(guard, true).await;
            });
        }
    }
}

/// Runs cleanup on the runtime; without one (the process is ending) there is nothing
/// left to answer, and SQLite rolls back what was never committed.
fn spawn_or_drop(task: impl std::future::Future<Output = ()> + Send + 'static) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(task);
    }
}

// A member ends without releasing its savepoint (that would cost the writer a round trip);
// the next member releases it in the text that opens its own, so the stack is one deep and
// a member's ROLLBACK TO reaches only its own work. A deep stack made every page write
// check each open savepoint, and the in-memory sub-journal, truncated only when no
// savepoint is left, grew with the whole batch.
const NEXT_SAVEPOINT: &str = "RELEASE SAVEPOINT scimd_tx; SAVEPOINT scimd_tx";
const BEGIN_AND_SAVEPOINT: &str = "BEGIN IMMEDIATE; SAVEPOINT scimd_tx";
const ROLLBACK_TO: &str = "ROLLBACK TO SAVEPOINT scimd_tx";

impl GroupCommit {
    pub(super) fn new(pool: SqlitePool, max_wait: Duration) -> Self {
        GroupCommit {
            pool,
            batch: Arc::new(Mutex::new(Batch {
                direct: None,
                conn: None,
                open: false,
                savepoint_ready: false,
                released: Vec::new(),
                started: None,
            })),
            queued: Arc::default(),
            stats: Arc::default(),
            max_wait,
            queue: Arc::default(),
        }
    }

    /// A transaction that will take the writer at its first statement (or its commit), and
    /// counts as queued for it meanwhile, so that the batch waits for it as for one queued.
    pub(super) fn intend(&self) -> Intent {
        self.queued.fetch_add(1, Ordering::SeqCst);
        Intent {
            queued: Queued {
                writer: self.clone(),
                acquired: false,
            },
        }
    }
}

/// A write transaction that has not taken the one writer yet: the work a request does
/// before its first statement (deciding, building its writes) does not hold the writer.
/// Dropped unused, it stops counting as queued and lets the batch commit.
pub(super) struct Intent {
    queued: Queued,
}

impl Intent {
    /// Waits for the writer, opens (or joins) the shared transaction and a savepoint in it.
    pub(super) async fn begin(self) -> Result<Member, sqlx::Error> {
        let writer = self.queued.writer.clone();
        writer.begin_queued(self.queued).await
    }
}

impl GroupCommit {
    async fn begin_queued(&self, mut queued: Queued) -> Result<Member, sqlx::Error> {
        let mut guard = self.batch.clone().lock_owned().await;
        queued.acquired = true;
        drop(queued);
        if guard.open && guard.savepoint_ready {
            // Nothing to send, so nothing a cancellation could cut in half.
            guard.savepoint_ready = false;
            self.count_joined();
            return Ok(Member {
                guard: Some(guard),
                writer: self.clone(),
            });
        }
        // From here on the work runs to its end even if the request is cancelled: a BEGIN or
        // SAVEPOINT the batch only half knows about would wedge every later writer.
        let writer = self.clone();
        let (sender, receiver) = oneshot::channel();
        spawn_or_drop(async move {
            let mut guard = guard;
            match open_savepoint(&mut guard, &writer.pool).await {
                Ok(()) => {
                    if let Err(Ok(mut guard)) = sender.send(Ok(guard)) {
                        // The request is gone: undo its (empty) savepoint.
                        abandon(&mut guard).await;
                        writer.settle(guard, false).await;
                    }
                }
                Err(err) => {
                    writer.settle(guard, false).await;
                    let _ = sender.send(Err(err));
                }
            }
        });
        match receiver.await {
            Ok(Ok(guard)) => Ok(Member {
                guard: Some(guard),
                writer: self.clone(),
            }),
            Ok(Err(err)) => Err(err),
            Err(_) => Err(sqlx::Error::WorkerCrashed),
        }
    }

    /// Whether a transaction holds the writer or waits for it right now.
    pub(super) fn busy(&self) -> bool {
        self.queued.load(Ordering::SeqCst) > 0 || self.batch.try_lock().is_err()
    }

    /// Transactions waiting for the writer right now (a bulk session yields to them).
    pub(super) fn queue(&self) -> Arc<AtomicUsize> {
        self.queued.clone()
    }

    pub(super) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Commits what is open and gives the connection back, so the pool can close.
    pub(super) async fn close(&self) {
        let mut guard = self.batch.clone().lock_owned().await;
        if guard.open {
            let outcome = match connection(&mut guard).execute("COMMIT").await {
                Ok(_) => Ok(()),
                Err(err) => Err(Arc::new(err)),
            };
            finish(&mut guard, outcome);
        }
        if let Some(direct) = guard.direct.take() {
            // Its statements are finalized while sqlx's worker leaves the handle alone.
            if let Some(conn) = guard.conn.as_deref_mut() {
                let locked = conn.lock_handle().await;
                drop(direct);
                drop(locked);
            }
        }
        guard.conn = None;
    }

    /// Whether the open batch should commit now: nobody is queued behind it, it is full, or
    /// its first transaction has waited long enough. `joining`: transactions about to be
    /// released into it that `released` does not hold yet.
    fn due(&self, batch: &Batch, joining: usize) -> bool {
        self.queued.load(Ordering::SeqCst) == 0
            || batch.released.len() + joining >= MAX_BATCH
            || batch.started.is_some_and(|t| t.elapsed() >= self.max_wait)
    }

    /// Commits the batch if it should go now (or `force`), and lets the writer go.
    async fn settle(&self, mut guard: OwnedMutexGuard<Batch>, force: bool) {
        if !guard.open || !(force || self.due(&guard, 0)) {
            return;
        }
        let outcome = match connection(&mut guard).execute("COMMIT").await {
            Ok(_) => {
                self.count_commit(guard.released.len());
                Ok(())
            }
            Err(err) => {
                let _ = connection(&mut guard).execute("ROLLBACK").await;
                Err(Arc::new(err))
            }
        };
        finish(&mut guard, outcome);
    }

    fn text_queue(&self) -> Option<&queue::Sender> {
        self.queue.get_or_init(|| queue::start(self)).as_ref()
    }
}

/// Joins the open transaction (opening one if none is) with a savepoint of its own.
async fn open_savepoint(
    guard: &mut OwnedMutexGuard<Batch>,
    pool: &SqlitePool,
) -> Result<(), sqlx::Error> {
    if guard.conn.is_none() {
        guard.conn = Some(pool.acquire().await?);
    }
    if guard.open {
        connection(guard).execute(NEXT_SAVEPOINT).await?;
    } else {
        if let Err(err) = connection(guard).execute(BEGIN_AND_SAVEPOINT).await {
            // `BEGIN` may have run before `SAVEPOINT` failed: never leave the writer inside
            // a transaction the batch does not know about.
            let _ = connection(guard).execute("ROLLBACK").await;
            return Err(err);
        }
        guard.open = true;
        guard.started = Some(Instant::now());
    }
    Ok(())
}

fn connection(guard: &mut OwnedMutexGuard<Batch>) -> &mut SqliteConnection {
    // `begin` stores the connection before any member exists; a batch is never open
    // without one.
    guard
        .conn
        .as_deref_mut()
        .unwrap_or_else(|| unreachable!("the writer connection is set before use"))
}

/// Ends the shared transaction and answers everyone released into it.
fn finish(guard: &mut OwnedMutexGuard<Batch>, outcome: Outcome) {
    guard.open = false;
    guard.savepoint_ready = false;
    guard.started = None;
    for waiter in guard.released.drain(..) {
        let _ = waiter.send(outcome.clone());
    }
}

/// Commits a member's transaction (`Tx::commit` on SQLite's writer) in a task of its own,
/// which runs to its end whoever waits for it: the last statement also opens the next
/// member's savepoint (or commits the batch), and sqlx's worker stops a text at the first
/// result nobody waits for any more, so a cancelled request could otherwise leave the batch
/// without a savepoint.
/// The task's statements count for the request.
pub(super) async fn commit_member(tx: Tx) -> Result<bool, sqlx::Error> {
    let (sender, receiver) = oneshot::channel();
    spawn_or_drop(async move {
        let _ = sender.send(db::counting(end_member(tx)).await);
    });
    match receiver.await {
        Ok((outcome, counts)) => {
            db::count_for_request(counts);
            outcome
        }
        Err(_) => Err(sqlx::Error::WorkerCrashed),
    }
}

/// False if the member's write held for the commit found its read moved: the member then
/// ends having written nothing (its savepoint released, or rolled back).
async fn end_member(mut tx: Tx) -> Result<bool, sqlx::Error> {
    // Decided while this member holds the writer, so nobody can join the batch meanwhile;
    // one who queues after the decision waits for the next batch, as it would anyway.
    let commit_now = match &tx.conn.handle {
        Handle::SqliteBatch(member) => member.batch_due(),
        _ => false,
    };
    let control = if commit_now { "COMMIT" } else { NEXT_SAVEPOINT };
    // On an error the member is dropped, which rolls back to its savepoint: a failed insert
    // leaves the batch as it was, and a failed COMMIT (if SQLite ended the transaction)
    // fails the batch, as a failed COMMIT of `settle` does.
    let flushed = audit::flush_journal_then(&mut tx.conn, Some(control)).await?;
    let carried = match flushed.carried {
        false if !flushed.held => return Ok(false),
        false => Carried::Nothing,
        true if commit_now => Carried::Commit,
        true => Carried::NextSavepoint,
    };
    let Tx {
        conn,
        token_generation,
        user_count_changes,
    } = tx;
    match conn.handle {
        Handle::SqliteBatch(member) => member.commit(carried).await?,
        _ => {
            return Err(sqlx::Error::Protocol(
                "not a group-commit member".to_owned(),
            ))
        }
    }
    if flushed.held {
        db::committed(&token_generation, &user_count_changes, conn.changed);
    }
    Ok(flushed.held)
}

/// What a member's last statement ran after its own work.
enum Carried {
    Nothing,
    /// [`NEXT_SAVEPOINT`]: the batch stays open for the next member.
    NextSavepoint,
    /// `COMMIT`: the batch, this member included, is durable.
    Commit,
}

/// One request's transaction inside the shared one. Holds the writer until it commits or
/// rolls back; dropped, it rolls back to its savepoint.
pub(super) struct Member {
    guard: Option<OwnedMutexGuard<Batch>>,
    writer: GroupCommit,
}

impl std::fmt::Debug for Member {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Member")
    }
}

impl Member {
    pub(super) fn connection(&mut self) -> &mut SqliteConnection {
        match self.guard.as_mut() {
            Some(guard) => connection(guard),
            None => unreachable!("a member holds the writer until it ends"),
        }
    }

    /// Whether the batch should commit with this member: see [`GroupCommit::due`].
    fn batch_due(&self) -> bool {
        self.guard
            .as_ref()
            .is_some_and(|guard| self.writer.due(guard, 1))
    }

    /// Leaves the savepoint in the batch and waits for the COMMIT that holds it, unless
    /// `carried` says its last statement committed the batch. Called only from
    /// [`commit_member`]'s task, which runs to its end, so the COMMIT (if this member is the
    /// batch's last) runs here rather than in a task of its own.
    async fn commit(mut self, carried: Carried) -> Result<(), sqlx::Error> {
        let Some(mut guard) = self.guard.take() else {
            return Err(sqlx::Error::PoolClosed);
        };
        if let Carried::Commit = carried {
            self.writer.count_commit(guard.released.len() + 1);
            self.writer.count_carried();
            finish(&mut guard, Ok(()));
            return Ok(());
        }
        guard.savepoint_ready = matches!(carried, Carried::NextSavepoint);
        let (sender, receiver) = oneshot::channel::<Outcome>();
        guard.released.push(sender);
        self.writer.settle(guard, false).await;
        match receiver.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(err)) => Err(sqlx::Error::Protocol(format!(
                "the group commit holding this transaction failed: {err}"
            ))),
            Err(_) => Err(sqlx::Error::WorkerCrashed),
        }
    }

    /// Rolls back to the savepoint; the writer is free again once that is done.
    pub(super) async fn rollback(self) -> Result<(), sqlx::Error> {
        drop(self);
        Ok(())
    }
}

/// Undoes the current member's savepoint (which stays on the stack, empty, until the batch
/// ends). If SQLite already rolled the whole transaction back (it does on some I/O
/// errors), the batch is lost: everyone in it is told.
async fn abandon(guard: &mut OwnedMutexGuard<Batch>) {
    if let Err(err) = connection(guard).execute(ROLLBACK_TO).await {
        let _ = connection(guard).execute("ROLLBACK").await;
        finish(guard, Err(Arc::new(err)));
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        if let Some(mut guard) = self.guard.take() {
            // Dropped mid-transaction (an error returned early, or the request was
            // cancelled): roll back to the savepoint before anyone else gets the writer.
            let writer = self.writer.clone();
            spawn_or_drop(async move {
                abandon(&mut guard).await;
                writer.settle(guard, false).await;
            });
        }
    }
}
