//! Routes under `/scim/v2`, and what every SCIM handler's answer shares: the base URL, the
//! response type, ETags and `attributes`/`excludedAttributes` (the request's side is
//! [`super::scim_request::ScimRequest`]).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{Map, Value};

use super::errors::ScimHttpError;
use super::{
    bulk, discovery, entitlements, groups, paging, root_search, users, AppState, ScimPrincipal,
};
use crate::scim::filter::AttrPath;
use crate::scim::list::Projection;
use crate::scim::projection::{project, wants_attribute};
use crate::scim::schema::def::ResourceTypeDef;
use crate::scim::{ScimError, CONTENT_TYPE};
use crate::service::scim_context::ResourceView;

/// A SCIM endpoint: any method it does not route is answered 405 the SCIM way.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

/// An endpoint of the read-only entitlement lists: a write is answered as such.
fn read_only_resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(entitlements::read_only))
}

/// `/Users` and `/Groups` take the same methods, each to its own module's handlers.
macro_rules! resource_routes {
    ($base:literal, $module:ident, $listed:ty) => {
        |cfg: &mut web::ServiceConfig| {
            cfg.service(
                resource(concat!($base, "/.search"))
                    .route(web::post().to(paging::search::<$listed>)),
            )
            .service(
                resource($base)
                    .route(web::get().to(paging::list::<$listed>))
                    .route(web::post().to($module::create)),
            )
            .service(
                resource(concat!($base, "/{id}"))
                    .route(web::get().to($module::get))
                    .route(web::put().to($module::write::<false>))
                    .route(web::patch().to($module::write::<true>))
                    .route(web::delete().to($module::delete)),
            );
        }
    };
}

/// The read-only entitlement lists, under SCIM's name (`/Entitlements`) and Okta's
/// (`/Products`, `OKTA`).
fn entitlement_lists<const OKTA: bool>(base: &str) -> impl FnOnce(&mut web::ServiceConfig) + '_ {
    move |cfg| {
        cfg.service(
            read_only_resource(&format!("{base}/.search"))
                .route(web::post().to(entitlements::search::<OKTA>)),
        )
        .service(read_only_resource(base).route(web::get().to(entitlements::list::<OKTA>)))
        .service(
            read_only_resource(&format!("{base}/{{id}}"))
                .route(web::get().to(entitlements::get::<OKTA>)),
        );
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        // Routes are tried in order, and each one with `{id}` runs a pattern: what an IdP
        // sends all day comes first.
        web::scope("/scim/v2")
            .configure(resource_routes!("/Users", users, users::Users))
            .configure(resource_routes!("/Groups", groups, groups::Groups))
            .service(
                resource("/ServiceProviderConfig")
                    .route(web::get().to(discovery::service_provider_config)),
            )
            .service(resource("/Schemas").route(web::get().to(discovery::schemas)))
            .service(resource("/Schemas/{id}").route(web::get().to(discovery::schema)))
            .service(resource("/ResourceTypes").route(web::get().to(discovery::resource_types)))
            .service(resource("/ResourceTypes/{id}").route(web::get().to(discovery::resource_type)))
            .service(resource("/.search").route(web::post().to(root_search::search)))
            .service(resource("/Bulk").route(web::post().to(bulk::bulk)))
            .configure(entitlement_lists::<false>("/Entitlements"))
            .configure(entitlement_lists::<true>("/Products"))
            .default_service(web::to(unknown_endpoint)),
    );
}

/// The absolute URL of this server's SCIM base, for `Location` and `meta.location`.
pub fn base_url(req: &HttpRequest) -> String {
    format!("{}/scim/v2", external_base(req))
}

/// The server's external base URL (`scheme://host`, plus the path of `--public-url` if it
/// has one), without a trailing slash.
pub fn external_base(req: &HttpRequest) -> String {
    let state = req.app_data::<web::Data<AppState>>();
    if let Some(url) = state.and_then(|state| state.public_url.as_ref()) {
        return url.clone();
    }
    let from_proxy = req
        .peer_addr()
        .is_some_and(|peer| state.is_some_and(|state| state.trusted_proxies.contains(&peer.ip())));
    if from_proxy {
        let info = req.connection_info();
        return format!("{}://{}", info.scheme(), info.host());
    }
    // Anyone else: the `Host` the client connected with; forwarded headers are its own words.
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
        .unwrap_or_else(|| req.app_config().host().to_owned());
    let scheme = if req.app_config().secure() {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

pub fn scim_json(status: StatusCode, body: &Value) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, CONTENT_TYPE))
        .body(json_bytes(body))
}

/// The JSON text of a response body. `Value`'s `Display` (`to_string`) hands the formatter
/// one token at a time; serializing into a byte buffer skips that layer. Serializing a
/// `Value` into memory cannot fail (its keys are strings, a `Vec` takes every write); the
/// fallback only keeps that promise out of the request path's control flow.
pub fn json_bytes(body: &Value) -> Vec<u8> {
    serde_json::to_vec(body).unwrap_or_else(|_| body.to_string().into_bytes())
}

pub fn wants(rt: &ResourceTypeDef, projection: &Projection, name: &str) -> bool {
    wants_attribute(
        rt,
        &projection.attributes,
        &projection.excluded,
        &AttrPath::new(None, name, None),
    )
}

pub fn projected(
    rt: &ResourceTypeDef,
    projection: &Projection,
    resource: Map<String, Value>,
) -> Value {
    Value::Object(project(
        rt,
        resource,
        &projection.attributes,
        &projection.excluded,
    ))
}

/// A resource response: ETag, `Location` (on create) or `Content-Location`, and the
/// projected representation, or none for `Prefer: return=minimal` (RFC 7240), where a 200
/// becomes 204.
pub fn respond(
    rt: &ResourceTypeDef,
    status: StatusCode,
    view: ResourceView,
    projection: &Projection,
    minimal: bool,
) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.insert_header((header::ETAG, view.etag));
    let location = view
        .resource
        .get("meta")
        .and_then(|m| m.get("location"))
        .and_then(Value::as_str);
    if let Some(location) = location {
        let name = if status == StatusCode::CREATED {
            "Location"
        } else {
            "Content-Location"
        };
        response.insert_header((name, location.to_owned()));
    }
    if minimal {
        if status == StatusCode::OK {
            response.status(StatusCode::NO_CONTENT);
        }
        return response.finish();
    }
    response
        .insert_header((header::CONTENT_TYPE, CONTENT_TYPE))
        .body(json_bytes(&projected(rt, projection, view.resource)))
}

/// Resource ids are UUIDs; anything else names nothing, so it is a 404, not a 400.
pub fn resource_id(raw: &str, what: &str) -> Result<uuid::Uuid, ScimHttpError> {
    raw.parse()
        .map_err(|_| ScimError::not_found(format!("{what} {raw:?} not found")).into())
}

async fn method_not_allowed(
    req: HttpRequest,
    principal: Result<ScimPrincipal, ScimHttpError>,
) -> Result<HttpResponse, ScimHttpError> {
    principal?;
    Err(ScimError::new(
        405,
        None,
        format!("{} is not supported on {}", req.method(), req.path()),
    )
    .into())
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
