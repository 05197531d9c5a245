//! An unfiltered list's `totalResults` comes from counts kept by triggers (one row per
//! directory on SQLite, slots per server process on PostgreSQL): they stay exact through
//! concurrent creates and deletes on many connections, per directory, and through the
//! folding of PostgreSQL's rows.

use futures_util::future::join_all;

use crate::helpers::*;
use crate::on_both_backends;
use crate::users::user;

async fn total(app: &TestApp, token: &str, query: &str) -> i64 {
    let reply = app.get(&format!("/Users?{query}"), token).await;
    assert_eq!(reply.status, 200, "{query}: {}", reply.body);
    reply.body["totalResults"].as_i64().expect("totalResults")
}

async fn unfiltered_totals_follow_concurrent_creates_and_deletes(app: TestApp) {
    let acme = app.bootstrap("Acme", &["acme.example"]).await;
    let other = app.bootstrap("Other", &["other.example"]).await;
    let (token, other_token) = (&acme.scim_token.token, &other.scim_token.token);
    for i in 0..3 {
        let reply = app
            .create_user(other_token, user(&format!("o{i}@other.example")))
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
    let created =
        join_all((0..40).map(|i| app.create_user(token, user(&format!("u{i}@acme.example")))))
            .await;
    let ids: Vec<String> = created
        .iter()
        .map(|reply| {
            assert_eq!(reply.status, 201, "{}", reply.body);
            reply.id()
        })
        .collect();
    assert_eq!(total(&app, token, "count=0").await, 40);
    let paths: Vec<String> = ids[..7].iter().map(|id| format!("/Users/{id}")).collect();
    let deleted = join_all(paths.iter().map(|path| app.delete(path, token))).await;
    for reply in deleted {
        assert_eq!(reply.status, 204, "{}", reply.body);
    }
    // A repeated delete of a gone user changes nothing.
    let again = app.delete(&format!("/Users/{}", ids[0]), token).await;
    assert_eq!(again.status, 404);
    for query in [
        "count=0",
        "startIndex=1&count=5",
        "startIndex=30&count=10",
        "cursor=&count=5",
    ] {
        assert_eq!(total(&app, token, query).await, 33, "{query}");
    }
    assert_eq!(total(&app, token, "filter=userName%20pr").await, 33);
    assert_eq!(total(&app, other_token, "count=1").await, 3);

    // PostgreSQL's rows, one per statement so far, fold into one per directory, also
    // while users are being created, and the totals do not move.
    // (The background task may have folded some already.)
    let folded = app.store.fold_user_counts().await.expect("fold");
    let postgres = app.db.url.starts_with("postgres");
    if postgres {
        assert_eq!(count_rows(&app).await, 2, "one row per directory");
    } else {
        assert_eq!(folded, 0, "SQLite keeps one row per directory all along");
    }
    let creates =
        join_all((40..60).map(|i| app.create_user(token, user(&format!("u{i}@acme.example")))));
    let folds = join_all((0..5).map(|_| app.store.fold_user_counts()));
    let (created, folds) = tokio::join!(creates, folds);
    assert!(created.iter().all(|reply| reply.status == 201));
    assert!(folds.iter().all(Result::is_ok), "{folds:?}");
    for query in ["count=0", "startIndex=1&count=5"] {
        assert_eq!(total(&app, token, query).await, 53, "{query}");
    }
    app.store.fold_user_counts().await.expect("fold");
    assert_eq!(total(&app, token, "count=0").await, 53);
    assert_eq!(total(&app, other_token, "count=0").await, 3);
    if postgres {
        assert_eq!(count_rows(&app).await, 2);
        // The store folds by itself within a few seconds of a change.
        for i in 60..65 {
            let reply = app
                .create_user(token, user(&format!("u{i}@acme.example")))
                .await;
            assert_eq!(reply.status, 201);
        }
        let mut rows = count_rows(&app).await;
        for _ in 0..100 {
            if rows == 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            rows = count_rows(&app).await;
        }
        assert_eq!(rows, 2, "folded in the background");
        assert_eq!(total(&app, token, "count=0").await, 58);
    }
}

/// Rows of PostgreSQL's `directory_user_counts`.
async fn count_rows(app: &TestApp) -> i64 {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&app.db.url)
        .await
        .expect("the test's own connection");
    let rows = sqlx::query_scalar("SELECT COUNT(*) FROM directory_user_counts")
        .fetch_one(&mut conn)
        .await
        .expect("count rows");
    let _ = conn.close().await;
    rows
}

on_both_backends! {
    unfiltered_totals_follow_concurrent_creates_and_deletes => spawn_app,
}
