//! A SearchRequest whose parameters have the wrong JSON type is a 400, never a search
//! without them (`{"filter": 123}` must not answer with the whole directory).

use serde_json::json;

use crate::helpers::*;
use crate::on_both_backends;

async fn wrong_json_types_in_a_search_request_are_refused(app: TestApp) {
    let token = &app.acme_token().await;
    for name in ["ann", "bob"] {
        let email = format!("{name}@acme.example");
        let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                          "userName": email, "emails": [{"value": email, "primary": true}]});
        assert_eq!(app.post("/Users", token, user).await.status, 201);
    }
    let schemas = json!(["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]);
    for endpoint in ["/Users/.search", "/Groups/.search", "/.search"] {
        for (key, value) in [
            ("filter", json!(123)),
            ("filter", json!({"userName": "ann@acme.example"})),
            ("sortBy", json!(["userName"])),
            ("sortOrder", json!(1)),
            ("attributes", json!(7)),
            ("excludedAttributes", json!({"a": 1})),
            ("startIndex", json!("first")),
            ("count", json!([10])),
        ] {
            let body = json!({"schemas": schemas, key: value});
            let reply = app.post(endpoint, token, body).await;
            assert_eq!(
                reply.status, 400,
                "{endpoint} {key}={value}: {}",
                reply.body
            );
            assert_eq!(reply.body["scimType"], "invalidValue", "{endpoint} {key}");
            assert!(
                reply.detail().contains(key),
                "{endpoint}: {}",
                reply.detail()
            );
        }
    }
    let filtered = app
        .post(
            "/Users/.search",
            token,
            json!({"schemas": schemas, "filter": "userName eq \"ann@acme.example\""}),
        )
        .await
        .expect_status(200);
    assert_eq!(filtered.body["totalResults"], 1);
}

on_both_backends! {
    wrong_json_types_in_a_search_request_are_refused => spawn_app,
}
