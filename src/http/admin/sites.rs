//! `/sites/{site}/...`: the user list, invites, per-user actions, roles, product access, and
//! the site's email outbox. Site admins, trusted users and the org's admins.

use actix_web::web::{Data, Json, Path, Query};
use serde::de::IgnoredAny;
use serde::Deserialize;

use super::openapi::{BodyProblems, Conflict, Problems};
use super::paths::{ProductPath, SitePath, SiteUserPath};
use super::{ok, AdminCall, Reply};
use crate::domain::{AccountId, GroupId, ProductAccessChange, SiteAction, SiteRole};
use crate::service::admin::invites::{self, InviteBatch, InviteOutcome, InviteUser};
use crate::service::admin::outbox::{self, Outbox};
use crate::service::admin::views::{Changed, ListView, OutboxView, SiteUserView};
use crate::service::admin::{products, site_users, Page};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct UsersQuery {
    /// Comma-separated: active, invited, invite_not_sent, suspended, removed, deactivated.
    state: Option<String>,
    /// Case-insensitive substring of the email or display name (at most 256 characters).
    q: Option<String>,
    /// 1-based (default 1).
    start_index: Option<i64>,
    /// Default 50, at most 500.
    count: Option<i64>,
}

#[utoipa::path(
    get, path = "/sites/{site}/users", operation_id = "list_site_users", tag = "Site users",
    params(SitePath, UsersQuery),
    responses(
        (status = 200, description = "The site's users in email order, removed and deactivated ones included (rule 8).", body = ListView<SiteUserView>),
        Problems,
    ),
)]
/// List a site's users.
pub(super) async fn list_users(
    call: AdminCall,
    path: Path<SitePath>,
    query: Query<UsersQuery>,
) -> Reply {
    let query = query.into_inner();
    let mut filter = site_users::parse_states(query.state.as_deref().unwrap_or_default())?;
    filter.search = query.q;
    let page = Page::new(query.start_index, query.count);
    let list = site_users::list(call.store(), &call.who, path.site, filter, page).await?;
    ok(list)
}

#[utoipa::path(
    get, path = "/sites/{site}/users/{account}", operation_id = "get_site_user", tag = "Site users",
    params(SiteUserPath),
    responses((status = 200, description = "One user of the site.", body = SiteUserView), Problems),
)]
/// Get a site user.
pub(super) async fn get_user(call: AdminCall, path: Path<SiteUserPath>) -> Reply {
    let SiteUserPath { site, account } = path.into_inner();
    ok(site_users::get(call.store(), &call.who, site, account).await?)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct InviteUserBody {
    email: String,
    /// Used for a new account only: an existing one keeps its own (rule 5).
    #[serde(default, alias = "displayName")]
    display_name: Option<String>,
    /// Accepted so that clients copying another product's API are not refused, and dropped
    /// unread: only the account's owner sets a password (rule 5).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    password: Option<IgnoredAny>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct InviteBody {
    /// At most 200 emails per batch, with `emails`.
    #[serde(default)]
    users: Vec<InviteUserBody>,
    /// Shorthand for `users` with emails only.
    #[serde(default)]
    emails: Vec<String>,
    /// For new and removed users (default `basic`); an existing member is never downgraded.
    #[serde(default)]
    role: Option<SiteRole>,
    /// Products of the site to give every invitee.
    #[serde(default)]
    products: Vec<String>,
    /// Local groups of the org to add every invitee to.
    #[serde(default)]
    groups: Vec<GroupId>,
    /// `false` leaves them `invite_not_sent` (rule 6).
    #[serde(default = "yes")]
    #[schema(default = true)]
    send_email: bool,
}

#[utoipa::path(
    post, path = "/sites/{site}/invites", operation_id = "invite", tag = "Site users",
    params(SitePath),
    request_body = InviteBody,
    responses(
        (status = 200, description = "Every email invited (rules 4-6). If any email is refused, nothing is invited: 400, 403 or 409 `invite_refused` lists each with its reason.", body = InviteOutcome),
        Problems,
        Conflict,
        BodyProblems,
    ),
)]
/// Invite a batch of emails to the site.
pub(super) async fn invite(
    call: AdminCall,
    outbox: Data<Outbox>,
    path: Path<SitePath>,
    body: Json<InviteBody>,
) -> Reply {
    let body = body.into_inner();
    let users = body
        .users
        .into_iter()
        .map(|u| InviteUser {
            email: u.email,
            display_name: u.display_name,
            password_supplied: u.password.is_some(),
        })
        .chain(body.emails.into_iter().map(|email| InviteUser {
            email,
            ..InviteUser::default()
        }))
        .collect();
    let batch = InviteBatch {
        users,
        role: body.role.unwrap_or(SiteRole::Basic),
        products: body.products,
        groups: body.groups,
        send_email: body.send_email,
    };
    let outcome = invites::invite(call.store(), &call.who, path.site, &batch).await?;
    if outcome.emails_queued > 0 {
        outbox.deliver(call.store()).await;
    }
    ok(outcome)
}

async fn act(
    call: AdminCall,
    outbox: Data<Outbox>,
    path: Path<SiteUserPath>,
    action: SiteAction,
) -> Reply {
    let SiteUserPath { site, account } = path.into_inner();
    let (view, sent) = site_users::act(call.store(), &call.who, site, account, action).await?;
    if sent {
        outbox.deliver(call.store()).await;
    }
    ok(view)
}

/// The state changes of a site user differ only in their path, their action and what they
/// answer: each is a POST on the user that delivers any email the change queued.
macro_rules! site_user_actions {
    ($(
        $(#[$attr:meta])*
        $handler:ident: $path:tt, $operation:tt, $action:ident, $answer:tt;
    )+) => {$(
        #[utoipa::path(
            post, path = $path, operation_id = $operation, tag = "Site users",
            params(SiteUserPath),
            responses((status = 200, description = $answer, body = Changed<SiteUserView>), Problems, Conflict),
        )]
        $(#[$attr])*
        pub(super) async fn $handler(
            call: AdminCall,
            o: Data<Outbox>,
            p: Path<SiteUserPath>,
        ) -> Reply {
            act(call, o, p, SiteAction::$action).await
        }
    )+};
}

site_user_actions! {
    /// Remove a user from the site.
    remove: "/sites/{site}/users/{account}/remove", "remove_site_user", Remove,
        "Removed from this site only (rule 8); can be invited again.";
    /// Suspend a user on the site.
    suspend: "/sites/{site}/users/{account}/suspend", "suspend_site_user", Suspend,
        "Suspended: membership and groups kept (rule 9).";
    /// Restore a suspended user.
    restore: "/sites/{site}/users/{account}/restore", "restore_site_user", Restore,
        "Active on the site again (suspended users only).";
    /// Resend an invitation.
    resend: "/sites/{site}/users/{account}/resend-invite", "resend_invite", ResendInvite,
        "An invitation email queued (rule 6).";
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RoleBody {
    role: SiteRole,
}

#[utoipa::path(
    put, path = "/sites/{site}/users/{account}/role", operation_id = "set_site_role", tag = "Site users",
    params(SiteUserPath),
    request_body = RoleBody,
    responses((status = 200, description = "The user with the new role.", body = Changed<SiteUserView>), Problems, Conflict, BodyProblems),
)]
/// Change a user's role on the site.
pub(super) async fn set_role(
    call: AdminCall,
    path: Path<SiteUserPath>,
    body: Json<RoleBody>,
) -> Reply {
    let SiteUserPath { site, account } = path.into_inner();
    let view = site_users::set_role(call.store(), &call.who, site, account, body.role).await?;
    ok(view)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ProductBody {
    /// A product of the site, e.g. `jira-software`.
    product: String,
}

#[utoipa::path(
    post, path = "/sites/{site}/users/{account}/products", operation_id = "grant_product", tag = "Site users",
    params(SiteUserPath),
    request_body = ProductBody,
    responses((status = 200, description = "The user with the product (through the site's own product group).", body = Changed<SiteUserView>), Problems, Conflict, BodyProblems),
)]
/// Grant product access (rule 7: not to a deactivated account).
pub(super) async fn grant(
    call: AdminCall,
    path: Path<SiteUserPath>,
    body: Json<ProductBody>,
) -> Reply {
    let SiteUserPath { site, account } = path.into_inner();
    let grant = ProductAccessChange::Grant;
    let view = products::change_access(
        call.store(),
        &call.who,
        (site, account),
        &body.product,
        grant,
    )
    .await?;
    ok(view)
}

#[utoipa::path(
    delete, path = "/sites/{site}/users/{account}/products/{product}", operation_id = "revoke_product", tag = "Site users",
    params(ProductPath),
    responses((status = 200, description = "The user without the product; refused when another group grants it.", body = Changed<SiteUserView>), Problems, Conflict),
)]
/// Revoke product access.
pub(super) async fn revoke(call: AdminCall, path: Path<ProductPath>) -> Reply {
    let ProductPath {
        site,
        account,
        product,
    } = path.into_inner();
    let revoke = ProductAccessChange::Revoke;
    let view =
        products::change_access(call.store(), &call.who, (site, account), &product, revoke).await?;
    ok(view)
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct OutboxQuery {
    /// Only this account's emails.
    #[param(value_type = Option<uuid::Uuid>)]
    account_id: Option<AccountId>,
    /// 1 to 1000 (default 100).
    limit: Option<i64>,
}

#[utoipa::path(
    get, path = "/sites/{site}/outbox", operation_id = "list_outbox", tag = "Site users",
    params(SitePath, OutboxQuery),
    responses((status = 200, description = "The site's queued and sent emails, newest first.", body = Vec<OutboxView>), Problems),
)]
/// The site's email outbox.
pub(super) async fn list_outbox(
    call: AdminCall,
    path: Path<SitePath>,
    query: Query<OutboxQuery>,
) -> Reply {
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let rows = outbox::list(call.store(), &call.who, path.site, query.account_id, limit).await?;
    ok(rows)
}
