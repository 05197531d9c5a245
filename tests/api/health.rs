use crate::helpers::*;
use crate::on_both_backends;

async fn health_and_readiness_answer(app: TestApp) {
    for path in ["/healthz", "/readyz"] {
        let response = app.get_anonymous(path).await;
        assert_eq!(response.status, 200, "{path}");
    }
}

/// Only PostgreSQL can be taken away from a running server: its database is dropped.
#[tokio::test]
async fn readiness_fails_when_postgres_is_gone() {
    let Some(app) = spawn_app(Backend::Postgres).await else {
        return;
    };
    let ready = app.get_anonymous("/readyz").await;
    assert_eq!(ready.status, 200);
    app.store.close().await;
    app.db.drop_now().await;
    let ready = app.get_anonymous("/readyz").await;
    assert_eq!(ready.status, 503);
    let health = app.get_anonymous("/healthz").await;
    assert_eq!(
        health.status, 200,
        "liveness does not depend on the database"
    );
}

async fn service_provider_config_needs_a_directory_token(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let (status, headers, body) = app.scim_get("/ServiceProviderConfig", None).await;
    assert_eq!(status, 401);
    assert!(headers
        .get("www-authenticate")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    assert_eq!(
        headers.get("content-type").unwrap(),
        "application/scim+json"
    );
    assert_eq!(body["status"], "401");
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );

    let (status, _, body) = app
        .scim_get("/ServiceProviderConfig", Some(&org.scim_token.token))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
    );
    assert_eq!(body["filter"]["maxResults"], 200);

    // An admin token is for the admin API, not SCIM.
    let (status, _, _) = app
        .scim_get("/ServiceProviderConfig", Some(&org.admin_token.token))
        .await;
    assert_eq!(status, 401);
}

async fn unknown_scim_routes_answer_in_scim_format(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let (status, _, body) = app
        .scim_get("/NoSuchThing", Some(&org.scim_token.token))
        .await;
    assert_eq!(status, 404);
    assert_eq!(body["status"], "404");
    let (status, _, _) = app.scim_get("/NoSuchThing", None).await;
    assert_eq!(status, 401, "anonymous callers learn nothing about routes");
}

on_both_backends! {
    health_and_readiness_answer => spawn_app,
    service_provider_config_needs_a_directory_token => spawn_app,
    unknown_scim_routes_answer_in_scim_format => spawn_app,
}
