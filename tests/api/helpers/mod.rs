//! The test harness: every test gets its own database (a SQLite file in a temp dir, or a
//! fresh PostgreSQL database) and, where it needs one, its own server on a free port.

use std::sync::Arc;

use scimd::config::{DatabaseArgs, LogArgs, LogFormat, Secret, ServeArgs};
use scimd::http::startup::Application;
use scimd::service::bootstrap::{bootstrap, BootstrapOutcome, BootstrapRequest};
use scimd::service::tokens::Tokens;
use scimd::store::Store;

pub mod database_url;
mod requests;
mod serve;
mod sql;
pub use requests::*;
pub use serve::ServeProcess;
pub use sql::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs an `async fn(TestApp)` or `async fn(TestDb)` once per backend, as
/// `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident => $setup:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                if let Some(env) = $crate::helpers::$setup($crate::helpers::Backend::Sqlite).await {
                    super::$name(env).await;
                }
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(env) = $crate::helpers::$setup($crate::helpers::Backend::Postgres).await {
                    super::$name(env).await;
                }
            }
        }
    )*};
}

fn admin_postgres_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// CI must never skip PostgreSQL; a developer machine without it may.
fn postgres_required() -> bool {
    std::env::var_os("CI").is_some() || std::env::var_os("SCIMD_REQUIRE_POSTGRES").is_some()
}

pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

impl TestDb {
    pub async fn store(&self) -> Store {
        Store::connect(Some(&self.url), 4)
            .await
            .expect("connect test store")
    }
}

pub async fn test_db(backend: Backend) -> Option<TestDb> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("scimd.db").display());
            Some(TestDb {
                url,
                _dir: Some(dir),
                pg_name: None,
            })
        }
        Backend::Postgres => {
            use sqlx::Connection;
            let admin = admin_postgres_url();
            let mut conn = match sqlx::PgConnection::connect(&admin).await {
                Ok(conn) => conn,
                Err(err) if !postgres_required() => {
                    eprintln!("skipped: PostgreSQL not reachable at {admin}: {err}");
                    return None;
                }
                Err(err) => panic!("PostgreSQL required but not reachable at {admin}: {err}"),
            };
            let name = format!("scimd_test_{}", uuid::Uuid::new_v4().simple());
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let _ = conn.close().await;
            Some(TestDb {
                url: database_url::on_same_server(&admin, &name),
                _dir: None,
                pg_name: Some(name),
            })
        }
    }
}

async fn drop_postgres_database(name: &str) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&admin_postgres_url()).await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await?;
    Ok(())
}

impl TestDb {
    /// Drops a PostgreSQL test database at once, as if the server had gone away.
    pub async fn drop_now(&self) {
        if let Some(name) = &self.pg_name {
            drop_postgres_database(name)
                .await
                .expect("drop test database");
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        // Drop runs outside async; a short-lived runtime on its own thread does the cleanup.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(drop_postgres_database(&name))
                .map_err(std::io::Error::other)
        })
        .join();
    }
}

pub struct TestApp {
    pub address: String,
    /// Where `/metrics` is served when `--metrics-bind` was given.
    pub metrics_address: Option<String>,
    pub store: Store,
    /// The running server's own store, for its counters (`store` is the test's).
    pub server_store: Store,
    pub tokens: Arc<Tokens>,
    pub client: reqwest::Client,
    pub db: TestDb,
}

pub fn serve_args(url: &str) -> ServeArgs {
    ServeArgs {
        bind: "127.0.0.1:0".parse().expect("address"),
        public_url: None,
        trusted_proxies: Vec::new(),
        max_page_size: 200,
        cursor_timeout_secs: 3600,
        bulk_max_operations: 1000,
        bulk_max_payload_bytes: 1024 * 1024,
        max_body_bytes: 1024 * 1024,
        db_pool_size: 4,
        db_idle_timeout_secs: 600,
        db_max_lifetime_secs: 1800,
        keep_alive_secs: 75,
        client_request_timeout_secs: 30,
        dns_resolver: None,
        dns_timeout_secs: 1,
        allow_unproven_domains: false,
        expose_statement_counts: true,
        provisioning_log_days: 30,
        sqlite_mmap_mib: 0,
        metrics_bind: None,
        console_secure_cookies: Default::default(),
        database: DatabaseArgs {
            database_url: Some(Secret::new(url)),
            sqlite_durability: Default::default(),
        },
        log: LogArgs {
            log_level: std::env::var("TEST_LOG").unwrap_or_else(|_| "warn".into()),
            log_format: LogFormat::Pretty,
        },
    }
}

pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

/// A server whose database pool has one connection, so every statement of every request
/// shares that connection's prepared-statement cache.
pub async fn spawn_app_with_one_connection(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |args| args.db_pool_size = 1).await
}

/// A server with the timeouts `scimd serve` has when none are given.
pub async fn spawn_with_default_timeouts(backend: Backend) -> Option<TestApp> {
    #[derive(clap::Parser)]
    struct Serve {
        #[command(flatten)]
        args: scimd::config::ServeArgs,
    }
    let defaults = <Serve as clap::Parser>::try_parse_from(["scimd"])
        .expect("serve needs no arguments")
        .args;
    spawn_app_with(backend, |args| {
        args.keep_alive_secs = defaults.keep_alive_secs;
        args.client_request_timeout_secs = defaults.client_request_timeout_secs;
    })
    .await
}

/// A server with `/metrics` on a listener of its own (`--metrics-bind`).
pub async fn spawn_app_with_metrics_listener(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |args| {
        args.metrics_bind = Some("127.0.0.1:0".parse().expect("address"));
    })
    .await
}

/// A server that reads domain challenges from the test's own DNS server.
pub struct WithDns {
    pub app: TestApp,
    pub dns: crate::dns::TestDns,
}

pub async fn spawn_app_with_dns(backend: Backend) -> Option<WithDns> {
    let dns = crate::dns::TestDns::start().await;
    let app = spawn_app_with(backend, |args| args.dns_resolver = Some(dns.addr)).await?;
    Some(WithDns { app, dns })
}

/// A server whose operator lets org admins verify domains without DNS proof.
pub async fn spawn_app_allowing_unproven_domains(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |args| args.allow_unproven_domains = true).await
}

/// A server whose list cursors expire after 1 second (`--cursor-timeout-secs 1`).
pub async fn spawn_with_short_cursors(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |args| args.cursor_timeout_secs = 1).await
}

/// A server that takes Bulk requests of at most 5 operations and 2,000 bytes.
pub async fn spawn_with_small_bulk_limits(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |args| {
        args.bulk_max_operations = 5;
        args.bulk_max_payload_bytes = 2000;
    })
    .await
}

/// A server behind a reverse proxy on 127.0.0.1 (the test client's address).
pub async fn spawn_app_behind_proxy(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |args| {
        args.trusted_proxies = vec!["127.0.0.1".parse().expect("address")];
    })
    .await
}

/// A server whose SQLite readers map 8 MiB of the file (`--sqlite-mmap-mib`).
pub async fn spawn_app_with_mapped_readers(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |args| args.sqlite_mmap_mib = 8).await
}

pub async fn spawn_app_with(
    backend: Backend,
    configure: impl FnOnce(&mut ServeArgs),
) -> Option<TestApp> {
    let db = test_db(backend).await?;
    Some(spawn_app_on(db, configure).await)
}

/// A server on a database the test prepared (e.g. left at an older migration).
pub async fn spawn_app_on(db: TestDb, configure: impl FnOnce(&mut ServeArgs)) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        scimd::telemetry::init(&serve_args(&db.url).log);
    }
    let mut args = serve_args(&db.url);
    configure(&mut args);
    let app = Application::build(&args).await.expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = app
        .metrics_port()
        .map(|port| format!("http://127.0.0.1:{port}"));
    let server_store = app.store().clone();
    tokio::spawn(app.run_until_stopped());
    let store = db.store().await;
    let tokens = Arc::new(Tokens::load(store.clone()).await.expect("tokens"));
    TestApp {
        address,
        metrics_address,
        store,
        server_store,
        tokens,
        client: reqwest::Client::new(),
        db,
    }
}

/// `scimd bootstrap` on a store: an org with these domains, its site "main" with Jira and
/// Confluence, and its directory "okta".
pub async fn bootstrap_on(
    store: &Store,
    tokens: &Tokens,
    org: &str,
    domains: &[&str],
) -> BootstrapOutcome {
    let request = BootstrapRequest {
        org_name: org.into(),
        domains: domains.iter().map(|d| d.to_string()).collect(),
        site_name: "main".into(),
        products: vec!["jira-software".into(), "confluence".into()],
        directory_name: "okta".into(),
    };
    bootstrap(store, tokens, &request).await.expect("bootstrap")
}

impl TestApp {
    pub async fn bootstrap(&self, org: &str, domains: &[&str]) -> BootstrapOutcome {
        bootstrap_on(&self.store, &self.tokens, org, domains).await
    }

    /// The SCIM token of a bootstrapped "Acme" owning acme.example, for the many tests that
    /// need nothing else of the org.
    pub async fn acme_token(&self) -> String {
        self.bootstrap("Acme", &["acme.example"])
            .await
            .scim_token
            .token
    }

    /// An admin-API token, as `scimd token issue --org|--site|--account` makes one.
    pub async fn admin_token(&self, whom: scimd::service::admin::tokens::AdminTokenFor) -> String {
        scimd::service::admin::tokens::issue_admin_token(&self.store, &self.tokens, whom, None)
            .await
            .expect("admin token")
            .token
    }

    /// The account with this email, which the test expects to exist.
    pub async fn account(&self, email: &str) -> scimd::store::Account {
        let mut conn = self.store.read().await.expect("connection");
        scimd::store::find_account_by_email(&mut conn, email)
            .await
            .expect("lookup")
            .expect("account exists")
    }

    pub async fn account_id(&self, email: &str) -> scimd::domain::AccountId {
        self.account(email).await.id
    }

    pub async fn account_status(&self, email: &str) -> scimd::domain::AccountStatus {
        self.account(email).await.status
    }

    /// The account's status, checked against what the test expects.
    pub async fn assert_account_status(&self, email: &str, expected: scimd::domain::AccountStatus) {
        assert_eq!(
            self.account_status(email).await,
            expected,
            "the status of {email}"
        );
    }
}

/// Percent-encodes a query value (filters carry quotes, spaces and `@`).
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A server the test can stop and start again on the same database.
pub struct Running {
    pub app: TestApp,
    handle: actix_web::dev::ServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

pub async fn spawn_stoppable_on(db: TestDb) -> Running {
    let args = serve_args(&db.url);
    let app = Application::build(&args).await.expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    let server_store = app.store().clone();
    let task = tokio::spawn(app.run_until_stopped());
    let store = db.store().await;
    let tokens = Arc::new(Tokens::load(store.clone()).await.expect("tokens"));
    Running {
        app: TestApp {
            address,
            metrics_address: None,
            store,
            server_store,
            tokens,
            client: reqwest::Client::new(),
            db,
        },
        handle,
        task,
    }
}

impl Running {
    /// Stops the server as SIGTERM would (requests drained, background work ended) and
    /// hands the database back.
    pub async fn stop(self) -> TestDb {
        self.handle.stop(true).await;
        self.task
            .await
            .expect("server task")
            .expect("server stopped cleanly");
        self.app.store.close().await;
        self.app.db
    }
}

/// Another server on a database a running test server already uses, as a second scimd
/// process would be.
pub struct SecondServer {
    pub address: String,
    handle: actix_web::dev::ServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

pub async fn spawn_second_server(db: &TestDb) -> SecondServer {
    let app = Application::build(&serve_args(&db.url))
        .await
        .expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    let task = tokio::spawn(app.run_until_stopped());
    SecondServer {
        address,
        handle,
        task,
    }
}

impl SecondServer {
    pub async fn stop(self) {
        self.handle.stop(true).await;
        let _ = self.task.await;
    }
}
