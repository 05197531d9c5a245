//! Security events (RFC 9967, the SCIM profile for Security Event Tokens): which events a
//! lifecycle change produces, and which subscriptions an org may configure for a receiver.
//!
//! Decisions where the RFC leaves a choice:
//! - A receiver subscribes to the `full` or the `notice` form of an operation, not both:
//!   one change then reaches it as one SET, whose `events` claim holds every subscribed
//!   event of that change (RFC 9967 §2.1: several event URIs in a SET arise from the same
//!   change).
//! - A status change is `prov:activate` or `prov:deactivate`, besides the `patch` or `put`
//!   that carried it; an account's status is global (rule 1), so every directory record of
//!   the account gets it, in whichever org the record is.
//! - A user created inactive is a `create` only: its data says `active: false`.

use std::fmt;

use super::AccountStatus;

/// The URI prefix of every SCIM event (RFC 9967 §2).
pub const EVENT_URI_PREFIX: &str = "urn:ietf:params:scim:event:";

/// An event scimd produces, with its registered URI (RFC 9967 §7.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    /// `prov:create:notice`: a resource was created; the attributes it was created with.
    CreateNotice,
    /// `prov:create:full`: a resource was created; its representation.
    CreateFull,
    /// `prov:patch:notice`: a PATCH changed these attributes.
    PatchNotice,
    /// `prov:patch:full`: a PATCH; its request.
    PatchFull,
    /// `prov:put:notice`: a PUT changed these attributes.
    PutNotice,
    /// `prov:put:full`: a PUT; its request body.
    PutFull,
    /// `prov:delete`: the resource is gone.
    Delete,
    /// `prov:activate`: the user's account may be used again.
    Activate,
    /// `prov:deactivate`: the user's account may no longer be used.
    Deactivate,
}

/// Every event type, in the order the documentation lists them.
pub const ALL_EVENTS: [EventType; 9] = [
    EventType::CreateNotice,
    EventType::CreateFull,
    EventType::PatchNotice,
    EventType::PatchFull,
    EventType::PutNotice,
    EventType::PutFull,
    EventType::Delete,
    EventType::Activate,
    EventType::Deactivate,
];

impl EventType {
    /// The registered URI.
    #[must_use]
    pub const fn uri(self) -> &'static str {
        match self {
            Self::CreateNotice => "urn:ietf:params:scim:event:prov:create:notice",
            Self::CreateFull => "urn:ietf:params:scim:event:prov:create:full",
            Self::PatchNotice => "urn:ietf:params:scim:event:prov:patch:notice",
            Self::PatchFull => "urn:ietf:params:scim:event:prov:patch:full",
            Self::PutNotice => "urn:ietf:params:scim:event:prov:put:notice",
            Self::PutFull => "urn:ietf:params:scim:event:prov:put:full",
            Self::Delete => "urn:ietf:params:scim:event:prov:delete",
            Self::Activate => "urn:ietf:params:scim:event:prov:activate",
            Self::Deactivate => "urn:ietf:params:scim:event:prov:deactivate",
        }
    }

    /// The event for a URI; URIs are compared ignoring case (RFC 8141 keeps the NID and
    /// scimd's registered names lower-case; several implementations send `SCIM`).
    #[must_use]
    pub fn from_uri(uri: &str) -> Option<Self> {
        ALL_EVENTS
            .into_iter()
            .find(|e| e.uri().eq_ignore_ascii_case(uri.trim()))
    }

    /// This event's bit in an [`EventMask`].
    #[must_use]
    pub const fn bit(self) -> i64 {
        1 << (self as u32)
    }

    /// The other form (`full` or `notice`) of the same operation, if it has one.
    const fn sibling(self) -> Option<Self> {
        match self {
            Self::CreateNotice => Some(Self::CreateFull),
            Self::CreateFull => Some(Self::CreateNotice),
            Self::PatchNotice => Some(Self::PatchFull),
            Self::PatchFull => Some(Self::PatchNotice),
            Self::PutNotice => Some(Self::PutFull),
            Self::PutFull => Some(Self::PutNotice),
            Self::Delete | Self::Activate | Self::Deactivate => None,
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.uri())
    }
}

/// A set of event types as bits, so that the database can match a change against every
/// receiver's subscription inside the statement that writes the outbox.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct EventMask(pub i64);

impl EventMask {
    /// Every event, known now or later.
    pub const ANY: Self = Self(-1);

    /// The mask of these events.
    #[must_use]
    pub fn of(events: &[EventType]) -> Self {
        Self(events.iter().fold(0, |mask, e| mask | e.bit()))
    }

    /// Whether the two masks share an event.
    #[must_use]
    pub const fn overlaps(self, other: Self) -> bool {
        self.0 & other.0 != 0
    }

    /// Whether `event` is in the mask.
    #[must_use]
    pub const fn contains(self, event: EventType) -> bool {
        self.0 & event.bit() != 0
    }

    /// The events in the mask, in [`ALL_EVENTS`] order.
    #[must_use]
    pub fn events(self) -> Vec<EventType> {
        ALL_EVENTS
            .into_iter()
            .filter(|e| self.contains(*e))
            .collect()
    }
}

/// Why a subscription cannot be configured.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SubscriptionError {
    /// No event at all: the receiver would never hear anything.
    #[error("`events` must name at least one event URI")]
    Empty,
    /// A URI that is not one of the events scimd produces.
    #[error("unknown event URI {0:?}; scimd produces the prov events of RFC 9967 §2.4")]
    Unknown(String),
    /// Both forms of one operation.
    #[error("{0} and {1} are two forms of one event; subscribe to one of them")]
    BothForms(EventType, EventType),
}

/// The events a receiver is sent: every URI known, no operation in both forms.
pub fn subscription(uris: &[String]) -> Result<EventMask, SubscriptionError> {
    let mut mask = EventMask::default();
    for uri in uris {
        let event =
            EventType::from_uri(uri).ok_or_else(|| SubscriptionError::Unknown(uri.clone()))?;
        if let Some(sibling) = event.sibling().filter(|s| mask.contains(*s)) {
            return Err(SubscriptionError::BothForms(sibling, event));
        }
        mask.0 |= event.bit();
    }
    if mask.0 == 0 {
        return Err(SubscriptionError::Empty);
    }
    Ok(mask)
}

/// The SCIM operation a change made, if it was one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// POST: the resource was created (or, for a user, an account linked as a new record).
    Create,
    /// PATCH.
    Patch,
    /// PUT.
    Put,
    /// DELETE, or erasure through the admin API.
    Delete,
}

/// How a user's account status moved, when it did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusMove {
    /// Deactivated to active.
    Activated,
    /// Active to deactivated.
    Deactivated,
}

impl StatusMove {
    /// How an account's status moved from `before` to `after`, if it did.
    #[must_use]
    pub const fn between(before: AccountStatus, after: AccountStatus) -> Option<Self> {
        match (before.is_active(), after.is_active()) {
            (false, true) => Some(Self::Activated),
            (true, false) => Some(Self::Deactivated),
            _ => None,
        }
    }

    /// The event that reports the move.
    #[must_use]
    pub const fn event(self) -> EventType {
        match self {
            Self::Activated => EventType::Activate,
            Self::Deactivated => EventType::Deactivate,
        }
    }
}

/// The events one change of one resource produces: the operation's two forms (the
/// receiver's subscription picks one) and the status event. A change that changed nothing
/// produces nothing.
#[must_use]
pub fn lifecycle_events(
    operation: Option<Operation>,
    changed_anything: bool,
    status: Option<StatusMove>,
) -> Vec<EventType> {
    let mut events = Vec::new();
    match operation {
        Some(Operation::Create) => events.extend([EventType::CreateNotice, EventType::CreateFull]),
        Some(Operation::Patch) if changed_anything => {
            events.extend([EventType::PatchNotice, EventType::PatchFull]);
        }
        Some(Operation::Put) if changed_anything => {
            events.extend([EventType::PutNotice, EventType::PutFull]);
        }
        Some(Operation::Delete) => events.push(EventType::Delete),
        Some(Operation::Patch | Operation::Put) | None => {}
    }
    // A created user's data already says whether it is active; a deleted one is gone.
    if !matches!(operation, Some(Operation::Create | Operation::Delete)) {
        events.extend(status.map(StatusMove::event));
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uris(events: &[EventType]) -> Vec<String> {
        events.iter().map(|e| e.uri().to_owned()).collect()
    }

    #[test]
    fn every_uri_round_trips_and_has_its_own_bit() {
        let mut seen = 0;
        for event in ALL_EVENTS {
            assert_eq!(EventType::from_uri(event.uri()), Some(event));
            assert!(event.uri().starts_with(EVENT_URI_PREFIX));
            assert_eq!(seen & event.bit(), 0);
            seen |= event.bit();
        }
        assert_eq!(
            EventType::from_uri("urn:ietf:params:SCIM:event:prov:delete"),
            Some(EventType::Delete)
        );
        assert_eq!(
            EventType::from_uri("urn:ietf:params:scim:event:feed:add"),
            None
        );
    }

    #[test]
    fn a_subscription_names_known_events_in_one_form_each() {
        let mask = subscription(&uris(&[EventType::PatchNotice, EventType::Deactivate]));
        assert_eq!(
            mask.map(EventMask::events),
            Ok(vec![EventType::PatchNotice, EventType::Deactivate])
        );
        assert_eq!(subscription(&[]), Err(SubscriptionError::Empty));
        assert_eq!(
            subscription(&["urn:example:nope".to_owned()]),
            Err(SubscriptionError::Unknown("urn:example:nope".into()))
        );
        assert_eq!(
            subscription(&uris(&[EventType::PutFull, EventType::PutNotice])),
            Err(SubscriptionError::BothForms(
                EventType::PutFull,
                EventType::PutNotice
            ))
        );
    }

    #[test]
    fn a_change_produces_its_operation_and_its_status_event() {
        use EventType::*;
        assert_eq!(
            lifecycle_events(Some(Operation::Create), true, Some(StatusMove::Deactivated)),
            vec![CreateNotice, CreateFull]
        );
        assert_eq!(
            lifecycle_events(Some(Operation::Patch), true, Some(StatusMove::Deactivated)),
            vec![PatchNotice, PatchFull, Deactivate]
        );
        assert_eq!(
            lifecycle_events(Some(Operation::Put), true, Some(StatusMove::Activated)),
            vec![PutNotice, PutFull, Activate]
        );
        assert_eq!(
            lifecycle_events(Some(Operation::Patch), false, None),
            vec![]
        );
        assert_eq!(
            lifecycle_events(Some(Operation::Delete), true, Some(StatusMove::Deactivated)),
            vec![Delete]
        );
        assert_eq!(
            lifecycle_events(None, true, Some(StatusMove::Activated)),
            vec![Activate]
        );
    }
}
