//! Storage: the only code that speaks SQL, on sqlx's native SQLite and PostgreSQL drivers.
//! Every statement goes through `db::Query` with `$N` placeholders, which both backends
//! understand; every value is bound, never spliced into the text.

mod account_writes;
mod accounts;
mod admin_accounts;
mod admin_audit;
mod admin_groups;
mod admin_outbox;
mod admin_sites;
mod audit;
mod background;
mod bulk;
mod checkpoint;
mod conn_pool;
pub mod db;
mod db_params;
pub mod db_types;
mod debug_only;
mod decide_early;
mod deferred;
mod directories;
mod domain_challenges;
mod event_receivers;
mod filter_element;
pub mod filter_sql;
mod group_commit;
mod group_members_at_once;
mod groups;
mod idna_fixup;
mod inline_reads;
mod keyset;
mod open;
mod options;
mod orgs;
mod page_positions;
mod provisioning_log;
pub mod receiver_registry;
mod scim_groups;
mod scim_user_row;
mod security_events;
mod sites;
mod sql_params;
#[cfg(not(target_env = "msvc"))]
pub mod sqlite_alloc;
mod sqlite_binding;
mod sqlite_fold;
mod statement_count;
mod tokens;
mod tx;
mod user_counts;
mod user_derived;
mod user_writes;
mod users;

pub use account_writes::{
    account_write_if_unchanged, record_write_if_unchanged, touch_account_records, write_account,
    AccountChange, AccountProfileUpdate, ReadGuard, Touch,
};
pub use accounts::*;
pub use admin_accounts::*;
pub use admin_audit::*;
pub use admin_groups::*;
pub use admin_outbox::*;
pub use admin_sites::{
    insert_site_product_group, list_site_user_rows, local_group_name_taken, site_product_group,
    site_products_of, SiteUserQuery, SiteUserRow,
};
pub use audit::*;
pub use bulk::BulkSession;
pub use checkpoint::WRITER_AUTOCHECKPOINT_PAGES;
pub use deferred::{hold_for_commit, HeldWrite};
pub use directories::*;
pub use domain_challenges::*;
pub use event_receivers::*;
pub use group_members_at_once::{
    change_group_members_at_once, MemberChangeAtOnce, MemberChangeOutcome, MAX_MEMBER_IDS_AT_ONCE,
};
pub use groups::*;
pub use options::*;
pub use orgs::*;
pub use page_positions::{list_scim_users_paged, PageMemo};
pub use provisioning_log::*;
pub use scim_groups::*;
pub use security_events::*;
pub use sites::*;
pub use tokens::*;
pub use user_derived::{get_org_site_product, list_org_site_products, Derived, SiteProduct};
pub use user_writes::*;
pub use users::*;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use sqlx::{PgConnection, SqliteConnection};

use db::Handle;
pub use db::{query, query_with, Conn, IntoParam, Param, Tx};
pub(crate) use debug_only::debug_only;
pub use group_commit::GroupCommitStats;

/// One page of a SCIM list, already validated by the protocol layer.
#[derive(Clone, Debug)]
pub struct ListQuery<'a> {
    pub filter: Option<&'a crate::scim::filter::Filter>,
    pub sort_by: Option<&'a crate::scim::filter::AttrPath>,
    pub descending: bool,
    /// 0-based offset.
    pub offset: i64,
    pub limit: i64,
    /// Cursor pagination: the page starts after (or before) this position instead of at
    /// `offset`. A page before a position comes back in reverse order.
    pub seek: Option<&'a crate::scim::cursor::Seek>,
}

/// The total a list query matches and one page of it, each row with its position in the
/// list's order (for the cursors that resume after it).
#[derive(Debug)]
pub struct Listed<T> {
    pub total: i64,
    pub rows: Vec<(crate::scim::cursor::Position, T)>,
}

/// The default database when no URL is configured: a file beside the process.
pub const DEFAULT_SQLITE_URL: &str = "sqlite://scimd.db?mode=rwc";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL scheme (use postgres:// or sqlite://)")]
    UnsupportedUrl,
    #[error("a row with the same unique value already exists")]
    Conflict,
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// A value too large for the database to index (PostgreSQL's B-tree entries hold at
    /// most about 2.7 kB): the request's fault, and its transaction is rolled back.
    #[error("a value is too long to be stored")]
    TooLong,
}

/// Every unique violation (PostgreSQL 23505; SQLite 2067 `UNIQUE` and 1555 `PRIMARY KEY`)
/// is a [`StoreError::Conflict`], whichever statement hit it: a caller that did not expect
/// one still answers 409, never 500. Recognised by kind, not constraint name: SQLite names
/// none. A value too large to index (PostgreSQL 54000) is [`StoreError::TooLong`].
impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        const PROGRAM_LIMIT_EXCEEDED: &str = "54000";
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
            sqlx::Error::Database(db) if db.code().as_deref() == Some(PROGRAM_LIMIT_EXCEEDED) => {
                StoreError::TooLong
            }
            _ => StoreError::Database(err),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
enum Pools {
    /// Writes go through a single connection so writers queue in-process instead of
    /// failing with SQLITE_BUSY, and share commits (`group_commit`); readers use WAL
    /// snapshots in parallel.
    Sqlite {
        read: conn_pool::Pool<SqliteConnection>,
        /// Index-bound lookups, stepped on the request's thread (`inline_reads`); none for
        /// a database without a file of its own (in memory).
        inline: Option<Arc<inline_reads::InlineReaders>>,
        write: group_commit::GroupCommit,
    },
    Postgres(conn_pool::Pool<PgConnection>),
}

/// One pool's connections, as the metrics report them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolUsage {
    pub name: &'static str,
    pub in_use: u32,
    pub idle: u32,
}

/// Handles to the database, on the native driver of its backend.
#[derive(Clone, Debug)]
pub struct Store {
    pools: Pools,
    /// Moves when this process commits a change to tokens (see `service::token_cache`).
    token_generation: Arc<AtomicU64>,
    /// Moves when this process commits added or removed directory users (see `user_counts`).
    user_count_changes: Arc<AtomicU64>,
    /// Where recent `startIndex` pages began (see `page_positions`).
    page_positions: Arc<page_positions::PagePositions>,
    /// Set on the store a bulk session hands out: its transactions share commits.
    bulk: Option<BulkSession>,
    /// Which orgs have security event receivers (see `receiver_registry`).
    receivers: Arc<receiver_registry::ReceiverRegistry>,
    /// Email domains' owners as last read (see `decide_early`).
    domain_owners: Arc<decide_early::DomainOwners>,
    /// PostgreSQL member changes waiting for their group's statement (see
    /// `group_members_at_once`).
    member_batches: Arc<group_members_at_once::MemberBatches>,
    /// Connection expiry and SQLite checkpoints; they stop with the last handle.
    background: Arc<background::Background>,
}

impl Store {
    /// Connects (creating a SQLite file if needed) and applies pending migrations, with
    /// SQLite's safest durability.
    pub async fn connect(url: Option<&str>, pool_size: u32) -> StoreResult<Self> {
        Self::connect_with(url, pool_size, SqliteDurability::Full).await
    }

    pub async fn connect_with(
        url: Option<&str>,
        pool_size: u32,
        durability: SqliteDurability,
    ) -> StoreResult<Self> {
        let options = StoreOptions {
            pool_size,
            sqlite_durability: durability,
            ..StoreOptions::default()
        };
        Self::connect_with_options(url, &options).await
    }

    /// Connects as `connect_with` does, with every option the store has (connection expiry,
    /// SQLite's checkpoint interval), and starts the store's background tasks.
    pub async fn connect_with_options(url: Option<&str>, opts: &StoreOptions) -> StoreResult<Self> {
        let url = url.unwrap_or(DEFAULT_SQLITE_URL);
        let pool_size = opts.pool_size.max(1);
        let background = Arc::new(background::Background::new());
        let expiry = conn_pool::Expiry {
            idle_timeout: opts.idle_timeout,
            max_lifetime: opts.max_lifetime,
            every: opts.expiry_interval,
        };
        let pools = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            open::postgres(url, pool_size, expiry, &background).await?
        } else if url.starts_with("sqlite:") {
            open::sqlite(url, opts, expiry, &background).await?
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        let store = Store {
            pools,
            token_generation: token_generation_for(url),
            user_count_changes: Arc::default(),
            page_positions: Arc::default(),
            bulk: None,
            receivers: receiver_registry::registry_for(url),
            domain_owners: Arc::default(),
            member_batches: Arc::default(),
            background,
        };
        store.migrate().await?;
        store.normalize_legacy_domains().await?;
        if let Pools::Postgres(pool) = &store.pools {
            // Started once the counts' table surely exists.
            store.background.spawn(user_counts::run(
                pool.weak(),
                store.user_count_changes.clone(),
                user_counts::FOLD_EVERY,
                store.background.stopping(),
            ));
        }
        Ok(store)
    }

    async fn migrate(&self) -> StoreResult<()> {
        match &self.pools {
            // Migrated before the writer is shared (see `open::sqlite`).
            Pools::Sqlite { .. } => {}
            Pools::Postgres(pool) => {
                let mut pooled = conn_pool::get(pool).await?;
                sqlx::migrate!("migrations/postgres")
                    .run(&mut pooled.conn)
                    .await?;
            }
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// What [`list_scim_users_paged`] needs to resume `startIndex` pages: the remembered
    /// positions and this process's user-change counter, read before the list's statement.
    pub fn page_memo(&self) -> PageMemo<'_> {
        PageMemo {
            positions: &self.page_positions,
            changes: self.user_count_changes.load(Ordering::SeqCst),
        }
    }

    /// A connection for reads outside a transaction (in a bulk session, inside its chunk,
    /// so that it sees what the session wrote).
    pub async fn read(&self) -> StoreResult<Conn> {
        if let Some(session) = self.session() {
            return Ok(bulk::read_conn(session.begin().await?));
        }
        Ok(match &self.pools {
            // A reader of sqlx's pool is taken at the first statement that needs one.
            Pools::Sqlite { read, inline, .. } => {
                let mut conn = Conn::new(Handle::SqliteUntaken(read.clone()));
                conn.inline = inline.clone();
                conn
            }
            Pools::Postgres(pool) => Conn::new(Handle::Postgres(conn_pool::get(pool).await?)),
        })
    }

    /// Opens a write transaction. SQLite's takes the one writer at its first statement, so
    /// what a request does before (deciding, building its writes) does not hold the writer,
    /// and then the write lock at once (`BEGIN IMMEDIATE`), so a transaction never fails
    /// half-way when another process (the CLI) writes too. One that runs nothing before its
    /// commit never takes it: the writer's queue runs its text (`group_commit::queue`).
    pub async fn begin(&self) -> StoreResult<Tx> {
        if let Some(session) = self.session() {
            return Ok(Tx {
                conn: Conn::new(Handle::Nested(Box::new(session.begin().await?))),
                token_generation: self.token_generation.clone(),
                user_count_changes: self.user_count_changes.clone(),
            });
        }
        let handle = match &self.pools {
            Pools::Sqlite { write, .. } => Handle::SqliteWaiting(write.intend()),
            Pools::Postgres(pool) => Handle::PostgresTx(conn_pool::PgTx::lazy(pool).await?),
        };
        Ok(Tx {
            conn: Conn::new(handle),
            token_generation: self.token_generation.clone(),
            user_count_changes: self.user_count_changes.clone(),
        })
    }

    /// On SQLite, the count of transactions waiting for the one writer.
    pub(super) fn writer_queue(&self) -> Option<Arc<std::sync::atomic::AtomicUsize>> {
        match &self.pools {
            Pools::Sqlite { write, .. } => Some(write.queue()),
            Pools::Postgres(_) => None,
        }
    }

    /// How many transactions that changed tokens this process has committed.
    pub fn token_generation(&self) -> u64 {
        self.token_generation.load(Ordering::SeqCst)
    }

    /// Which orgs have security event receivers, as far as this process knows.
    pub fn receivers(&self) -> &receiver_registry::ReceiverRegistry {
        &self.receivers
    }

    /// True when the database answers.
    pub async fn ping(&self) -> bool {
        match self.read().await {
            Ok(mut conn) => query("SELECT 1").execute(&mut conn).await.is_ok(),
            Err(_) => false,
        }
    }

    /// Folds PostgreSQL's per-directory user count rows into one per directory now, as the
    /// background task does each second after a change; the number of directories
    /// folded (0 on SQLite, which keeps one row per directory all along, or when another
    /// process is folding).
    pub async fn fold_user_counts(&self) -> StoreResult<u64> {
        match &self.pools {
            Pools::Sqlite { .. } => Ok(0),
            Pools::Postgres(pool) => Ok(user_counts::fold(pool).await?),
        }
    }

    /// SQLite's group commits so far (`None` on PostgreSQL, where each transaction commits
    /// on its own).
    pub fn group_commit_stats(&self) -> Option<GroupCommitStats> {
        match &self.pools {
            Pools::Sqlite { write, .. } => Some(write.stats()),
            Pools::Postgres(_) => None,
        }
    }

    /// On SQLite, the statements run on the request's thread so far (`inline_reads`).
    pub fn inline_statements(&self) -> Option<u64> {
        match &self.pools {
            Pools::Sqlite { inline, .. } => Some(inline.as_ref().map_or(0, |i| i.statements())),
            Pools::Postgres(_) => None,
        }
    }

    fn inline_readers(&self) -> Option<&inline_reads::InlineReaders> {
        match &self.pools {
            Pools::Sqlite { inline, .. } => inline.as_deref(),
            Pools::Postgres(_) => None,
        }
    }

    /// Connections in use and idle, per pool, for the metrics.
    pub fn pool_usage(&self) -> Vec<PoolUsage> {
        fn usage(name: &'static str, (in_use, idle): (u32, u32)) -> PoolUsage {
            PoolUsage { name, in_use, idle }
        }
        match &self.pools {
            Pools::Sqlite { read, write, .. } => {
                let writer = write.pool();
                let idle = u32::try_from(writer.num_idle()).unwrap_or(u32::MAX);
                let mut pools = vec![
                    usage("read", conn_pool::usage(read)),
                    usage("write", (writer.size().saturating_sub(idle), idle)),
                ];
                let inline = self
                    .inline_readers()
                    .map(|i| usage("read_inline", i.usage()));
                pools.extend(inline);
                pools
            }
            Pools::Postgres(pool) => vec![usage("postgres", conn_pool::usage(pool))],
        }
    }

    pub fn is_closed(&self) -> bool {
        match &self.pools {
            Pools::Sqlite { read, .. } => read.is_closed(),
            Pools::Postgres(pool) => pool.is_closed(),
        }
    }

    /// Stops the background tasks, then closes every connection (on SQLite the writer last:
    /// the last connection to close checkpoints the whole WAL into the database).
    pub async fn close(&self) {
        self.background.stop().await;
        if let Some(inline) = self.inline_readers() {
            inline.close();
        }
        match &self.pools {
            Pools::Sqlite { read, write, .. } => {
                conn_pool::close(read).await;
                write.close().await;
                write.pool().close().await;
            }
            Pools::Postgres(pool) => conn_pool::close(pool).await,
        }
    }
}

/// One token generation per database per process, so every `Store` this process opens on
/// a database (the server's, an embedding test's) sees the others' token changes at once.
fn token_generation_for(url: &str) -> Arc<AtomicU64> {
    static GENERATIONS: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<String, Arc<AtomicU64>>>,
    > = std::sync::OnceLock::new();
    let map = GENERATIONS.get_or_init(Default::default);
    match map.lock() {
        Ok(mut map) => map.entry(url.to_owned()).or_default().clone(),
        // A poisoned map only loses the sharing; the epoch still bounds staleness.
        Err(_) => Arc::default(),
    }
}

/// Current time in microseconds since the epoch, the unit every timestamp column uses.
pub fn now_micros() -> i64 {
    micros(time::OffsetDateTime::now_utc())
}

pub fn micros(t: time::OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX)
}

pub fn from_micros(us: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}
