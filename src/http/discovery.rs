//! Discovery endpoints (RFC 7644 §4), rendered from the schemas the server enforces.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

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

pub async fn schema(
    _: ScimPrincipal,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ScimHttpError> {
    let doc = render::schema_document(&id, &base_url(&req))
        .ok_or_else(|| ScimError::not_found(format!("no schema {:?}", id.as_str())))?;
    Ok(scim_json(StatusCode::OK, &doc))
}

pub async fn resource_types(_: ScimPrincipal, req: HttpRequest) -> HttpResponse {
    scim_json(
        StatusCode::OK,
        &render::resource_types_document(&base_url(&req)),
    )
}

pub async fn resource_type(
    _: ScimPrincipal,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ScimHttpError> {
    let doc = render::resource_type_document(&id, &base_url(&req))
        .ok_or_else(|| ScimError::not_found(format!("no resource type {:?}", id.as_str())))?;
    Ok(scim_json(StatusCode::OK, &doc))
}
