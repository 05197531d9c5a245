//! Re-provisioning (issue 11, item 4): Okta and Entra ID re-send a user they deactivated or
//! unassigned. The user is found by the lookup they make first and reactivated, or linked
//! again after a DELETE; a POST that skips the lookup is 409 `uniqueness` naming the user,
//! never a loop. Every unique violation is 409 `uniqueness` (problem+json `conflict` on the
//! admin API), never 500. Both backends.

use scimd::domain::AccountStatus;
use scimd::store::{self, StoreError};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_backends;

fn user(email: &str, external_id: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": email,
        "externalId": external_id,
        "name": {"givenName": "Ann", "familyName": "Example"},
        "emails": [{"value": email, "type": "work", "primary": true}],
        "active": true
    })
}

/// One PATCH operation `op` on `active`, as each IdP spells it.
fn active(op: &str, value: Value) -> Value {
    json!([{"op": op, "path": "active", "value": value}])
}

/// The lookup Okta and Entra ID make before deciding between POST and PATCH.
async fn lookup(app: &TestApp, token: &str, filter: &str) -> Value {
    let reply = app
        .filtered("/Users", filter, token)
        .await
        .expect_status(200);
    reply.body
}

async fn a_deactivated_user_is_found_and_reactivated(app: TestApp) {
    let token = &app.acme_token().await;
    let created = app
        .create_user(token, user("ann@acme.example", "oid-1"))
        .await;
    let id = created.id();
    let path = format!("/Users/{id}");

    // Unassigned: Okta and Entra ID deactivate (Entra with a string boolean).
    app.patch(&path, token, active("Replace", json!("False")))
        .await
        .expect_status(200);
    app.assert_account_status("ann@acme.example", AccountStatus::Deactivated)
        .await;

    // Re-assigned: the lookup by either matching attribute finds the deactivated user.
    for filter in [
        "userName eq \"ANN@acme.example\"",
        "externalId eq \"oid-1\"",
    ] {
        let found = lookup(&app, token, filter).await;
        assert_eq!(found["totalResults"], 1, "{filter}: {found}");
        assert_eq!(found["Resources"][0]["id"], id.as_str());
        assert_eq!(found["Resources"][0]["active"], false);
    }

    // A client that POSTs anyway is told which user it already has.
    let again = app
        .post("/Users", token, user("Ann@Acme.example", "oid-1"))
        .await
        .expect_scim_error(409, "uniqueness");
    again.assert_detail(&id);
    again.assert_detail("active: false");

    // Then it updates: Entra ID with PATCH, Okta with PUT.
    let on = app
        .patch(&path, token, active("Replace", json!("True")))
        .await
        .expect_status(200);
    assert_eq!(on.body["active"], true);
    app.assert_account_status("ann@acme.example", AccountStatus::Active)
        .await;

    app.patch(
        &path,
        token,
        json!([{"op": "replace", "value": {"active": false}}]),
    )
    .await;
    let put = app
        .put(&path, token, user("ann@acme.example", "oid-1"))
        .await
        .expect_status(200);
    assert_eq!(put.body["active"], true);
    app.assert_account_status("ann@acme.example", AccountStatus::Active)
        .await;
}

/// The one case a re-sent user meets the 409: its userName changed while it was unassigned,
/// so the IdP's lookup misses the record holding its email's account. The 409 names that
/// record, and one PATCH puts it right.
async fn a_user_renamed_while_unassigned_is_named_in_the_409(app: TestApp) {
    let token = &app.acme_token().await;
    let mut body = user("ann@acme.example", "oid-1");
    body["userName"] = json!("ann.login");
    let created = app.create_user(token, body.clone()).await;
    let id = created.id();
    let path = format!("/Users/{id}");
    app.patch(&path, token, active("replace", json!(false)))
        .await;

    body["userName"] = json!("ann.example");
    let found = lookup(&app, token, "userName eq \"ann.example\"").await;
    assert_eq!(found["totalResults"], 0);
    let again = app
        .post("/Users", token, body)
        .await
        .expect_scim_error(409, "uniqueness");
    for named in [id.as_str(), "\"ann.login\"", "active: false"] {
        assert!(again.detail().contains(named), "{named}: {}", again.body);
    }
    app.patch(
        &path,
        token,
        json!([
            {"op": "replace", "path": "userName", "value": "ann.example"},
            {"op": "replace", "path": "active", "value": true}
        ]),
    )
    .await
    .expect_status(200);
    let found = lookup(&app, token, "userName eq \"ann.example\"").await;
    assert_eq!(found["Resources"][0]["id"], id.as_str());
    assert_eq!(found["Resources"][0]["active"], true);
    app.assert_account_status("ann@acme.example", AccountStatus::Active)
        .await;
}

async fn a_deleted_user_is_linked_again_and_reactivated(app: TestApp) {
    let token = &app.acme_token().await;
    let account = {
        app.create_user(token, user("ann@acme.example", "oid-1"))
            .await;
        app.account_id("ann@acme.example").await
    };
    // Three rounds of delete and re-create: each finds the one account again.
    for round in 0..3 {
        let found = lookup(&app, token, "userName eq \"ann@acme.example\"").await;
        let id = found["Resources"][0]["id"].as_str().unwrap().to_owned();
        let deleted = app.delete(&format!("/Users/{id}"), token).await;
        assert_eq!(deleted.status, 204, "round {round}");
        let account_status = app.account_status("ann@acme.example").await;
        assert_eq!(account_status, AccountStatus::Deactivated, "rule 16");
        let found = lookup(&app, token, "externalId eq \"oid-1\"").await;
        assert_eq!(found["totalResults"], 0, "round {round}: {found}");

        let again = app
            .post("/Users", token, user("ann@acme.example", "oid-1"))
            .await;
        assert_eq!(again.status, 201, "round {round}: {}", again.body);
        assert_ne!(again.body["id"], id.as_str(), "a new record");
        assert_eq!(again.body["active"], true);
        assert_eq!(again.body["externalId"], "oid-1");
        let account_status = app.account_status("ann@acme.example").await;
        assert_eq!(account_status, AccountStatus::Active, "round {round}");
        assert_eq!(
            app.account_id("ann@acme.example").await,
            account,
            "linked, not duplicated"
        );
    }
}

async fn an_external_user_deleted_and_resent_is_linked_again(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let token = &org.scim_token.token;
    let created = app
        .create_user(token, user("guest@partner.example", "g-1"))
        .await;
    let id = created.body["id"].as_str().unwrap();
    let deleted = app.delete(&format!("/Users/{id}"), token).await;
    assert_eq!(deleted.status, 204);
    let account_status = app.account_status("guest@partner.example").await;
    assert_eq!(
        account_status,
        AccountStatus::Active,
        "an account the org does not manage is left as it is"
    );
    let again = app
        .create_user(token, user("guest@partner.example", "g-1"))
        .await;
    assert_eq!(again.body["active"], true);
}

/// Of four racing creates of one resource, one makes it and three are told it exists.
fn one_created_three_told_it_exists(replies: &[Reply], what: &str) {
    let mut statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409, 409, 409], "{what}");
    for reply in replies.iter().filter(|r| r.status == 409) {
        assert_eq!(reply.body["scimType"], "uniqueness", "{}", reply.body);
    }
}

async fn simultaneous_duplicates_are_409_never_500(app: TestApp) {
    let token = &app.acme_token().await;
    for i in 0..10 {
        let email = format!("twin{i}@acme.example");
        let body = user(&email, &format!("oid-{i}"));
        let replies =
            futures_util::future::join_all((0..4).map(|_| app.post("/Users", token, body.clone())))
                .await;
        one_created_three_told_it_exists(&replies, &email);

        let name = format!("Team {i}");
        let replies = futures_util::future::join_all((0..4).map(|k| {
            let spelled = if k % 2 == 0 {
                name.clone()
            } else {
                name.to_uppercase()
            };
            app.post("/Groups", token, json!({"displayName": spelled}))
        }))
        .await;
        one_created_three_told_it_exists(&replies, &name);
    }
}

async fn taken_values_in_put_and_patch_are_409(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let token = &org.scim_token.token;
    app.post("/Users", token, user("ann@acme.example", "a"))
        .await;
    let bob = app
        .post("/Users", token, user("bob@acme.example", "b"))
        .await;
    let bob_id = bob.body["id"].as_str().unwrap();
    app.put(
        &format!("/Users/{bob_id}"),
        token,
        user("Ann@acme.example", "b"),
    )
    .await
    .expect_scim_error(409, "uniqueness");
    let unchanged = app.get(&format!("/Users/{bob_id}"), token).await;
    assert_eq!(unchanged.body["userName"], "bob@acme.example");

    let first = app
        .post("/Groups", token, json!({"displayName": "Sales"}))
        .await;
    assert_eq!(first.status, 201);
    let second = app
        .post("/Groups", token, json!({"displayName": "Ops"}))
        .await;
    let second_id = second.body["id"].as_str().unwrap();
    app.put(
        &format!("/Groups/{second_id}"),
        token,
        json!({"displayName": "SALES"}),
    )
    .await
    .expect_scim_error(409, "uniqueness");
    app.patch(
        &format!("/Groups/{second_id}"),
        token,
        json!([{"op": "replace", "value": {"displayName": "sales"}}]),
    )
    .await
    .expect_scim_error(409, "uniqueness");

    // The admin API: a local group name taken, in another case.
    let admin = &org.admin_token.token;
    let path = format!("/orgs/{}/groups", org.org_id);
    app.admin_create(&path, admin, json!({"name": "Local"}))
        .await;
    let dup = app
        .admin_post(&path, admin, json!({"name": "LOCAL"}))
        .await
        .expect_status(409);
    assert_eq!(dup.body["code"], "conflict");
    assert_eq!(dup.header("content-type"), Some("application/problem+json"));
}

#[track_caller]
fn assert_conflict<T: std::fmt::Debug>(result: Result<T, sqlx::Error>, what: &str) {
    let conflict = result.map_err(StoreError::from);
    assert!(
        matches!(conflict, Err(StoreError::Conflict)),
        "{what}: {conflict:?}"
    );
}

/// Whatever statement hits a unique index or primary key, the store reports a conflict
/// (PostgreSQL 23505; SQLite 2067 for UNIQUE, 1555 for PRIMARY KEY), so no caller can turn
/// one into a 500.
async fn every_unique_violation_is_a_store_conflict(db: TestDb) {
    let store = db.store().await;
    let mut tx = store.begin().await.unwrap();
    let org = scimd::domain::OrgId::new();
    let at = store::db::Time(1);
    let insert_org = |name: &'static str| {
        store::db::query("INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(org)
            .bind(name)
            .bind(at)
    };
    insert_org("A").execute(&mut tx).await.unwrap();
    let pk = insert_org("B").execute(&mut tx).await;
    assert_conflict(pk, "primary key");
    tx.rollback().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    let insert_account = "INSERT INTO accounts (id, email, email_lower, email_domain, status, \
                          created_at, updated_at) VALUES ($1, $2, $3, 'acme.example', 'active', $4, $4)";
    let (ann, bob) = (
        scimd::domain::AccountId::new(),
        scimd::domain::AccountId::new(),
    );
    for (id, email) in [(ann, "ann@acme.example"), (bob, "bob@acme.example")] {
        store::db::query(insert_account)
            .bind(id)
            .bind(email)
            .bind(email)
            .bind(at)
            .execute(&mut tx)
            .await
            .unwrap();
    }
    let unique = store::db::query("UPDATE accounts SET email_lower = $1 WHERE id = $2")
        .bind("ann@acme.example")
        .bind(bob)
        .execute(&mut tx)
        .await;
    assert_conflict(unique, "unique index");
    tx.rollback().await.unwrap();
}

on_both_backends! {
    a_deactivated_user_is_found_and_reactivated => spawn_app,
    a_user_renamed_while_unassigned_is_named_in_the_409 => spawn_app,
    a_deleted_user_is_linked_again_and_reactivated => spawn_app,
    an_external_user_deleted_and_resent_is_linked_again => spawn_app,
    simultaneous_duplicates_are_409_never_500 => spawn_app,
    taken_values_in_put_and_patch_are_409 => spawn_app,
    every_unique_violation_is_a_store_conflict => test_db,
}
