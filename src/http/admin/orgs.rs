//! `/orgs/{org}/...`: domains, managed accounts, sites, directories and tokens, groups, and
//! the org's audit log. Org admins only.

use actix_web::http::StatusCode;
use actix_web::web::{self, Data, Json, Path, Query};
use serde::Deserialize;

use super::{changed, json, resource, AdminPrincipal, AuditQuery, Problem, Reply};
use crate::domain::{AccountId, AccountStatus, DirectoryId, GroupId, OrgId};
use crate::http::AppState;
use crate::service::admin::domains::{self, ProofPolicy};
use crate::service::admin::{directories, groups, orgs, Page};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/orgs/{org}/domains")
            .route(web::get().to(list_domains))
            .route(web::post().to(verify_domain)),
    )
    .service(resource("/orgs/{org}/domains/{domain}/check").route(web::post().to(check_domain)))
    .service(resource("/orgs/{org}/domains/{domain}/move").route(web::post().to(move_domain)))
    .service(resource("/orgs/{org}/accounts").route(web::get().to(managed_accounts)))
    .service(resource("/orgs/{org}/sites").route(web::get().to(sites)))
    .service(resource("/orgs/{org}/audit").route(web::get().to(audit)))
    .service(
        resource("/orgs/{org}/directories")
            .route(web::get().to(list_directories))
            .route(web::post().to(create_directory)),
    )
    .service(
        resource("/orgs/{org}/directories/{directory}/tokens")
            .route(web::get().to(list_tokens))
            .route(web::post().to(issue_token)),
    )
    .service(
        resource("/orgs/{org}/directories/{directory}/tokens/{jti}")
            .route(web::delete().to(revoke_token)),
    )
    .service(
        resource("/orgs/{org}/groups")
            .route(web::get().to(list_groups))
            .route(web::post().to(create_group)),
    )
    .service(resource("/orgs/{org}/groups/{group}").route(web::get().to(get_group)))
    .service(resource("/orgs/{org}/groups/{group}/members").route(web::post().to(add_members)))
    .service(
        resource("/orgs/{org}/groups/{group}/members/{account}")
            .route(web::delete().to(remove_member)),
    );
}

async fn list_domains(state: Data<AppState>, who: AdminPrincipal, org: Path<OrgId>) -> Reply {
    let domains = domains::list(&state.store, &who, *org).await?;
    json(StatusCode::OK, &domains)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DomainBody {
    domain: String,
}

async fn verify_domain(
    state: Data<AppState>,
    who: AdminPrincipal,
    org: Path<OrgId>,
    body: Json<DomainBody>,
) -> Reply {
    let policy = if state.allow_unproven_domains {
        ProofPolicy::Unproven
    } else {
        ProofPolicy::Dns
    };
    let (created, view) = domains::request(&state.store, &who, *org, &body.domain, policy).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    json(status, &view)
}

async fn check_domain(
    state: Data<AppState>,
    who: AdminPrincipal,
    path: Path<(OrgId, String)>,
) -> Reply {
    let (org, domain) = path.into_inner();
    let (verified, view) = domains::check(&state.store, &state.dns, &who, org, &domain).await?;
    changed(verified, view)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveBody {
    to_org: OrgId,
}

async fn move_domain(
    state: Data<AppState>,
    who: AdminPrincipal,
    path: Path<(OrgId, String)>,
    body: Json<MoveBody>,
) -> Reply {
    let (org, domain) = path.into_inner();
    let (moved, view) = domains::move_to(&state.store, &who, org, &domain, body.to_org).await?;
    changed(moved, view)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountsQuery {
    status: Option<AccountStatus>,
    q: Option<String>,
    start_index: Option<i64>,
    count: Option<i64>,
}

async fn managed_accounts(
    state: Data<AppState>,
    who: AdminPrincipal,
    org: Path<OrgId>,
    query: Query<AccountsQuery>,
) -> Reply {
    let query = query.into_inner();
    let page = Page::new(query.start_index, query.count);
    let list =
        orgs::managed_accounts(&state.store, &who, *org, query.status, query.q, page).await?;
    json(StatusCode::OK, &list)
}

async fn sites(state: Data<AppState>, who: AdminPrincipal, org: Path<OrgId>) -> Reply {
    json(
        StatusCode::OK,
        &orgs::sites(&state.store, &who, *org).await?,
    )
}

async fn audit(
    state: Data<AppState>,
    who: AdminPrincipal,
    org: Path<OrgId>,
    query: Query<AuditQuery>,
) -> Reply {
    let page = orgs::audit_log(&state.store, &who, *org, query.before, query.limit()).await?;
    json(StatusCode::OK, &page)
}

async fn list_directories(state: Data<AppState>, who: AdminPrincipal, org: Path<OrgId>) -> Reply {
    json(
        StatusCode::OK,
        &directories::list(&state.store, &who, *org).await?,
    )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NameBody {
    name: String,
}

async fn create_directory(
    state: Data<AppState>,
    who: AdminPrincipal,
    org: Path<OrgId>,
    body: Json<NameBody>,
) -> Reply {
    let view = directories::create(&state.store, &who, *org, &body.name).await?;
    json(StatusCode::CREATED, &view)
}

async fn list_tokens(
    state: Data<AppState>,
    who: AdminPrincipal,
    path: Path<(OrgId, DirectoryId)>,
) -> Reply {
    let (org, directory) = path.into_inner();
    let tokens = directories::tokens(&state.store, &who, org, directory).await?;
    json(StatusCode::OK, &tokens)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    /// A token that expires the day it is issued is a mistake: 0 is refused.
    ttl_days: Option<std::num::NonZeroU32>,
}

/// The body is optional (no expiry without one), but one that is sent must be valid.
async fn issue_token(
    state: Data<AppState>,
    who: AdminPrincipal,
    path: Path<(OrgId, DirectoryId)>,
    body: web::Bytes,
) -> Reply {
    let (org, directory) = path.into_inner();
    let body: TokenBody = if body.iter().all(u8::is_ascii_whitespace) {
        TokenBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                format!("request body is not what this operation takes: {e}"),
            )
        })?
    };
    let ttl = body.ttl_days;
    let issued =
        directories::issue_token(&state.store, &state.tokens, &who, org, directory, ttl).await?;
    json(StatusCode::CREATED, &issued)
}

async fn revoke_token(
    state: Data<AppState>,
    who: AdminPrincipal,
    path: Path<(OrgId, DirectoryId, uuid::Uuid)>,
) -> Reply {
    let (org, directory, jti) = path.into_inner();
    let (revoked, view) =
        directories::revoke_token(&state.store, &who, org, directory, jti).await?;
    changed(revoked, view)
}

async fn list_groups(state: Data<AppState>, who: AdminPrincipal, org: Path<OrgId>) -> Reply {
    json(
        StatusCode::OK,
        &groups::list(&state.store, &who, *org).await?,
    )
}

async fn create_group(
    state: Data<AppState>,
    who: AdminPrincipal,
    org: Path<OrgId>,
    body: Json<NameBody>,
) -> Reply {
    let view = groups::create(&state.store, &who, *org, &body.name).await?;
    json(StatusCode::CREATED, &view)
}

async fn get_group(
    state: Data<AppState>,
    who: AdminPrincipal,
    path: Path<(OrgId, GroupId)>,
) -> Reply {
    let (org, group) = path.into_inner();
    json(
        StatusCode::OK,
        &groups::get(&state.store, &who, org, group).await?,
    )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MembersBody {
    account_ids: Vec<AccountId>,
}

async fn add_members(
    state: Data<AppState>,
    who: AdminPrincipal,
    path: Path<(OrgId, GroupId)>,
    body: Json<MembersBody>,
) -> Reply {
    let (org, group) = path.into_inner();
    let (added, view) =
        groups::add_members(&state.store, &who, org, group, &body.account_ids).await?;
    changed(added, view)
}

async fn remove_member(
    state: Data<AppState>,
    who: AdminPrincipal,
    path: Path<(OrgId, GroupId, AccountId)>,
) -> Reply {
    let (org, group, account) = path.into_inner();
    let (removed, view) = groups::remove_member(&state.store, &who, org, group, account).await?;
    changed(removed, view)
}
