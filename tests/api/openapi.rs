//! `/admin/v1/openapi.json` (issue 12): every route the router serves is in the document
//! with its method, and real answers, successes and problems, match its schemas.

use std::collections::{BTreeSet, HashSet};

use scimd::service::admin::tokens::AdminTokenFor;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_backends;

async fn fetch_document(app: &TestApp) -> Value {
    // No token: the document describes the API and holds no tenant's data.
    let reply = app
        .client
        .get(format!("{}/admin/v1/openapi.json", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(
        reply.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let doc: Value = reply.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1."),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["servers"][0]["url"], "/admin/v1");
    doc
}

/// A path of the route table with its parameters filled: ids nobody has, so every call
/// changes nothing.
fn concrete(template: &str) -> String {
    template
        .split('/')
        .map(|segment| match segment {
            "{domain}" => "probe.example".to_owned(),
            "{product}" => "jira-software".to_owned(),
            s if s.starts_with('{') => uuid::Uuid::new_v4().to_string(),
            s => s.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn every_admin_route_is_in_the_document(app: TestApp) {
    let org = app.bootstrap("A", &["a.example"]).await;
    let doc = fetch_document(&app).await;
    let routes: BTreeSet<(String, String)> = scimd::http::admin_routes()
        .map(|(method, path)| (method.to_lowercase(), path.to_owned()))
        .collect();
    assert!(routes.len() > 30, "{routes:?}");
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| (method.clone(), path.clone()))
        })
        .collect();
    assert_eq!(
        routes, documented,
        "the route table and the document list the same operations"
    );

    let mut operation_ids = HashSet::new();
    for (method, path) in &routes {
        let operation = &doc["paths"][path][method];
        let id = operation["operationId"].as_str().unwrap();
        assert!(operation_ids.insert(id.to_owned()), "{id} is not unique");
        assert!(
            operation["responses"]
                .as_object()
                .unwrap()
                .keys()
                .any(|s| s.starts_with('2')),
            "{method} {path} documents its success"
        );
        if path != "/openapi.json" {
            assert!(
                operation["responses"]["401"].is_object(),
                "{method} {path} documents 401"
            );
            for name in operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap())
            {
                assert!(
                    path.contains(&format!("{{{name}}}")),
                    "{method} {path}: {name}"
                );
            }
            let in_path = path.matches('{').count();
            let declared = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .count();
            assert_eq!(in_path, declared, "{method} {path}: path parameters");
        }
    }
    assert_eq!(
        doc["paths"]["/openapi.json"]["get"]["security"],
        json!([{}]),
        "the document needs no token"
    );

    // The router serves exactly the table: each entry reaches a handler (not the scope's
    // "no such resource" nor a 405), and a method outside it is 405.
    let token = &org.admin_token.token;
    for (method, path) in &routes {
        let url = format!("{}/admin/v1{}", app.address, concrete(path));
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let reply = app
            .client
            .request(method.clone(), &url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = reply.status().as_u16();
        let body: Value = reply.json().await.unwrap_or(Value::Null);
        assert_ne!(status, 405, "{method} {path}: {body}");
        assert_ne!(
            body["detail"], "no such admin API resource",
            "{method} {path} is not routed"
        );
        let patch = app
            .client
            .patch(&url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(patch.status(), 405, "PATCH {path}");
    }
    let unknown = app
        .admin("GET", "/orgs/nothing-here/at-all", token, None)
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.body["detail"], "no such admin API resource");
}

/// The document's schemas with every object schema closed to properties it does not
/// describe, so an answer carrying an undocumented field fails. The served document stays
/// open (clients generated from it must accept fields added later). A schema that is one
/// part of another's `allOf` is left open, and is closed by the whole it belongs to.
fn closed_components(doc: &Value) -> Value {
    fn parts(value: &Value, found: &mut HashSet<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::Array(all)) = map.get("allOf") {
                    for part in all {
                        if let Some(r) = part["$ref"].as_str() {
                            found.insert(r.rsplit('/').next().unwrap().to_owned());
                        }
                    }
                }
                map.values().for_each(|v| parts(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| parts(v, found)),
            _ => {}
        }
    }
    let mut components = doc["components"].clone();
    let mut in_all_of = HashSet::new();
    parts(&components, &mut in_all_of);
    for (name, schema) in components["schemas"].as_object_mut().unwrap() {
        let composite = schema.get("properties").is_some() || schema.get("allOf").is_some();
        if composite && !in_all_of.contains(name) {
            schema["unevaluatedProperties"] = json!(false);
        }
    }
    components
}

struct Spec {
    doc: Value,
    components: Value,
    checked: BTreeSet<(String, String, u16)>,
}

impl Spec {
    fn new(doc: Value) -> Self {
        let components = closed_components(&doc);
        Spec {
            doc,
            components,
            checked: BTreeSet::new(),
        }
    }

    /// Validates a real answer of `method template` against the schema the document gives
    /// for its status and content type.
    fn check(&mut self, method: &str, template: &str, reply: &Reply) {
        let errors = self.errors(method, template, reply);
        assert!(
            errors.is_empty(),
            "{method} {template} {}: {errors:?}\n{}",
            reply.status,
            reply.body
        );
        self.checked
            .insert((method.to_owned(), template.to_owned(), reply.status));
    }

    /// The check itself must fail an answer that is not what the document says.
    fn rejects(&self, method: &str, template: &str, reply: &Reply, change: impl Fn(&mut Value)) {
        let mut wrong = Reply {
            status: reply.status,
            headers: reply.headers.clone(),
            body: reply.body.clone(),
        };
        change(&mut wrong.body);
        assert!(
            !self.errors(method, template, &wrong).is_empty(),
            "{method} {template}: {} passed",
            wrong.body
        );
    }

    fn errors(&self, method: &str, template: &str, reply: &Reply) -> Vec<String> {
        let operation = &self.doc["paths"][template][method.to_lowercase()];
        assert!(
            operation.is_object(),
            "{method} {template} is not documented"
        );
        let documented = &operation["responses"][reply.status.to_string()];
        assert!(
            documented.is_object(),
            "{method} {template}: status {} is not documented: {}",
            reply.status,
            reply.body
        );
        let content_type = reply
            .header("content-type")
            .unwrap()
            .split(';')
            .next()
            .unwrap();
        let schema = &documented["content"][content_type]["schema"];
        assert!(
            schema.is_object(),
            "{method} {template} {}: no schema for {content_type}",
            reply.status
        );
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": self.components,
            "allOf": [schema],
        });
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("{method} {template}: bad schema: {e}"));
        validator
            .iter_errors(&reply.body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }
}

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
    every_admin_route_is_in_the_document => spawn_app,
    answers_match_their_schemas => spawn_app,
}
