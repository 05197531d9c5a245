//! `/scim/v2/Users`: parse, call the users service, project, render.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

use super::errors::ScimHttpError;
use super::paging::{marks, CursorPaging};
use super::scim_routes::{
    base_url, context, if_match, not_modified, page_query, prefers_minimal, projected, projection,
    query_pairs, resource_id, respond, scim_json, wants,
};
use super::{AppState, ScimPrincipal};
use crate::scim::cursor::cursor_page;
use crate::scim::list::{list_response, ListRequest, Projection, RawListParams};
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
    principal: ScimPrincipal,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<Value>,
) -> Reply {
    let projection = projection(&req)?;
    let base = base_url(&req);
    let ctx = context(&state, &principal, &base);
    let view = service::create_user(&ctx, &body, derived(&projection))
        .await
        .map_err(|err| ScimHttpError::from(err).with_email(service::requested_email_of(&body)))?;
    Ok(respond(
        &USER_RESOURCE,
        StatusCode::CREATED,
        &view,
        &projection,
        prefers_minimal(&req),
    ))
}

pub async fn get(
    principal: ScimPrincipal,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Reply {
    let id = resource_id(&id, "user")?;
    let projection = projection(&req)?;
    let base = base_url(&req);
    let ctx = context(&state, &principal, &base);
    let view = service::get_user(&ctx, id, derived(&projection)).await?;
    if not_modified(&req, &view.etag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, view.etag))
            .finish());
    }
    Ok(respond(
        &USER_RESOURCE,
        StatusCode::OK,
        &view,
        &projection,
        prefers_minimal(&req),
    ))
}

async fn run_list(
    principal: ScimPrincipal,
    state: &AppState,
    req: &HttpRequest,
    raw: &RawListParams,
) -> Reply {
    let request = ListRequest::parse(raw, i64::from(state.capabilities.max_results))?;
    let base = base_url(req);
    let ctx = context(state, &principal, &base);
    let derived = derived(&request.projection);
    let show =
        |u: &serde_json::Map<String, Value>| projected(&USER_RESOURCE, &request.projection, u);
    if let Some(paging) = CursorPaging::open(state, &principal, "Users", &request)? {
        let listed = service::list_users(&ctx, &paging.query(&request, 0), derived).await?;
        let page = cursor_page(listed.rows, paging.count, paging.seek(0));
        let (next, previous) = marks(page.next, page.previous);
        let resources = page.rows.iter().map(show).collect();
        let body = paging.response(listed.total, resources, next, previous);
        return Ok(scim_json(StatusCode::OK, &body));
    }
    let listed = service::list_users(&ctx, &page_query(&request), derived).await?;
    let resources = listed.rows.iter().map(|(_, u)| show(u)).collect();
    Ok(scim_json(
        StatusCode::OK,
        &list_response(listed.total, request.start_index, resources),
    ))
}

pub async fn list(principal: ScimPrincipal, state: web::Data<AppState>, req: HttpRequest) -> Reply {
    let pairs = query_pairs(&req)?;
    let raw = RawListParams::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    run_list(principal, &state, &req, &raw).await
}

pub async fn search(
    principal: ScimPrincipal,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<Value>,
) -> Reply {
    let raw = RawListParams::from_search_body(&body)?;
    run_list(principal, &state, &req, &raw).await
}

/// PUT and PATCH share everything but the service call.
#[derive(Clone, Copy)]
enum Write {
    Put,
    Patch,
}

async fn write(
    principal: ScimPrincipal,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Json<Value>,
    how: Write,
) -> Reply {
    let id = resource_id(&id, "user")?;
    let projection = projection(&req)?;
    let base = base_url(&req);
    let ctx = context(&state, &principal, &base);
    let derived = derived(&projection);
    let view = match how {
        Write::Put => service::put_user(&ctx, id, &body, if_match(&req), derived).await?,
        Write::Patch => service::patch_user(&ctx, id, &body, if_match(&req), derived).await?,
    };
    Ok(respond(
        &USER_RESOURCE,
        StatusCode::OK,
        &view,
        &projection,
        prefers_minimal(&req),
    ))
}

pub async fn put(
    principal: ScimPrincipal,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> Reply {
    write(principal, state, req, id, body, Write::Put).await
}

pub async fn patch(
    principal: ScimPrincipal,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> Reply {
    write(principal, state, req, id, body, Write::Patch).await
}

pub async fn delete(
    principal: ScimPrincipal,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Reply {
    let id = resource_id(&id, "user")?;
    let base = base_url(&req);
    let ctx = context(&state, &principal, &base);
    service::delete_user(&ctx, id, if_match(&req)).await?;
    Ok(HttpResponse::NoContent().finish())
}
