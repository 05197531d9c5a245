//! Security events out (issue 13 item 3): receivers configured through the admin API, SETs
//! (RFC 8417, RFC 9967) written in the change's transaction and pushed (RFC 8935) to a
//! receiver on 127.0.0.1, on both backends.

mod admin;
mod bulk;
mod processes;
mod receiver;

use std::collections::HashSet;
use std::time::Duration;

use scimd::service::bootstrap::BootstrapOutcome;
use serde_json::{json, Value};

use self::receiver::{claims, event_uris, jwks, verify, Answer, TestReceiver};
use crate::helpers::*;
use crate::on_both_backends;

const PROV: &str = "urn:ietf:params:scim:event:prov:";

fn uri(name: &str) -> String {
    format!("{PROV}{name}")
}

fn uris(names: &[&str]) -> Vec<String> {
    let mut all: Vec<String> = names.iter().map(|n| uri(n)).collect();
    all.sort();
    all
}

fn user(name: &str) -> Value {
    let email = format!("{name}@acme.example");
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": email,
        "externalId": format!("ext-{name}"),
        "name": {"givenName": "Ann", "familyName": "Lee"},
        "emails": [{"value": email, "type": "work", "primary": true}],
        "active": true
    })
}

async fn create_user(app: &TestApp, token: &str, name: &str) -> String {
    let reply = app.create_user(token, user(name)).await;
    reply.id()
}

/// Registers `receiver` with `org`, as its admin.
async fn add_receiver(
    app: &TestApp,
    org: &BootstrapOutcome,
    receiver: &TestReceiver,
    events: &[&str],
) -> Value {
    let reply = app
        .admin_post(
            &format!("/orgs/{}/event-receivers", org.org_id),
            &org.admin_token.token,
            json!({
                "url": receiver.url,
                "authorization": "Bearer s3cret-for-the-receiver",
                "events": events.iter().map(|e| uri(e)).collect::<Vec<_>>(),
            }),
        )
        .await
        .expect_status(201);
    reply.body
}

/// Every SET's `sub_id.uri`, in the order the receiver accepted them, once per `jti`.
fn accepted_subjects(receiver: &TestReceiver) -> Vec<String> {
    let mut seen = HashSet::new();
    receiver
        .accepted()
        .iter()
        .map(|p| claims(&p.token))
        .filter(|c| seen.insert(c["jti"].as_str().unwrap().to_owned()))
        .map(|c| c["sub_id"]["uri"].as_str().unwrap().to_owned())
        .collect()
}

/// The receiver as the admin API shows it once nothing is waiting any more: the worker
/// records a delivery just after the receiver has answered.
async fn receiver_state(
    app: &TestApp,
    admin: &str,
    org: impl std::fmt::Display,
    id: &Value,
) -> Value {
    let path = format!("/orgs/{org}/event-receivers/{}", id.as_str().unwrap());
    for _ in 0..100 {
        let reply = app.admin_get(&path, admin).await.expect_status(200);
        if reply.body["delivery"]["pending"] == 0 {
            return reply.body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("SETs still pending at {path}");
}

async fn sets_carry_rfc_9967_events_signed_with_the_published_key(app: TestApp) {
    let acme = app.bootstrap("Acme", &["acme.example"]).await;
    let (scim, admin) = (&acme.scim_token.token, &acme.admin_token.token);
    let spc = app.get("/ServiceProviderConfig", scim).await;
    assert_eq!(spc.body["securityEvents"]["asyncRequest"], "none");
    let advertised = spc.body["securityEvents"]["eventUris"].as_array().unwrap();
    for name in [
        "create:notice",
        "create:full",
        "patch:notice",
        "patch:full",
        "put:notice",
        "put:full",
        "delete",
        "activate",
        "deactivate",
    ] {
        assert!(advertised.contains(&json!(uri(name))), "{name} advertised");
    }

    let users = TestReceiver::start().await;
    let view = add_receiver(
        &app,
        &acme,
        &users,
        &[
            "create:full",
            "patch:notice",
            "delete",
            "activate",
            "deactivate",
        ],
    )
    .await;
    assert_eq!(view["authorization"], "Bearer …");
    assert!(
        !view.to_string().contains("s3cret"),
        "the header value is never shown"
    );

    let id = create_user(&app, scim, "ann").await;
    let path = format!("/Users/{id}");
    let renamed = app
        .patch(&path, scim, replace("displayName", "Ann Lee"))
        .await
        .expect_status(200);
    app.patch(&path, scim, replace("active", false))
        .await
        .expect_status(200);
    let account = app.account_id("ann@acme.example").await;
    app.admin_post(&format!("/accounts/{account}/reactivate"), admin, None)
        .await
        .expect_status(200);
    assert_eq!(app.delete(&path, scim).await.status, 204);
    let bo = create_user(&app, scim, "bo").await;

    // Groups, to a second receiver that wants the other forms.
    let groups = TestReceiver::start().await;
    add_receiver(&app, &acme, &groups, &["create:notice", "patch:full"]).await;
    let group = app.post("/Groups", scim, json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Eng", "externalId": "eng"})).await.expect_status(201);
    let gid = group.id();
    let add = patch_op(json!([{"op": "add", "path": "members", "value": [{"value": bo}]}]));
    app.scim("PATCH", &format!("/Groups/{gid}"), scim, Some(add.clone()))
        .await
        .expect_status(200);

    let pushed = users.wait_for(8).await;
    let keys = jwks(&app.client, &app.address).await;
    let sets: Vec<Value> = pushed
        .iter()
        .map(|p| verify(&p.token, &keys, &users.url))
        .collect();
    for push in &pushed {
        assert_eq!(
            push.content_type.as_deref(),
            Some("application/secevent+jwt")
        );
        assert_eq!(
            push.authorization.as_deref(),
            Some("Bearer s3cret-for-the-receiver")
        );
    }
    let jtis: HashSet<&str> = sets.iter().map(|s| s["jti"].as_str().unwrap()).collect();
    assert_eq!(jtis.len(), sets.len(), "every SET has its own jti");
    let ann = json!({"format": "scim", "uri": path, "id": id, "externalId": "ext-ann"});
    for set in &sets[..5] {
        assert_eq!(set["sub_id"], ann);
        assert!(set.get("sub").is_none(), "RFC 9967 §2.1: no sub");
        assert!(set["txn"].is_string() && set["iat"].is_i64() && set["toe"].is_i64());
    }
    let expected = [
        uris(&["create:full"]),
        uris(&["patch:notice"]),
        uris(&["patch:notice", "deactivate"]),
        uris(&["activate"]),
        uris(&["delete"]),
        uris(&["create:full"]),
        uris(&["create:full"]),
        uris(&["patch:notice"]),
    ];
    let got: Vec<Vec<String>> = sets.iter().map(event_uris).collect();
    assert_eq!(got, expected);
    let created = &sets[0]["events"][uri("create:full")];
    assert_eq!(created["data"]["id"], json!(id));
    assert_eq!(created["data"]["userName"], "ann@acme.example");
    assert!(created["version"].as_str().unwrap().starts_with("W/"));
    assert_eq!(
        sets[1]["events"][uri("patch:notice")]["attributes"],
        json!(["displayName"])
    );
    assert_eq!(
        sets[1]["events"][uri("patch:notice")]["version"],
        renamed.body["meta"]["version"]
    );
    assert_eq!(
        sets[2]["events"][uri("patch:notice")]["attributes"],
        json!(["active"])
    );
    assert_eq!(sets[2]["events"][uri("deactivate")], json!({}));
    assert_eq!(sets[5]["sub_id"]["uri"], json!(format!("/Users/{bo}")));
    assert_eq!(
        sets[6]["sub_id"],
        json!({"format": "scim", "uri": format!("/Groups/{gid}"), "id": gid, "externalId": "eng"})
    );
    assert_eq!(
        sets[7]["events"][uri("patch:notice")]["attributes"],
        json!(["members"])
    );

    let group_sets: Vec<Value> = groups
        .wait_for(2)
        .await
        .iter()
        .map(|p| verify(&p.token, &keys, &groups.url))
        .collect();
    let notice = &group_sets[0]["events"][uri("create:notice")]["attributes"];
    assert!(
        notice.as_array().unwrap().contains(&json!("displayName")),
        "{notice}"
    );
    assert_eq!(group_sets[1]["events"][uri("patch:full")]["data"], add);
    assert_eq!(
        group_sets[1]["txn"], sets[7]["txn"],
        "one change, one txn across receivers"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(users.pushes().len(), 8, "nothing else was sent");
    assert_eq!(groups.pushes().len(), 2);
}

async fn a_failed_push_is_retried_and_the_order_kept(app: TestApp) {
    let acme = app.bootstrap("Acme", &["acme.example"]).await;
    let (scim, admin, org) = (&acme.scim_token.token, &acme.admin_token.token, acme.org_id);
    let receiver = TestReceiver::start().await;
    receiver.script(&[Answer::Status(500)]);
    let view = add_receiver(&app, &acme, &receiver, &["create:notice"]).await;
    let mut ids = Vec::new();
    for name in ["u1", "u2", "u3"] {
        ids.push(format!("/Users/{}", create_user(&app, scim, name).await));
    }
    receiver.wait_for(3).await;
    let pushes = receiver.pushes();
    assert_eq!(pushes[0].status, 500);
    assert_eq!(
        claims(&pushes[0].token)["jti"],
        claims(&pushes[1].token)["jti"],
        "the same SET again"
    );
    assert_eq!(
        accepted_subjects(&receiver),
        ids,
        "in the order of the changes"
    );

    let state = receiver_state(&app, admin, org, &view["id"]).await;
    let delivery = &state["delivery"];
    assert_eq!(delivery["pending"], 0);
    assert_eq!(delivery["delivered"], 3);
    assert_eq!(delivery["consecutive_failures"], 0);
    assert!(
        delivery["last_error"].as_str().unwrap().contains("500"),
        "{delivery}"
    );
    assert!(delivery["last_success_at"].is_string());

    // A 400 with an RFC 8935 error is final: that SET is rejected and the queue goes on.
    receiver.script(&[Answer::Refuse]);
    ids.push(format!("/Users/{}", create_user(&app, scim, "u4").await));
    ids.push(format!("/Users/{}", create_user(&app, scim, "u5").await));
    receiver.wait_for(4).await;
    assert_eq!(
        accepted_subjects(&receiver),
        [&ids[..3], &ids[4..]].concat()
    );
    let path = format!(
        "/orgs/{org}/event-receivers/{}/events",
        view["id"].as_str().unwrap()
    );
    let rejected = app
        .admin_get(&format!("{path}?state=rejected"), admin)
        .await
        .expect_status(200);
    let rejected = rejected.body.as_array().unwrap().clone();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["subject"], json!(ids[3]));
    assert!(rejected[0]["last_error"]
        .as_str()
        .unwrap()
        .contains("invalid_audience"));
    let all = app.admin_get(&path, admin).await.body;
    let first = all.as_array().unwrap().last().unwrap().clone();
    assert_eq!(first["attempts"], 2);
    assert_eq!(first["state"], "delivered");
    assert_eq!(first["jti"], claims(&pushes[0].token)["jti"]);
    assert_eq!(first["events"], json!([uri("create:notice")]));
}

async fn status_changes_reach_every_record_of_the_account(app: TestApp) {
    let acme = app.bootstrap("Acme", &["acme.example"]).await;
    let (okta, admin, org) = (&acme.scim_token.token, &acme.admin_token.token, acme.org_id);
    let dir = app
        .admin_post(
            &format!("/orgs/{org}/directories"),
            admin,
            json!({"name": "Entra ID"}),
        )
        .await
        .expect_status(201);
    let path = format!(
        "/orgs/{org}/directories/{}/tokens",
        dir.body["id"].as_str().unwrap()
    );
    let issued = app.admin_post(&path, admin, None).await.expect_status(201);
    let entra = issued.body["token"].as_str().unwrap().to_owned();
    let receiver = TestReceiver::start().await;
    add_receiver(&app, &acme, &receiver, &["activate", "deactivate"]).await;

    // One account, a record in each directory.
    let in_okta = create_user(&app, okta, "ann").await;
    let in_entra = create_user(&app, &entra, "ann").await;
    // Okta deletes its user: the managed account is deactivated (rule 16), which Entra's
    // record shows; Okta sends it again, active: the account is reactivated.
    assert_eq!(
        app.delete(&format!("/Users/{in_okta}"), okta).await.status,
        204
    );
    app.create_user(okta, user("ann")).await;
    let pushed = receiver.wait_for(2).await;
    let sets: Vec<Value> = pushed.iter().map(|p| claims(&p.token)).collect();
    let entra_uri = json!(format!("/Users/{in_entra}"));
    assert_eq!(sets[0]["sub_id"]["uri"], entra_uri);
    assert_eq!(event_uris(&sets[0]), uris(&["deactivate"]));
    assert_eq!(sets[1]["sub_id"]["uri"], entra_uri);
    assert_eq!(event_uris(&sets[1]), uris(&["activate"]));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        receiver.pushes().len(),
        2,
        "the records the requests addressed: no status event"
    );
}

on_both_backends! {
    sets_carry_rfc_9967_events_signed_with_the_published_key => spawn_app,
    a_failed_push_is_retried_and_the_order_kept => spawn_app,
    status_changes_reach_every_record_of_the_account => spawn_app,
}
