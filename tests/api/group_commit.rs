//! Many concurrent write transactions, some failing part-way: on SQLite they share commits
//! (group commit, each in its own savepoint), on PostgreSQL each is its own transaction.
//! Either way every successful one is stored and every failed one left nothing.

use futures_util::future::join_all;
use futures_util::FutureExt;
use scimd::domain::audit::{ActorKind, AuditAction};
use scimd::domain::{AccountId, AccountStatus};
use scimd::store::{self, NewAccount, NewAuditEntry, StoreError};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_backends;

/// The audit entry a transaction writes beside its account: audit entries are written by
/// the transaction's last statement, the one that also opens the next member's savepoint.
fn audit_of(email: &str) -> NewAuditEntry {
    NewAuditEntry {
        at: 1,
        org_id: None,
        account_id: None,
        actor_kind: ActorKind::System,
        actor_id: email.to_owned(),
        action: AuditAction::AccountCreated,
        detail: json!({}),
    }
}

/// Writes `email`'s account and its audit entry in `tx`.
async fn insert_audited(tx: &mut scimd::store::Tx, email: &str) {
    store::insert_account(tx, &account(email))
        .await
        .expect("insert");
    store::append_audit(tx, &audit_of(email))
        .await
        .expect("audit");
}

/// Whether `email`'s account is committed, as a reader sees it.
async fn stored(store: &scimd::store::Store, email: &str) -> bool {
    let mut conn = store.read().await.expect("a reader");
    let found = store::find_account_by_email(&mut conn, email)
        .await
        .expect("read");
    found.is_some()
}

async fn audited(conn: &mut scimd::store::Conn, email: &str) -> i64 {
    store::query("SELECT COUNT(*) FROM audit_log WHERE actor_id = $1")
        .bind(email)
        .scalar(conn)
        .await
        .unwrap()
}

fn account(email: &str) -> NewAccount {
    NewAccount {
        id: AccountId::new(),
        email: email.into(),
        display_name: None,
        profile: json!({"emails": [{"value": email, "primary": true}]}),
        status: AccountStatus::Active,
        at: 1,
    }
}

/// 100 transactions at once; every third writes a row, then hits a unique violation and
/// gives up (half of those roll back explicitly, half are just dropped).
async fn failed_transactions_leave_nothing_among_concurrent_ones(db: TestDb) {
    let store = db.store().await;
    let mut tx = store.begin().await.unwrap();
    store::insert_account(&mut tx, &account("taken@acme.example"))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let attempts = (0..100).map(|i| {
        let store = store.clone();
        async move {
            let mut tx = store.begin().await.unwrap();
            let email = format!("user{i}@acme.example");
            store::insert_account(&mut tx, &account(&email))
                .await
                .unwrap();
            store::append_audit(&mut tx, &audit_of(&email))
                .await
                .unwrap();
            if i % 3 != 0 {
                tx.commit().await.unwrap();
                return (i, true);
            }
            let clash = store::insert_account(&mut tx, &account("TAKEN@acme.example")).await;
            assert!(matches!(clash, Err(StoreError::Conflict)), "{clash:?}");
            if i % 2 == 0 {
                tx.rollback().await.unwrap();
            } else {
                drop(tx);
            }
            (i, false)
        }
    });
    let outcomes = join_all(attempts).await;
    if let Some(stats) = store.group_commit_stats() {
        // 67 commits of one transaction each would mean nothing was shared.
        assert!(stats.transactions > stats.commits, "{stats:?}");
        assert!(
            stats.savepoints_joined > 0,
            "a committing member opens the next one's savepoint: {stats:?}"
        );
    }
    let mut conn = store.read().await.unwrap();
    for (i, committed) in outcomes {
        let email = format!("user{i}@acme.example");
        let found = store::find_account_by_email(&mut conn, &email)
            .await
            .unwrap();
        assert_eq!(found.is_some(), committed, "user{i}");
        assert_eq!(
            audited(&mut conn, &email).await,
            i64::from(committed),
            "user{i}"
        );
    }
    let taken = store::find_account_by_email(&mut conn, "taken@acme.example")
        .await
        .unwrap();
    assert!(taken.is_some());
}

/// Requests cancelled at any point (clients time out, connections drop) leave no half
/// transaction behind and do not wedge the writer for those after them.
async fn cancelled_transactions_leave_nothing_and_block_nobody(db: TestDb) {
    let store = db.store().await;
    let attempts = (0..200u64).map(|i| {
        let store = store.clone();
        async move {
            let work = async {
                let email = format!("c{i}@acme.example");
                let mut tx = store.begin().await?;
                store::insert_account(&mut tx, &account(&email)).await?;
                store::append_audit(&mut tx, &audit_of(&email)).await?;
                tx.commit().await?;
                Ok::<_, StoreError>(())
            };
            // Deadlines from nothing to a few milliseconds cut the work at every stage.
            let deadline = std::time::Duration::from_micros((i * 37) % 4000);
            let _ = tokio::time::timeout(deadline, work).await;
        }
    });
    join_all(attempts).await;

    let mut tx = store.begin().await.unwrap();
    store::insert_account(&mut tx, &account("after@acme.example"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut conn = store.read().await.unwrap();
    assert!(
        store::find_account_by_email(&mut conn, "after@acme.example")
            .await
            .unwrap()
            .is_some()
    );
    for i in 0..200 {
        let email = format!("c{i}@acme.example");
        let account = store::find_account_by_email(&mut conn, &email)
            .await
            .unwrap();
        let rows: i64 = store::query("SELECT COUNT(*) FROM account_emails WHERE value_lower = $1")
            .bind(email.as_str())
            .scalar(&mut conn)
            .await
            .unwrap();
        assert_eq!(
            (account.is_some(), rows),
            (rows == 1, rows),
            "{email}: an account and its email rows exist together or not at all"
        );
        assert_eq!(
            audited(&mut conn, &email).await,
            rows,
            "{email}: and its audit entry with them"
        );
    }
}

/// A request cancelled right after its transaction's first statement went out (one poll of
/// it: on SQLite, which takes the writer then, the `BEGIN` or `SAVEPOINT` is sent and
/// runs, unanswered) leaves the writer usable: every later transaction commits, and the
/// committed ones stay.
async fn a_transaction_cancelled_while_it_opens_blocks_nobody(db: TestDb) {
    let store = db.store().await;
    for i in 0..20 {
        // Usually still opening after one poll; if the worker answered within it, the
        // transaction is dropped instead, which is a cancellation too.
        let mut cancelled = store.begin().await.expect("begin");
        drop(
            store::query("SELECT 1")
                .execute(&mut cancelled)
                .now_or_never(),
        );
        drop(cancelled);
        let mut tx = store.begin().await.expect("the writer is free");
        store::insert_account(&mut tx, &account(&format!("o{i}@acme.example")))
            .await
            .expect("insert");
        tx.commit().await.expect("commit");
    }
    let mut conn = store.read().await.unwrap();
    for i in 0..20 {
        let email = format!("o{i}@acme.example");
        let found = store::find_account_by_email(&mut conn, &email).await;
        assert!(found.unwrap().is_some(), "{email} was committed");
    }
}

fn user(name: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": format!("{name}@acme.example"),
        "emails": [{"value": format!("{name}@acme.example"), "type": "work", "primary": true}],
        "active": true
    })
}

/// 100 SCIM creates at once: valid ones, twins of a valid one (one of each pair wins), and
/// ones refused (another org's domain would need this org's profile; malformed bodies).
async fn concurrent_creates_with_invalid_ones_among_them(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let token = org.scim_token.token.clone();
    let bodies: Vec<(String, Value)> = (0..100)
        .map(|i| match i % 10 {
            0 => (
                format!("bad{i}"),
                json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]}),
            ),
            1 => (
                format!("bad{i}"),
                json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                                           "userName": format!("bad{i}@acme.example"),
                                           "emails": [{"value": format!("bad{i}@acme.example")}],
                                           "active": "maybe"}),
            ),
            2 | 3 => ("twin".to_owned(), user("twin")),
            _ => (format!("user{i}"), user(&format!("user{i}"))),
        })
        .collect();
    let replies = join_all(
        bodies
            .iter()
            .map(|(_, body)| app.post("/Users", &token, body.clone())),
    )
    .await;
    let mut created = 0;
    let mut twins = 0;
    for ((name, _), reply) in bodies.iter().zip(&replies) {
        match (name.as_str(), reply.status) {
            ("twin", 201) => twins += 1,
            ("twin", 409) => {}
            (n, 400) if n.starts_with("bad") => {}
            (n, 201) if n.starts_with("user") => {
                created += 1;
                let id = reply.body["id"].as_str().unwrap();
                let read = app.get(&format!("/Users/{id}"), &token).await;
                assert_eq!(read.status, 200, "an acknowledged create is stored");
            }
            (n, status) => panic!("{n}: unexpected {status}: {}", reply.body),
        }
    }
    assert_eq!((created, twins), (60, 1));
    let all = app.get("/Users?count=0", &token).await;
    assert_eq!(all.body["totalResults"], 61, "nothing else was stored");
    let mut conn = app.store.read().await.unwrap();
    for i in [0, 1, 10, 11] {
        let stray = store::find_account_by_email(&mut conn, &format!("bad{i}@acme.example"))
            .await
            .unwrap();
        assert!(stray.is_none(), "a refused create left no account");
    }
}

on_both_backends! {
    failed_transactions_leave_nothing_among_concurrent_ones => test_db,
    cancelled_transactions_leave_nothing_and_block_nobody => test_db,
    a_transaction_cancelled_while_it_opens_blocks_nobody => test_db,
    concurrent_creates_with_invalid_ones_among_them => spawn_app,
}

/// A store on a fresh SQLite database (kept while the test holds it), or none where the
/// tests skip SQLite.
async fn sqlite_store() -> Option<(TestDb, scimd::store::Store)> {
    let db = test_db(Backend::Sqlite).await?;
    let store = db.store().await;
    Some((db, store))
}

/// The writer keeps its savepoints' sub-journal in memory (store/open.rs): in a temporary
/// file, each member's first change of a page cost a write system call.
#[tokio::test]
async fn the_sqlite_writer_journals_its_savepoints_in_memory() {
    let Some((_db, store)) = sqlite_store().await else {
        return;
    };
    let mut tx = store.begin().await.expect("begin");
    let temp_store: i64 = store::query("PRAGMA temp_store")
        .scalar(&mut tx)
        .await
        .expect("the writer's temp_store");
    tx.commit().await.expect("commit");
    const MEMORY: i64 = 2;
    assert_eq!(temp_store, MEMORY);
}

/// The bundled SQLite is built as `.cargo/config.toml` says: without the global page-cache
/// LRU and without memory statistics, whose global mutexes the reader connections' threads
/// contended for (docs/architecture.md, "Memory").
#[tokio::test]
async fn sqlite_is_built_without_global_cache_and_memory_statistics() {
    let Some((_db, store)) = sqlite_store().await else {
        return;
    };
    let mut conn = store.read().await.expect("a reader");
    let options: Vec<String> = store::query("PRAGMA compile_options")
        .scalars(&mut conn)
        .await
        .expect("compile options");
    assert!(
        options.iter().any(|o| o.starts_with("THREADSAFE=")),
        "the options are listed: {options:?}"
    );
    assert!(
        !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
        "{options:?}"
    );
    assert!(
        options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
        "{options:?}"
    );
}

/// On SQLite a commit, once its first poll has sent its last statement (which also opens
/// the next member's savepoint), runs to its end even if its request goes away: sqlx's
/// worker would otherwise stop that text at the first result nobody waits for, and the
/// writer would be left without the savepoint the batch counts on.
#[tokio::test]
async fn a_started_sqlite_commit_runs_to_its_end() {
    let Some((_db, store)) = sqlite_store().await else {
        return;
    };
    for i in 0..10 {
        let email = format!("gone{i}@acme.example");
        let mut tx = store.begin().await.expect("begin");
        insert_audited(&mut tx, &email).await;
        drop(tx.commit().now_or_never());
        // The next transaction queues behind the abandoned commit, so once it commits, that
        // one has ended.
        let mut next = store.begin().await.expect("the writer is free");
        let after = format!("after{i}@acme.example");
        store::insert_account(&mut next, &account(&after))
            .await
            .expect("insert after");
        next.commit().await.expect("commit after");
        assert!(
            stored(&store, &email).await,
            "{email}: the commit ran to its end"
        );
        let mut conn = store.read().await.expect("a reader");
        assert_eq!(
            audited(&mut conn, &email).await,
            1,
            "{email}: with its audit entry"
        );
    }
}

/// A transaction alone at the writer commits in the text of its last statement (its audit
/// entry): no round trip of its own for the COMMIT.
#[tokio::test]
async fn a_lone_sqlite_transaction_carries_its_commit() {
    let Some((_db, store)) = sqlite_store().await else {
        return;
    };
    let before = store
        .group_commit_stats()
        .expect("SQLite commits in groups");
    for i in 0..3 {
        let email = format!("alone{i}@acme.example");
        let mut tx = store.begin().await.expect("begin");
        insert_audited(&mut tx, &email).await;
        tx.commit().await.expect("commit");
        assert!(stored(&store, &email).await, "{email} is committed");
    }
    let after = store
        .group_commit_stats()
        .expect("SQLite commits in groups");
    assert_eq!(after.commits - before.commits, 3, "{after:?}");
    assert_eq!(
        after.commits_carried - before.commits_carried,
        3,
        "{after:?}"
    );
}

/// A COMMIT carried by the batch's last member that fails (here a deferred foreign key)
/// takes back only that member: the one released into the batch before it is committed.
#[tokio::test]
async fn a_failed_carried_commit_undoes_only_its_own_transaction() {
    let Some(db) = test_db(Backend::Sqlite).await else {
        return;
    };
    // The batch waits for the second transaction however slow the machine is.
    let options = scimd::store::StoreOptions {
        group_commit_wait: std::time::Duration::from_secs(60),
        ..Default::default()
    };
    let store = scimd::store::Store::connect_with_options(Some(&db.url), &options)
        .await
        .expect("connect");
    let before = store
        .group_commit_stats()
        .expect("SQLite commits in groups");
    let mut first = store.begin().await.expect("begin");
    // A transaction takes the writer at its first statement.
    store::query("SELECT 1")
        .execute(&mut first)
        .await
        .expect("the first transaction takes the writer");
    let second = tokio::spawn({
        let store = store.clone();
        async move {
            let mut tx = store.begin().await.expect("begin");
            insert_audited(&mut tx, "second@acme.example").await;
            store::query("PRAGMA defer_foreign_keys = ON")
                .execute(&mut tx)
                .await
                .expect("pragma");
            store::query("INSERT INTO content_counters (account_id) VALUES ('nobody')")
                .execute(&mut tx)
                .await
                .expect("checked only at COMMIT");
            tx.commit().await
        }
    });
    // The second transaction now queues for the writer, so the first one's commit leaves
    // the batch open for it, and its own last statement is the one that carries the COMMIT.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    insert_audited(&mut first, "first@acme.example").await;
    first.commit().await.expect("the first transaction commits");
    let refused = second.await.expect("joined");
    assert!(
        refused.is_err(),
        "the deferred foreign key fails the COMMIT"
    );
    let after = store
        .group_commit_stats()
        .expect("SQLite commits in groups");
    assert_eq!(after.commits - before.commits, 1, "one batch: {after:?}");
    assert_eq!(after.transactions - before.transactions, 1, "{after:?}");
    let mut conn = store.read().await.expect("a reader");
    for (email, kept) in [("first@acme.example", true), ("second@acme.example", false)] {
        let found = store::find_account_by_email(&mut conn, email)
            .await
            .expect("read");
        assert_eq!(found.is_some(), kept, "{email}");
        assert_eq!(audited(&mut conn, email).await, i64::from(kept), "{email}");
    }
    let orphans: i64 = store::query("SELECT COUNT(*) FROM content_counters")
        .scalar(&mut conn)
        .await
        .expect("count");
    assert_eq!(orphans, 0);
    let mut next = store.begin().await.expect("the writer is free");
    store::insert_account(&mut next, &account("next@acme.example"))
        .await
        .expect("insert");
    next.commit().await.expect("commit");
}
