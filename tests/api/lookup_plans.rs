//! The indexes every lookup relies on serve it as intended, on both backends' planners.

use sqlx::{Connection, Row};

use crate::helpers::TestDb;
use crate::on_both_backends;

/// What a user's lookup asks of `group_members` for its `groups` and `entitlements`: the
/// groups of one account.
const GROUPS_OF_ACCOUNT: &str = "SELECT group_id FROM group_members WHERE account_id = $1";

/// Its plan, as the backend's planner prints it (PostgreSQL told to prefer indexes as it
/// does for a large table: a test database's few rows would make it scan them).
async fn plan_of_groups_lookup(db: &TestDb) -> String {
    let lines: Vec<String> = if db.url.starts_with("sqlite") {
        let mut conn = sqlx::SqliteConnection::connect(&db.url)
            .await
            .expect("connect");
        let sql = format!("EXPLAIN QUERY PLAN {GROUPS_OF_ACCOUNT}");
        let rows = sqlx::query(&sql)
            .bind("0ac00000-0000-4000-8000-000000000001")
            .fetch_all(&mut conn)
            .await
            .expect("plan");
        rows.iter().map(|r| r.get::<String, _>("detail")).collect()
    } else {
        let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");
        for setting in ["SET enable_seqscan = off", "SET enable_bitmapscan = off"] {
            sqlx::query(setting).execute(&mut conn).await.expect("set");
        }
        let sql = format!("EXPLAIN {GROUPS_OF_ACCOUNT}");
        let rows = sqlx::query(&sql)
            .bind(uuid::Uuid::nil())
            .fetch_all(&mut conn)
            .await
            .expect("plan");
        rows.iter().map(|r| r.get::<String, _>(0)).collect()
    };
    lines.join("\n")
}

/// The group ids come from the index alone: at 100,000 users the table's row was a page read
/// (mostly from outside SQLite's cache) per membership per lookup.
async fn a_users_groups_are_read_from_the_index_alone(db: TestDb) {
    drop(db.store().await);
    let plan = plan_of_groups_lookup(&db).await;
    let covered = if db.url.starts_with("sqlite") {
        "USING COVERING INDEX group_members_account_group"
    } else {
        "Index Only Scan using group_members_account_group"
    };
    assert!(plan.contains(covered), "plan: {plan}");
}

on_both_backends! {
    a_users_groups_are_read_from_the_index_alone => test_db,
}
