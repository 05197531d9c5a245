//! Security event receivers (RFC 8935 push endpoints an org configures) and their delivery
//! state: the lease that makes one process at a time deliver a receiver's queue in order,
//! and the backoff after a failure.

use super::db::{query, Conn, Time};
use super::db_types::{DbJson, DbTime, DbTimeOpt, DbUuid};
use super::StoreResult;
use crate::domain::OrgId;

/// A receiver as stored. `auth_header` is the secret value sent as `Authorization`: its
/// `Debug` leaves it out.
#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Receiver {
    #[sqlx(try_from = "DbUuid")]
    pub id: uuid::Uuid,
    #[sqlx(try_from = "DbUuid")]
    pub org_id: OrgId,
    pub url: String,
    pub audience: String,
    pub auth_header: Option<String>,
    /// The URIs as configured (a JSON array, in a text column).
    #[sqlx(try_from = "DbJson")]
    pub event_uris: Vec<String>,
    pub event_mask: i64,
    #[sqlx(try_from = "DbTime")]
    pub created_at: i64,
    #[sqlx(try_from = "DbTime")]
    pub next_attempt_at: i64,
    pub failures: i64,
    #[sqlx(try_from = "DbTimeOpt")]
    pub last_success_at: Option<i64>,
    pub last_error: Option<String>,
    #[sqlx(try_from = "DbTimeOpt")]
    pub last_error_at: Option<i64>,
}

super::debug_only!(Receiver {
    id,
    org_id,
    event_mask
});

const COLUMNS: &str = "id, org_id, url, audience, auth_header, event_uris, event_mask, \
    created_at, next_attempt_at, failures, last_success_at, last_error, last_error_at";

pub async fn insert_receiver(conn: &mut Conn, r: &Receiver) -> StoreResult<()> {
    let uris = serde_json::Value::from(r.event_uris.clone()).to_string();
    query(
        "INSERT INTO event_receivers (id, org_id, url, audience, auth_header, event_uris, \
         event_mask, created_at, next_attempt_at, failures) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, 0)",
    )
    .bind(r.id)
    .bind(r.org_id)
    .bind(r.url.as_str())
    .bind(r.audience.as_str())
    .bind(r.auth_header.as_deref())
    .bind(uris)
    .bind(r.event_mask)
    .bind(Time(r.created_at))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn list_receivers(conn: &mut Conn, org: OrgId) -> StoreResult<Vec<Receiver>> {
    let sql =
        format!("SELECT {COLUMNS} FROM event_receivers WHERE org_id = $1 ORDER BY created_at, id");
    Ok(query(&sql).bind(org).fetch_all(conn).await?)
}

pub async fn get_receiver(conn: &mut Conn, id: uuid::Uuid) -> StoreResult<Option<Receiver>> {
    let sql = format!("SELECT {COLUMNS} FROM event_receivers WHERE id = $1");
    Ok(query(&sql).bind(id).fetch_optional(conn).await?)
}

/// Deletes a receiver of `org` and its queue; false if the org has no such receiver.
pub async fn delete_receiver(conn: &mut Conn, org: OrgId, id: uuid::Uuid) -> StoreResult<bool> {
    Ok(
        query("DELETE FROM event_receivers WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(org)
            .changed_one(conn)
            .await?,
    )
}

/// Every org's subscriptions, for the in-memory registry.
pub async fn receiver_masks(conn: &mut Conn) -> StoreResult<Vec<(OrgId, i64)>> {
    let rows: Vec<(DbUuid, i64)> = query("SELECT org_id, event_mask FROM event_receivers")
        .fetch_all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(org, mask)| (org.into(), mask))
        .collect())
}

pub async fn receiver_epoch(conn: &mut Conn) -> StoreResult<i64> {
    Ok(query("SELECT epoch FROM event_receiver_epoch WHERE id = 1")
        .scalar(conn)
        .await?)
}

/// Receivers with events waiting whose backoff has passed and whom no live lease holds.
pub async fn due_receivers(conn: &mut Conn, now: i64, limit: i64) -> StoreResult<Vec<uuid::Uuid>> {
    Ok(query(
        "SELECT r.id FROM event_receivers r WHERE r.next_attempt_at <= $1 \
         AND (r.lease_expires_at IS NULL OR r.lease_expires_at < $1) \
         AND EXISTS (SELECT 1 FROM security_events e \
                     WHERE e.receiver_id = r.id AND e.state = 'pending') \
         ORDER BY r.next_attempt_at, r.id LIMIT $2",
    )
    .bind(Time(now))
    .bind(limit)
    .ids(conn)
    .await?)
}

/// Takes (or renews) the receiver's lease for `owner` until `until`. Only one process wins
/// an expired or free lease; the holder renews its own.
pub async fn lease_receiver(
    conn: &mut Conn,
    id: uuid::Uuid,
    owner: &str,
    now: i64,
    until: i64,
) -> StoreResult<bool> {
    Ok(query(
        "UPDATE event_receivers SET lease_owner = $2, lease_expires_at = $4 WHERE id = $1 \
         AND (lease_owner = $2 OR lease_expires_at IS NULL OR lease_expires_at < $3)",
    )
    .bind(id)
    .bind(owner)
    .bind(Time(now))
    .bind(Time(until))
    .changed_one(conn)
    .await?)
}

/// Frees every lease: for a database only one server delivers from (SQLite), whose leases
/// left by a crash would otherwise hold its queues until they expire.
pub async fn release_all_receivers(conn: &mut Conn) -> StoreResult<u64> {
    Ok(query(
        "UPDATE event_receivers SET lease_owner = NULL, lease_expires_at = NULL \
         WHERE lease_owner IS NOT NULL",
    )
    .execute(conn)
    .await?)
}

/// Gives the lease up, so another process (or this one, restarted) can deliver at once.
pub async fn release_receiver(conn: &mut Conn, id: uuid::Uuid, owner: &str) -> StoreResult<()> {
    query(
        "UPDATE event_receivers SET lease_owner = NULL, lease_expires_at = NULL \
         WHERE id = $1 AND lease_owner = $2",
    )
    .bind(id)
    .bind(owner)
    .execute(conn)
    .await?;
    Ok(())
}

/// A delivery succeeded: the backoff starts over.
pub async fn receiver_succeeded(conn: &mut Conn, id: uuid::Uuid, at: i64) -> StoreResult<()> {
    query(
        "UPDATE event_receivers SET failures = 0, last_success_at = $2, next_attempt_at = $2 \
         WHERE id = $1",
    )
    .bind(id)
    .bind(Time(at))
    .execute(conn)
    .await?;
    Ok(())
}

/// A delivery failed (or was refused): the error is kept; with `retry_at` the whole queue
/// waits until then, and the lease is given up.
pub async fn receiver_failed(
    conn: &mut Conn,
    id: uuid::Uuid,
    error: &str,
    at: i64,
    retry_at: Option<i64>,
) -> StoreResult<()> {
    match retry_at {
        Some(retry_at) => query(
            "UPDATE event_receivers SET failures = failures + 1, last_error = $2, \
             last_error_at = $3, next_attempt_at = $4, lease_owner = NULL, \
             lease_expires_at = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(error)
        .bind(Time(at))
        .bind(Time(retry_at)),
        None => {
            query("UPDATE event_receivers SET last_error = $2, last_error_at = $3 WHERE id = $1")
                .bind(id)
                .bind(error)
                .bind(Time(at))
        }
    }
    .execute(conn)
    .await?;
    Ok(())
}
