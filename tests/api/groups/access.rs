//! Product access derived from groups (rules 1, 7, 16) and rule 19.

use scimd::domain::ProductAccessChange::{Grant, Revoke};
use scimd::domain::{Actor, GroupId, Product};
use scimd::service::groups::access::{account_by_email, account_site_access, change_product};
use scimd::service::groups::members::{change_members, MemberChange};
use scimd::store;
use serde_json::json;

use super::*;
use crate::on_both_backends;

fn products(list: &[&str]) -> std::collections::BTreeSet<Product> {
    list.iter().map(|p| Product::new(p).unwrap()).collect()
}

async fn product_access_follows_groups(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let token = &org.scim_token.token;
    let (ann, bob) = ann_and_bob(&app, token).await;
    let g = group(&app, token, "Jira users", &[&ann]).await;
    let gid: GroupId = g["id"].as_str().unwrap().parse().unwrap();
    let grants = change_product(&app.store, gid, org.site_id, "jira-software", Grant)
        .await
        .unwrap();
    assert!(grants.changed);
    assert!(
        !change_product(&app.store, gid, org.site_id, "jira-software", Grant)
            .await
            .unwrap()
            .changed
    );
    assert!(
        change_product(&app.store, gid, org.site_id, "bitbucket", Grant)
            .await
            .is_err(),
        "the site has no such product"
    );
    assert!(
        change_product(&app.store, gid, org.site_id, "Not A Key", Grant)
            .await
            .is_err()
    );

    let ann_account = account_by_email(&app.store, "ann@acme.example")
        .await
        .unwrap();
    let bob_account = account_by_email(&app.store, "bob@acme.example")
        .await
        .unwrap();
    let access = |account| account_site_access(&app.store, account, org.site_id);
    let a = access(ann_account).await.unwrap();
    assert_eq!(
        (a.granted.clone(), a.licensed.clone()),
        (products(&["jira-software"]), products(&["jira-software"]))
    );
    assert!(access(bob_account).await.unwrap().granted.is_empty());

    // A membership change takes effect at once, both ways.
    patch_ok(
        &app,
        token,
        g["id"].as_str().unwrap(),
        members("add", &[&bob]),
    )
    .await;
    assert_eq!(
        access(bob_account).await.unwrap().licensed,
        products(&["jira-software"])
    );
    patch_ok(&app, token, g["id"].as_str().unwrap(), remove_member(&bob)).await;
    assert!(access(bob_account).await.unwrap().licensed.is_empty());

    // Rules 1 and 7: deactivated, ann keeps the membership, but nothing counts.
    app.patch(&format!("/Users/{ann}"), token, replace("active", false))
        .await
        .expect_status(200);
    let a = access(ann_account).await.unwrap();
    assert_eq!(a.status, "deactivated");
    assert_eq!(a.granted, products(&["jira-software"]));
    assert!(a.licensed.is_empty());
    assert_eq!(
        ids(&fetch(&app, token, g["id"].as_str().unwrap()).await),
        vec![ann.clone()]
    );
    app.patch(&format!("/Users/{ann}"), token, replace("active", true))
        .await;
    assert_eq!(
        access(ann_account).await.unwrap().licensed,
        products(&["jira-software"]),
        "reactivation restores it"
    );

    assert!(
        change_product(&app.store, gid, org.site_id, "jira-software", Revoke)
            .await
            .unwrap()
            .changed
    );
    assert!(access(ann_account).await.unwrap().granted.is_empty());
}

async fn scim_delete_of_a_user_ends_its_access(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let token = &org.scim_token.token;
    let ann = user(&app, token, "ann@acme.example").await;
    let g = group(&app, token, "Confluence", &[&ann]).await;
    let gid = g["id"].as_str().unwrap();
    change_product(
        &app.store,
        gid.parse().unwrap(),
        org.site_id,
        "confluence",
        Grant,
    )
    .await
    .unwrap();
    let account = account_by_email(&app.store, "ann@acme.example")
        .await
        .unwrap();
    assert_eq!(
        account_site_access(&app.store, account, org.site_id)
            .await
            .unwrap()
            .licensed,
        products(&["confluence"])
    );

    assert_eq!(
        app.delete(&format!("/Users/{ann}"), token).await.status,
        204
    );
    let access = account_site_access(&app.store, account, org.site_id)
        .await
        .unwrap();
    assert!(
        access.granted.is_empty() && access.licensed.is_empty(),
        "rule 16: out of the directory's groups"
    );
    let now = fetch(&app, token, gid).await;
    assert!(now.get("members").is_none());
    assert_ne!(
        now["meta"]["version"], g["meta"]["version"],
        "the group's member list changed"
    );
}

async fn rule19_synced_memberships_change_only_through_their_directory(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let token = &org.scim_token.token;
    user(&app, token, "ann@acme.example").await;
    let g = group(&app, token, "Synced", &[]).await;
    let account = account_by_email(&app.store, "ann@acme.example")
        .await
        .unwrap();
    let mut tx = app.store.begin().await.unwrap();
    let stored = store::get_group(&mut tx, g["id"].as_str().unwrap().parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let change = MemberChange {
        add: vec![account],
        ..MemberChange::default()
    };
    let err = change_members(&mut tx, &Actor::OrgAdmin(org.org_id), &stored, &change, 1)
        .await
        .unwrap_err();
    assert!(
        err.to_string().starts_with(
            "cannot edit group memberships: external user management is enabled for this group"
        ),
        "{err}"
    );
    tx.rollback().await.unwrap();
    assert!(fetch(&app, token, g["id"].as_str().unwrap())
        .await
        .get("members")
        .is_none());
}

/// The admin commands, through the real binary: JSON on stdout.
/// Runs the `scimd` CLI (a command line of words without spaces, so one string can spell
/// it) on the test's database; whether it succeeded and its JSON (or, on failure, what it
/// said on stderr). It runs on the blocking pool: waiting for it on the test's own thread
/// would stop the server under test, which shares that thread, in the middle of whatever
/// it was doing (holding SQLite's write lock, say) until the CLI gave up.
async fn cli(url: &str, line: String) -> (bool, Value) {
    let url = url.to_owned();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_scimd"))
            .args(line.split_whitespace())
            .env("DATABASE_URL", url)
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let stdout: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&output.stderr).into()));
    (output.status.success(), stdout)
}

async fn cli_grants_access_and_directory_setting(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let token = &org.scim_token.token;
    let ann = user(&app, token, "ann@acme.example").await;
    let gid = group_id(&app, token, "Jira", &[&ann]).await;
    let scimd = |line: String| cli(&app.db.url, line);
    let site = org.site_id.to_string();
    let grant = format!("group grant --group {gid} --site {site} --product");
    let (ok, out) = scimd(format!("{grant} jira-software")).await;
    assert!(ok, "{out}");
    assert_eq!(
        out["grants"],
        json!([{"site_id": site, "product": "jira-software"}])
    );
    let (ok, out) = scimd(format!(
        "group access --email ann@acme.example --site {site}"
    ))
    .await;
    assert!(ok);
    assert_eq!(
        (out["granted"].clone(), out["licensed"].clone()),
        (json!(["jira-software"]), json!(["jira-software"]))
    );
    let (ok, _) = scimd(format!("{grant} nope")).await;
    assert!(!ok, "a product the site does not have");
    let revoke = format!("group revoke --group {gid} --site {site} --product jira-software");
    let (ok, out) = scimd(revoke.clone()).await;
    assert!(ok && out["changed"] == true, "{out}");

    let dir = org.directory_id.to_string();
    let minimal = format!("directory set --directory {dir} --group-patch-minimal");
    let (ok, out) = scimd(format!("{minimal} true")).await;
    assert!(ok);
    assert_eq!(out["group_patch_minimal"], true);
    let r = patch_ok(
        &app,
        token,
        &gid,
        json!([{"op": "remove", "path": "members"}]),
    )
    .await;
    assert_eq!(r.status, 204);
    let (ok, out) = scimd(format!("{minimal} false")).await;
    assert!(ok && out["group_patch_minimal"] == false, "{out}");
    let r = patch_ok(&app, token, &gid, members("add", &[&ann])).await;
    assert_eq!(r.status, 200);
}

on_both_backends! {
    product_access_follows_groups => spawn_app,
    scim_delete_of_a_user_ends_its_access => spawn_app,
    rule19_synced_memberships_change_only_through_their_directory => spawn_app,
    cli_grants_access_and_directory_setting => spawn_app,
}
