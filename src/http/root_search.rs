//! `POST /scim/v2/.search` (RFC 7644 §3.4.3): one query over every resource type.
//!
//! Results list the Users, then the Groups, each in its own order (`sortBy` applies within a
//! type: there is no common order across types). A filter naming an attribute one type
//! does not have simply matches nothing of that type; only a filter neither type accepts is
//! refused.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use serde_json::{Map, Value};

use super::errors::ScimHttpError;
use super::paging::CursorPaging;
use super::scim_routes::{base_url, context, projected, scim_json, wants};
use super::{AppState, ScimPrincipal};
use crate::scim::cursor::{cursor_page, Mark};
use crate::scim::list::{list_response, ListRequest, RawListParams};
use crate::scim::schema::group::GROUP_RESOURCE;
use crate::scim::schema::user::USER_RESOURCE;
use crate::scim::{ScimError, ScimType};
use crate::service::error::{ServiceError, ServiceResult};
use crate::service::scim_context::ScimContext;
use crate::service::{groups, users};
use crate::store::{Derived, ListQuery, Listed};

/// A type's part of the answer. A filter this type cannot evaluate counts as no match,
/// remembered so that a filter nobody accepts is an error.
type Found = Listed<Map<String, Value>>;

fn tolerate_filter(
    result: ServiceResult<Found>,
) -> Result<(Found, Option<ScimError>), ServiceError> {
    match result {
        Ok(found) => Ok((found, None)),
        Err(ServiceError::Scim(err)) if err.scim_type == Some(ScimType::InvalidFilter) => Ok((
            Listed {
                total: 0,
                rows: Vec::new(),
            },
            Some(err),
        )),
        Err(err) => Err(err),
    }
}

/// Both types' parts, or the error when neither accepts the filter.
fn both(
    users: (Found, Option<ScimError>),
    groups: (Found, Option<ScimError>),
) -> Result<(Found, Found), ScimHttpError> {
    match (users, groups) {
        ((_, Some(err)), (_, Some(_))) => Err(err.into()),
        ((users, _), (groups, _)) => Ok((users, groups)),
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
    let derived = super::users::derived(&request.projection);
    let with_members = wants(&GROUP_RESOURCE, &request.projection, "members");
    let user = |u: &Map<String, Value>| projected(&USER_RESOURCE, &request.projection, u);
    let group = |g: &Map<String, Value>| projected(&GROUP_RESOURCE, &request.projection, g);
    if let Some(paging) = CursorPaging::open(&state, &principal, ".search", &request)? {
        return by_cursor(&ctx, &request, &paging, derived, with_members, user, group).await;
    }

    let offset = request.start_index - 1;
    let page = |offset: i64, limit: i64| ListQuery {
        filter: request.filter.as_ref(),
        sort_by: request.sort_by.as_ref(),
        descending: request.descending,
        offset,
        limit,
        seek: None,
    };
    let found_users =
        tolerate_filter(users::list_users(&ctx, &page(offset, request.count), derived).await)?;
    // Groups fill what the users left of the page, starting past the users.
    let group_offset = (offset - found_users.0.total).max(0);
    let group_limit = request.count - i64::try_from(found_users.0.rows.len()).unwrap_or(i64::MAX);
    let found_groups = tolerate_filter(
        groups::list_groups(&ctx, &page(group_offset, group_limit.max(0)), with_members).await,
    )?;
    let (found_users, found_groups) = both(found_users, found_groups)?;
    let resources = found_users
        .rows
        .iter()
        .map(|(_, u)| user(u))
        .chain(found_groups.rows.iter().map(|(_, g)| group(g)))
        .collect();
    Ok(scim_json(
        StatusCode::OK,
        &list_response(
            found_users.total + found_groups.total,
            request.start_index,
            resources,
        ),
    ))
}

/// A cursor page of the root search: the users part (0), then the groups part (1), each in
/// its keyset order; a page that ends the users goes on with the first groups. Only
/// `nextCursor` is given here (a way back would have to cross from groups into users).
async fn by_cursor(
    ctx: &ScimContext<'_>,
    request: &ListRequest,
    paging: &CursorPaging<'_>,
    derived: Derived,
    with_members: bool,
    user: impl Fn(&Map<String, Value>) -> Value,
    group: impl Fn(&Map<String, Value>) -> Value,
) -> Result<actix_web::HttpResponse, ScimHttpError> {
    let count = paging.count;
    let in_groups = paging.mark.part == 1;
    // In the groups part the users are only counted (for totalResults).
    let mut user_query = paging.query(request, 0);
    if in_groups {
        user_query.limit = 0;
    }
    let found_users = tolerate_filter(users::list_users(ctx, &user_query, derived).await)?;
    let user_rows = found_users.0.rows.len();
    let mut group_query = paging.query(request, 1);
    // Groups fill what the users leave of the page (and one more, to know if more follow).
    group_query.limit = if in_groups {
        group_query.limit
    } else {
        i64::try_from((count + 1).saturating_sub(user_rows)).unwrap_or(0)
    };
    let found_groups = tolerate_filter(groups::list_groups(ctx, &group_query, with_members).await)?;
    let (found_users, found_groups) = both(found_users, found_groups)?;
    let total = found_users.total + found_groups.total;

    let users_page = cursor_page(found_users.rows, count, None);
    let room = count - users_page.rows.len();
    let groups_page = cursor_page(found_groups.rows, room, None);
    let next = match (users_page.next, groups_page.next) {
        // More users: the next page resumes after this page's last user.
        (Some(seek), _) => Some(Mark {
            part: 0,
            seek: Some(seek),
        }),
        (None, Some(seek)) => Some(Mark {
            part: 1,
            seek: Some(seek),
        }),
        // The users filled the page exactly, and a group was found past it.
        (None, None) if room == 0 && !in_groups && group_query.limit > 0 => {
            let more_groups = found_groups.total > 0;
            more_groups.then_some(Mark {
                part: 1,
                seek: None,
            })
        }
        (None, None) => None,
    };
    let resources = users_page
        .rows
        .iter()
        .map(user)
        .chain(groups_page.rows.iter().map(group))
        .collect();
    Ok(scim_json(
        StatusCode::OK,
        &paging.response(total, resources, next, None),
    ))
}
