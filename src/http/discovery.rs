//! Discovery endpoints (RFC 7644 §4), rendered from the schemas the server enforces.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

use super::errors::ScimHttpError;
use super::scim_routes::{base_url, scim_json};
use super::{AppState, ScimPrincipal};
use crate::scim::schema::render;
use crate::scim::{discovery, ScimError};

pub async fn service_provider_config(
    _: ScimPrincipal,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> HttpResponse {
    let location = format!("{}/ServiceProviderConfig", base_url(&req));
    scim_json(
        StatusCode::OK,
        &discovery::service_provider_config(&state.capabilities, &location),
    )
}

pub async fn schemas(_: ScimPrincipal, req: HttpRequest) -> HttpResponse {
    scim_json(StatusCode::OK, &render::schemas_document(&base_url(&req)))
}

type Reply = Result<HttpResponse, ScimHttpError>;

/// One discovery document by its id, as `document` renders it; a 404 names the kind of
/// document that has no such id.
fn by_id(
    req: &HttpRequest,
    id: &str,
    document: fn(&str, &str) -> Option<Value>,
    kind: &str,
) -> Reply {
    let doc = document(id, &base_url(req))
        .ok_or_else(|| ScimError::not_found(format!("no {kind} {id:?}")))?;
    Ok(scim_json(StatusCode::OK, &doc))
}

pub async fn schema(_: ScimPrincipal, req: HttpRequest, id: web::Path<String>) -> Reply {
    by_id(&req, &id, render::schema_document, "schema")
}

pub async fn resource_types(_: ScimPrincipal, req: HttpRequest) -> HttpResponse {
    scim_json(
        StatusCode::OK,
        &render::resource_types_document(&base_url(&req)),
    )
}

pub async fn resource_type(_: ScimPrincipal, req: HttpRequest, id: web::Path<String>) -> Reply {
    by_id(&req, &id, render::resource_type_document, "resource type")
}
