//! `/sites/{site}/...`: the user list, invites, per-user actions, roles, product access, and
//! the site's email outbox. Site admins, trusted users and the org's admins.

use actix_web::http::StatusCode;
use actix_web::web::{self, Data, Json, Path, Query};
use serde::de::IgnoredAny;
use serde::Deserialize;

use super::{json, resource, AdminPrincipal, Reply};
use crate::domain::{AccountId, GroupId, SiteAction, SiteId, SiteRole};
use crate::http::AppState;
use crate::service::admin::invites::{self, InviteBatch, InviteUser};
use crate::service::admin::outbox::{self, Outbox};
use crate::service::admin::{products, site_users, Page};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/sites/{site}/users").route(web::get().to(list_users)))
        .service(resource("/sites/{site}/invites").route(web::post().to(invite)))
        .service(resource("/sites/{site}/outbox").route(web::get().to(list_outbox)))
        .service(resource("/sites/{site}/users/{account}").route(web::get().to(get_user)))
        .service(resource("/sites/{site}/users/{account}/remove").route(web::post().to(remove)))
        .service(resource("/sites/{site}/users/{account}/suspend").route(web::post().to(suspend)))
        .service(resource("/sites/{site}/users/{account}/restore").route(web::post().to(restore)))
        .service(
            resource("/sites/{site}/users/{account}/resend-invite").route(web::post().to(resend)),
        )
        .service(resource("/sites/{site}/users/{account}/role").route(web::put().to(set_role)))
        .service(resource("/sites/{site}/users/{account}/products").route(web::post().to(grant)))
        .service(
            resource("/sites/{site}/users/{account}/products/{product}")
                .route(web::delete().to(revoke)),
        );
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersQuery {
    /// Comma-separated: active, invited, invite_not_sent, suspended, removed, deactivated.
    state: Option<String>,
    q: Option<String>,
    start_index: Option<i64>,
    count: Option<i64>,
}

async fn list_users(
    state: Data<AppState>,
    who: AdminPrincipal,
    site: Path<SiteId>,
    query: Query<UsersQuery>,
) -> Reply {
    let query = query.into_inner();
    let mut filter = site_users::parse_states(query.state.as_deref().unwrap_or_default())?;
    filter.search = query.q;
    let page = Page::new(query.start_index, query.count);
    let list = site_users::list(&state.store, &who, *site, filter, page).await?;
    json(StatusCode::OK, &list)
}

async fn get_user(
    state: Data<AppState>,
    who: AdminPrincipal,
    path: Path<(SiteId, AccountId)>,
) -> Reply {
    let (site, account) = path.into_inner();
    json(
        StatusCode::OK,
        &site_users::get(&state.store, &who, site, account).await?,
    )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InviteUserBody {
    email: String,
    #[serde(default, alias = "displayName")]
    display_name: Option<String>,
    /// Accepted so that clients copying another product's API are not refused, and dropped
    /// unread: only the account's owner sets a password (rule 5).
    #[serde(default)]
    password: Option<IgnoredAny>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InviteBody {
    #[serde(default)]
    users: Vec<InviteUserBody>,
    /// Shorthand for `users` with emails only.
    #[serde(default)]
    emails: Vec<String>,
    #[serde(default)]
    role: Option<SiteRole>,
    #[serde(default)]
    products: Vec<String>,
    #[serde(default)]
    groups: Vec<GroupId>,
    #[serde(default = "yes")]
    send_email: bool,
}

async fn invite(
    state: Data<AppState>,
    outbox: Data<Outbox>,
    who: AdminPrincipal,
    site: Path<SiteId>,
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
    let outcome = invites::invite(&state.store, &who, *site, &batch).await?;
    if outcome.emails_queued > 0 {
        outbox.deliver(&state.store).await;
    }
    json(StatusCode::OK, &outcome)
}

async fn act(
    state: Data<AppState>,
    outbox: Data<Outbox>,
    who: AdminPrincipal,
    path: Path<(SiteId, AccountId)>,
    action: SiteAction,
) -> Reply {
    let (site, account) = path.into_inner();
    let (view, sent) = site_users::act(&state.store, &who, site, account, action).await?;
    if sent {
        outbox.deliver(&state.store).await;
    }
    json(StatusCode::OK, &view)
}

async fn remove(
    state: Data<AppState>,
    o: Data<Outbox>,
    who: AdminPrincipal,
    p: Path<(SiteId, AccountId)>,
) -> Reply {
    act(state, o, who, p, SiteAction::Remove).await
}

async fn suspend(
    state: Data<AppState>,
    o: Data<Outbox>,
    who: AdminPrincipal,
    p: Path<(SiteId, AccountId)>,
) -> Reply {
    act(state, o, who, p, SiteAction::Suspend).await
}

async fn restore(
    state: Data<AppState>,
    o: Data<Outbox>,
    who: AdminPrincipal,
    p: Path<(SiteId, AccountId)>,
) -> Reply {
    act(state, o, who, p, SiteAction::Restore).await
}

async fn resend(
    state: Data<AppState>,
    o: Data<Outbox>,
    who: AdminPrincipal,
    p: Path<(SiteId, AccountId)>,
) -> Reply {
    act(state, o, who, p, SiteAction::ResendInvite).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleBody {
    role: SiteRole,
}

async fn set_role(
    state: Data<AppState>,
    who: AdminPrincipal,
    path: Path<(SiteId, AccountId)>,
    body: Json<RoleBody>,
) -> Reply {
    let (site, account) = path.into_inner();
    let view = site_users::set_role(&state.store, &who, site, account, body.role).await?;
    json(StatusCode::OK, &view)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductBody {
    product: String,
}

async fn grant(
    state: Data<AppState>,
    who: AdminPrincipal,
    path: Path<(SiteId, AccountId)>,
    body: Json<ProductBody>,
) -> Reply {
    let (site, account) = path.into_inner();
    let view = products::grant(&state.store, &who, site, account, &body.product).await?;
    json(StatusCode::OK, &view)
}

async fn revoke(
    state: Data<AppState>,
    who: AdminPrincipal,
    path: Path<(SiteId, AccountId, String)>,
) -> Reply {
    let (site, account, product) = path.into_inner();
    let view = products::revoke(&state.store, &who, site, account, &product).await?;
    json(StatusCode::OK, &view)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutboxQuery {
    account_id: Option<AccountId>,
    limit: Option<i64>,
}

async fn list_outbox(
    state: Data<AppState>,
    who: AdminPrincipal,
    site: Path<SiteId>,
    query: Query<OutboxQuery>,
) -> Reply {
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let rows = outbox::list(&state.store, &who, *site, query.account_id, limit).await?;
    json(StatusCode::OK, &rows)
}
