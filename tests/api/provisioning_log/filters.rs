//! Filtering and paging the log.

use scimd::service::bootstrap::BootstrapOutcome;
use serde_json::{json, Value};

use super::{create, entries, log, user};
use crate::helpers::*;
use crate::on_both_backends;

/// Every id of the log walked page by page with `before`.
async fn walk(app: &TestApp, org: &BootstrapOutcome, query: &str, limit: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut before = String::new();
    loop {
        let page = log(app, org, &format!("?limit={limit}{query}{before}")).await;
        let got: Vec<i64> = entries(&page)
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect();
        assert!(got.len() <= limit);
        ids.extend(&got);
        match page["next_before"].as_i64() {
            Some(next) => {
                assert_eq!(Some(&next), got.last(), "{page}");
                before = format!("&before={next}");
            }
            None => return ids,
        }
    }
}

async fn filters_and_pages(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    let b = app.bootstrap("B", &["b.example"]).await;
    let token = &a.scim_token.token;
    // A second directory of A, with its own token.
    let dir = app
        .admin_post(
            &format!("/orgs/{}/directories", a.org_id),
            &a.admin_token.token,
            json!({"name": "Entra ID"}),
        )
        .await;
    let second = dir.id();
    let issued = app
        .admin_post(
            &format!("/orgs/{}/directories/{second}/tokens", a.org_id),
            &a.admin_token.token,
            None,
        )
        .await;
    let second_token = issued.body["token"].as_str().unwrap().to_owned();

    let ann = create(&app, &a, "Ann@A.example").await;
    for i in 0..4 {
        create(&app, &a, &format!("user{i}@a.example")).await;
    }
    app.put(&format!("/Users/{ann}"), token, user("ann@a.example"))
        .await
        .expect_status(200);
    let unchanged = app
        .put(&format!("/Users/{ann}"), token, user("ann@a.example"))
        .await;
    assert_eq!(unchanged.status, 200);
    let group = app
        .post("/Groups", token, json!({"displayName": "Engineering"}))
        .await
        .expect_status(201);
    let gid = group.id();
    let add = patch_op(json!([{"op": "add", "path": "members", "value": [{"value": ann}]}]));
    for _ in 0..2 {
        app.scim("PATCH", &format!("/Groups/{gid}"), token, Some(add.clone()))
            .await
            .expect_status(200);
    }
    let gone = app.delete(&format!("/Groups/{gid}"), token).await;
    assert_eq!(gone.status, 204);
    // The second directory: a create, a link of another org's account and a refusal.
    let body = user("bo@a.example");
    let bo = app.create_user(&second_token, body).await;
    let bo = bo.id();
    create(&app, &b, "cy@b.example").await;
    let cy = app
        .post("/Users", &second_token, user("cy@b.example"))
        .await;
    let cy = cy.id();
    let deactivate = patch_op(replace("active", false));
    app.scim(
        "PATCH",
        &format!("/Users/{cy}"),
        &second_token,
        Some(deactivate),
    )
    .await
    .expect_status(403);
    let missing = app
        .delete(&format!("/Users/{}", uuid::Uuid::new_v4()), token)
        .await;
    assert_eq!(missing.status, 404);
    let deleted = app.delete(&format!("/Users/{bo}"), &second_token).await;
    assert_eq!(deleted.status, 204);

    let all = log(&app, &a, "").await;
    let all = entries(&all);
    let ops: Vec<(String, String, String, Value)> = all
        .iter()
        .rev()
        .map(|e| {
            (
                e["operation"].as_str().unwrap().to_owned(),
                e["resource_type"].as_str().unwrap().to_owned(),
                e["outcome"].as_str().unwrap().to_owned(),
                e["changed"].clone(),
            )
        })
        .collect();
    let expected: Vec<(&str, &str, &str, Value)> = [
        vec![("create", "User", "ok", json!(true)); 5],
        vec![
            ("replace", "User", "ok", json!(true)),
            ("replace", "User", "ok", json!(false)),
            ("create", "Group", "ok", json!(true)),
            ("patch", "Group", "ok", json!(true)),
            ("patch", "Group", "ok", json!(false)),
            ("delete", "Group", "ok", json!(true)),
            ("create", "User", "ok", json!(true)),
            ("create", "User", "ok", json!(true)),
            ("patch", "User", "refused", Value::Null),
            ("delete", "User", "client_error", Value::Null),
            ("delete", "User", "ok", json!(true)),
        ],
    ]
    .concat();
    let expected: Vec<(String, String, String, Value)> = expected
        .into_iter()
        .map(|(o, r, c, ch)| (o.into(), r.into(), c.into(), ch))
        .collect();
    assert_eq!(ops, expected);
    let ids: Vec<i64> = all.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");

    // Filters.
    let failures = log(&app, &a, "?outcome=refused,client_error").await;
    let outcomes: Vec<&str> = entries(&failures)
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["client_error", "refused"]);
    let refused = log(&app, &a, "?outcome=refused").await;
    assert_eq!(entries(&refused).len(), 1);
    assert_eq!(entries(&refused)[0]["email"], "cy@b.example");
    let ok = log(&app, &a, "?outcome=ok").await;
    assert_eq!(entries(&ok).len(), all.len() - 2);
    let second_dir = log(&app, &a, &format!("?directory={second}")).await;
    assert_eq!(entries(&second_dir).len(), 4);
    assert!(entries(&second_dir)
        .iter()
        .all(|e| e["directory_id"] == second.as_str()));
    let combined = log(
        &app,
        &a,
        &format!("?directory={second}&outcome=refused&email=CY@B.EXAMPLE"),
    )
    .await;
    assert_eq!(entries(&combined).len(), 1, "{combined}");
    let anns = log(&app, &a, &format!("?email={}", urlencode("ANN@a.example"))).await;
    let anns = entries(&anns);
    assert_eq!(anns.len(), 3, "create and two PUTs: {anns:?}");
    assert!(anns.iter().all(|e| e["resource_id"] == ann.as_str()));
    assert_eq!(anns[2]["email"], "Ann@A.example", "as the IdP wrote it");
    let nobody = log(&app, &a, "?email=nobody@a.example").await;
    assert!(entries(&nobody).is_empty());

    // Paging: newest first by id, every entry once, whatever the page size.
    for limit in [1, 2, 5, 100] {
        assert_eq!(walk(&app, &a, "", limit).await, ids, "limit {limit}");
    }
    let oks: Vec<i64> = all
        .iter()
        .filter(|e| e["outcome"] == "ok")
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(walk(&app, &a, "&outcome=ok", 3).await, oks);

    // What the filters refuse.
    let path = format!("/orgs/{}/provisioning-log", a.org_id);
    for query in [
        "?outcome=failed",
        "?directory=not-a-uuid",
        "?before=x",
        "?page=2",
    ] {
        let reply = app
            .admin_get(&format!("{path}{query}"), &a.admin_token.token)
            .await;
        assert_eq!(reply.status, 400, "{query}: {}", reply.body);
        assert_eq!(reply.body["code"], "invalid_request", "{query}");
    }
    let long = "x".repeat(300);
    app.admin_get(&format!("{path}?email={long}"), &a.admin_token.token)
        .await
        .expect_status(400);
}

on_both_backends! {
    filters_and_pages => spawn_app,
}
