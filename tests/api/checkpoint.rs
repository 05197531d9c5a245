//! SQLite checkpoints run off the write path (store/checkpoint.rs): the writer's own
//! auto-checkpoint is only a safety net far above SQLite's default of 1000 pages, and a
//! background connection copies the WAL into the database file. SQLite only.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use scimd::store::{query, Store, StoreOptions, WRITER_AUTOCHECKPOINT_PAGES};

use crate::helpers::*;

async fn sqlite_store(checkpoint_interval: Duration) -> Option<(TestDb, Store)> {
    let db = test_db(Backend::Sqlite).await?;
    let options = StoreOptions {
        checkpoint_interval,
        ..StoreOptions::default()
    };
    let store = Store::connect_with_options(Some(&db.url), &options)
        .await
        .expect("store");
    let table = "CREATE TABLE checkpoint_probe (id INTEGER PRIMARY KEY, body BLOB NOT NULL)";
    write_all(&store, &[table]).await;
    Some((db, store))
}

fn database_file(db: &TestDb) -> PathBuf {
    PathBuf::from(db.url.strip_prefix("sqlite://").expect("a SQLite URL"))
}

/// The database as every connection sees it (the file and the WAL together), in bytes.
async fn logical_size(store: &Store) -> u64 {
    let pages = read_i64(store, "PRAGMA page_count").await;
    let page_size = read_i64(store, "PRAGMA page_size").await;
    u64::try_from(pages * page_size).expect("a size")
}

/// The database file alone: what checkpoints have copied into it.
fn file_size(db: &TestDb) -> u64 {
    std::fs::metadata(database_file(db))
        .expect("database file")
        .len()
}

/// `rows` transactions of one row each, about one page per row.
async fn write_burst(store: &Store, rows: usize, per_transaction: usize) {
    for _ in 0..rows / per_transaction {
        let mut tx = store.begin().await.expect("begin");
        for _ in 0..per_transaction {
            query("INSERT INTO checkpoint_probe (body) VALUES (zeroblob($1))")
                .bind(3000_i64)
                .execute(&mut tx)
                .await
                .expect("insert");
        }
        tx.commit().await.expect("commit");
    }
}

#[tokio::test]
async fn the_writer_leaves_checkpoints_to_the_background() {
    let Some((db, store)) = sqlite_store(Duration::from_secs(3600)).await else {
        return;
    };
    let mut tx = store.begin().await.expect("begin");
    let limit: i64 = query("PRAGMA wal_autocheckpoint")
        .scalar(&mut tx)
        .await
        .expect("the writer's auto-checkpoint limit");
    tx.commit().await.expect("commit");
    assert_eq!(limit, i64::from(WRITER_AUTOCHECKPOINT_PAGES));

    // Past SQLite's default limit of 1000 WAL pages in one commit: with it, that COMMIT
    // would have checkpointed the whole WAL into the file before returning.
    let before = file_size(&db);
    write_burst(&store, 1500, 1500).await;
    let logical = logical_size(&store).await;
    assert!(
        logical >= before + 1500 * 3000,
        "the burst grew the database"
    );
    assert_eq!(
        file_size(&db),
        before,
        "the writer checkpointed inside its COMMIT"
    );

    // Closing still leaves everything in the file, and no WAL behind: the last connection
    // to close (the writer) checkpoints all of it.
    store.close().await;
    assert_eq!(
        file_size(&db),
        logical,
        "the file holds every page after close"
    );
    let wal = database_file(&db).with_extension("db-wal");
    assert!(
        !wal.exists(),
        "the WAL was left behind at {}",
        wal.display()
    );
}

/// Writes a burst far below 1000 WAL pages (SQLite's own auto-checkpoint would not run at
/// all) and waits up to `deadline` for the database file to hold all of it; whether it did.
async fn burst_reaches_the_file(db: &TestDb, store: &Store, deadline: Duration) -> bool {
    let rows_before = read_i64(store, "SELECT count(*) FROM checkpoint_probe").await;
    let before = file_size(db);
    write_burst(store, 100, 1).await;
    let logical = logical_size(store).await;
    assert!(logical > before, "the burst grew the database");
    let started = Instant::now();
    while file_size(db) != logical && started.elapsed() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Readers still see every row.
    let rows = read_i64(store, "SELECT count(*) FROM checkpoint_probe").await;
    assert_eq!(rows, rows_before + 100);
    file_size(db) == logical
}

#[tokio::test]
async fn the_background_checkpoints_the_wal_soon_after_a_burst() {
    let Some((db, store)) = sqlite_store(Duration::from_millis(200)).await else {
        return;
    };
    assert!(
        burst_reaches_the_file(&db, &store, Duration::from_secs(10)).await,
        "the WAL was not checkpointed into the database file"
    );
}

/// By default the WAL is copied into the file within a fraction of a second, so reads
/// after a burst of writes soon stop looking their pages up in the WAL (see
/// `DEFAULT_CHECKPOINT_INTERVAL`). Checkpointed once a second, as before, the file would
/// lag the burst by most of a second.
#[tokio::test]
async fn by_default_the_wal_reaches_the_file_within_half_a_second() {
    let Some((db, store)) = sqlite_store(StoreOptions::default().checkpoint_interval).await else {
        return;
    };
    // Twice: the second burst starts at no particular point of the interval.
    for burst in 1..=2 {
        assert!(
            burst_reaches_the_file(&db, &store, Duration::from_millis(500)).await,
            "burst {burst} was still only in the WAL half a second after it"
        );
    }
}
