//! Local and synced groups (rule 19), product access through groups (rule 7), and the
//! audit log per org and per account.

use scimd::domain::GroupId;
use scimd::service::admin::tokens::AdminTokenFor;
use scimd::store::{self, ProductGrant};
use serde_json::json;

use super::*;
use crate::on_both_backends;

const RULE_19: &str =
    "cannot edit group memberships: external user management is enabled for this group";

async fn local_groups_change_here_synced_ones_only_in_their_directory(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    let ann_scim = provision(&app, &a, "ann@a.example").await;
    provision(&app, &a, "bo@a.example").await;
    let (ann, bo) = (
        app.account_id("ann@a.example").await,
        app.account_id("bo@a.example").await,
    );
    let groups = format!("/orgs/{}/groups", a.org_id);
    let created = app
        .admin_create(&groups, admin_of(&a), json!({"name": "Designers"}))
        .await;
    assert_eq!(created.body["source"], "local");
    let local = created.id();
    let dup = app
        .admin_post(&groups, admin_of(&a), json!({"name": "designers"}))
        .await;
    assert_problem(&dup, 409, "conflict");

    let members = format!("{groups}/{local}/members");
    let added = app
        .admin_post(&members, admin_of(&a), json!({"account_ids": [ann, bo]}))
        .await;
    assert_eq!(
        (added.status, &added.body["changed"]),
        (200, &json!(true)),
        "{}",
        added.body
    );
    assert_eq!(added.body["members"].as_array().unwrap().len(), 2);
    let again = app
        .admin_post(&members, admin_of(&a), json!({"account_ids": [ann]}))
        .await;
    assert_eq!(again.body["changed"], false);
    let removed = app
        .admin_delete(&format!("{members}/{bo}"), admin_of(&a))
        .await;
    assert_eq!(
        (&removed.body["changed"], &removed.body["members"]),
        (&json!(true), &json!([ann]))
    );
    let site_admin = app
        .admin_token(AdminTokenFor::Site {
            site: a.site_id,
            account: None,
        })
        .await;
    let refused = app
        .admin_post(&members, &site_admin, json!({"account_ids": [bo]}))
        .await;
    assert_problem(&refused, 403, "not_org_admin");

    let body = json!({"displayName": "Okta Engineering", "members": [{"value": ann_scim}]});
    let synced = app
        .post("/Groups", &a.scim_token.token, body)
        .await
        .expect_status(201);
    let synced = synced.id();
    let listed = app.admin_get(&groups, admin_of(&a)).await;
    let sources = strings(&listed.body, "source");
    assert_eq!(sources, ["local", "directory"]);
    for (method, path, body) in [
        (
            "POST",
            format!("{groups}/{synced}/members"),
            Some(json!({"account_ids": [bo]})),
        ),
        ("DELETE", format!("{groups}/{synced}/members/{ann}"), None),
    ] {
        let reply = app.admin(method, &path, admin_of(&a), body).await;
        assert_problem(&reply, 409, "synced_group_membership");
        assert!(
            reply.body["detail"].as_str().unwrap().starts_with(RULE_19),
            "{}",
            reply.body
        );
        assert_eq!(reply.body["directory"], json!(a.directory_id));
    }
    let got = app
        .admin_get(&format!("{groups}/{synced}"), admin_of(&a))
        .await;
    assert_eq!(got.body["members"], json!([ann]), "nothing changed");
}

/// Grants `product` of `org`'s site to the group just created (as an operator would, in
/// the store); the group's id.
async fn granted(app: &TestApp, created: &Reply, org: &BootstrapOutcome, product: &str) -> GroupId {
    let group: GroupId = created.id().parse().expect("group id");
    let grant = ProductGrant {
        site_id: org.site_id,
        product: product.into(),
    };
    let mut conn = app.store.read().await.expect("connection");
    let granted = store::grant_group_product(&mut conn, group, &grant).await;
    granted.expect("grant");
    group
}

async fn product_access_through_groups(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    let ann_scim = provision(&app, &a, "ann@a.example").await;
    let ann = app.account_id("ann@a.example").await;
    let body = json!({"displayName": "Okta Jira", "members": [{"value": ann_scim}]});
    let synced = app.post("/Groups", &a.scim_token.token, body).await;
    granted(&app, &synced, &a, "jira-software").await;

    let products = format!("/sites/{}/users/{ann}/products", a.site_id);
    let listed = site_users(&app, &a, "").await;
    assert_eq!(listed[0]["products"], json!(["jira-software"]));
    let refused = app
        .admin_delete(&format!("{products}/jira-software"), admin_of(&a))
        .await;
    assert_problem(&refused, 409, "synced_group_membership");
    assert!(refused.detail().starts_with(RULE_19));
    let unknown = app
        .admin_post(&products, admin_of(&a), json!({"product": "bitbucket"}))
        .await;
    assert_problem(&unknown, 400, "invalid_request");

    let groups = format!("/orgs/{}/groups", a.org_id);
    let local = app
        .admin_post(&groups, admin_of(&a), json!({"name": "Wiki"}))
        .await;
    let local = granted(&app, &local, &a, "confluence").await;
    let members = format!("{groups}/{local}/members");
    app.admin_post(&members, admin_of(&a), json!({"account_ids": [ann]}))
        .await;
    let refused = app
        .admin_delete(&format!("{products}/confluence"), admin_of(&a))
        .await;
    assert_problem(&refused, 409, "granted_by_group");

    provision(&app, &a, "off@a.example").await;
    let off = app.account_id("off@a.example").await;
    set_status(&app, admin_of(&a), off, "deactivate").await;
    let refused = app
        .admin_post(&members, admin_of(&a), json!({"account_ids": [off]}))
        .await;
    assert_problem(&refused, 409, "account_deactivated");
}

async fn audit_log_per_org_and_per_account(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    let b = app.bootstrap("B", &["b.example"]).await;
    provision(&app, &b, "x@b.example").await;
    let x = app.account_id("x@b.example").await;
    invite(&app, &a, json!({"emails": ["x@b.example"]})).await;
    set_status(&app, admin_of(&b), x, "deactivate").await;

    let org_log = app
        .admin_get(&format!("/orgs/{}/audit", b.org_id), admin_of(&b))
        .await;
    let latest = &org_log.body["entries"][0];
    assert_eq!(
        (&latest["action"], &latest["actor_kind"]),
        (&json!("account.deactivated"), &json!("org_admin"))
    );
    assert_eq!(latest["account_id"], json!(x));
    assert_eq!(latest["detail"]["status_before"], "active");
    assert!(
        latest["detail"]["token"].is_string(),
        "which credential acted"
    );

    let created = item(&org_log.body["entries"], "action", "account.created");
    assert_eq!(created["actor_kind"], "directory");
    assert_eq!(
        created["detail"]["token"],
        json!(b.scim_token.jti),
        "a directory's entries name the token that acted"
    );

    let actions = |reply: &Reply| -> Vec<String> {
        reply.body["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect()
    };
    let path = format!("/accounts/{x}/audit");
    let by_b = app.admin_get(&path, admin_of(&b)).await;
    let seen_by_b = actions(&by_b);
    assert!(
        seen_by_b.contains(&"site_user.invited".to_owned())
            && seen_by_b.contains(&"account.deactivated".to_owned())
    );
    assert!(
        seen_by_b.contains(&"account.created".to_owned()),
        "the directory's entry too: {seen_by_b:?}"
    );
    let by_a = app.admin_get(&path, admin_of(&a)).await;
    assert_eq!(
        actions(&by_a),
        ["site_user.invited"],
        "another org sees what it recorded itself"
    );
    let owner = app.admin_token(AdminTokenFor::Owner(x)).await;
    let by_owner = actions(&app.admin_get(&path, &owner).await);
    assert_eq!(
        by_owner[0], "token.issued",
        "issuing the owner's token is on its record"
    );
    assert_eq!(by_owner[1..], seen_by_b[..]);

    let page = app
        .admin_get(&format!("/orgs/{}/audit?limit=1", a.org_id), admin_of(&a))
        .await;
    let before = page.body["next_before"].as_i64().expect("a next page");
    let next_path = format!("/orgs/{}/audit?limit=1&before={before}", a.org_id);
    let next = app.admin_get(&next_path, admin_of(&a)).await;
    assert!(next.body["entries"][0]["id"].as_i64().unwrap() < before);

    // Once erased, anyone may learn the id was deleted, but not read its history.
    app.admin_delete(&format!("/accounts/{x}"), admin_of(&b))
        .await
        .expect_status(200);
    provision(&app, &b, "someone@elsewhere.example").await;
    let stranger = app
        .admin_token(AdminTokenFor::Owner(
            app.account_id("someone@elsewhere.example").await,
        ))
        .await;
    assert_eq!(
        app.admin_get(&format!("/accounts/{x}"), &stranger)
            .await
            .status,
        200
    );
    app.admin_get(&path, &stranger).await.expect_status(404);
}

/// The org's group list shows each group's grants and no members, in the same number of
/// statements with one group as with many, large or small: no member is read.
async fn listing_groups_reads_no_members_and_no_statement_per_group(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    let mut scim_ids = Vec::new();
    for name in ["ann", "bo", "cy"] {
        scim_ids.push(provision(&app, &a, &format!("{name}@a.example")).await);
    }
    let groups = format!("/orgs/{}/groups", a.org_id);
    let designers = app
        .admin_create(&groups, admin_of(&a), json!({"name": "Designers"}))
        .await;
    let designers = granted(&app, &designers, &a, "jira-software").await;
    let one = app
        .admin_get(&groups, admin_of(&a))
        .await
        .expect_status(200);
    let budget = one.statements();

    let accounts = [
        app.account_id("ann@a.example").await,
        app.account_id("bo@a.example").await,
    ];
    let members = format!("{groups}/{designers}/members");
    app.admin_post(&members, admin_of(&a), json!({"account_ids": accounts}))
        .await
        .expect_status(200);
    let writers = app
        .admin_create(&groups, admin_of(&a), json!({"name": "Writers"}))
        .await;
    let writers = granted(&app, &writers, &a, "confluence").await;
    let members: Vec<_> = scim_ids.iter().map(|id| json!({"value": id})).collect();
    let body = json!({"displayName": "Okta Everyone", "members": members});
    app.post("/Groups", &a.scim_token.token, body)
        .await
        .expect_status(201);
    let many = app
        .admin_get(&groups, admin_of(&a))
        .await
        .expect_status(200);
    assert_eq!(many.statements(), budget, "{}", many.body);

    let listed = many.body.as_array().expect("a list of groups");
    let names: Vec<_> = listed.iter().map(|g| g["display_name"].clone()).collect();
    assert_eq!(
        names,
        [json!("Designers"), json!("Okta Everyone"), json!("Writers")]
    );
    for group in listed {
        assert_eq!(group["members"], json!([]), "{group}");
    }
    let grants = |n: usize| listed[n]["grants"].clone();
    let site = json!(a.site_id);
    assert_eq!(
        grants(0),
        json!([{"site_id": site, "product": "jira-software"}])
    );
    assert_eq!(grants(1), json!([]));
    assert_eq!(
        grants(2),
        json!([{"site_id": site, "product": "confluence"}])
    );
    let one_group = app
        .admin_get(&format!("{groups}/{writers}"), admin_of(&a))
        .await;
    assert_eq!(one_group.body["grants"], grants(2));
}

on_both_backends! {
    listing_groups_reads_no_members_and_no_statement_per_group => spawn_app,
    local_groups_change_here_synced_ones_only_in_their_directory => spawn_app,
    product_access_through_groups => spawn_app,
    audit_log_per_org_and_per_account => spawn_app,
}
