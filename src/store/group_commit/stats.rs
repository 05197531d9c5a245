//! How much the SQLite writer's commits were shared, for tests and the metrics.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::GroupCommit;

/// How much the commits were shared, since the store opened.
#[derive(Debug, Default)]
pub(super) struct Stats {
    commits: AtomicU64,
    transactions: AtomicU64,
    savepoints_joined: AtomicU64,
    commits_carried: AtomicU64,
    queued_texts: AtomicU64,
    rounds_replayed: AtomicU64,
}

/// Committed batches and the transactions they held.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GroupCommitStats {
    pub commits: u64,
    pub transactions: u64,
    /// Transactions that began in a savepoint the one before them opened.
    pub savepoints_joined: u64,
    /// Commits sent in the text of the batch's last statement, saving their round trip.
    pub commits_carried: u64,
    /// Transactions that ran nothing before their commit, run by the writer's queue.
    pub queued_texts: u64,
    /// Rounds of the queue in which a failing text undid the others, which then ran again,
    /// each in a savepoint of its own.
    pub rounds_replayed: u64,
}

/// The writer's committed batches as they are counted, for a task that acts only when some
/// were committed since it last looked (the WAL checkpoints). It does not keep the writer
/// open.
pub(in crate::store) struct Commits(Arc<Stats>);

impl Commits {
    pub(in crate::store) fn count(&self) -> u64 {
        self.0.commits.load(Ordering::Relaxed)
    }
}

impl GroupCommit {
    pub(in crate::store) fn commits(&self) -> Commits {
        Commits(Arc::clone(&self.stats))
    }

    pub(in crate::store) fn stats(&self) -> GroupCommitStats {
        GroupCommitStats {
            commits: self.stats.commits.load(Ordering::Relaxed),
            transactions: self.stats.transactions.load(Ordering::Relaxed),
            savepoints_joined: self.stats.savepoints_joined.load(Ordering::Relaxed),
            commits_carried: self.stats.commits_carried.load(Ordering::Relaxed),
            queued_texts: self.stats.queued_texts.load(Ordering::Relaxed),
            rounds_replayed: self.stats.rounds_replayed.load(Ordering::Relaxed),
        }
    }

    pub(super) fn count_queued(&self, texts: usize) {
        let texts = u64::try_from(texts).unwrap_or(u64::MAX);
        self.stats.queued_texts.fetch_add(texts, Ordering::Relaxed);
    }

    pub(super) fn count_replayed(&self) {
        self.stats.rounds_replayed.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn count_commit(&self, transactions: usize) {
        self.stats.commits.fetch_add(1, Ordering::Relaxed);
        let held = u64::try_from(transactions).unwrap_or(u64::MAX);
        self.stats.transactions.fetch_add(held, Ordering::Relaxed);
        #[allow(clippy::cast_precision_loss)]
        metrics::histogram!("scimd_sqlite_group_commit_transactions").record(held as f64);
    }

    pub(super) fn count_joined(&self) {
        self.stats.savepoints_joined.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn count_carried(&self) {
        self.stats.commits_carried.fetch_add(1, Ordering::Relaxed);
    }
}
