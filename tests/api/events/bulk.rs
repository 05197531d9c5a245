//! Bulk operations produce the security events each would alone, in order, and a failed
//! operation produces none (its savepoint took its outbox row with it).

use serde_json::json;

use super::receiver::{claims, event_uris, TestReceiver};
use super::{accepted_subjects, add_receiver, receiver_state, uri, user};
use crate::helpers::*;
use crate::on_both_backends;

async fn bulk_operations_are_reported_like_single_requests(app: TestApp) {
    let acme = app.bootstrap("Acme", &["acme.example"]).await;
    let (scim, admin, org) = (&acme.scim_token.token, &acme.admin_token.token, acme.org_id);
    let receiver = TestReceiver::start().await;
    let view = add_receiver(
        &app,
        &acme,
        &receiver,
        &["create:notice", "deactivate", "delete"],
    )
    .await;
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [
            {"method": "POST", "path": "/Users", "bulkId": "ann", "data": user("ann")},
            {"method": "POST", "path": "/Users", "bulkId": "bob", "data": user("bob")},
            {"method": "PATCH", "path": "/Users/bulkId:ann",
             "data": {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                      "Operations": [{"op": "replace", "path": "active", "value": false}]}},
            // Refused: a bad email. It must leave no event behind.
            {"method": "POST", "path": "/Users", "data": {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "broken", "emails": [{"value": "not an email", "primary": true}]}},
            {"method": "DELETE", "path": "/Users/bulkId:bob"}
        ]
    });
    let reply = app.post("/Bulk", scim, body).await.expect_status(200);
    let results = reply.body["Operations"].as_array().unwrap();
    let statuses = strings(&reply.body["Operations"], "status");
    assert_eq!(
        statuses,
        ["201", "201", "200", "400", "204"],
        "{}",
        reply.body
    );
    let location = |i: usize| {
        let at = results[i]["location"].as_str().unwrap();
        at[at.find("/Users/").unwrap()..].to_owned()
    };
    let (ann, bob) = (location(0), location(1));

    receiver.wait_for(4).await;
    assert_eq!(
        accepted_subjects(&receiver),
        [ann.clone(), bob.clone(), ann.clone(), bob.clone()]
    );
    let kinds: Vec<Vec<String>> = receiver
        .accepted()
        .iter()
        .map(|p| event_uris(&claims(&p.token)))
        .collect();
    assert_eq!(
        kinds,
        vec![
            vec![uri("create:notice")],
            vec![uri("create:notice")],
            vec![uri("deactivate")],
            vec![uri("delete")],
        ]
    );
    let state = receiver_state(&app, admin, org, &view["id"]).await;
    assert_eq!(state["delivery"]["delivered"], 4, "{state}");
}

on_both_backends! {
    bulk_operations_are_reported_like_single_requests => spawn_app,
}
