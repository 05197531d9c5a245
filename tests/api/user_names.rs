//! `userName` is the directory's own identifier (a UPN, a login name, an employee id); the
//! account's email comes from `emails` (docs/domain.md, "Directories").

use scimd::store;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_backends;

fn user(user_name: &str, emails: Value) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "externalId": format!("ext-{user_name}"),
        "name": {"givenName": "Ann", "familyName": "Lee"},
        "emails": emails,
        "active": true
    })
}

/// A user whose one email is `email`.
fn named(user_name: &str, email: &str) -> Value {
    user(user_name, json!([{ "value": email }]))
}

async fn total(app: &TestApp, token: &str, filter: &str) -> u64 {
    let r = app.filtered("/Users", filter, token).await;
    assert_eq!(r.status, 200, "{filter}: {}", r.body);
    r.body["totalResults"].as_u64().unwrap_or(u64::MAX)
}

async fn account_email_of(app: &TestApp, email: &str) -> Option<store::Account> {
    let mut conn = app.store.read().await.unwrap();
    store::find_account_by_email(&mut conn, email)
        .await
        .unwrap()
}

async fn any_user_name_and_the_email_from_emails(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let token = &org.scim_token.token;
    // Entra ID's default: userName is the UPN (here on a domain nobody verified), the mail
    // is emails[type eq "work"].
    let entra = app
        .create_user(
            token,
            user(
                "ann@acme.onmicrosoft.example",
                json!([{"value": "Ann@Acme.Example", "type": "work"}]),
            ),
        )
        .await;
    assert_eq!(entra.body["userName"], "ann@acme.onmicrosoft.example");
    let ann = account_email_of(&app, "ann@acme.example")
        .await
        .expect("the account is keyed by the work email");
    assert_eq!(ann.managing_org, Some(org.org_id), "managed: acme.example");
    assert!(account_email_of(&app, "ann@acme.onmicrosoft.example")
        .await
        .is_none());

    // A login name and an employee id; the primary email wins over the work one.
    for (user_name, emails, expected) in [
        (
            "jdoe",
            json!([{"value": "john@acme.example", "type": "work"}]),
            "john@acme.example",
        ),
        (
            "E-10442",
            json!([
                {"value": "kim.work@acme.example", "type": "work"},
                {"value": "kim@acme.example", "type": "other", "primary": true}
            ]),
            "kim@acme.example",
        ),
    ] {
        let r = app.post("/Users", token, user(user_name, emails)).await;
        assert_eq!(r.status, 201, "{user_name}: {}", r.body);
        assert_eq!(r.body["userName"], user_name);
        assert!(
            account_email_of(&app, expected).await.is_some(),
            "{expected}"
        );
    }
    // Without emails, a userName that is an address is the email.
    app.create_user(token, user("lee@acme.example", json!([])))
        .await;
    assert!(account_email_of(&app, "lee@acme.example").await.is_some());

    // Every IdP lookup finds the user, userName ignoring case.
    for filter in [
        r#"userName eq "JDOE""#,
        r#"emails.value eq "john@acme.example""#,
        r#"emails[type eq "work"].value eq "john@acme.example""#,
        r#"externalId eq "ext-jdoe""#,
    ] {
        assert_eq!(total(&app, token, filter).await, 1, "{filter}");
    }
    assert_eq!(
        total(&app, token, r#"userName eq "john@acme.example""#).await,
        0,
        "userName is not the email"
    );
}

async fn a_user_without_any_email_is_refused_naming_the_mapping(app: TestApp) {
    let token = &app.acme_token().await;
    for body in [
        user("jdoe", json!([])),
        {
            let mut b = user("jdoe", json!([]));
            b.as_object_mut().map(|m| m.remove("emails"));
            b
        },
        user("jdoe", json!([{"value": "not an address", "type": "work"}])),
    ] {
        let r = app.post("/Users", token, body.clone()).await;
        assert_eq!(
            (r.status, r.body["scimType"].as_str()),
            (400, Some("invalidValue")),
            "{body}: {}",
            r.body
        );
        assert!(
            r.detail().contains("emails"),
            "the detail names the attribute to map: {}",
            r.body
        );
    }
    assert_eq!(total(&app, token, "userName pr").await, 0, "nothing stored");
}

async fn user_names_are_unique_in_a_directory_ignoring_case(app: TestApp) {
    let acme = app.bootstrap("Acme", &["acme.example"]).await;
    let globex = app.bootstrap("Globex", &["globex.example"]).await;
    let token = &acme.scim_token.token;
    app.create_user(token, named("jdoe", "john@acme.example"))
        .await;
    let clash = app
        .post("/Users", token, named("JDoe", "jane@acme.example"))
        .await;
    clash.expect_scim_error(409, "uniqueness");
    assert!(
        account_email_of(&app, "jane@acme.example").await.is_none(),
        "the refused create left no account"
    );
    // Another directory has its own userNames.
    app.create_user(
        &globex.scim_token.token,
        named("jdoe", "jdoe@globex.example"),
    )
    .await;

    // Renaming to a taken userName (PATCH or PUT) is a conflict and changes nothing.
    let second = app
        .create_user(token, named("jane", "jane@acme.example"))
        .await;
    let path = format!("/Users/{}", second.id());
    let renamed = app.patch(&path, token, replace("userName", "JDOE")).await;
    renamed.expect_scim_error(409, "uniqueness");
    app.put(&path, token, named("jdoe", "jane@acme.example"))
        .await
        .expect_status(409);
    // With a status change too: the account's status is written in the same round trip as
    // the record's rename, and the refused rename takes it back with it.
    let mut deactivating = named("jdoe", "jane@acme.example");
    deactivating["active"] = json!(false);
    app.put(&path, token, deactivating)
        .await
        .expect_scim_error(409, "uniqueness");
    let now = app.get(&path, token).await;
    assert_eq!(now.body["userName"], "jane");
    assert_eq!(now.body["active"], true, "the refused PUT left the status");
    assert_eq!(now.body["meta"]["version"], second.body["meta"]["version"]);

    // The account's email moving to a taken address is a conflict of its own, told apart
    // from a taken userName when both change at once.
    let taken = app
        .put(&path, token, named("jane", "john@acme.example"))
        .await;
    let taken = taken.expect_scim_error(409, "uniqueness");
    taken.assert_detail("email address");
    let both = app
        .put(&path, token, named("jane2", "john@acme.example"))
        .await;
    let both = both.expect_scim_error(409, "uniqueness");
    both.assert_detail("email address");
    let moved = app
        .put(&path, token, named("JDOE", "jane.new@acme.example"))
        .await;
    let moved = moved.expect_scim_error(409, "uniqueness");
    moved.assert_detail("userName \"JDOE\"");
    let now = app.get(&path, token).await;
    assert_eq!(now.body["userName"], "jane");
    assert_eq!(now.body["emails"][0]["value"], "jane@acme.example");
    assert_eq!(now.body["meta"]["version"], second.body["meta"]["version"]);
}

async fn a_directory_renames_its_users_without_touching_accounts(app: TestApp) {
    let acme = app.bootstrap("Acme", &["acme.example"]).await;
    let globex = app.bootstrap("Globex", &["globex.example"]).await;
    // Globex manages gina's account; Acme's directory links it as an external user.
    let gina = app
        .create_user(
            &globex.scim_token.token,
            named("gina", "gina@globex.example"),
        )
        .await;
    let token = &acme.scim_token.token;
    let linked = app
        .create_user(token, named("g.lee", "gina@globex.example"))
        .await;
    let before = account_email_of(&app, "gina@globex.example").await.unwrap();
    let path = format!("/Users/{}", linked.id());
    // userName belongs to Acme's record: renaming is allowed on an account Acme may not
    // change, and the account stays as it was.
    let renamed = app
        .patch(&path, token, replace("userName", "gina.lee"))
        .await
        .expect_status(200);
    assert_eq!(renamed.body["userName"], "gina.lee");
    let after = account_email_of(&app, "gina@globex.example").await.unwrap();
    assert_eq!(
        (after.version, after.updated_at),
        (before.version, before.updated_at)
    );
    // Globex's directory still sees its own userName.
    let own = app
        .get(&format!("/Users/{}", gina.id()), &globex.scim_token.token)
        .await;
    assert_eq!(own.body["userName"], "gina");
    // Changing the email of that account is still refused (rule 13).
    app.patch(
        &path,
        token,
        json!([{"op": "replace", "path": "emails", "value": [{"value": "gina@acme.example"}]}]),
    )
    .await
    .expect_status(403);
}

on_both_backends! {
    any_user_name_and_the_email_from_emails => spawn_app,
    a_user_without_any_email_is_refused_naming_the_mapping => spawn_app,
    user_names_are_unique_in_a_directory_ignoring_case => spawn_app,
    a_directory_renames_its_users_without_touching_accounts => spawn_app,
}
