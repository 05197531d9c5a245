//! Where resource URLs come from without `--public-url`: the request's `Host`, unless the
//! request came through a configured trusted proxy, whose forwarded headers then count.

use serde_json::json;

use crate::helpers::*;
use crate::on_both_backends;

const FORWARDED: [(&str, &str); 3] = [
    ("x-forwarded-host", "scim.acme.example"),
    ("x-forwarded-proto", "https"),
    ("forwarded", "host=scim.acme.example;proto=https"),
];

async fn create(app: &TestApp, token: &str) -> Reply {
    let email = format!("u{}@acme.example", uuid::Uuid::new_v4().simple());
    let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                      "userName": email, "emails": [{"value": email, "primary": true}]});
    app.scim_with("POST", "/Users", token, Some(body), &FORWARDED)
        .await
        .expect_status(201)
}

async fn forwarded_headers_from_a_client_are_ignored(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let reply = create(&app, &org.scim_token.token).await;
    let own = format!("{}/scim/v2/Users/", app.address);
    reply.assert_located_under(&own);
    assert!(reply.body["meta"]["location"]
        .as_str()
        .unwrap()
        .starts_with(&own));
}

async fn forwarded_headers_from_a_trusted_proxy_count(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let reply = create(&app, &org.scim_token.token).await;
    reply.assert_located_under("https://scim.acme.example/scim/v2/Users/");
}

on_both_backends! {
    forwarded_headers_from_a_client_are_ignored => spawn_app,
    forwarded_headers_from_a_trusted_proxy_count => spawn_app_behind_proxy,
}
