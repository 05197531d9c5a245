//! `/scim/v2/Users` writes: PATCH in every IdP dialect, PUT, projections on writes, and
//! ETag preconditions, on both backends.

use scimd::domain::AccountStatus;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_backends;
use crate::users::{create, user, user_with, ENTERPRISE};

async fn etags_and_preconditions(app: TestApp) {
    let token = &app.acme_token().await;
    let created = app.post("/Users", token, user("ann@acme.example")).await;
    let id = created.body["id"].as_str().unwrap();
    let etag = created.header("etag").unwrap().to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    let path = format!("/Users/{id}");
    let cached = app
        .scim_with("GET", &path, token, None, &[("if-none-match", &etag)])
        .await;
    assert_eq!(cached.status, 304);

    let op = patch_op(replace("title", "Lead"));
    let stale = app
        .scim_with(
            "PATCH",
            &path,
            token,
            Some(op.clone()),
            &[("if-match", "W/\"999\"")],
        )
        .await;
    assert_eq!(stale.status, 412);
    assert_eq!(stale.body["status"], "412");
    let ok = app
        .scim_with("PATCH", &path, token, Some(op), &[("if-match", &etag)])
        .await
        .expect_status(200);
    let new_etag = ok.header("etag").unwrap().to_owned();
    assert_ne!(new_etag, etag, "every write changes the version");
    let fresh = app
        .scim_with("GET", &path, token, None, &[("if-none-match", &etag)])
        .await;
    assert_eq!(fresh.status, 200);
    let delete = app
        .scim_with("DELETE", &path, token, None, &[("if-match", &etag)])
        .await;
    assert_eq!(delete.status, 412);

    // One write touching the record (externalId) and the account (displayName) at once.
    let both = user_with(
        "ann@acme.example",
        json!({"externalId": "moved-77", "displayName": "Ann Two", "title": "Lead"}),
    );
    let put = app
        .scim_with("PUT", &path, token, Some(both), &[("if-match", &new_etag)])
        .await
        .expect_status(200);
    assert_eq!(
        (
            put.body["externalId"].as_str(),
            put.body["displayName"].as_str()
        ),
        (Some("moved-77"), Some("Ann Two"))
    );
    let replay = app
        .scim_with(
            "PUT",
            &path,
            token,
            Some(user("ann@acme.example")),
            &[("if-match", &new_etag)],
        )
        .await;
    assert_eq!(replay.status, 412, "the first PUT moved the version on");
    assert_eq!(app.get(&path, token).await.body["title"], "Lead");
}

async fn patch_in_every_dialect(app: TestApp) {
    let token = &app.acme_token().await;
    let id = app.create_user(token, user("ann@acme.example")).await.id();
    let path = format!("/Users/{id}");
    let send = |ops: Value| {
        let path = path.clone();
        let app = &app;
        async move { app.patch(&path, token, ops).await }
    };

    // Entra ID: capitalised ops, "False" as a string, dotted keys in a no-path value.
    let r = send(json!([
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "Replace", "value": {"name.givenName": "Anna", format!("{ENTERPRISE}:department"): "R&D"}}
    ]))
    .await.expect_status(200);
    assert_eq!(r.body["active"], false);
    assert_eq!(r.body["name"]["givenName"], "Anna");
    assert_eq!(r.body[ENTERPRISE]["department"], "R&D");
    let account_status = app.account_status("ann@acme.example").await;
    assert_eq!(account_status, AccountStatus::Deactivated, "rule 15");

    // Inactive users stay readable and filterable.
    let inactive = app.get("/Users?filter=active%20eq%20false", token).await;
    assert_eq!(inactive.body["totalResults"], 1);

    // Okta: no-path replace with active true.
    let r = send(json!([{"op": "replace", "value": {"active": true}}])).await;
    assert_eq!(r.body["active"], true);
    app.assert_account_status("ann@acme.example", AccountStatus::Active)
        .await;

    // A value path that matches nothing acts as add; add on single-valued replaces.
    let r = send(json!([
        {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555 0100"},
        {"op": "add", "path": "title", "value": "Lead"},
        {"op": "add", "path": "title", "value": "Head"},
        {"op": "add", "path": format!("{ENTERPRISE}:manager"), "value": "mgr-7"}
    ]))
    .await
    .expect_status(200);
    assert_eq!(
        r.body["phoneNumbers"],
        json!([{"type": "mobile", "value": "+1 555 0100"}])
    );
    assert_eq!(r.body["title"], "Head");
    assert_eq!(
        r.body[ENTERPRISE]["manager"]["value"], "mgr-7",
        "a bare manager string is its value"
    );

    // Entra ID's path into the work email; the lookup index follows.
    let r = send(json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "ann.lee@acme.example"}])).await.expect_status(200);
    assert_eq!(
        r.body["emails"],
        json!([{"value": "ann.lee@acme.example", "type": "work", "primary": true}])
    );
    let upper = r#"emails.value eq "ANN.LEE@acme.example""#;
    let found = app.filtered("/Users", upper, token).await;
    assert_eq!(found.body["totalResults"], 1);

    let r = send(json!([{"op": "remove", "path": "phoneNumbers[type eq \"mobile\"]"}])).await;
    assert!(r.body.get("phoneNumbers").is_none(), "{}", r.body);

    // Errors, and all-or-nothing.
    let before = app.get(&path, token).await.body;
    let r = send(json!([
        {"op": "replace", "path": "title", "value": "Changed"},
        {"op": "replace", "path": "id", "value": "x"}
    ]))
    .await;
    r.expect_scim_error(400, "mutability");
    assert_eq!(app.get(&path, token).await.body, before, "nothing applied");
    let r = send(json!([{"op": "remove", "path": "active"}])).await;
    let r = r.expect_scim_error(400, "invalidValue");
    r.assert_detail("active: false");
    let r = send(json!([{"op": "jump", "path": "title"}])).await;
    assert_eq!(r.status, 400);
    let r = send(json!([{"op": "remove"}])).await;
    r.expect_scim_error(400, "noTarget");
    let r = send(replace("emails[type eq", "x")).await;
    r.expect_scim_error(400, "invalidPath");
}

async fn entra_string_booleans_on_create(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let body = user_with("ann@acme.example", json!({"active": "False"}));
    let created = create(&app, &org.scim_token.token, body).await;
    assert_eq!(created["active"], false);
    app.assert_account_status("ann@acme.example", AccountStatus::Deactivated)
        .await;
}

async fn put_replaces(app: TestApp) {
    let token = &app.acme_token().await;
    let body = user_with(
        "ann@acme.example",
        json!({"title": "Lead", "userType": "Employee"}),
    );
    let id = app.create_user(token, body).await.id();
    let replacement = user_with(
        "ann@acme.example",
        json!({
            "id": "client-sent-id-is-ignored",
            "meta": {"version": "W/\"1\""},
            "displayName": "Ann E."
        }),
    );
    let r = app
        .put(&format!("/Users/{id}"), token, replacement)
        .await
        .expect_status(200);
    assert_eq!(r.body["id"], id.as_str());
    assert_eq!(r.body["displayName"], "Ann E.");
    assert!(
        r.body.get("title").is_none(),
        "omitted attributes of a managed account are cleared"
    );
    assert!(r.body.get("userType").is_none());
}

async fn projection_on_reads_and_writes(app: TestApp) {
    let token = &app.acme_token().await;
    let body = user_with("ann@acme.example", json!({"password": "hunter2"}));
    let reply = app
        .post("/Users?excludedAttributes=emails,name", token, body)
        .await;
    assert_eq!(reply.status, 201);
    assert!(reply.body.get("emails").is_none() && reply.body.get("name").is_none());
    assert!(
        reply.body.get("password").is_none(),
        "password is never returned"
    );
    let id = reply.body["id"].as_str().unwrap();
    let got = app
        .get(&format!("/Users/{id}?attributes=name.givenName"), token)
        .await;
    assert_eq!(got.body["name"], json!({"givenName": "Ann"}));
    assert!(got.body.get("id").is_some(), "id is always returned");
    assert!(got.body.get("displayName").is_none());
}

/// The `emails.value` lookup rows follow each write: only the addresses that change are
/// written, and the positions a write removes go (the rows are kept by position).
async fn address_lookups_follow_every_write(app: TestApp) {
    let token = &app.acme_token().await;
    let body = user_with(
        "ann@acme.example",
        json!({"emails": [
            {"value": "ann@acme.example", "type": "work", "primary": true},
            {"value": "ann@home.example", "type": "home"}
        ]}),
    );
    let created = create(&app, token, body.clone()).await;
    let path = format!("/Users/{}", created["id"].as_str().unwrap());
    let finds = |address: &'static str, kind: &'static str| {
        let app = &app;
        async move {
            let filter = format!(r#"emails[type eq "{kind}" and value eq "{address}"]"#);
            let found = app.filtered("/Users", &filter, token).await;
            found.body["totalResults"].as_u64().unwrap()
        }
    };
    assert_eq!(finds("ann@home.example", "home").await, 1);

    let add = json!([{"op": "add", "path": "emails",
        "value": [{"value": "ann@other.example", "type": "other"}]}]);
    app.patch(&path, token, add).await.expect_status(200);
    assert_eq!(finds("ann@other.example", "other").await, 1, "added");

    // The middle address goes: the last one moves into its position.
    let remove = json!([{"op": "remove", "path": "emails[value eq \"ann@home.example\"]"}]);
    let r = app.patch(&path, token, remove).await.expect_status(200);
    assert_eq!(r.body["emails"].as_array().map(Vec::len), Some(2));
    assert_eq!(finds("ann@home.example", "home").await, 0, "removed");
    assert_eq!(finds("ann@other.example", "other").await, 1, "moved");
    assert_eq!(finds("ann@acme.example", "work").await, 1, "kept");

    // A type changes in place.
    let retype = replace("emails[value eq \"ann@other.example\"].type", "home");
    app.patch(&path, token, retype).await.expect_status(200);
    assert_eq!(finds("ann@other.example", "other").await, 0);
    assert_eq!(finds("ann@other.example", "home").await, 1, "retyped");

    // PUT with the primary address alone leaves one row.
    app.put(&path, token, user("ann@acme.example"))
        .await
        .expect_status(200);
    assert_eq!(finds("ann@other.example", "home").await, 0, "replaced");
    assert_eq!(finds("ann@acme.example", "work").await, 1);
    let rows = read_i64(&app.store, "SELECT COUNT(*) FROM account_emails").await;
    assert_eq!(rows, 1, "no row is left behind");
}

/// A PATCH or PUT answers with the user as written, built from what the write read under
/// its lock and what it changed (nothing is read back): a GET right after shows exactly
/// that, ETag and meta included, whatever the write changed.
async fn a_writes_answer_is_what_a_read_then_shows(app: TestApp) {
    let org = app
        .bootstrap("Acme", &["acme.example", "acme.example.org"])
        .await;
    let token = &org.scim_token.token;
    let ann = create(&app, token, user("ann@acme.example")).await;
    let guest = create(&app, token, user("guest@partner.example")).await;
    let members = json!([{"value": ann["id"]}, {"value": guest["id"]}]);
    app.post(
        "/Groups",
        token,
        json!({"displayName": "Eng", "members": members}),
    )
    .await
    .expect_status(201);
    let put = user_with(
        "ann.put@acme.example",
        json!({"active": false, "title": "Head"}),
    );
    let both = json!([
        {"op": "replace", "path": "userName", "value": "ann2"},
        {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "ann2@acme.example"}
    ]);
    let home = json!([{"op": "add", "path": "emails",
        "value": [{"value": "ann@home.example", "type": "home"}]}]);
    let writes = [
        ("PATCH", patch_op(replace("title", "Lead"))),
        ("PATCH", patch_op(replace("title", "Lead"))),
        ("PATCH", patch_op(replace("active", false))),
        ("PATCH", patch_op(replace("active", true))),
        ("PATCH", patch_op(replace("userName", "ann.lee"))),
        ("PATCH", patch_op(replace("externalId", "oid-9"))),
        ("PATCH", patch_op(home)),
        (
            "PATCH",
            patch_op(replace(
                "emails[type eq \"work\"].value",
                "ann@acme.example.org",
            )),
        ),
        ("PUT", put),
        ("PATCH", patch_op(both)),
    ];
    let path = format!("/Users/{}", ann["id"].as_str().unwrap());
    for (method, body) in writes {
        let wrote = app.scim(method, &path, token, Some(body.clone())).await;
        let wrote = wrote.expect_status(200);
        let read = app.get(&path, token).await.expect_status(200);
        assert_eq!(wrote.body, read.body, "{method} {body}");
        assert_eq!(wrote.header("etag"), read.header("etag"), "{method} {body}");
    }
    // The PUT deactivated the account and moved its email; the last PATCH moved it again.
    let account = app.account("ann2@acme.example").await;
    assert_eq!(account.status, AccountStatus::Deactivated);
    // Another org's account (here: nobody's), seen as a stranger sees it.
    let path = format!("/Users/{}", guest["id"].as_str().unwrap());
    for body in [replace("userName", "guest.x"), replace("externalId", "g-2")] {
        let wrote = app
            .patch(&path, token, body.clone())
            .await
            .expect_status(200);
        let read = app.get(&path, token).await.expect_status(200);
        assert_eq!(wrote.body, read.body, "{body}");
        assert_eq!(wrote.header("etag"), read.header("etag"));
    }
}

/// A PATCH that changes only the directory's record (here its userName) to a userName
/// another user of the directory has is 409 `uniqueness`, and changes nothing.
async fn a_record_alone_renamed_to_a_taken_user_name_is_409(app: TestApp) {
    let token = &app.acme_token().await;
    create(&app, token, user("ann@acme.example")).await;
    let bob = create(&app, token, user("bob@acme.example")).await;
    let path = format!("/Users/{}", bob["id"].as_str().unwrap());
    let before = app.get(&path, token).await.expect_status(200);
    let taken = app
        .scim(
            "PATCH",
            &path,
            token,
            Some(patch_op(replace("userName", "ANN@acme.example"))),
        )
        .await
        .expect_scim_error(409, "uniqueness");
    assert!(
        taken.detail().contains("ANN@acme.example"),
        "{}",
        taken.body
    );
    let after = app.get(&path, token).await.expect_status(200);
    assert_eq!(after.body, before.body, "nothing changed");
    assert_eq!(after.header("etag"), before.header("etag"));
}

on_both_backends! {
    a_record_alone_renamed_to_a_taken_user_name_is_409 => spawn_app,
    etags_and_preconditions => spawn_app,
    patch_in_every_dialect => spawn_app,
    entra_string_booleans_on_create => spawn_app,
    put_replaces => spawn_app,
    projection_on_reads_and_writes => spawn_app,
    address_lookups_follow_every_write => spawn_app,
    a_writes_answer_is_what_a_read_then_shows => spawn_app,
}
