//! Real answers of the admin API, successes and problems, against the document's schemas.

use std::collections::BTreeSet;

use scimd::service::admin::tokens::AdminTokenFor;
use serde_json::{json, Value};

use super::{fetch_document, Spec};
use crate::helpers::*;
use crate::on_both_backends;

async fn answers_match_their_schemas(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    let b = app.bootstrap("B", &["b.example"]).await;
    let mut spec = Spec::new(fetch_document(&app).await);
    let admin = a.admin_token.token.clone();
    let org = format!("/orgs/{}", a.org_id);
    let site = format!("/sites/{}", a.site_id);

    // Users through SCIM: one managed by A, one another org manages, and a refusal, so
    // the provisioning log has nulls and texts to show.
    for (token, email) in [
        (&a.scim_token.token, "ann@a.example"),
        (&a.scim_token.token, "dan@a.example"),
        (&b.scim_token.token, "cy@b.example"),
        (&a.scim_token.token, "cy@b.example"),
    ] {
        let body = json!({"userName": email, "emails": [{"value": email, "primary": true}]});
        let reply = app.create_user(token, body).await;
        if email == "cy@b.example" && token == &a.scim_token.token {
            let patch = replace("active", false);
            let refused = app
                .patch(&format!("/Users/{}", reply.id()), token, patch)
                .await;
            assert_eq!(refused.status, 403);
        }
    }
    let ann = app.account_id("ann@a.example").await;
    let dan = app.account_id("dan@a.example").await;

    let get = |path: String| {
        let app = &app;
        let admin = admin.clone();
        async move { app.admin_get(&path, &admin).await }
    };
    let post = |path: String, body: Value| {
        let app = &app;
        let admin = admin.clone();
        async move { app.admin_post(&path, &admin, body).await }
    };
    let document = app.get_anonymous("/admin/v1/openapi.json").await;
    assert!(document.body.is_object(), "{}", document.body);
    spec.check("GET", "/openapi.json", &document);

    // The org: domains, accounts, sites, audit, the provisioning log.
    let requested = post(
        format!("{org}/domains"),
        json!({"domain": "acme-labs.example"}),
    )
    .await;
    spec.check("POST", "/orgs/{org}/domains", &requested);
    for (url, template) in [
        (format!("{org}/domains"), "/orgs/{org}/domains"),
        (format!("{org}/accounts?count=1"), "/orgs/{org}/accounts"),
        (format!("{org}/sites"), "/orgs/{org}/sites"),
        (format!("{org}/audit?limit=3"), "/orgs/{org}/audit"),
    ] {
        spec.check("GET", template, &get(url).await);
    }
    let log = get(format!("{org}/provisioning-log")).await;
    assert_eq!(
        log.body["entries"].as_array().unwrap().len(),
        4,
        "{}",
        log.body
    );
    spec.check("GET", "/orgs/{org}/provisioning-log", &log);
    let template = "/orgs/{org}/provisioning-log";
    spec.rejects("GET", template, &log, |b| {
        b["entries"][0]["outcome"] = json!("fine")
    });
    spec.rejects("GET", template, &log, |b| {
        b["entries"][0]["body"] = json!({})
    });
    let bad = get(format!("{org}/provisioning-log?outcome=bad")).await;
    assert_eq!(bad.status, 400);
    spec.check("GET", "/orgs/{org}/provisioning-log", &bad);
    let other = app
        .admin_get(&format!("{org}/provisioning-log"), &b.admin_token.token)
        .await;
    assert_eq!(other.status, 403);
    spec.check("GET", "/orgs/{org}/provisioning-log", &other);
    let unauthorized = app.get_anonymous(&format!("/admin/v1{org}/sites")).await;
    assert_eq!(unauthorized.status, 401);
    spec.check("GET", "/orgs/{org}/sites", &unauthorized);

    // Directories and tokens.
    let dir = post(format!("{org}/directories"), json!({"name": "Entra ID"})).await;
    spec.check("POST", "/orgs/{org}/directories", &dir);
    let tokens = format!("{org}/directories/{}/tokens", dir.id());
    let got = get(format!("{org}/directories")).await;
    spec.check("GET", "/orgs/{org}/directories", &got);
    let issued = app
        .admin_post(&tokens, &admin, json!({"ttl_days": 30}))
        .await;
    spec.check(
        "POST",
        "/orgs/{org}/directories/{directory}/tokens",
        &issued,
    );
    spec.check(
        "GET",
        "/orgs/{org}/directories/{directory}/tokens",
        &get(tokens.clone()).await,
    );
    let jti = issued.body["jti"].as_str().unwrap();
    let revoked = app.admin_delete(&format!("{tokens}/{jti}"), &admin).await;
    spec.check(
        "DELETE",
        "/orgs/{org}/directories/{directory}/tokens/{jti}",
        &revoked,
    );

    // Groups, local and synced.
    let group = post(format!("{org}/groups"), json!({"name": "Designers"})).await;
    spec.check("POST", "/orgs/{org}/groups", &group);
    let template = "/orgs/{org}/groups";
    spec.rejects("POST", template, &group, |b| b["surprise"] = json!(1));
    spec.rejects("POST", template, &group, |b| {
        b["created_at"] = json!("yesterday")
    });
    spec.rejects("POST", template, &group, |b| {
        b.as_object_mut().unwrap().remove("display_name");
    });
    spec.rejects("POST", template, &group, |b| {
        b["members"] = json!(["not-an-id"])
    });
    let taken = post(format!("{org}/groups"), json!({"name": "designers"})).await;
    assert_eq!(taken.status, 409);
    spec.check("POST", "/orgs/{org}/groups", &taken);
    let groups = format!("/admin/v1{org}/groups");
    let wrong_type = app.post_text(&groups, &admin, "text/plain", "name=x").await;
    assert!(wrong_type.body.is_object(), "{}", wrong_type.body);
    assert_eq!(wrong_type.status, 415);
    spec.check("POST", "/orgs/{org}/groups", &wrong_type);
    let members = format!("{org}/groups/{}/members", group.id());
    let added = app
        .admin_post(&members, &admin, json!({"account_ids": [ann]}))
        .await;
    spec.check("POST", "/orgs/{org}/groups/{group}/members", &added);
    let got = get(format!("{org}/groups/{}", group.id())).await;
    spec.check("GET", "/orgs/{org}/groups/{group}", &got);
    let got = get(format!("{org}/groups")).await;
    spec.check("GET", "/orgs/{org}/groups", &got);
    let removed = app.admin_delete(&format!("{members}/{ann}"), &admin).await;
    spec.check(
        "DELETE",
        "/orgs/{org}/groups/{group}/members/{account}",
        &removed,
    );
    let synced = app
        .post(
            "/Groups",
            &a.scim_token.token,
            json!({"displayName": "Synced"}),
        )
        .await;
    let rule_19 = post(
        format!("{org}/groups/{}/members", synced.id()),
        json!({"account_ids": [ann]}),
    )
    .await;
    assert_eq!(rule_19.body["code"], "synced_group_membership");
    spec.check("POST", "/orgs/{org}/groups/{group}/members", &rule_19);

    // Site users.
    let got = get(format!("{site}/users?state=invite_not_sent")).await;
    spec.check("GET", "/sites/{site}/users", &got);
    let got = get(format!("{site}/users/{ann}")).await;
    spec.check("GET", "/sites/{site}/users/{account}", &got);
    let invited = post(
        format!("{site}/invites"),
        json!({"users": [{"email": "bo@partner.example", "display_name": "Bo", "password": "x"},
                                  {"email": "ann@a.example", "display_name": "Annie"}],
                        "products": ["jira-software"]}),
    )
    .await
    .expect_status(200);
    spec.check("POST", "/sites/{site}/invites", &invited);
    let user = format!("{site}/users/{ann}");
    for (verb, template) in [
        ("suspend", "/sites/{site}/users/{account}/suspend"),
        ("restore", "/sites/{site}/users/{account}/restore"),
        (
            "resend-invite",
            "/sites/{site}/users/{account}/resend-invite",
        ),
    ] {
        let reply = app
            .admin_post(&format!("{user}/{verb}"), &admin, None)
            .await;
        spec.check("POST", template, &reply);
    }
    let role = app
        .admin_put(&format!("{user}/role"), &admin, json!({"role": "trusted"}))
        .await;
    spec.check("PUT", "/sites/{site}/users/{account}/role", &role);
    let granted = post(format!("{user}/products"), json!({"product": "confluence"})).await;
    spec.check("POST", "/sites/{site}/users/{account}/products", &granted);
    let revoked = app
        .admin_delete(&format!("{user}/products/confluence"), &admin)
        .await;
    spec.check(
        "DELETE",
        "/sites/{site}/users/{account}/products/{product}",
        &revoked,
    );
    let got = get(format!("{site}/outbox?limit=5")).await;
    spec.check("GET", "/sites/{site}/outbox", &got);
    let remove = app
        .admin_post(&format!("{user}/remove"), &admin, None)
        .await;
    spec.check("POST", "/sites/{site}/users/{account}/remove", &remove);

    // Accounts: a deactivated one makes an invite batch refuse, naming who can act.
    let deactivated = app
        .admin_post(&format!("/accounts/{dan}/deactivate"), &admin, None)
        .await;
    spec.check("POST", "/accounts/{id}/deactivate", &deactivated);
    let refused = app
        .admin_post(
            &format!("/sites/{}/invites", b.site_id),
            &b.admin_token.token,
            json!({"emails": ["dan@a.example", "new@b.example"]}),
        )
        .await;
    assert_eq!(refused.body["code"], "invite_refused", "{}", refused.body);
    assert_eq!(refused.body["refused"][0]["managing_org"], json!(a.org_id));
    spec.check("POST", "/sites/{site}/invites", &refused);
    let template = "/sites/{site}/invites";
    spec.rejects("POST", template, &refused, |b| {
        b.as_object_mut().unwrap().remove("code");
    });
    spec.rejects("POST", template, &refused, |b| {
        b["refused"][0]["why"] = json!("x")
    });
    spec.rejects("POST", template, &refused, |b| b["status"] = json!("409"));
    let reactivated = app
        .admin_post(&format!("/accounts/{dan}/reactivate"), &admin, None)
        .await;
    spec.check("POST", "/accounts/{id}/reactivate", &reactivated);
    for (url, template) in [
        (format!("/accounts/{ann}"), "/accounts/{id}"),
        (
            format!("/accounts/{ann}/audit?limit=2"),
            "/accounts/{id}/audit",
        ),
    ] {
        spec.check("GET", template, &get(url).await);
    }
    let missing = get(format!("/accounts/{}", uuid::Uuid::new_v4())).await;
    assert_eq!(missing.status, 404);
    spec.check("GET", "/accounts/{id}", &missing);
    let deleted = app.admin_delete(&format!("/accounts/{dan}"), &admin).await;
    assert_eq!(deleted.body["deleted"], true, "{}", deleted.body);
    spec.check("DELETE", "/accounts/{id}", &deleted);

    // Self-service: an unmanaged account's owner acts; a managed one's owner is told who.
    let bo = app.account_id("bo@partner.example").await;
    let owner = app.admin_token(AdminTokenFor::Owner(bo)).await;
    spec.check("GET", "/me", &app.admin_get("/me", &owner).await);
    let me_off = app.admin_post("/me/deactivate", &owner, None).await;
    spec.check("POST", "/me/deactivate", &me_off);
    let me_on = app.admin_post("/me/reactivate", &owner, None).await;
    spec.check("POST", "/me/reactivate", &me_on);
    let managed_owner = app.admin_token(AdminTokenFor::Owner(ann)).await;
    let not_yours = app.admin_post("/me/deactivate", &managed_owner, None).await;
    assert_eq!(
        (not_yours.status, &not_yours.body["managing_org"]),
        (403, &json!(a.org_id)),
        "{}",
        not_yours.body
    );
    spec.check("POST", "/me/deactivate", &not_yours);

    let statuses: BTreeSet<u16> = spec.checked.iter().map(|(_, _, s)| *s).collect();
    assert_eq!(
        statuses,
        BTreeSet::from([200, 201, 400, 401, 403, 404, 409, 415]),
        "successes and problems were both checked"
    );
    assert!(spec.checked.len() >= 40, "{}", spec.checked.len());
}

on_both_backends! {
    answers_match_their_schemas => spawn_app,
}
