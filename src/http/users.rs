//! `/scim/v2/Users`: parse, call the users service, project, render.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::Value;

use super::errors::ScimHttpError;
use super::paging::ListPage;
use super::scim_request::ScimRequest;
use super::scim_routes::{resource_id, respond, wants};
use super::AppState;
use crate::scim::list::{ListRequest, Projection, RawListParams};
use crate::scim::schema::user::USER_RESOURCE;
use crate::service::users as service;
use crate::store::Derived;

type Reply = Result<HttpResponse, ScimHttpError>;

/// The derived attributes a response shows: only those are read.
pub fn derived(projection: &Projection) -> Derived {
    Derived {
        groups: wants(&USER_RESOURCE, projection, "groups"),
        entitlements: wants(&USER_RESOURCE, projection, "entitlements"),
    }
}

pub async fn create(
    scim: ScimRequest,
    state: web::Data<AppState>,
    body: web::Json<Value>,
) -> Reply {
    let projection = scim.projection()?;
    let view = service::create_user(&scim.context(&state), &body, derived(&projection))
        .await
        .map_err(|err| ScimHttpError::from(err).with_email(service::requested_email_of(&body)))?;
    Ok(respond(
        &USER_RESOURCE,
        StatusCode::CREATED,
        &view,
        &projection,
        scim.minimal,
    ))
}

pub async fn get(scim: ScimRequest, state: web::Data<AppState>, id: web::Path<String>) -> Reply {
    let id = resource_id(&id, "user")?;
    let projection = scim.projection()?;
    let view = service::get_user(&scim.context(&state), id, derived(&projection)).await?;
    if let Some(not_modified) = scim.not_modified(&view) {
        return Ok(not_modified);
    }
    Ok(respond(
        &USER_RESOURCE,
        StatusCode::OK,
        &view,
        &projection,
        scim.minimal,
    ))
}

async fn run_list(scim: ScimRequest, state: &AppState, raw: &RawListParams) -> Reply {
    let request = ListRequest::parse(raw, i64::from(state.capabilities.max_results))?;
    let page = ListPage::open(state, &scim.principal, "Users", &request)?;
    let derived = derived(&request.projection);
    let listed = service::list_users(&scim.context(state), &page.query(), derived).await?;
    Ok(page.reply(&USER_RESOURCE, listed))
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

/// PUT and PATCH share everything but the service call.
#[derive(Clone, Copy)]
enum Write {
    Put,
    Patch,
}

async fn write(
    scim: ScimRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<Value>,
    how: Write,
) -> Reply {
    let id = resource_id(&id, "user")?;
    let projection = scim.projection()?;
    let ctx = scim.context(&state);
    let derived = derived(&projection);
    let view = match how {
        Write::Put => service::put_user(&ctx, id, &body, scim.precondition, derived).await?,
        Write::Patch => service::patch_user(&ctx, id, &body, scim.precondition, derived).await?,
    };
    Ok(respond(
        &USER_RESOURCE,
        StatusCode::OK,
        &view,
        &projection,
        scim.minimal,
    ))
}

pub async fn put(
    scim: ScimRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> Reply {
    write(scim, state, id, body, Write::Put).await
}

pub async fn patch(
    scim: ScimRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> Reply {
    write(scim, state, id, body, Write::Patch).await
}

pub async fn delete(scim: ScimRequest, state: web::Data<AppState>, id: web::Path<String>) -> Reply {
    let id = resource_id(&id, "user")?;
    service::delete_user(&scim.context(&state), id, scim.precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}
