//! `/metrics`: requests by route template and status, SCIM operations by directory and
//! outcome (refusals by rule), pools and group commits, in the Prometheus text format.

use serde_json::json;

use crate::helpers::*;
use crate::on_both_backends;

fn user(user_name: &str, email: &str) -> serde_json::Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "name": {"givenName": "Gina", "familyName": "Lee"},
        "emails": [{"value": email, "type": "work"}],
        "active": true
    })
}

async fn scrape(base: &str) -> (u16, String, String) {
    let r = reqwest::get(format!("{base}/metrics"))
        .await
        .expect("scrape");
    let status = r.status().as_u16();
    let kind = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, kind, r.text().await.unwrap_or_default())
}

/// The value of the one series of `name` whose labels include every `label="value"` pair.
fn series(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .find(|l| {
            labels
                .iter()
                .all(|(k, v)| l.contains(&format!("{k}=\"{v}\"")))
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

async fn requests_operations_and_refusals_are_counted(app: TestApp) {
    let acme = app.bootstrap("Acme", &["acme.example"]).await;
    let globex = app.bootstrap("Globex", &["globex.example"]).await;
    let (acme_token, globex_token) = (&acme.scim_token.token, &globex.scim_token.token);
    let gina = user("gina", "gina@globex.example");
    app.create_user(globex_token, gina).await;
    let g_lee = user("g.lee", "gina@globex.example");
    let linked = app.create_user(acme_token, g_lee).await;
    let path = format!("/Users/{}", linked.id());
    let patch = replace("name.givenName", "Hacked");
    for _ in 0..2 {
        app.patch(&path, &acme.scim_token.token, patch.clone())
            .await
            .expect_status(403);
    }
    let missing = app
        .get(
            "/Users/00000000-0000-4000-8000-000000000000",
            &acme.scim_token.token,
        )
        .await;
    assert_eq!(missing.status, 404);
    let nowhere = app.get_anonymous("/no/such/path").await;
    assert_eq!(nowhere.status, 404);

    let (status, kind, text) = scrape(&app.address).await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/plain"), "{kind}");
    let acme_dir = acme.directory_id.to_string();
    let globex_dir = globex.directory_id.to_string();
    let op = |directory: &str, operation: &str, outcome: &str| {
        series(
            &text,
            "scimd_scim_operations_total",
            &[
                ("directory", directory),
                ("resource", "User"),
                ("operation", operation),
                ("outcome", outcome),
            ],
        )
    };
    assert_eq!(op(&globex_dir, "create", "ok"), Some(1.0), "{text}");
    assert_eq!(op(&acme_dir, "create", "ok"), Some(1.0));
    assert_eq!(op(&acme_dir, "read", "client_error"), Some(1.0));
    assert_eq!(
        series(
            &text,
            "scimd_scim_operations_total",
            &[
                ("directory", &acme_dir),
                ("operation", "update"),
                ("outcome", "refused"),
                ("rule", "managed_by_other_org"),
            ],
        ),
        Some(2.0),
        "refusals are counted by rule"
    );
    assert_eq!(op(&globex_dir, "update", "refused"), None);
    // Requests by route template (never an id), status and method, with latencies.
    assert!(
        series(
            &text,
            "scimd_http_requests_total",
            &[
                ("route", "/scim/v2/Users/{id}"),
                ("method", "PATCH"),
                ("status", "403")
            ],
        )
        .is_some_and(|n| n >= 2.0),
        "{text}"
    );
    assert!(series(
        &text,
        "scimd_http_requests_total",
        &[("route", "unmatched"), ("status", "404")]
    )
    .is_some());
    assert!(
        !text.contains(linked.body["id"].as_str().unwrap()),
        "no ids in routes"
    );
    assert!(series(
        &text,
        "scimd_http_request_duration_seconds_bucket",
        &[
            ("route", "/scim/v2/Users"),
            ("method", "POST"),
            ("le", "+Inf")
        ],
    )
    .is_some_and(|n| n >= 2.0));
    assert!(
        series(&text, "scimd_db_connections", &[("state", "idle")]).is_some(),
        "{text}"
    );
    if app.store.group_commit_stats().is_some() {
        assert!(
            text.lines()
                .any(|l| l.starts_with("scimd_sqlite_group_commit_transactions_count")),
            "SQLite reports its group commits: {text}"
        );
    }
}

async fn metrics_can_have_a_listener_of_their_own(app: TestApp) {
    let (status, _, _) = scrape(&app.address).await;
    assert_eq!(status, 404, "not on the port IdPs reach");
    let own = app.metrics_address.clone().expect("metrics listener");
    let (status, _, text) = scrape(&own).await;
    assert_eq!(status, 200);
    assert!(text.contains("scimd_db_connections"), "{text}");
}

on_both_backends! {
    requests_operations_and_refusals_are_counted => spawn_app,
    metrics_can_have_a_listener_of_their_own => spawn_app_with_metrics_listener,
}
