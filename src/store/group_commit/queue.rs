//! The writer's queue. A transaction that ran nothing on SQLite's writer before its commit
//! (its reads were on a reader, its write held for the commit) does not take the writer
//! itself: it queues its one text, and a thread of the store's own runs the texts queued
//! meanwhile as one round on the writer's handle ([`super::direct`]), in one transaction
//! (or, if a member's batch is open, one savepoint of it), then the COMMIT. A failing text
//! is answered with its error and leaves nothing; the others go on (see [`run_on`]).
//!
//! A round commits at its end. It holds whatever queued while the round before it ran; a
//! member's batch waits for everyone still on the way to the writer (`GroupCommit::due`),
//! but a text that queues is a request already waiting for its answer, and holding the
//! round open for requests still reading only held the round's answers back: see the
//! "Since then (2026-12-07, afternoon)" in docs/performance-history.md.
//!
//! Why a thread: the writer's turns are the critical path of every SQLite write. A task of
//! the server's runtime waits behind whatever requests are ready to run each time it is
//! woken; the queue's thread is woken once per round, runs the round's statements itself,
//! and each request's task wakes only once, when its answer is durable.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, OwnedMutexGuard};

use super::direct::Direct;
use super::{connection, finish, Batch, GroupCommit, Intent, Queued};
use super::{MAX_BATCH, NEXT_SAVEPOINT, ROLLBACK_TO};
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
        answer.await.map_err(|_| sqlx::Error::WorkerCrashed)?
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

/// Once the round's COMMIT returned: whether the text's held write found what it was
/// decided on (or it held none).
type Reply = oneshot::Sender<Result<bool, sqlx::Error>>;

/// How a round ended on the handle.
struct Round {
    /// Texts that ran, and whether each one's held write held.
    ran: Vec<(Reply, bool)>,
    /// The shared transaction failed (and was rolled back): everyone in it fails.
    lost: Option<Arc<sqlx::Error>>,
    /// A failing text undid the round and the others ran again.
    replayed: bool,
}

impl GroupCommit {
    /// Runs a round of queued texts on the writer's handle and commits it.
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
        let start = match (guard.open, guard.savepoint_ready) {
            (false, _) => Start::Begin,
            (true, true) => Start::Ready,
            (true, false) => Start::Reopen,
        };
        let direct = guard.direct.take();
        let (direct, outcome) = run_locked(connection(&mut guard), direct, start, texts).await;
        guard.direct = direct;
        let Some(outcome) = outcome else {
            return;
        };
        if outcome.replayed {
            self.count_replayed();
        }
        let committed = match outcome.lost {
            Some(err) => {
                for (reply, _) in outcome.ran {
                    let _ = reply.send(Err(batch_failed(&err)));
                }
                Err(err)
            }
            None => {
                self.count_commit(guard.released.len() + outcome.ran.len());
                for (reply, held) in outcome.ran {
                    let _ = reply.send(Ok(held));
                }
                Ok(())
            }
        };
        // Whoever was released into a member's batch that this round joined is answered too.
        finish(&mut guard, committed);
    }
}

/// Runs the round on the writer's handle, locked from sqlx's worker meanwhile; `None` (and
/// every text answered) if the handle could not be had.
async fn run_locked(
    conn: &mut sqlx::SqliteConnection,
    direct: Option<Direct>,
    start: Start,
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
    let round = run_on(&direct, start, texts);
    drop(locked);
    (Some(direct), Some(round))
}

fn fail_all(texts: Vec<(QueuedText, Reply)>, err: &Arc<sqlx::Error>) {
    for (_, reply) in texts {
        let _ = reply.send(Err(batch_failed(err)));
    }
}

/// How the round opens what a failing text undoes it back to.
#[derive(Clone, Copy)]
enum Start {
    /// No transaction is open: the round's own, undone by beginning again.
    Begin,
    /// A member's batch is open, and the member before opened the next savepoint
    /// (`scimd_tx`) in its last text: it holds nothing yet.
    Ready,
    /// The savepoint on top holds the work of a member that ended without opening the next
    /// one: released and opened afresh, so that undoing this round undoes only this round.
    Reopen,
}

impl Start {
    /// What opens the round, and what undoes it back to that opening.
    fn controls(self) -> (Option<&'static str>, &'static str) {
        match self {
            Start::Begin => (Some(BEGIN), ROLLBACK_AND_BEGIN),
            Start::Ready => (None, ROLLBACK_TO),
            Start::Reopen => (Some(NEXT_SAVEPOINT), ROLLBACK_TO),
        }
    }
}

const BEGIN: &str = "BEGIN IMMEDIATE";
const ROLLBACK_AND_BEGIN: &str = "ROLLBACK; BEGIN IMMEDIATE";

/// The round itself. Its texts run bare, with no savepoint open: under a savepoint SQLite
/// copies each page a text first changes into the sub-journal, so that a ROLLBACK TO can
/// restore it, a sixth of the writer's time under creates. A text that fails undoes the
/// whole round (see [`Start`]) and is answered with its error; the texts before it run
/// again, and the rest after them, each now in a savepoint of its own. Then the COMMIT.
/// Nobody is answered before the round ends, so nobody hears of a write that a later
/// failure undid.
fn run_on(direct: &Direct, start: Start, texts: Vec<(QueuedText, Reply)>) -> Round {
    let mut round = Round {
        ran: Vec::with_capacity(texts.len()),
        lost: None,
        replayed: false,
    };
    let (opening, undo) = start.controls();
    if let Some(control) = opening {
        if let Err(err) = direct.control(control) {
            let _ = direct.control("ROLLBACK");
            let err = Arc::new(err);
            fail_all(texts, &err);
            round.lost = Some(err);
            return round;
        }
    }
    let mut bare = Vec::with_capacity(texts.len());
    let mut texts = texts.into_iter();
    while let Some((text, reply)) = texts.next() {
        match direct.run(&text.sql, &text.params) {
            Ok(changed) => {
                let held = !text.guarded || changed > 0;
                bare.push((text, reply, held));
            }
            Err(err) => {
                let _ = reply.send(Err(err));
                round.replayed = true;
                if let Err(err) = direct.control(undo) {
                    let err = Arc::new(err);
                    round
                        .ran
                        .extend(bare.into_iter().map(|(_, reply, _)| (reply, false)));
                    fail_all(texts.collect(), &err);
                    round.lost = Some(err);
                } else {
                    let again = bare.into_iter().map(|(text, reply, _)| (text, reply));
                    for (text, reply) in again.chain(texts) {
                        run_in_savepoint(direct, &mut round, text, reply);
                    }
                }
                return end_round(direct, round);
            }
        }
    }
    round
        .ran
        .extend(bare.into_iter().map(|(_, reply, held)| (reply, held)));
    end_round(direct, round)
}

/// Runs one text in a savepoint of its own; one that fails is rolled back to it and
/// answered at once.
fn run_in_savepoint(direct: &Direct, round: &mut Round, text: QueuedText, reply: Reply) {
    if let Some(err) = &round.lost {
        let _ = reply.send(Err(batch_failed(err)));
        return;
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

/// The COMMIT; a round whose transaction is lost rolls it back.
fn end_round(direct: &Direct, mut round: Round) -> Round {
    if round.lost.is_none() {
        if let Err(err) = direct.control("COMMIT") {
            round.lost = Some(Arc::new(err));
        }
    }
    if round.lost.is_some() {
        let _ = direct.control("ROLLBACK");
    }
    round
}

#[cfg(test)]
mod tests;
