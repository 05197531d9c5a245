//! How many statements a request runs: each text counts as many as it holds, so that a
//! request's statement budget can be measured and enforced (the `Scimd-Statements` header,
//! tests/api/budget.rs) and the benchmark can report statements per request.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

tokio::task_local! {
    static STATEMENTS: Cell<u32>;
}

static TOTAL_STATEMENTS: AtomicU64 = AtomicU64::new(0);

/// Runs `fut` counting the statements it executes (transaction control excluded).
pub async fn counting<F: std::future::Future>(fut: F) -> (F::Output, u32) {
    STATEMENTS
        .scope(Cell::new(0), async move {
            let out = fut.await;
            (out, STATEMENTS.with(Cell::get))
        })
        .await
}

/// Adds statements another task ran for the request to its count.
pub(super) fn count_for_request(statements: u32) {
    let _ = STATEMENTS.try_with(|c| c.set(c.get().saturating_add(statements)));
}

/// Statements executed by this process so far, for the benchmark's statements per request.
pub fn total_statements() -> u64 {
    TOTAL_STATEMENTS.load(Ordering::Relaxed)
}

/// Counts the statements of one text: scimd sends several in one only on SQLite,
/// separated by `;` (values are always bound, so no `;` stands inside a literal).
pub(super) fn count_statements(sql: &str) {
    let more = sql.trim_end().trim_end_matches(';').matches(';').count();
    let n = 1 + u32::try_from(more).unwrap_or(u32::MAX - 1);
    TOTAL_STATEMENTS.fetch_add(u64::from(n), Ordering::Relaxed);
    let _ = STATEMENTS.try_with(|c| c.set(c.get().saturating_add(n)));
}
