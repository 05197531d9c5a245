//! Statements run straight on a store, for the tests of the store's own connections.

use scimd::store::{query, Store};

/// Runs `statements` in one write transaction and commits it.
pub async fn write_all(store: &Store, statements: &[&str]) {
    let mut tx = store.begin().await.expect("begin");
    for sql in statements {
        if let Err(err) = query(sql).execute(&mut tx).await {
            panic!("{sql}: {err}");
        }
    }
    tx.commit().await.expect("commit");
}

/// The integer a statement answers, on a read connection.
pub async fn read_i64(store: &Store, sql: &str) -> i64 {
    let mut conn = store.read().await.expect("read");
    match query(sql).scalar(&mut conn).await {
        Ok(value) => value,
        Err(err) => panic!("{sql}: {err}"),
    }
}

/// [`read_i64`] of a statement with one value bound to `$1`.
pub async fn read_i64_of(store: &Store, sql: &str, value: impl scimd::store::IntoParam) -> i64 {
    let mut conn = store.read().await.expect("read");
    match query(sql).bind(value).scalar(&mut conn).await {
        Ok(value) => value,
        Err(err) => panic!("{sql}: {err}"),
    }
}

/// A statement that runs for about a second, to be cut off part way.
pub fn slow_statement(store: &Store) -> &'static str {
    match store.backend() {
        scimd::store::Backend::Postgres => "SELECT pg_sleep(1)",
        scimd::store::Backend::Sqlite => {
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c \
             WHERE x < 3000000) SELECT count(*) FROM c"
        }
    }
}
