//! `/orgs/{org}/...`: managed accounts, sites and the org's audit log (domains, directories
//! and groups have files of their own). Org admins only.

use actix_web::web::{Path, Query};
use serde::Deserialize;

use super::openapi::Problems;
use super::paths::OrgPath;
use super::{ok, AdminCall, AuditQuery, Reply};
use crate::domain::AccountStatus;
use crate::service::admin::orgs::{self, SiteView};
use crate::service::admin::views::{AccountView, AuditPage, ListView};
use crate::service::admin::Page;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct AccountsQuery {
    status: Option<AccountStatus>,
    /// Case-insensitive substring of the email or display name (at most 256 characters).
    q: Option<String>,
    /// 1-based (default 1).
    start_index: Option<i64>,
    /// Default 50, at most 500.
    count: Option<i64>,
}

#[utoipa::path(
    get, path = "/orgs/{org}/accounts", operation_id = "list_managed_accounts", tag = "Organizations",
    params(OrgPath, AccountsQuery),
    responses(
        (status = 200, description = "The accounts the org manages, deactivated ones included.", body = ListView<AccountView>),
        Problems,
    ),
)]
/// List managed accounts.
pub(super) async fn managed_accounts(
    call: AdminCall,
    path: Path<OrgPath>,
    query: Query<AccountsQuery>,
) -> Reply {
    let query = query.into_inner();
    let page = Page::new(query.start_index, query.count);
    let list = orgs::managed_accounts(
        call.store(),
        &call.who,
        path.org,
        query.status,
        query.q,
        page,
    )
    .await?;
    ok(list)
}

#[utoipa::path(
    get, path = "/orgs/{org}/sites", operation_id = "list_sites", tag = "Organizations",
    params(OrgPath),
    responses((status = 200, description = "The org's sites and their products.", body = Vec<SiteView>), Problems),
)]
/// List sites.
pub(super) async fn sites(call: AdminCall, path: Path<OrgPath>) -> Reply {
    ok(orgs::sites(call.store(), &call.who, path.org).await?)
}

#[utoipa::path(
    get, path = "/orgs/{org}/audit", operation_id = "org_audit", tag = "Organizations",
    params(OrgPath, AuditQuery),
    responses(
        (status = 200, description = "What happened in the org's scope, newest first.", body = AuditPage),
        Problems,
    ),
)]
/// The org's audit log.
pub(super) async fn audit(call: AdminCall, path: Path<OrgPath>, query: Query<AuditQuery>) -> Reply {
    let page = orgs::audit_log(
        call.store(),
        &call.who,
        path.org,
        query.before,
        query.limit(),
    )
    .await?;
    ok(page)
}
