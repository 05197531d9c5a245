//! Real answers of the admin API, successes and problems, against the document's schemas.

use std::collections::BTreeSet;

use scimd::service::admin::tokens::AdminTokenFor;
use serde_json::json;

use super::{fetch_document, Spec};
use crate::helpers::*;
use crate::on_both_backends;

fn id(reply: &Reply) -> String {
    reply.body["id"].as_str().unwrap().to_owned()
}

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
        let reply = app.scim("POST", "/Users", token, Some(body)).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        if email == "cy@b.example" && token == &a.scim_token.token {
            let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "active", "value": false}]});
            let refused = app
                .scim(
                    "PATCH",
                    &format!("/Users/{}", id(&reply)),
                    token,
                    Some(patch),
                )
                .await;
            assert_eq!(refused.status, 403);
        }
    }
    let ann = app.account_id("ann@a.example").await;
    let dan = app.account_id("dan@a.example").await;

    let get = |path: String| {
        let app = &app;
        let admin = admin.clone();
        async move { app.admin("GET", &path, &admin, None).await }
    };
    let reply = app
        .client
        .get(format!("{}/admin/v1/openapi.json", app.address))
        .send()
        .await
        .unwrap();
    let headers = reply.headers().clone();
    let document = Reply {
        status: reply.status().as_u16(),
        headers,
        body: reply.json().await.unwrap(),
    };
    spec.check("GET", "/openapi.json", &document);

    // The org: domains, accounts, sites, audit, the provisioning log.
    let requested = app
        .admin(
            "POST",
            &format!("{org}/domains"),
            &admin,
            Some(json!({"domain": "acme-labs.example"})),
        )
        .await;
    spec.check("POST", "/orgs/{org}/domains", &requested);
    spec.check(
        "GET",
        "/orgs/{org}/domains",
        &get(format!("{org}/domains")).await,
    );
    spec.check(
        "GET",
        "/orgs/{org}/accounts",
        &get(format!("{org}/accounts?count=1")).await,
    );
    spec.check(
        "GET",
        "/orgs/{org}/sites",
        &get(format!("{org}/sites")).await,
    );
    spec.check(
        "GET",
        "/orgs/{org}/audit",
        &get(format!("{org}/audit?limit=3")).await,
    );
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
        .admin(
            "GET",
            &format!("{org}/provisioning-log"),
            &b.admin_token.token,
            None,
        )
        .await;
    assert_eq!(other.status, 403);
    spec.check("GET", "/orgs/{org}/provisioning-log", &other);
    let anonymous = app
        .client
        .get(format!("{}/admin/v1{org}/sites", app.address))
        .send()
        .await
        .unwrap();
    let unauthorized = Reply {
        status: anonymous.status().as_u16(),
        headers: anonymous.headers().clone(),
        body: anonymous.json().await.unwrap(),
    };
    assert_eq!(unauthorized.status, 401);
    spec.check("GET", "/orgs/{org}/sites", &unauthorized);

    // Directories and tokens.
    let dir = app
        .admin(
            "POST",
            &format!("{org}/directories"),
            &admin,
            Some(json!({"name": "Entra ID"})),
        )
        .await;
    spec.check("POST", "/orgs/{org}/directories", &dir);
    let tokens = format!("{org}/directories/{}/tokens", id(&dir));
    spec.check(
        "GET",
        "/orgs/{org}/directories",
        &get(format!("{org}/directories")).await,
    );
    let issued = app
        .admin("POST", &tokens, &admin, Some(json!({"ttl_days": 30})))
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
    let revoked = app
        .admin("DELETE", &format!("{tokens}/{jti}"), &admin, None)
        .await;
    spec.check(
        "DELETE",
        "/orgs/{org}/directories/{directory}/tokens/{jti}",
        &revoked,
    );

    // Groups, local and synced.
    let group = app
        .admin(
            "POST",
            &format!("{org}/groups"),
            &admin,
            Some(json!({"name": "Designers"})),
        )
        .await;
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
    let taken = app
        .admin(
            "POST",
            &format!("{org}/groups"),
            &admin,
            Some(json!({"name": "designers"})),
        )
        .await;
    assert_eq!(taken.status, 409);
    spec.check("POST", "/orgs/{org}/groups", &taken);
    let wrong_type = app
        .client
        .post(format!("{}/admin/v1{org}/groups", app.address))
        .bearer_auth(&admin)
        .header("content-type", "text/plain")
        .body("name=x")
        .send()
        .await
        .unwrap();
    let wrong_type = Reply {
        status: wrong_type.status().as_u16(),
        headers: wrong_type.headers().clone(),
        body: wrong_type.json().await.unwrap(),
    };
    assert_eq!(wrong_type.status, 415);
    spec.check("POST", "/orgs/{org}/groups", &wrong_type);
    let members = format!("{org}/groups/{}/members", id(&group));
    let added = app
        .admin(
            "POST",
            &members,
            &admin,
            Some(json!({"account_ids": [ann]})),
        )
        .await;
    spec.check("POST", "/orgs/{org}/groups/{group}/members", &added);
    spec.check(
        "GET",
        "/orgs/{org}/groups/{group}",
        &get(format!("{org}/groups/{}", id(&group))).await,
    );
    spec.check(
        "GET",
        "/orgs/{org}/groups",
        &get(format!("{org}/groups")).await,
    );
    let removed = app
        .admin("DELETE", &format!("{members}/{ann}"), &admin, None)
        .await;
    spec.check(
        "DELETE",
        "/orgs/{org}/groups/{group}/members/{account}",
        &removed,
    );
    let synced = app
        .scim(
            "POST",
            "/Groups",
            &a.scim_token.token,
            Some(json!({"displayName": "Synced"})),
        )
        .await;
    let rule_19 = app
        .admin(
            "POST",
            &format!("{org}/groups/{}/members", id(&synced)),
            &admin,
            Some(json!({"account_ids": [ann]})),
        )
        .await;
    assert_eq!(rule_19.body["code"], "synced_group_membership");
    spec.check("POST", "/orgs/{org}/groups/{group}/members", &rule_19);

    // Site users.
    spec.check(
        "GET",
        "/sites/{site}/users",
        &get(format!("{site}/users?state=invite_not_sent")).await,
    );
    spec.check(
        "GET",
        "/sites/{site}/users/{account}",
        &get(format!("{site}/users/{ann}")).await,
    );
    let invited = app
        .admin(
            "POST",
            &format!("{site}/invites"),
            &admin,
            Some(json!({"users": [{"email": "bo@partner.example", "display_name": "Bo", "password": "x"},
                                  {"email": "ann@a.example", "display_name": "Annie"}],
                        "products": ["jira-software"]})),
        )
        .await;
    assert_eq!(invited.status, 200, "{}", invited.body);
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
            .admin("POST", &format!("{user}/{verb}"), &admin, None)
            .await;
        spec.check("POST", template, &reply);
    }
    let role = app
        .admin(
            "PUT",
            &format!("{user}/role"),
            &admin,
            Some(json!({"role": "trusted"})),
        )
        .await;
    spec.check("PUT", "/sites/{site}/users/{account}/role", &role);
    let granted = app
        .admin(
            "POST",
            &format!("{user}/products"),
            &admin,
            Some(json!({"product": "confluence"})),
        )
        .await;
    spec.check("POST", "/sites/{site}/users/{account}/products", &granted);
    let revoked = app
        .admin(
            "DELETE",
            &format!("{user}/products/confluence"),
            &admin,
            None,
        )
        .await;
    spec.check(
        "DELETE",
        "/sites/{site}/users/{account}/products/{product}",
        &revoked,
    );
    spec.check(
        "GET",
        "/sites/{site}/outbox",
        &get(format!("{site}/outbox?limit=5")).await,
    );
    let remove = app
        .admin("POST", &format!("{user}/remove"), &admin, None)
        .await;
    spec.check("POST", "/sites/{site}/users/{account}/remove", &remove);

    // Accounts: a deactivated one makes an invite batch refuse, naming who can act.
    let deactivated = app
        .admin("POST", &format!("/accounts/{dan}/deactivate"), &admin, None)
        .await;
    spec.check("POST", "/accounts/{id}/deactivate", &deactivated);
    let refused = app
        .admin(
            "POST",
            &format!("/sites/{}/invites", b.site_id),
            &b.admin_token.token,
            Some(json!({"emails": ["dan@a.example", "new@b.example"]})),
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
        .admin("POST", &format!("/accounts/{dan}/reactivate"), &admin, None)
        .await;
    spec.check("POST", "/accounts/{id}/reactivate", &reactivated);
    spec.check(
        "GET",
        "/accounts/{id}",
        &get(format!("/accounts/{ann}")).await,
    );
    spec.check(
        "GET",
        "/accounts/{id}/audit",
        &get(format!("/accounts/{ann}/audit?limit=2")).await,
    );
    let missing = get(format!("/accounts/{}", uuid::Uuid::new_v4())).await;
    assert_eq!(missing.status, 404);
    spec.check("GET", "/accounts/{id}", &missing);
    let deleted = app
        .admin("DELETE", &format!("/accounts/{dan}"), &admin, None)
        .await;
    assert_eq!(deleted.body["deleted"], true, "{}", deleted.body);
    spec.check("DELETE", "/accounts/{id}", &deleted);

    // Self-service: an unmanaged account's owner acts; a managed one's owner is told who.
    let bo = app.account_id("bo@partner.example").await;
    let owner = app.admin_token(AdminTokenFor::Owner(bo)).await;
    spec.check("GET", "/me", &app.admin("GET", "/me", &owner, None).await);
    let me_off = app.admin("POST", "/me/deactivate", &owner, None).await;
    spec.check("POST", "/me/deactivate", &me_off);
    let me_on = app.admin("POST", "/me/reactivate", &owner, None).await;
    spec.check("POST", "/me/reactivate", &me_on);
    let managed_owner = app.admin_token(AdminTokenFor::Owner(ann)).await;
    let not_yours = app
        .admin("POST", "/me/deactivate", &managed_owner, None)
        .await;
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
