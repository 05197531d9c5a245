//! How many statements a request runs: each text counts as many as it holds, so that a
//! request's statement budget can be measured and enforced (the `Scimd-Statements` header,
//! tests/api/budget.rs) and the benchmark can report statements per request.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

/// What a request ran.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// SQL statements, transaction control excluded.
    pub statements: u32,
    /// Transactions held open across statements: a PostgreSQL `BEGIN`, or SQLite's writer
    /// taken for a transaction's statements one by one. A write that goes in one text (a
    /// PostgreSQL statement that commits alone, a text queued for SQLite's writer) opens
    /// none.
    pub transactions: u32,
}

tokio::task_local! {
    static COUNTS: Cell<Counts>;
}

static TOTAL_STATEMENTS: AtomicU64 = AtomicU64::new(0);

/// Runs `fut` counting the statements and transactions it runs.
pub async fn counting<F: std::future::Future>(fut: F) -> (F::Output, Counts) {
    COUNTS
        .scope(Cell::new(Counts::default()), async move {
            let out = fut.await;
            (out, COUNTS.with(Cell::get))
        })
        .await
}

fn add(more: Counts) {
    let _ = COUNTS.try_with(|c| {
        let now = c.get();
        c.set(Counts {
            statements: now.statements.saturating_add(more.statements),
            transactions: now.transactions.saturating_add(more.transactions),
        })
    });
}

/// Adds what another task ran for the request to its count.
pub(super) fn count_for_request(counts: Counts) {
    add(counts);
}

/// Counts a transaction held open across statements.
pub(super) fn count_transaction() {
    add(Counts {
        statements: 0,
        transactions: 1,
    });
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
    add(Counts {
        statements: n,
        transactions: 0,
    });
}
