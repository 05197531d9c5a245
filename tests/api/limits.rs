//! Issue 10 item 9: every string attribute has a documented maximum length and `emails.value`
//! must be an email address; on create, PUT and every PATCH form a violation is a 400
//! `invalidValue` naming the attribute, and nothing changes. The admin API's free-text inputs
//! have limits too (problem+json). Both backends.

use serde_json::{json, Value};

use crate::admin::{admin_of, assert_problem, invite_as, site_users};
use crate::helpers::*;
use crate::on_both_backends;

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn long(n: usize) -> String {
    "x".repeat(n)
}

fn refused(reply: &Reply, detail: &str) {
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.body["scimType"], "invalidValue", "{}", reply.body);
    reply.assert_detail(detail);
}

fn patch(ops: Value) -> Option<Value> {
    Some(json!({"schemas": [PATCH], "Operations": ops}))
}

async fn scim_strings_have_limits_and_emails_are_addresses(app: TestApp) {
    let token = &app.acme_token().await;
    let ann = json!({"schemas": [USER], "userName": "ann@acme.example",
                     "name": {"givenName": "Ann"}, "title": "Engineer",
                     "emails": [{"value": "ann@acme.example", "type": "work", "primary": true}]});
    let created = app.create_user(token, ann.clone()).await;
    let id = created.id();
    let user = format!("/Users/{id}");
    let before = app.get(&user, token).await.body;

    // Create: at the limit is fine, one more is refused and creates nothing.
    let at_limit = json!({"schemas": [USER], "userName": "bob@acme.example",
                          "name": {"givenName": long(256)}});
    app.create_user(token, at_limit).await;
    let over = json!({"schemas": [USER], "userName": "cy@acme.example",
                      "name": {"givenName": long(257)}});
    refused(
        &app.post("/Users", token, over).await,
        "name.givenName is longer than 256 characters",
    );
    let not_email = json!({"schemas": [USER], "userName": "dee@acme.example",
                           "emails": [{"value": "dee@acme.example", "primary": true},
                                      {"value": "dee at home", "type": "home"}]});
    refused(
        &app.post("/Users", token, not_email).await,
        "emails[1].value is not an email address",
    );
    let enterprise = json!({"schemas": [USER], "userName": "eve@acme.example",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": long(257)}});
    refused(
        &app.post("/Users", token, enterprise).await,
        "department is longer than 256 characters",
    );
    let all = app.get("/Users", token).await;
    assert_eq!(all.body["totalResults"], 2, "only ann and bob exist");

    // PUT.
    let mut put = ann.clone();
    put["title"] = json!(long(257));
    refused(
        &app.put(&user, token, put).await,
        "title is longer than 256 characters",
    );
    let mut put = ann.clone();
    put["userName"] = json!(format!("{}@acme.example", long(310)));
    refused(
        &app.put(&user, token, put).await,
        "userName is longer than 320 characters",
    );

    // PATCH: a path, a path with a filter, a sub-attribute path, and no path.
    let cases = [
        (
            replace("displayName", long(257)),
            "displayName is longer than 256 characters",
        ),
        (
            replace("name.givenName", long(257)),
            "name.givenName is longer than 256 characters",
        ),
        (
            json!([{"op": "replace", "path": "emails[type eq \"work\"].value",
                    "value": "not-an-email"}]),
            "emails[0].value is not an email address",
        ),
        (
            json!([{"op": "add", "path": "emails",
                    "value": [{"value": "ann@@acme.example", "type": "home"}]}]),
            "is not an email address",
        ),
        (
            json!([{"op": "replace", "value": {"name": {"familyName": long(257)}}}]),
            "name.familyName is longer than 256 characters",
        ),
        (
            json!([{"op": "add", "value": {"externalId": long(257)}}]),
            "externalId is longer than 256 characters",
        ),
        (
            json!([{"op": "add", "path":
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter",
                    "value": long(257)}]),
            "costCenter is longer than 256 characters",
        ),
    ];
    for (ops, detail) in cases {
        refused(&app.scim("PATCH", &user, token, patch(ops)).await, detail);
    }
    let after = app.get(&user, token).await.body;
    assert_eq!(after, before, "no refused write changed ann");

    // Groups: create, PUT and PATCH.
    let group = |name: String| {
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                      "displayName": name})
    };
    refused(
        &app.post("/Groups", token, group(long(257))).await,
        "displayName is longer than 256 characters",
    );
    let eng = app
        .post("/Groups", token, group("Eng".into()))
        .await
        .expect_status(201);
    let path = format!("/Groups/{}", eng.id());
    refused(
        &app.put(&path, token, group(long(257))).await,
        "displayName is longer than 256 characters",
    );
    let ops = replace("displayName", long(257));
    refused(
        &app.scim("PATCH", &path, token, patch(ops)).await,
        "displayName is longer than 256 characters",
    );
    let ops = json!([{"op": "replace", "value": {"externalId": long(257)}}]);
    refused(
        &app.scim("PATCH", &path, token, patch(ops)).await,
        "externalId is longer than 256 characters",
    );
    let read = app.get(&path, token).await;
    assert_eq!(read.body["displayName"], "Eng");
    assert_eq!(
        read.body["meta"], eng.body["meta"],
        "the group is unchanged"
    );
    let groups = app.get("/Groups", token).await;
    assert_eq!(groups.body["totalResults"], 1);
}

async fn admin_free_text_has_limits(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let admin = admin_of(&org);
    let audit = format!("/orgs/{}/audit", org.org_id);
    let entries = app.admin_get(&audit, admin).await.body["entries"].clone();

    let named = json!({"users": [{"email": "ann@acme.example", "display_name": long(257)}]});
    let reply = invite_as(&app, admin, &org, named).await;
    assert_problem(&reply, 400, "invalid_request");
    assert!(reply
        .detail()
        .contains("display_name is longer than 256 characters"));
    let email = format!("{}@acme.example", long(250));
    let reply = invite_as(&app, admin, &org, json!({"emails": [email]})).await;
    assert_problem(&reply, 400, "invite_refused");
    assert_eq!(reply.body["refused"][0]["code"], "invalid_email");
    assert!(
        site_users(&app, &org, "").await.is_empty(),
        "nobody invited"
    );

    let q = long(257);
    for path in [
        format!("/sites/{}/users?q={q}", org.site_id),
        format!("/orgs/{}/accounts?q={q}", org.org_id),
    ] {
        let reply = app.admin_get(&path, admin).await;
        assert_problem(&reply, 400, "invalid_request");
        reply.assert_detail("q is longer than 256");
    }
    let at_limit = format!("/sites/{}/users?q={}", org.site_id, long(256));
    assert_eq!(app.admin_get(&at_limit, admin).await.status, 200);

    let named = |name: String| Some(json!({"name": name}));
    for what in ["directories", "groups"] {
        let path = format!("/orgs/{}/{what}", org.org_id);
        let reply = app.admin("POST", &path, admin, named(long(201))).await;
        assert_problem(&reply, 400, "invalid_request");
    }
    let after = app.admin_get(&audit, admin).await.body["entries"].clone();
    assert_eq!(after, entries, "nothing was written");
}

on_both_backends! {
    scim_strings_have_limits_and_emails_are_addresses => spawn_app,
    admin_free_text_has_limits => spawn_app,
}
