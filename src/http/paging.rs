//! Cursor pagination (RFC 9865) at the edge: opening the cursor a list request carries, and
//! sealing the cursors its answer hands out. Index pagination (`startIndex`) stays the
//! default; a request with a `cursor` parameter (empty for the first page) pages by cursor.

use serde_json::Value;

use super::errors::ScimHttpError;
use super::{AppState, ScimPrincipal};
use crate::scim::cursor::{self, Binding, CursorKey, Mark, Seek};
use crate::scim::list::{cursor_list_response, ListRequest};
use crate::store::ListQuery;

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

    /// The store query for this page's part: from its start, or past its position, one row
    /// more than the page (to learn whether another page follows).
    pub fn query<'q>(&'q self, request: &'q ListRequest, part: u8) -> ListQuery<'q> {
        ListQuery {
            filter: request.filter.as_ref(),
            sort_by: request.sort_by.as_ref(),
            descending: request.descending,
            offset: 0,
            limit: i64::try_from(self.count)
                .unwrap_or(i64::MAX)
                .saturating_add(1),
            seek: self.seek(part),
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

/// The marks of a one-part list's neighbouring pages.
pub fn marks(next: Option<Seek>, previous: Option<Seek>) -> (Option<Mark>, Option<Mark>) {
    let mark = |seek: Seek| Mark {
        part: 0,
        seek: Some(seek),
    };
    (next.map(mark), previous.map(mark))
}
