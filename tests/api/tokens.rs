//! Directory tokens: what is accepted and what is refused.

use base64::Engine as _;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use scimd::service::directory_tokens::{issue_directory_token, revoke_token};
use scimd::service::tokens::SCIM_AUDIENCE;
use scimd::store::{self, TokenSubject};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_backends;

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

async fn signing_secret(app: &TestApp) -> Vec<u8> {
    let mut conn = app.store.read().await.unwrap();
    store::list_signing_keys(&mut conn)
        .await
        .unwrap()
        .remove(0)
        .secret
}

async fn spc_status(app: &TestApp, token: &str) -> u16 {
    app.scim_get("/ServiceProviderConfig", Some(token)).await.0
}

/// The token is refused (401) with `why` in the detail.
async fn assert_refused(app: &TestApp, token: &str, why: &str) {
    let (status, _, body) = app.scim_get("/ServiceProviderConfig", Some(token)).await;
    assert_eq!(status, 401);
    let detail = body["detail"].as_str().expect("a detail");
    assert!(detail.contains(why), "{body}");
}

async fn a_revoked_token_is_refused(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let second = issue_directory_token(&app.store, &app.tokens, org.directory_id, None)
        .await
        .unwrap();
    assert_eq!(spc_status(&app, &second.token).await, 200);
    revoke_token(&app.store, second.jti).await.unwrap();
    assert_refused(&app, &second.token, "revoked").await;
    // Revoking one token leaves the directory's other tokens working.
    assert_eq!(spc_status(&app, &org.scim_token.token).await, 200);
}

async fn an_expired_token_is_refused(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let expired = issue_directory_token(
        &app.store,
        &app.tokens,
        org.directory_id,
        Some(time::Duration::minutes(-5)),
    )
    .await
    .unwrap();
    assert_refused(&app, &expired.token, "expired").await;
    let fresh = issue_directory_token(
        &app.store,
        &app.tokens,
        org.directory_id,
        Some(time::Duration::hours(1)),
    )
    .await
    .unwrap();
    assert_eq!(
        spc_status(&app, &fresh.token).await,
        200,
        "expiry is honoured, not required"
    );
}

async fn a_wrongly_signed_or_tampered_token_is_refused(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let good = &org.scim_token.token;
    let claims = claims_of(good);
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid_of(good));

    let forged = encode(
        &header,
        &claims,
        &EncodingKey::from_secret(b"not the server's key at all"),
    )
    .unwrap();
    assert_eq!(spc_status(&app, &forged).await, 401);

    // The real signature over other claims: pointing the token at another directory.
    let other = app.bootstrap("Other", &["other.example"]).await;
    let mut parts: Vec<&str> = good.split('.').collect();
    let mut moved = claims.clone();
    moved["sub"] = json!(other.directory_id.to_string());
    let moved_payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(moved.to_string());
    parts[1] = &moved_payload;
    assert_eq!(spc_status(&app, &parts.join(".")).await, 401);

    // Algorithm substitution: `none` and other HMAC sizes are not accepted.
    let unsigned = format!(
        "{}.{}.",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        good.split('.').nth(1).unwrap()
    );
    assert_eq!(spc_status(&app, &unsigned).await, 401);
    let secret = signing_secret(&app).await;
    let mut hs512 = Header::new(Algorithm::HS512);
    hs512.kid = Some(kid_of(good));
    let resigned = encode(&hs512, &claims, &EncodingKey::from_secret(&secret)).unwrap();
    assert_eq!(spc_status(&app, &resigned).await, 401);

    assert_eq!(spc_status(&app, "garbage").await, 401);
    assert_eq!(spc_status(&app, good).await, 200);
}

async fn a_token_for_another_audience_or_issuer_is_refused(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let good = &org.scim_token.token;
    let secret = signing_secret(&app).await;
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid_of(good));
    let key = EncodingKey::from_secret(&secret);

    // Signed with the real key, so only the claim checks can refuse these.
    let same = encode(&header, &claims_of(good), &key).unwrap();
    assert_eq!(
        spc_status(&app, &same).await,
        200,
        "control: re-signing alone changes nothing"
    );
    let mut wrong_aud = claims_of(good);
    wrong_aud["aud"] = json!("scimd:admin");
    assert_eq!(
        spc_status(&app, &encode(&header, &wrong_aud, &key).unwrap()).await,
        401
    );
    let mut wrong_iss = claims_of(good);
    wrong_iss["iss"] = json!("someone-else");
    assert_eq!(
        spc_status(&app, &encode(&header, &wrong_iss, &key).unwrap()).await,
        401
    );
    let mut unknown_jti = claims_of(good);
    unknown_jti["jti"] = json!(uuid::Uuid::new_v4().to_string());
    assert_eq!(
        spc_status(&app, &encode(&header, &unknown_jti, &key).unwrap()).await,
        401
    );
    assert_eq!(claims_of(good)["aud"], SCIM_AUDIENCE);
}

async fn tokens_survive_a_restart(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    // A second server on the same database stands in for the restarted process.
    let restarted = scimd::http::startup::Application::build(&serve_args(&app.db.url))
        .await
        .unwrap();
    let address = format!("http://127.0.0.1:{}", restarted.port());
    tokio::spawn(restarted.run_until_stopped());
    let response = app
        .client
        .get(format!("{address}/scim/v2/ServiceProviderConfig"))
        .bearer_auth(&org.scim_token.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let mut conn = app.store.read().await.unwrap();
    assert_eq!(
        store::list_signing_keys(&mut conn).await.unwrap().len(),
        1,
        "no second key was made"
    );
    let record = store::get_token(&mut conn, org.scim_token.jti)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        record.subject,
        TokenSubject::Directory {
            directory: org.directory_id,
            org: org.org_id
        }
    );
}

on_both_backends! {
    a_revoked_token_is_refused => spawn_app,
    an_expired_token_is_refused => spawn_app,
    a_wrongly_signed_or_tampered_token_is_refused => spawn_app,
    a_token_for_another_audience_or_issuer_is_refused => spawn_app,
    tokens_survive_a_restart => spawn_app,
}
