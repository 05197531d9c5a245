//! `/scim/v2/Users` under the account model's rules 12–18: what a directory may change on
//! the accounts it links, on both backends.

use scimd::domain::AccountStatus;
use scimd::store;
use serde_json::json;

use crate::helpers::*;
use crate::on_both_backends;
use crate::users::{create, user, user_with};

async fn foreign_accounts_are_refused_and_unchanged(app: TestApp) {
    let acme = app.bootstrap("Acme", &["acme.example"]).await;
    let globex = app.bootstrap("Globex", &["globex.example"]).await;
    // Globex's directory provisions its own user first.
    create(&app, &globex.scim_token.token, user("gina@globex.example")).await;

    // Acme's directory links the same account (an external user for Acme): 201, and the
    // account keeps its own profile (rule 14).
    let body = user_with(
        "gina@globex.example",
        json!({"name": {"givenName": "Someone", "familyName": "Else"}}),
    );
    let linked = create(&app, &acme.scim_token.token, body).await;
    assert_eq!(
        linked["name"]["givenName"], "Ann",
        "the account's own profile wins"
    );
    let id = linked["id"].as_str().unwrap().to_owned();
    let path = format!("/Users/{id}");

    for ops in [
        replace("name.givenName", "Hacked"),
        replace("active", false),
        json!([{"op": "replace", "path": "emails", "value": [{"value": "gina@acme.example", "primary": true}]}]),
    ] {
        let r = app.patch(&path, &acme.scim_token.token, ops.clone()).await;
        assert_eq!(r.status, 403, "{ops}: {}", r.body);
        r.assert_detail("managed by another organization");
        assert!(
            r.detail().contains("instead"),
            "says what to do instead: {}",
            r.body
        );
    }
    // Unchanged values are not changes (rule 13): IdPs resend them.
    app
        .patch(&path, &acme.scim_token.token, json!([{"op": "replace", "value": {"active": true, "name": {"givenName": "Ann", "familyName": "Example"}}}]))
        .await.expect_status(200);
    // Acme's own record attributes are its to change.
    app.patch(
        &path,
        &acme.scim_token.token,
        replace("externalId", "acme-77"),
    )
    .await
    .expect_status(200);

    let gina = r#"userName eq "gina@globex.example""#;
    let seen_by_globex = app.filtered("/Users", gina, &globex.scim_token.token).await;
    let theirs = &seen_by_globex.body["Resources"][0];
    assert_eq!(theirs["name"]["givenName"], "Ann");
    assert_eq!(theirs["active"], true);
    assert_eq!(
        theirs["externalId"], "ext-gina@globex.example",
        "records are per directory"
    );

    // Rule 18: Globex cannot see Acme's record id.
    let r = app.get(&path, &globex.scim_token.token).await;
    assert_eq!(r.status, 404);

    // Rule 16: Acme deleting its external user unlinks it but leaves the account active.
    let r = app.delete(&path, &acme.scim_token.token).await;
    assert_eq!(r.status, 204);
    assert_eq!(app.get(&path, &acme.scim_token.token).await.status, 404);
    app.assert_account_status("gina@globex.example", AccountStatus::Active)
        .await;
}

async fn delete_deactivates_managed_accounts(app: TestApp) {
    let token = &app.acme_token().await;
    let first = user_with("ann@acme.example", json!({"title": "Lead"}));
    let id = app.create_user(token, first).await.id();
    let r = app.delete(&format!("/Users/{id}"), token).await;
    assert_eq!(r.status, 204);
    app.assert_account_status("ann@acme.example", AccountStatus::Deactivated)
        .await;
    assert_eq!(app.delete(&format!("/Users/{id}"), token).await.status, 404);
    // Provisioning the account again links the same account, with a new SCIM id; what the
    // POST leaves out of the account's profile stays, and `active: true` reactivates it.
    let again = create(&app, token, user("ann@acme.example")).await;
    assert_ne!(again["id"], id.as_str());
    assert_eq!(again["title"], "Lead");
    assert_eq!(again["active"], true);
    app.assert_account_status("ann@acme.example", AccountStatus::Active)
        .await;
}

async fn email_changes_stay_within_verified_domains(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example", "acme.test"]).await;
    let token = &org.scim_token.token;
    let id = app.create_user(token, user("ann@acme.example")).await.id();
    let path = format!("/Users/{id}");
    let to = |email: &str| {
        patch_op(
            json!([{"op": "replace", "path": "emails", "value": [{"value": email, "type": "work"}]}]),
        )
    };
    let r = app
        .scim("PATCH", &path, token, Some(to("ann@gmail.example")))
        .await
        .expect_status(403);
    r.assert_detail("verif");
    let mut conn = app.store.read().await.unwrap();
    assert!(store::find_account_by_email(&mut conn, "ann@gmail.example")
        .await
        .unwrap()
        .is_none());
    drop(conn);
    let r = app
        .scim("PATCH", &path, token, Some(to("ann@acme.test")))
        .await
        .expect_status(200);
    assert_eq!(r.body["emails"][0]["value"], "ann@acme.test");
    assert_eq!(
        r.body["userName"], "ann@acme.example",
        "userName is the directory's identifier, not the email"
    );
    let account = app.account("ann@acme.test").await;
    assert_eq!(account.managing_org, Some(org.org_id));
}

async fn another_orgs_domain_is_created_without_this_directorys_profile(app: TestApp) {
    let _acme = app.bootstrap("Acme", &["acme.example"]).await;
    let globex = app.bootstrap("Globex", &["globex.example"]).await;
    // Globex's directory provisions someone on Acme's domain before Acme's directory does.
    let created = create(&app, &globex.scim_token.token, user("carl@acme.example")).await;
    assert!(
        created.get("name").is_none() && created.get("displayName").is_none(),
        "{created}"
    );
    let account = app.account("carl@acme.example").await;
    assert_eq!(account.managing_org, Some(_acme.org_id));
    assert_eq!(
        account.profile,
        json!({}),
        "Acme's account, not Globex's to describe"
    );
}

on_both_backends! {
    foreign_accounts_are_refused_and_unchanged => spawn_app,
    delete_deactivates_managed_accounts => spawn_app,
    email_changes_stay_within_verified_domains => spawn_app,
    another_orgs_domain_is_created_without_this_directorys_profile => spawn_app,
}
