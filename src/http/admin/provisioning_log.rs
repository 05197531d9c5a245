//! `/orgs/{org}/provisioning-log`: the org's directories' SCIM writes and what they came to.
//! Org admins only, as the org's other routes.

use actix_web::http::StatusCode;
use actix_web::web::{self, Data, Path, Query};
use serde::Deserialize;

use super::{json, resource, AdminPrincipal, Reply};
use crate::domain::{DirectoryId, OrgId};
use crate::http::AppState;
use crate::service::admin::provisioning_log::{self, ProvisioningLogFilter};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/orgs/{org}/provisioning-log").route(web::get().to(list)));
}

/// Newest first; `before` is the previous page's `next_before`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogQuery {
    directory: Option<DirectoryId>,
    /// Comma-separated: ok, refused, client_error, server_error.
    outcome: Option<String>,
    /// Compared as accounts compare emails: ignoring case.
    email: Option<String>,
    before: Option<i64>,
    limit: Option<i64>,
}

async fn list(
    state: Data<AppState>,
    who: AdminPrincipal,
    org: Path<OrgId>,
    query: Query<LogQuery>,
) -> Reply {
    let query = query.into_inner();
    let filter = ProvisioningLogFilter {
        directory: query.directory,
        outcome: query.outcome,
        email: query.email,
        before: query.before,
        limit: query.limit.unwrap_or(100).clamp(1, 1000),
    };
    let page = provisioning_log::list(&state.store, &who, *org, filter).await?;
    json(StatusCode::OK, &page)
}
