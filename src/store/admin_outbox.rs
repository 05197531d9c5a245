//! The email outbox: rows written in the transaction that decides to send, delivered after
//! commit. A row never holds the address; delivery reads the account's current email.

use super::db::{query, Conn, IntoParam, Time};
use crate::domain::audit::{OutboxKind, OutboxStatus};

use super::db_types::{DbTime, DbTimeOpt, DbUuid};
use super::sql_params::owned_rows;
use super::StoreResult;
use crate::domain::{AccountId, SiteId};

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxEmail {
    #[sqlx(try_from = "DbUuid")]
    pub id: uuid::Uuid,
    /// `site_invitation`.
    pub kind: String,
    #[sqlx(try_from = "DbUuid")]
    pub site_id: SiteId,
    #[sqlx(try_from = "DbUuid")]
    pub account_id: AccountId,
    /// `queued`, `sending`, `sent`, `failed` or `cancelled`.
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    #[sqlx(try_from = "DbTime")]
    pub created_at: i64,
    #[sqlx(try_from = "DbTimeOpt")]
    pub sent_at: Option<i64>,
}

const COLUMNS: &str =
    "id, kind, site_id, account_id, status, attempts, last_error, created_at, sent_at";

/// Queues an email of one kind to each of these accounts of a site, each row with an id of
/// its own: one statement per 200.
pub async fn queue_emails(
    conn: &mut Conn,
    kind: OutboxKind,
    site: SiteId,
    accounts: &[AccountId],
    at: i64,
) -> StoreResult<()> {
    for chunk in accounts.chunks(200) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, $1, $2, ${}, 'queued', $3)", 2 * i + 4, 2 * i + 5))
            .collect();
        let sql = format!(
            "INSERT INTO email_outbox (id, kind, site_id, account_id, status, created_at) \
             VALUES {}",
            rows.join(", ")
        );
        let mut statement = query(&sql).bind(kind.as_str()).bind(site).bind(Time(at));
        for account in chunk {
            statement = statement.bind(uuid::Uuid::new_v4()).bind(*account);
        }
        statement.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A site's emails (optionally one account's), newest first.
pub async fn list_site_outbox(
    conn: &mut Conn,
    site: SiteId,
    account: Option<AccountId>,
    limit: i64,
) -> StoreResult<Vec<OutboxEmail>> {
    let select = format!("SELECT {COLUMNS} FROM email_outbox");
    let only = account.map(|account| ("account_id", account.into_param()));
    let site = ("site_id", site.into_param());
    owned_rows(conn, &select, site, only, "created_at DESC, id", limit).await
}

/// Ids of emails waiting to be sent, oldest first. Rows left `sending` by a process that
/// died before `stale_before` are waiting again.
pub async fn pending_emails(
    conn: &mut Conn,
    stale_before: i64,
    limit: i64,
) -> StoreResult<Vec<uuid::Uuid>> {
    Ok(query(
        "SELECT id FROM email_outbox WHERE status = 'queued' \
         OR (status = 'sending' AND claimed_at < $1) ORDER BY created_at, id LIMIT $2",
    )
    .bind(Time(stale_before))
    .bind(limit)
    .ids(conn)
    .await?)
}

/// Claims the emails of `ids` that are still waiting (or whose claim went stale), in one
/// statement, in the order of `ids`; only one process wins a row, so no email goes out twice
/// from a race between processes.
pub async fn claim_emails(
    conn: &mut Conn,
    ids: &[uuid::Uuid],
    at: i64,
    stale_before: i64,
) -> StoreResult<Vec<OutboxEmail>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "UPDATE email_outbox SET status = 'sending', claimed_at = $1, attempts = attempts + 1 \
         WHERE id IN ({}) AND (status = 'queued' OR (status = 'sending' AND claimed_at < $2)) \
         RETURNING {COLUMNS}",
        super::db::placeholder_list(3, ids.len())
    );
    let mut claimed: Vec<OutboxEmail> = query(&sql)
        .bind(Time(at))
        .bind(Time(stale_before))
        .bind_each(ids.iter().copied())
        .fetch_all(conn)
        .await?;
    claimed.sort_by_key(|row| ids.iter().position(|id| *id == row.id));
    Ok(claimed)
}

/// Records a delivery outcome: `sent`, back to `queued` for another attempt, or `failed`
/// (or `cancelled`) for good.
pub async fn finish_email(
    conn: &mut Conn,
    id: uuid::Uuid,
    status: OutboxStatus,
    error: Option<&str>,
    at: i64,
) -> StoreResult<()> {
    query(
        "UPDATE email_outbox SET status = $2, last_error = $3, \
         sent_at = CASE WHEN $2 = 'sent' THEN $4 ELSE sent_at END WHERE id = $1",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(error)
    .bind(Time(at))
    .execute(conn)
    .await?;
    Ok(())
}
