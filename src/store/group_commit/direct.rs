//! The queue's texts run on the writer's own SQLite handle, on the queue's thread, while
//! sqlx's worker thread for that connection waits for the handle back (sqlx's
//! `lock_handle`). A statement sent through sqlx costs two thread hand-offs, and on the
//! writer they were half of each write's critical path; here a round of texts costs one.
//! rusqlite (linked to the same SQLite through the same `libsqlite3-sys`) prepares, caches
//! and binds the statements.

use std::ptr::NonNull;

use rusqlite::types::{ToSqlOutput, ValueRef};

use crate::store::db::Param;

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
            for index in 1..=prepared.parameter_count() {
                let value = prepared
                    .parameter_name(index)
                    .and_then(|name| name.strip_prefix('$'))
                    .and_then(|n| n.parse::<usize>().ok())
                    .and_then(|n| params.get(n.checked_sub(1)?))
                    .map_or(ToSqlOutput::Borrowed(ValueRef::Null), value);
                prepared.raw_bind_parameter(index, value).map_err(error)?;
            }
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

/// A value as sqlx binds it on SQLite (`db::bind_all`): ids as hyphenated text, JSON as
/// text, flags as 0/1, times as integer microseconds.
fn value(param: &Param) -> ToSqlOutput<'_> {
    use ToSqlOutput::{Borrowed, Owned};
    match param {
        Param::Text(s) | Param::Json(s) => Borrowed(ValueRef::Text(s.as_bytes())),
        Param::Int(i) | Param::Time(i) => Borrowed(ValueRef::Integer(*i)),
        Param::Float(f) => Borrowed(ValueRef::Real(*f)),
        Param::Uuid(u) => Owned(u.hyphenated().to_string().into()),
        Param::Bool(b) => Borrowed(ValueRef::Integer(i64::from(*b))),
        Param::NullText
        | Param::NullUuid
        | Param::NullJson
        | Param::NullInt
        | Param::NullBool
        | Param::NullTime => Borrowed(ValueRef::Null),
    }
}

/// rusqlite's error as sqlx's, keeping SQLite's extended code, so that a unique violation
/// is a conflict as on every other path (`StoreError::from`).
fn error(err: rusqlite::Error) -> sqlx::Error {
    match err {
        rusqlite::Error::SqliteFailure(code, message) => {
            sqlx::Error::Database(Box::new(DirectError {
                code: code.extended_code,
                message: message.unwrap_or_else(|| code.to_string()),
            }))
        }
        other => sqlx::Error::Protocol(other.to_string()),
    }
}

#[derive(Debug)]
struct DirectError {
    code: std::os::raw::c_int,
    message: String,
}

impl std::fmt::Display for DirectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DirectError {}

impl sqlx::error::DatabaseError for DirectError {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
        Some(self.code.to_string().into())
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> sqlx::error::ErrorKind {
        use libsqlite3_sys as ffi;
        match self.code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                sqlx::error::ErrorKind::UniqueViolation
            }
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => sqlx::error::ErrorKind::ForeignKeyViolation,
            ffi::SQLITE_CONSTRAINT_NOTNULL => sqlx::error::ErrorKind::NotNullViolation,
            ffi::SQLITE_CONSTRAINT_CHECK => sqlx::error::ErrorKind::CheckViolation,
            _ => sqlx::error::ErrorKind::Other,
        }
    }
}
