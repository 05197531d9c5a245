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
    let created = app.create_user(token, ann).await;
    let id = created.id();

    let scim_refused = |reply: &Reply| {
        assert_eq!(reply.status, 400, "{}", reply.body);
        assert_eq!(reply.body["scimType"], "invalidValue");
        reply.assert_detail("NUL");
    };
    let bob = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                     "userName": "bob@acme.example", "displayName": "Bob\u{0}Example",
                     "emails": [{"value": "bob@acme.example", "primary": true}]});
    scim_refused(&app.post("/Users", token, bob).await);
    let patch = json!([{"op": "replace", "path": "title", "value": "Lead\u{0}"}]);
    scim_refused(&app.patch(&format!("/Users/{id}"), token, patch).await);
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                       "displayName": "Eng\u{0}"});
    scim_refused(&app.post("/Groups", token, group).await);
    scim_refused(&app.get("/Users?filter=title%20co%20%22%00%22", token).await);
    let search = json!({"filter": "title co \"\u{0}\""});
    scim_refused(&app.post("/Users/.search", token, search).await);

    // Nothing changed.
    let read = app.get(&format!("/Users/{id}"), token).await;
    assert_eq!(read.body["title"], "Engineer");
    let all = app.get("/Users", token).await;
    assert_eq!(all.body["totalResults"], 1);
    let groups = app.get("/Groups", token).await;
    assert_eq!(groups.body["totalResults"], 0);
    // A filter without the NUL still works, and finds only what it should.
    let found = app.get("/Users?filter=title%20co%20%22gin%22", token).await;
    assert_eq!(found.body["totalResults"], 1, "{}", found.body);

    // The admin API answers with problem+json.
    let dirs = format!("/orgs/{}/directories", org.org_id);
    let named = app
        .admin_post(&dirs, admin_of(&org), json!({"name": "Entra\u{0}"}))
        .await;
    assert_problem(&named, 400, "invalid_request");
    let invite = app
        .admin_post(
            &format!("/sites/{}/invites", org.site_id),
            admin_of(&org),
            json!({"emails": ["x\u{0}@acme.example"]}),
        )
        .await;
    assert_problem(&invite, 400, "invalid_request");
    let search_path = format!("/sites/{}/users?search=a%00", org.site_id);
    let search = app.admin_get(&search_path, admin_of(&org)).await;
    assert_problem(&search, 400, "invalid_request");
    let listed = app.admin_get(&dirs, admin_of(&org)).await;
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
