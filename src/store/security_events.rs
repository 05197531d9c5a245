//! The security event outbox: one row per SET to deliver to one receiver, written in the
//! transaction of the change it describes, and the key SETs are signed with.

use super::db::{query, Conn, IntoParam, Param, Time};
use super::db_types::{DbJson, DbTime, DbTimeOpt, DbUuid};
use super::filter_sql::SqlParams;
use super::sql_params::owned_rows;
use super::StoreResult;
use crate::domain::{AccountId, OrgId};

/// A change of one SCIM resource, to be written for every receiver of `org_id` whose
/// subscription overlaps `mask`.
#[derive(Clone, Debug)]
pub struct EventCandidate<'a> {
    pub org_id: OrgId,
    /// `User` or `Group`.
    pub resource_type: &'static str,
    pub resource_id: uuid::Uuid,
    pub external_id: Option<&'a str>,
    pub mask: i64,
    /// Every form of the change's events, by URI.
    pub events: &'a serde_json::Value,
}

/// A change of an account that every directory record of it shows (its status): written
/// for each record, for every receiver of the record's org whose subscription overlaps
/// `mask`. `exclude` is a record a candidate already covers.
#[derive(Clone, Debug)]
pub struct AccountFanout<'a> {
    pub account_id: AccountId,
    pub exclude: Option<uuid::Uuid>,
    pub mask: i64,
    pub events: &'a serde_json::Value,
}

/// Writes the SETs of one change, in order, in one statement; the number written. Receivers
/// are matched inside the statement, so a receiver deleted meanwhile gets nothing and one
/// added before this transaction gets its events.
pub async fn insert_security_events(
    conn: &mut Conn,
    txn: &str,
    at: i64,
    candidates: &[EventCandidate<'_>],
    fanouts: &[AccountFanout<'_>],
) -> StoreResult<u64> {
    let mut p = SqlParams::default();
    let txn = p.text(txn);
    let at = p.time(at);
    let mut branches = Vec::new();
    for c in candidates {
        branches.push(format!(
            "SELECT {ord} AS ord, r.id AS receiver_id, {rt} AS resource_type, {rid} AS resource_id, \
             {ext} AS external_id, {ev} AS events FROM event_receivers r \
             WHERE r.org_id = {org} AND (r.event_mask & {mask}) <> 0",
            ord = branches.len(),
            rt = p.text(c.resource_type),
            rid = p.uuid(c.resource_id),
            ext = p.push(match c.external_id {
                Some(e) => Param::Text(e.to_owned()),
                None => Param::NullText,
            }),
            ev = p.push(Param::Json(c.events.to_string())),
            org = p.uuid(c.org_id.as_uuid()),
            mask = p.int(c.mask),
        ));
    }
    for f in fanouts {
        let exclude = match f.exclude {
            Some(id) => format!(" AND du.id <> {}", p.uuid(id)),
            None => String::new(),
        };
        branches.push(format!(
            "SELECT {ord} AS ord, r.id AS receiver_id, 'User' AS resource_type, \
             du.id AS resource_id, du.external_id AS external_id, {ev} AS events \
             FROM directory_users du JOIN directories d ON d.id = du.directory_id \
             JOIN event_receivers r ON r.org_id = d.org_id AND (r.event_mask & {mask}) <> 0 \
             WHERE du.account_id = {account}{exclude}",
            ord = branches.len(),
            ev = p.push(Param::Json(f.events.to_string())),
            mask = p.int(f.mask),
            account = p.uuid(f.account_id.as_uuid()),
        ));
    }
    if branches.is_empty() {
        return Ok(0);
    }
    let sql = format!(
        "INSERT INTO security_events (receiver_id, txn, resource_type, resource_id, \
         external_id, events, state, attempts, created_at) \
         SELECT x.receiver_id, {txn}, x.resource_type, x.resource_id, x.external_id, x.events, \
         'pending', 0, {at} FROM ({}) x ORDER BY x.ord, x.receiver_id, x.resource_id",
        branches.join(" UNION ALL ")
    );
    Ok(p.query(&sql).execute(conn).await?)
}

/// One SET waiting, or delivered, or refused.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct SecurityEvent {
    pub seq: i64,
    #[sqlx(try_from = "DbUuid")]
    pub receiver_id: uuid::Uuid,
    pub txn: String,
    pub resource_type: String,
    #[sqlx(try_from = "DbUuid")]
    pub resource_id: uuid::Uuid,
    pub external_id: Option<String>,
    #[sqlx(try_from = "DbJson")]
    pub events: serde_json::Map<String, serde_json::Value>,
    /// `pending`, `delivered` or `rejected`.
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    #[sqlx(try_from = "DbTime")]
    pub created_at: i64,
    #[sqlx(try_from = "DbTimeOpt")]
    pub delivered_at: Option<i64>,
}

const EVENT_COLUMNS: &str = "seq, receiver_id, txn, resource_type, resource_id, external_id, \
    events, state, attempts, last_error, created_at, delivered_at";

/// A receiver's waiting SETs, oldest first: the order they are delivered in.
pub async fn pending_events(
    conn: &mut Conn,
    receiver: uuid::Uuid,
    limit: i64,
) -> StoreResult<Vec<SecurityEvent>> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM security_events WHERE receiver_id = $1 \
         AND state = 'pending' ORDER BY seq LIMIT $2"
    );
    Ok(query(&sql)
        .bind(receiver)
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

/// A receiver's SETs, newest first, optionally in one state.
pub async fn list_receiver_events(
    conn: &mut Conn,
    receiver: uuid::Uuid,
    state: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<SecurityEvent>> {
    let select = format!("SELECT {EVENT_COLUMNS} FROM security_events");
    let only = state.map(|state| ("state", state.into_param()));
    let receiver = ("receiver_id", receiver.into_param());
    owned_rows(conn, &select, receiver, only, "seq DESC", limit).await
}

/// How many SETs each receiver of `org` has in each state.
pub async fn receiver_event_counts(
    conn: &mut Conn,
    org: OrgId,
) -> StoreResult<Vec<(uuid::Uuid, String, i64)>> {
    let rows: Vec<(DbUuid, String, i64)> = query(
        "SELECT e.receiver_id, e.state, COUNT(*) AS n FROM security_events e \
         JOIN event_receivers r ON r.id = e.receiver_id WHERE r.org_id = $1 \
         GROUP BY e.receiver_id, e.state",
    )
    .bind(org)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(receiver, state, n)| (receiver.into(), state, n))
        .collect())
}

/// Records one attempt's outcome: `delivered`, `rejected` (for good), or still `pending`.
pub async fn event_attempted(
    conn: &mut Conn,
    seq: i64,
    state: &str,
    error: Option<&str>,
    at: i64,
) -> StoreResult<()> {
    query(
        "UPDATE security_events SET state = $2, attempts = attempts + 1, last_error = $3, \
         delivered_at = CASE WHEN $2 = 'delivered' THEN $4 ELSE delivered_at END WHERE seq = $1",
    )
    .bind(seq)
    .bind(state)
    .bind(error)
    .bind(Time(at))
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets delivered and refused SETs recorded before `before`; pending ones stay.
pub async fn prune_security_events(conn: &mut Conn, before: i64) -> StoreResult<u64> {
    Ok(
        query("DELETE FROM security_events WHERE state <> 'pending' AND created_at < $1")
            .bind(Time(before))
            .execute(conn)
            .await?,
    )
}

/// A SET signing key: its private half as base64 PKCS#8 DER. `Debug` leaves it out.
#[derive(Clone, PartialEq, Eq)]
pub struct SetSigningKey {
    pub kid: String,
    pub alg: String,
    pub private_key: String,
    pub created_at: i64,
}

super::debug_only!(SetSigningKey { kid, alg });

pub async fn list_set_signing_keys(conn: &mut Conn) -> StoreResult<Vec<SetSigningKey>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        kid: String,
        alg: String,
        private_key: String,
        #[sqlx(try_from = "DbTime")]
        created_at: i64,
    }
    let rows: Vec<Row> = query(
        "SELECT kid, alg, private_key, created_at FROM set_signing_keys ORDER BY created_at, kid",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SetSigningKey {
            kid: r.kid,
            alg: r.alg,
            private_key: r.private_key,
            created_at: r.created_at,
        })
        .collect())
}

/// Stores a key unless one with its kid exists (two processes starting at once).
pub async fn insert_set_signing_key(conn: &mut Conn, key: &SetSigningKey) -> StoreResult<()> {
    query(
        "INSERT INTO set_signing_keys (kid, alg, private_key, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING",
    )
    .bind(key.kid.as_str())
    .bind(key.alg.as_str())
    .bind(key.private_key.as_str())
    .bind(Time(key.created_at))
    .execute(conn)
    .await?;
    Ok(())
}
