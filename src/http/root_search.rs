//! `POST /scim/v2/.search` (RFC 7644 §3.4.3): one query over every resource type.
//!
//! Results list the Users, then the Groups, each in its own order (`sortBy` applies within a
//! type: there is no common order across types). A filter naming an attribute one type
//! does not have simply matches nothing of that type; only a filter neither type accepts is
//! refused.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use serde_json::Value;

use super::errors::ScimHttpError;
use super::scim_routes::{base_url, context, projected, scim_json, wants};
use super::{AppState, ScimPrincipal};
use crate::scim::list::{list_response, ListRequest, RawListParams};
use crate::scim::schema::group::GROUP_RESOURCE;
use crate::scim::schema::user::USER_RESOURCE;
use crate::scim::{ScimError, ScimType};
use crate::service::error::{ServiceError, ServiceResult};
use crate::service::{groups, users};
use crate::store::ListQuery;

/// A type's part of the answer: its total and its share of the page. A filter this type
/// cannot evaluate counts as no match, remembered so that a filter nobody accepts is an error.
type Found<T> = (i64, Vec<T>);

fn tolerate_filter<T>(
    result: ServiceResult<Found<T>>,
) -> Result<(Found<T>, Option<ScimError>), ServiceError> {
    match result {
        Ok(found) => Ok((found, None)),
        Err(ServiceError::Scim(err)) if err.scim_type == Some(ScimType::InvalidFilter) => {
            Ok(((0, Vec::new()), Some(err)))
        }
        Err(err) => Err(err),
    }
}

pub async fn search(
    principal: ScimPrincipal,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<Value>,
) -> Result<actix_web::HttpResponse, ScimHttpError> {
    let raw = RawListParams::from_search_body(&body)?;
    let request = ListRequest::parse(&raw, i64::from(state.capabilities.max_results))?;
    let base = base_url(&req);
    let ctx = context(&state, &principal, &base);
    let offset = request.start_index - 1;
    let page = |offset: i64, limit: i64| ListQuery {
        filter: request.filter.as_ref(),
        sort_by: request.sort_by.as_ref(),
        descending: request.descending,
        offset,
        limit,
    };

    let derived = super::users::derived(&request.projection);
    let ((user_total, found_users), user_err) =
        tolerate_filter(users::list_users(&ctx, &page(offset, request.count), derived).await)?;
    // Groups fill what the users left of the page, starting past the users.
    let group_offset = (offset - user_total).max(0);
    let group_limit = request.count - i64::try_from(found_users.len()).unwrap_or(i64::MAX);
    let with_members = wants(&GROUP_RESOURCE, &request.projection, "members");
    let ((group_total, found_groups), group_err) = tolerate_filter(
        groups::list_groups(&ctx, &page(group_offset, group_limit.max(0)), with_members).await,
    )?;
    if let (Some(err), Some(_)) = (user_err, group_err) {
        return Err(err.into());
    }

    let resources = found_users
        .iter()
        .map(|u| projected(&USER_RESOURCE, &request.projection, u))
        .chain(
            found_groups
                .iter()
                .map(|g| projected(&GROUP_RESOURCE, &request.projection, g)),
        )
        .collect();
    Ok(scim_json(
        StatusCode::OK,
        &list_response(user_total + group_total, request.start_index, resources),
    ))
}
