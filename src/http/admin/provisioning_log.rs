//! `/orgs/{org}/provisioning-log`: the org's directories' SCIM writes and what they came to.
//! Org admins only, as the org's other routes.

use actix_web::web::{Path, Query};
use serde::Deserialize;

use super::openapi::Problems;
use super::paths::OrgPath;
use super::{ok, AdminCall, Reply};
use crate::domain::DirectoryId;
use crate::service::admin::provisioning_log::{self, ProvisioningLogFilter, ProvisioningLogPage};

/// Newest first; `before` is the previous page's `next_before`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct LogQuery {
    /// Only this directory's writes.
    directory: Option<DirectoryId>,
    /// Comma-separated: ok, refused, client_error, server_error.
    outcome: Option<String>,
    /// Only writes about this email, compared as accounts compare emails (ignoring case).
    email: Option<String>,
    /// Only entries older than this id: the previous page's `next_before`.
    before: Option<i64>,
    /// Entries per page, 1 to 1000 (default 100).
    limit: Option<i64>,
}

#[utoipa::path(
    get, path = "/orgs/{org}/provisioning-log", operation_id = "list_provisioning_log", tag = "Provisioning log",
    params(OrgPath, LogQuery),
    responses(
        (status = 200, description = "The org's directories' SCIM writes, newest first.", body = ProvisioningLogPage),
        Problems,
    ),
)]
/// The provisioning log: what each SCIM write of the org's directories came to.
pub(super) async fn list(call: AdminCall, path: Path<OrgPath>, query: Query<LogQuery>) -> Reply {
    let query = query.into_inner();
    let filter = ProvisioningLogFilter {
        directory: query.directory,
        outcome: query.outcome,
        email: query.email,
        before: query.before,
        limit: query.limit.unwrap_or(100).clamp(1, 1000),
    };
    let page = provisioning_log::list(call.store(), &call.who, path.org, filter).await?;
    ok(page)
}
