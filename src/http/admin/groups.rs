//! `/orgs/{org}/groups/...`: the org's local and synced groups; members of local ones
//! (rule 19: synced ones change only through their directory). Org admins only.

use actix_web::web::{Json, Path};
use serde::Deserialize;

use super::openapi::{BodyProblems, Conflict, Problems};
use super::paths::{GroupPath, MemberPath, OrgPath};
use super::{changed, created, ok, AdminCall, NameBody, Reply};
use crate::domain::AccountId;
use crate::service::admin::groups::{self, GroupView};
use crate::service::admin::views::Changed;

#[utoipa::path(
    get, path = "/orgs/{org}/groups", tag = "Groups",
    params(OrgPath),
    responses((status = 200, description = "Local and synced groups, without members.", body = Vec<GroupView>), Problems),
)]
/// List groups.
pub(super) async fn list_groups(call: AdminCall, path: Path<OrgPath>) -> Reply {
    ok(groups::list(call.store(), &call.who, path.org).await?)
}

#[utoipa::path(
    post, path = "/orgs/{org}/groups", tag = "Groups",
    params(OrgPath),
    request_body = NameBody,
    responses(
        (status = 201, description = "The new local group.", body = GroupView),
        Problems,
        Conflict,
        BodyProblems,
    ),
)]
/// Create a local group.
pub(super) async fn create_group(
    call: AdminCall,
    path: Path<OrgPath>,
    body: Json<NameBody>,
) -> Reply {
    let view = groups::create(call.store(), &call.who, path.org, &body.name).await?;
    created(view)
}

#[utoipa::path(
    get, path = "/orgs/{org}/groups/{group}", tag = "Groups",
    params(GroupPath),
    responses((status = 200, description = "The group, with its members' account ids.", body = GroupView), Problems),
)]
/// Get a group.
pub(super) async fn get_group(call: AdminCall, path: Path<GroupPath>) -> Reply {
    let GroupPath { org, group } = path.into_inner();
    ok(groups::get(call.store(), &call.who, org, group).await?)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct MembersBody {
    account_ids: Vec<AccountId>,
}

#[utoipa::path(
    post, path = "/orgs/{org}/groups/{group}/members", tag = "Groups",
    params(GroupPath),
    request_body = MembersBody,
    responses(
        (status = 200, description = "The group with its members.", body = Changed<GroupView>),
        Problems,
        Conflict,
        BodyProblems,
    ),
)]
/// Add members to a local group.
pub(super) async fn add_members(
    call: AdminCall,
    path: Path<GroupPath>,
    body: Json<MembersBody>,
) -> Reply {
    let GroupPath { org, group } = path.into_inner();
    let (added, view) =
        groups::add_members(call.store(), &call.who, org, group, &body.account_ids).await?;
    changed(added, view)
}

#[utoipa::path(
    delete, path = "/orgs/{org}/groups/{group}/members/{account}", tag = "Groups",
    params(MemberPath),
    responses(
        (status = 200, description = "The group with its members.", body = Changed<GroupView>),
        Problems,
        Conflict,
    ),
)]
/// Remove a member from a local group.
pub(super) async fn remove_member(call: AdminCall, path: Path<MemberPath>) -> Reply {
    let MemberPath {
        org,
        group,
        account,
    } = path.into_inner();
    let (removed, view) =
        groups::remove_member(call.store(), &call.who, org, group, account).await?;
    changed(removed, view)
}
