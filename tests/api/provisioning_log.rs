//! The provisioning log (issue 12): every SCIM write and what it came to, per directory,
//! read by the org's admins at `/admin/v1/orgs/{org}/provisioning-log`.

use scimd::domain::{ProvisionedResource, ProvisioningOperation, ProvisioningOutcome};
use scimd::service::admin::tokens::AdminTokenFor;
use scimd::service::bootstrap::BootstrapOutcome;
use scimd::store::{self, NewProvisioningEntry};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_backends;

const MARKER: &str = "BODY-MARKER-7731";

fn user(email: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
           "userName": email, "displayName": "Someone",
           "emails": [{"value": email, "type": "work", "primary": true}]})
}

fn patch(ops: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

/// The org's log as its admin reads it, with a query string (`?...` or empty).
async fn log(app: &TestApp, org: &BootstrapOutcome, query: &str) -> Value {
    let path = format!("/orgs/{}/provisioning-log{query}", org.org_id);
    let reply = app.admin("GET", &path, &org.admin_token.token, None).await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.body);
    reply.body
}

fn entries(page: &Value) -> &Vec<Value> {
    page["entries"].as_array().expect("entries")
}

async fn create(app: &TestApp, org: &BootstrapOutcome, email: &str) -> String {
    let reply = app
        .scim("POST", "/Users", &org.scim_token.token, Some(user(email)))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

async fn audit_count(app: &TestApp) -> i64 {
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
    let refused = app
        .scim(
            "PATCH",
            &format!("/Users/{linked}"),
            &b.scim_token.token,
            Some(patch(
                json!([{"op": "replace", "path": "title", "value": MARKER}]),
            )),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
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
    let bad = app
        .scim(
            "POST",
            "/Users",
            &a.scim_token.token,
            Some(json!({"userName": "x@a.example",
                        "emails": [{"value": format!("{MARKER}@@a.example"), "primary": true}]})),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    let bad_patch = app
        .scim(
            "PATCH",
            &format!("/Users/{ann}"),
            &a.scim_token.token,
            Some(patch(
                json!([{"op": "replace", "path": format!("{MARKER}["), "value": 1}]),
            )),
        )
        .await;
    assert_eq!(bad_patch.status, 400, "{}", bad_patch.body);
    assert!(bad_patch.detail().contains(MARKER), "{}", bad_patch.body);
    let unparsable = app
        .client
        .post(format!("{}/scim/v2/Users", app.address))
        .bearer_auth(&a.scim_token.token)
        .header("content-type", "application/scim+json")
        .body(format!("{{\"userName\": \"{MARKER}"))
        .send()
        .await
        .unwrap();
    assert_eq!(unparsable.status(), 400);
    // A create refused as a duplicate names the email it asked for.
    let duplicate = app
        .scim(
            "POST",
            "/Users",
            &a.scim_token.token,
            Some(user("ann@a.example")),
        )
        .await;
    assert_eq!(duplicate.status, 409, "{}", duplicate.body);

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
    let other_admin = app.admin("GET", &path, &b.admin_token.token, None).await;
    assert_eq!(other_admin.status, 403, "{}", other_admin.body);
    assert_eq!(other_admin.body["code"], "not_org_admin");
    assert!(!other_admin.body.to_string().contains("ann@a.example"));
    let site_admin = app
        .admin_token(AdminTokenFor::Site {
            site: a.site_id,
            account: None,
        })
        .await;
    let reply = app.admin("GET", &path, &site_admin, None).await;
    assert_eq!(
        (reply.status, &reply.body["code"]),
        (403, &json!("not_org_admin"))
    );
    let directory = app.admin("GET", &path, &a.scim_token.token, None).await;
    assert_eq!(
        directory.status, 401,
        "a directory token is not an admin token"
    );
    let nobody = app
        .client
        .get(format!("{}/admin/v1{path}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(nobody.status(), 401);
    // B's admin naming A's directory in its own org's log sees nothing either.
    let page = log(&app, &b, &format!("?directory={}", a.directory_id)).await;
    assert!(entries(&page).is_empty(), "{page}");
}

/// Every id of the log walked page by page with `before`.
async fn walk(app: &TestApp, org: &BootstrapOutcome, query: &str, limit: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut before = String::new();
    loop {
        let page = log(app, org, &format!("?limit={limit}{query}{before}")).await;
        let got: Vec<i64> = entries(&page)
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect();
        assert!(got.len() <= limit);
        ids.extend(&got);
        match page["next_before"].as_i64() {
            Some(next) => {
                assert_eq!(Some(&next), got.last(), "{page}");
                before = format!("&before={next}");
            }
            None => return ids,
        }
    }
}

async fn filters_and_pages(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    let b = app.bootstrap("B", &["b.example"]).await;
    let token = &a.scim_token.token;
    // A second directory of A, with its own token.
    let dir = app
        .admin(
            "POST",
            &format!("/orgs/{}/directories", a.org_id),
            &a.admin_token.token,
            Some(json!({"name": "Entra ID"})),
        )
        .await;
    let second = dir.body["id"].as_str().unwrap().to_owned();
    let issued = app
        .admin(
            "POST",
            &format!("/orgs/{}/directories/{second}/tokens", a.org_id),
            &a.admin_token.token,
            None,
        )
        .await;
    let second_token = issued.body["token"].as_str().unwrap().to_owned();

    let ann = create(&app, &a, "Ann@A.example").await;
    for i in 0..4 {
        create(&app, &a, &format!("user{i}@a.example")).await;
    }
    let put = app
        .scim(
            "PUT",
            &format!("/Users/{ann}"),
            token,
            Some(user("ann@a.example")),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    let unchanged = app
        .scim(
            "PUT",
            &format!("/Users/{ann}"),
            token,
            Some(user("ann@a.example")),
        )
        .await;
    assert_eq!(unchanged.status, 200);
    let group = app
        .scim(
            "POST",
            "/Groups",
            token,
            Some(json!({"displayName": "Engineering"})),
        )
        .await;
    assert_eq!(group.status, 201, "{}", group.body);
    let gid = group.body["id"].as_str().unwrap().to_owned();
    let add = patch(json!([{"op": "add", "path": "members", "value": [{"value": ann}]}]));
    for _ in 0..2 {
        let reply = app
            .scim("PATCH", &format!("/Groups/{gid}"), token, Some(add.clone()))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let gone = app
        .scim("DELETE", &format!("/Groups/{gid}"), token, None)
        .await;
    assert_eq!(gone.status, 204);
    // The second directory: a create, a link of another org's account and a refusal.
    let body = user("bo@a.example");
    let bo = app.scim("POST", "/Users", &second_token, Some(body)).await;
    assert_eq!(bo.status, 201, "{}", bo.body);
    let bo = bo.body["id"].as_str().unwrap().to_owned();
    create(&app, &b, "cy@b.example").await;
    let cy = app
        .scim("POST", "/Users", &second_token, Some(user("cy@b.example")))
        .await;
    let cy = cy.body["id"].as_str().unwrap().to_owned();
    let deactivate = patch(json!([{"op": "replace", "path": "active", "value": false}]));
    let refused = app
        .scim(
            "PATCH",
            &format!("/Users/{cy}"),
            &second_token,
            Some(deactivate),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let missing = app
        .scim(
            "DELETE",
            &format!("/Users/{}", uuid::Uuid::new_v4()),
            token,
            None,
        )
        .await;
    assert_eq!(missing.status, 404);
    let deleted = app
        .scim("DELETE", &format!("/Users/{bo}"), &second_token, None)
        .await;
    assert_eq!(deleted.status, 204);

    let all = log(&app, &a, "").await;
    let all = entries(&all);
    let ops: Vec<(String, String, String, Value)> = all
        .iter()
        .rev()
        .map(|e| {
            (
                e["operation"].as_str().unwrap().to_owned(),
                e["resource_type"].as_str().unwrap().to_owned(),
                e["outcome"].as_str().unwrap().to_owned(),
                e["changed"].clone(),
            )
        })
        .collect();
    let expected: Vec<(&str, &str, &str, Value)> = [
        vec![("create", "User", "ok", json!(true)); 5],
        vec![
            ("replace", "User", "ok", json!(true)),
            ("replace", "User", "ok", json!(false)),
            ("create", "Group", "ok", json!(true)),
            ("patch", "Group", "ok", json!(true)),
            ("patch", "Group", "ok", json!(false)),
            ("delete", "Group", "ok", json!(true)),
            ("create", "User", "ok", json!(true)),
            ("create", "User", "ok", json!(true)),
            ("patch", "User", "refused", Value::Null),
            ("delete", "User", "client_error", Value::Null),
            ("delete", "User", "ok", json!(true)),
        ],
    ]
    .concat();
    let expected: Vec<(String, String, String, Value)> = expected
        .into_iter()
        .map(|(o, r, c, ch)| (o.into(), r.into(), c.into(), ch))
        .collect();
    assert_eq!(ops, expected);
    let ids: Vec<i64> = all.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");

    // Filters.
    let failures = log(&app, &a, "?outcome=refused,client_error").await;
    let outcomes: Vec<&str> = entries(&failures)
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["client_error", "refused"]);
    let refused = log(&app, &a, "?outcome=refused").await;
    assert_eq!(entries(&refused).len(), 1);
    assert_eq!(entries(&refused)[0]["email"], "cy@b.example");
    let ok = log(&app, &a, "?outcome=ok").await;
    assert_eq!(entries(&ok).len(), all.len() - 2);
    let second_dir = log(&app, &a, &format!("?directory={second}")).await;
    assert_eq!(entries(&second_dir).len(), 4);
    assert!(entries(&second_dir)
        .iter()
        .all(|e| e["directory_id"] == second.as_str()));
    let combined = log(
        &app,
        &a,
        &format!("?directory={second}&outcome=refused&email=CY@B.EXAMPLE"),
    )
    .await;
    assert_eq!(entries(&combined).len(), 1, "{combined}");
    let anns = log(&app, &a, &format!("?email={}", urlencode("ANN@a.example"))).await;
    let anns = entries(&anns);
    assert_eq!(anns.len(), 3, "create and two PUTs: {anns:?}");
    assert!(anns.iter().all(|e| e["resource_id"] == ann.as_str()));
    assert_eq!(anns[2]["email"], "Ann@A.example", "as the IdP wrote it");
    let nobody = log(&app, &a, "?email=nobody@a.example").await;
    assert!(entries(&nobody).is_empty());

    // Paging: newest first by id, every entry once, whatever the page size.
    for limit in [1, 2, 5, 100] {
        assert_eq!(walk(&app, &a, "", limit).await, ids, "limit {limit}");
    }
    let oks: Vec<i64> = all
        .iter()
        .filter(|e| e["outcome"] == "ok")
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(walk(&app, &a, "&outcome=ok", 3).await, oks);

    // What the filters refuse.
    let path = format!("/orgs/{}/provisioning-log", a.org_id);
    for query in [
        "?outcome=failed",
        "?directory=not-a-uuid",
        "?before=x",
        "?page=2",
    ] {
        let reply = app
            .admin("GET", &format!("{path}{query}"), &a.admin_token.token, None)
            .await;
        assert_eq!(reply.status, 400, "{query}: {}", reply.body);
        assert_eq!(reply.body["code"], "invalid_request", "{query}");
    }
    let long = "x".repeat(300);
    let reply = app
        .admin(
            "GET",
            &format!("{path}?email={long}"),
            &a.admin_token.token,
            None,
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.body);
}

fn entry_at(org: &BootstrapOutcome, at: i64, email: &str) -> NewProvisioningEntry {
    NewProvisioningEntry {
        at,
        org_id: org.org_id,
        directory_id: org.directory_id,
        token_id: org.scim_token.jti,
        operation: ProvisioningOperation::Create,
        resource_type: ProvisionedResource::User,
        resource_id: Some(uuid::Uuid::new_v4()),
        account_id: None,
        email: Some(email.to_owned()),
        outcome: ProvisioningOutcome::Ok,
        changed: Some(true),
        status: None,
        code: None,
        detail: None,
    }
}

const DAY: i64 = 86_400_000_000;

/// The server prunes at start what is older than `--provisioning-log-days`; the pruning
/// itself works in batches until nothing old is left.
async fn old_entries_are_pruned(db: TestDb) {
    let store = db.store().await;
    let tokens = scimd::service::tokens::Tokens::load(store.clone())
        .await
        .unwrap();
    let org = scimd::service::bootstrap::bootstrap(
        &store,
        &tokens,
        &scimd::service::bootstrap::BootstrapRequest {
            org_name: "A".into(),
            domains: vec!["a.example".into()],
            site_name: "main".into(),
            products: vec!["jira-software".into()],
            directory_name: "okta".into(),
        },
    )
    .await
    .unwrap();
    let now = store::now_micros();
    let mut tx = store.begin().await.unwrap();
    for (days, email) in [(40, "old@a.example"), (10, "recent@a.example")] {
        store::append_provisioning(&mut tx, entry_at(&org, now - days * DAY, email))
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();

    let app = spawn_app_on(db, |args| args.provisioning_log_days = 20).await;
    let mut emails = Vec::new();
    for _ in 0..100 {
        let page = log(&app, &org, "").await;
        emails = entries(&page)
            .iter()
            .map(|e| e["email"].as_str().unwrap().to_owned())
            .collect();
        if emails.len() == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(emails, ["recent@a.example"], "older than 20 days is gone");

    // Many old entries go in several batches; newer ones stay.
    let mut tx = app.store.begin().await.unwrap();
    for i in 0..2100 {
        store::append_provisioning(
            &mut tx,
            entry_at(&org, now - 31 * DAY + i, "bulk@a.example"),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let deleted = scimd::service::provisioning::prune(&app.store, 30, now)
        .await
        .unwrap();
    assert_eq!(deleted, 2100);
    let page = log(&app, &org, "").await;
    assert_eq!(entries(&page).len(), 1);
    assert_eq!(
        scimd::service::provisioning::prune(&app.store, 30, now)
            .await
            .unwrap(),
        0
    );
}

/// Deleting an account erases its email from the log (rule 11), also where a refused
/// create named it without an account.
async fn a_deleted_accounts_email_is_erased(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    let ann = create(&app, &a, "ann@a.example").await;
    let dup = app
        .scim(
            "POST",
            "/Users",
            &a.scim_token.token,
            Some(user("ANN@a.example")),
        )
        .await;
    assert_eq!(dup.status, 409);
    create(&app, &a, "bo@a.example").await;
    let account = app.account_id("ann@a.example").await;
    let deleted = app
        .admin(
            "DELETE",
            &format!("/accounts/{account}"),
            &a.admin_token.token,
            None,
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    let page = log(&app, &a, "").await;
    let text = page.to_string();
    assert!(!text.to_lowercase().contains("ann@a.example"), "{text}");
    let anns: Vec<&Value> = entries(&page)
        .iter()
        .filter(|e| e["resource_id"] == ann.as_str())
        .collect();
    assert_eq!(anns.len(), 1, "the entry stays, by id");
    assert_eq!(anns[0]["account_id"], json!(account));
    assert!(text.contains("bo@a.example"), "other accounts keep theirs");
}

on_both_backends! {
    creates_refusals_and_client_errors_are_logged => spawn_app,
    only_the_orgs_admins_read_its_log => spawn_app,
    filters_and_pages => spawn_app,
    old_entries_are_pruned => test_db,
    a_deleted_accounts_email_is_erased => spawn_app,
}
