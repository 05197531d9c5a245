//! A write transaction: its commit, which carries the journal and, where it can, the
//! write held for it, and what a committed transaction tells this process.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::db::{Conn, Handle};

/// A write transaction. It derefs to [`Conn`], so every store function takes either; one
/// dropped without [`Tx::commit`] rolls back.
#[derive(Debug)]
pub struct Tx {
    pub(super) conn: Conn,
    /// This process's token generation, moved when a committed transaction changed tokens.
    pub(super) token_generation: Arc<AtomicU64>,
    /// Moved when a committed transaction added or removed directory users, so that the
    /// store folds PostgreSQL's count rows (`user_counts`).
    pub(super) user_count_changes: Arc<AtomicU64>,
}

/// What a transaction changed that this process keeps state about.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Changed {
    /// Tokens: the commit tells this process's token cache at once (other processes
    /// learn it from the epoch row).
    pub(super) tokens: bool,
    /// Directory users were added or removed.
    pub(super) users: bool,
}

impl std::ops::BitOrAssign for Changed {
    fn bitor_assign(&mut self, other: Changed) {
        self.tokens |= other.tokens;
        self.users |= other.users;
    }
}

impl std::ops::Deref for Tx {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        &self.conn
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.conn
    }
}

impl Tx {
    /// Commits; returns only once the transaction is durable as configured.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self.commit_unless_moved().await? {
            true => Ok(()),
            false => Err(sqlx::Error::Protocol(
                "what a write was decided on moved; nothing was written".to_owned(),
            )),
        }
    }

    /// [`Tx::commit`]; false, and nothing of the transaction kept, if the write held for
    /// the commit (`hold_for_commit`) found that what it was decided on moved.
    pub async fn commit_unless_moved(mut self) -> Result<bool, sqlx::Error> {
        if let Handle::SqliteWaiting(_) = self.conn.handle {
            if !self.conn.leaves_to_commit() {
                // Nothing ran and nothing is to be written: the writer is not needed.
                return Ok(true);
            }
            // It ran nothing on the writer: its one text goes to the writer's queue, which
            // runs it on the writer's thread with whatever else is queued.
            if let Some(text) = super::audit::queued_text(&mut self.conn) {
                let handle = std::mem::replace(&mut self.conn.handle, Handle::Closed);
                if let Handle::SqliteWaiting(intent) = handle {
                    let held = intent.submit(text).await?;
                    if held {
                        let changed = self.conn.changed;
                        committed(&self.token_generation, &self.user_count_changes, changed);
                    }
                    return Ok(held);
                }
                self.conn.handle = handle;
            }
            self.conn.take_writer().await?;
        }
        if let Handle::PostgresTx(tx) = &self.conn.handle {
            if !tx.begun() && !self.conn.leaves_to_commit() {
                return Ok(true);
            }
            if !tx.begun() && super::audit::commits_alone(&self.conn) {
                self.conn.leave_transaction();
            }
        }
        if matches!(self.conn.handle, Handle::SqliteBatch(_)) {
            return super::group_commit::commit_member(self).await;
        }
        if !super::audit::flush_journal_then(&mut self.conn, None)
            .await?
            .held
        {
            return Ok(false);
        }
        let changed = self.conn.changed;
        match self.conn.handle {
            Handle::PostgresTx(t) => t.commit().await?,
            // The chunk's commit tells what changed, when it comes.
            Handle::Nested(n) => return n.commit(changed).await.map(|()| true),
            Handle::Sqlite(_)
            | Handle::SqliteUntaken(_)
            | Handle::Postgres(_)
            | Handle::SqliteBatch(_)
            | Handle::SqliteWaiting(_)
            | Handle::Closed => {}
        }
        committed(&self.token_generation, &self.user_count_changes, changed);
        Ok(true)
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self.conn.handle {
            Handle::PostgresTx(t) => t.rollback().await,
            Handle::SqliteBatch(m) => m.rollback().await,
            Handle::Nested(n) => n.rollback().await,
            Handle::Sqlite(_)
            | Handle::SqliteUntaken(_)
            | Handle::Postgres(_)
            | Handle::SqliteWaiting(_)
            | Handle::Closed => Ok(()),
        }
    }
}

/// Tells this process what a committed transaction changed.
pub(super) fn committed(tokens: &AtomicU64, users: &AtomicU64, changed: Changed) {
    if changed.tokens {
        tokens.fetch_add(1, Ordering::SeqCst);
    }
    if changed.users {
        users.fetch_add(1, Ordering::SeqCst);
    }
}
