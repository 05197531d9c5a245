//! `/admin/v1/openapi.json` (issue 12): every route the router serves is in the document
//! with its method, and real answers, successes and problems, match its schemas.

mod answers;

use std::collections::{BTreeSet, HashSet};

use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_backends;

pub(super) async fn fetch_document(app: &TestApp) -> Value {
    // No token: the document describes the API and holds no tenant's data.
    let reply = app.get_anonymous("/admin/v1/openapi.json").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let doc = reply.body;
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
    let unknown = app.admin_get("/orgs/nothing-here/at-all", token).await;
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

pub(super) struct Spec {
    doc: Value,
    components: Value,
    pub(super) checked: BTreeSet<(String, String, u16)>,
}

impl Spec {
    pub(super) fn new(doc: Value) -> Self {
        let components = closed_components(&doc);
        Spec {
            doc,
            components,
            checked: BTreeSet::new(),
        }
    }

    /// Validates a real answer of `method template` against the schema the document gives
    /// for its status and content type.
    pub(super) fn check(&mut self, method: &str, template: &str, reply: &Reply) {
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
    pub(super) fn rejects(
        &self,
        method: &str,
        template: &str,
        reply: &Reply,
        change: impl Fn(&mut Value),
    ) {
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

on_both_backends! {
    every_admin_route_is_in_the_document => spawn_app,
}
