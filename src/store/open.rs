//! Opening each backend's connections, and starting the background work that looks after
//! them (see `background`).

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, SqliteConnection, SqlitePool};

use super::background::Background;
use super::{checkpoint, conn_pool, group_commit, inline_reads, sqlite_fold};
use super::{Pools, SqliteDurability, StoreOptions, StoreResult};

const SLOW: Duration = Duration::from_millis(500);

pub(super) async fn postgres(
    url: &str,
    pool_size: u32,
    expiry: conn_pool::Expiry,
    background: &Background,
) -> StoreResult<Pools> {
    let options = PgConnectOptions::from_str(url)?
        .log_statements(tracing::log::LevelFilter::Debug)
        .log_slow_statements(tracing::log::LevelFilter::Warn, SLOW);
    // A broken connection fails its statement, and is tested before its next use;
    // a round trip to test every connection would double a lookup's latency.
    let pool = conn_pool::pool(
        conn_pool::Connector::new(options, None, conn_pool::roll_back_postgres),
        pool_size,
        Duration::from_secs(10),
    )?;
    // Connect now, so that a wrong URL fails at startup.
    drop(conn_pool::get(&pool).await?);
    background.spawn(conn_pool::expire(
        pool.weak(),
        expiry,
        background.stopping(),
    ));
    Ok(Pools::Postgres(pool))
}

pub(super) async fn sqlite(
    url: &str,
    opts: &StoreOptions,
    expiry: conn_pool::Expiry,
    background: &Background,
) -> StoreResult<Pools> {
    // LIKE must respect case so that caseExact attributes compare exactly;
    // case-insensitive matching uses lower-cased shadow columns instead.
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(match opts.sqlite_durability {
            SqliteDurability::Full => SqliteSynchronous::Full,
            SqliteDurability::Normal => SqliteSynchronous::Normal,
        })
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        .pragma("case_sensitive_like", "ON")
        .log_statements(tracing::log::LevelFilter::Debug)
        .log_slow_statements(tracing::log::LevelFilter::Warn, SLOW);
    // WAL must be on before readers open, so the writer pool connects first.
    // The writer's savepoints (one per group-commit member) journal each page a member
    // first changes. SQLite keeps that sub-journal in memory only up to 64 KiB and then
    // writes it to a temporary file: a profile of creates spent a fifth of the server's
    // CPU in those writes. In memory, it holds one member's pages: it is emptied when the
    // next member releases the savepoint (group_commit::NEXT_SAVEPOINT).
    let writer = checkpoint::writer_options(options.clone()).pragma("temp_store", "MEMORY");
    let write = sqlite_pool(writer, 1).await?;
    sqlx::migrate!("migrations/sqlite").run(&write).await?;
    // A SQLite read is a few microseconds of CPU on this process's own cores, so more
    // readers than twice the cores only add page caches (memory), not throughput.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let readers = opts
        .pool_size
        .min(u32::try_from(cores * 2).unwrap_or(u32::MAX))
        .max(1);
    let inline = options
        .get_filename()
        .to_str()
        .filter(|name| !name.is_empty() && !name.starts_with(':') && !url.contains("mode=memory"))
        .map(|name| {
            let keep = usize::try_from(readers).unwrap_or(usize::MAX);
            let mmap = opts.sqlite_mmap_bytes;
            Arc::new(inline_reads::InlineReaders::new(name.into(), keep, mmap))
        });
    let checkpointer = options.connect().await?;
    let reader = match opts.sqlite_mmap_bytes {
        0 => options,
        bytes => options.pragma("mmap_size", bytes.to_string()),
    };
    let read = conn_pool::pool(
        conn_pool::Connector::new(reader, Some(ready_sqlite), conn_pool::ping_sqlite),
        readers,
        Duration::from_secs(30),
    )?;
    let write = group_commit::GroupCommit::new(write, opts.group_commit_wait);
    background.spawn(checkpoint::run(
        checkpointer,
        opts.checkpoint_interval,
        write.commits(),
        background.stopping(),
    ));
    background.spawn(conn_pool::expire(
        read.weak(),
        expiry,
        background.stopping(),
    ));
    Ok(Pools::Sqlite {
        read,
        inline,
        write,
    })
}

async fn sqlite_pool(options: SqliteConnectOptions, size: u32) -> StoreResult<SqlitePool> {
    Ok(SqlitePoolOptions::new()
        .max_connections(size)
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(|conn, _| ready_sqlite(conn))
        .connect_with(options)
        .await?)
}

/// What every SQLite connection needs before its first statement.
fn ready_sqlite(
    conn: &mut SqliteConnection,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = sqlx::Result<()>> + Send + '_>> {
    Box::pin(async move {
        stable_plans(conn).await?;
        sqlite_fold::register(conn).await
    })
}

/// With the STAT4 statistics `ANALYZE` gathers (sqlx's SQLite is built with them), SQLite
/// re-parses and re-plans a prepared statement whenever a newly bound value might change
/// its plan: every lookup would pay for a fresh compile. The query planner stability
/// guarantee keeps one plan per prepared statement, as the statement cache intends.
async fn stable_plans(conn: &mut sqlx::SqliteConnection) -> Result<(), sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    // SAFETY: the connection's open handle, held locked for the call.
    unsafe { enable_stable_plans(handle.as_raw_handle().as_ptr()) }
}

/// [`stable_plans`] on an open handle.
///
/// # Safety
/// `db` is an open SQLite handle that no other thread uses during the call.
pub(super) unsafe fn enable_stable_plans(
    db: *mut libsqlite3_sys::sqlite3,
) -> Result<(), sqlx::Error> {
    const SQLITE_DBCONFIG_ENABLE_QPSG: std::os::raw::c_int = 1007;
    // SAFETY: `db` as the caller promises; the option takes an int (1: on) and an optional
    // int pointer for the previous value (none).
    let rc = unsafe {
        libsqlite3_sys::sqlite3_db_config(
            db,
            SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as std::os::raw::c_int,
            std::ptr::null_mut::<std::os::raw::c_int>(),
        )
    };
    if rc != 0 {
        return Err(sqlx::Error::Configuration(
            format!("cannot enable SQLite's query planner stability guarantee ({rc})").into(),
        ));
    }
    Ok(())
}
