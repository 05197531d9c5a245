//! Every form in which Entra ID (with and without `aadOptscim062020`) sets, changes and
//! removes the enterprise `manager`, `null`/`""` as removal, and an empty `Operations` list
//! (issue 11, item 3), each read back, on both backends.

use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_backends;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const MANAGER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager";

async fn create(app: &TestApp, token: &str, email: &str, extra: Value) -> String {
    let mut body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "userName": email,
        "emails": [{"value": email, "type": "work", "primary": true}],
        "active": true,
        "title": "Guide"
    });
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    let reply = app.create_user(token, body).await;
    reply.id()
}

struct Subject<'a> {
    app: &'a TestApp,
    token: &'a str,
    id: String,
}

impl Subject<'_> {
    async fn patch(&self, ops: Value) -> Reply {
        let reply = self
            .app
            .patch(&format!("/Users/{}", self.id), self.token, ops.clone())
            .await;
        assert_eq!(reply.status, 200, "{ops}: {}", reply.body);
        reply
    }

    async fn read(&self) -> Value {
        let reply = self
            .app
            .get(&format!("/Users/{}", self.id), self.token)
            .await
            .expect_status(200);
        reply.body
    }

    /// The manager as a GET shows it, `Null` when there is none.
    async fn manager(&self) -> Value {
        self.read().await[ENTERPRISE]["manager"].clone()
    }
}

/// Two possible managers and the user they manage (whose department is Tours).
async fn setup<'a>(app: &'a TestApp, token: &'a str) -> (String, String, Subject<'a>) {
    let boss = create(app, token, "boss@acme.example", json!({})).await;
    let other = create(app, token, "other@acme.example", json!({})).await;
    let id = create(
        app,
        token,
        "ann@acme.example",
        json!({ ENTERPRISE: {"department": "Tours"} }),
    )
    .await;
    (boss, other, Subject { app, token, id })
}

async fn every_entra_manager_form_sets_and_changes_it(app: TestApp) {
    let token = &app.acme_token().await;
    let (boss, other, user) = setup(&app, token).await;

    // Entra ID's default: the bare id.
    user.patch(json!([{"op": "Add", "path": MANAGER, "value": boss}]))
        .await;
    assert_eq!(user.manager().await, json!({"value": boss}));

    // Without the flag, older jobs: a list of one reference with `$ref`.
    let reference = format!("{}/scim/v2/Users/{other}", app.address);
    user.patch(
        json!([{"op": "Replace", "path": MANAGER, "value": [{"$ref": reference, "value": other}]}]),
    )
    .await;
    assert_eq!(
        user.manager().await,
        json!({"value": other, "$ref": reference})
    );

    // An object with only `value`: the old manager's `$ref` goes with it.
    user.patch(json!([{"op": "replace", "path": MANAGER, "value": {"value": boss}}]))
        .await;
    assert_eq!(user.manager().await, json!({"value": boss}));

    // With the flag: a path-less replace whose keys are URN-qualified paths.
    user.patch(json!([{"op": "replace", "value": {MANAGER: other, "displayName": "Ann"}}]))
        .await;
    assert_eq!(user.manager().await, json!({"value": other}));

    // The extension's object, as scim2 libraries write it.
    user.patch(json!([{"op": "add", "value": {ENTERPRISE: {"manager": {"value": boss}}}}]))
        .await;
    let read = user.read().await;
    assert_eq!(read[ENTERPRISE]["manager"], json!({"value": boss}));
    assert_eq!(
        read[ENTERPRISE]["department"], "Tours",
        "the rest of the extension stays"
    );
    assert_eq!(read["displayName"], "Ann");

    // A POST may carry the list form too.
    let created = create(
        &app,
        token,
        "bob@acme.example",
        json!({ ENTERPRISE: {"manager": [{"$ref": null, "value": boss}]} }),
    )
    .await;
    let got = app.get(&format!("/Users/{created}"), token).await;
    assert_eq!(got.body[ENTERPRISE]["manager"], json!({"value": boss}));
}

async fn every_entra_manager_form_removes_it(app: TestApp) {
    let token = &app.acme_token().await;
    let (boss, other, user) = setup(&app, token).await;
    let set = json!([{"op": "Add", "path": MANAGER, "value": boss}]);
    let removals = [
        json!([{"op": "Remove", "path": MANAGER}]),
        json!([{"op": "Remove", "path": MANAGER, "value": boss}]),
        json!([{"op": "Remove", "path": MANAGER, "value": [{"$ref": null, "value": boss}]}]),
        json!([{"op": "remove", "path": MANAGER, "value": {"value": boss}}]),
        json!([{"op": "remove", "path": format!("{MANAGER}[value eq \"{boss}\"]")}]),
        json!([{"op": "Replace", "path": MANAGER, "value": ""}]),
        json!([{"op": "Replace", "path": MANAGER, "value": null}]),
        json!([{"op": "Add", "path": MANAGER, "value": ""}]),
        json!([{"op": "replace", "path": MANAGER, "value": {"value": null}}]),
        json!([{"op": "replace", "path": MANAGER, "value": [{"$ref": null, "value": ""}]}]),
        json!([{"op": "replace", "value": {MANAGER: ""}}]),
        json!([{"op": "replace", "value": {ENTERPRISE: {"manager": null}}}]),
    ];
    for removal in removals {
        user.patch(set.clone()).await;
        assert_eq!(user.manager().await, json!({"value": boss}));
        let reply = user.patch(removal.clone()).await;
        assert!(
            reply.body[ENTERPRISE].get("manager").is_none(),
            "{removal}: {}",
            reply.body
        );
        let read = user.read().await;
        assert!(
            read[ENTERPRISE].get("manager").is_none(),
            "{removal}: {read}"
        );
        assert_eq!(read[ENTERPRISE]["department"], "Tours", "{removal}");
    }

    // Naming another manager, by value or by filter, removes nothing and changes nothing.
    let before = user.patch(set.clone()).await;
    for removal in [
        json!([{"op": "Remove", "path": MANAGER, "value": [{"value": other}]}]),
        json!([{"op": "remove", "path": format!("{MANAGER}[value eq \"{other}\"]")}]),
    ] {
        let reply = user.patch(removal.clone()).await;
        assert_eq!(
            reply.body[ENTERPRISE]["manager"],
            json!({"value": boss}),
            "{removal}"
        );
        assert_eq!(
            reply.header("etag"),
            before.header("etag"),
            "{removal}: not a change"
        );
    }
}

async fn null_and_empty_values_remove_simple_attributes(app: TestApp) {
    let token = &app.acme_token().await;
    let (_, _, user) = setup(&app, token).await;
    for value in [json!(""), json!(null)] {
        for op in ["Add", "Replace"] {
            user.patch(json!([
                {"op": "replace", "path": "title", "value": "Guide"},
                {"op": "replace", "path": format!("{ENTERPRISE}:department"), "value": "Tours"}
            ]))
            .await;
            user.patch(json!([
                {"op": op, "path": "title", "value": value},
                {"op": op, "path": format!("{ENTERPRISE}:department"), "value": value}
            ]))
            .await;
            let read = user.read().await;
            assert!(read.get("title").is_none(), "{op} {value}: {read}");
            assert!(
                read.get(ENTERPRISE)
                    .is_none_or(|e| e.get("department").is_none()),
                "{op} {value}: {read}"
            );
        }
    }
}

async fn empty_operations_is_invalid_value(app: TestApp) {
    let token = &app.acme_token().await;
    let (_, _, user) = setup(&app, token).await;
    let id = user.id;
    let before = app.get(&format!("/Users/{id}"), token).await;
    let reply = app
        .patch(&format!("/Users/{id}"), token, json!([]))
        .await
        .expect_scim_error(400, "invalidValue");
    reply.assert_detail("`Operations` is empty");
    let after = app.get(&format!("/Users/{id}"), token).await;
    assert_eq!(after.body, before.body);

    let group = app
        .post("/Groups", token, json!({"displayName": "G"}))
        .await;
    let group_id = group.body["id"].as_str().unwrap();
    app.patch(&format!("/Groups/{group_id}"), token, json!([]))
        .await
        .expect_scim_error(400, "invalidValue");
}

on_both_backends! {
    every_entra_manager_form_sets_and_changes_it => spawn_app,
    every_entra_manager_form_removes_it => spawn_app,
    null_and_empty_values_remove_simple_attributes => spawn_app,
    empty_operations_is_invalid_value => spawn_app,
}
