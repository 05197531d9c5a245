//! Cursor pagination (RFC 9865) beside index pagination: a walk of the whole directory by
//! cursor, and a page of 100 near the end of the seeded users by `startIndex` and by
//! cursor. A keyset page seeks its position on the index; an offset walks past every row
//! before it.

use std::time::Instant;

use serde_json::Value;

use crate::server::Server;
use crate::{measure, wanted, Context, Scim};

/// Everything the rows need.
pub struct Paging<'a> {
    pub server: &'a Server,
    pub scim: Scim,
    /// Seeded users; the deep pages start at `users - 100`.
    pub users: usize,
    pub requests: usize,
    pub concurrency: usize,
}

async fn get(p: &Paging<'_>, query: &str) -> Value {
    let (status, page) = p.scim.fetch(p.scim.get(&format!("/Users?{query}"))).await;
    assert_eq!(status, 200, "GET /Users?{query}");
    page
}

/// Walks the directory by cursor (1,000 per page), printing the walk's time, and returns
/// the cursor that resumes after the first `deep` users; `None` from a server that does
/// not page by cursor (a version before RFC 9865 support ignores the parameter).
async fn walk(p: &Paging<'_>, deep: usize) -> Option<String> {
    let started = Instant::now();
    let (mut seen, mut pages, mut cursor, mut deep_cursor) = (0, 0, String::new(), None);
    loop {
        // A page that would pass the deep position stops there, so a cursor resumes there
        // (a cursor is bound to the query, not to `count`).
        let count = if seen < deep {
            (deep - seen).min(1000)
        } else {
            1000
        };
        let body = get(p, &format!("count={count}&cursor={cursor}")).await;
        seen += body["Resources"].as_array().map_or(0, Vec::len);
        pages += 1;
        let Some(next) = body["nextCursor"].as_str() else {
            break;
        };
        cursor = next.to_owned();
        if seen == deep {
            deep_cursor = Some(cursor.clone());
        }
    }
    if deep_cursor.is_none() {
        println!(
            "{:<30} no cursor paging on this server",
            "walk by cursor (1000/page)"
        );
        return None;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{:<30} {pages:>6} pages, {seen} users in {elapsed:.1} s ({:.0} users/s, one client)",
        "walk by cursor (1000/page)",
        seen as f64 / elapsed
    );
    deep_cursor
}

pub async fn run(p: Paging<'_>, context: &Context) {
    let deep = p.users.saturating_sub(100).max(1);
    let rows = ["page of 100 @", "walk by cursor"];
    if !rows.iter().any(|row| wanted(row)) {
        return;
    }
    let deep_cursor = walk(&p, deep).await;
    let pages = p.requests.min(500);
    let by_cursor = deep_cursor.is_some();
    let deep_cursor = deep_cursor.unwrap_or_default();
    for (label, query) in [
        (
            "page of 100 @1 startIndex".to_owned(),
            "startIndex=1&count=100".to_owned(),
        ),
        (
            "page of 100 @1 cursor".to_owned(),
            "cursor=&count=100".to_owned(),
        ),
        (
            format!("page of 100 @{deep} startIndex"),
            format!("startIndex={}&count=100", deep + 1),
        ),
        (
            format!("page of 100 @{deep} cursor"),
            format!("cursor={deep_cursor}&count=100"),
        ),
    ] {
        if label.ends_with("cursor") && !by_cursor {
            continue;
        }
        let s = p.scim.clone();
        measure(p.server, label, pages, p.concurrency, 200, move |_| {
            s.get(&format!("/Users?{query}"))
        })
        .await
        .print(context);
    }
}
