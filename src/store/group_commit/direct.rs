//! The queue's texts run on the writer's own SQLite handle, on the queue's thread, while
//! sqlx's worker thread for that connection waits for the handle back (sqlx's
//! `lock_handle`). A statement sent through sqlx costs two thread hand-offs, and on the
//! writer they were half of each write's critical path; here a round of texts costs one.
//! rusqlite (linked to the same SQLite through the same `libsqlite3-sys`) prepares, caches
//! and binds the statements.

use std::ptr::NonNull;

use crate::store::db::Param;
use crate::store::sqlite_binding::{bind_params, error};

/// The writer's handle as rusqlite sees it. It never closes the handle (sqlx owns it) and
/// must be dropped (finalizing its cached statements) before sqlx closes the connection.
pub(super) struct Direct {
    db: rusqlite::Connection,
}

impl std::fmt::Debug for Direct {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Direct")
    }
}

/// Statements of the queue's texts kept prepared: a few shapes per kind of write.
const CACHED_STATEMENTS: usize = 256;

impl Direct {
    /// # Safety
    /// `handle` is the open handle of the writer's connection; it is used only while that
    /// connection's handle is locked (`lock_handle`), and this is dropped before the
    /// connection closes.
    pub(super) unsafe fn new(
        handle: NonNull<libsqlite3_sys::sqlite3>,
    ) -> Result<Direct, sqlx::Error> {
        // SAFETY: as the caller promises; `from_handle` leaves the handle open on drop.
        let db = unsafe { rusqlite::Connection::from_handle(handle.as_ptr()) }.map_err(error)?;
        db.set_prepared_statement_cache_capacity(CACHED_STATEMENTS);
        Ok(Direct { db })
    }

    /// Runs the statements of `sql` (separated by `;`: values are always bound, so none
    /// stands inside a literal) with `params` bound by `$N`; the rows they changed.
    pub(super) fn run(&self, sql: &str, params: &[Param]) -> Result<u64, sqlx::Error> {
        let mut changed = 0;
        for statement in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            let mut prepared = self.db.prepare_cached(statement).map_err(error)?;
            bind_params(&mut prepared, params).map_err(error)?;
            let writes = !prepared.readonly();
            let mut rows = prepared.raw_query();
            while rows.next().map_err(error)?.is_some() {}
            drop(rows);
            if writes {
                changed += self.db.changes();
            }
        }
        Ok(changed)
    }

    /// Transaction control: statements without values, not cached.
    pub(super) fn control(&self, sql: &str) -> Result<(), sqlx::Error> {
        self.db.execute_batch(sql).map_err(error)
    }
}
