//! An org's security event receivers (RFC 8935 push endpoints for RFC 9967 SETs) and their
//! delivery state. Org admins only; another org's receivers are not found.

use crate::domain::audit::AuditAction;
use serde::Serialize;
use serde_json::json;

use super::views::timestamp;
use super::{audit_org, invalid, not_found, of_org, AdminActor, AdminResult};
use crate::domain::events::{subscription, EventMask};
use crate::domain::{authorize_org_admin, OrgId};
use crate::service::events::jti;
use crate::store::{self, Receiver, SecurityEvent, Store};

const MAX_URL_LEN: usize = 2048;
const MAX_AUTHORIZATION_LEN: usize = 4096;

/// What an org admin asks for.
#[derive(Clone, Default)]
pub struct NewReceiver {
    pub url: String,
    /// Sent as the `Authorization` header of every push; kept, never shown in full.
    pub authorization: Option<String>,
    /// Event URIs (RFC 9967 §7.4).
    pub events: Vec<String>,
    /// The SETs' `aud`; the URL when not given.
    pub audience: Option<String>,
}

crate::store::debug_only!(NewReceiver { events });

/// How delivery to a receiver stands.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct DeliveryState {
    /// SETs waiting, in order; the first is retried at `next_attempt_at` when it failed.
    pub pending: i64,
    pub delivered: i64,
    /// Refused for good by the receiver (a 400 with an RFC 8935 error).
    pub rejected: i64,
    pub last_success_at: Option<String>,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
    /// Failed attempts since the last success; each doubles the wait, up to 5 minutes.
    pub consecutive_failures: i64,
    pub next_attempt_at: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReceiverView {
    pub id: uuid::Uuid,
    pub org_id: OrgId,
    pub url: String,
    pub audience: String,
    pub events: Vec<String>,
    /// The header's scheme only (`Bearer …`), or null when none is sent.
    pub authorization: Option<String>,
    pub created_at: String,
    pub delivery: DeliveryState,
}

/// One SET as the admin API shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct EventView {
    pub seq: i64,
    pub jti: String,
    pub txn: String,
    /// `pending`, `delivered` or `rejected`.
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    /// The SET's `sub_id.uri`.
    pub subject: String,
    /// The event URIs the SET carries for this receiver.
    pub events: Vec<String>,
    pub created_at: String,
    pub delivered_at: Option<String>,
}

/// Only the scheme (`Bearer`, `Basic`), so an admin can tell what kind of credential is
/// set; a value whose first word does not look like a scheme may be all secret.
fn hint(authorization: Option<&str>) -> Option<String> {
    authorization.map(|value| match value.split_once(' ') {
        Some((scheme, _))
            if (1..=16).contains(&scheme.len())
                && scheme.chars().all(|c| c.is_ascii_alphabetic() || c == '-') =>
        {
            format!("{scheme} …")
        }
        _ => "…".to_owned(),
    })
}

fn view(receiver: &Receiver, counts: &[(uuid::Uuid, String, i64)], now: i64) -> ReceiverView {
    let count = |state: &str| {
        counts
            .iter()
            .filter(|(id, s, _)| *id == receiver.id && s == state)
            .map(|(_, _, n)| *n)
            .sum()
    };
    let pending = count("pending");
    ReceiverView {
        id: receiver.id,
        org_id: receiver.org_id,
        url: receiver.url.clone(),
        audience: receiver.audience.clone(),
        events: receiver.event_uris.clone(),
        authorization: hint(receiver.auth_header.as_deref()),
        created_at: timestamp(receiver.created_at),
        delivery: DeliveryState {
            pending,
            delivered: count("delivered"),
            rejected: count("rejected"),
            last_success_at: receiver.last_success_at.map(timestamp),
            last_error: receiver.last_error.clone(),
            last_error_at: receiver.last_error_at.map(timestamp),
            consecutive_failures: receiver.failures,
            next_attempt_at: (pending > 0 && receiver.next_attempt_at > now)
                .then(|| timestamp(receiver.next_attempt_at)),
        },
    }
}

fn event_view(receiver: &Receiver, event: &SecurityEvent) -> EventView {
    let mask = EventMask(receiver.event_mask);
    EventView {
        seq: event.seq,
        jti: jti(receiver.id, event.seq),
        txn: event.txn.clone(),
        state: event.state.clone(),
        attempts: event.attempts,
        last_error: event.last_error.clone(),
        subject: format!(
            "/{}/{}",
            crate::service::events::ResourceKind::endpoint(&event.resource_type),
            event.resource_id
        ),
        events: event
            .events
            .keys()
            .filter(|uri| {
                crate::domain::events::EventType::from_uri(uri).is_some_and(|e| mask.contains(e))
            })
            .cloned()
            .collect(),
        created_at: timestamp(event.created_at),
        delivered_at: event.delivered_at.map(timestamp),
    }
}

/// An http(s) URL with a host and no credentials in it (they belong in `authorization`).
fn check_url(url: &str) -> AdminResult<()> {
    if url.chars().count() > MAX_URL_LEN {
        return Err(invalid(format!(
            "url is longer than {MAX_URL_LEN} characters"
        )));
    }
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| invalid(format!("url is not an absolute URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("url must be an http or https URL (RFC 8935 push)"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid("url must name a host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid(
            "url must not hold credentials: send them as `authorization`",
        ));
    }
    Ok(())
}

fn check_authorization(value: Option<&str>) -> AdminResult<()> {
    let Some(value) = value else { return Ok(()) };
    let printable = value.chars().all(|c| c == ' ' || c.is_ascii_graphic());
    if value.trim().is_empty() || value.len() > MAX_AUTHORIZATION_LEN || !printable {
        return Err(invalid(format!(
            "authorization must be a header value of 1 to {MAX_AUTHORIZATION_LEN} printable ASCII characters"
        )));
    }
    Ok(())
}

pub async fn create(
    store: &Store,
    who: &AdminActor,
    org: OrgId,
    request: NewReceiver,
) -> AdminResult<ReceiverView> {
    let authority = authorize_org_admin(who.actor(), org)?;
    let url = request.url.trim().to_owned();
    check_url(&url)?;
    check_authorization(request.authorization.as_deref())?;
    let mask = subscription(&request.events).map_err(|e| invalid(e.to_string()))?;
    let audience = request
        .audience
        .map_or_else(|| url.clone(), |a| a.trim().to_owned());
    if audience.is_empty() || audience.chars().count() > MAX_URL_LEN {
        return Err(invalid(format!(
            "audience must be 1 to {MAX_URL_LEN} characters"
        )));
    }
    let now = store::now_micros();
    let receiver = Receiver {
        id: uuid::Uuid::new_v4(),
        org_id: authority.org(),
        url,
        audience,
        auth_header: request.authorization,
        // As the registry spells them, whatever case they were sent in.
        event_uris: mask.events().iter().map(|e| e.uri().to_owned()).collect(),
        event_mask: mask.0,
        created_at: now,
        next_attempt_at: now,
        failures: 0,
        last_success_at: None,
        last_error: None,
        last_error_at: None,
    };
    let mut tx = store.begin().await?;
    store::insert_receiver(&mut tx, &receiver).await?;
    let detail = json!({ "receiver_id": receiver.id, "events": receiver.event_uris });
    audit_org(&mut tx, who, org, AuditAction::EventReceiverCreated, detail).await?;
    tx.commit().await?;
    // This process must not skip the new receiver's events until its watcher reloads.
    store.receivers().invalidate();
    Ok(view(&receiver, &[], now))
}

pub async fn list(store: &Store, who: &AdminActor, org: OrgId) -> AdminResult<Vec<ReceiverView>> {
    let authority = authorize_org_admin(who.actor(), org)?;
    let mut conn = store.read().await?;
    let receivers = store::list_receivers(&mut conn, authority.org()).await?;
    let counts = store::receiver_event_counts(&mut conn, authority.org()).await?;
    let now = store::now_micros();
    Ok(receivers.iter().map(|r| view(r, &counts, now)).collect())
}

async fn own(conn: &mut store::Conn, org: OrgId, id: uuid::Uuid) -> AdminResult<Receiver> {
    of_org(store::get_receiver(conn, id).await?, org, "event receiver")
}

pub async fn get(
    store: &Store,
    who: &AdminActor,
    org: OrgId,
    id: uuid::Uuid,
) -> AdminResult<ReceiverView> {
    let authority = authorize_org_admin(who.actor(), org)?;
    let mut conn = store.read().await?;
    let receiver = own(&mut conn, authority.org(), id).await?;
    let counts = store::receiver_event_counts(&mut conn, authority.org()).await?;
    Ok(view(&receiver, &counts, store::now_micros()))
}

/// Deletes the receiver and every SET still waiting for it.
pub async fn delete(
    store: &Store,
    who: &AdminActor,
    org: OrgId,
    id: uuid::Uuid,
) -> AdminResult<()> {
    let authority = authorize_org_admin(who.actor(), org)?;
    let mut tx = store.begin().await?;
    if !store::delete_receiver(&mut tx, authority.org(), id).await? {
        return Err(not_found("event receiver"));
    }
    let detail = json!({ "receiver_id": id });
    audit_org(&mut tx, who, org, AuditAction::EventReceiverDeleted, detail).await?;
    tx.commit().await?;
    store.receivers().invalidate();
    Ok(())
}

/// A receiver's SETs, newest first, optionally in one state.
pub async fn events(
    store: &Store,
    who: &AdminActor,
    org: OrgId,
    id: uuid::Uuid,
    state: Option<&str>,
    limit: i64,
) -> AdminResult<Vec<EventView>> {
    let authority = authorize_org_admin(who.actor(), org)?;
    if let Some(state) = state {
        if !matches!(state, "pending" | "delivered" | "rejected") {
            return Err(invalid("state must be pending, delivered or rejected"));
        }
    }
    let mut conn = store.read().await?;
    let receiver = own(&mut conn, authority.org(), id).await?;
    let rows =
        store::list_receiver_events(&mut conn, receiver.id, state, limit.clamp(1, 500)).await?;
    Ok(rows.iter().map(|e| event_view(&receiver, e)).collect())
}

#[cfg(test)]
mod tests {
    use super::hint;

    #[test]
    fn only_a_scheme_is_shown() {
        assert_eq!(hint(Some("Bearer abc")).as_deref(), Some("Bearer …"));
        assert_eq!(hint(Some("sk_live_123 456")).as_deref(), Some("…"));
        assert_eq!(hint(Some("abc")).as_deref(), Some("…"));
        assert_eq!(hint(None), None);
    }
}
