//! Cursor pagination (RFC 9865) at the edge: opening the cursor a list request carries, and
//! sealing the cursors its answer hands out. Index pagination (`startIndex`) stays the
//! default; a request with a `cursor` parameter (empty for the first page) pages by cursor.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::{Map, Value};

use super::errors::ScimHttpError;
use super::scim_request::ScimRequest;
use super::scim_routes::{projected, scim_json};
use super::{AppState, ScimPrincipal};
use crate::scim::cursor::{self, cursor_page, Binding, CursorKey, Mark, Seek};
use crate::scim::list::{
    cursor_list_response, list_response, ListRequest, Projection, RawListParams,
};
use crate::scim::schema::def::ResourceTypeDef;
use crate::service::error::ServiceResult;
use crate::service::scim_context::ScimContext;
use crate::service::search::{list_query, PageAt};
use crate::store::{ListQuery, Listed};

type Reply = Result<HttpResponse, ScimHttpError>;

/// A list request paged by cursor: where its page starts and how to seal the next ones.
pub struct CursorPaging<'a> {
    key: &'a CursorKey,
    binding: Binding<'a>,
    timeout_secs: u64,
    now: i64,
    /// Where this page starts.
    pub mark: Mark,
    /// The page size asked for (at least 1, at most the maximum).
    pub count: usize,
}

fn now_secs() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl<'a> CursorPaging<'a> {
    /// `None` for an index-paged request; a 400 `invalidCursor` or `expiredCursor` for a
    /// cursor this server did not issue for this directory, endpoint and query, or issued
    /// too long ago.
    pub fn open(
        state: &'a AppState,
        principal: &ScimPrincipal,
        endpoint: &'a str,
        request: &'a ListRequest,
    ) -> Result<Option<Self>, ScimHttpError> {
        let Some(asked) = &request.cursor else {
            return Ok(None);
        };
        let binding = Binding {
            directory: principal.directory.as_uuid(),
            endpoint,
            filter: asked.filter.as_deref(),
            sort_by: asked.sort_by.as_deref().filter(|s| !s.is_empty()),
            descending: request.descending,
        };
        let timeout_secs = state.capabilities.cursor_timeout_secs;
        let now = now_secs();
        let mark = cursor::open(
            &state.cursor_key,
            &binding,
            &asked.cursor,
            now,
            timeout_secs,
        )?;
        Ok(Some(CursorPaging {
            key: &state.cursor_key,
            binding,
            timeout_secs,
            now,
            mark,
            count: usize::try_from(request.count).unwrap_or(1).max(1),
        }))
    }

    /// Where this page starts, in the service's terms.
    pub fn at(&self) -> PageAt<'_> {
        PageAt::Cursor {
            mark: &self.mark,
            count: self.count,
        }
    }

    /// Where this page starts within `part` (`None`: at its beginning).
    pub fn seek(&self, part: u8) -> Option<&Seek> {
        if self.mark.part == part {
            self.mark.seek.as_ref()
        } else {
            None
        }
    }

    pub fn seal(&self, mark: Mark) -> String {
        let expires = self
            .now
            .saturating_add(i64::try_from(self.timeout_secs).unwrap_or(i64::MAX));
        cursor::seal(self.key, &self.binding, mark, expires)
    }

    /// The ListResponse, with the cursors of the pages after and before this one.
    pub fn response(
        &self,
        total: i64,
        resources: Vec<Value>,
        next: Option<Mark>,
        previous: Option<Mark>,
    ) -> Value {
        cursor_list_response(
            total,
            resources,
            next.map(|m| self.seal(m)),
            previous.map(|m| self.seal(m)),
        )
    }
}

/// A page of one resource type's list, paged by index or by cursor.
pub struct ListPage<'a> {
    request: &'a ListRequest,
    paging: Option<CursorPaging<'a>>,
}

impl<'a> ListPage<'a> {
    /// The page `request` asks of `endpoint`; a 400 for a cursor it cannot use (see
    /// [`CursorPaging::open`]).
    pub fn open(
        state: &'a AppState,
        principal: &ScimPrincipal,
        endpoint: &'a str,
        request: &'a ListRequest,
    ) -> Result<Self, ScimHttpError> {
        Ok(Self {
            request,
            paging: CursorPaging::open(state, principal, endpoint, request)?,
        })
    }

    /// The store query for this page.
    pub fn query(&self) -> ListQuery<'_> {
        let at = self.paging.as_ref().map_or(PageAt::Index, CursorPaging::at);
        list_query(self.request, at, 0)
    }

    /// The ListResponse of what the query found, each resource projected as asked; a cursor
    /// page also hands out the cursors of its neighbours.
    pub fn reply(&self, rt: &ResourceTypeDef, listed: Listed<Map<String, Value>>) -> HttpResponse {
        let show = |r: Map<String, Value>| projected(rt, &self.request.projection, r);
        let body = match &self.paging {
            Some(paging) => {
                let page = cursor_page(listed.rows, paging.count, paging.seek(0));
                let mark = |seek: Seek| Mark {
                    part: 0,
                    seek: Some(seek),
                };
                let resources = page.rows.into_iter().map(show).collect();
                paging.response(
                    listed.total,
                    resources,
                    page.next.map(mark),
                    page.previous.map(mark),
                )
            }
            None => {
                let resources = listed.rows.into_iter().map(|(_, r)| show(r)).collect();
                list_response(listed.total, self.request.start_index, resources)
            }
        };
        scim_json(StatusCode::OK, &body)
    }
}

/// A resource type listed by `GET /{ENDPOINT}` and `POST /{ENDPOINT}/.search`.
pub(super) trait ListedType {
    const RESOURCE: &'static ResourceTypeDef;
    /// The endpoint's name, which the cursors it hands out are bound to.
    const ENDPOINT: &'static str;
    /// One page of full resources, read with what `projection` shows of them.
    async fn page(
        ctx: &ScimContext<'_>,
        query: &ListQuery<'_>,
        projection: &Projection,
    ) -> ServiceResult<Listed<Map<String, Value>>>;
}

/// Declares a resource type's [`ListedType`]: its definition, its endpoint, and the service
/// call that reads one page (the rest of a list request is the same for every type).
macro_rules! listed_type {
    (
        $(#[$doc:meta])*
        $name:ident = $resource:path, $endpoint:literal,
        |$ctx:ident, $query:ident, $projection:ident| $page:expr
    ) => {
        $(#[$doc])*
        pub struct $name;

        impl $crate::http::paging::ListedType for $name {
            const RESOURCE: &'static $crate::scim::schema::def::ResourceTypeDef = &$resource;
            const ENDPOINT: &'static str = $endpoint;

            async fn page(
                $ctx: &$crate::service::scim_context::ScimContext<'_>,
                $query: &$crate::store::ListQuery<'_>,
                $projection: &$crate::scim::list::Projection,
            ) -> $crate::service::error::ServiceResult<
                $crate::store::Listed<serde_json::Map<String, serde_json::Value>>,
            > {
                $page.await
            }
        }
    };
}
pub(super) use listed_type;

async fn run_list<R: ListedType>(scim: ScimRequest, raw: &RawListParams) -> Reply {
    let state = &scim.state;
    let request = ListRequest::parse(raw, i64::from(state.capabilities.max_results))?;
    let page = ListPage::open(state, &scim.principal, R::ENDPOINT, &request)?;
    let listed = R::page(&scim.context(), &page.query(), &request.projection).await?;
    Ok(page.reply(R::RESOURCE, listed))
}

/// `GET /{ENDPOINT}`.
pub async fn list<R: ListedType>(scim: ScimRequest) -> Reply {
    let raw = scim.list_params()?;
    run_list::<R>(scim, &raw).await
}

/// `POST /{ENDPOINT}/.search`.
pub async fn search<R: ListedType>(scim: ScimRequest, body: web::Json<Value>) -> Reply {
    let raw = RawListParams::from_search_body(&body)?;
    run_list::<R>(scim, &raw).await
}
