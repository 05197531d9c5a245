//! `/scim/v2/Groups`: members as the directory's users, every IdP PATCH form, filters,
//! ETags, minimal responses, product access through groups, concurrency; on both backends.

mod access;
mod crud;
mod journal;
mod patch;

use scimd::domain::ProductAccessChange::Grant;
use scimd::domain::{GroupId, SiteId};
use scimd::service::groups::access::change_product;
use serde_json::{json, Value};

use crate::helpers::*;

/// Creates a user and returns its SCIM id.
pub async fn user(app: &TestApp, token: &str, email: &str) -> String {
    let body = json!({"userName": email, "displayName": format!("User {email}"), "active": true});
    let reply = app.create_user(token, body).await;
    reply.id()
}

/// The two users most tests start with, ann and bob at acme.example; their SCIM ids.
pub async fn ann_and_bob(app: &TestApp, token: &str) -> (String, String) {
    let ann = user(app, token, "ann@acme.example").await;
    (ann, user(app, token, "bob@acme.example").await)
}

/// Creates a group with members and returns the response body.
pub async fn group(app: &TestApp, token: &str, name: &str, members: &[&str]) -> Value {
    let members: Vec<Value> = members.iter().map(|id| json!({"value": id})).collect();
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": name,
        "members": members
    });
    let reply = app.post("/Groups", token, body).await.expect_status(201);
    reply.body
}

/// Creates a group of these members; its id.
pub async fn group_id(app: &TestApp, token: &str, name: &str, members: &[&str]) -> String {
    let body = group(app, token, name, members).await;
    body["id"]
        .as_str()
        .expect("a created group has an id")
        .to_owned()
}

/// A group of these members that the site grants Jira to; its id.
pub async fn jira_group(app: &TestApp, token: &str, members: &[&str], site: SiteId) -> GroupId {
    let body = group(app, token, "Jira", members).await;
    let gid: GroupId = body["id"]
        .as_str()
        .expect("group id")
        .parse()
        .expect("uuid");
    change_product(&app.store, gid, site, "jira-software", Grant)
        .await
        .expect("grant");
    gid
}

/// One PATCH operation `op` on `members` with these ids as its value.
pub fn members(op: &str, ids: &[&str]) -> Value {
    let value: Vec<Value> = ids.iter().map(|id| json!({ "value": id })).collect();
    json!([{"op": op, "path": "members", "value": value}])
}

/// One PATCH operation removing the member `id` by a value filter, as Entra ID does.
pub fn remove_member(id: &str) -> Value {
    json!([{"op": "remove", "path": format!("members[value eq \"{id}\"]")}])
}

/// The member ids of a group body, sorted.
pub fn ids(body: &Value) -> Vec<String> {
    let mut ids: Vec<String> = body["members"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|m| m["value"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

pub fn sorted(list: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// The group as a GET returns it now.
pub async fn fetch(app: &TestApp, token: &str, id: &str) -> Value {
    let reply = app
        .get(&format!("/Groups/{id}"), token)
        .await
        .expect_status(200);
    reply.body
}

/// Sends a PATCH and asserts it succeeded.
pub async fn patch_ok(app: &TestApp, token: &str, id: &str, ops: Value) -> Reply {
    let reply = app.patch(&format!("/Groups/{id}"), token, ops).await;
    assert!(
        matches!(reply.status, 200 | 204),
        "{}: {}",
        reply.status,
        reply.body
    );
    reply
}
