//! SCIM paths and query strings as IdPs send them: endpoint names in any case, a trailing
//! slash, `+` or `%20` for spaces (issue 11, item 2), on both backends.

use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_backends;

/// Sends `method` to `path` exactly as written (the base included), so the test controls
/// case, slashes and encoding.
fn user(user_name: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "emails": [{"value": user_name, "type": "work", "primary": true}],
        "active": true
    })
}

async fn endpoint_names_ignore_case_and_trailing_slashes(app: TestApp) {
    let token = &app.acme_token().await;

    let created = app
        .raw(
            "POST",
            "/scim/v2/users/",
            token,
            Some(user("a+b@acme.example")),
        )
        .await
        .expect_status(201);
    let id = created.id();
    // Links the server hands out use the canonical spelling, whatever the client sent.
    assert!(
        created
            .header("location")
            .unwrap()
            .ends_with(&format!("/scim/v2/Users/{id}")),
        "{:?}",
        created.header("location")
    );

    for path in [
        format!("/scim/v2/USERS/{id}/"),
        format!("/SCIM/V2/Users/{id}"),
        format!("/scim/v2/users/{id}"),
    ] {
        let got = app.raw("GET", &path, token, None).await;
        assert_eq!(got.status, 200, "{path}: {}", got.body);
        assert_eq!(got.body["id"], id.as_str(), "{path}");
    }

    let patched = app
        .raw(
            "PATCH",
            &format!("/scim/v2/users/{id}/"),
            token,
            Some(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "title", "value": "Guide"}]
            })),
        )
        .await
        .expect_status(200);
    assert_eq!(patched.body["title"], "Guide");

    for path in [
        "/scim/v2/serviceproviderconfig",
        "/scim/v2/ServiceProviderConfig/",
        "/scim/v2/resourcetypes",
        "/scim/v2/RESOURCETYPES/User/",
        "/scim/v2/schemas",
    ] {
        let got = app.raw("GET", path, token, None).await;
        assert_eq!(got.status, 200, "{path}: {}", got.body);
    }

    let group = app
        .raw(
            "POST",
            "/scim/v2/GROUPS/",
            token,
            Some(json!({"displayName": "Tour Guides", "members": [{"value": id}]})),
        )
        .await
        .expect_status(201);
    let group_id = group.body["id"].as_str().unwrap();
    let got = app
        .raw("GET", &format!("/scim/v2/groups/{group_id}/"), token, None)
        .await
        .expect_status(200);
    assert_eq!(got.body["members"][0]["value"], id.as_str());

    let search = app
        .raw(
            "POST",
            "/scim/v2/users/.SEARCH/",
            token,
            Some(json!({"filter": "userName eq \"a+b@acme.example\""})),
        )
        .await
        .expect_status(200);
    assert_eq!(search.body["totalResults"], 1);

    app.raw("DELETE", &format!("/scim/v2/Users/{id}/"), token, None)
        .await
        .expect_status(204);
    let gone = app
        .raw("GET", &format!("/scim/v2/users/{id}"), token, None)
        .await;
    assert_eq!(gone.status, 404);
}

async fn the_router_sees_the_canonical_path(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let token = &org.scim_token.token;
    // The 405 names the route the request reached: the canonical one.
    let reply = app
        .raw("DELETE", "/scim/v2/users/", token, None)
        .await
        .expect_status(405);
    assert_eq!(reply.detail(), "DELETE is not supported on /scim/v2/Users");
    // Anything else is still unknown, and still only to an authenticated directory.
    app.raw("GET", "/scim/v2/userz/", token, None)
        .await
        .expect_status(404);
    let anonymous = app.raw("GET", "/scim/v2/users/", "not-a-token", None).await;
    assert_eq!(anonymous.status, 401);
    // The admin API keeps its strict paths.
    let admin = app
        .client
        .get(format!("{}/ADMIN/v1/orgs", app.address))
        .bearer_auth(&org.admin_token.token)
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status().as_u16(), 404);
}

async fn plus_and_percent_20_are_spaces_in_filters(app: TestApp) {
    let token = &app.acme_token().await;
    app.create_user(token, user("ann@acme.example")).await;
    app.create_user(token, user("a+b@acme.example")).await;

    for query in [
        "filter=userName+eq+%22ann%40acme.example%22",
        "filter=userName%20eq%20%22ann%40acme.example%22",
        "filter=userName+eq+\"ann@acme.example\"",
        "filter=userName%20eq+%22ANN%40acme.example%22&startIndex=1&count=10",
    ] {
        let reply = app
            .raw("GET", &format!("/scim/v2/Users/?{query}"), token, None)
            .await;
        assert_eq!(reply.status, 200, "{query}: {}", reply.body);
        assert_eq!(reply.body["totalResults"], 1, "{query}: {}", reply.body);
        assert_eq!(reply.body["Resources"][0]["userName"], "ann@acme.example");
    }
    // A `+` that is part of a value is sent encoded, as form encoding requires.
    let reply = app
        .raw(
            "GET",
            "/scim/v2/users?filter=userName+eq+%22a%2Bb%40acme.example%22",
            token,
            None,
        )
        .await
        .expect_status(200);
    assert_eq!(reply.body["totalResults"], 1, "{}", reply.body);
    assert_eq!(reply.body["Resources"][0]["userName"], "a+b@acme.example");
    // `attributes` lists read the same way.
    let path =
        "/scim/v2/Users?filter=userName+eq+%22ann%40acme.example%22&attributes=userName,+emails";
    let reply = app.raw("GET", path, token, None).await.expect_status(200);
    assert!(reply.body["Resources"][0].get("emails").is_some());
    assert!(reply.body["Resources"][0].get("active").is_none());
}

on_both_backends! {
    endpoint_names_ignore_case_and_trailing_slashes => spawn_app,
    the_router_sees_the_canonical_path => spawn_app,
    plus_and_percent_20_are_spaces_in_filters => spawn_app,
}
