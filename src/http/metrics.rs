//! Prometheus metrics: every HTTP request by route template, method and status with its
//! latency; every SCIM operation by directory, resource and outcome (and, when a rule
//! refused it, which one); the database pools; SQLite group-commit batch sizes (recorded
//! by the store). Served at `/metrics`, on the main listener or on `--metrics-bind`.
//!
//! Labels are bounded by construction: routes are templates (`/scim/v2/Users/{id}`, never
//! an id), unmatched paths are one label, and directories are the operator's own.

use std::sync::OnceLock;
use std::time::Instant;

use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpMessage, HttpResponse};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::AppState;
use crate::domain::{outcome_of, DirectoryId};

/// Latency buckets, in seconds: SCIM requests take from well under a millisecond (a token
/// check and one indexed read) to seconds (a large group replaced).
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];
/// Transactions per SQLite COMMIT (see `store::group_commit::MAX_BATCH`).
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];

/// The directory a SCIM request acted as, left in the request's extensions by the
/// authentication extractor.
#[derive(Clone, Copy, Debug)]
pub struct DirectoryTag(pub DirectoryId);

/// The rule that refused a request, left in the response's extensions by the error mapper.
#[derive(Clone, Copy, Debug)]
pub struct RefusedBy(pub &'static str);

/// The process's recorder. Installed once: metrics are process-wide, and every server this
/// process runs (tests run many) reports into it.
pub fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("scimd_sqlite_group_commit_transactions".into()),
                        BATCH_BUCKETS,
                    )
                });
            match builder.and_then(PrometheusBuilder::install_recorder) {
                Ok(handle) => Some(handle),
                Err(err) => {
                    tracing::warn!(error = %err, "metrics are off: cannot install the recorder");
                    None
                }
            }
        })
        .as_ref()
}

/// One request being measured: started before the handler runs, finished with its response.
pub struct Probe {
    started: Instant,
    route: String,
    method: String,
}

impl Probe {
    pub fn start(req: &ServiceRequest) -> Self {
        Probe {
            started: Instant::now(),
            route: super::scim_paths::RouteTemplate::of(req),
            method: req.method().as_str().to_owned(),
        }
    }

    pub fn finish<B>(
        self,
        response: ServiceResponse<B>,
    ) -> Result<ServiceResponse<B>, actix_web::Error> {
        let Probe {
            started,
            route,
            method,
        } = self;
        let status = response.status().as_u16();
        metrics::counter!(
            "scimd_http_requests_total",
            "method" => method.clone(),
            "route" => route.clone(),
            "status" => status.to_string()
        )
        .increment(1);
        metrics::histogram!(
            "scimd_http_request_duration_seconds",
            "method" => method.clone(),
            "route" => route.clone()
        )
        .record(started.elapsed().as_secs_f64());
        if let Some(resource) = scim_resource(&route) {
            let directory = response
                .request()
                .extensions()
                .get::<DirectoryTag>()
                .map_or_else(|| "none".to_owned(), |d| d.0.to_string());
            let refused = response.response().extensions().get::<RefusedBy>().copied();
            count_scim_operation(
                &directory,
                resource,
                operation(&method, &route),
                status,
                refused.map(|r| r.0),
            );
        }
        Ok(response)
    }
}

/// Counts one SCIM operation: a request, or one operation of a Bulk request.
pub fn count_scim_operation(
    directory: &str,
    resource: &'static str,
    operation: &'static str,
    status: u16,
    refused_by: Option<&'static str>,
) {
    // The provisioning log classifies with the same function, so the two always agree.
    let outcome = outcome_of(status, refused_by.is_some()).as_str();
    let rule = refused_by.unwrap_or("");
    metrics::counter!(
        "scimd_scim_operations_total",
        "directory" => directory.to_owned(),
        "resource" => resource,
        "operation" => operation,
        "outcome" => outcome,
        "rule" => rule
    )
    .increment(1);
}

/// The SCIM resource type a route template serves, if it is a SCIM route.
fn scim_resource(route: &str) -> Option<&'static str> {
    let rest = route.strip_prefix("/scim/v2")?;
    let first = rest
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default();
    Some(match first {
        "Users" => "User",
        "Groups" => "Group",
        ".search" => "search",
        "Bulk" => "bulk",
        "" => "root",
        _ => "discovery",
    })
}

fn operation(method: &str, route: &str) -> &'static str {
    let on_one = route.ends_with("{id}");
    match (method, on_one) {
        ("POST", _) if route.ends_with(".search") => "search",
        ("POST", _) if route.ends_with("/Bulk") => "bulk",
        ("POST", _) => "create",
        ("GET", true) => "read",
        ("GET", false) => "list",
        ("PUT", _) => "replace",
        ("PATCH", _) => "update",
        ("DELETE", _) => "delete",
        _ => "other",
    }
}

/// GET /metrics: the Prometheus text format.
pub async fn render(state: web::Data<AppState>) -> HttpResponse {
    let Some(handle) = handle() else {
        return HttpResponse::NotFound().finish();
    };
    for pool in state.store.pool_usage() {
        metrics::gauge!("scimd_db_connections", "pool" => pool.name, "state" => "in_use")
            .set(f64::from(pool.in_use));
        metrics::gauge!("scimd_db_connections", "pool" => pool.name, "state" => "idle")
            .set(f64::from(pool.idle));
    }
    handle.run_upkeep();
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        ))
        .body(handle.render())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_name_their_resource_and_operation() {
        assert_eq!(scim_resource("/scim/v2/Users/{id}"), Some("User"));
        assert_eq!(scim_resource("/scim/v2/Groups"), Some("Group"));
        assert_eq!(
            scim_resource("/scim/v2/ServiceProviderConfig"),
            Some("discovery")
        );
        assert_eq!(scim_resource("/admin/v1/orgs/{org}/domains"), None);
        assert_eq!(operation("GET", "/scim/v2/Users/{id}"), "read");
        assert_eq!(operation("GET", "/scim/v2/Users"), "list");
        assert_eq!(operation("POST", "/scim/v2/Users/.search"), "search");
        assert_eq!(operation("POST", "/scim/v2/Users"), "create");
        assert_eq!(operation("PATCH", "/scim/v2/Groups/{id}"), "update");
    }
}
