//! Security events across server processes: a restart with a push under way, and two
//! servers sharing one database's deliveries.

use std::time::Duration;

use serde_json::Value;

use super::receiver::{claims, Answer, TestReceiver};
use super::{accepted_subjects, add_receiver, create_user, receiver_state, user};
use crate::helpers::*;
use crate::on_both_backends;

async fn a_restart_mid_delivery_loses_nothing(db: TestDb) {
    let receiver = TestReceiver::start().await;
    let first = spawn_stoppable_on(db).await;
    let acme = first.app.bootstrap("Acme", &["acme.example"]).await;
    let (scim, admin, org) = (&acme.scim_token.token, &acme.admin_token.token, acme.org_id);
    // The first push hangs: the server is stopped while it is under way.
    receiver.script(&[Answer::Hang(Duration::from_secs(60))]);
    add_receiver(&first.app, &acme, &receiver, &["create:notice"]).await;
    let mut ids = Vec::new();
    for name in ["u1", "u2", "u3"] {
        ids.push(format!(
            "/Users/{}",
            create_user(&first.app, scim, name).await
        ));
    }
    for _ in 0..200 {
        if !receiver.pushes().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(receiver.pushes().len(), 1, "one push under way");
    let db = first.stop().await;

    let second = spawn_stoppable_on(db).await;
    receiver.wait_for(3).await;
    assert_eq!(accepted_subjects(&receiver), ids, "none lost, in order");
    let pushes = receiver.pushes();
    assert_eq!(
        claims(&pushes[0].token)["jti"],
        claims(&pushes[1].token)["jti"],
        "redelivered with its jti"
    );
    let list = second
        .app
        .admin_get(&format!("/orgs/{org}/event-receivers"), admin)
        .await;
    let state = receiver_state(&second.app, admin, org, &list.body[0]["id"]).await;
    assert_eq!(state["delivery"]["delivered"], 3, "{state}");
    second.stop().await;
    receiver.stop().await;
}

async fn two_servers_deliver_each_set_once_in_order(db: TestDb) {
    let receiver = TestReceiver::start().await;
    let first = spawn_stoppable_on(db).await;
    let second = spawn_second_server(&first.app.db).await;
    let acme = first.app.bootstrap("Acme", &["acme.example"]).await;
    let scim = &acme.scim_token.token;
    add_receiver(&first.app, &acme, &receiver, &["create:notice"]).await;
    let mut ids = Vec::new();
    for i in 0..20 {
        // Every other change through the other server: both deliver, neither twice.
        let server = if i % 2 == 0 {
            &first.app.address
        } else {
            &second.address
        };
        let reply = first
            .app
            .client
            .post(format!("{server}/scim/v2/Users"))
            .bearer_auth(scim)
            .header("content-type", "application/scim+json")
            .body(user(&format!("u{i}")).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 201);
        let body: Value = reply.json().await.unwrap();
        ids.push(format!("/Users/{}", body["id"].as_str().unwrap()));
    }
    receiver.wait_for(20).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.pushes().len(), 20, "each SET once");
    assert_eq!(
        accepted_subjects(&receiver),
        ids,
        "in the order of the changes"
    );
    second.stop().await;
    first.stop().await;
}

on_both_backends! {
    a_restart_mid_delivery_loses_nothing => test_db,
    two_servers_deliver_each_set_once_in_order => test_db,
}
