//! Load benchmark: a real `scimd serve` process over a seeded database, driven over HTTP
//! by concurrent clients in this process (on the same cores), reporting per operation
//! req/s, p50/p99 latency, CPU time per request (the server's, this load generator's, and
//! the whole machine's: with PostgreSQL, the rest is mostly the database server), SQL
//! statements per request, and the server's memory.
//!
//! ```sh
//! cargo bench --bench scim_load                                  # SQLite, 100,000 users
//! DATABASE_URL=postgres://postgres@127.0.0.1/postgres cargo bench --bench scim_load
//! SCIMD_BENCH_USERS=10000 SCIMD_BENCH_REQUESTS=500 cargo bench --bench scim_load
//! SCIMD_BENCH_SERVER=/path/to/older/scimd cargo bench --bench scim_load   # another build
//! ```
//! With `DATABASE_URL` set, a fresh database is created on that server and dropped after.
//! `SCIMD_BENCH_JSON=FILE` appends one JSON line per operation, for tables.

mod bulk;
mod client;
mod paging;
mod seed;
mod server;
mod stats;

use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use hyper::Method;
use serde_json::{json, Value};

use client::{Call, Connection};
use seed::Database;
use server::Server;
use stats::{Context, Stats};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// SCIMD_BENCH_ONLY="create user,get by id" runs just the rows whose names begin so.
fn wanted(name: &str) -> bool {
    std::env::var("SCIMD_BENCH_ONLY")
        .map(|only| only.split(',').any(|o| name.starts_with(o.trim())))
        .unwrap_or(true)
}

/// A filter naming seeded user `n`.
type Filter = fn(usize) -> String;
/// One PATCH operation of a request `i`.
type PatchOperation = fn(usize) -> Value;

/// The SCIM API as the seeded directory calls it: every request carries its token.
#[derive(Clone)]
struct Scim {
    /// For the setup's requests, whose answers are read as JSON.
    client: reqwest::Client,
    /// `http://host:port`.
    origin: String,
    /// The path the SCIM API is under.
    prefix: String,
    authorization: HeaderValue,
}

impl Scim {
    fn call(&self, method: Method, path: &str) -> Call {
        let path = format!("{}{path}", self.prefix);
        Call::new(method, path, self.authorization.clone())
    }

    fn get(&self, path: &str) -> Call {
        self.call(Method::GET, path)
    }

    fn post(&self, path: &str) -> Call {
        self.call(Method::POST, path)
    }

    fn patch(&self, path: &str) -> Call {
        self.call(Method::PATCH, path)
    }

    /// A request of the setup, not measured: its status and JSON body.
    async fn fetch(&self, call: Call) -> (u16, Value) {
        let url = format!("{}{}", self.origin, call.path());
        let mut request = self
            .client
            .request(call.method().clone(), url)
            .header(AUTHORIZATION, self.authorization.clone());
        if let Some(body) = call.body() {
            request = request
                .header(CONTENT_TYPE, "application/scim+json")
                .body(body.clone());
        }
        let reply = request.send().await.expect("setup request");
        let status = reply.status().as_u16();
        (status, reply.json().await.unwrap_or(Value::Null))
    }
}

/// Runs `requests` requests, `concurrency` at a time; `make(i)` builds request i.
async fn measure<F>(
    server: &Server,
    name: impl Into<String>,
    requests: usize,
    concurrency: usize,
    expect: u16,
    make: F,
) -> Stats
where
    F: Fn(usize) -> Call + Send + Sync + 'static,
{
    let name = name.into();
    let requests = if wanted(&name) { requests } else { 0 };
    let make = Arc::new(make);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let host = Arc::new(server.base.trim_start_matches("http://").to_owned());
    let cpu_before = server.cpu_seconds();
    let client_before = server::process_cpu_seconds("self");
    let machine_before = server::machine_busy_seconds();
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let make = make.clone();
        let (next, host) = (next.clone(), host.clone());
        workers.push(tokio::spawn(async move {
            let mut connection = None;
            let mut latencies = Vec::new();
            let mut errors = 0;
            let mut statements = (0, 0);
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= requests {
                    break;
                }
                let t = Instant::now();
                if connection.is_none() {
                    connection = Connection::open(&host).await.ok();
                }
                let answer = match connection.as_mut() {
                    Some(connection) => connection.send(make(i)).await.ok(),
                    None => None,
                };
                match answer {
                    Some(answer) if answer.status == expect => {
                        if let Some(n) = answer.statements {
                            statements.0 += n;
                            statements.1 += 1;
                        }
                        latencies.push(t.elapsed());
                    }
                    Some(_) => errors += 1,
                    // The connection failed: the next request opens another.
                    None => {
                        errors += 1;
                        connection = None;
                    }
                }
            }
            (latencies, errors, statements)
        }));
    }
    let mut stats = Stats {
        name,
        latencies: Vec::new(),
        elapsed: Duration::ZERO,
        errors: 0,
        cpu: 0.0,
        client_cpu: 0.0,
        machine_cpu: 0.0,
        statements: (0, 0),
    };
    for worker in workers {
        let (l, e, n) = worker.await.expect("worker");
        stats.latencies.extend(l);
        stats.errors += e;
        stats.statements.0 += n.0;
        stats.statements.1 += n.1;
    }
    stats.elapsed = started.elapsed();
    stats.cpu = server.cpu_seconds() - cpu_before;
    stats.client_cpu = server::process_cpu_seconds("self") - client_before;
    stats.machine_cpu = server::machine_busy_seconds() - machine_before;
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
    let concurrency = env_usize("SCIMD_BENCH_CONCURRENCY", 16);
    let db = Database::create().await;
    let org = server::bootstrap(&db.url);
    let directory = org["directory_id"]
        .as_str()
        .expect("directory id")
        .to_owned();
    let org_id = org["org_id"].as_str().expect("org id").to_owned();
    let token = org["scim_token"]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    // Users past `users` are kept out of the big group, to be added and removed one by one.
    let spare = requests.max(1000);
    db.seed_users(&directory, users + spare).await;
    let started = Instant::now();
    db.seed_group(&org_id, &directory, 0, users).await;
    db.seed_group(&org_id, &directory, 1, 10.min(users)).await;
    let batches = (requests / 50).clamp(5, 40);
    for i in 0..batches {
        db.seed_group(&org_id, &directory, 2 + i, 0).await;
    }
    eprintln!(
        "seeded a group of {users} members in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    // Measure a database in its steady state: planner statistics current, as autovacuum
    // (PostgreSQL) or `PRAGMA optimize` (SQLite) leaves them after a bulk sync.
    db.analyze().await;
    let server = Server::on(&db.url).await;
    let ids: Arc<Vec<String>> = Arc::new((0..users).map(seed::user_id).collect());
    let spare_ids: Arc<Vec<String>> = Arc::new((users..users + spare).map(seed::user_id).collect());
    let (big_group, small_group) = (seed::group_id(0), seed::group_id(1));
    let scim = Scim {
        client: reqwest::Client::new(),
        origin: server.base.clone(),
        prefix: "/scim/v2".to_owned(),
        authorization: HeaderValue::from_str(&format!("Bearer {token}")).expect("token"),
    };
    let context = Context {
        backend: db.backend(),
        users,
        server: server::binary(),
    };
    // The seed is what the server sees: a lookup finds exactly one user.
    let (_, probe) = scim
        .fetch(
            scim.get("/Users")
                .query(&[("filter", "userName eq \"user1@bench.example\"")]),
        )
        .await;
    assert_eq!(
        probe["totalResults"], 1,
        "seeded users are visible: {probe}"
    );
    println!(
        "\nscimd SCIM load: {}, {users} seeded users, {requests} requests per row, \
         {concurrency} concurrent\nserver: {}",
        context.backend, context.server
    );
    println!(
        "{:<30} {:>6} {:>9} {:>8} {:>8} {:>9} {:>9} {:>9} {:>6} {:>6}",
        "operation",
        "ok",
        "req/s",
        "p50 ms",
        "p99 ms",
        "CPU µs/r",
        "load µs/r",
        "all µs/r",
        "stmt/r",
        "errors"
    );

    let pick = |i: usize, n: usize| i.wrapping_mul(2_654_435_761) % n.max(1);
    let s = scim.clone();
    measure(
        &server,
        "create user",
        requests,
        concurrency,
        201,
        move |i| {
            s.post("/Users").json(&json!({
                "userName": format!("new{i}@bench.example"), "externalId": format!("new-{i}"),
                "name": {"givenName": "New", "familyName": format!("N{i}")}, "active": true
            }))
        },
    )
    .await
    .print(&context);

    // The two lookups an IdP makes before creating a user, for a seeded user `n`.
    let lookups: [(&str, Filter); 2] = [
        ("filter userName eq", |n| {
            format!("userName eq \"user{n}@bench.example\"")
        }),
        ("filter externalId eq", |n| {
            format!("externalId eq \"ext-{n}\"")
        }),
    ];
    for (name, filter) in lookups {
        let s = scim.clone();
        measure(&server, name, requests, concurrency, 200, move |i| {
            s.get("/Users").query(&[("filter", filter(pick(i, users)))])
        })
        .await
        .print(&context);
    }

    let (s, ids2) = (scim.clone(), ids.clone());
    measure(&server, "get by id", requests, concurrency, 200, move |i| {
        s.get(&format!("/Users/{}", ids2[pick(i, ids2.len())]))
    })
    .await
    .print(&context);

    // PATCH as IdPs send it: `active` alone (a status change), and a profile attribute
    // (Entra ID and Okta replace a changed title so). Each is one write of the account with
    // the touch of its records.
    let patches: [(&str, PatchOperation); 2] = [
        (
            "patch active",
            |i| json!({"op": "replace", "path": "active", "value": i % 2 == 0}),
        ),
        (
            "patch title",
            |i| json!({"op": "replace", "path": "title", "value": format!("Title {i}")}),
        ),
    ];
    for (name, operation) in patches {
        let (s, ids2) = (scim.clone(), ids.clone());
        measure(&server, name, requests, concurrency, 200, move |i| {
            s.patch(&format!("/Users/{}", ids2[pick(i, ids2.len())]))
                .json(&json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [operation(i)]
                }))
        })
        .await
        .print(&context);
    }

    let s = scim.clone();
    let pages = users.saturating_sub(100).max(1);
    measure(
        &server,
        "page of 100",
        requests.min(500),
        concurrency,
        200,
        move |i| {
            let start = pick(i, pages) + 1;
            s.get(&format!("/Users?startIndex={start}&count=100"))
        },
    )
    .await
    .print(&context);

    paging::run(
        paging::Paging {
            server: &server,
            scim: scim.clone(),
            users,
            requests,
            concurrency,
        },
        &context,
    )
    .await;

    let s = scim.clone();
    measure(
        &server,
        "create group",
        requests,
        concurrency,
        201,
        move |i| {
            s.post("/Groups").json(&json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": format!("Group {i}"), "externalId": format!("g-{i}")
            }))
        },
    )
    .await
    .print(&context);

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
            let (s, spare, g) = (scim.clone(), spare_ids.clone(), group.clone());
            measure(&server, label, requests, concurrency, 200, move |i| {
                s.patch(&format!("/Groups/{g}?excludedAttributes=members"))
                    .json(&member_op(op, &spare[i % spare.len()]))
            })
            .await
            .print(&context);
        }
    }

    // 1,000 members in one PATCH, each into its own empty group.
    let fresh: Vec<String> = (0..batches).map(|i| seed::group_id(2 + i)).collect();
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
    let s = scim.clone();
    measure(
        &server,
        "add 1000 members",
        batches,
        concurrency.min(4),
        200,
        move |i| {
            s.patch(&format!("/Groups/{}?excludedAttributes=members", fresh[i]))
                .json(&body)
        },
    )
    .await
    .print(&context);

    let (s, g) = (scim.clone(), big_group.clone());
    measure(
        &server,
        format!("get {users} group -members"),
        requests,
        concurrency,
        200,
        move |_| s.get(&format!("/Groups/{g}?excludedAttributes=members")),
    )
    .await
    .print(&context);

    let (s, spare) = (scim.clone(), spare_ids.clone());
    measure(
        &server,
        "filter members[value]",
        requests,
        concurrency,
        200,
        move |i| {
            let filter = format!("members[value eq \"{}\"]", spare[i % spare.len()]);
            s.get("/Groups")
                .query(&[("filter", filter), ("excludedAttributes", "members".into())])
        },
    )
    .await
    .print(&context);

    bulk::run(
        bulk::BulkRun {
            server: &server,
            scim: scim.clone(),
            concurrency,
        },
        &context,
    )
    .await;

    let (rss, peak) = server.rss_mib();
    println!("server memory: {rss:.0} MiB resident now, {peak:.0} MiB at peak");
    drop(server);
    db.drop_postgres().await;
}
