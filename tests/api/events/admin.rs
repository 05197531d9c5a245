//! Security event receivers through the admin API: whose they are, what bad input gets,
//! and what an org without receivers pays.

use std::time::Duration;

use serde_json::json;

use super::receiver::TestReceiver;
use super::{accepted_subjects, add_receiver, create_user, uri, user};
use crate::helpers::*;
use crate::on_both_backends;

async fn an_org_without_receivers_pays_no_statement(app: TestApp) {
    let acme = app.bootstrap("Acme", &["acme.example"]).await;
    let globex = app.bootstrap("Globex", &["globex.example"]).await;
    let scim = &acme.scim_token.token;
    let id = create_user(&app, scim, "ann").await;
    let path = format!("/Users/{id}");
    for _ in 0..50 {
        if app.get(&path, scim).await.statements() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rename = |n: usize| {
        patch_op(json!([{"op": "replace", "path": "displayName", "value": format!("Ann {n}")}]))
    };
    let before_patch = app
        .scim("PATCH", &path, scim, Some(rename(0)))
        .await
        .statements();
    let reply = app.post("/Users", scim, user("bo")).await;
    let before_create = reply.statements();
    assert!(
        before_patch <= 5 && before_create <= 7,
        "{before_patch} {before_create}"
    );

    // Another org's receiver changes nothing for Acme's writes.
    let receiver = TestReceiver::start().await;
    add_receiver(&app, &globex, &receiver, &["create:notice", "patch:notice"]).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    for n in 1..4 {
        let reply = app.scim("PATCH", &path, scim, Some(rename(n))).await;
        assert_eq!(reply.status, 200);
        assert_eq!(
            reply.statements(),
            before_patch,
            "PATCH {n} of an org without receivers"
        );
    }
    let reply = app.post("/Users", scim, user("cy")).await;
    assert_eq!(reply.status, 201);
    assert_eq!(reply.statements(), before_create);
    let off = patch_op(replace("active", false));
    let reply = app.scim("PATCH", &path, scim, Some(off)).await;
    assert_eq!(reply.status, 200);
    assert!(
        reply.statements() <= 5,
        "a status change without receivers for it"
    );

    // Globex's own writes do reach its receiver, and only those.
    let email = "dee@globex.example";
    let body = json!({"userName": email, "emails": [{"value": email, "primary": true}]});
    let reply = app.create_user(&globex.scim_token.token, body).await;
    receiver.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.pushes().len(), 1);
    assert_eq!(
        accepted_subjects(&receiver),
        [format!("/Users/{}", reply.id())]
    );
}

async fn receivers_are_the_orgs_own_and_bad_input_changes_nothing(app: TestApp) {
    let acme = app.bootstrap("Acme", &["acme.example"]).await;
    let globex = app.bootstrap("Globex", &["globex.example"]).await;
    let (admin, org) = (&acme.admin_token.token, acme.org_id);
    let other = &globex.admin_token.token;
    let receiver = TestReceiver::start().await;
    let view = add_receiver(&app, &acme, &receiver, &["delete"]).await;
    let id = view["id"].as_str().unwrap();

    let mine = format!("/orgs/{org}/event-receivers");
    let theirs = format!("/orgs/{}/event-receivers", globex.org_id);
    for (method, path) in [
        ("GET", mine.clone()),
        ("GET", format!("{mine}/{id}")),
        ("GET", format!("{mine}/{id}/events")),
        ("DELETE", format!("{mine}/{id}")),
    ] {
        let reply = app.admin(method, &path, other, None).await;
        assert_eq!(reply.status, 403, "{method} {path}: {}", reply.body);
        assert_eq!(reply.body["code"], "not_org_admin");
    }
    let reply = app
        .admin_post(
            &mine,
            other,
            json!({"url": receiver.url, "events": [uri("delete")]}),
        )
        .await;
    assert_eq!(reply.status, 403);
    for (method, path) in [
        ("GET", format!("{theirs}/{id}")),
        ("DELETE", format!("{theirs}/{id}")),
        ("GET", format!("{theirs}/{id}/events")),
    ] {
        let reply = app.admin(method, &path, other, None).await;
        assert_eq!(reply.status, 404, "{method} {path}: {}", reply.body);
    }
    let listed = app.admin_get(&theirs, other).await;
    assert_eq!(listed.body, json!([]));

    for body in [
        json!({"url": "ftp://127.0.0.1/events", "events": [uri("delete")]}),
        json!({"url": "not a url", "events": [uri("delete")]}),
        json!({"url": "https://user:pw@receiver.example/", "events": [uri("delete")]}),
        json!({"url": receiver.url, "events": ["urn:ietf:params:scim:event:feed:add"]}),
        json!({"url": receiver.url, "events": [uri("put:full"), uri("put:notice")]}),
        json!({"url": receiver.url, "events": []}),
        json!({"url": receiver.url, "events": [uri("delete")], "authorization": "Bearer a\nb"}),
        json!({"url": receiver.url, "events": [uri("delete")], "secret": "x"}),
    ] {
        let reply = app.admin_post(&mine, admin, body.clone()).await;
        assert_eq!(reply.status, 400, "{body}: {}", reply.body);
        assert_eq!(
            reply.header("content-type"),
            Some("application/problem+json"),
            "{body}"
        );
        assert_eq!(reply.body["code"], "invalid_request", "{body}");
    }
    let listed = app.admin_get(&mine, admin).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1, "{}", listed.body);
    assert!(!listed.body.to_string().contains("s3cret"));
    assert_eq!(listed.body[0]["events"], json!([uri("delete")]));

    assert_eq!(
        app.admin_delete(&format!("{mine}/{id}"), admin)
            .await
            .status,
        204
    );
    assert_eq!(
        app.admin_get(&format!("{mine}/{id}"), admin).await.status,
        404
    );
    assert_eq!(app.admin_get(&mine, admin).await.body, json!([]));
}

on_both_backends! {
    an_org_without_receivers_pays_no_statement => spawn_app,
    receivers_are_the_orgs_own_and_bad_input_changes_nothing => spawn_app,
}
