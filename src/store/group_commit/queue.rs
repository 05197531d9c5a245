//! The writer's queue. A transaction that ran nothing on SQLite's writer before its commit
//! (its reads were on a reader, its write held for the commit) does not take the writer
//! itself: it queues its one text, and a thread of the store's own runs the texts queued
//! meanwhile as one round on the writer's handle ([`super::direct`]), each in a savepoint
//! of the shared transaction, then the COMMIT. A failing text is rolled back to its
//! savepoint and answered with its error; the others go on.
//!
//! Why a thread: the writer's turns are the critical path of every SQLite write. A task of
//! the server's runtime waits behind whatever requests are ready to run each time it is
//! woken; the queue's thread is woken once per round, runs the round's statements itself,
//! and each request's task wakes only once, when its answer is durable.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{mpsc, oneshot, OwnedMutexGuard};

use super::direct::Direct;
use super::{connection, finish, Batch, GroupCommit, Intent, Outcome, Queued};
use super::{BEGIN_AND_SAVEPOINT, MAX_BATCH, NEXT_SAVEPOINT};
use crate::store::db::{self, Param};

/// What a transaction that ran nothing leaves to its commit, as one text.
pub(in crate::store) struct QueuedText {
    pub(in crate::store) sql: String,
    pub(in crate::store) params: Vec<Param>,
    /// The text holds a write that changes rows only if what it was decided on holds.
    pub(in crate::store) guarded: bool,
}

pub(super) struct Submission {
    text: QueuedText,
    /// Counts as queued for the writer until the queue takes it, so a batch waits for it.
    queued: Queued,
    reply: Reply,
}

/// A text the queue ran without error.
struct Ran {
    /// Its held write found what it was decided on (or it held none).
    held: bool,
    /// The COMMIT it waits for, when the batch stayed open after it.
    commit: Option<oneshot::Receiver<Outcome>>,
}

pub(super) type Sender = mpsc::UnboundedSender<Submission>;

/// Starts the queue's thread. It holds a copy of the writer without the queue, so it ends
/// when the store's last copy is dropped.
pub(super) fn start(writer: &GroupCommit) -> Option<Sender> {
    let (sender, receiver) = mpsc::unbounded_channel();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    let writer = GroupCommit {
        queue: Arc::default(),
        ..writer.clone()
    };
    std::thread::Builder::new()
        .name("scimd-sqlite-writer".to_owned())
        .spawn(move || runtime.block_on(serve(writer, receiver)))
        .ok()?;
    Some(sender)
}

impl Intent {
    /// Has the writer's queue run `text` in the shared transaction; true once it is
    /// durable, false if its held write found what it was decided on moved (and it wrote
    /// nothing).
    pub(in crate::store) async fn submit(self, mut text: QueuedText) -> Result<bool, sqlx::Error> {
        let writer = self.queued.writer.clone();
        let Some(sender) = writer.text_queue() else {
            return Err(sqlx::Error::WorkerCrashed);
        };
        text.params
            .truncate(crate::store::sql_params::highest_placeholder(&text.sql));
        db::count_statements(&text.sql);
        let (reply, answer) = oneshot::channel();
        let submission = Submission {
            text,
            queued: self.queued,
            reply,
        };
        sender
            .send(submission)
            .map_err(|_| sqlx::Error::WorkerCrashed)?;
        let ran = answer.await.map_err(|_| sqlx::Error::WorkerCrashed)??;
        if let Some(commit) = ran.commit {
            match commit.await {
                Ok(Ok(())) => {}
                Ok(Err(err)) => return Err(batch_failed(&err)),
                Err(_) => return Err(sqlx::Error::WorkerCrashed),
            }
        }
        Ok(ran.held)
    }
}

fn batch_failed(err: &sqlx::Error) -> sqlx::Error {
    sqlx::Error::Protocol(format!(
        "the group commit holding this transaction failed: {err}"
    ))
}

async fn serve(writer: GroupCommit, mut receiver: mpsc::UnboundedReceiver<Submission>) {
    while let Some(first) = receiver.recv().await {
        let guard = writer.batch.clone().lock_owned().await;
        let mut round = vec![first];
        while round.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(next) => round.push(next),
                Err(_) => break,
            }
        }
        writer.run_round(guard, round).await;
    }
}

const TEXT_SAVEPOINT: &str = "SAVEPOINT scimd_queued";
const TEXT_DONE: &str = "RELEASE SAVEPOINT scimd_queued";
const TEXT_UNDONE: &str = "ROLLBACK TO SAVEPOINT scimd_queued; RELEASE SAVEPOINT scimd_queued";

type Reply = oneshot::Sender<Result<Ran, sqlx::Error>>;

/// How a round ended on the handle.
struct Round {
    /// Texts that ran, and whether each one's held write held.
    ran: Vec<(Reply, bool)>,
    /// The shared transaction failed (and was rolled back): everyone in it fails.
    lost: Option<Arc<sqlx::Error>>,
}

impl GroupCommit {
    /// Runs a round of queued texts in the shared transaction, on the writer's handle.
    async fn run_round(&self, mut guard: OwnedMutexGuard<Batch>, round: Vec<Submission>) {
        self.count_queued(round.len());
        let texts: Vec<(QueuedText, Reply)> = round
            .into_iter()
            .map(|mut submission| {
                submission.queued.acquired = true;
                (submission.text, submission.reply)
            })
            .collect();
        if guard.conn.is_none() {
            match self.pool.acquire().await {
                Ok(conn) => guard.conn = Some(conn),
                Err(err) => return fail_all(texts, &Arc::new(err)),
            }
        }
        let commit_now = self.due(&guard, texts.len());
        let was_open = guard.open;
        let direct = guard.direct.take();
        let (direct, outcome) =
            run_locked(connection(&mut guard), direct, was_open, commit_now, texts).await;
        guard.direct = direct;
        let Some(outcome) = outcome else {
            return;
        };
        if let Some(err) = outcome.lost {
            for (reply, _) in outcome.ran {
                let _ = reply.send(Err(batch_failed(&err)));
            }
            finish(&mut guard, Err(err));
            return;
        }
        if !was_open {
            guard.open = true;
            guard.started = Some(Instant::now());
        }
        if commit_now {
            self.count_commit(guard.released.len() + outcome.ran.len());
            for (reply, held) in outcome.ran {
                let _ = reply.send(Ok(Ran { held, commit: None }));
            }
            finish(&mut guard, Ok(()));
            return;
        }
        guard.savepoint_ready = true;
        for (reply, held) in outcome.ran {
            let (sender, commit) = oneshot::channel();
            guard.released.push(sender);
            let _ = reply.send(Ok(Ran {
                held,
                commit: Some(commit),
            }));
        }
        self.settle(guard, false).await;
    }
}

/// Runs the round on the writer's handle, locked from sqlx's worker meanwhile; `None` (and
/// every text answered) if the handle could not be had.
async fn run_locked(
    conn: &mut sqlx::SqliteConnection,
    direct: Option<Direct>,
    was_open: bool,
    commit_now: bool,
    texts: Vec<(QueuedText, Reply)>,
) -> (Option<Direct>, Option<Round>) {
    let mut locked = match conn.lock_handle().await {
        Ok(locked) => locked,
        Err(err) => {
            fail_all(texts, &Arc::new(err));
            return (direct, None);
        }
    };
    let direct = match direct {
        Some(direct) => direct,
        // SAFETY: the writer's handle, locked while used; the batch drops `direct` before
        // its connection (field order, and `GroupCommit::close`).
        None => match unsafe { Direct::new(locked.as_raw_handle()) } {
            Ok(direct) => direct,
            Err(err) => {
                fail_all(texts, &Arc::new(err));
                return (None, None);
            }
        },
    };
    let round = run_on(&direct, was_open, commit_now, texts);
    drop(locked);
    (Some(direct), Some(round))
}

fn fail_all(texts: Vec<(QueuedText, Reply)>, err: &Arc<sqlx::Error>) {
    for (_, reply) in texts {
        let _ = reply.send(Err(batch_failed(err)));
    }
}

/// The round itself: each text in a savepoint of its own, nested in the shared
/// transaction's (opened if `was_open` is false), then the COMMIT or the next member's
/// savepoint. A text that fails is rolled back to its savepoint and answered at once.
fn run_on(
    direct: &Direct,
    was_open: bool,
    commit_now: bool,
    texts: Vec<(QueuedText, Reply)>,
) -> Round {
    let mut round = Round {
        ran: Vec::with_capacity(texts.len()),
        lost: None,
    };
    if !was_open {
        if let Err(err) = direct.control(BEGIN_AND_SAVEPOINT) {
            let _ = direct.control("ROLLBACK");
            let err = Arc::new(err);
            fail_all(texts, &err);
            round.lost = Some(err);
            return round;
        }
    }
    for (text, reply) in texts {
        if let Some(err) = &round.lost {
            let _ = reply.send(Err(batch_failed(err)));
            continue;
        }
        let ran = direct
            .control(TEXT_SAVEPOINT)
            .and_then(|()| direct.run(&text.sql, &text.params));
        let ended = match ran {
            Ok(changed) => {
                round.ran.push((reply, !text.guarded || changed > 0));
                direct.control(TEXT_DONE)
            }
            Err(err) => {
                let _ = reply.send(Err(err));
                direct.control(TEXT_UNDONE)
            }
        };
        if let Err(err) = ended {
            round.lost = Some(Arc::new(err));
        }
    }
    if round.lost.is_none() {
        let control = if commit_now { "COMMIT" } else { NEXT_SAVEPOINT };
        if let Err(err) = direct.control(control) {
            round.lost = Some(Arc::new(err));
        }
    }
    if round.lost.is_some() {
        let _ = direct.control("ROLLBACK");
    }
    round
}
