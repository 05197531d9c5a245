//! A write held back to its transaction's commit, which writes only if what it was decided
//! on still holds. On SQLite's one writer a commit whose transaction ran nothing before
//! sends the write, the journal and the transaction control in one text: the writer is
//! held for one hand-off instead of two. The journal's statements check the write's
//! condition, so the text changes rows only if the write did; when it did not, the
//! transaction ends having written nothing, and its caller decides again.

use super::db::{Conn, Tx};
use super::filter_sql::SqlParams;
use super::{Backend, StoreError, StoreResult};

/// A write for [`hold_for_commit`].
pub struct HeldWrite {
    /// On SQLite its statements; on PostgreSQL one statement, or several that run as the
    /// last one's data-modifying CTEs. The text changes rows only if the write holds.
    pub(super) statements: Vec<String>,
    /// ` AND ...`: true, for the journal's statements, exactly when the write holds; its
    /// placeholders are in `params`.
    pub(super) condition: String,
    /// Where the journal goes among the statements: before the last one when that one
    /// moves what `condition` checks (the state as read), else after them all (the state
    /// as written).
    pub(super) journal_before_last: bool,
    /// It adds directory users (see `Conn::mark_users_changed`).
    pub(super) adds_users: bool,
    pub(super) params: SqlParams,
    /// PostgreSQL: how the write may run alone, outside a transaction, if it is all its
    /// transaction does; `None` if it needs the transaction's rollback to be all or nothing.
    pub(super) standalone: Option<Standalone>,
}

/// A PostgreSQL write of one statement that is all or nothing by itself: run alone, it
/// commits as it runs, without the round trips of `BEGIN` and `COMMIT`.
pub(super) struct Standalone {
    /// ` AND ...`, over the statement's own CTEs: true exactly when the statement writes.
    /// The journal, which no rollback would undo, checks it.
    pub(super) gate: String,
    /// The byte offset in the statement just after its own CTEs, where the journal's go
    /// (they read the statement's own).
    pub(super) slot: usize,
}

impl std::fmt::Debug for HeldWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HeldWrite")
    }
}

/// Holds `write` for the transaction's commit: no statement may run on the transaction
/// after it, and [`Tx::commit_unless_moved`] says whether it held (if not, nothing of the
/// transaction is kept). A uniqueness conflict of the write (`StoreError::Conflict`) comes
/// from the commit.
pub fn hold_for_commit(tx: &mut Tx, write: HeldWrite) -> StoreResult<()> {
    if tx.deferred.is_some() {
        return Err(StoreError::Database(sqlx::Error::Protocol(
            "a transaction holds one write for its commit at most".to_owned(),
        )));
    }
    if write.adds_users {
        tx.mark_users_changed();
    }
    tx.deferred = Some(write);
    Ok(())
}

impl HeldWrite {
    /// Runs it on its own; true if the guard held.
    pub(super) async fn run(self, conn: &mut Conn) -> Result<bool, sqlx::Error> {
        match joined(conn.backend(), self.statements) {
            Some(sql) => Ok(self.params.query(&sql).execute(conn).await? > 0),
            None => Ok(true),
        }
    }

    /// SQLite: the text of the write with `journal` (built on [`HeldWrite::params`], gated
    /// on [`HeldWrite::condition`]) in its place, and the values.
    pub(super) fn with_journal(mut self, journal: Option<String>) -> (String, SqlParams) {
        let last = match self.journal_before_last {
            true => self.statements.pop(),
            false => None,
        };
        self.statements.extend(journal);
        self.statements.extend(last);
        (self.statements.join("; "), self.params)
    }
}

impl HeldWrite {
    /// Whether [`HeldWrite::with_journal_ctes`] can take it: PostgreSQL allows a
    /// data-modifying CTE only at the top level, so the statements before the last may not
    /// have a WITH of their own. `alone`: outside a transaction, which only a
    /// [`Standalone`] write may run.
    pub(super) fn takes_journal_ctes(&self, alone: bool) -> bool {
        if alone {
            return self.standalone.is_some() && self.statements.len() == 1;
        }
        match self.statements.split_last() {
            Some((last, before)) => {
                !last.starts_with("WITH RECURSIVE") && !before.iter().any(|s| s.starts_with("WITH"))
            }
            None => false,
        }
    }

    /// PostgreSQL: the text of the write with `journal` (statements built on
    /// [`HeldWrite::params`]) as data-modifying CTEs before the write's last statement,
    /// whose count is the write's: one round trip instead of two. The journal needs no
    /// gate: a write that did not hold ends its transaction, journal and all, in a
    /// rollback. Only for a write that [`HeldWrite::takes_journal_ctes`].
    pub(super) fn with_journal_ctes(mut self, journal: Vec<String>) -> (String, SqlParams) {
        let last = self.statements.pop().unwrap_or_default();
        if let (Some(alone), []) = (&self.standalone, self.statements.as_slice()) {
            if let (Some(ctes), Some(rest)) = (last.get(..alone.slot), last.get(alone.slot..)) {
                let journal: String = (journal.iter().enumerate())
                    .map(|(i, insert)| format!(", journal{i} AS ({insert})"))
                    .collect();
                return match (ctes.is_empty(), journal.strip_prefix(", ")) {
                    // A statement without CTEs of its own: the journal's open the WITH.
                    (true, Some(journal)) => (format!("WITH {journal} {rest}"), self.params),
                    _ => (format!("{ctes}{journal}{rest}"), self.params),
                };
            }
        }
        let ctes: Vec<String> = journal
            .iter()
            .enumerate()
            .map(|(i, insert)| format!("journal{i} AS ({insert})"))
            .chain(
                self.statements
                    .iter()
                    .enumerate()
                    .map(|(i, write)| format!("w{i} AS ({write})")),
            )
            .collect();
        let sql = match (ctes.is_empty(), last.strip_prefix("WITH ")) {
            (true, _) => last,
            // The last statement's own CTEs follow in the same WITH list.
            (false, Some(own)) => format!("WITH {}, {own}", ctes.join(", ")),
            (false, None) => format!("WITH {} {last}", ctes.join(", ")),
        };
        (sql, self.params)
    }
}

/// The statements of a write as one text: on SQLite several statements, on PostgreSQL the
/// last one with the others as data-modifying CTEs before it. `None` if there are none.
pub(super) fn joined(backend: Backend, mut statements: Vec<String>) -> Option<String> {
    match backend {
        Backend::Sqlite => (!statements.is_empty()).then(|| statements.join("; ")),
        Backend::Postgres => {
            let last = statements.pop()?;
            if statements.is_empty() {
                return Some(last);
            }
            let ctes: Vec<String> = statements
                .iter()
                .enumerate()
                .map(|(i, write)| format!("w{i} AS ({write})"))
                .collect();
            Some(format!("WITH {} {last}", ctes.join(", ")))
        }
    }
}
