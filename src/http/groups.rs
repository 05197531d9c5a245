//! `/scim/v2/Groups`: parse, call the groups service, project, render.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::Value;

use super::errors::ScimHttpError;
use super::paging::listed_type;
use super::scim_request::ScimRequest;
use super::scim_routes::{resource_id, respond, wants};
use crate::scim::list::Projection;
use crate::scim::schema::group::GROUP_RESOURCE;
use crate::service::groups::{self as service, PatchResponse};

type Reply = Result<HttpResponse, ScimHttpError>;

pub fn with_members(projection: &Projection) -> bool {
    wants(&GROUP_RESOURCE, projection, "members")
}

pub async fn create(scim: ScimRequest, body: web::Json<Value>) -> Reply {
    let projection = scim.projection()?;
    let members = with_members(&projection) && !scim.minimal;
    let view = service::create_group(&scim.context(), &body, members).await?;
    Ok(scim.respond(&GROUP_RESOURCE, StatusCode::CREATED, view, &projection))
}

pub async fn get(scim: ScimRequest, id: web::Path<String>) -> Reply {
    let id = resource_id(&id, "group")?;
    let projection = scim.projection()?;
    let view = service::get_group(&scim.context(), id, with_members(&projection)).await?;
    if let Some(not_modified) = scim.not_modified(&view) {
        return Ok(not_modified);
    }
    // A read always answers the group: `Prefer: return=minimal` is for writes here.
    Ok(respond(
        &GROUP_RESOURCE,
        StatusCode::OK,
        view,
        &projection,
        false,
    ))
}

listed_type! {
    /// The Groups list (`GET /Groups`, `POST /Groups/.search`).
    Groups = GROUP_RESOURCE, "Groups",
    |ctx, query, projection| service::list_groups(ctx, query, with_members(projection))
}

/// PUT (`PATCH` false) and PATCH: the same answer, from different service calls.
pub async fn write<const PATCH: bool>(
    scim: ScimRequest,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> Reply {
    let id = resource_id(&id, "group")?;
    let projection = scim.projection()?;
    let ctx = scim.context();
    let (view, minimal) = if PATCH {
        let response = PatchResponse {
            minimal: scim.minimal,
            with_members: with_members(&projection),
        };
        let patched = service::patch_group(&ctx, id, &body, scim.precondition, response).await?;
        (patched.view, patched.minimal)
    } else {
        let members = with_members(&projection) && !scim.minimal;
        let view = service::put_group(&ctx, id, &body, scim.precondition, members).await?;
        (view, scim.minimal)
    };
    Ok(respond(
        &GROUP_RESOURCE,
        StatusCode::OK,
        view,
        &projection,
        minimal,
    ))
}

pub async fn delete(scim: ScimRequest, id: web::Path<String>) -> Reply {
    let id = resource_id(&id, "group")?;
    service::delete_group(&scim.context(), id, scim.precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}
