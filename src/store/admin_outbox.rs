//! The email outbox: rows written in the transaction that decides to send, delivered after
//! commit. A row never holds the address; delivery reads the account's current email.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::filter_sql::SqlParams;
use super::{parse_id, StoreResult};
use crate::domain::{AccountId, SiteId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxEmail {
    pub id: uuid::Uuid,
    /// `site_invitation`.
    pub kind: String,
    pub site_id: SiteId,
    pub account_id: AccountId,
    /// `queued`, `sending`, `sent`, `failed` or `cancelled`.
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

const COLUMNS: &str =
    "id, kind, site_id, account_id, status, attempts, last_error, created_at, sent_at";

fn outbox_row(row: &AnyRow) -> StoreResult<OutboxEmail> {
    Ok(OutboxEmail {
        id: parse_id(row.try_get::<&str, _>(0)?)?,
        kind: row.try_get(1)?,
        site_id: parse_id(row.try_get::<&str, _>(2)?)?,
        account_id: parse_id(row.try_get::<&str, _>(3)?)?,
        status: row.try_get(4)?,
        attempts: row.try_get(5)?,
        last_error: row.try_get(6)?,
        created_at: row.try_get(7)?,
        sent_at: row.try_get(8)?,
    })
}

pub async fn queue_email(
    conn: &mut AnyConnection,
    id: uuid::Uuid,
    kind: &str,
    site: SiteId,
    account: AccountId,
    at: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO email_outbox (id, kind, site_id, account_id, status, created_at) \
         VALUES ($1, $2, $3, $4, 'queued', $5)",
    )
    .bind(id.to_string())
    .bind(kind)
    .bind(site.to_string())
    .bind(account.to_string())
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A site's emails (optionally one account's), newest first.
pub async fn list_site_outbox(
    conn: &mut AnyConnection,
    site: SiteId,
    account: Option<AccountId>,
    limit: i64,
) -> StoreResult<Vec<OutboxEmail>> {
    let mut binds = SqlParams::default();
    let mut clause = format!("site_id = {}", binds.text(site.to_string()));
    if let Some(account) = account {
        clause.push_str(&format!(
            " AND account_id = {}",
            binds.text(account.to_string())
        ));
    }
    let limit = binds.int(limit);
    let sql = format!(
        "SELECT {COLUMNS} FROM email_outbox WHERE {clause} ORDER BY created_at DESC, id LIMIT {limit}"
    );
    let rows = binds.bind(sqlx::query(&sql)).fetch_all(conn).await?;
    rows.iter().map(outbox_row).collect()
}

/// Ids of emails waiting to be sent, oldest first. Rows left `sending` by a process that
/// died before `stale_before` are waiting again.
pub async fn pending_emails(
    conn: &mut AnyConnection,
    stale_before: i64,
    limit: i64,
) -> StoreResult<Vec<uuid::Uuid>> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM email_outbox WHERE status = 'queued' \
         OR (status = 'sending' AND claimed_at < $1) ORDER BY created_at, id LIMIT $2",
    )
    .bind(stale_before)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    ids.iter().map(|id| parse_id(id)).collect()
}

/// Claims one email for sending; only one process wins a row, so no email goes out twice
/// from a race between processes.
pub async fn claim_email(
    conn: &mut AnyConnection,
    id: uuid::Uuid,
    at: i64,
    stale_before: i64,
) -> StoreResult<Option<OutboxEmail>> {
    let claimed = sqlx::query(
        "UPDATE email_outbox SET status = 'sending', claimed_at = $2, attempts = attempts + 1 \
         WHERE id = $1 AND (status = 'queued' OR (status = 'sending' AND claimed_at < $3))",
    )
    .bind(id.to_string())
    .bind(at)
    .bind(stale_before)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if claimed != 1 {
        return Ok(None);
    }
    let sql = format!("SELECT {COLUMNS} FROM email_outbox WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id.to_string())
        .fetch_one(conn)
        .await?;
    outbox_row(&row).map(Some)
}

/// Records a delivery outcome: `sent`, back to `queued` for another attempt, or `failed`
/// (or `cancelled`) for good.
pub async fn finish_email(
    conn: &mut AnyConnection,
    id: uuid::Uuid,
    status: &str,
    error: Option<&str>,
    at: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE email_outbox SET status = $2, last_error = $3, \
         sent_at = CASE WHEN $2 = 'sent' THEN $4 ELSE sent_at END WHERE id = $1",
    )
    .bind(id.to_string())
    .bind(status)
    .bind(error)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}
