//! Property tests against the real server, on both backends: random filters, SearchRequests,
//! PATCH operations and request bodies (valid and not; long, nested, hostile). Whatever is
//! sent, the server answers (no panic, no dropped connection), never with a 5xx, and a 4xx
//! changes nothing: the directory's users and groups and the audit log read back the same.
//!
//! Each property runs a fixed number of cases per backend (set in code, not by
//! `PROPTEST_CASES`). A failure prints the minimal failing request and the seed; the same
//! cases run again with `PROPTEST_RNG_SEED=<seed>`, and proptest also records the failing
//! case in `tests/api/properties/mod.regressions` and replays it first on later runs.

mod strategies;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{
    Config, FileFailurePersistence, RngSeed, TestCaseError, TestError, TestRunner,
};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_backends;
use strategies::*;

/// One request of a property.
#[derive(Clone, Debug)]
struct Request {
    method: &'static str,
    /// Relative to `/scim/v2`, query string encoded.
    path: String,
    body: Option<String>,
    content_type: &'static str,
}

impl Request {
    fn get(path: String) -> Self {
        Request {
            method: "GET",
            path,
            body: None,
            content_type: "application/scim+json",
        }
    }

    fn with(method: &'static str, path: String, body: &Value) -> Self {
        Request {
            method,
            path,
            body: Some(body.to_string()),
            content_type: "application/scim+json",
        }
    }
}

/// A directory with users and groups to aim at, shared by every case of a property.
struct Fixture {
    app: TestApp,
    token: String,
    users: Vec<String>,
    groups: Vec<String>,
    /// The state last read back, while no request could have changed it.
    known: Mutex<Option<Value>>,
}

async fn fixture(app: TestApp) -> Fixture {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let token = org.scim_token.token.clone();
    let mut users = Vec::new();
    for (name, title, given) in [
        ("ann", "Übermensch", "Ann"),
        ("bob", "ΟΔΟΣ", "Bob"),
        ("cem", "İSTANBUL", "Cem"),
        ("dan", "50% off_", "Dan"),
    ] {
        let email = format!("{name}@acme.example");
        let body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            "userName": email, "title": title, "externalId": name,
            "name": {"givenName": given, "familyName": "Test"},
            "emails": [{"value": email, "type": "work", "primary": true}],
            "phoneNumbers": [{"value": "+1 555 0100", "type": "work"}],
            ENTERPRISE: {"department": "R&D", "employeeNumber": "7"},
        });
        let created = app.create_user(&token, body).await;
        users.push(created.body["id"].as_str().expect("id").to_owned());
    }
    let mut groups = Vec::new();
    for (name, members) in [("Eng", &users[..2]), ("Ops", &users[2..])] {
        let members: Vec<Value> = members.iter().map(|id| json!({"value": id})).collect();
        let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                          "displayName": name, "members": members});
        let created = app.post("/Groups", &token, body).await.expect_status(201);
        groups.push(created.body["id"].as_str().expect("id").to_owned());
    }
    Fixture {
        app,
        token,
        users,
        groups,
        known: Mutex::new(None),
    }
}

impl Fixture {
    async fn send(&self, request: &Request) -> Result<(u16, String), TestCaseError> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes()).expect("method");
        let mut builder = self
            .app
            .client
            .request(
                method,
                format!("{}/scim/v2{}", self.app.address, request.path),
            )
            .bearer_auth(&self.token)
            .timeout(Duration::from_secs(60));
        if let Some(body) = &request.body {
            builder = builder
                .header("content-type", request.content_type)
                .body(body.clone());
        }
        let response = builder.send().await.map_err(|e| {
            if e.is_builder() {
                // The client cannot even form this request (a URL beyond what HTTP libraries
                // build): nothing reached the server, so the case proves nothing.
                TestCaseError::reject(format!("the client cannot send it: {e}"))
            } else {
                TestCaseError::fail(format!("no answer (did the server panic?): {e}"))
            }
        })?;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        Ok((status, text))
    }

    /// Everything a SCIM request could change: the directory's users and groups, as the
    /// server shows them, and the audit log.
    async fn state(&self) -> Value {
        let mut lists = Vec::new();
        for path in ["/Users?count=200", "/Groups?count=200"] {
            let reply = self.app.get(path, &self.token).await;
            assert_eq!(reply.status, 200, "{path}: {}", reply.body);
            lists.push(reply.body);
        }
        let mut conn = self.app.store.read().await.expect("connection");
        let audit: i64 = scimd::store::query("SELECT COUNT(*) FROM audit_log")
            .scalar(&mut conn)
            .await
            .expect("audit count");
        json!({"users": lists[0], "groups": lists[1], "audit": audit})
    }

    async fn check(&self, request: &Request) -> Result<(), TestCaseError> {
        let known = self.known.lock().expect("state lock").clone();
        let before = match known {
            Some(state) => state,
            None => self.state().await,
        };
        let (status, body) = self.send(request).await?;
        let shown: String = body.chars().take(600).collect();
        prop_assert!(status < 500, "answered {status}: {shown}");
        if request.path == "/Bulk" && status == 200 {
            // Each operation of a Bulk request is held to the same: no 5xx.
            let reply: Value = serde_json::from_str(&body).unwrap_or_default();
            for op in reply["Operations"].as_array().into_iter().flatten() {
                let op_status: u16 = op["status"].as_str().unwrap_or("0").parse().unwrap_or(0);
                prop_assert!(
                    op_status < 500,
                    "a bulk operation answered {op_status}: {shown}"
                );
            }
        }
        let after = match (status, request.method) {
            (400..=499, _) => {
                let after = self.state().await;
                prop_assert!(
                    after == before,
                    "answered {status} ({shown}) but changed the directory:\nbefore {before}\nafter {after}"
                );
                Some(after)
            }
            (_, "GET") => Some(before),
            _ => None,
        };
        *self.known.lock().expect("state lock") = after;
        Ok(())
    }
}

/// The seed: `PROPTEST_RNG_SEED` if set, else a fresh one (printed on failure).
fn seed() -> u64 {
    match Config::default().rng_seed {
        RngSeed::Fixed(seed) => seed,
        RngSeed::Random => uuid::Uuid::new_v4().as_u64_pair().0,
    }
}

/// Runs `cases` cases of the strategy `make` builds against `fixture`, from a blocking
/// thread (proptest is synchronous; its recursive strategies stay on that thread) while
/// this test's runtime serves the requests.
async fn run<S, F>(fixture: Fixture, name: &str, cases: u32, make: F)
where
    S: Strategy<Value = Request>,
    F: FnOnce() -> S + Send + 'static,
{
    let seed = seed();
    let config = Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        source_file: Some(file!()),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        max_shrink_iters: 256,
        ..Config::default()
    };
    let fixture = Arc::new(fixture);
    let runtime = tokio::runtime::Handle::current();
    let shared = fixture.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let mut runner = TestRunner::new(config);
        runner.run(&make(), |request| runtime.block_on(shared.check(&request)))
    })
    .await
    .expect("property runner");
    match outcome {
        Ok(()) => {}
        Err(TestError::Fail(reason, request)) => panic!(
            "property `{name}` failed: {reason}\nminimal failing request: {request:#?}\n\
             seed {seed}: rerun with PROPTEST_RNG_SEED={seed}"
        ),
        Err(TestError::Abort(reason)) => {
            panic!("property `{name}` aborted: {reason} (seed {seed})")
        }
    }
    // The server is still up and serving.
    let health = fixture
        .app
        .client
        .get(format!("{}/healthz", fixture.app.address));
    let health = health.send().await.expect("health check");
    assert_eq!(health.status(), 200);
    fixture
        .app
        .get("/Users", &fixture.token)
        .await
        .expect_status(200);
}

fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// GET lists with random filters, sorts, paging and projections.
async fn random_filters_never_fail_the_server(app: TestApp) {
    let fixture = fixture(app).await;
    let strategy = || {
        (
            select(vec!["/Users", "/Groups"]),
            filter(),
            sort_by(),
            prop::option::of(select(vec!["ascending", "descending", "DESC", ""])),
            prop::option::of(number_text()),
            prop::option::of(number_text()),
            prop::option::of(attr_path()),
            prop::option::of(cursor_text()),
        )
            .prop_map(
                |(resource, filter, sort, order, start, count, attrs, cursor)| {
                    let mut query = format!("filter={}", encode(&filter));
                    let params = [
                        ("sortBy", sort),
                        ("sortOrder", order.map(str::to_owned)),
                        ("startIndex", start),
                        ("count", count),
                        ("attributes", attrs),
                        ("cursor", cursor),
                    ];
                    for (name, value) in params {
                        if let Some(value) = value {
                            query.push_str(&format!("&{name}={}", encode(&value)));
                        }
                    }
                    Request::get(format!("{resource}?{query}"))
                },
            )
    };
    run(fixture, "filters", 400, strategy).await;
}

/// POST .search with SearchRequests whose parameters are right, wrong or missing.
async fn random_search_requests_never_fail_the_server(app: TestApp) {
    let fixture = fixture(app).await;
    let strategy = || {
        (
            select(vec!["/Users/.search", "/Groups/.search", "/.search"]),
            search_request(),
        )
            .prop_map(|(path, body)| Request::with("POST", path.to_owned(), &body))
    };
    run(fixture, "search requests", 250, strategy).await;
}

/// PATCH with random operations, paths and values, on users and groups.
async fn random_patches_never_fail_the_server(app: TestApp) {
    let fixture = fixture(app).await;
    let mut ids = fixture.users.clone();
    ids.push(uuid::Uuid::new_v4().to_string());
    ids.push("not-an-id".into());
    let targets: Vec<String> = (fixture.users.iter().map(|id| format!("/Users/{id}")))
        .chain(fixture.groups.iter().map(|id| format!("/Groups/{id}")))
        .collect();
    let strategy = move || {
        (select(targets), patch_body(ids))
            .prop_map(|(path, body)| Request::with("PATCH", path, &body))
    };
    run(fixture, "patches", 250, strategy).await;
}

/// POST and PUT of users and groups (alone and inside Bulk requests) with wrong types, NUL,
/// huge and deeply nested bodies, and bodies of other content types.
async fn random_bodies_never_fail_the_server(app: TestApp) {
    let fixture = fixture(app).await;
    let user = format!("/Users/{}", fixture.users[3]);
    let group = format!("/Groups/{}", fixture.groups[1]);
    let (user_path, group_path) = (user.clone(), group.clone());
    let mut ids = fixture.users.clone();
    ids.push("bulkId:u".into());
    let strategy = move || {
        let json_case = (
            select(vec![
                ("POST", "/Users".to_owned(), false),
                ("PUT", user.clone(), false),
                ("POST", "/Groups".to_owned(), true),
                ("PUT", group.clone(), true),
            ]),
            any::<bool>(),
        )
            .prop_flat_map(|((method, path, group), other)| {
                let resource = if other { !group } else { group };
                resource_body(resource)
                    .prop_map(move |body| Request::with(method, path.clone(), &body))
            });
        let raw_case = (
            select(vec![
                ("POST", "/Users".to_owned()),
                ("PUT", user),
                ("POST", "/Groups".to_owned()),
                ("PATCH", group),
                ("POST", "/Users/.search".to_owned()),
            ]),
            raw_body(),
            select(vec![
                "application/scim+json",
                "application/json",
                "text/plain",
            ]),
        )
            .prop_map(|((method, path), body, content_type)| Request {
                method,
                path,
                body: Some(body),
                content_type,
            });
        let bulk_case = bulk_body(user_path, group_path, ids)
            .prop_map(|body| Request::with("POST", "/Bulk".to_owned(), &body));
        prop_oneof![3 => json_case, 1 => raw_case, 1 => bulk_case]
    };
    run(fixture, "bodies", 200, strategy).await;
}

/// Found by `random_bodies_never_fail_the_server`: on PostgreSQL a group name of some
/// kilobytes overflowed its index entry and answered 500. It is a 400 that stores nothing
/// where the database cannot index it, and stored whole where it can (SQLite).
async fn a_name_too_long_to_index_is_not_a_server_error(app: TestApp) {
    let fixture = fixture(app).await;
    let before = fixture.state().await;
    for (path, body) in [
        (
            "/Groups",
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                           "displayName": "x".repeat(9000)}),
        ),
        (
            "/Users",
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                          "userName": "long@acme.example", "displayName": "ü".repeat(9000)}),
        ),
    ] {
        let reply = fixture.app.post(path, &fixture.token, body).await;
        match reply.status {
            400 => {
                assert_eq!(reply.body["scimType"], "invalidValue", "{}", reply.body);
                // The length limits refuse it first ("longer than N characters"); a value
                // under them but too big for an index is "too long to be stored".
                assert!(
                    reply.detail().contains("too long") || reply.detail().contains("longer than"),
                    "{}",
                    reply.body
                );
                assert_eq!(fixture.state().await, before, "{path}");
            }
            201 => assert_eq!(
                reply.body["displayName"]
                    .as_str()
                    .map(|n| n.chars().count()),
                Some(9000)
            ),
            status => panic!("{path}: {status} {}", reply.body),
        }
    }
}

on_both_backends! {
    random_filters_never_fail_the_server => spawn_app,
    random_search_requests_never_fail_the_server => spawn_app,
    random_patches_never_fail_the_server => spawn_app,
    random_bodies_never_fail_the_server => spawn_app,
    a_name_too_long_to_index_is_not_a_server_error => spawn_app,
}
