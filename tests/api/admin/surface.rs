//! Authentication, problem bodies, domains, directories and their tokens.

use scimd::service::admin::tokens::AdminTokenFor;
use serde_json::json;

use super::*;
use crate::on_both_backends;

async fn every_rejection_is_a_problem(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    let b = app.bootstrap("B", &["b.example"]).await;
    let domains = format!("/orgs/{}/domains", a.org_id);
    let anonymous = app
        .client
        .get(format!("{}/admin/v1{domains}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    assert_eq!(
        anonymous.headers()["content-type"],
        "application/problem+json"
    );
    assert!(anonymous.headers().contains_key("www-authenticate"));
    assert_problem(
        &app.admin("GET", &domains, &a.scim_token.token, None).await,
        401,
        "unauthorized",
    );
    assert_problem(
        &app.admin("GET", &domains, "not.a.jwt", None).await,
        401,
        "unauthorized",
    );
    assert_problem(
        &app.admin("GET", &domains, admin_of(&b), None).await,
        403,
        "not_org_admin",
    );
    assert_problem(
        &app.admin("GET", "/nothing/here", admin_of(&a), None).await,
        404,
        "not_found",
    );
    assert_problem(
        &app.admin("GET", "/accounts/not-a-uuid", admin_of(&a), None)
            .await,
        404,
        "not_found",
    );
    assert_problem(
        &app.admin("PATCH", &domains, admin_of(&a), None).await,
        405,
        "method_not_allowed",
    );
    let bad = app
        .admin(
            "GET",
            &format!("/orgs/{}/accounts?bogus=1", a.org_id),
            admin_of(&a),
            None,
        )
        .await;
    assert_problem(&bad, 400, "invalid_request");
    let response = app
        .client
        .post(format!("{}/admin/v1{domains}", app.address))
        .bearer_auth(admin_of(&a))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let unknown_field = invite(
        &app,
        admin_of(&a),
        &a,
        json!({"emails": ["n@a.example"], "sendEmail": false}),
    )
    .await;
    assert_problem(&unknown_field, 400, "invalid_request");
    let malformed = invite(
        &app,
        admin_of(&a),
        &a,
        json!({"emails": ["not an email", "ok@a.example"]}),
    )
    .await;
    assert_problem(&malformed, 400, "invite_refused");
    assert_eq!(malformed.body["refused"][0]["code"], "invalid_email");
    let other_site = invite(&app, admin_of(&b), &a, json!({"emails": ["n@a.example"]})).await;
    assert_problem(&other_site, 403, "not_site_admin");
}

async fn domains_verify_list_and_refuse_taking(env: WithDns) {
    let WithDns { app, dns } = env;
    let a = app.bootstrap("A", &["a.example"]).await;
    let b = app.bootstrap("B", &["b.example"]).await;
    invite(
        &app,
        admin_of(&a),
        &a,
        json!({"emails": ["later@new.example"]}),
    )
    .await;
    let path = format!("/orgs/{}/domains", a.org_id);
    let verified = app
        .admin(
            "POST",
            &path,
            admin_of(&a),
            Some(json!({"domain": "New.Example"})),
        )
        .await;
    assert_eq!(verified.status, 201, "{}", verified.body);
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
        .admin(
            "POST",
            &format!("{path}/new.example/check"),
            admin_of(&a),
            None,
        )
        .await;
    assert_eq!(checked.status, 200, "{}", checked.body);
    assert_eq!(checked.body["state"], "verified");
    let again = app
        .admin(
            "POST",
            &path,
            admin_of(&a),
            Some(json!({"domain": "new.example"})),
        )
        .await;
    assert_eq!(again.status, 200, "verifying twice changes nothing");
    let listed = app.admin("GET", &path, admin_of(&a), None).await;
    let names: Vec<&str> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["domain"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a.example", "new.example"]);
    let accounts = app
        .admin(
            "GET",
            &format!("/orgs/{}/accounts?status=active", a.org_id),
            admin_of(&a),
            None,
        )
        .await;
    assert_eq!(
        accounts.body["resources"][0]["email"], "later@new.example",
        "rule 20: managed at once"
    );

    let taken = format!("/orgs/{}/domains", b.org_id);
    let refused = app
        .admin(
            "POST",
            &taken,
            admin_of(&b),
            Some(json!({"domain": "a.example"})),
        )
        .await;
    assert_problem(&refused, 403, "domain_verified_by_other_org");
    assert_eq!(refused.body["managing_org"], json!(a.org_id));
    let steal = format!("/orgs/{}/domains/a.example/move", b.org_id);
    let refused = app
        .admin(
            "POST",
            &steal,
            admin_of(&b),
            Some(json!({"to_org": b.org_id})),
        )
        .await;
    assert_problem(&refused, 403, "domain_verified_by_other_org");
    let bad = app
        .admin(
            "POST",
            &path,
            admin_of(&a),
            Some(json!({"domain": "nodots"})),
        )
        .await;
    assert_problem(&bad, 400, "invalid_domain");
}

async fn directories_and_their_tokens(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    let b = app.bootstrap("B", &["b.example"]).await;
    let dirs = format!("/orgs/{}/directories", a.org_id);
    let created = app
        .admin("POST", &dirs, admin_of(&a), Some(json!({"name": "Entra"})))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let dir = created.body["id"].as_str().unwrap().to_owned();
    let listed = app.admin("GET", &dirs, admin_of(&a), None).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 2);

    let tokens = format!("{dirs}/{dir}/tokens");
    let bad_ttl = app
        .admin(
            "POST",
            &tokens,
            admin_of(&a),
            Some(json!({"ttl_days": "soon"})),
        )
        .await;
    assert_problem(&bad_ttl, 400, "invalid_request");
    let zero_ttl = app
        .admin("POST", &tokens, admin_of(&a), Some(json!({"ttl_days": 0})))
        .await;
    assert_problem(&zero_ttl, 400, "invalid_request");
    let listed = app.admin("GET", &tokens, admin_of(&a), None).await;
    assert_eq!(
        listed.body.as_array().unwrap().len(),
        0,
        "a refused issue issued nothing"
    );
    let issued = app
        .admin("POST", &tokens, admin_of(&a), Some(json!({"ttl_days": 30})))
        .await;
    assert_eq!(issued.status, 201, "{}", issued.body);
    let (jti, token) = (
        issued.body["jti"].as_str().unwrap().to_owned(),
        issued.body["token"].as_str().unwrap().to_owned(),
    );
    assert_eq!(app.scim("GET", "/Users", &token, None).await.status, 200);
    let listed = app.admin("GET", &tokens, admin_of(&a), None).await;
    assert_eq!(listed.body[0]["usable"], true);
    assert!(
        listed.body[0].get("token").is_none(),
        "tokens are shown once"
    );

    let revoked = app
        .admin("DELETE", &format!("{tokens}/{jti}"), admin_of(&a), None)
        .await;
    assert_eq!(
        (revoked.status, &revoked.body["changed"]),
        (200, &json!(true))
    );
    assert_eq!(app.scim("GET", "/Users", &token, None).await.status, 401);
    let again = app
        .admin("DELETE", &format!("{tokens}/{jti}"), admin_of(&a), None)
        .await;
    assert_eq!(
        (again.status, &again.body["changed"], &again.body["usable"]),
        (200, &json!(false), &json!(false))
    );

    let foreign = format!("/orgs/{}/directories/{}/tokens", b.org_id, dir);
    assert_problem(
        &app.admin("GET", &foreign, admin_of(&b), None).await,
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
        &app.admin("GET", &dirs, &site_admin, None).await,
        403,
        "not_org_admin",
    );
}

on_both_backends! {
    every_rejection_is_a_problem => spawn_app,
    domains_verify_list_and_refuse_taking => spawn_app_with_dns,
    directories_and_their_tokens => spawn_app,
}
