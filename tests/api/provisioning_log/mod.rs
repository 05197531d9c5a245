//! The provisioning log (issue 12): every SCIM write and what it came to, per directory,
//! read by the org's admins at `/admin/v1/orgs/{org}/provisioning-log`.

mod bulk;
mod filters;
mod retention;

use scimd::service::admin::tokens::AdminTokenFor;
use scimd::service::bootstrap::BootstrapOutcome;
use scimd::store;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_backends;

pub(super) const MARKER: &str = "BODY-MARKER-7731";

pub(super) fn user(email: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
           "userName": email, "displayName": "Someone",
           "emails": [{"value": email, "type": "work", "primary": true}]})
}

/// The org's log as its admin reads it, with a query string (`?...` or empty).
pub(super) async fn log(app: &TestApp, org: &BootstrapOutcome, query: &str) -> Value {
    let path = format!("/orgs/{}/provisioning-log{query}", org.org_id);
    let reply = app.admin_get(&path, &org.admin_token.token).await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.body);
    reply.body
}

pub(super) fn entries(page: &Value) -> &Vec<Value> {
    page["entries"].as_array().expect("entries")
}

pub(super) async fn create(app: &TestApp, org: &BootstrapOutcome, email: &str) -> String {
    let reply = app.create_user(&org.scim_token.token, user(email)).await;
    reply.id()
}

pub(super) async fn audit_count(app: &TestApp) -> i64 {
    let mut conn = app.store.read().await.unwrap();
    store::query("SELECT COUNT(*) FROM audit_log")
        .scalar(&mut conn)
        .await
        .unwrap()
}

async fn creates_refusals_and_client_errors_are_logged(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    let b = app.bootstrap("B", &["b.example"]).await;
    let ann = create(&app, &a, "ann@a.example").await;
    let ann_account = app.account_id("ann@a.example").await;

    let page = log(&app, &a, "").await;
    let created = &entries(&page)[0];
    assert_eq!(entries(&page).len(), 1, "{page}");
    assert_eq!(created["outcome"], "ok");
    assert_eq!(created["operation"], "create");
    assert_eq!(created["resource_type"], "User");
    assert_eq!(created["resource_id"], ann.as_str());
    assert_eq!(created["account_id"], json!(ann_account));
    assert_eq!(created["email"], "ann@a.example");
    assert_eq!(created["directory_id"], json!(a.directory_id));
    assert_eq!(created["token"], json!(a.scim_token.jti));
    assert_eq!(created["changed"], true);
    assert_eq!(created["status"], Value::Null);
    assert_eq!(created["detail"], Value::Null);
    assert!(created["at"].as_str().unwrap().ends_with('Z'), "{created}");

    // B's directory links the account A manages, then tries to change it (rule 13).
    let linked = create(&app, &b, "ann@a.example").await;
    let audit_before = audit_count(&app).await;
    app.patch(
        &format!("/Users/{linked}"),
        &b.scim_token.token,
        replace("title", MARKER),
    )
    .await
    .expect_status(403);
    assert_eq!(
        audit_count(&app).await,
        audit_before,
        "a refusal changes nothing"
    );
    let page = log(&app, &b, "").await;
    let entry = &entries(&page)[0];
    assert_eq!(entry["outcome"], "refused", "{entry}");
    assert_eq!(entry["operation"], "patch");
    assert_eq!(entry["code"], "managed_by_other_org");
    assert_eq!(entry["status"], 403);
    assert_eq!(entry["resource_id"], linked.as_str());
    assert_eq!(entry["account_id"], json!(ann_account));
    assert_eq!(entry["email"], "ann@a.example");
    assert_eq!(entry["token"], json!(b.scim_token.jti));
    assert_eq!(entry["changed"], Value::Null);
    let detail = entry["detail"].as_str().unwrap();
    assert!(
        detail.contains("managed by another organization; only its administrators"),
        "{detail}"
    );
    assert!(detail.contains("unassign the user"), "{detail}");
    assert_eq!(
        entries(&page).len(),
        2,
        "B's create and its refusal: {page}"
    );
    assert_eq!(entries(&log(&app, &a, "").await).len(), 1, "A's log is A's");

    // 400s, one whose detail quotes the body: an entry keeps status and scimType only.
    app.post(
        "/Users",
        &a.scim_token.token,
        json!({"userName": "x@a.example",
                        "emails": [{"value": format!("{MARKER}@@a.example"), "primary": true}]}),
    )
    .await
    .expect_status(400);
    let bad_patch = app
        .patch(
            &format!("/Users/{ann}"),
            &a.scim_token.token,
            json!([{"op": "replace", "path": format!("{MARKER}["), "value": 1}]),
        )
        .await
        .expect_status(400);
    bad_patch.assert_detail(MARKER);
    let unparsable = format!("{{\"userName\": \"{MARKER}");
    let (token, scim_json) = (&a.scim_token.token, "application/scim+json");
    let unparsable = app
        .post_text("/scim/v2/Users", token, scim_json, &unparsable)
        .await;
    assert_eq!(unparsable.status, 400);
    // A create refused as a duplicate names the email it asked for.
    app.post("/Users", &a.scim_token.token, user("ann@a.example"))
        .await
        .expect_status(409);

    let page = log(&app, &a, "").await;
    let newest: Vec<&Value> = entries(&page).iter().take(4).collect();
    let dup = newest[0];
    assert_eq!(
        (&dup["outcome"], &dup["status"], &dup["code"], &dup["email"]),
        (
            &json!("client_error"),
            &json!(409),
            &json!("uniqueness"),
            &json!("ann@a.example")
        ),
        "{dup}"
    );
    let syntax = newest[1];
    assert_eq!(
        (&syntax["outcome"], &syntax["status"], &syntax["code"]),
        (&json!("client_error"), &json!(400), &json!("invalidSyntax")),
        "{syntax}"
    );
    assert_eq!(syntax["operation"], "create");
    let patch_400 = newest[2];
    assert_eq!(patch_400["outcome"], "client_error", "{patch_400}");
    assert_eq!(patch_400["operation"], "patch");
    assert_eq!(patch_400["resource_id"], ann.as_str());
    assert_eq!(
        patch_400["email"], "ann@a.example",
        "the addressed user's email"
    );
    let invalid = newest[3];
    assert_eq!(
        (&invalid["outcome"], &invalid["status"], &invalid["email"]),
        (&json!("client_error"), &json!(400), &Value::Null),
        "no valid email was asked for: {invalid}"
    );
    for entry in newest {
        assert_eq!(entry["detail"], Value::Null, "{entry}");
    }

    // No request body content, in any org's log or anywhere in the table.
    for org in [&a, &b] {
        let text = log(&app, org, "").await.to_string();
        assert!(!text.contains(MARKER), "{text}");
    }
    let mut conn = app.store.read().await.unwrap();
    let rows: i64 = store::query(
        "SELECT COUNT(*) FROM provisioning_log WHERE email LIKE $1 OR email_lower LIKE $1 \
         OR code LIKE $1 OR detail LIKE $1 OR operation LIKE $1 OR resource_type LIKE $1",
    )
    .bind(format!("%{MARKER}%"))
    .scalar(&mut conn)
    .await
    .unwrap();
    assert_eq!(rows, 0);
}

async fn only_the_orgs_admins_read_its_log(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    let b = app.bootstrap("B", &["b.example"]).await;
    create(&app, &a, "ann@a.example").await;
    let path = format!("/orgs/{}/provisioning-log", a.org_id);
    let other_admin = app
        .admin_get(&path, &b.admin_token.token)
        .await
        .expect_status(403);
    assert_eq!(other_admin.body["code"], "not_org_admin");
    assert!(!other_admin.body.to_string().contains("ann@a.example"));
    let site_admin = app
        .admin_token(AdminTokenFor::Site {
            site: a.site_id,
            account: None,
        })
        .await;
    let reply = app.admin_get(&path, &site_admin).await;
    assert_eq!(
        (reply.status, &reply.body["code"]),
        (403, &json!("not_org_admin"))
    );
    let directory = app.admin_get(&path, &a.scim_token.token).await;
    assert_eq!(
        directory.status, 401,
        "a directory token is not an admin token"
    );
    let nobody = app.get_anonymous(&format!("/admin/v1{path}")).await;
    assert_eq!(nobody.status, 401);
    // B's admin naming A's directory in its own org's log sees nothing either.
    let page = log(&app, &b, &format!("?directory={}", a.directory_id)).await;
    assert!(entries(&page).is_empty(), "{page}");
}

on_both_backends! {
    creates_refusals_and_client_errors_are_logged => spawn_app,
    only_the_orgs_admins_read_its_log => spawn_app,
}
