//! `/scim/v2/Users`: the protocol, the IdP dialects, and rules 12–18, on both backends.

use scimd::store;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_backends;

pub(crate) const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

pub(crate) fn user(user_name: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "externalId": format!("ext-{user_name}"),
        "name": {"givenName": "Ann", "familyName": "Example"},
        "displayName": "Ann Example",
        "emails": [{"value": user_name, "type": "work", "primary": true}],
        "active": true
    })
}

/// [`user`] with `attributes` set over its own.
pub(crate) fn user_with(user_name: &str, attributes: Value) -> Value {
    let mut body = user(user_name);
    if let (Some(body), Value::Object(attributes)) = (body.as_object_mut(), attributes) {
        body.extend(attributes);
    }
    body
}

pub(crate) async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let reply = app.create_user(token, body).await;
    reply.body
}

async fn create_read_and_locate(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let token = &org.scim_token.token;
    let reply = app.create_user(token, user("Ann@Acme.example")).await;
    assert_eq!(reply.header("content-type"), Some("application/scim+json"));
    let id = reply.id();
    let location = reply.header("location").unwrap().to_owned();
    assert!(
        location.ends_with(&format!("/scim/v2/Users/{id}")),
        "{location}"
    );
    assert_eq!(reply.body["meta"]["location"], location);
    assert_eq!(reply.body["meta"]["resourceType"], "User");
    assert_eq!(reply.header("etag").unwrap(), reply.body["meta"]["version"]);
    assert_eq!(reply.body["userName"], "Ann@Acme.example");
    assert_eq!(reply.body["active"], true);
    assert_eq!(reply.body["name"]["givenName"], "Ann");
    assert!(reply.body.get("password").is_none());

    let got = app.get(&format!("/Users/{id}"), token).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body, reply.body);

    let mut conn = app.store.read().await.unwrap();
    let account = store::find_account_by_email(&mut conn, "ann@acme.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        account.managing_org,
        Some(org.org_id),
        "rule 12: created managed"
    );
    let membership = store::get_site_user(&mut conn, org.site_id, account.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        membership.access,
        scimd::domain::SiteAccess::InviteNotSent,
        "rule 6: no email"
    );
}

async fn duplicates_conflict_and_bad_bodies_are_refused(app: TestApp) {
    let token = &app.acme_token().await;
    create(&app, token, user("ann@acme.example")).await;
    let again = app.post("/Users", token, user("ANN@acme.example")).await;
    assert_eq!(again.status, 409);
    assert_eq!(again.body["scimType"], "uniqueness");

    let no_name = app.post("/Users", token, json!({"displayName": "x"})).await;
    no_name.expect_scim_error(400, "invalidValue");
    let not_email = app
        .post("/Users", token, json!({"userName": "bjensen"}))
        .await;
    assert_eq!(not_email.status, 400);
    not_email.assert_detail("userName");
    let wrong_type = app
        .post(
            "/Users",
            token,
            json!({"userName": "b@acme.example", "active": "maybe"}),
        )
        .await;
    wrong_type.expect_scim_error(400, "invalidValue");

    let scim_json = "application/scim+json";
    let response = app
        .post_text("/scim/v2/Users", token, scim_json, "{not json")
        .await;
    response.expect_scim_error(400, "invalidSyntax");

    let list = app.get("/Users", token).await;
    assert_eq!(
        list.body["totalResults"], 1,
        "nothing was created by the refused requests"
    );
}

async fn content_types_ids_and_methods(app: TestApp) {
    let token = &app.acme_token().await;
    for (i, content_type) in [
        Some("application/json"),
        Some("application/scim+json; charset=utf-8"),
        None,
    ]
    .iter()
    .enumerate()
    {
        let mut req = app
            .client
            .post(format!("{}/scim/v2/Users", app.address))
            .bearer_auth(token)
            .body(user(&format!("u{i}@acme.example")).to_string());
        if let Some(ct) = content_type {
            req = req.header("content-type", *ct);
        }
        assert_eq!(
            req.send().await.unwrap().status().as_u16(),
            201,
            "{content_type:?}"
        );
    }
    for bad in ["0", "not-a-uuid", "00000000-0000-0000-0000-000000000000"] {
        let reply = app.get(&format!("/Users/{bad}"), token).await;
        assert_eq!(reply.status, 404, "{bad}");
        assert_eq!(reply.body["status"], "404");
    }
    let reply = app.delete("/Schemas", token).await;
    assert_eq!(
        (reply.status, reply.body["status"].as_str()),
        (405, Some("405"))
    );
}

async fn lookups_filters_and_paging(app: TestApp) {
    let token = &app.acme_token().await;
    for (i, name) in ["carol", "alice", "bob"].iter().enumerate() {
        let body = user_with(
            &format!("{name}@acme.example"),
            json!({
                "displayName": format!("{} Person", name.to_uppercase()),
                "emails": [{"value": format!("{name}.{i}@mail.example"), "type": "home"}],
                "title": if i == 0 { json!("Lead") } else { Value::Null }
            }),
        );
        create(&app, token, body).await;
    }
    let search = |filter: &str| {
        let filter = filter.to_owned();
        let app = &app;
        async move {
            let url = format!("/Users?filter={}", urlencode(&filter));
            app.get(&url, token).await
        }
    };
    let found = search("userName eq \"ALICE@acme.example\"").await;
    assert_eq!(found.status, 200);
    assert_eq!(found.body["totalResults"], 1);
    assert_eq!(found.body["Resources"][0]["userName"], "alice@acme.example");
    assert_eq!(
        found.body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:ListResponse"
    );

    for (filter, expected) in [
        ("externalId eq \"ext-bob@acme.example\"", 1),
        ("externalId eq \"EXT-bob@acme.example\"", 0),
        ("emails.value eq \"carol.0@mail.example\"", 1),
        (
            "emails[type eq \"home\"].value eq \"bob.2@mail.example\"",
            1,
        ),
        (
            "emails[type eq \"work\"].value eq \"bob.2@mail.example\"",
            0,
        ),
        ("emails[type eq \"home\" and value co \"@MAIL\"]", 3),
        ("displayName eq \"bob person\"", 1),
        ("userName sw \"a\" or userName sw \"b\"", 2),
        ("not (title eq \"Lead\")", 2),
        ("title pr", 1),
        ("userName co \"%\"", 0),
        ("active eq true and name.familyName eq \"example\"", 3),
        ("meta.created gt \"2000-01-01T00:00:00Z\"", 3),
        ("userName eq \"nobody@acme.example\"", 0),
    ] {
        let reply = search(filter).await;
        assert_eq!(reply.status, 200, "{filter}: {}", reply.body);
        assert_eq!(reply.body["totalResults"], expected, "{filter}");
    }

    // `+` for spaces, as some IdPs encode the query.
    let plus = app
        .get("/Users?filter=userName+eq+%22bob%40acme.example%22", token)
        .await;
    assert_eq!(plus.body["totalResults"], 1);

    let bad = search("userName eq").await;
    bad.expect_scim_error(400, "invalidFilter");
    let unknown = search("shoeSize eq \"9\"").await;
    unknown.expect_scim_error(400, "invalidFilter");
    let hostile = search(&format!(
        "{}userName pr{}",
        "(".repeat(5000),
        ")".repeat(5000)
    ))
    .await;
    hostile.expect_scim_error(400, "invalidFilter");

    let page = app
        .get(
            "/Users?sortBy=userName&sortOrder=descending&startIndex=2&count=1",
            token,
        )
        .await;
    assert_eq!(page.body["totalResults"], 3);
    assert_eq!(page.body["startIndex"], 2);
    assert_eq!(page.body["itemsPerPage"], 1);
    assert_eq!(page.body["Resources"][0]["userName"], "bob@acme.example");
    let count_only = app.get("/Users?count=0", token).await;
    assert_eq!(count_only.body["totalResults"], 3);
    assert_eq!(count_only.body["Resources"], json!([]));

    let searched = app
        .post("/Users/.search", token, json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "userName sw \"c\"", "attributes": ["userName"]}))
        .await.expect_status(200);
    assert_eq!(searched.body["totalResults"], 1);
    let only = searched.body["Resources"][0].as_object().unwrap();
    assert!(only.contains_key("id") && only.contains_key("userName"));
    assert!(!only.contains_key("emails"), "projected: {only:?}");
}

async fn unknown_attributes_and_schemas_are_ignored(app: TestApp) {
    let token = &app.acme_token().await;
    let body = user_with(
        "ann@acme.example",
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:okta:custom:1.0"],
            "urn:okta:custom:1.0": {"shoeSize": 9},
            "favouriteColour": "teal",
            "groups": [{"value": "not-a-group"}],
            "nickName": "",
            "title": null
        }),
    );
    let r = app.create_user(token, body).await;
    for absent in [
        "favouriteColour",
        "urn:okta:custom:1.0",
        "groups",
        "nickName",
        "title",
    ] {
        assert!(r.body.get(absent).is_none(), "{absent}: {}", r.body);
    }
}

async fn root_search_spans_users_and_groups(app: TestApp) {
    let token = &app.acme_token().await;
    create(&app, token, user("ann@acme.example")).await;
    create(&app, token, user("bob@acme.example")).await;
    app
        .post("/Groups", token, json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Engineering"}))
        .await.expect_status(201);
    let app = &app;
    let search = |body: Value| async move { app.post("/.search", token, body).await };

    let all =
        search(json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]})).await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(all.body["totalResults"], 3);
    let page = search(json!({"startIndex": 2, "count": 2})).await;
    let kinds: Vec<_> = page.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["meta"]["resourceType"].clone())
        .collect();
    assert_eq!(
        kinds,
        [json!("User"), json!("Group")],
        "users first, then groups"
    );
    assert_eq!(page.body["itemsPerPage"], 2);

    let groups_only = search(json!({"filter": "displayName sw \"Eng\""})).await;
    assert_eq!(groups_only.body["totalResults"], 1);
    let users_only = search(json!({"filter": "userName sw \"a\""})).await;
    assert_eq!(
        users_only.body["totalResults"], 1,
        "groups have no userName: they just don't match"
    );
    let nobody = search(json!({"filter": "shoeSize eq 9"})).await;
    nobody.expect_scim_error(400, "invalidFilter");
}

async fn emails_are_one_address_however_written(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let token = &org.scim_token.token;
    let created = create(&app, token, user("ann@acme.example.")).await;
    assert_eq!(
        created["userName"], "ann@acme.example.",
        "userName is the IdP's identifier, kept as sent"
    );
    let account = app.account("ANN@acme.example").await;
    assert_eq!(
        account.email.as_deref(),
        Some("ann@acme.example"),
        "the account's address drops the root dot"
    );
    assert_eq!(
        account.managing_org,
        Some(org.org_id),
        "managed: the domain matched"
    );
    let again = app.post("/Users", token, user("Ann@ACME.example")).await;
    assert_eq!(again.status, 409, "the same address, so the same user");

    // Taking another account's address is a conflict, and changes nothing.
    let bob = create(&app, token, user("bob@acme.example")).await;
    let path = format!("/Users/{}", bob["id"].as_str().unwrap());
    let taken = app
        .patch(&path, token, json!([{"op": "replace", "path": "emails", "value": [{"value": "ANN@acme.example", "primary": true}]}]))
        .await;
    taken.expect_scim_error(409, "uniqueness");
    assert_eq!(
        app.get(&path, token).await.body["userName"],
        "bob@acme.example"
    );
}

async fn public_url_names_resources(db: TestDb) {
    let public_url = Some("https://scim.acme.example/".into());
    let app = spawn_app_on(db, |args| args.public_url = public_url).await;
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let forwarded = [("x-forwarded-host", "evil.example")];
    let body = Some(user("ann@acme.example"));
    let token = &org.scim_token.token;
    let reply = app
        .scim_with("POST", "/Users", token, body, &forwarded)
        .await;
    reply.assert_located_under("https://scim.acme.example/scim/v2/Users/");
}

on_both_backends! {
    emails_are_one_address_however_written => spawn_app,
    public_url_names_resources => test_db,
    root_search_spans_users_and_groups => spawn_app,
    create_read_and_locate => spawn_app,
    duplicates_conflict_and_bad_bodies_are_refused => spawn_app,
    content_types_ids_and_methods => spawn_app,
    lookups_filters_and_paging => spawn_app,
    unknown_attributes_and_schemas_are_ignored => spawn_app,
}
