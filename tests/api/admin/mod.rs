//! `/admin/v1`: the eight situations of issue 5 (admins stuck in the seeds, each made to
//! explain itself), then the rest of the surface; every test on both backends.

mod groups_and_audit;
mod site_admin;
mod site_roles;
mod situations;
mod situations_accounts;
mod surface;

use scimd::domain::AccountId;
use scimd::service::bootstrap::BootstrapOutcome;
use serde_json::{json, Value};

use crate::helpers::*;

pub fn admin_of(org: &BootstrapOutcome) -> &str {
    &org.admin_token.token
}

/// Creates a user through the org's directory (managed if the org verified its domain) and
/// returns its SCIM id.
pub async fn provision(app: &TestApp, org: &BootstrapOutcome, email: &str) -> String {
    let body = json!({"userName": email, "displayName": "Ann Example", "active": true});
    let reply = app.create_user(&org.scim_token.token, body).await;
    reply.id()
}

/// Invites to `org`'s site as `token`'s holder.
pub async fn invite_as(app: &TestApp, token: &str, org: &BootstrapOutcome, body: Value) -> Reply {
    let path = format!("/sites/{}/invites", org.site_id);
    app.admin_post(&path, token, body).await
}

/// Invites to `org`'s site as its org admin.
pub async fn invite(app: &TestApp, org: &BootstrapOutcome, body: Value) -> Reply {
    invite_as(app, admin_of(org), org, body).await
}

/// POSTs an action with no body and expects 200.
pub async fn ok(app: &TestApp, token: &str, path: &str) -> Value {
    let reply = app.admin_post(path, token, None).await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.body);
    reply.body
}

/// An action (`suspend`, `restore`, ...) on a site user of `org`, as its org admin, which
/// the test expects to succeed.
pub async fn site_action(
    app: &TestApp,
    org: &BootstrapOutcome,
    account: AccountId,
    verb: &str,
) -> Value {
    let path = format!("/sites/{}/users/{account}/{verb}", org.site_id);
    ok(app, admin_of(org), &path).await
}

pub async fn set_status(app: &TestApp, token: &str, account: AccountId, verb: &str) -> Reply {
    app.admin_post(&format!("/accounts/{account}/{verb}"), token, None)
        .await
}

/// Site users of `org`'s site, with an optional query string.
pub async fn site_users(app: &TestApp, org: &BootstrapOutcome, query: &str) -> Vec<Value> {
    let path = format!("/sites/{}/users{query}", org.site_id);
    let reply = app.admin_get(&path, admin_of(org)).await.expect_status(200);
    reply.body["resources"].as_array().unwrap().clone()
}

pub fn emails(users: &[Value]) -> Vec<&str> {
    users.iter().map(|u| u["email"].as_str().unwrap()).collect()
}

/// A problem+json answer with this status and code.
pub fn assert_problem(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(reply.body["code"], code, "{}", reply.body);
    assert_eq!(reply.body["status"], status);
    assert!(reply.body["title"].is_string() && reply.body["detail"].is_string());
    assert_eq!(reply.body["type"], format!("urn:scimd:problem:{code}"));
}
