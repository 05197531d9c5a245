//! What a careless client sends at the HTTP level: a body type other than JSON, a query
//! string that is not UTF-8. Refused with the right status, nothing changed.

use serde_json::json;

use crate::helpers::*;
use crate::on_both_backends;

async fn foreign_content_types_and_bad_query_strings_are_refused(app: TestApp) {
    let token = &app.acme_token().await;
    let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                      "userName": "ann@acme.example",
                      "emails": [{"value": "ann@acme.example", "primary": true}]})
    .to_string();
    for content_type in [
        "text/plain",
        "application/xml",
        "application/merge-patch+json",
        "application/x-www-form-urlencoded",
    ] {
        let reply = app
            .client
            .post(format!("{}/scim/v2/Users", app.address))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status().as_u16(), 415, "{content_type}");
        let error: serde_json::Value = reply.json().await.unwrap();
        assert_eq!(error["status"], "415", "{content_type}: a SCIM error body");
    }
    let none = app.get("/Users", token).await;
    assert_eq!(none.body["totalResults"], 0, "nothing was created");

    for query in [
        "filter=userName%20eq%20%22%FF%22",
        "count=%C3%28",
        "sortBy=%80",
    ] {
        let reply = app.get(&format!("/Users?{query}"), token).await;
        assert_eq!(reply.status, 400, "{query}: {}", reply.body);
        assert_eq!(reply.body["status"], "400", "{query}");
    }
}

on_both_backends! {
    foreign_content_types_and_bad_query_strings_are_refused => spawn_app,
}
