//! The store's own connection pools (store/conn_pool.rs): a connection goes back to its pool
//! without a test round trip, so what a cut-off request leaves behind must be dealt with
//! otherwise. A write transaction dropped unfinished lets go of the database at once; a
//! connection whose statement was cancelled, or whose server went away, never answers the
//! next request wrongly.

use std::time::{Duration, Instant};

use scimd::store::{query, Backend as StoreBackend, Store};

use crate::helpers::*;
use crate::on_both_backends;

async fn probe_table(store: &Store) {
    let mut tx = store.begin().await.expect("begin");
    query("CREATE TABLE pool_probe (id BIGINT PRIMARY KEY)")
        .execute(&mut tx)
        .await
        .expect("create probe table");
    query("INSERT INTO pool_probe (id) VALUES (1)")
        .execute(&mut tx)
        .await
        .expect("probe row");
    tx.commit().await.expect("commit");
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
            let slow = match store.backend() {
                StoreBackend::Postgres => "SELECT pg_sleep(1)",
                StoreBackend::Sqlite => {
                    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c \
                     WHERE x < 3000000) SELECT count(*) FROM c"
                }
            };
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
        let mut tx = store.begin().await.expect("begin");
        query("UPDATE pool_probe SET id = 1")
            .execute(&mut tx)
            .await
            .expect("reset");
        tx.commit().await.expect("commit reset");
    }
}

async fn a_read_cut_off_mid_statement_leaves_a_connection_that_answers_right(db: TestDb) {
    // One connection, so the next read must use the very one that was cut off.
    let store = Store::connect(Some(&db.url), 1).await.expect("store");
    for round in 0..3_i64 {
        let mut conn = store.read().await.expect("read");
        let slow = match store.backend() {
            StoreBackend::Postgres => "SELECT pg_sleep(1)",
            StoreBackend::Sqlite => {
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c \
                 WHERE x < 3000000) SELECT count(*) FROM c"
            }
        };
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
    let mut conn = store.read().await.expect("read");
    let alive: i64 = query("SELECT CAST(1 AS BIGINT)")
        .scalar(&mut conn)
        .await
        .expect("first read");
    assert_eq!(alive, 1);
    drop(conn);
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
