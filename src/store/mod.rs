//! Storage: the only code that speaks SQL. One implementation for both backends through
//! sqlx's `Any` driver; every query uses `$N` placeholders, which SQLite and PostgreSQL both
//! understand, and every value is bound, never spliced into the text.

mod accounts;
mod admin_accounts;
mod admin_audit;
mod admin_groups;
mod admin_outbox;
mod admin_sites;
mod audit;
mod directories;
pub mod filter_sql;
mod groups;
mod orgs;
mod scim_groups;
mod sites;
mod tokens;
mod users;

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
pub use directories::*;
pub use groups::*;
pub use orgs::*;
pub use scim_groups::*;
pub use sites::*;
pub use tokens::*;
pub use users::*;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, ConnectOptions, Executor, Transaction};

/// One page of a SCIM list, already validated by the protocol layer.
#[derive(Clone, Debug)]
pub struct ListQuery<'a> {
    pub filter: Option<&'a crate::scim::filter::Filter>,
    pub sort_by: Option<&'a crate::scim::filter::AttrPath>,
    pub descending: bool,
    /// 0-based offset.
    pub offset: i64,
    pub limit: i64,
}

/// The default database when no URL is configured: a file beside the process.
pub const DEFAULT_SQLITE_URL: &str = "sqlite://scimd.db?mode=rwc";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL scheme (use postgres:// or sqlite://)")]
    UnsupportedUrl,
    #[error("a row with the same unique value already exists")]
    Conflict,
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Unique violations are recognised by kind, not constraint name: SQLite names none.
    fn from_write(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
            _ => StoreError::Database(err),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
pub type Tx = Transaction<'static, Any>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Handles to the database. On SQLite writes go through a single connection so writers
/// queue in-process instead of failing with SQLITE_BUSY; readers use WAL snapshots in
/// parallel. On PostgreSQL both handles are the same pool.
#[derive(Clone, Debug)]
pub struct Store {
    read: AnyPool,
    write: AnyPool,
    backend: Backend,
}

impl Store {
    /// Connects (creating a SQLite file if needed) and applies pending migrations.
    pub async fn connect(url: Option<&str>, pool_size: u32) -> StoreResult<Self> {
        sqlx::any::install_default_drivers();
        let url = url.unwrap_or(DEFAULT_SQLITE_URL);
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&url)?
            .log_statements(tracing::log::LevelFilter::Debug)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
        let pool_size = pool_size.max(1);
        let store = match backend {
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(pool_size)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?;
                Store {
                    read: pool.clone(),
                    write: pool,
                    backend,
                }
            }
            Backend::Sqlite => {
                let write = sqlite_pool(options.clone(), 1).await?;
                // WAL must be on before readers open, so the writer pool connects first.
                let read = sqlite_pool(options, pool_size).await?;
                Store {
                    read,
                    write,
                    backend,
                }
            }
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> StoreResult<()> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&self.write).await?,
            Backend::Postgres => {
                sqlx::migrate!("migrations/postgres")
                    .run(&self.write)
                    .await?
            }
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A pool for reads outside a transaction.
    pub fn reader(&self) -> &AnyPool {
        &self.read
    }

    /// Opens a write transaction. SQLite takes the write lock up front (`BEGIN IMMEDIATE`)
    /// so a transaction never fails half-way when another process (the CLI) writes too.
    pub async fn begin(&self) -> StoreResult<Tx> {
        Ok(match self.backend {
            Backend::Sqlite => self.write.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.write.begin().await?,
        })
    }

    /// True when the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.read).await.is_ok()
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

async fn sqlite_pool(options: AnyConnectOptions, size: u32) -> StoreResult<AnyPool> {
    Ok(AnyPoolOptions::new()
        .max_connections(size)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(|conn, _| {
            Box::pin(async move {
                // LIKE must respect case so that caseExact attributes compare exactly;
                // case-insensitive matching uses lower-cased shadow columns instead.
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                     PRAGMA case_sensitive_like = ON;",
                )
                .await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await?)
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

pub(crate) fn parse_id<T: FromStr>(raw: &str) -> StoreResult<T> {
    raw.parse()
        .map_err(|_| StoreError::Corrupt(format!("bad id {raw:?}")))
}

pub(crate) fn parse_enum<T: FromStr>(raw: &str) -> StoreResult<T> {
    raw.parse()
        .map_err(|_| StoreError::Corrupt(format!("bad value {raw:?}")))
}
