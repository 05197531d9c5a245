//! How a store is opened: pool size, SQLite durability, and the timings of the store's
//! background work (connection expiry, SQLite checkpoints).

use std::time::Duration;

/// What a SQLite commit waits for (`PRAGMA synchronous`). Commits are shared by the
/// transactions queued together (group commit), so `Full` costs one fsync per batch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum SqliteDurability {
    /// Every acknowledged write survives a power cut (fsync at each commit).
    #[default]
    Full,
    /// Acknowledged writes survive a crash of scimd; a power cut may lose the last ones.
    Normal,
}

/// Defaults as sqlx's own pool had them: a connection nobody needed for 10 minutes is
/// closed (a quiet server holds no PostgreSQL backends), and none lives past 30 minutes (a
/// backend's caches and memory do not grow forever, and a failover or a changed server
/// setting reaches every connection).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);
pub const DEFAULT_MAX_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// How often SQLite's WAL is checkpointed by default. While the WAL holds pages a reader
/// needs, each page it reads is looked up in the WAL's index and read from the WAL file;
/// once they are copied into the database file, readers read it alone. In the benchmark at
/// 10,000 users (3 alternating runs each), checkpoints every 50 ms instead of every second
/// raised `userName eq` lookups from 26,897 to 34,396 a second and GET by id from 31,605 to
/// 37,923 (creates and PATCHes a tenth); at 100,000 users 2-8%, within the noise. The
/// checkpoint task skips a tick when nothing was committed since it last copied everything.
pub const DEFAULT_CHECKPOINT_INTERVAL: Duration = Duration::from_millis(50);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreOptions {
    /// PostgreSQL: connections; SQLite: readers (at most twice the cores), besides the writer.
    pub pool_size: u32,
    pub sqlite_durability: SqliteDurability,
    /// A pooled connection not handed out for this long is closed.
    pub idle_timeout: Duration,
    /// A pooled connection this old is closed the next time it is idle at a sweep.
    pub max_lifetime: Duration,
    /// How often idle connections are checked against the two limits above: a connection
    /// lives at most this much past them.
    pub expiry_interval: Duration,
    /// SQLite: how often a background connection checkpoints the WAL into the database.
    pub checkpoint_interval: Duration,
    /// SQLite: the longest a group-commit batch stays open for transactions queued behind
    /// its first one (see `group_commit`).
    pub group_commit_wait: Duration,
    /// SQLite: bytes of the database file each reader maps (`PRAGMA mmap_size`); 0 reads
    /// through system calls into each connection's own page cache.
    pub sqlite_mmap_bytes: u64,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            pool_size: 16,
            sqlite_durability: SqliteDurability::Full,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_lifetime: DEFAULT_MAX_LIFETIME,
            expiry_interval: Duration::from_secs(30),
            checkpoint_interval: DEFAULT_CHECKPOINT_INTERVAL,
            group_commit_wait: super::group_commit::DEFAULT_MAX_WAIT,
            sqlite_mmap_bytes: 0,
        }
    }
}
