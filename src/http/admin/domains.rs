//! `/orgs/{org}/domains/...`: verifying domains with DNS proof, checking and moving them
//! (rule 20). Org admins only.

use actix_web::http::StatusCode;
use actix_web::web::{Json, Path};
use serde::Deserialize;

use super::openapi::{BodyProblems, Conflict, DnsUnavailable, Problems};
use super::paths::{DomainPath, OrgPath};
use super::{changed, json, ok, AdminCall, Reply};
use crate::domain::OrgId;
use crate::service::admin::domains::{self, DomainView, ProofPolicy};
use crate::service::admin::views::Changed;

#[utoipa::path(
    get, path = "/orgs/{org}/domains", tag = "Domains",
    params(OrgPath),
    responses(
        (status = 200, description = "Verified domains, then pending ones with their challenge.", body = Vec<DomainView>),
        Problems,
    ),
)]
/// List the org's domains.
pub(super) async fn list_domains(call: AdminCall, path: Path<OrgPath>) -> Reply {
    let domains = domains::list(call.store(), &call.who, path.org).await?;
    ok(domains)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct DomainBody {
    /// The domain, in Unicode or IDNA ASCII form.
    domain: String,
}

#[utoipa::path(
    post, path = "/orgs/{org}/domains", tag = "Domains",
    params(OrgPath),
    request_body = DomainBody,
    responses(
        (status = 201, description = "A new challenge: publish its TXT record, then check.", body = DomainView),
        (status = 200, description = "The org already has a challenge for it, or verified it.", body = DomainView),
        Problems,
        Conflict,
        BodyProblems,
    ),
)]
/// Ask to verify a domain.
pub(super) async fn verify_domain(
    call: AdminCall,
    path: Path<OrgPath>,
    body: Json<DomainBody>,
) -> Reply {
    let policy = if call.state.allow_unproven_domains {
        ProofPolicy::Unproven
    } else {
        ProofPolicy::Dns
    };
    let (created, view) =
        domains::request(call.store(), &call.who, path.org, &body.domain, policy).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    json(status, &view)
}

#[utoipa::path(
    post, path = "/orgs/{org}/domains/{domain}/check", tag = "Domains",
    params(DomainPath),
    responses(
        (status = 200, description = "Verified when the TXT record is there (`changed: true`).", body = Changed<DomainView>),
        Problems,
        Conflict,
        DnsUnavailable,
    ),
)]
/// Check a domain's TXT record.
pub(super) async fn check_domain(call: AdminCall, path: Path<DomainPath>) -> Reply {
    let DomainPath { org, domain } = path.into_inner();
    let (verified, view) =
        domains::check(call.store(), &call.state.dns, &call.who, org, &domain).await?;
    changed(verified, view)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct MoveBody {
    /// The org that receives the domain and the management of every account on it.
    to_org: OrgId,
}

#[utoipa::path(
    post, path = "/orgs/{org}/domains/{domain}/move", tag = "Domains",
    params(
        ("org" = OrgId, Path, description = "The organization holding the domain"),
        ("domain" = String, Path, description = "The domain"),
    ),
    request_body = MoveBody,
    responses(
        (status = 200, description = "Moved, with the management of every account on it.", body = Changed<DomainView>),
        Problems,
        Conflict,
        BodyProblems,
    ),
)]
/// Move a verified domain to another org.
pub(super) async fn move_domain(
    call: AdminCall,
    path: Path<DomainPath>,
    body: Json<MoveBody>,
) -> Reply {
    let DomainPath { org, domain } = path.into_inner();
    let (moved, view) =
        domains::move_to(call.store(), &call.who, org, &domain, body.to_org).await?;
    changed(moved, view)
}
