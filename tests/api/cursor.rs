//! Cursor pagination (RFC 9865): walks that see every resource once while others are created
//! and deleted, cursors bound to their directory and query, expiry, `count` checks, the root
//! `.search`, and the ServiceProviderConfig that advertises it.

use std::collections::HashSet;

use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_backends;

fn user(name: &str, title: Option<&str>) -> Value {
    let email = format!("{name}@acme.example");
    let mut body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": email,
        "emails": [{"value": email, "type": "work", "primary": true}],
        "active": true
    });
    if let Some(title) = title {
        body["title"] = json!(title);
    }
    body
}

async fn create_user(app: &TestApp, token: &str, name: &str, title: Option<&str>) -> String {
    let reply = app.create_user(token, user(name, title)).await;
    reply.id()
}

/// GET `path` (which already has a `?`) with `cursor` appended; a 200 page.
async fn page(app: &TestApp, token: &str, path: &str, cursor: &str) -> Value {
    let reply = app
        .get(&format!("{path}&cursor={}", urlencode(cursor)), token)
        .await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.body);
    reply.body
}

/// Every id of a walk by `nextCursor` from the first page, and the pages' cursors.
async fn walk(app: &TestApp, token: &str, path: &str) -> (Vec<String>, Vec<Value>) {
    let mut seen = Vec::new();
    let mut pages = Vec::new();
    let mut cursor = String::new();
    loop {
        let body = page(app, token, path, &cursor).await;
        seen.extend(resource_ids(&body));
        let next = body
            .get("nextCursor")
            .and_then(Value::as_str)
            .map(str::to_owned);
        pages.push(body);
        match next {
            Some(next) => cursor = next,
            None => return (seen, pages),
        }
        assert!(pages.len() < 500, "the walk does not end");
    }
}

async fn a_walk_by_cursor_sees_every_user_once_in_order_while_users_come_and_go(app: TestApp) {
    let token = &app.acme_token().await;
    let mut created = Vec::new();
    for i in 0..40 {
        created.push(create_user(&app, token, &format!("u{i:02}"), None).await);
    }

    // The first page: `totalResults`, a `nextCursor`, no `previousCursor`, no `startIndex`.
    let first = page(&app, token, "/Users?count=7", "").await;
    assert_eq!(first["totalResults"], 40);
    assert_eq!(first["itemsPerPage"], 7);
    assert!(first.get("startIndex").is_none(), "{first}");
    assert!(first.get("previousCursor").is_none());
    assert_eq!(
        resource_ids(&first),
        created[..7].to_vec(),
        "creation order"
    );

    // Walk on, changing the directory between pages: delete users already seen and users
    // not yet reached, and create new ones (which sort last).
    let mut seen = resource_ids(&first);
    let mut unreached_deleted = HashSet::new();
    let mut added = Vec::new();
    let mut cursor = first["nextCursor"].as_str().unwrap().to_owned();
    let mut round = 0;
    loop {
        if round < 4 {
            let (done, ahead) = (&created[round * 2], &created[39 - round * 3]);
            for victim in [done, ahead] {
                let reply = app.delete(&format!("/Users/{victim}"), token).await;
                assert_eq!(reply.status, 204);
            }
            unreached_deleted.insert(ahead.clone());
            added.push(create_user(&app, token, &format!("new{round}"), None).await);
        }
        round += 1;
        let body = page(&app, token, "/Users?count=7", &cursor).await;
        assert!(
            body.get("previousCursor").is_some(),
            "a page after the first"
        );
        seen.extend(resource_ids(&body));
        match body.get("nextCursor").and_then(Value::as_str) {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    // Exactly once each, in creation order: every user that was there when the walk
    // passed (an index walk would skip one for each earlier user deleted), none deleted
    // before the walk reached it, and every user created meanwhile.
    let expected: Vec<String> = created
        .iter()
        .filter(|id| !unreached_deleted.contains(*id))
        .chain(added.iter())
        .cloned()
        .collect();
    assert_eq!(seen, expected);
}

async fn previous_cursors_walk_back_and_sorted_walks_match_the_sorted_list(app: TestApp) {
    let token = &app.acme_token().await;
    // Titles repeat and some users have none, so the walk must break ties by id and place
    // the users without a title (last ascending, first descending).
    for i in 0..23 {
        let title = ["Zeta", "alpha", "Mid"].get(i % 4).copied();
        create_user(&app, token, &format!("s{i:02}"), title).await;
    }
    for (sort, order) in [
        ("title", "ascending"),
        ("title", "descending"),
        ("userName", "descending"),
        ("meta.created", "ascending"),
        ("active", "ascending"),
    ] {
        let all = app
            .get(
                &format!("/Users?sortBy={sort}&sortOrder={order}&count=200"),
                token,
            )
            .await;
        let path = format!("/Users?sortBy={sort}&sortOrder={order}&count=4");
        let (walked, pages) = walk(&app, token, &path).await;
        assert_eq!(walked, resource_ids(&all.body), "{sort} {order}");
        assert_eq!(pages.len(), 6, "23 users in pages of 4");
        // Back from the last page by previousCursor: the same pages, in reverse.
        let mut back = Vec::new();
        let mut previous = pages.last().unwrap()["previousCursor"]
            .as_str()
            .map(str::to_owned);
        while let Some(cursor) = previous {
            let body = page(&app, token, &path, &cursor).await;
            back.push(resource_ids(&body));
            previous = body
                .get("previousCursor")
                .and_then(Value::as_str)
                .map(str::to_owned);
        }
        let forward: Vec<Vec<String>> = pages[..pages.len() - 1]
            .iter()
            .map(resource_ids)
            .rev()
            .collect();
        assert_eq!(back, forward, "{sort} {order}: previousCursor");
    }

    // Groups, by displayName, through POST /Groups/.search.
    let mut names = Vec::new();
    for i in 0..9 {
        let name = format!("Team {}", (b'a' + (i * 5 % 9) as u8) as char);
        let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                          "displayName": name});
        assert_eq!(app.post("/Groups", token, body).await.status, 201);
        names.push(name);
    }
    names.sort();
    let mut walked = Vec::new();
    let mut cursor = json!("");
    loop {
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                          "sortBy": "displayName", "count": 2, "cursor": cursor});
        let reply = app
            .post("/Groups/.search", token, body)
            .await
            .expect_status(200);
        assert_eq!(reply.body["totalResults"], 9);
        for group in reply.body["Resources"].as_array().unwrap() {
            walked.push(group["displayName"].as_str().unwrap().to_owned());
        }
        match reply.body.get("nextCursor") {
            Some(next) => cursor = next.clone(),
            None => break,
        }
    }
    assert_eq!(walked, names);
}

async fn cursors_are_bound_to_their_directory_and_query(app: TestApp) {
    let acme = app.bootstrap("Acme", &["acme.example"]).await;
    let other = app.bootstrap("Other", &["other.example"]).await;
    let token = &acme.scim_token.token;
    for i in 0..5 {
        create_user(&app, token, &format!("b{i}"), Some("Engineer")).await;
    }
    let path = "/Users?filter=title%20eq%20%22Engineer%22&count=2";
    let first = page(&app, token, path, "").await;
    let cursor = first["nextCursor"].as_str().unwrap().to_owned();
    let invalid = |reply: &Reply, what: &str| {
        assert_eq!(reply.status, 400, "{what}: {}", reply.body);
        assert_eq!(reply.body["scimType"], "invalidCursor", "{what}");
    };
    let get = |path: String, token: String| {
        let app = &app;
        async move { app.get(&path, &token).await }
    };

    // The cursor works where it was issued, also through .search on the same endpoint.
    let second = page(&app, token, path, &cursor).await;
    assert_eq!(second["itemsPerPage"], 2);
    let searched = app
        .post(
            "/Users/.search",
            token,
            json!({"filter": "title eq \"Engineer\"", "count": 2, "cursor": cursor}),
        )
        .await
        .expect_status(200);
    assert_eq!(resource_ids(&searched.body), resource_ids(&second));

    // Tampered: one character changed, or cut short.
    let mut tampered = cursor.clone().into_bytes();
    let i = tampered.len() / 2;
    tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for (bad, what) in [
        (tampered.as_str(), "tampered"),
        (&cursor[..cursor.len() - 3], "cut short"),
        ("bm90IGEgY3Vyc29y", "made up"),
    ] {
        let reply = get(format!("{path}&cursor={}", urlencode(bad)), token.clone()).await;
        invalid(&reply, what);
        reply.assert_detail("cursor");
    }
    // Another directory cannot use it (and learns nothing more than from a forged one).
    let reply = get(
        format!("{path}&cursor={}", urlencode(&cursor)),
        other.scim_token.token.clone(),
    )
    .await;
    invalid(&reply, "another directory");
    // Another query: filter, sort order, sort key, endpoint.
    for other_query in [
        "/Users?filter=title%20eq%20%22Manager%22&count=2",
        "/Users?count=2",
        "/Users?filter=title%20eq%20%22Engineer%22&count=2&sortOrder=descending",
        "/Users?filter=title%20eq%20%22Engineer%22&count=2&sortBy=userName",
        "/Groups?filter=displayName%20eq%20%22Engineer%22&count=2",
    ] {
        let reply = get(
            format!("{other_query}&cursor={}", urlencode(&cursor)),
            token.clone(),
        )
        .await;
        invalid(&reply, other_query);
    }
    // Both pagination methods at once.
    let reply = get(format!("{path}&cursor=&startIndex=3"), token.clone()).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.body["scimType"], "invalidValue");
    // The entitlement catalogue pages by index only, and says so.
    let reply = get("/Entitlements?cursor=".into(), token.clone()).await;
    assert_eq!(reply.status, 400);
    reply.assert_detail("startIndex");
}

async fn counts_must_be_positive_with_a_cursor(app: TestApp) {
    let token = &app.acme_token().await;
    create_user(&app, token, "ann", None).await;
    for count in ["0", "-3", "ten", "2.5"] {
        let reply = app
            .get(&format!("/Users?cursor=&count={count}"), token)
            .await;
        assert_eq!(reply.status, 400, "count={count}: {}", reply.body);
        assert_eq!(reply.body["scimType"], "invalidCount", "count={count}");
        reply.assert_detail("count");
        let search = app
            .post(
                "/.search",
                token,
                json!({"cursor": "", "count": count.parse::<f64>().ok()}),
            )
            .await;
        if count.parse::<f64>().is_ok() {
            assert_eq!(search.body["scimType"], "invalidCount", "count={count}");
        }
    }
    // Above the maximum is capped, as maxPageSize promises; without a cursor, count=0 is
    // still RFC 7644's "only the total".
    let capped = page(&app, token, "/Users?count=100000", "").await;
    assert_eq!(capped["itemsPerPage"], 1);
    let total_only = app.get("/Users?count=0", token).await;
    assert_eq!(total_only.status, 200);
    assert_eq!(total_only.body["totalResults"], 1);
}

async fn an_expired_cursor_is_refused(app: TestApp) {
    let token = &app.acme_token().await;
    for i in 0..3 {
        create_user(&app, token, &format!("e{i}"), None).await;
    }
    let config = app.get("/ServiceProviderConfig", token).await;
    assert_eq!(config.body["pagination"]["cursorTimeout"], 1);
    let first = page(&app, token, "/Users?count=1", "").await;
    let cursor = first["nextCursor"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    let reply = app
        .get(&format!("/Users?count=1&cursor={cursor}"), token)
        .await
        .expect_scim_error(400, "expiredCursor");
    reply.assert_detail("1 seconds");
    // A fresh walk works.
    let again = page(&app, token, "/Users?count=1", "").await;
    assert_eq!(again["totalResults"], 3);
}

async fn the_root_search_walks_users_then_groups(app: TestApp) {
    let token = &app.acme_token().await;
    let mut expected = Vec::new();
    for i in 0..5 {
        expected.push(create_user(&app, token, &format!("r{i}"), None).await);
    }
    for i in 0..4 {
        let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                          "displayName": format!("G{i}")});
        let reply = app.post("/Groups", token, body).await;
        expected.push(reply.id());
    }
    // Page sizes that end the users mid-page, exactly at a page's end, and all at once.
    for count in [1, 2, 3, 5, 9, 20] {
        let mut seen = Vec::new();
        let mut cursor = json!("");
        let mut pages = 0;
        loop {
            let reply = app
                .post("/.search", token, json!({"count": count, "cursor": cursor}))
                .await
                .expect_status(200);
            assert_eq!(reply.body["totalResults"], 9);
            let found = resource_ids(&reply.body);
            assert!(found.len() <= count, "count={count}");
            seen.extend(found);
            pages += 1;
            match reply.body.get("nextCursor") {
                Some(next) => cursor = next.clone(),
                None => break,
            }
        }
        assert_eq!(seen, expected, "count={count}");
        assert_eq!(
            pages,
            9_usize.div_ceil(count),
            "count={count}: no empty last page"
        );
    }
    // A root cursor is not a Users cursor.
    let first = app
        .post("/.search", token, json!({"count": 2, "cursor": ""}))
        .await;
    let cursor = first.body["nextCursor"].as_str().unwrap();
    let reply = app
        .get(&format!("/Users?count=2&cursor={cursor}"), token)
        .await;
    assert_eq!(reply.body["scimType"], "invalidCursor");
}

async fn service_provider_config_advertises_both_pagination_methods(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let config = app
        .get("/ServiceProviderConfig", &org.scim_token.token)
        .await;
    assert_eq!(
        config.body["pagination"],
        json!({"cursor": true, "index": true, "defaultPaginationMethod": "index",
               "defaultPageSize": 200, "maxPageSize": 200, "cursorTimeout": 3600})
    );
    // Index paging stays the default: no cursor unless asked for.
    let token = &org.scim_token.token;
    create_user(&app, token, "ann", None).await;
    create_user(&app, token, "bob", None).await;
    let list = app.get("/Users?count=1", token).await;
    assert_eq!(list.body["startIndex"], 1);
    assert!(list.body.get("nextCursor").is_none());
}

on_both_backends! {
    a_walk_by_cursor_sees_every_user_once_in_order_while_users_come_and_go => spawn_app,
    previous_cursors_walk_back_and_sorted_walks_match_the_sorted_list => spawn_app,
    cursors_are_bound_to_their_directory_and_query => spawn_app,
    counts_must_be_positive_with_a_cursor => spawn_app,
    an_expired_cursor_is_refused => spawn_with_short_cursors,
    the_root_search_walks_users_then_groups => spawn_app,
    service_provider_config_advertises_both_pagination_methods => spawn_app,
}
