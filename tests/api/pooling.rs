//! The store's own connection pools (store/conn_pool.rs): a connection goes back to its pool
//! without a test round trip, so what a cut-off request leaves behind must be dealt with
//! otherwise. A write transaction dropped unfinished lets go of the database at once; a
//! connection whose statement was cancelled, or whose server went away, never answers the
//! next request wrongly. Connections idle or old past the store's limits are closed, and
//! a store closed or dropped lets go of every connection.

use std::time::{Duration, Instant};

use scimd::store::{query, Store, StoreOptions};

use crate::helpers::*;
use crate::on_both_backends;

async fn probe_table(store: &Store) {
    let table = "CREATE TABLE pool_probe (id BIGINT PRIMARY KEY)";
    write_all(store, &[table, "INSERT INTO pool_probe (id) VALUES (1)"]).await;
}

/// How long a second store (another scimd process, say) waits to write the probe row's
/// table, which a dropped transaction of the first held.
async fn wait_to_write(other: &Store) -> Duration {
    let started = Instant::now();
    let mut tx = other.begin().await.expect("begin elsewhere");
    // PostgreSQL: waits for the row lock; SQLite: for the write lock (`BEGIN IMMEDIATE`).
    let updated = query("UPDATE pool_probe SET id = 3 WHERE id = 1")
        .execute(&mut tx)
        .await
        .expect("write elsewhere");
    assert_eq!(
        updated, 1,
        "the other store sees the row as it was before the drop"
    );
    tx.commit().await.expect("commit elsewhere");
    started.elapsed()
}

async fn a_transaction_dropped_unfinished_lets_go_at_once(db: TestDb) {
    let store = db.store().await;
    probe_table(&store).await;
    let other = db.store().await;
    for cut_off_mid_statement in [false, true] {
        let mut tx = store.begin().await.expect("begin");
        // Locks the row (PostgreSQL) or takes the write lock (SQLite) until the end.
        query("UPDATE pool_probe SET id = 2 WHERE id = 1")
            .execute(&mut tx)
            .await
            .expect("update");
        if cut_off_mid_statement {
            let slow = slow_statement(&store);
            let cut =
                tokio::time::timeout(Duration::from_millis(100), query(slow).execute(&mut tx));
            assert!(cut.await.is_err(), "the slow statement is cut off");
        }
        drop(tx);
        // The pool is idle from here on: nothing else would ever end the transaction. A
        // cut-off statement runs to its end first (about a second).
        let waited = tokio::time::timeout(Duration::from_secs(8), wait_to_write(&other))
            .await
            .expect("the dropped transaction still holds the database after 8 s");
        assert!(
            waited < Duration::from_secs(4),
            "the dropped transaction held the database for {waited:?}"
        );
        // What the dropped transaction changed is gone; the other store's change stays.
        let mut conn = store.read().await.expect("read");
        let ids: Vec<i64> = query("SELECT id FROM pool_probe ORDER BY id")
            .scalars(&mut conn)
            .await
            .expect("probe rows");
        assert_eq!(
            ids,
            vec![3],
            "the dropped transaction's update was rolled back"
        );
        drop(conn);
        write_all(&store, &["UPDATE pool_probe SET id = 1"]).await;
    }
}

async fn a_read_cut_off_mid_statement_leaves_a_connection_that_answers_right(db: TestDb) {
    // One connection, so the next read must use the very one that was cut off.
    let store = Store::connect(Some(&db.url), 1).await.expect("store");
    for round in 0..3_i64 {
        let mut conn = store.read().await.expect("read");
        let slow = slow_statement(&store);
        let cut = tokio::time::timeout(Duration::from_millis(100), query(slow).execute(&mut conn));
        assert!(cut.await.is_err(), "the slow statement is cut off");
        drop(conn);
        let mut conn = store.read().await.expect("read again");
        let answer: i64 = query("SELECT CAST($1 AS BIGINT)")
            .bind(round + 40)
            .scalar(&mut conn)
            .await
            .expect("the next statement on the same connection");
        assert_eq!(answer, round + 40);
    }
}

on_both_backends! {
    a_transaction_dropped_unfinished_lets_go_at_once => test_db,
    a_read_cut_off_mid_statement_leaves_a_connection_that_answers_right => test_db,
}

/// A connection whose server end went away is tested and replaced, not handed out again
/// and again. PostgreSQL only: an embedded SQLite connection cannot lose its server.
#[tokio::test]
async fn a_connection_the_server_dropped_is_replaced() {
    // Without PostgreSQL on a developer machine there is nothing to test; CI requires it.
    let Some(db) = test_db(Backend::Postgres).await else {
        return;
    };
    let store = Store::connect(Some(&db.url), 1).await.expect("store");
    assert_eq!(read_i64(&store, "SELECT CAST(1 AS BIGINT)").await, 1);
    // Another session ends every other backend on the test database (ours included).
    let admin = Store::connect(Some(&db.url), 1).await.expect("admin store");
    let mut killer = admin.read().await.expect("admin read");
    let ended: Vec<bool> = query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .scalars(&mut killer)
    .await
    .expect("terminate backends");
    assert!(
        ended.iter().any(|ended| *ended),
        "the store's backend was ended"
    );
    // The first use may still meet the dead connection; every later one gets a fresh one.
    let mut failures = 0;
    for _ in 0..5 {
        let mut conn = store.read().await.expect("read");
        match query("SELECT CAST(7 AS BIGINT)")
            .scalar::<i64>(&mut conn)
            .await
        {
            Ok(seven) => assert_eq!(seven, 7),
            Err(_) => failures += 1,
        }
    }
    assert!(
        failures <= 1,
        "{failures} reads failed after the server dropped the connection"
    );
}

/// A store whose pooled connections expire fast, checked every 100 ms; one connection, so
/// that every read uses the same one while it lives.
async fn expiring_store(db: &TestDb, idle_timeout: Duration, max_lifetime: Duration) -> Store {
    let options = StoreOptions {
        pool_size: 1,
        idle_timeout,
        max_lifetime,
        expiry_interval: Duration::from_millis(100),
        ..StoreOptions::default()
    };
    Store::connect_with_options(Some(&db.url), &options)
        .await
        .expect("store")
}

/// Idle connections in the pool requests use (SQLite: the readers; the writer stays open).
fn idle_connections(store: &Store) -> u32 {
    store
        .pool_usage()
        .iter()
        .filter(|pool| pool.name != "write")
        .map(|pool| pool.idle)
        .sum()
}

/// Sessions the PostgreSQL server holds for the test database, seen from a connection of
/// the test's own (`None` on SQLite).
async fn server_sessions(db: &TestDb) -> Option<i64> {
    use sqlx::Connection;
    if !db.url.starts_with("postgres") {
        return None;
    }
    let mut conn = sqlx::PgConnection::connect(&db.url)
        .await
        .expect("the test's own connection");
    let sessions: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
         AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
    )
    .fetch_one(&mut conn)
    .await
    .expect("count sessions");
    let _ = conn.close().await;
    Some(sessions)
}

/// Polls `done` every 50 ms for up to `limit`; whether it came true.
async fn eventually<F: std::future::Future<Output = bool>>(
    limit: Duration,
    mut done: impl FnMut() -> F,
) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if done().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done().await
}

/// Whether, within ten seconds, the store holds nothing (`holds_none`) and the server has
/// no session of the test database left.
async fn all_let_go(db: &TestDb, holds_none: impl Fn() -> bool + Copy) -> bool {
    eventually(Duration::from_secs(10), || async move {
        holds_none() && server_sessions(db).await.unwrap_or(0) == 0
    })
    .await
}

async fn an_idle_connection_is_closed(db: TestDb) {
    let store = expiring_store(&db, Duration::from_secs(2), Duration::from_secs(3600)).await;
    assert!(store.ping().await);
    assert_eq!(
        idle_connections(&store),
        1,
        "the read left its connection idle"
    );
    if let Some(sessions) = server_sessions(&db).await {
        assert_eq!(
            sessions, 1,
            "the store's one connection is open on the server"
        );
    }
    let closed = all_let_go(&db, || idle_connections(&store) == 0).await;
    assert!(
        closed,
        "the idle connection is still open: {} idle, {:?} server sessions",
        idle_connections(&store),
        server_sessions(&db).await
    );
    // The store opens a new one for the next request.
    assert_eq!(read_i64(&store, "SELECT CAST(42 AS BIGINT)").await, 42);
    assert_eq!(idle_connections(&store), 1);
}

/// Whether the connection a read gets is the one `mark_connection` marked (a temporary
/// table lives as long as its connection, on both backends).
async fn marked(store: &Store) -> bool {
    let mut conn = store.read().await.expect("read");
    query("SELECT count(*) FROM connection_mark")
        .scalar::<i64>(&mut conn)
        .await
        .is_ok()
}

async fn mark_connection(store: &Store) {
    let mut conn = store.read().await.expect("read");
    query("CREATE TEMPORARY TABLE connection_mark (id BIGINT)")
        .execute(&mut conn)
        .await
        .expect("mark the connection");
}

async fn a_connection_past_its_lifetime_is_replaced_though_in_use(db: TestDb) {
    let store = expiring_store(&db, Duration::from_secs(3600), Duration::from_secs(1)).await;
    mark_connection(&store).await;
    assert!(marked(&store).await, "one connection serves every read");
    // Used every 100 ms, it is never idle for long; its age alone retires it.
    let store = &store;
    let replaced = eventually(
        Duration::from_secs(10),
        || async move { !marked(store).await },
    )
    .await;
    assert!(replaced, "the connection outlived its lifetime");
}

async fn a_connection_in_use_is_not_taken_as_idle(db: TestDb) {
    let store = expiring_store(&db, Duration::from_secs(1), Duration::from_secs(3600)).await;
    mark_connection(&store).await;
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(2500) {
        assert!(
            marked(&store).await,
            "a connection used every 200 ms was closed after {:?}",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Files of the test's SQLite database this process holds open (SQLite: the store's
/// connections, each with its worker thread).
fn open_database_files(db: &TestDb) -> usize {
    let Some(dir) = db
        .url
        .strip_prefix("sqlite://")
        .and_then(|path| std::path::Path::new(path).parent())
    else {
        return 0;
    };
    std::fs::read_dir("/proc/self/fd")
        .expect("this process's open files (Linux)")
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter(|target| target.starts_with(dir))
        .count()
}

/// Neither a closed store nor one merely dropped keeps a connection (or, on SQLite, a
/// worker thread) open: its background tasks hold no part of it.
async fn a_store_closed_or_dropped_lets_go_of_its_connections(db: TestDb) {
    for close in [true, false] {
        let store = db.store().await;
        assert!(store.ping().await);
        write_all(&store, &["SELECT 1"]).await;
        if close {
            store.close().await;
        }
        drop(store);
        let db = &db;
        let released = all_let_go(db, || open_database_files(db) == 0).await;
        assert!(
            released,
            "a store (closed: {close}) still holds {} files, {:?} server sessions",
            open_database_files(db),
            server_sessions(db).await
        );
    }
}

on_both_backends! {
    an_idle_connection_is_closed => test_db,
    a_connection_past_its_lifetime_is_replaced_though_in_use => test_db,
    a_connection_in_use_is_not_taken_as_idle => test_db,
    a_store_closed_or_dropped_lets_go_of_its_connections => test_db,
}
