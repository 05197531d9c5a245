//! SCIM Bulk (RFC 7644 §3.7): mixed operations, `bulkId` references (a group whose members
//! are users created in the same request), circular references and `failOnErrors`; the
//! limits, domain refusals, isolation and transactions are in `rules`.

use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_backends;

mod rules;

const BULK: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn user(name: &str, domain: &str) -> Value {
    let email = format!("{name}@{domain}");
    json!({"schemas": [USER], "userName": email, "displayName": name,
           "emails": [{"value": email, "type": "work", "primary": true}], "active": true})
}

fn post_user(bulk_id: &str, name: &str) -> Value {
    json!({"method": "POST", "path": "/Users", "bulkId": bulk_id, "data": user(name, "acme.example")})
}

async fn bulk(app: &TestApp, token: &str, body: Value) -> Reply {
    let reply = app.post("/Bulk", token, body).await.expect_status(200);
    assert_eq!(
        reply.body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
    );
    reply
}

fn results(reply: &Reply) -> &Vec<Value> {
    reply.body["Operations"].as_array().unwrap()
}

fn statuses(reply: &Reply) -> Vec<&str> {
    results(reply)
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect()
}

/// The status of each operation, in order; the failure shows the whole answer.
#[track_caller]
fn assert_statuses(reply: &Reply, expected: &[&str]) {
    assert_eq!(statuses(reply), expected, "{}", reply.body);
}

async fn users_named(app: &TestApp, token: &str, name: &str) -> i64 {
    let reply = app
        .get(
            &format!("/Users?filter=userName%20eq%20%22{name}%40acme.example%22"),
            token,
        )
        .await;
    reply.body["totalResults"].as_i64().unwrap()
}

async fn mixed_operations_resolve_bulk_ids_in_any_order(app: TestApp) {
    let token = &app.acme_token().await;
    let old = app.post("/Users", token, user("old", "acme.example")).await;
    let old_id = old.id();
    let stale = app
        .post("/Users", token, user("stale", "acme.example"))
        .await;
    let stale_id = stale.id();

    let reply = bulk(
        &app,
        token,
        json!({"schemas": [BULK], "Operations": [
            // The group comes first and refers to users created further down.
            {"method": "POST", "path": "/Groups", "bulkId": "team",
             "data": {"schemas": [GROUP], "displayName": "Team",
                      "members": [{"value": "bulkId:ann"}, {"value": "bulkId:bob"}]}},
            post_user("ann", "ann"),
            post_user("bob", "bob"),
            {"method": "PATCH", "path": "/Users/bulkId:bob",
             "data": {"schemas": [PATCH], "Operations": [
                 {"op": "replace", "path": "title", "value": "Lead"}]}},
            {"method": "PUT", "path": "/Groups/bulkId:team",
             "data": {"schemas": [GROUP], "displayName": "Team A",
                      "members": [{"value": "bulkId:ann"}]}},
            {"method": "DELETE", "path": format!("/Users/{old_id}")},
            {"method": "DELETE", "path": format!("/Users/{stale_id}"), "version": "W/\"99\""},
        ]}),
    )
    .await;
    assert_statuses(&reply, &["201", "201", "201", "200", "200", "204", "412"]);
    let ops = results(&reply);
    // Results in request order, each with its method, bulkId, location and version.
    assert_eq!(ops[0]["bulkId"], "team");
    assert_eq!(ops[0]["method"], "POST");
    let team = ops[0]["location"].as_str().unwrap();
    assert!(team.contains("/scim/v2/Groups/"), "{team}");
    let ann = ops[1]["location"].as_str().unwrap();
    assert!(ann.contains("/scim/v2/Users/"), "{ann}");
    assert!(ops[1]["version"].as_str().unwrap().starts_with("W/\""));
    assert!(ops[5]["location"].as_str().unwrap().ends_with(&old_id));
    assert_eq!(ops[6]["response"]["status"], "412");
    assert!(ops[0].get("response").is_none());

    // What is stored is what the operations did, in the order references demand.
    let ann_id = ann.rsplit('/').next().unwrap();
    let team_id = team.rsplit('/').next().unwrap();
    let group = app.get(&format!("/Groups/{team_id}"), token).await;
    assert_eq!(group.body["displayName"], "Team A");
    let members = strings(&group.body["members"], "value");
    assert_eq!(members, [ann_id]);
    let bob = app
        .get(
            ops[2]["location"]
                .as_str()
                .unwrap()
                .split("/scim/v2")
                .nth(1)
                .unwrap(),
            token,
        )
        .await;
    assert_eq!(bob.body["title"], "Lead");
    assert_eq!(
        app.get(&format!("/Users/{old_id}"), token).await.status,
        404
    );
    assert_eq!(
        app.get(&format!("/Users/{stale_id}"), token).await.status,
        200,
        "the failed precondition deleted nothing"
    );

    // Each operation costs what its single request costs (a create at most 7 statements).
    let creates: Vec<Value> = (0..10)
        .map(|i| post_user(&format!("c{i}"), &format!("c{i}")))
        .collect();
    let reply = bulk(
        &app,
        token,
        json!({"schemas": [BULK], "Operations": creates}),
    )
    .await;
    assert!(statuses(&reply).iter().all(|s| *s == "201"));
    let ran: u32 = reply.header("scimd-statements").unwrap().parse().unwrap();
    assert!(ran <= 70 + 2, "10 creates ran {ran} statements");
}

async fn circular_references_are_refused(app: TestApp) {
    let token = &app.acme_token().await;
    let with_manager = |bulk_id: &str, name: &str, manager: &str| {
        let mut data = user(name, "acme.example");
        data[ENTERPRISE] = json!({"manager": {"value": format!("bulkId:{manager}")}});
        json!({"method": "POST", "path": "/Users", "bulkId": bulk_id, "data": data})
    };
    let reply = bulk(
        &app,
        token,
        json!({"schemas": [BULK], "Operations": [
            with_manager("a", "amy", "b"),
            with_manager("b", "ben", "a"),
            with_manager("self", "sue", "self"),
            post_user("fine", "fay"),
            // Depends on a refused operation: it cannot run either.
            {"method": "PATCH", "path": "/Users/bulkId:a",
             "data": {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "title", "value": "x"}]}},
            // Refers to a bulkId nobody defines.
            {"method": "POST", "path": "/Groups", "bulkId": "g",
             "data": {"schemas": [GROUP], "displayName": "G", "members": [{"value": "bulkId:ghost"}]}},
        ]}),
    )
    .await;
    assert_statuses(&reply, &["409", "409", "409", "201", "409", "409"]);
    let ops = results(&reply);
    let detail = ops[0]["response"]["detail"].as_str().unwrap();
    assert!(detail.contains("circular"), "{detail}");
    assert!(
        detail.contains("a → b → a") || detail.contains("b → a → b"),
        "{detail}"
    );
    assert!(
        ops[0].get("location").is_none(),
        "a failed POST has no location"
    );
    assert!(ops[4]["response"]["detail"]
        .as_str()
        .unwrap()
        .contains("failed"));
    assert!(ops[5]["response"]["detail"]
        .as_str()
        .unwrap()
        .contains("no POST of this request"));
    for name in ["amy", "ben", "sue"] {
        assert_eq!(
            users_named(&app, token, name).await,
            0,
            "{name} was not created"
        );
    }
    assert_eq!(users_named(&app, token, "fay").await, 1);
    let groups = app.get("/Groups", token).await;
    assert_eq!(groups.body["totalResults"], 0);
}

async fn fail_on_errors_stops_after_that_many_errors(app: TestApp) {
    let token = &app.acme_token().await;
    // A user without any email is refused (the account model keys on it).
    let no_email = json!({"method": "POST", "path": "/Users", "bulkId": "bad",
                          "data": {"schemas": [USER], "userName": "no-email"}});
    let reply = bulk(
        &app,
        token,
        json!({"schemas": [BULK], "failOnErrors": 1, "Operations": [
            post_user("one", "one"), no_email.clone(), post_user("two", "two"),
        ]}),
    )
    .await;
    assert_statuses(&reply, &["201", "400"]);
    assert_eq!(results(&reply)[1]["response"]["scimType"], "invalidValue");
    assert_eq!(users_named(&app, token, "one").await, 1);
    assert_eq!(users_named(&app, token, "two").await, 0, "not run");

    // failOnErrors 2 lets the first error pass; without it every operation runs.
    let reply = bulk(
        &app,
        token,
        json!({"schemas": [BULK], "failOnErrors": 2, "Operations": [
            no_email.clone(), post_user("two", "two"), no_email.clone(), post_user("six", "six"),
        ]}),
    )
    .await;
    assert_statuses(&reply, &["400", "201", "400"]);
    assert_eq!(users_named(&app, token, "six").await, 0);
    let reply = bulk(
        &app,
        token,
        json!({"schemas": [BULK], "Operations": [no_email.clone(), no_email, post_user("six", "six")]}),
    )
    .await;
    assert_statuses(&reply, &["400", "400", "201"]);

    // Whole-request errors.
    for (body, status) in [
        (json!({"schemas": [BULK], "Operations": []}), 400),
        (json!({"schemas": [BULK]}), 400),
        (
            json!({"schemas": [BULK], "failOnErrors": 0, "Operations": [post_user("x", "x")]}),
            400,
        ),
    ] {
        let reply = app.post("/Bulk", token, body).await;
        assert_eq!(reply.status, status, "{}", reply.body);
    }
}

on_both_backends! {
    mixed_operations_resolve_bulk_ids_in_any_order => spawn_app,
    circular_references_are_refused => spawn_app,
    fail_on_errors_stops_after_that_many_errors => spawn_app,
}
