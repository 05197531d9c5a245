//! Bulk within the rules: the limits (413), domain refusals reported per operation,
//! directories kept apart, and each operation its own transaction.

use scimd::service::bootstrap::BootstrapOutcome;
use serde_json::{json, Value};

use super::{assert_statuses, bulk, post_user, results, user, users_named, BULK, GROUP, PATCH};
use crate::helpers::*;
use crate::on_both_backends;

async fn limits_are_advertised_and_enforced(app: TestApp) {
    let token = &app.acme_token().await;
    let config = app.get("/ServiceProviderConfig", token).await;
    assert_eq!(
        config.body["bulk"],
        json!({"supported": true, "maxOperations": 5, "maxPayloadSize": 2000})
    );
    let six: Vec<Value> = (0..6)
        .map(|i| post_user(&format!("u{i}"), &format!("u{i}")))
        .collect();
    let reply = app
        .post(
            "/Bulk",
            token,
            json!({"schemas": [BULK], "Operations": six}),
        )
        .await
        .expect_status(413);
    assert_eq!(reply.body["status"], "413");
    reply.assert_detail("maxOperations is 5");

    let mut big = post_user("big", "big");
    big["data"]["title"] = json!("x".repeat(2000));
    let reply = app
        .post(
            "/Bulk",
            token,
            json!({"schemas": [BULK], "Operations": [big]}),
        )
        .await
        .expect_status(413);
    assert_eq!(
        reply.body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    reply.assert_detail("maxPayloadSize (2000 bytes)");
    let users = app.get("/Users", token).await;
    assert_eq!(
        users.body["totalResults"], 0,
        "nothing of either request ran"
    );

    let five: Vec<Value> = (0..5)
        .map(|i| post_user(&format!("u{i}"), &format!("u{i}")))
        .collect();
    let reply = bulk(&app, token, json!({"schemas": [BULK], "Operations": five})).await;
    assert_statuses(&reply, &["201"; 5]);
    // GET on /Bulk is not a thing.
    assert_eq!(app.get("/Bulk", token).await.status, 405);
}

/// Acme with Ann, created over SCIM, and another org whose directory then reaches for her.
async fn ann_and_another_org(app: &TestApp) -> (BootstrapOutcome, BootstrapOutcome, String) {
    let acme = app.bootstrap("Acme", &["acme.example"]).await;
    let other = app.bootstrap("Other", &["other.example"]).await;
    let ann = app
        .post(
            "/Users",
            &acme.scim_token.token,
            user("ann", "acme.example"),
        )
        .await;
    (acme, other, ann.id())
}

async fn a_domain_refusal_fails_its_operation_only(app: TestApp) {
    let (acme, other, acme_ann) = ann_and_another_org(&app).await;

    // Another org's directory links Ann's account (rule 12), may not rename her (rule 13),
    // and its other operations go through.
    let reply = bulk(
        &app,
        &other.scim_token.token,
        json!({"schemas": [BULK], "Operations": [
            {"method": "POST", "path": "/Users", "bulkId": "ann", "data": user("ann", "acme.example")},
            {"method": "PATCH", "path": "/Users/bulkId:ann",
             "data": {"schemas": [PATCH], "Operations": [
                 {"op": "replace", "path": "displayName", "value": "Someone Else"}]}},
            {"method": "POST", "path": "/Users", "bulkId": "olaf", "data": user("olaf", "other.example")},
        ]}),
    )
    .await;
    assert_statuses(&reply, &["201", "403", "201"]);
    let refusal = &results(&reply)[1];
    let detail = refusal["response"]["detail"].as_str().unwrap();
    assert!(
        detail.contains("manage"),
        "the refusal says who can act: {detail}"
    );
    assert!(refusal["location"].as_str().unwrap().contains("/Users/"));
    let ann = app
        .get(&format!("/Users/{acme_ann}"), &acme.scim_token.token)
        .await;
    assert_eq!(
        ann.body["displayName"], "ann",
        "nothing of the refused operation stored"
    );
}

async fn a_bulk_request_reaches_only_its_own_directory(app: TestApp) {
    let (acme, other, ann_id) = ann_and_another_org(&app).await;
    let acme_token = &acme.scim_token.token;
    let group = app
        .post(
            "/Groups",
            acme_token,
            json!({"schemas": [GROUP], "displayName": "Acme", "members": [{"value": ann_id}]}),
        )
        .await;
    let group_id = group.id();

    let reply = bulk(
        &app,
        &other.scim_token.token,
        json!({"schemas": [BULK], "Operations": [
            {"method": "PATCH", "path": format!("/Users/{ann_id}"),
             "data": {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": false}]}},
            {"method": "DELETE", "path": format!("/Users/{ann_id}")},
            {"method": "DELETE", "path": format!("/Groups/{group_id}")},
            {"method": "PUT", "path": format!("/Groups/{group_id}"),
             "data": {"schemas": [GROUP], "displayName": "Mine"}},
            {"method": "POST", "path": "/Groups", "bulkId": "g",
             "data": {"schemas": [GROUP], "displayName": "Theirs", "members": [{"value": ann_id}]}},
        ]}),
    )
    .await;
    assert_statuses(&reply, &["404", "404", "404", "404", "400"]);
    let ann = app.get(&format!("/Users/{ann_id}"), acme_token).await;
    assert_eq!(ann.body["active"], true);
    let group = app.get(&format!("/Groups/{group_id}"), acme_token).await;
    assert_eq!(group.body["displayName"], "Acme");
    assert_eq!(group.body["members"].as_array().unwrap().len(), 1);

    // No token, or an admin token: 401 before anything is read.
    let body = json!({"schemas": [BULK], "Operations": [post_user("x", "x")]});
    let anonymous = app
        .client
        .post(format!("{}/scim/v2/Bulk", app.address))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    let admin = app.post("/Bulk", &acme.admin_token.token, body).await;
    assert_eq!(admin.status, 401);
    assert_eq!(users_named(&app, acme_token, "x").await, 0);
}

/// An operation that fails after it wrote (members added, then a rename that collides) is
/// rolled back whole, and the operations after it still run and are kept (on PostgreSQL the
/// failed statement must not poison the shared transaction).
async fn an_operation_failing_half_way_leaves_nothing(app: TestApp) {
    let token = &app.acme_token().await;
    let reply = bulk(
        &app,
        token,
        json!({"schemas": [BULK], "Operations": [
            post_user("ann", "ann"),
            {"method": "POST", "path": "/Groups", "bulkId": "a",
             "data": {"schemas": [GROUP], "displayName": "Alpha"}},
            {"method": "POST", "path": "/Groups", "bulkId": "b",
             "data": {"schemas": [GROUP], "displayName": "Beta"}},
            {"method": "PATCH", "path": "/Groups/bulkId:b",
             "data": {"schemas": [PATCH], "Operations": [
                 {"op": "add", "path": "members", "value": [{"value": "bulkId:ann"}]},
                 {"op": "replace", "path": "displayName", "value": "alpha"}]}},
            {"method": "PATCH", "path": "/Groups/bulkId:a",
             "data": {"schemas": [PATCH], "Operations": [
                 {"op": "add", "path": "members", "value": [{"value": "bulkId:ann"}]}]}},
            post_user("bob", "bob"),
        ]}),
    )
    .await;
    assert_statuses(&reply, &["201", "201", "201", "409", "200", "201"]);
    let groups = app.get("/Groups?sortBy=displayName", token).await;
    let listed = groups.body["Resources"].as_array().unwrap();
    assert_eq!(listed[0]["displayName"], "Alpha");
    assert_eq!(listed[0]["members"].as_array().unwrap().len(), 1);
    assert_eq!(listed[1]["displayName"], "Beta");
    assert!(
        listed[1]
            .get("members")
            .is_none_or(|m| m.as_array().unwrap().is_empty()),
        "the failed PATCH added no member: {}",
        listed[1]
    );
    assert_eq!(users_named(&app, token, "bob").await, 1);
}

/// More operations than one commit chunk holds (256), with failures after writes (duplicate
/// userNames meet the unique index) spread through them: every success is kept, every
/// failure leaves nothing.
async fn long_bulks_cross_commit_chunks(app: TestApp) {
    let token = &app.acme_token().await;
    let mut operations = Vec::new();
    let mut expected = Vec::new();
    for i in 0..300 {
        if i % 3 == 2 {
            // The same userName as the operation before it, another email.
            let mut data = user(&format!("dup{i}"), "acme.example");
            data["userName"] = json!(format!("n{}@acme.example", i - 1));
            operations.push(json!({"method": "POST", "path": "/Users", "bulkId": format!("b{i}"), "data": data}));
            expected.push("409");
        } else {
            operations.push(post_user(&format!("b{i}"), &format!("n{i}")));
            expected.push("201");
        }
    }
    let reply = bulk(
        &app,
        token,
        json!({"schemas": [BULK], "Operations": operations}),
    )
    .await;
    assert_statuses(&reply, &expected);
    let users = app.get("/Users?count=0", token).await;
    assert_eq!(users.body["totalResults"], 200);
    // A failed create had inserted its account before its userName collided: rolled back.
    let mut conn = app.store.read().await.unwrap();
    for i in (2..300).step_by(3) {
        let email = format!("dup{i}@acme.example");
        let account = scimd::store::find_account_by_email(&mut conn, &email)
            .await
            .unwrap();
        assert!(account.is_none(), "{email} has an account");
    }
    assert!(
        scimd::store::find_account_by_email(&mut conn, "n1@acme.example")
            .await
            .unwrap()
            .is_some()
    );
}

on_both_backends! {
    limits_are_advertised_and_enforced => spawn_with_small_bulk_limits,
    a_domain_refusal_fails_its_operation_only => spawn_app,
    a_bulk_request_reaches_only_its_own_directory => spawn_app,
    an_operation_failing_half_way_leaves_nothing => spawn_app,
    long_bulks_cross_commit_chunks => spawn_app,
}
