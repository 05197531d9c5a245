//! Group PATCH in every form IdPs send, minimal responses, and concurrent member changes.

use scimd::domain::{AccountId, AccountStatus};
use scimd::store::{self, DirectoryUser, NewAccount};
use serde_json::json;

use super::*;
use crate::on_both_backends;

async fn add_remove_in_entra_and_okta_forms(app: TestApp) {
    let token = &app.acme_token().await;
    let (ann, bob, cid) = (
        user(&app, token, "ann@acme.example").await,
        user(&app, token, "bob@acme.example").await,
        user(&app, token, "cid@acme.example").await,
    );
    let g = group(&app, token, "Engineering", &[]).await;
    let gid = g["id"].as_str().unwrap();
    let v1 = g["meta"]["version"].clone();

    // Entra ID: capitalised op, a list of members.
    let r = patch_ok(&app, token, gid, members("Add", &[&ann, &bob])).await;
    assert_eq!(r.status, 200);
    assert_eq!(ids(&r.body), sorted(&[&ann, &bob]));
    assert_eq!(r.body["members"][0]["type"], "User");
    assert!(r.body["members"][0]["$ref"]
        .as_str()
        .unwrap()
        .contains("/Users/"));
    let v2 = r.body["meta"]["version"].clone();
    assert_ne!(v1, v2, "a member change moves the ETag");
    assert_eq!(r.header("etag").unwrap(), v2);

    // Adding a member already there is a no-op, and so is removing one who is not.
    let same = patch_ok(&app, token, gid, members("add", &[&ann])).await;
    assert_eq!(ids(&same.body), sorted(&[&ann, &bob]));
    let none = patch_ok(&app, token, gid, remove_member(&cid)).await;
    assert_eq!(ids(&none.body), sorted(&[&ann, &bob]));
    assert_eq!(
        none.body["meta"]["version"], v2,
        "nothing changed, nothing bumped"
    );

    // Okta: remove with a value filter.
    let r = patch_ok(&app, token, gid, remove_member(&ann)).await;
    assert_eq!(ids(&r.body), vec![bob.clone()]);

    // Entra ID before aadOptscim062020: remove with path `members` and a value list.
    patch_ok(&app, token, gid, members("add", &[&ann, &cid])).await;
    let r = patch_ok(&app, token, gid, members("Remove", &[&ann, &bob])).await;
    assert_eq!(
        ids(&r.body),
        vec![cid.clone()],
        "only the listed members go"
    );

    // Remove without a value empties the group.
    patch_ok(&app, token, gid, members("add", &[&ann])).await;
    let r = patch_ok(
        &app,
        token,
        gid,
        json!([{"op": "remove", "path": "members"}]),
    )
    .await;
    assert!(r.body.get("members").is_none(), "{}", r.body);
}

async fn replace_forms_and_okta_rename(app: TestApp) {
    let token = &app.acme_token().await;
    let (ann, bob) = ann_and_bob(&app, token).await;
    let g = group(&app, token, "Sales", &[&ann]).await;
    let gid = g["id"].as_str().unwrap();

    let r = patch_ok(&app, token, gid, members("replace", &[&bob])).await;
    assert_eq!(
        ids(&r.body),
        vec![bob.clone()],
        "replace is the complete list"
    );
    let r = patch_ok(
        &app,
        token,
        gid,
        json!([{"op": "Replace", "path": "members", "value": []}]),
    )
    .await;
    assert!(r.body.get("members").is_none(), "[] empties: {}", r.body);

    // Okta: no-path replace with the group's id (ignored) and a new name.
    let r = patch_ok(
        &app,
        token,
        gid,
        json!([{"op": "replace", "value": {"id": gid, "displayName": "Sales EMEA"}}]),
    )
    .await;
    assert_eq!(r.body["displayName"], "Sales EMEA");
    assert_eq!(r.body["id"], gid);
    // No-path add carrying members and another attribute.
    let r = patch_ok(
        &app,
        token,
        gid,
        json!([{"op": "add", "value": {"members": [{"value": ann}], "externalId": "okta-1"}}]),
    )
    .await;
    assert_eq!(ids(&r.body), vec![ann.clone()]);
    assert_eq!(r.body["externalId"], "okta-1");

    // Errors: removing the required name, a nested group, a sub-attribute path.
    let path = format!("/Groups/{gid}");
    for (ops, scim_type) in [
        (
            json!([{"op": "remove", "path": "displayName"}]),
            Some("mutability"),
        ),
        (
            json!([{"op": "add", "path": "members", "value": [{"value": gid, "type": "Group"}]}]),
            Some("invalidValue"),
        ),
        (replace("members.display", "x"), None),
    ] {
        let r = app.patch(&path, token, ops.clone()).await;
        assert_eq!(r.status, 400, "{ops}: {}", r.body);
        if let Some(scim_type) = scim_type {
            assert_eq!(r.body["scimType"], scim_type, "{ops}");
        }
    }
    // A rename and a bad member in one request: all or nothing.
    let mixed = app
        .patch(&path, token, json!([
                {"op": "replace", "path": "displayName", "value": "Renamed"},
                {"op": "add", "path": "members", "value": [{"value": bob}, {"value": uuid::Uuid::new_v4().to_string()}]}
            ]))
        .await;
    mixed.expect_scim_error(400, "invalidValue");
    let now = fetch(&app, token, gid).await;
    assert_eq!(now["displayName"], "Sales EMEA");
    assert_eq!(ids(&now), vec![ann.clone()]);
}

async fn projection_and_minimal_responses(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let token = &org.scim_token.token;
    let (ann, bob) = ann_and_bob(&app, token).await;
    let gid = group_id(&app, token, "Ops", &[&ann]).await;
    let path = format!("/Groups/{gid}?excludedAttributes=members");
    let add = |id: &str| patch_op(members("add", &[id]));

    let r = app.scim("PATCH", &path, token, Some(add(&bob))).await;
    assert_eq!(r.status, 200);
    assert!(r.body.get("members").is_none());
    assert_eq!(r.body["displayName"], "Ops");

    let r = app
        .scim_with(
            "PATCH",
            &format!("/Groups/{gid}"),
            token,
            Some(add(&ann)),
            &[("Prefer", "return=minimal")],
        )
        .await;
    assert_eq!(r.status, 204);
    assert!(r.header("etag").is_some());

    scimd::service::groups::access::set_group_patch_minimal(&app.store, org.directory_id, true)
        .await
        .unwrap();
    let r = patch_ok(&app, token, &gid, remove_member(&bob)).await;
    assert_eq!(
        r.status, 204,
        "the directory asked for minimal group PATCH responses"
    );
    assert_eq!(
        r.header("etag"),
        fetch(&app, token, &gid).await["meta"]["version"].as_str()
    );
    assert_eq!(ids(&fetch(&app, token, &gid).await), vec![ann.clone()]);
    // Other resources and methods are unaffected.
    let put = app
        .put(
            &format!("/Groups/{gid}"),
            token,
            json!({"displayName": "Ops", "members": [{"value": ann}]}),
        )
        .await;
    assert_eq!(put.status, 200);
}

async fn concurrent_adds_both_take_effect(app: TestApp) {
    let token = &app.acme_token().await;
    let mut users = Vec::new();
    for i in 0..8 {
        users.push(user(&app, token, &format!("u{i}@acme.example")).await);
    }
    let gid = group_id(&app, token, "Race", &[]).await;
    for pair in users.chunks(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let (ra, rb) = tokio::join!(
            patch_ok(&app, token, &gid, members("add", &[a])),
            patch_ok(&app, token, &gid, members("add", &[b])),
        );
        assert_ne!(
            ra.body["meta"]["version"], rb.body["meta"]["version"],
            "each write has its own version"
        );
    }
    let all: Vec<&str> = users.iter().map(String::as_str).collect();
    assert_eq!(
        ids(&fetch(&app, token, &gid).await),
        sorted(&all),
        "no lost update"
    );
}

async fn thousand_members_in_one_patch(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let token = &org.scim_token.token;
    // Users straight into the store: 1,000 SCIM POSTs would only slow the test down.
    let mut tx = app.store.begin().await.unwrap();
    let mut ids_added = Vec::new();
    for i in 0..1000 {
        let account = AccountId::new();
        store::insert_account(
            &mut tx,
            &NewAccount {
                id: account,
                email: format!("bulk{i}@acme.example"),
                display_name: None,
                profile: json!({}),
                status: AccountStatus::Active,
                at: 1,
            },
        )
        .await
        .unwrap();
        let record = DirectoryUser {
            id: uuid::Uuid::new_v4(),
            directory_id: org.directory_id,
            account_id: account,
            user_name: format!("bulk{i}"),
            external_id: None,
            attributes: json!({}),
            created_at: 1,
            updated_at: 1,
            version: 1,
        };
        store::insert_directory_user(&mut tx, &record)
            .await
            .unwrap();
        ids_added.push(record.id.to_string());
    }
    tx.commit().await.unwrap();
    let gid = group_id(&app, token, "Everyone", &[]).await;
    let members: Vec<_> = ids_added.iter().map(|id| json!({"value": id})).collect();
    app.scim_with(
        "PATCH",
        &format!("/Groups/{gid}"),
        token,
        Some(patch_op(
            json!([{"op": "add", "path": "members", "value": members}]),
        )),
        &[("Prefer", "return=minimal")],
    )
    .await
    .expect_status(204);
    let got = fetch(&app, token, &gid).await;
    assert_eq!(got["members"].as_array().unwrap().len(), 1000);
    assert_eq!(
        got["meta"]["version"], "W/\"2\"",
        "one transaction, one version bump"
    );
    let r = patch_ok(
        &app,
        token,
        &gid,
        json!([{"op": "remove", "path": "members", "value": members[..600]}]),
    )
    .await;
    assert_eq!(r.body["members"].as_array().unwrap().len(), 400);
}

on_both_backends! {
    add_remove_in_entra_and_okta_forms => spawn_app,
    replace_forms_and_okta_rename => spawn_app,
    projection_and_minimal_responses => spawn_app,
    concurrent_adds_both_take_effect => spawn_app,
    thousand_members_in_one_patch => spawn_app,
}
