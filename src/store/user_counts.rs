//! PostgreSQL's per-directory user counts (migration 0013): every statement that inserts or
//! deletes users adds a row with its change, so writers never wait on a shared counter, and
//! an unfiltered list sums the directory's rows. Left alone, the rows would grow with every
//! create until summing them cost what `COUNT(*)` did; every [`FOLD_EVERY`] in which this
//! process added or removed users, this task folds each directory's rows into one. (SQLite keeps one counter row per directory instead: it
//! has one writer, so there is no contention to avoid.)

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use deadpool::managed::WeakPool;
use sqlx::{Executor, PgConnection};
use tokio::sync::watch;

use super::background;
use super::conn_pool::{Connector, PgTx, Pool};

/// How often the rows are folded. Between folds a directory gains one row per create or
/// delete statement: at 2,500 creates a second, a page's total sums 2,500 index entries,
/// still a small fraction of counting 100,000 users.
pub(super) const FOLD_EVERY: Duration = Duration::from_secs(1);

/// Any number of scimd processes may share the database; one folds at a time (another
/// finding the lock taken skips its turn). The key is scimd's own: "scimdcnt" in ASCII.
const FOLD_LOCK: i64 = 0x7363_696d_6463_6e74;

/// Replaces the rows of each directory that has more than one by their sum, in one
/// statement: rows a concurrent insert adds meanwhile are not in its snapshot and stay.
const FOLD: &str = "WITH gone AS ( \
        DELETE FROM directory_user_counts WHERE directory_id IN ( \
            SELECT directory_id FROM directory_user_counts \
            GROUP BY directory_id HAVING COUNT(*) > 1) \
        RETURNING directory_id, users) \
    INSERT INTO directory_user_counts (directory_id, users) \
    SELECT directory_id, CAST(SUM(users) AS BIGINT) FROM gone GROUP BY directory_id";

/// Folds the counts every `every` in which this process committed added or removed users
/// (`changes` moved; once at the start, for rows other processes left), until the store
/// closes or is dropped. An idle process folds nothing, so it holds no connection for it.
pub(super) async fn run(
    pool: WeakPool<Connector<PgConnection>>,
    changes: Arc<AtomicU64>,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut tick = background::ticker(every);
    let mut failing = false;
    let mut folded_at = None;
    while background::next_tick(&mut tick, &mut stop).await {
        let seen = changes.load(Ordering::SeqCst);
        if folded_at == Some(seen) {
            continue;
        }
        let Some(pool) = pool.upgrade() else {
            return;
        };
        if pool.is_closed() {
            return;
        }
        match fold(&pool).await {
            Ok(_) if failing => {
                failing = false;
                folded_at = Some(seen);
                tracing::info!("folding directory user counts succeeds again");
            }
            Ok(_) => folded_at = Some(seen),
            // Logged once per run of failures: the totals stay exact, only slower to sum.
            Err(err) if !failing => {
                failing = true;
                tracing::warn!(error = %err, "folding directory user counts failed");
            }
            Err(_) => {}
        }
    }
}

/// Folds the counts once, unless another process is doing it; the number of directories
/// folded.
pub(super) async fn fold(pool: &Pool<PgConnection>) -> Result<u64, sqlx::Error> {
    let mut tx = PgTx::begin(pool).await?;
    let conn = &mut tx.pooled().conn;
    let ours: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
        .bind(FOLD_LOCK)
        .fetch_one(&mut *conn)
        .await?;
    if !ours {
        tx.rollback().await?;
        return Ok(0);
    }
    let folded = conn.execute(FOLD).await?.rows_affected();
    tx.commit().await?;
    Ok(folded)
}
