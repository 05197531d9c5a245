//! SQLite checkpoints, off the write path. SQLite's own auto-checkpoint runs inside the
//! COMMIT that takes the WAL past 1000 pages, on the one writer every write waits for. Here
//! the writer's limit is raised to a safety net, and a connection of its own checkpoints
//! `PASSIVE`ly every 50 ms (`DEFAULT_CHECKPOINT_INTERVAL`, and why so often): a passive
//! checkpoint copies what no reader still needs from the WAL into the database and never
//! waits for, nor blocks, the writer or a reader.

use std::time::Duration;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};
use tokio::sync::watch;

use super::background;
use super::group_commit::Commits;

/// The WAL size (in pages; 40 MB of 4 KiB pages) at which the writer checkpoints by itself,
/// inside its COMMIT as SQLite does by default. Only reached if the checkpoint task falls
/// behind or stalls: it bounds the WAL, it is not the normal path.
pub const WRITER_AUTOCHECKPOINT_PAGES: u32 = 10_000;

/// The writer's connection options: the default auto-checkpoint limit raised to the net.
pub(super) fn writer_options(options: SqliteConnectOptions) -> SqliteConnectOptions {
    options.pragma(
        "wal_autocheckpoint",
        WRITER_AUTOCHECKPOINT_PAGES.to_string(),
    )
}

/// Checkpoints every `every` on `conn` (opened for this alone: it never waits behind a
/// request, nor a request behind it), until the store closes or is dropped; then closes it.
/// A tick after which this process's writer committed nothing since a checkpoint copied the
/// whole WAL runs no statement: an idle server does not wake SQLite. (Another process's
/// writes, such as the CLI's, wait for the next checkpoint after one of this writer's.)
pub(super) async fn run(
    mut conn: SqliteConnection,
    every: Duration,
    commits: Commits,
    mut stop: watch::Receiver<bool>,
) {
    let mut tick = background::ticker(every);
    let mut failing = false;
    // The writer's commit count when a checkpoint last left the WAL wholly copied.
    let mut copied_at = None;
    while background::next_tick(&mut tick, &mut stop).await {
        let committed = commits.count();
        if copied_at == Some(committed) {
            continue;
        }
        match passive(&mut conn).await {
            Ok((busy, wal, copied)) => {
                copied_at = (busy == 0 && wal == copied).then_some(committed);
                if failing {
                    failing = false;
                    tracing::info!("SQLite WAL checkpoints succeed again");
                }
            }
            // Logged once per run of failures: the writer's net still bounds the WAL.
            Err(err) if !failing => {
                failing = true;
                tracing::warn!(
                    error = %err,
                    "SQLite WAL checkpoint failed; the writer checkpoints at {} pages meanwhile",
                    WRITER_AUTOCHECKPOINT_PAGES
                );
            }
            Err(_) => {}
        }
    }
    let _ = conn.close().await;
}

/// Copies into the database what the WAL holds and no reader still needs. SQLite answers
/// whether another checkpoint was in the way, the WAL's size, and how much of it is copied
/// (all of it, unless a reader's snapshot is older).
async fn passive(conn: &mut SqliteConnection) -> sqlx::Result<(i64, i64, i64)> {
    sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(conn)
        .await
}
