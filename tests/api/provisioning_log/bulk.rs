//! Bulk operations in the provisioning log: a Bulk answers 200 whatever its operations came
//! to, and each operation is logged as it would be on its own.

use serde_json::json;

use super::{create, entries, log, MARKER};
use crate::helpers::*;
use crate::on_both_backends;

async fn each_bulk_operation_is_logged(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    let b = app.bootstrap("B", &["b.example"]).await;
    create(&app, &a, "ann@a.example").await;
    // B's directory links the account A manages; changing it is refused (rule 13).
    let linked = create(&app, &b, "ann@a.example").await;
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [
            {"method": "PATCH", "path": format!("/Users/{linked}"),
             "data": {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                      "Operations": [{"op": "replace", "path": "title", "value": MARKER}]}},
            {"method": "POST", "path": "/Users", "bulkId": "bob",
             "data": {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                      "userName": "bob@b.example",
                      "emails": [{"value": "bob@b.example", "primary": true}]}},
            {"method": "DELETE", "path": "/Users/not-a-user"}
        ]
    });
    let reply = app
        .post("/Bulk", &b.scim_token.token, body)
        .await
        .expect_status(200);
    let statuses = strings(&reply.body["Operations"], "status");
    assert_eq!(statuses, ["403", "201", "404"], "{}", reply.body);

    let page = log(&app, &b, "").await;
    let logged = entries(&page);
    // B's own create, then the three operations (newest first).
    assert_eq!(logged.len(), 4, "{page}");
    let refused = logged
        .iter()
        .find(|e| e["outcome"] == "refused")
        .expect("the refused PATCH");
    assert_eq!(refused["operation"], "patch");
    assert_eq!(refused["code"], "managed_by_other_org");
    assert_eq!(refused["status"], 403);
    assert_eq!(refused["resource_id"], linked.as_str());
    assert_eq!(refused["token"], json!(b.scim_token.jti));
    assert!(refused["detail"]
        .as_str()
        .unwrap()
        .contains("only its administrators"));
    let missing = logged
        .iter()
        .find(|e| e["outcome"] == "client_error")
        .expect("the DELETE of an unknown user");
    assert_eq!(
        (missing["operation"].as_str(), missing["status"].as_i64()),
        (Some("delete"), Some(404))
    );
    let created = logged
        .iter()
        .filter(|e| e["outcome"] == "ok" && e["email"] == "bob@b.example")
        .count();
    assert_eq!(created, 1, "{page}");
    assert!(
        !page.to_string().contains(MARKER),
        "no request body is kept"
    );
}

on_both_backends! {
    each_bulk_operation_is_logged => spawn_app,
}
