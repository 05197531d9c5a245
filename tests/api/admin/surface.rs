//! Authentication, problem bodies, domains, directories and their tokens.

use scimd::service::admin::tokens::AdminTokenFor;
use serde_json::json;

use super::*;
use crate::on_both_backends;

async fn every_rejection_is_a_problem(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    let b = app.bootstrap("B", &["b.example"]).await;
    let domains = format!("/orgs/{}/domains", a.org_id);
    let anonymous = app.get_anonymous(&format!("/admin/v1{domains}")).await;
    assert_eq!(anonymous.status, 401);
    let problem = Some("application/problem+json");
    assert_eq!(anonymous.header("content-type"), problem);
    assert!(anonymous.headers.contains_key("www-authenticate"));
    assert_problem(
        &app.admin_get(&domains, &a.scim_token.token).await,
        401,
        "unauthorized",
    );
    assert_problem(
        &app.admin_get(&domains, "not.a.jwt").await,
        401,
        "unauthorized",
    );
    assert_problem(
        &app.admin_get(&domains, admin_of(&b)).await,
        403,
        "not_org_admin",
    );
    assert_problem(
        &app.admin_get("/nothing/here", admin_of(&a)).await,
        404,
        "not_found",
    );
    assert_problem(
        &app.admin_get("/accounts/not-a-uuid", admin_of(&a)).await,
        404,
        "not_found",
    );
    assert_problem(
        &app.admin("PATCH", &domains, admin_of(&a), None).await,
        405,
        "method_not_allowed",
    );
    let bad_path = format!("/orgs/{}/accounts?bogus=1", a.org_id);
    let bad = app.admin_get(&bad_path, admin_of(&a)).await;
    assert_problem(&bad, 400, "invalid_request");
    let path = format!("/admin/v1{domains}");
    let response = app
        .post_text(&path, admin_of(&a), "application/json", "{not json")
        .await;
    assert_eq!(response.status, 400);
    assert_eq!(response.header("content-type"), problem);
    let unknown_field = invite(
        &app,
        &a,
        json!({"emails": ["n@a.example"], "sendEmail": false}),
    )
    .await;
    assert_problem(&unknown_field, 400, "invalid_request");
    let malformed = invite(
        &app,
        &a,
        json!({"emails": ["not an email", "ok@a.example"]}),
    )
    .await;
    assert_problem(&malformed, 400, "invite_refused");
    assert_eq!(malformed.body["refused"][0]["code"], "invalid_email");
    let other_site = invite_as(&app, admin_of(&b), &a, json!({"emails": ["n@a.example"]})).await;
    assert_problem(&other_site, 403, "not_site_admin");
}

async fn domains_verify_list_and_refuse_taking(env: WithDns) {
    let WithDns { app, dns } = env;
    let a = app.bootstrap("A", &["a.example"]).await;
    let b = app.bootstrap("B", &["b.example"]).await;
    invite(&app, &a, json!({"emails": ["later@new.example"]})).await;
    let path = format!("/orgs/{}/domains", a.org_id);
    let verified = app
        .admin_create(&path, admin_of(&a), json!({"domain": "New.Example"}))
        .await;
    assert_eq!(verified.body["domain"], "new.example");
    assert_eq!(
        verified.body["state"], "pending",
        "verified only with DNS proof"
    );
    let record = &verified.body["challenge"];
    dns.publish(
        record["record_name"].as_str().unwrap(),
        &[record["record_value"].as_str().unwrap()],
    );
    let checked = app
        .admin_post(&format!("{path}/new.example/check"), admin_of(&a), None)
        .await
        .expect_status(200);
    assert_eq!(checked.body["state"], "verified");
    let again = app
        .admin_post(&path, admin_of(&a), json!({"domain": "new.example"}))
        .await;
    assert_eq!(again.status, 200, "verifying twice changes nothing");
    let listed = app.admin_get(&path, admin_of(&a)).await;
    let names = strings(&listed.body, "domain");
    assert_eq!(names, ["a.example", "new.example"]);
    let accounts_path = format!("/orgs/{}/accounts?status=active", a.org_id);
    let accounts = app.admin_get(&accounts_path, admin_of(&a)).await;
    assert_eq!(
        accounts.body["resources"][0]["email"], "later@new.example",
        "rule 20: managed at once"
    );

    let taken = format!("/orgs/{}/domains", b.org_id);
    let refused = app
        .admin_post(&taken, admin_of(&b), json!({"domain": "a.example"}))
        .await;
    assert_problem(&refused, 403, "domain_verified_by_other_org");
    assert_eq!(refused.body["managing_org"], json!(a.org_id));
    let steal = format!("/orgs/{}/domains/a.example/move", b.org_id);
    let refused = app
        .admin_post(&steal, admin_of(&b), json!({"to_org": b.org_id}))
        .await;
    assert_problem(&refused, 403, "domain_verified_by_other_org");
    let bad = app
        .admin_post(&path, admin_of(&a), json!({"domain": "nodots"}))
        .await;
    assert_problem(&bad, 400, "invalid_domain");
}

async fn directories_and_their_tokens(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    let b = app.bootstrap("B", &["b.example"]).await;
    let dirs = format!("/orgs/{}/directories", a.org_id);
    let created = app
        .admin_create(&dirs, admin_of(&a), json!({"name": "Entra"}))
        .await;
    let dir = created.id();
    let listed = app.admin_get(&dirs, admin_of(&a)).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 2);

    let tokens = format!("{dirs}/{dir}/tokens");
    let bad_ttl = app
        .admin_post(&tokens, admin_of(&a), json!({"ttl_days": "soon"}))
        .await;
    assert_problem(&bad_ttl, 400, "invalid_request");
    let zero_ttl = app
        .admin_post(&tokens, admin_of(&a), json!({"ttl_days": 0}))
        .await;
    assert_problem(&zero_ttl, 400, "invalid_request");
    let listed = app.admin_get(&tokens, admin_of(&a)).await;
    assert_eq!(
        listed.body.as_array().unwrap().len(),
        0,
        "a refused issue issued nothing"
    );
    let issued = app
        .admin_create(&tokens, admin_of(&a), json!({"ttl_days": 30}))
        .await;
    let (jti, token) = (
        issued.body["jti"].as_str().unwrap().to_owned(),
        issued.body["token"].as_str().unwrap().to_owned(),
    );
    assert_eq!(app.get("/Users", &token).await.status, 200);
    let listed = app.admin_get(&tokens, admin_of(&a)).await;
    assert_eq!(listed.body[0]["usable"], true);
    assert!(
        listed.body[0].get("token").is_none(),
        "tokens are shown once"
    );

    let revoked = app
        .admin_delete(&format!("{tokens}/{jti}"), admin_of(&a))
        .await;
    assert_eq!(
        (revoked.status, &revoked.body["changed"]),
        (200, &json!(true))
    );
    assert_eq!(app.get("/Users", &token).await.status, 401);
    let again = app
        .admin_delete(&format!("{tokens}/{jti}"), admin_of(&a))
        .await;
    assert_eq!(
        (again.status, &again.body["changed"], &again.body["usable"]),
        (200, &json!(false), &json!(false))
    );

    let foreign = format!("/orgs/{}/directories/{}/tokens", b.org_id, dir);
    assert_problem(
        &app.admin_get(&foreign, admin_of(&b)).await,
        404,
        "not_found",
    );
    let site_admin = app
        .admin_token(AdminTokenFor::Site {
            site: a.site_id,
            account: None,
        })
        .await;
    assert_problem(
        &app.admin_get(&dirs, &site_admin).await,
        403,
        "not_org_admin",
    );
}

on_both_backends! {
    every_rejection_is_a_problem => spawn_app,
    domains_verify_list_and_refuse_taking => spawn_app_with_dns,
    directories_and_their_tokens => spawn_app,
}
