//! `/orgs/{org}/directories/...`: an org's directories (IdP connections) and their SCIM
//! tokens. Org admins only.

use actix_web::http::StatusCode;
use actix_web::web::{self, Json, Path};
use serde::Deserialize;

use super::openapi::{BodyProblems, Problems};
use super::paths::{DirectoryPath, OrgPath, TokenPath};
use super::{changed, created, ok, AdminCall, NameBody, Problem, Reply};
use crate::service::admin::directories::{self, DirectoryView, IssuedView, TokenView};
use crate::service::admin::views::Changed;

#[utoipa::path(
    get, path = "/orgs/{org}/directories", tag = "Directories",
    params(OrgPath),
    responses((status = 200, description = "The org's directories.", body = Vec<DirectoryView>), Problems),
)]
/// List directories.
pub(super) async fn list_directories(call: AdminCall, path: Path<OrgPath>) -> Reply {
    ok(directories::list(call.store(), &call.who, path.org).await?)
}

#[utoipa::path(
    post, path = "/orgs/{org}/directories", tag = "Directories",
    params(OrgPath),
    request_body = NameBody,
    responses(
        (status = 201, description = "The new directory.", body = DirectoryView),
        Problems,
        BodyProblems,
    ),
)]
/// Create a directory.
pub(super) async fn create_directory(
    call: AdminCall,
    path: Path<OrgPath>,
    body: Json<NameBody>,
) -> Reply {
    let view = directories::create(call.store(), &call.who, path.org, &body.name).await?;
    created(view)
}

#[utoipa::path(
    get, path = "/orgs/{org}/directories/{directory}/tokens", tag = "Directories",
    params(DirectoryPath),
    responses((status = 200, description = "The directory's SCIM tokens, by `jti`.", body = Vec<TokenView>), Problems),
)]
/// List a directory's tokens.
pub(super) async fn list_tokens(call: AdminCall, path: Path<DirectoryPath>) -> Reply {
    let DirectoryPath { org, directory } = path.into_inner();
    let tokens = directories::tokens(call.store(), &call.who, org, directory).await?;
    ok(tokens)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct TokenBody {
    /// Days until the token expires, at least 1 (a token that expires the day it is issued
    /// is a mistake: 0 is refused). Without it, the token does not expire.
    #[schema(value_type = Option<u32>, minimum = 1)]
    ttl_days: Option<std::num::NonZeroU32>,
}

#[utoipa::path(
    post, path = "/orgs/{org}/directories/{directory}/tokens", tag = "Directories",
    params(DirectoryPath),
    request_body(content = Option<TokenBody>, description = "Optional: no body, no expiry."),
    responses(
        (status = 201, description = "The token: its text is shown this once.", body = IssuedView),
        Problems,
        BodyProblems,
    ),
)]
/// Issue a SCIM token for the directory's identity provider.
pub(super) async fn issue_token(
    call: AdminCall,
    path: Path<DirectoryPath>,
    body: web::Bytes,
) -> Reply {
    let DirectoryPath { org, directory } = path.into_inner();
    // The body is optional (no expiry without one), but one that is sent must be valid.
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
    let issued = directories::issue_token(
        call.store(),
        &call.state.tokens,
        &call.who,
        org,
        directory,
        ttl,
    )
    .await?;
    created(issued)
}

#[utoipa::path(
    delete, path = "/orgs/{org}/directories/{directory}/tokens/{jti}", tag = "Directories",
    params(TokenPath),
    responses(
        (status = 200, description = "Revoked: refused by every scimd process within one second.", body = Changed<TokenView>),
        Problems,
    ),
)]
/// Revoke a SCIM token.
pub(super) async fn revoke_token(call: AdminCall, path: Path<TokenPath>) -> Reply {
    let TokenPath {
        org,
        directory,
        jti,
    } = path.into_inner();
    let (revoked, view) =
        directories::revoke_token(call.store(), &call.who, org, directory, jti).await?;
    changed(revoked, view)
}
