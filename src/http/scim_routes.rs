//! Routes under `/scim/v2`.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::errors::ScimHttpError;
use super::{AppState, ScimPrincipal};
use crate::scim::{discovery, ScimError, CONTENT_TYPE};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/scim/v2")
            .route(
                "/ServiceProviderConfig",
                web::get().to(service_provider_config),
            )
            .default_service(web::to(unknown_endpoint)),
    );
}

/// The absolute URL of this server's SCIM base, for `Location` and `meta.location`.
pub fn base_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}/scim/v2", info.scheme(), info.host())
}

pub fn scim_json(status: actix_web::http::StatusCode, body: &serde_json::Value) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, CONTENT_TYPE))
        .body(body.to_string())
}

async fn service_provider_config(
    _principal: ScimPrincipal,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> HttpResponse {
    let location = format!("{}/ServiceProviderConfig", base_url(&req));
    scim_json(
        actix_web::http::StatusCode::OK,
        &discovery::service_provider_config(&state.capabilities, &location),
    )
}

/// Unknown paths still answer in SCIM's error format, but only to an authenticated
/// directory: an anonymous caller learns nothing about what exists.
async fn unknown_endpoint(
    req: HttpRequest,
    principal: Result<ScimPrincipal, ScimHttpError>,
) -> Result<HttpResponse, ScimHttpError> {
    principal?;
    Err(ScimError::not_found(format!("no SCIM endpoint {} {}", req.method(), req.path())).into())
}
