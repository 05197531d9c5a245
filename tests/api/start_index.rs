//! `startIndex` pages of an unfiltered user list resume from a remembered row instead of
//! walking the offset (store::page_positions). Whatever was remembered, a page holds
//! exactly the rows the offset names in the list as it is now: after this server's own
//! changes, and after another process's, which this server never hears of.

use serde_json::Value;

use crate::helpers::*;
use crate::on_both_backends;
use crate::users::user;

/// The userNames of one page.
async fn names(app: &TestApp, server: &str, token: &str, query: &str) -> Vec<String> {
    let reply = app
        .client
        .get(format!("{server}/scim/v2/Users?{query}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("list");
    assert_eq!(reply.status(), 200, "{query}");
    let body: Value = reply.json().await.expect("json");
    body["Resources"]
        .as_array()
        .expect("Resources")
        .iter()
        .map(|u| u["userName"].as_str().expect("userName").to_owned())
        .collect()
}

/// Every page of five from `startIndex` 1 on, joined.
async fn walk(app: &TestApp, token: &str, order: &str) -> Vec<String> {
    let mut all = Vec::new();
    loop {
        let query = format!("startIndex={}&count=5{order}", all.len() + 1);
        let page = names(app, &app.address, token, &query).await;
        if page.is_empty() {
            return all;
        }
        all.extend(page);
    }
}

async fn create(app: &TestApp, token: &str, name: &str) -> String {
    let reply = app.create_user(token, user(name)).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.id()
}

async fn pages_follow_this_servers_changes(app: TestApp) {
    let acme = app.bootstrap("Acme", &["acme.example"]).await;
    let token = &acme.scim_token.token;
    let mut ids = Vec::new();
    for i in 0..23 {
        ids.push(create(&app, token, &format!("u{i:02}@acme.example")).await);
    }
    let everyone = names(&app, &app.address, token, "count=100").await;
    assert_eq!(everyone.len(), 23);
    // Twice: the second walk resumes every page from the row the first one ended on.
    assert_eq!(walk(&app, token, "").await, everyone);
    assert_eq!(walk(&app, token, "").await, everyone);
    let newest_first: Vec<String> = everyone.iter().rev().cloned().collect();
    for _ in 0..2 {
        assert_eq!(
            walk(&app, token, "&sortOrder=descending").await,
            newest_first
        );
    }
    let deep = "startIndex=16&count=5";
    assert_eq!(
        names(&app, &app.address, token, deep).await,
        everyone[15..20]
    );

    // One user gone before the page and one new at the end: the same total, but every row
    // after the gap moved up by one.
    assert_eq!(
        app.delete(&format!("/Users/{}", ids[3]), token)
            .await
            .status,
        204
    );
    create(&app, token, "late@acme.example").await;
    let now = names(&app, &app.address, token, "count=100").await;
    assert_eq!(now.len(), 23);
    assert_eq!(names(&app, &app.address, token, deep).await, now[15..20]);
    assert_eq!(walk(&app, token, "").await, now);
}

async fn pages_follow_another_servers_changes(db: TestDb) {
    let first = spawn_stoppable_on(db).await;
    let app = &first.app;
    let second = spawn_second_server(&app.db).await;
    let acme = app.bootstrap("Acme", &["acme.example"]).await;
    let token = &acme.scim_token.token;
    let mut ids = Vec::new();
    for i in 0..12 {
        ids.push(create(app, token, &format!("u{i:02}@acme.example")).await);
    }
    let deep = "startIndex=9&count=3";
    let before = names(app, &app.address, token, "count=100").await;
    assert_eq!(names(app, &app.address, token, deep).await, before[8..11]);
    assert_eq!(names(app, &app.address, token, deep).await, before[8..11]);

    // The other server removes a user ahead of the page; this one is not told.
    let removed = app
        .client
        .delete(format!("{}/scim/v2/Users/{}", second.address, ids[1]))
        .bearer_auth(token)
        .send()
        .await
        .expect("delete");
    assert_eq!(removed.status(), 204);
    let now = names(app, &second.address, token, "count=100").await;
    assert_eq!(now.len(), 11);
    assert_eq!(names(app, &app.address, token, deep).await, now[8..11]);
    second.stop().await;
    first.stop().await;
}

on_both_backends! {
    pages_follow_this_servers_changes => spawn_app,
    pages_follow_another_servers_changes => test_db,
}
