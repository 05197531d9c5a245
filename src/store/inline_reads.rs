//! SQLite lookups stepped on the request's own thread.
//!
//! sqlx runs each SQLite statement on a worker thread of its connection and sends the rows
//! back: two thread hand-offs per statement, and a copy of every value. For an IdP's lookup
//! (GET by id, `userName eq`), whose statement walks an index to one row in microseconds,
//! the hand-offs cost more than the statement: a profile at 16 clients showed the reader
//! threads a third in futex and scheduler work. Here such a statement runs on connections of
//! the store's own (rusqlite, linked to the same SQLite through the same `libsqlite3-sys`),
//! prepared once, and the row is decoded by column name straight from SQLite's buffers.
//!
//! Only statements whose work is bounded by an index come here (the callers decide): the
//! request's thread serves other requests too, and a scan would hold them up. A statement
//! that meets a lock (`SQLITE_BUSY`, rare for a WAL reader) is not waited for on this thread:
//! the caller runs it through sqlx instead, which waits on its own.

use std::cell::Cell;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags};

use super::db::Param;
use super::db_types::DbSortValue;
use super::sqlite_binding::{bind_params, error};
use crate::scim::cursor::SortValue;

/// Statements kept prepared per connection: a few lookup shapes per resource type.
const CACHED_STATEMENTS: usize = 64;

/// The store's own read connections to one SQLite file, opened on first use and kept.
pub(super) struct InlineReaders {
    path: PathBuf,
    /// `PRAGMA mmap_size` of each connection (the store's option).
    mmap_bytes: u64,
    idle: Mutex<Vec<Connection>>,
    /// Connections kept idle; more are opened while more requests read at once, and closed
    /// after. Requests run on one thread per core, so a few are ever in use together.
    keep: usize,
    in_use: AtomicUsize,
    /// Statements run here so far.
    statements: AtomicU64,
    /// Closed with the store: connections given back are closed, not kept.
    closed: AtomicBool,
    /// A connection could not be opened: every read goes through sqlx.
    unavailable: AtomicBool,
}

impl std::fmt::Debug for InlineReaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InlineReaders")
            .field("keep", &self.keep)
            .finish()
    }
}

/// A row decoded by column name from a SQLite row, as its `FromRow` decodes it from sqlx's.
pub(super) trait InlineRow: Sized {
    fn from_inline(row: &Columns<'_, '_>) -> rusqlite::Result<Self>;
}

/// A row's columns, read by name in the store's stored forms (see `db_types`).
pub(super) struct Columns<'a, 'r> {
    row: &'a rusqlite::Row<'r>,
    /// The column after the one read last: where the next read looks first.
    next: Cell<usize>,
}

impl<'a, 'r> Columns<'a, 'r> {
    fn new(row: &'a rusqlite::Row<'r>) -> Self {
        Columns {
            row,
            next: Cell::new(0),
        }
    }

    /// The position of column `name`. Decoders read a row's columns mostly in the order
    /// its statement selects them, so the column after the last one read is tried first:
    /// rusqlite's lookup by name compares every column's name until it finds it, which
    /// was ~6% of a lookup's CPU (40 columns read from a 40-column row).
    fn position(&self, name: &str) -> rusqlite::Result<usize> {
        let statement = self.row.as_ref();
        let guess = self.next.get();
        let position = match statement.column_name(guess) {
            // rusqlite's own lookup ignores ASCII case too.
            Ok(found) if found.eq_ignore_ascii_case(name) => guess,
            _ => statement.column_index(name)?,
        };
        self.next.set(position + 1);
        Ok(position)
    }

    fn get<T: rusqlite::types::FromSql>(&self, name: &str) -> rusqlite::Result<T> {
        self.row.get(self.position(name)?)
    }

    fn get_ref(&self, name: &str) -> rusqlite::Result<rusqlite::types::ValueRef<'_>> {
        self.row.get_ref(self.position(name)?)
    }

    pub(super) fn text(&self, name: &str) -> rusqlite::Result<String> {
        self.get(name)
    }

    pub(super) fn text_opt(&self, name: &str) -> rusqlite::Result<Option<String>> {
        self.get(name)
    }

    pub(super) fn int(&self, name: &str) -> rusqlite::Result<i64> {
        self.get(name)
    }

    pub(super) fn int_opt(&self, name: &str) -> rusqlite::Result<Option<i64>> {
        self.get(name)
    }

    /// A column the statement may not have (`#[sqlx(default)]`): `None` when absent.
    pub(super) fn text_if_present(&self, name: &str) -> rusqlite::Result<Option<String>> {
        match self.get(name) {
            Err(rusqlite::Error::InvalidColumnName(_)) => Ok(None),
            other => other,
        }
    }

    /// A list row's sort key, whatever its storage class (`DbSortValue`); NULL when absent.
    pub(super) fn sort_key_if_present(&self, name: &str) -> rusqlite::Result<DbSortValue> {
        use rusqlite::types::ValueRef;
        let value = match self.get_ref(name) {
            Err(rusqlite::Error::InvalidColumnName(_)) => return Ok(DbSortValue::default()),
            other => other?,
        };
        Ok(DbSortValue(match value {
            ValueRef::Null => SortValue::Null,
            ValueRef::Integer(i) => SortValue::Int(i),
            ValueRef::Real(f) => SortValue::Float(f),
            ValueRef::Text(_) => SortValue::Text(value.as_str()?.to_owned()),
            ValueRef::Blob(_) => {
                let ty = rusqlite::types::Type::Blob;
                return Err(rusqlite::Error::InvalidColumnType(0, name.to_owned(), ty));
            }
        }))
    }

    pub(super) fn uuid(&self, name: &str) -> rusqlite::Result<uuid::Uuid> {
        parse_uuid(self.get_ref(name)?)
    }

    pub(super) fn uuid_opt(&self, name: &str) -> rusqlite::Result<Option<uuid::Uuid>> {
        match self.get_ref(name)? {
            rusqlite::types::ValueRef::Null => Ok(None),
            value => parse_uuid(value).map(Some),
        }
    }

    /// A JSON document kept as text, parsed.
    pub(super) fn json<T: serde::de::DeserializeOwned>(&self, name: &str) -> rusqlite::Result<T> {
        let value = self.get_ref(name)?;
        serde_json::from_str(value.as_str()?).map_err(|err| decode_failure(value, err))
    }
}

fn parse_uuid(value: rusqlite::types::ValueRef<'_>) -> rusqlite::Result<uuid::Uuid> {
    uuid::Uuid::parse_str(value.as_str()?).map_err(|err| decode_failure(value, err))
}

fn decode_failure(
    value: rusqlite::types::ValueRef<'_>,
    err: impl std::error::Error + Send + Sync + 'static,
) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, value.data_type(), Box::new(err))
}

impl InlineReaders {
    pub(super) fn new(path: PathBuf, keep: usize, mmap_bytes: u64) -> Self {
        InlineReaders {
            path,
            mmap_bytes,
            idle: Mutex::new(Vec::new()),
            keep,
            in_use: AtomicUsize::new(0),
            statements: AtomicU64::new(0),
            closed: AtomicBool::new(false),
            unavailable: AtomicBool::new(false),
        }
    }

    /// Every row of `sql` with `params`; `None` if the statement could not run here (the
    /// database was locked, or no connection could be opened): run it through sqlx.
    pub(super) fn fetch_all<T: InlineRow>(
        &self,
        sql: &str,
        params: &[Param],
    ) -> Option<Result<Vec<T>, sqlx::Error>> {
        if self.unavailable.load(Ordering::Relaxed) {
            return None;
        }
        let conn = match self.take() {
            Ok(conn) => conn,
            Err(err) => {
                // What fails to open once (a file sqlx opened in a way this cannot, say)
                // fails every time: say so once and read through sqlx from now on.
                if !self.unavailable.swap(true, Ordering::Relaxed) {
                    tracing::warn!(error = %err, "cannot open a SQLite reader of the store's own; lookups read through sqlx");
                }
                return None;
            }
        };
        let outcome = fetch(&conn, sql, params);
        self.give_back(conn);
        match outcome {
            Err(rusqlite::Error::SqliteFailure(failure, _))
                if matches!(
                    failure.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) =>
            {
                None
            }
            other => {
                self.statements.fetch_add(1, Ordering::Relaxed);
                Some(other.map_err(error))
            }
        }
    }

    /// Statements run on these connections so far.
    pub(super) fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    fn take(&self) -> rusqlite::Result<Connection> {
        let idle = self.idle().pop();
        let conn = match idle {
            Some(conn) => conn,
            None => self.open()?,
        };
        self.in_use.fetch_add(1, Ordering::Relaxed);
        Ok(conn)
    }

    fn give_back(&self, conn: Connection) {
        self.in_use.fetch_sub(1, Ordering::Relaxed);
        let mut idle = self.idle();
        if idle.len() < self.keep && !self.closed.load(Ordering::SeqCst) {
            idle.push(conn);
        }
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        // A panic while holding the lock leaves the list intact: it is only pushed and popped.
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Closes the idle connections; those in use close when given back.
    pub(super) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        drop(std::mem::take(&mut *self.idle()));
    }

    /// Connections in use and idle, for the metrics.
    pub(super) fn usage(&self) -> (u32, u32) {
        let in_use = self.in_use.load(Ordering::Relaxed);
        let idle = self.idle().len();
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        (count(in_use), count(idle))
    }

    /// A connection set up as sqlx's readers are (`open::ready_sqlite`), that never writes
    /// and never waits for a lock.
    fn open(&self) -> rusqlite::Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags)?;
        conn.execute_batch(
            "PRAGMA query_only = ON; PRAGMA case_sensitive_like = ON; PRAGMA busy_timeout = 0;",
        )?;
        if self.mmap_bytes > 0 {
            conn.pragma_update(None, "mmap_size", self.mmap_bytes)?;
        }
        // SAFETY: the connection's handle is open and used by this thread alone here.
        let ready = unsafe {
            let db = conn.handle();
            super::open::enable_stable_plans(db).and_then(|()| super::sqlite_fold::register_on(db))
        };
        ready.map_err(|err| {
            rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
                Some(err.to_string()),
            )
        })?;
        conn.set_prepared_statement_cache_capacity(CACHED_STATEMENTS);
        Ok(conn)
    }
}

fn fetch<T: InlineRow>(conn: &Connection, sql: &str, params: &[Param]) -> rusqlite::Result<Vec<T>> {
    let mut prepared = conn.prepare_cached(sql)?;
    bind_params(&mut prepared, params)?;
    let mut rows = prepared.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(T::from_inline(&Columns::new(row))?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct One(i64);

    impl InlineRow for One {
        fn from_inline(row: &Columns<'_, '_>) -> rusqlite::Result<Self> {
            row.int("n").map(One)
        }
    }

    /// Inline readers (keeping one) of an empty database, in a directory removed on drop.
    fn readers_of_a_new_database() -> (tempfile::TempDir, InlineReaders) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inline.db");
        rusqlite::Connection::open(&path).unwrap();
        (dir, InlineReaders::new(path, 1, 0))
    }

    #[test]
    fn reads_bind_by_number_and_decode_by_name() {
        let (_dir, readers) = readers_of_a_new_database();
        let params = [Param::Int(2), Param::Int(40)];
        let rows = readers.fetch_all::<One>("SELECT $2 + $1 AS n", &params);
        let rows = rows.expect("ran here").unwrap();
        assert_eq!(rows.iter().map(|one| one.0).collect::<Vec<_>>(), vec![42]);
        assert_eq!(readers.statements(), 1);
        assert_eq!(readers.usage(), (0, 1), "kept for the next read");
    }

    /// Columns read in any order: `c`, `a`, `b`, `c` again, `A` (upper case), a column the
    /// statement lacks (absent: `None`), then `a` once more.
    #[derive(Debug, PartialEq)]
    struct Scrambled(
        String,
        i64,
        Option<String>,
        String,
        i64,
        Option<String>,
        i64,
    );

    impl InlineRow for Scrambled {
        fn from_inline(row: &Columns<'_, '_>) -> rusqlite::Result<Self> {
            let (c, a, b) = (row.text("c")?, row.int("a")?, row.text_opt("b")?);
            let (c_again, upper_a) = (row.text("c")?, row.int("A")?);
            let absent = row.text_if_present("nowhere")?;
            Ok(Scrambled(c, a, b, c_again, upper_a, absent, row.int("a")?))
        }
    }

    #[test]
    fn columns_are_found_by_name_whatever_the_order_of_reading() {
        let (_dir, readers) = readers_of_a_new_database();
        let sql = "SELECT 1 AS a, NULL AS b, 'three' AS c UNION ALL SELECT 4, 'five', 'six'";
        let rows = readers.fetch_all::<Scrambled>(sql, &[]);
        let rows = rows.expect("ran here").unwrap();
        let row = |a, b: Option<&str>, c: &str| {
            let b = b.map(str::to_owned);
            Scrambled(c.to_owned(), a, b, c.to_owned(), a, None, a)
        };
        assert_eq!(
            rows,
            vec![row(1, None, "three"), row(4, Some("five"), "six")]
        );
        // A column the statement lacks, where one is required, is an error, not a guess.
        let missing = readers
            .fetch_all::<One>("SELECT 1 AS m", &[])
            .expect("ran here");
        assert!(matches!(
            missing,
            Err(sqlx::Error::ColumnNotFound(name)) if name == "n"
        ));
    }

    struct Mapped(i64);

    impl InlineRow for Mapped {
        fn from_inline(row: &Columns<'_, '_>) -> rusqlite::Result<Self> {
            row.int("mmap_size").map(Mapped)
        }
    }

    #[test]
    fn connections_map_as_much_of_the_file_as_asked() {
        let (dir, unmapped) = readers_of_a_new_database();
        let mapped = InlineReaders::new(dir.path().join("inline.db"), 1, 4 << 20);
        let size = |readers: &InlineReaders| {
            let rows = readers.fetch_all::<Mapped>("PRAGMA mmap_size", &[]);
            rows.expect("ran here").unwrap()[0].0
        };
        assert_eq!(size(&mapped), 4 << 20);
        assert_eq!(size(&unmapped), 0);
    }

    #[test]
    fn a_database_that_cannot_be_opened_sends_reads_to_sqlx_for_good() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("inline.db");
        let readers = InlineReaders::new(path.clone(), 1, 0);
        assert!(readers.fetch_all::<One>("SELECT 1 AS n", &[]).is_none());
        // Even once it could be opened, no more attempts: the first failure said so.
        std::fs::create_dir(path.parent().unwrap()).unwrap();
        rusqlite::Connection::open(&path).unwrap();
        assert!(readers.fetch_all::<One>("SELECT 1 AS n", &[]).is_none());
        assert_eq!(readers.statements(), 0);
    }
}
