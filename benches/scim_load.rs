//! Load benchmark: seeds a directory with many users, then measures the requests an IdP
//! makes, over HTTP against an in-process server, and prints req/s and p50/p99 latency.
//!
//! ```sh
//! cargo bench --bench scim_load                                  # SQLite, 100,000 users
//! DATABASE_URL=postgres://postgres@127.0.0.1/postgres cargo bench --bench scim_load
//! SCIMD_BENCH_USERS=10000 SCIMD_BENCH_REQUESTS=500 cargo bench --bench scim_load
//! ```
//! With `DATABASE_URL` set, a fresh database is created on that server and dropped after.

use std::sync::Arc;
use std::time::{Duration, Instant};

use scimd::config::{DatabaseArgs, LogArgs, LogFormat, Secret, ServeArgs};
use scimd::domain::{AccountId, AccountStatus, DirectoryId};
use scimd::http::startup::Application;
use scimd::service::bootstrap::{bootstrap, BootstrapRequest};
use scimd::service::tokens::Tokens;
use scimd::store::{self, Store};
use serde_json::{json, Value};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Database {
    url: String,
    admin: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

async fn database() -> Database {
    match std::env::var("DATABASE_URL") {
        Ok(admin) if admin.starts_with("postgres") => {
            use sqlx::Connection;
            let name = format!("scimd_bench_{}", uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("connect to PostgreSQL");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create database");
            let base = admin
                .rsplit_once('/')
                .map(|(b, _)| b.to_owned())
                .unwrap_or(admin.clone());
            Database {
                url: format!("{base}/{name}"),
                admin: Some((admin, name)),
                _dir: None,
            }
        }
        _ => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("bench.db").display());
            // SCIMD_BENCH_KEEP_DB keeps the SQLite file for a look at query plans.
            let dir = if std::env::var_os("SCIMD_BENCH_KEEP_DB").is_some() {
                eprintln!("keeping {url}");
                let _ = dir.keep();
                None
            } else {
                Some(dir)
            };
            Database {
                url,
                admin: None,
                _dir: dir,
            }
        }
    }
}

/// Inserts users straight through the store, in large transactions: seeding is setup, not
/// what is measured.
async fn seed(
    store: &Store,
    directory: DirectoryId,
    count: usize,
) -> (Vec<String>, Vec<AccountId>) {
    let mut ids = Vec::with_capacity(count);
    let mut accounts = Vec::with_capacity(count);
    let started = Instant::now();
    for chunk in (0..count).collect::<Vec<_>>().chunks(2000) {
        let mut tx = store.begin().await.expect("begin");
        for i in chunk {
            let account = AccountId::new();
            let email = format!("user{i}@bench.example");
            store::insert_account(
                &mut tx,
                &store::NewAccount {
                    id: account,
                    email: email.clone(),
                    display_name: Some(format!("User {i}")),
                    profile: json!({"name": {"givenName": "User", "familyName": format!("N{i}")},
                                    "emails": [{"value": email, "type": "work", "primary": true}]}),
                    status: AccountStatus::Active,
                    at: store::now_micros(),
                },
            )
            .await
            .expect("seed account");
            let record = store::DirectoryUser {
                id: uuid::Uuid::new_v4(),
                directory_id: directory,
                account_id: account,
                external_id: Some(format!("ext-{i}")),
                attributes: json!({}),
                created_at: store::now_micros(),
                updated_at: store::now_micros(),
                version: 1,
            };
            store::insert_directory_user(&mut tx, &record)
                .await
                .expect("seed record");
            ids.push(record.id.to_string());
            accounts.push(account);
        }
        tx.commit().await.expect("commit");
    }
    eprintln!(
        "seeded {count} users in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    (ids, accounts)
}

/// A directory group holding `members` as members, written straight through the store.
async fn seed_group(
    store: &Store,
    org: scimd::domain::OrgId,
    directory: DirectoryId,
    name: &str,
    members: &[AccountId],
) -> String {
    let now = store::now_micros();
    let group = store::Group {
        id: scimd::domain::GroupId::new(),
        org_id: org,
        directory_id: Some(directory),
        display_name: name.into(),
        external_id: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let mut tx = store.begin().await.expect("begin");
    store::insert_group(&mut tx, &group).await.expect("group");
    store::add_group_members(&mut tx, group.id, members, now)
        .await
        .expect("members");
    tx.commit().await.expect("commit");
    group.id.to_string()
}

struct Stats {
    name: String,
    latencies: Vec<Duration>,
    elapsed: Duration,
    errors: usize,
}

impl Stats {
    fn print(&self) {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let pct = |p: f64| {
            let i = ((sorted.len() as f64 * p).ceil() as usize).saturating_sub(1);
            sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        println!(
            "{:<22} {:>7} {:>10.0} {:>9.2} {:>9.2} {:>7}",
            self.name,
            sorted.len(),
            sorted.len() as f64 / self.elapsed.as_secs_f64(),
            pct(0.50),
            pct(0.99),
            self.errors
        );
    }
}

/// Runs `requests` requests, `concurrency` at a time; `make(i)` builds request i.
async fn measure<F>(
    name: impl Into<String>,
    requests: usize,
    concurrency: usize,
    expect: u16,
    make: F,
) -> Stats
where
    F: Fn(usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let make = make.clone();
        let next = next.clone();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= requests {
                    break;
                }
                let t = Instant::now();
                match make(i).send().await {
                    Ok(r) if r.status().as_u16() == expect => {
                        let _ = r.bytes().await;
                        latencies.push(t.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (latencies, errors)
        }));
    }
    let mut stats = Stats {
        name: name.into(),
        latencies: Vec::new(),
        elapsed: Duration::ZERO,
        errors: 0,
    };
    for worker in workers {
        let (l, e) = worker.await.expect("worker");
        stats.latencies.extend(l);
        stats.errors += e;
    }
    stats.elapsed = started.elapsed();
    stats
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let users = env_usize("SCIMD_BENCH_USERS", 100_000);
    let requests = env_usize("SCIMD_BENCH_REQUESTS", 2_000);
    let concurrency = env_usize("SCIMD_BENCH_CONCURRENCY", 8);
    let db = database().await;
    let args = ServeArgs {
        bind: "127.0.0.1:0".parse().expect("address"),
        public_url: None,
        max_page_size: 1000,
        max_body_bytes: 10 * 1024 * 1024,
        db_pool_size: 16,
        expose_statement_counts: true,
        database: DatabaseArgs {
            database_url: Some(Secret::new(db.url.clone())),
            sqlite_durability: Default::default(),
        },
        log: LogArgs {
            log_level: "error".into(),
            log_format: LogFormat::Pretty,
        },
    };
    let app = Application::build(&args).await.expect("build app");
    let base = format!("http://127.0.0.1:{}/scim/v2", app.port());
    tokio::spawn(app.run_until_stopped());
    let store = Store::connect(Some(&db.url), 4).await.expect("store");
    let tokens = Tokens::load(store.clone()).await.expect("tokens");
    let org = bootstrap(
        &store,
        &tokens,
        &BootstrapRequest {
            org_name: "Bench".into(),
            domains: vec!["bench.example".into()],
            site_name: "main".into(),
            products: vec!["jira-software".into()],
            directory_name: "bench".into(),
        },
    )
    .await
    .expect("bootstrap");
    // Users past `users` are kept out of the big group, to be added and removed one by one.
    let spare = requests.max(1000);
    let (ids, accounts) = seed(&store, org.directory_id, users + spare).await;
    let started = Instant::now();
    let big_group = seed_group(
        &store,
        org.org_id,
        org.directory_id,
        "everyone",
        &accounts[..users],
    )
    .await;
    let small_group = seed_group(
        &store,
        org.org_id,
        org.directory_id,
        "ten",
        &accounts[..10.min(users)],
    )
    .await;
    eprintln!(
        "seeded a group of {users} members in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    // Measure a database in its steady state: planner statistics current, as autovacuum
    // (PostgreSQL) or `PRAGMA optimize` (SQLite) leaves them after a bulk sync.
    let mut conn = store.read().await.expect("connection");
    store::query("ANALYZE")
        .execute(&mut conn)
        .await
        .expect("analyze");
    drop(conn);
    let spare_ids: Arc<Vec<String>> = Arc::new(ids[users..].to_vec());
    let ids = Arc::new(ids[..users].to_vec());
    let token = org.scim_token.token.clone();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .expect("client");
    let backend = if db.admin.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!("\nscimd SCIM load: {backend}, {users} seeded users, {requests} requests per row, {concurrency} concurrent");
    println!(
        "{:<22} {:>7} {:>10} {:>9} {:>9} {:>7}",
        "operation", "ok", "req/s", "p50 ms", "p99 ms", "errors"
    );

    let pick = |i: usize, n: usize| i.wrapping_mul(2_654_435_761) % n.max(1);
    let (c, t) = (client.clone(), token.clone());
    let b = base.clone();
    measure("create user", requests, concurrency, 201, move |i| {
        c.post(format!("{b}/Users")).bearer_auth(&t).json(&json!({
            "userName": format!("new{i}@bench.example"), "externalId": format!("new-{i}"),
            "name": {"givenName": "New", "familyName": format!("N{i}")}, "active": true
        }))
    })
    .await
    .print();

    let (c, t, b) = (client.clone(), token.clone(), base.clone());
    measure("filter userName eq", requests, concurrency, 200, move |i| {
        let filter = format!("userName eq \"user{}@bench.example\"", pick(i, users));
        c.get(format!("{b}/Users"))
            .query(&[("filter", filter)])
            .bearer_auth(&t)
    })
    .await
    .print();

    let (c, t, b) = (client.clone(), token.clone(), base.clone());
    measure(
        "filter externalId eq",
        requests,
        concurrency,
        200,
        move |i| {
            let filter = format!("externalId eq \"ext-{}\"", pick(i, users));
            c.get(format!("{b}/Users"))
                .query(&[("filter", filter)])
                .bearer_auth(&t)
        },
    )
    .await
    .print();

    let (c, t, b, ids2) = (client.clone(), token.clone(), base.clone(), ids.clone());
    measure("get by id", requests, concurrency, 200, move |i| {
        c.get(format!("{b}/Users/{}", ids2[pick(i, ids2.len())]))
            .bearer_auth(&t)
    })
    .await
    .print();

    let (c, t, b, ids2) = (client.clone(), token.clone(), base.clone(), ids.clone());
    measure("patch active", requests, concurrency, 200, move |i| {
        c.patch(format!("{b}/Users/{}", ids2[pick(i, ids2.len())]))
            .bearer_auth(&t)
            .json(&json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "active", "value": i % 2 == 0}]
            }))
    })
    .await
    .print();

    let (c, t, b) = (client.clone(), token.clone(), base.clone());
    let pages = users.saturating_sub(100).max(1);
    measure(
        "page of 100",
        requests.min(500),
        concurrency,
        200,
        move |i| {
            let start = pick(i, pages) + 1;
            c.get(format!("{b}/Users?startIndex={start}&count=100"))
                .bearer_auth(&t)
        },
    )
    .await
    .print();

    let (c, t, b) = (client.clone(), token.clone(), base.clone());
    measure("create group", requests, concurrency, 201, move |i| {
        c.post(format!("{b}/Groups")).bearer_auth(&t).json(&json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": format!("Group {i}"), "externalId": format!("g-{i}")
        }))
    })
    .await
    .print();

    let member_op = |op: &str, id: &str| {
        json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [if op == "add" {
                json!({"op": "add", "path": "members", "value": [{"value": id}]})
            } else {
                json!({"op": "remove", "path": format!("members[value eq \"{id}\"]")})
            }]
        })
    };
    for (size, group) in [
        (10.min(users), small_group.clone()),
        (users, big_group.clone()),
    ] {
        for op in ["add", "remove"] {
            let label = format!("{op} 1 member @{size}");
            let (c, t, b, spare, g) = (
                client.clone(),
                token.clone(),
                base.clone(),
                spare_ids.clone(),
                group.clone(),
            );
            measure(label, requests, concurrency, 200, move |i| {
                c.patch(format!("{b}/Groups/{g}?excludedAttributes=members"))
                    .bearer_auth(&t)
                    .json(&member_op(op, &spare[i % spare.len()]))
            })
            .await
            .print();
        }
    }

    // 1,000 members in one PATCH, each into its own empty group.
    let mut fresh = Vec::new();
    let batches = (requests / 50).clamp(5, 40);
    for i in 0..batches {
        fresh.push(
            seed_group(
                &store,
                org.org_id,
                org.directory_id,
                &format!("batch {i}"),
                &[],
            )
            .await,
        );
    }
    let fresh = Arc::new(fresh);
    let thousand: Vec<Value> = spare_ids
        .iter()
        .take(1000)
        .map(|id| json!({"value": id}))
        .collect();
    let body = Arc::new(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "members", "value": thousand}]
    }));
    let (c, t, b) = (client.clone(), token.clone(), base.clone());
    measure(
        "add 1000 members",
        batches,
        concurrency.min(4),
        200,
        move |i| {
            c.patch(format!(
                "{b}/Groups/{}?excludedAttributes=members",
                fresh[i]
            ))
            .bearer_auth(&t)
            .json(&*body)
        },
    )
    .await
    .print();

    let (c, t, b, g) = (
        client.clone(),
        token.clone(),
        base.clone(),
        big_group.clone(),
    );
    measure(
        format!("get {users} group -members"),
        requests,
        concurrency,
        200,
        move |_| {
            c.get(format!("{b}/Groups/{g}?excludedAttributes=members"))
                .bearer_auth(&t)
        },
    )
    .await
    .print();

    let (c, t, b, spare) = (
        client.clone(),
        token.clone(),
        base.clone(),
        spare_ids.clone(),
    );
    measure(
        "filter members[value]",
        requests,
        concurrency,
        200,
        move |i| {
            let filter = format!("members[value eq \"{}\"]", spare[i % spare.len()]);
            c.get(format!("{b}/Groups"))
                .query(&[("filter", filter), ("excludedAttributes", "members".into())])
                .bearer_auth(&t)
        },
    )
    .await
    .print();

    store.close().await;
    if let Some((admin, name)) = db.admin {
        use sqlx::Connection;
        if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await;
        }
    }
}
