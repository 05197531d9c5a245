//! List pages in the store's terms, and `POST /scim/v2/.search` (RFC 7644 §3.4.3): one
//! query over every resource type.
//!
//! Results list the Users, then the Groups, each in its own order (`sortBy` applies within a
//! type: there is no common order across types). A filter naming an attribute one type
//! does not have simply matches nothing of that type; only a filter neither type accepts is
//! refused.

use serde_json::{Map, Value};

use super::error::{ServiceError, ServiceResult};
use super::scim_context::ScimContext;
use super::{groups, users};
use crate::scim::cursor::{cursor_page, Mark};
use crate::scim::list::ListRequest;
use crate::scim::{ScimError, ScimType};
use crate::store::{Derived, ListQuery, Listed};

/// Where a list page starts.
#[derive(Clone, Copy, Debug)]
pub enum PageAt<'a> {
    /// At the request's `startIndex`, `count` rows.
    Index,
    /// At a cursor's mark, `count` rows (at least 1).
    Cursor { mark: &'a Mark, count: usize },
}

/// The store query for one part of a page (`part` is the mark's: 0 for a one-type list).
/// A cursor page starts at its part's position, or at the beginning of a later part, and asks
/// one row more than the page, to learn whether another page follows.
pub fn list_query<'q>(request: &'q ListRequest, at: PageAt<'q>, part: u8) -> ListQuery<'q> {
    let (offset, limit, seek) = match at {
        PageAt::Index => (request.start_index - 1, request.count, None),
        PageAt::Cursor { mark, count } => (
            0,
            i64::try_from(count).unwrap_or(i64::MAX).saturating_add(1),
            mark.seek.as_ref().filter(|_| mark.part == part),
        ),
    };
    ListQuery {
        filter: request.filter.as_ref(),
        sort_by: request.sort_by.as_ref(),
        descending: request.descending,
        offset,
        limit,
        seek,
    }
}

/// What the response shows of each type.
#[derive(Clone, Copy, Debug)]
pub struct Shown {
    /// The users' derived attributes.
    pub derived: Derived,
    /// Whether groups come with their members.
    pub with_members: bool,
}

/// A page of the root search: its users, then its groups, and where the next page starts
/// (cursor paging only; a way back would have to cross from groups into users).
#[derive(Debug)]
pub struct RootPage {
    pub total: i64,
    pub users: Vec<Map<String, Value>>,
    pub groups: Vec<Map<String, Value>>,
    pub next: Option<Mark>,
}

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
) -> ServiceResult<(Found, Found)> {
    match (users, groups) {
        ((_, Some(err)), (_, Some(_))) => Err(ServiceError::Scim(err)),
        ((users, _), (groups, _)) => Ok((users, groups)),
    }
}

fn without_positions(found: Found) -> Vec<Map<String, Value>> {
    found.rows.into_iter().map(|(_, row)| row).collect()
}

/// The root search's page at `at`.
pub async fn search_all(
    ctx: &ScimContext<'_>,
    request: &ListRequest,
    at: PageAt<'_>,
    shown: Shown,
) -> ServiceResult<RootPage> {
    match at {
        PageAt::Index => by_index(ctx, request, shown).await,
        PageAt::Cursor { mark, count } => by_cursor(ctx, request, mark, count, shown).await,
    }
}

async fn by_index(
    ctx: &ScimContext<'_>,
    request: &ListRequest,
    shown: Shown,
) -> ServiceResult<RootPage> {
    let user_query = list_query(request, PageAt::Index, 0);
    let found_users = tolerate_filter(users::list_users(ctx, &user_query, shown.derived).await)?;
    // Groups fill what the users left of the page, starting past the users.
    let mut group_query = list_query(request, PageAt::Index, 1);
    group_query.offset = (user_query.offset - found_users.0.total).max(0);
    let group_limit = request.count - i64::try_from(found_users.0.rows.len()).unwrap_or(i64::MAX);
    group_query.limit = group_limit.max(0);
    let found_groups =
        tolerate_filter(groups::list_groups(ctx, &group_query, shown.with_members).await)?;
    let (found_users, found_groups) = both(found_users, found_groups)?;
    Ok(RootPage {
        total: found_users.total + found_groups.total,
        users: without_positions(found_users),
        groups: without_positions(found_groups),
        next: None,
    })
}

/// A cursor page: the users part (0), then the groups part (1), each in its keyset order; a
/// page that ends the users goes on with the first groups.
async fn by_cursor(
    ctx: &ScimContext<'_>,
    request: &ListRequest,
    mark: &Mark,
    count: usize,
    shown: Shown,
) -> ServiceResult<RootPage> {
    let at = PageAt::Cursor { mark, count };
    let in_groups = mark.part == 1;
    // In the groups part the users are only counted (for totalResults).
    let mut user_query = list_query(request, at, 0);
    if in_groups {
        user_query.limit = 0;
    }
    let found_users = tolerate_filter(users::list_users(ctx, &user_query, shown.derived).await)?;
    let user_rows = found_users.0.rows.len();
    let mut group_query = list_query(request, at, 1);
    // Groups fill what the users leave of the page (and one more, to know if more follow).
    if !in_groups {
        group_query.limit = i64::try_from((count + 1).saturating_sub(user_rows)).unwrap_or(0);
    }
    let found_groups =
        tolerate_filter(groups::list_groups(ctx, &group_query, shown.with_members).await)?;
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
    Ok(RootPage {
        total,
        users: users_page.rows,
        groups: groups_page.rows,
        next,
    })
}
