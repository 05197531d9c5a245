//! A guarded write held back to its transaction's commit. On SQLite's one writer a commit
//! whose transaction ran nothing before sends the write, the journal and the transaction
//! control in one text: the writer is held for one hand-off instead of two. Every
//! statement checks the guard, which only the last one (the touch of the account's
//! records) moves, so the text changes rows only if the guard held; when it did not, the
//! transaction ends having written nothing, and its caller decides again.

use super::db::Conn;
use super::filter_sql::SqlParams;
use super::Backend;

pub(super) struct DeferredWrite {
    /// The write's statements; the last one moves the guarded record.
    pub(super) statements: Vec<String>,
    /// ` AND ...`: the guard's condition, with its placeholders in `params`.
    pub(super) condition: String,
    pub(super) params: SqlParams,
}

impl std::fmt::Debug for DeferredWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeferredWrite")
    }
}

impl DeferredWrite {
    /// Runs it on its own; true if the guard held.
    pub(super) async fn run(self, conn: &mut Conn) -> Result<bool, sqlx::Error> {
        match joined(conn.backend(), self.statements) {
            Some(sql) => Ok(self.params.query(&sql).execute(conn).await? > 0),
            None => Ok(true),
        }
    }

    /// SQLite: the text of the write with `journal` (built on [`DeferredWrite::params`],
    /// gated on [`DeferredWrite::condition`]) before its last statement, and the values.
    pub(super) fn with_journal(mut self, journal: Option<String>) -> (String, SqlParams) {
        let last = self.statements.pop();
        self.statements.extend(journal);
        self.statements.extend(last);
        (self.statements.join("; "), self.params)
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
