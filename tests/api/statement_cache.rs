//! Dynamic list statements (filters, sorts, pages, root `.search`) from several directories
//! on one database connection: its prepared-statement cache must never hand one query's
//! statement to another (on PostgreSQL, a cached statement that binds a different number of
//! parameters fails every later lookup on that connection with 500).

use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_backends;

fn user(name: &str, title: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": name,
        "externalId": format!("ext-{name}"),
        "title": title,
        "displayName": name,
        "emails": [{"value": name, "type": "work", "primary": true}],
    })
}

/// A request (method, path, body) and the `totalResults` it must report (the same in both
/// directories).
type Request = (&'static str, &'static str, Option<Value>, i64);

fn get(path: &'static str, total: i64) -> Request {
    ("GET", path, None, total)
}

fn post(path: &'static str, body: Value, total: i64) -> Request {
    ("POST", path, Some(body), total)
}

fn requests() -> Vec<Request> {
    vec![
        get("/Users?sortBy=title&sortOrder=descending", 3),
        get("/Users?sortBy=userName&count=1&startIndex=2", 3),
        get("/Users?sortBy=emails&count=2", 3),
        get(
            "/Users?filter=title%20eq%20%22Lead%22&sortBy=displayName",
            1,
        ),
        get(
            "/Users?filter=title%20sw%20%22E%22%20or%20title%20eq%20%22Lead%22",
            3,
        ),
        get("/Users?filter=userName%20eq%20%22ann@DOMAIN%22", 1),
        get("/Users?filter=externalId%20eq%20%22ext-bob@DOMAIN%22", 1),
        get(
            "/Users?filter=emails%5Btype%20eq%20%22work%22%5D.value%20co%20%22DOMAIN%22",
            3,
        ),
        get("/Users?startIndex=3&count=5", 3),
        // Pages past the end: the count runs as a statement of its own, whatever the sort.
        get("/Users?sortBy=title&startIndex=5", 3),
        get("/Users?sortBy=displayName&startIndex=9&count=2", 3),
        get("/Users?sortBy=name.familyName&startIndex=7", 3),
        get("/Users?sortBy=emails.primary&startIndex=114", 3),
        get(
            "/Users?filter=title%20eq%20%22Lead%22&sortBy=title&startIndex=4",
            1,
        ),
        get("/Groups?sortBy=displayName&startIndex=3", 1),
        get(
            "/Groups?sortBy=displayName&filter=displayName%20sw%20%22Eng%22",
            1,
        ),
        post(
            "/Users/.search",
            json!({"filter": "title ne \"Lead\"", "sortBy": "userName", "count": 1}),
            2,
        ),
        post("/.search", json!({"sortBy": "displayName", "count": 2}), 4),
        post(
            "/.search",
            json!({"filter": "displayName sw \"c\"", "startIndex": 1}),
            1,
        ),
        // First cursor pages (later ones are bound to their directory: see below).
        get("/Users?cursor=&sortBy=title&count=2", 3),
        get("/Users?cursor=&count=1", 3),
        post(
            "/Groups/.search",
            json!({"cursor": "", "sortBy": "displayName"}),
            1,
        ),
        post("/.search", json!({"cursor": "", "count": 2}), 4),
    ]
}

/// Acme and Globex, each with the users ann (Engineer), bob (Lead) and cid (Engineer), every
/// body passed through `adjust` first: each directory's SCIM token and domain.
async fn tenants(app: &TestApp, adjust: impl Fn(&str, &mut Value)) -> Vec<(String, &'static str)> {
    let mut tenants = Vec::new();
    for (org, domain) in [("Acme", "acme.example"), ("Globex", "globex.example")] {
        let outcome = app.bootstrap(org, &[domain]).await;
        let token = outcome.scim_token.token.clone();
        for (name, title) in [("ann", "Engineer"), ("bob", "Lead"), ("cid", "Engineer")] {
            let mut body = user(&format!("{name}@{domain}"), title);
            adjust(name, &mut body);
            app.create_user(&token, body).await;
        }
        tenants.push((token, domain));
    }
    tenants
}

async fn list_statements_never_mix_on_one_connection(app: TestApp) {
    let tenants = tenants(&app, |_, _| {}).await;
    for (token, _) in &tenants {
        let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                           "displayName": "Engineering"});
        assert_eq!(app.post("/Groups", token, group).await.status, 201);
    }
    let requests = requests();
    // Several orders: forwards, backwards and strided, alternating tenants differently.
    let n = requests.len();
    let orders: Vec<Vec<usize>> = vec![
        (0..n).collect(),
        (0..n).rev().collect(),
        (0..n).map(|i| (i * 5) % n).collect(),
        (0..n).map(|i| (i * 7 + 3) % n).collect(),
    ];
    for (round, order) in orders.iter().enumerate() {
        for (step, &index) in order.iter().enumerate() {
            let (token, domain) = &tenants[(round + step) % 2];
            let (method, path, body, total) = &requests[index];
            let path = path.replace("DOMAIN", domain);
            let reply = app.scim(method, &path, token, body.clone()).await;
            assert_eq!(reply.status, 200, "{method} {path}: {}", reply.body);
            assert_eq!(
                reply.body["totalResults"], *total,
                "{method} {path}: {}",
                reply.body
            );
            for resource in reply.body["Resources"].as_array().unwrap() {
                if let Some(name) = resource["userName"].as_str() {
                    assert!(name.ends_with(domain), "{name} leaked into {domain}");
                }
            }
        }
    }
}

/// Walks by cursor of both directories, a page of each in turn, sorted and not: the keyset
/// statements (with and without a NULL position) share the connection too.
async fn cursor_walks_never_mix_on_one_connection(app: TestApp) {
    let tenants = tenants(&app, |name, body| {
        if name == "cid" {
            body.as_object_mut().unwrap().remove("title");
        }
    })
    .await;
    for path in [
        "/Users?sortBy=title&count=1",
        "/Users?sortBy=title&sortOrder=descending&count=1",
        "/Users?count=1",
        "/Users?filter=userName%20co%20%22e%22&count=1",
    ] {
        let mut cursors = vec![String::new(), String::new()];
        let mut seen = vec![0, 0];
        for _ in 0..3 {
            for (t, (token, domain)) in tenants.iter().enumerate() {
                let reply = app
                    .get(&format!("{path}&cursor={}", cursors[t]), token)
                    .await;
                assert_eq!(reply.status, 200, "{path}: {}", reply.body);
                assert_eq!(reply.body["totalResults"], 3, "{path}");
                for resource in reply.body["Resources"].as_array().unwrap() {
                    let name = resource["userName"].as_str().unwrap();
                    assert!(name.ends_with(domain), "{name} leaked into {domain}");
                    seen[t] += 1;
                }
                cursors[t] = reply.body["nextCursor"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
            }
        }
        assert_eq!(seen, vec![3, 3], "{path}");
        assert_eq!(
            cursors,
            vec![String::new(), String::new()],
            "{path}: the last page"
        );
    }
}

on_both_backends! {
    cursor_walks_never_mix_on_one_connection => spawn_app_with_one_connection,
    list_statements_never_mix_on_one_connection => spawn_app_with_one_connection,
}
