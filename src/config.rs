//! Server configuration from flags and environment.

use std::fmt;
use std::net::SocketAddr;

use clap::{Args, ValueEnum};

pub use crate::store::SqliteDurability;

/// A value that must never reach a log line or a `Debug` dump (database URLs carry passwords).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(s))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines for a terminal.
    Pretty,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Where the data lives; shared by `serve` and every admin command.
#[derive(Clone, Debug, Args)]
pub struct DatabaseArgs {
    /// Database URL: `postgres://...` for PostgreSQL, `sqlite://PATH` for a SQLite file.
    /// Without it scimd keeps its data in `scimd.db` in the working directory.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<Secret>,

    /// SQLite only: `full` acknowledges a write once it survives a power cut (an fsync per
    /// group commit); `normal` once it survives a crash of scimd (a power cut may lose the
    /// last writes). PostgreSQL's durability is the server's (`synchronous_commit`).
    #[arg(
        long,
        env = "SCIMD_SQLITE_DURABILITY",
        value_enum,
        default_value_t = SqliteDurability::Full
    )]
    pub sqlite_durability: SqliteDurability,
}

#[derive(Clone, Debug, Args)]
pub struct LogArgs {
    /// Log filter in `tracing` syntax, e.g. `info` or `scimd=debug,sqlx=warn`.
    #[arg(long, env = "SCIMD_LOG", default_value = "info")]
    pub log_level: String,

    /// Log output format.
    #[arg(long, env = "SCIMD_LOG_FORMAT", value_enum, default_value = "pretty")]
    pub log_format: LogFormat,
}

/// When the console's cookies are marked `Secure`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum SecureCookies {
    /// When the console's external URL is `https`.
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Clone, Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "SCIMD_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// The server's external base URL (e.g. `https://scim.example.com`), used in `Location`,
    /// `meta.location` and `$ref`. Without it they are built from the request's scheme and
    /// host (`Host`, or a trusted proxy's forwarded headers: `--trusted-proxies`).
    #[arg(long, env = "SCIMD_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Addresses of reverse proxies whose `Forwarded` / `X-Forwarded-Host` / `X-Forwarded-Proto`
    /// headers name the external URL (comma-separated IPs). Without `--public-url`, resource
    /// URLs come from the request's `Host`; forwarded headers from anyone else are ignored,
    /// so a client cannot make scimd hand out links to a host of its choosing.
    #[arg(long, env = "SCIMD_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,

    /// Largest page a list request may ask for (`count`); advertised in ServiceProviderConfig.
    #[arg(long, env = "SCIMD_MAX_PAGE_SIZE", default_value_t = 1000)]
    pub max_page_size: u32,

    /// Seconds a list cursor stays valid (RFC 9865 `cursorTimeout`, advertised in
    /// ServiceProviderConfig): each page's cursors must be used within this time.
    #[arg(long, env = "SCIMD_CURSOR_TIMEOUT_SECS", default_value_t = 3600)]
    pub cursor_timeout_secs: u64,

    /// Most operations one Bulk request may hold (`bulk.maxOperations`); more is 413.
    #[arg(long, env = "SCIMD_BULK_MAX_OPERATIONS", default_value_t = 1000)]
    pub bulk_max_operations: usize,

    /// Largest Bulk request body in bytes (`bulk.maxPayloadSize`, at most `--max-body-bytes`);
    /// larger is 413.
    #[arg(
        long,
        env = "SCIMD_BULK_MAX_PAYLOAD_BYTES",
        default_value_t = 1024 * 1024
    )]
    pub bulk_max_payload_bytes: usize,

    /// Largest accepted request body, in bytes.
    #[arg(long, env = "SCIMD_MAX_BODY_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Database connections per process (PostgreSQL) or readers (SQLite).
    #[arg(long, env = "SCIMD_DB_POOL_SIZE", default_value_t = 16)]
    pub db_pool_size: u32,

    /// Seconds a pooled database connection (PostgreSQL, or a SQLite reader) may go unused
    /// before it is closed; checked every 30 s.
    #[arg(
        long,
        env = "SCIMD_DB_IDLE_TIMEOUT_SECS",
        default_value_t = crate::store::DEFAULT_IDLE_TIMEOUT.as_secs()
    )]
    pub db_idle_timeout_secs: u64,

    /// Seconds after which a pooled database connection is closed and replaced (at the first
    /// check that finds it idle).
    #[arg(
        long,
        env = "SCIMD_DB_MAX_LIFETIME_SECS",
        default_value_t = crate::store::DEFAULT_MAX_LIFETIME.as_secs()
    )]
    pub db_max_lifetime_secs: u64,

    /// Seconds an idle keep-alive connection stays open. IdP clients pool connections; a
    /// server that closes sooner than they expect makes them reuse a closed one (broken
    /// pipe). 75 s outlasts common client pools' idle times, as reverse proxies do.
    #[arg(long, env = "SCIMD_KEEP_ALIVE_SECS", default_value_t = 75)]
    pub keep_alive_secs: u64,

    /// Seconds a client has to send a request's head after connecting (or after the previous
    /// response on a kept-alive connection) before the connection is closed.
    #[arg(long, env = "SCIMD_CLIENT_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub client_request_timeout_secs: u64,

    /// Serve `/metrics` (Prometheus) on this address only, instead of on `--bind`: keeps
    /// the metrics (which name directories by id) off the port IdPs reach.
    #[arg(long, env = "SCIMD_METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,
    /// The DNS server (`IP:PORT`) asked for domain verification's TXT records. Without it,
    /// the system's resolvers (`/etc/resolv.conf`).
    #[arg(long, env = "SCIMD_DNS_RESOLVER")]
    pub dns_resolver: Option<SocketAddr>,

    /// Seconds to wait for the DNS server's answer (per attempt; two attempts).
    #[arg(long, env = "SCIMD_DNS_TIMEOUT_SECS", default_value_t = 5)]
    pub dns_timeout_secs: u64,

    /// Let org admins verify domains without DNS proof (air-gapped installs where scimd
    /// cannot reach DNS). Off by default: anyone could otherwise claim any domain and manage
    /// every account on it. Each such verification is logged at warn and audited.
    #[arg(long, env = "SCIMD_ALLOW_UNPROVEN_DOMAINS")]
    pub allow_unproven_domains: bool,

    /// Whether the admin console's cookies carry `Secure` (sent over HTTPS only): `auto` when
    /// the console's external URL is `https` (`--public-url`, or a trusted proxy's
    /// forwarded scheme), `always` behind a TLS proxy scimd cannot see, `never` for plain
    /// HTTP on a trusted network.
    #[arg(
        long,
        env = "SCIMD_CONSOLE_SECURE_COOKIES",
        value_enum,
        default_value_t = SecureCookies::Auto
    )]
    pub console_secure_cookies: SecureCookies,
    /// Days the provisioning log keeps each SCIM write's entry; older ones are deleted in
    /// the background (at start, then every 10 minutes).
    #[arg(
        long,
        env = "SCIMD_PROVISIONING_LOG_DAYS",
        default_value_t = 30,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub provisioning_log_days: u32,

    /// SQLite only: MiB of the database file each reader connection maps into memory
    /// (`PRAGMA mmap_size`). Lookups then read pages from the OS's page cache in place,
    /// without a system call and a copy each: measured 11-31% more lookups per second at
    /// 10,000 users. The mapped pages count in the process's resident size (as `ps` shows
    /// it), though they are the OS's cache of the file, shared and reclaimable. 0: off.
    #[arg(long, env = "SCIMD_SQLITE_MMAP_MIB", default_value_t = 0)]
    pub sqlite_mmap_mib: u32,

    /// Answer every request with a `Scimd-Statements` header (how many SQL statements it
    /// ran) and a `Scimd-Transactions` header (how many transactions it held open across
    /// statements). For the statement-budget tests and the benchmark; off in production.
    #[arg(long, env = "SCIMD_EXPOSE_STATEMENT_COUNTS", hide = true)]
    pub expose_statement_counts: bool,

    #[command(flatten)]
    pub database: DatabaseArgs,

    #[command(flatten)]
    pub log: LogArgs,
}

impl ServeArgs {
    /// How the server opens its store.
    pub fn store_options(&self) -> crate::store::StoreOptions {
        crate::store::StoreOptions {
            pool_size: self.db_pool_size,
            sqlite_durability: self.database.sqlite_durability,
            idle_timeout: std::time::Duration::from_secs(self.db_idle_timeout_secs),
            max_lifetime: std::time::Duration::from_secs(self.db_max_lifetime_secs),
            sqlite_mmap_bytes: u64::from(self.sqlite_mmap_mib) * 1024 * 1024,
            ..crate::store::StoreOptions::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug() {
        let args = DatabaseArgs {
            database_url: Some(Secret::new("postgres://u:hunter2@db/x")),
            sqlite_durability: SqliteDurability::Full,
        };
        let shown = format!("{args:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("***"));
    }
}
