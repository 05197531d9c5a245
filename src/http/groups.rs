//! `/scim/v2/Groups`: parse, call the groups service, project, render.

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
use crate::scim::schema::group::GROUP_RESOURCE;
use crate::service::groups::{self as service, PatchResponse};

type Reply = Result<HttpResponse, ScimHttpError>;

fn with_members(projection: &Projection) -> bool {
    wants(&GROUP_RESOURCE, projection, "members")
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
    let minimal = prefers_minimal(&req);
    let view = service::create_group(&ctx, &body, with_members(&projection) && !minimal).await?;
    Ok(respond(
        &GROUP_RESOURCE,
        StatusCode::CREATED,
        &view,
        &projection,
        minimal,
    ))
}

pub async fn get(
    principal: ScimPrincipal,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Reply {
    let id = resource_id(&id, "group")?;
    let projection = projection(&req)?;
    let base = base_url(&req);
    let ctx = context(&state, &principal, &base);
    let view = service::get_group(&ctx, id, with_members(&projection)).await?;
    if not_modified(&req, &view.etag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, view.etag))
            .finish());
    }
    Ok(respond(
        &GROUP_RESOURCE,
        StatusCode::OK,
        &view,
        &projection,
        false,
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
    let members = with_members(&request.projection);
    let show =
        |g: &serde_json::Map<String, Value>| projected(&GROUP_RESOURCE, &request.projection, g);
    if let Some(paging) = CursorPaging::open(state, &principal, "Groups", &request)? {
        let listed = service::list_groups(&ctx, &paging.query(&request, 0), members).await?;
        let page = cursor_page(listed.rows, paging.count, paging.seek(0));
        let (next, previous) = marks(page.next, page.previous);
        let resources = page.rows.iter().map(show).collect();
        let body = paging.response(listed.total, resources, next, previous);
        return Ok(scim_json(StatusCode::OK, &body));
    }
    let listed = service::list_groups(&ctx, &page_query(&request), members).await?;
    let resources = listed.rows.iter().map(|(_, g)| show(g)).collect();
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

pub async fn put(
    principal: ScimPrincipal,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> Reply {
    let id = resource_id(&id, "group")?;
    let projection = projection(&req)?;
    let base = base_url(&req);
    let ctx = context(&state, &principal, &base);
    let minimal = prefers_minimal(&req);
    let view = service::put_group(
        &ctx,
        id,
        &body,
        if_match(&req),
        with_members(&projection) && !minimal,
    )
    .await?;
    Ok(respond(
        &GROUP_RESOURCE,
        StatusCode::OK,
        &view,
        &projection,
        minimal,
    ))
}

pub async fn patch(
    principal: ScimPrincipal,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> Reply {
    let id = resource_id(&id, "group")?;
    let projection = projection(&req)?;
    let base = base_url(&req);
    let ctx = context(&state, &principal, &base);
    let response = PatchResponse {
        minimal: prefers_minimal(&req),
        with_members: with_members(&projection),
    };
    let patched = service::patch_group(&ctx, id, &body, if_match(&req), response).await?;
    Ok(respond(
        &GROUP_RESOURCE,
        StatusCode::OK,
        &patched.view,
        &projection,
        patched.minimal,
    ))
}

pub async fn delete(
    principal: ScimPrincipal,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Reply {
    let id = resource_id(&id, "group")?;
    let base = base_url(&req);
    let ctx = context(&state, &principal, &base);
    service::delete_group(&ctx, id, if_match(&req)).await?;
    Ok(HttpResponse::NoContent().finish())
}
