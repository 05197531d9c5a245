//! Security events out (RFC 9967 SETs, pushed per RFC 8935). A lifecycle change calls
//! [`record`] inside its own transaction, which writes one outbox row per receiver that
//! wants it: the change and its events commit or vanish together. The delivery worker
//! ([`delivery`]) signs and pushes them after the commit.
//!
//! An org without receivers pays nothing: the in-memory registry of which orgs have
//! receivers ([`crate::store::receiver_registry`]) lets [`record`] skip the statement, and
//! [`watch_receivers`] keeps that registry current.

pub mod delivery;
pub mod signing;

use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::domain::events::{lifecycle_events, EventMask, EventType, Operation, StatusMove};
use crate::domain::{AccountId, OrgId};
use crate::store::{self, AccountFanout, EventCandidate, Store, StoreResult, Tx};

/// How often the watcher reads the receiver epoch.
const POLL: Duration = Duration::from_millis(250);

/// The SCIM resource type a change is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResourceKind {
    User,
    Group,
}

impl ResourceKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Group => "Group",
        }
    }

    /// The endpoint of a resource type as the outbox stores it (`User`, `Group`), for
    /// `sub_id.uri`.
    pub fn endpoint(name: &str) -> &'static str {
        if name == "Group" {
            "Groups"
        } else {
            "Users"
        }
    }
}

/// What a change's events carry (RFC 9967 §2.2): `full` events the `data`, `notice` events
/// the `attributes`, both the resource's new `version` (ETag).
#[derive(Clone, Debug, Default)]
pub struct Content<'a> {
    pub version: Option<&'a str>,
    /// A create's resource, a PUT's body, a PATCH's request.
    pub data: Option<&'a Value>,
    pub attributes: Vec<String>,
}

/// One change of one SCIM resource of an org's directory.
#[derive(Clone, Debug)]
pub struct ResourceChange<'a> {
    pub org: OrgId,
    pub kind: ResourceKind,
    pub id: uuid::Uuid,
    pub external_id: Option<&'a str>,
    pub events: Vec<EventType>,
    pub content: Content<'a>,
}

impl<'a> ResourceChange<'a> {
    /// The events an operation on the resource produces (`domain::events`).
    pub fn new(
        org: OrgId,
        kind: ResourceKind,
        id: uuid::Uuid,
        external_id: Option<&'a str>,
        operation: Operation,
        status: Option<StatusMove>,
        content: Content<'a>,
    ) -> Self {
        let changed = !content.attributes.is_empty();
        Self {
            org,
            kind,
            id,
            external_id,
            events: lifecycle_events(Some(operation), changed, status),
            content,
        }
    }
}

/// An account's status change (or erasure), which every directory record of it shows, in
/// whichever org: `except` is a record a [`ResourceChange`] already reports.
#[derive(Clone, Copy, Debug)]
pub struct AccountChange {
    pub account: AccountId,
    pub except: Option<uuid::Uuid>,
    pub event: EventType,
}

/// A SET's `jti`: the same for every attempt to deliver one outbox row, different for every
/// row and receiver, so a receiver can drop a redelivery (RFC 8417 §2.2).
pub fn jti(receiver: uuid::Uuid, seq: i64) -> String {
    uuid::Uuid::new_v5(&receiver, seq.to_string().as_bytes())
        .simple()
        .to_string()
}

fn payload(event: EventType, content: &Content<'_>) -> Value {
    let mut body = Map::new();
    match event {
        EventType::CreateFull | EventType::PatchFull | EventType::PutFull => {
            body.insert("data".into(), content.data.cloned().unwrap_or(json!({})));
        }
        EventType::CreateNotice | EventType::PatchNotice | EventType::PutNotice => {
            body.insert("attributes".into(), json!(content.attributes));
        }
        // No payload attributes (RFC 9967 §2.4.4–2.4.6).
        EventType::Delete | EventType::Activate | EventType::Deactivate => return json!({}),
    }
    if let Some(version) = content.version {
        body.insert("version".into(), Value::String(version.to_owned()));
    }
    Value::Object(body)
}

fn payloads(events: &[EventType], content: &Content<'_>) -> Value {
    Value::Object(
        events
            .iter()
            .map(|e| (e.uri().to_owned(), payload(*e, content)))
            .collect(),
    )
}

/// Whether a receiver could want any event of a write to `org`'s resources (or, with
/// `fanout`, of an account status change, which reaches every org's records of the
/// account). When not, a write need not prepare its events: that work runs while the
/// write holds the database (on SQLite, the one writer).
pub fn may_be_wanted(store: &Store, org: OrgId, fanout: bool) -> bool {
    let fanout_mask = if fanout {
        EventMask::ANY
    } else {
        EventMask::default()
    };
    !store
        .receivers()
        .nothing_to_write(&[org], EventMask::ANY.0, fanout_mask.0)
}

/// Writes the SETs of one transaction's changes for every receiver that wants them, in the
/// caller's transaction: one statement, or none when no receiver can want them.
pub async fn record(
    tx: &mut Tx,
    store: &Store,
    changes: &[ResourceChange<'_>],
    accounts: &[AccountChange],
) -> StoreResult<()> {
    let changes: Vec<&ResourceChange<'_>> =
        changes.iter().filter(|c| !c.events.is_empty()).collect();
    if changes.is_empty() && accounts.is_empty() {
        return Ok(());
    }
    let orgs: Vec<OrgId> = changes.iter().map(|c| c.org).collect();
    let mask = changes
        .iter()
        .fold(0, |m, c| m | EventMask::of(&c.events).0);
    let fanout_mask = accounts.iter().fold(0, |m, a| m | a.event.bit());
    if store.receivers().nothing_to_write(&orgs, mask, fanout_mask) {
        return Ok(());
    }
    let bodies: Vec<Value> = changes
        .iter()
        .map(|c| payloads(&c.events, &c.content))
        .collect();
    let candidates: Vec<EventCandidate<'_>> = changes
        .iter()
        .zip(&bodies)
        .map(|(c, events)| EventCandidate {
            org_id: c.org,
            resource_type: c.kind.as_str(),
            resource_id: c.id,
            external_id: c.external_id,
            mask: EventMask::of(&c.events).0,
            events,
        })
        .collect();
    let account_bodies: Vec<Value> = accounts
        .iter()
        .map(|a| payloads(&[a.event], &Content::default()))
        .collect();
    let fanouts: Vec<AccountFanout<'_>> = accounts
        .iter()
        .zip(&account_bodies)
        .map(|(a, events)| AccountFanout {
            account_id: a.account,
            exclude: a.except,
            mask: a.event.bit(),
            events,
        })
        .collect();
    let txn = uuid::Uuid::new_v4().simple().to_string();
    store::insert_security_events(tx, &txn, store::now_micros(), &candidates, &fanouts).await?;
    Ok(())
}

/// Keeps the store's receiver registry current until the store is closed: reads the epoch
/// every [`POLL`] and reloads the subscriptions when it moved. Spawned once per server.
pub fn watch_receivers(store: Store) -> tokio::task::JoinHandle<()> {
    super::poll_until_closed(store, POLL, |store| async move {
        if let Err(err) = refresh(&store).await {
            tracing::warn!(error = %err, "cannot read the event receivers");
        }
    })
}

async fn refresh(store: &Store) -> StoreResult<()> {
    let mut conn = store.read().await?;
    // The epoch first: a receiver added between the two reads moves it again, so the next
    // poll reloads; never the other way round (subscriptions older than their epoch).
    let epoch = store::receiver_epoch(&mut conn).await?;
    if store.receivers().epoch() == Some(epoch) {
        store.receivers().confirm(epoch);
    } else {
        let masks = store::receiver_masks(&mut conn).await?;
        store.receivers().load(epoch, &masks);
    }
    Ok(())
}
