//! Which orgs have security event receivers, and for which events, held in memory so that
//! a write in an org without receivers runs no outbox statement at all.
//!
//! The outbox statement matches receivers itself, so the registry only ever decides to
//! *skip* it, and only while it is current: a watcher (`service::events::watch_receivers`)
//! reloads it when the `event_receiver_epoch` row moves (a trigger moves it whenever a
//! receiver is added or removed, by any process), and an answer is trusted only while the
//! epoch was confirmed less than [`FRESH_FOR`] ago. A stale or never-loaded registry (the
//! CLI, a database that stopped answering) skips nothing. A receiver added in this process
//! makes it stale at once.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::domain::OrgId;

/// How long a confirmed epoch vouches for the registry.
pub const FRESH_FOR: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
struct State {
    /// Each org's receivers' subscriptions, or-ed together.
    orgs: HashMap<OrgId, i64>,
    /// Every receiver's subscription, or-ed together.
    any: i64,
    epoch: Option<i64>,
    confirmed_at: Option<Instant>,
}

#[derive(Debug, Default)]
pub struct ReceiverRegistry {
    state: RwLock<State>,
}

impl ReceiverRegistry {
    /// True when no receiver can want events of `mask` about the orgs' resources, nor
    /// events of `fanout_mask` about an account's records in any org: the outbox statement
    /// would write nothing.
    pub fn nothing_to_write(&self, orgs: &[OrgId], mask: i64, fanout_mask: i64) -> bool {
        let Ok(state) = self.state.read() else {
            return false;
        };
        if state
            .confirmed_at
            .is_none_or(|at| at.elapsed() >= FRESH_FOR)
        {
            return false;
        }
        let wanted_here = orgs
            .iter()
            .any(|org| state.orgs.get(org).is_some_and(|m| m & mask != 0));
        !wanted_here && state.any & fanout_mask == 0
    }

    /// The epoch last confirmed, to tell whether a reload is due.
    pub fn epoch(&self) -> Option<i64> {
        self.state.read().ok().and_then(|s| s.epoch)
    }

    /// Records that the epoch was read and still is `epoch`.
    pub fn confirm(&self, epoch: i64) {
        if let Ok(mut state) = self.state.write() {
            if state.epoch == Some(epoch) {
                state.confirmed_at = Some(Instant::now());
            }
        }
    }

    /// Replaces the subscriptions with those read at `epoch`.
    pub fn load(&self, epoch: i64, masks: &[(OrgId, i64)]) {
        let mut orgs: HashMap<OrgId, i64> = HashMap::new();
        let mut any = 0;
        for (org, mask) in masks {
            *orgs.entry(*org).or_default() |= mask;
            any |= mask;
        }
        if let Ok(mut state) = self.state.write() {
            *state = State {
                orgs,
                any,
                epoch: Some(epoch),
                confirmed_at: Some(Instant::now()),
            };
        }
    }

    /// Forgets what it knew: until the next load, nothing is skipped.
    pub fn invalidate(&self) {
        if let Ok(mut state) = self.state.write() {
            state.epoch = None;
            state.confirmed_at = None;
        }
    }
}

/// One registry per database per process, so every `Store` this process opens on a
/// database (the server's, an embedding test's) shares what the watcher learned.
pub(super) fn registry_for(url: &str) -> Arc<ReceiverRegistry> {
    static REGISTRIES: std::sync::OnceLock<
        std::sync::Mutex<HashMap<String, Arc<ReceiverRegistry>>>,
    > = std::sync::OnceLock::new();
    let map = REGISTRIES.get_or_init(Default::default);
    match map.lock() {
        Ok(mut map) => map.entry(url.to_owned()).or_default().clone(),
        // A poisoned map only loses the sharing: an unshared registry is never loaded
        // and so never skips a write.
        Err(_) => Arc::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_only_what_a_current_registry_rules_out() {
        let registry = ReceiverRegistry::default();
        let (a, b) = (OrgId::new(), OrgId::new());
        assert!(!registry.nothing_to_write(&[a], 1, 0), "never loaded");
        registry.load(1, &[(b, 0b0110)]);
        assert!(registry.nothing_to_write(&[a], 0b1111, 0));
        assert!(registry.nothing_to_write(&[b], 0b1001, 0));
        assert!(!registry.nothing_to_write(&[b], 0b0010, 0));
        assert!(
            !registry.nothing_to_write(&[a], 0, 0b0100),
            "b may hold a record"
        );
        registry.invalidate();
        assert!(!registry.nothing_to_write(&[a], 0b1111, 0));
    }
}
