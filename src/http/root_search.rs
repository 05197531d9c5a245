//! `POST /scim/v2/.search` (RFC 7644 §3.4.3): parse, ask the search service for the page
//! across resource types ([`crate::service::search`]), project, render.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::Value;

use super::errors::ScimHttpError;
use super::paging::CursorPaging;
use super::scim_request::ScimRequest;
use super::scim_routes::{projected, scim_json};
use crate::scim::list::{list_response, ListRequest, RawListParams};
use crate::scim::schema::group::GROUP_RESOURCE;
use crate::scim::schema::user::USER_RESOURCE;
use crate::service::search::{search_all, PageAt, Shown};

pub async fn search(
    scim: ScimRequest,
    body: web::Json<Value>,
) -> Result<HttpResponse, ScimHttpError> {
    let raw = RawListParams::from_search_body(&body)?;
    let state = &scim.state;
    let request = ListRequest::parse(&raw, i64::from(state.capabilities.max_results))?;
    let shown = Shown {
        derived: super::users::derived(&request.projection),
        with_members: super::groups::with_members(&request.projection),
    };
    let paging = CursorPaging::open(state, &scim.principal, ".search", &request)?;
    let at = paging.as_ref().map_or(PageAt::Index, CursorPaging::at);
    let found = search_all(&scim.context(), &request, at, shown).await?;
    let users = found
        .users
        .into_iter()
        .map(|u| projected(&USER_RESOURCE, &request.projection, u));
    let groups = found
        .groups
        .into_iter()
        .map(|g| projected(&GROUP_RESOURCE, &request.projection, g));
    let resources = users.chain(groups).collect();
    let body = match &paging {
        Some(paging) => paging.response(found.total, resources, found.next, None),
        None => list_response(found.total, request.start_index, resources),
    };
    Ok(scim_json(StatusCode::OK, &body))
}
