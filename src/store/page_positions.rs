//! Where recent `startIndex` pages of unfiltered user lists began and ended, so that the
//! next page (an IdP importing users walks startIndex 1, 101, 201, ...) or the same page
//! again resumes from a known row through the index instead of walking an `OFFSET` past
//! every earlier row: a full import by startIndex costs O(n), not O(n²).
//!
//! A remembered position is used only while it is provably the row before the page:
//! nothing this process committed has added or removed users since (its change counter),
//! and the list's total is what it was (the count, kept by triggers, sees every process's
//! writes). Otherwise the page walks the offset as before. Users are listed by creation
//! time, so new users join the end and never move an earlier page.

use std::collections::HashMap;
use std::sync::Mutex;

use super::users::{list_scim_users, ListError};
use super::{Conn, Derived, ListQuery, Listed, ScimUser};
use crate::domain::{DirectoryId, OrgId};
use crate::scim::cursor::{Direction, Position, Seek};

/// Positions kept at most; past that the memory starts again (a few hundred bytes each).
const CAPACITY: usize = 4096;

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
struct PageKey {
    directory: DirectoryId,
    descending: bool,
    /// The 0-based index of the page's first row.
    offset: i64,
}

#[derive(Clone, Debug)]
struct Remembered {
    /// The row just before the page.
    before: Position,
    total: i64,
    changes: u64,
}

#[derive(Debug, Default)]
pub struct PagePositions {
    entries: Mutex<HashMap<PageKey, Remembered>>,
}

impl PagePositions {
    fn recall(&self, key: &PageKey, changes: u64) -> Option<Remembered> {
        let entries = self.entries.lock().ok()?;
        entries.get(key).filter(|r| r.changes == changes).cloned()
    }

    fn remember(&self, key: PageKey, remembered: Remembered) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(key, remembered);
    }
}

/// The positions and this process's user-change counter as the request began.
pub struct PageMemo<'a> {
    pub(super) positions: &'a PagePositions,
    pub(super) changes: u64,
}

/// [`list_scim_users`], resuming an unfiltered `startIndex` page from a remembered row
/// when it can; the same rows and total as walking the offset.
pub async fn list_scim_users_paged(
    conn: &mut Conn,
    memo: PageMemo<'_>,
    directory: DirectoryId,
    viewer_org: OrgId,
    query: &ListQuery<'_>,
    derived: Derived,
) -> Result<Listed<ScimUser>, ListError> {
    let walks_offset = query.filter.is_none()
        && query.sort_by.is_none()
        && query.seek.is_none()
        && query.offset > 0
        && query.limit > 0;
    if !walks_offset {
        return list_scim_users(conn, directory, viewer_org, query, derived).await;
    }
    let key = PageKey {
        directory,
        descending: query.descending,
        offset: query.offset,
    };
    if let Some(known) = memo.positions.recall(&key, memo.changes) {
        let seek = Seek {
            position: known.before,
            direction: Direction::After,
        };
        let resumed = ListQuery {
            offset: 0,
            seek: Some(&seek),
            ..query.clone()
        };
        let listed = list_scim_users(conn, directory, viewer_org, &resumed, derived).await?;
        if listed.total == known.total {
            remember_next(&memo, key, &listed);
            return Ok(listed);
        }
    }
    // One row earlier, so that the row before the page is known for the next time.
    let earlier = ListQuery {
        offset: query.offset - 1,
        limit: query.limit.saturating_add(1),
        ..query.clone()
    };
    let mut listed = list_scim_users(conn, directory, viewer_org, &earlier, derived).await?;
    if listed.rows.is_empty() {
        return Ok(listed);
    }
    let (before, _) = listed.rows.remove(0);
    memo.positions.remember(
        key,
        Remembered {
            before,
            total: listed.total,
            changes: memo.changes,
        },
    );
    remember_next(&memo, key, &listed);
    Ok(listed)
}

/// The page after `listed` starts after its last row.
fn remember_next(memo: &PageMemo<'_>, key: PageKey, listed: &Listed<ScimUser>) {
    let Some((last, _)) = listed.rows.last() else {
        return;
    };
    let shown = i64::try_from(listed.rows.len()).unwrap_or(i64::MAX);
    memo.positions.remember(
        PageKey {
            offset: key.offset.saturating_add(shown),
            ..key
        },
        Remembered {
            before: last.clone(),
            total: listed.total,
            changes: memo.changes,
        },
    );
}
