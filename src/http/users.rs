//! `/scim/v2/Users`: parse, call the users service, project, render.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::Value;

use super::errors::ScimHttpError;
use super::paging::listed_type;
use super::scim_request::ScimRequest;
use super::scim_routes::{resource_id, wants};
use crate::scim::list::Projection;
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

pub async fn create(scim: ScimRequest, body: web::Json<Value>) -> Reply {
    let projection = scim.projection()?;
    let view = service::create_user(&scim.context(), &body, derived(&projection))
        .await
        .map_err(|err| ScimHttpError::from(err).with_email(service::requested_email_of(&body)))?;
    Ok(scim.respond(&USER_RESOURCE, StatusCode::CREATED, view, &projection))
}

pub async fn get(scim: ScimRequest, id: web::Path<String>) -> Reply {
    let id = resource_id(&id, "user")?;
    let projection = scim.projection()?;
    let view = service::get_user(&scim.context(), id, derived(&projection)).await?;
    if let Some(not_modified) = scim.not_modified(&view) {
        return Ok(not_modified);
    }
    Ok(scim.respond(&USER_RESOURCE, StatusCode::OK, view, &projection))
}

listed_type! {
    /// The Users list (`GET /Users`, `POST /Users/.search`).
    Users = USER_RESOURCE, "Users",
    |ctx, query, projection| service::list_users(ctx, query, derived(projection))
}

/// PUT (`PATCH` false) and PATCH: the service tells them apart.
pub async fn write<const PATCH: bool>(
    scim: ScimRequest,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> Reply {
    let id = resource_id(&id, "user")?;
    let projection = scim.projection()?;
    let ctx = scim.context();
    let derived = derived(&projection);
    let view = service::write_user(&ctx, id, &body, scim.precondition, derived, PATCH).await?;
    Ok(scim.respond(&USER_RESOURCE, StatusCode::OK, view, &projection))
}

pub async fn delete(scim: ScimRequest, id: web::Path<String>) -> Reply {
    let id = resource_id(&id, "user")?;
    service::delete_user(&scim.context(), id, scim.precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}
