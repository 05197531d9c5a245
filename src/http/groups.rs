//! `/scim/v2/Groups`: parse, call the groups service, project, render.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::Value;

use super::errors::ScimHttpError;
use super::paging::ListPage;
use super::scim_request::ScimRequest;
use super::scim_routes::{resource_id, respond, wants};
use super::AppState;
use crate::scim::list::{ListRequest, Projection, RawListParams};
use crate::scim::schema::group::GROUP_RESOURCE;
use crate::service::groups::{self as service, PatchResponse};

type Reply = Result<HttpResponse, ScimHttpError>;

pub fn with_members(projection: &Projection) -> bool {
    wants(&GROUP_RESOURCE, projection, "members")
}

pub async fn create(
    scim: ScimRequest,
    state: web::Data<AppState>,
    body: web::Json<Value>,
) -> Reply {
    let projection = scim.projection()?;
    let members = with_members(&projection) && !scim.minimal;
    let view = service::create_group(&scim.context(&state), &body, members).await?;
    Ok(respond(
        &GROUP_RESOURCE,
        StatusCode::CREATED,
        &view,
        &projection,
        scim.minimal,
    ))
}

pub async fn get(scim: ScimRequest, state: web::Data<AppState>, id: web::Path<String>) -> Reply {
    let id = resource_id(&id, "group")?;
    let projection = scim.projection()?;
    let view = service::get_group(&scim.context(&state), id, with_members(&projection)).await?;
    if let Some(not_modified) = scim.not_modified(&view) {
        return Ok(not_modified);
    }
    // A read always answers the group: `Prefer: return=minimal` is for writes here.
    Ok(respond(
        &GROUP_RESOURCE,
        StatusCode::OK,
        &view,
        &projection,
        false,
    ))
}

async fn run_list(scim: ScimRequest, state: &AppState, raw: &RawListParams) -> Reply {
    let request = ListRequest::parse(raw, i64::from(state.capabilities.max_results))?;
    let page = ListPage::open(state, &scim.principal, "Groups", &request)?;
    let members = with_members(&request.projection);
    let listed = service::list_groups(&scim.context(state), &page.query(), members).await?;
    Ok(page.reply(&GROUP_RESOURCE, listed))
}

pub async fn list(scim: ScimRequest, state: web::Data<AppState>) -> Reply {
    let raw = scim.list_params()?;
    run_list(scim, &state, &raw).await
}

pub async fn search(
    scim: ScimRequest,
    state: web::Data<AppState>,
    body: web::Json<Value>,
) -> Reply {
    let raw = RawListParams::from_search_body(&body)?;
    run_list(scim, &state, &raw).await
}

pub async fn put(
    scim: ScimRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> Reply {
    let id = resource_id(&id, "group")?;
    let projection = scim.projection()?;
    let members = with_members(&projection) && !scim.minimal;
    let ctx = scim.context(&state);
    let view = service::put_group(&ctx, id, &body, scim.precondition, members).await?;
    Ok(respond(
        &GROUP_RESOURCE,
        StatusCode::OK,
        &view,
        &projection,
        scim.minimal,
    ))
}

pub async fn patch(
    scim: ScimRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> Reply {
    let id = resource_id(&id, "group")?;
    let projection = scim.projection()?;
    let response = PatchResponse {
        minimal: scim.minimal,
        with_members: with_members(&projection),
    };
    let ctx = scim.context(&state);
    let patched = service::patch_group(&ctx, id, &body, scim.precondition, response).await?;
    Ok(respond(
        &GROUP_RESOURCE,
        StatusCode::OK,
        &patched.view,
        &projection,
        patched.minimal,
    ))
}

pub async fn delete(scim: ScimRequest, state: web::Data<AppState>, id: web::Path<String>) -> Reply {
    let id = resource_id(&id, "group")?;
    service::delete_group(&scim.context(&state), id, scim.precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}
