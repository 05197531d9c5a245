//! U+0000 (NUL) anywhere a client can put text is refused with 400 before anything runs,
//! on both backends: PostgreSQL cannot store it (a 500 before), and SQLite let a NUL in a
//! `co` filter act as a wildcard.

use serde_json::json;

use crate::admin::{admin_of, assert_problem, site_users};
use crate::helpers::*;
use crate::on_both_backends;

async fn nul_characters_are_refused_everywhere(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let token = &org.scim_token.token;
    let ann = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                     "userName": "ann@acme.example", "title": "Engineer",
                     "emails": [{"value": "ann@acme.example", "primary": true}]});
    let created = app.scim("POST", "/Users", token, Some(ann)).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();

    let scim_refused = |reply: &Reply| {
        assert_eq!(reply.status, 400, "{}", reply.body);
        assert_eq!(reply.body["scimType"], "invalidValue");
        assert!(reply.detail().contains("NUL"), "{}", reply.detail());
    };
    let bob = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                     "userName": "bob@acme.example", "displayName": "Bob\u{0}Example",
                     "emails": [{"value": "bob@acme.example", "primary": true}]});
    scim_refused(&app.scim("POST", "/Users", token, Some(bob)).await);
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                       "Operations": [{"op": "replace", "path": "title", "value": "Lead\u{0}"}]});
    scim_refused(
        &app.scim("PATCH", &format!("/Users/{id}"), token, Some(patch))
            .await,
    );
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                       "displayName": "Eng\u{0}"});
    scim_refused(&app.scim("POST", "/Groups", token, Some(group)).await);
    scim_refused(
        &app.scim("GET", "/Users?filter=title%20co%20%22%00%22", token, None)
            .await,
    );
    let search = json!({"filter": "title co \"\u{0}\""});
    scim_refused(
        &app.scim("POST", "/Users/.search", token, Some(search))
            .await,
    );

    // Nothing changed.
    let read = app.scim("GET", &format!("/Users/{id}"), token, None).await;
    assert_eq!(read.body["title"], "Engineer");
    let all = app.scim("GET", "/Users", token, None).await;
    assert_eq!(all.body["totalResults"], 1);
    let groups = app.scim("GET", "/Groups", token, None).await;
    assert_eq!(groups.body["totalResults"], 0);
    // A filter without the NUL still works, and finds only what it should.
    let found = app
        .scim("GET", "/Users?filter=title%20co%20%22gin%22", token, None)
        .await;
    assert_eq!(found.body["totalResults"], 1, "{}", found.body);

    // The admin API answers with problem+json.
    let dirs = format!("/orgs/{}/directories", org.org_id);
    let named = app
        .admin(
            "POST",
            &dirs,
            admin_of(&org),
            Some(json!({"name": "Entra\u{0}"})),
        )
        .await;
    assert_problem(&named, 400, "invalid_request");
    let invite = app
        .admin(
            "POST",
            &format!("/sites/{}/invites", org.site_id),
            admin_of(&org),
            Some(json!({"emails": ["x\u{0}@acme.example"]})),
        )
        .await;
    assert_problem(&invite, 400, "invalid_request");
    let search = app
        .admin(
            "GET",
            &format!("/sites/{}/users?search=a%00", org.site_id),
            admin_of(&org),
            None,
        )
        .await;
    assert_problem(&search, 400, "invalid_request");
    let listed = app.admin("GET", &dirs, admin_of(&org), None).await;
    assert_eq!(
        listed.body.as_array().unwrap().len(),
        1,
        "no directory was made"
    );
    assert_eq!(
        site_users(&app, &org, "").await.len(),
        1,
        "nobody was invited"
    );
}

on_both_backends! {
    nul_characters_are_refused_everywhere => spawn_app,
}
