//! The connections requests use: SQLite readers and every PostgreSQL connection, pooled by
//! deadpool instead of sqlx's own pool.
//!
//! sqlx's pool pings every connection it takes back (`SELECT`-less round trip to the SQLite
//! worker thread, or to the PostgreSQL server), to catch one a cancelled request left
//! half-used. That is a second round trip for every one-statement lookup. Here a connection
//! goes back to the pool as it is, and only one that may have been left half-used (its
//! statement was cancelled or failed on the connection itself) is pinged before its next
//! use, and dropped if the ping fails. A PostgreSQL transaction dropped without commit is
//! rolled back at once by a task of its own, so it never sits idle holding locks. A task of
//! the store's closes connections idle or old past the store's limits, as sqlx's pool did.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use deadpool::managed::{self, Metrics, Object, PoolError, RecycleError, RecycleResult};
use deadpool::Runtime;
use sqlx::{ConnectOptions, Connection, Executor, PgConnection, SqliteConnection};
use tokio::sync::watch;

use super::background;

type Setup<C> =
    for<'c> fn(&'c mut C) -> Pin<Box<dyn Future<Output = sqlx::Result<()>> + Send + 'c>>;

/// A pooled connection, and whether it must prove itself before its next use.
pub(super) struct Pooled<C> {
    pub(super) conn: C,
    pub(super) suspect: bool,
}

/// Opens connections with the store's options and readies each (SQLite: plan stability
/// and the case-folding function); `reset` brings a suspect one back to a known state.
pub(super) struct Connector<C: Connection> {
    options: <C as Connection>::Options,
    setup: Option<Setup<C>>,
    reset: Setup<C>,
}

impl<C: Connection> Connector<C> {
    pub(super) fn new(
        options: <C as Connection>::Options,
        setup: Option<Setup<C>>,
        reset: Setup<C>,
    ) -> Self {
        Connector {
            options,
            setup,
            reset,
        }
    }
}

/// A suspect SQLite reader only has to answer: sqlx resets its statements before reuse.
pub(super) fn ping_sqlite(
    conn: &mut SqliteConnection,
) -> Pin<Box<dyn Future<Output = sqlx::Result<()>> + Send + '_>> {
    Box::pin(conn.ping())
}

/// A suspect PostgreSQL connection may still be inside a transaction (a request cancelled
/// while it began or ended one): `ROLLBACK` ends any (a mere warning when there is none).
pub(super) fn roll_back_postgres(
    conn: &mut PgConnection,
) -> Pin<Box<dyn Future<Output = sqlx::Result<()>> + Send + '_>> {
    Box::pin(async move { conn.execute("ROLLBACK").await.map(|_| ()) })
}

impl<C: Connection> managed::Manager for Connector<C> {
    type Type = Pooled<C>;
    type Error = sqlx::Error;

    async fn create(&self) -> Result<Pooled<C>, sqlx::Error> {
        let mut conn = self.options.connect().await?;
        if let Some(setup) = self.setup {
            setup(&mut conn).await?;
        }
        Ok(Pooled {
            conn,
            suspect: false,
        })
    }

    async fn recycle(&self, pooled: &mut Pooled<C>, _: &Metrics) -> RecycleResult<sqlx::Error> {
        if pooled.suspect {
            (self.reset)(&mut pooled.conn)
                .await
                .map_err(RecycleError::Backend)?;
            pooled.suspect = false;
        }
        Ok(())
    }
}

impl<C: Connection> std::fmt::Debug for Connector<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Connector")
    }
}

impl<C> std::fmt::Debug for Pooled<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pooled")
            .field("suspect", &self.suspect)
            .finish()
    }
}

impl std::fmt::Debug for PgTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgTx").field("open", &self.open).finish()
    }
}

pub(super) type Pool<C> = managed::Pool<Connector<C>>;
pub(super) type Pooling<C> = Object<Connector<C>>;

pub(super) fn pool<C: Connection>(
    connector: Connector<C>,
    size: u32,
    wait: Duration,
) -> Result<Pool<C>, sqlx::Error> {
    managed::Pool::builder(connector)
        .max_size(usize::try_from(size).unwrap_or(usize::MAX).max(1))
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(wait))
        .create_timeout(Some(wait))
        // A suspect connection's reset first waits out its cut-off statement; past this,
        // it is dropped and the request gets another.
        .recycle_timeout(Some(wait))
        .build()
        .map_err(|err| sqlx::Error::Configuration(err.to_string().into()))
}

/// A connection from `pool`, in sqlx's error terms.
pub(super) async fn get<C: Connection>(pool: &Pool<C>) -> Result<Pooling<C>, sqlx::Error> {
    pool.get().await.map_err(|err| match err {
        PoolError::Backend(err) => err,
        PoolError::Timeout(_) => sqlx::Error::PoolTimedOut,
        PoolError::Closed => sqlx::Error::PoolClosed,
        other => sqlx::Error::Configuration(other.to_string().into()),
    })
}

/// Closes the pool, and its idle connections politely; connections in use close when they
/// come back.
pub(super) async fn close<C: Connection>(pool: &Pool<C>) {
    let idle = take_idle(pool, |_| true);
    pool.close();
    close_all(idle).await;
}

/// Takes the idle connections `drop_it` picks out of the pool; those in use stay theirs.
fn take_idle<C: Connection>(
    pool: &Pool<C>,
    mut drop_it: impl FnMut(&Metrics) -> bool,
) -> Vec<Pooled<C>> {
    pool.retain(|_, metrics| !drop_it(&metrics)).removed
}

/// Closes connections taken out of a pool politely (PostgreSQL hears a Terminate, SQLite
/// finishes its statements), rather than just dropping them.
async fn close_all<C: Connection>(connections: Vec<Pooled<C>>) {
    for pooled in connections {
        let _ = pooled.conn.close().await;
    }
}

/// When a healthy pooled connection is closed anyway (see `StoreOptions`).
#[derive(Clone, Copy, Debug)]
pub(super) struct Expiry {
    pub(super) idle_timeout: Duration,
    pub(super) max_lifetime: Duration,
    pub(super) every: Duration,
}

impl Expiry {
    /// deadpool stamps a connection when it is handed out, not when it comes back, so "idle"
    /// counts from the start of its last use: requests hold one for milliseconds, and one
    /// held for longer than the timeout is merely replaced a sweep early.
    pub(super) fn expired(&self, metrics: &Metrics) -> bool {
        metrics.last_used() >= self.idle_timeout || metrics.age() >= self.max_lifetime
    }
}

/// Every `expiry.every`, closes the idle connections of `pool` that have expired, until the
/// store closes or is dropped. The pool is held only during a sweep.
pub(super) async fn expire<C: Connection>(
    pool: managed::WeakPool<Connector<C>>,
    expiry: Expiry,
    mut stop: watch::Receiver<bool>,
) {
    let mut tick = background::ticker(expiry.every);
    while background::next_tick(&mut tick, &mut stop).await {
        let Some(pool) = pool.upgrade() else {
            return;
        };
        if pool.is_closed() {
            return;
        }
        close_all(take_idle(&pool, |metrics| expiry.expired(metrics))).await;
    }
}

/// In use and idle connections of `pool`.
pub(super) fn usage<C: Connection>(pool: &Pool<C>) -> (u32, u32) {
    let status = pool.status();
    let idle = u32::try_from(status.available).unwrap_or(u32::MAX);
    let size = u32::try_from(status.size).unwrap_or(u32::MAX);
    (size.saturating_sub(idle), idle)
}

/// Whether a statement's outcome leaves its connection fit for the next one: success, or
/// an answer from the database about the statement itself. Anything else (I/O, protocol,
/// a crashed worker) puts the connection in doubt, and so do PostgreSQL's errors about the
/// session (SQLSTATE classes 08, connection exception; 25, transaction state; and 57,
/// operator intervention: a terminated backend says so before it hangs up).
pub(super) fn settled<T>(outcome: &Result<T, sqlx::Error>) -> bool {
    match outcome {
        Ok(_)
        | Err(
            sqlx::Error::RowNotFound
            | sqlx::Error::ColumnDecode { .. }
            | sqlx::Error::ColumnNotFound(_)
            | sqlx::Error::Decode(_),
        ) => true,
        Err(sqlx::Error::Database(err)) => !err.code().is_some_and(|code| {
            ["08", "25", "57"]
                .iter()
                .any(|class| code.starts_with(class))
        }),
        Err(_) => false,
    }
}

/// A PostgreSQL transaction on a pooled connection. Dropped while open (an error returned
/// early, the request cancelled), it is rolled back by a task of its own right away.
///
/// A lazy one sends `BEGIN` only before its first statement: a transaction whose only
/// statement is the write held for its commit runs it on its own instead, one atomic
/// statement, without the round trips of `BEGIN` and `COMMIT`.
pub(super) struct PgTx {
    conn: Option<Pooling<PgConnection>>,
    open: bool,
}

impl PgTx {
    pub(super) async fn begin(pool: &Pool<PgConnection>) -> Result<Self, sqlx::Error> {
        let mut tx = Self::lazy(pool).await?;
        tx.ensure_begun().await?;
        Ok(tx)
    }

    /// A connection for a transaction that has not begun.
    pub(super) async fn lazy(pool: &Pool<PgConnection>) -> Result<Self, sqlx::Error> {
        Ok(PgTx {
            conn: Some(get(pool).await?),
            open: false,
        })
    }

    pub(super) fn begun(&self) -> bool {
        self.open
    }

    /// Sends `BEGIN` unless it was sent.
    pub(super) async fn ensure_begun(&mut self) -> Result<(), sqlx::Error> {
        if self.open {
            return Ok(());
        }
        // Open before `BEGIN` is sent: cut off while it runs, the drop rolls it back.
        self.open = true;
        super::db::count_transaction();
        let pooled = self.pooled();
        pooled.suspect = true;
        let begun = pooled.conn.execute("BEGIN").await;
        if settled(&begun) {
            self.pooled().suspect = false;
        }
        begun.map(|_| ())
    }

    /// The connection of a transaction that never began, for statements that commit as
    /// they run; the transaction itself back once it has begun.
    pub(super) fn into_unbegun_connection(mut self) -> Result<Pooling<PgConnection>, Self> {
        match (self.open, self.conn.take()) {
            (false, Some(conn)) => Ok(conn),
            (_, conn) => {
                self.conn = conn;
                Err(self)
            }
        }
    }

    pub(super) fn pooled(&mut self) -> &mut Pooled<PgConnection> {
        match self.conn.as_deref_mut() {
            Some(pooled) => pooled,
            None => unreachable!("a transaction holds its connection until dropped"),
        }
    }

    async fn end(mut self, how: &'static str) -> Result<(), sqlx::Error> {
        if !self.open {
            // Nothing ran: there is nothing to end.
            return Ok(());
        }
        let pooled = self.pooled();
        pooled.suspect = true;
        let result = pooled.conn.execute(how).await;
        // The transaction is over either way: a failed COMMIT rolls back.
        self.open = false;
        if settled(&result) {
            self.pooled().suspect = false;
        }
        result.map(|_| ())
    }

    pub(super) async fn commit(self) -> Result<(), sqlx::Error> {
        self.end("COMMIT").await
    }

    pub(super) async fn rollback(self) -> Result<(), sqlx::Error> {
        self.end("ROLLBACK").await
    }
}

impl Drop for PgTx {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        if !self.open {
            return;
        }
        // Should the task never run (the runtime is ending), the pool still rolls back
        // before the connection's next use.
        conn.suspect = true;
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    // Waits out whatever statement was cut off, then ends the transaction.
                    if conn.conn.execute("ROLLBACK").await.is_err() {
                        drop(Object::take(conn));
                    }
                });
            }
            // No runtime: the process is ending; never hand the open transaction on.
            Err(_) => drop(Object::take(conn)),
        }
    }
}
