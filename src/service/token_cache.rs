//! Verified bearer tokens, kept in memory so a request's token check runs no statement.
//!
//! A token can stop being valid in two ways the token text does not show: revocation
//! (here, in another scimd process, or by `scimd token revoke` from the CLI) and the
//! deletion of what it speaks for. Both change the `tokens` table, and a trigger moves the
//! one-row `token_epoch` counter whenever that table changes. A watcher task reads the
//! counter every [`POLL`] and empties the cache when it moved, so a revocation reaches every
//! process within `POLL` plus one query. A cached answer is only used while the counter
//! was confirmed less than [`FRESH_FOR`] ago: with the database unreachable the cache goes
//! stale and every check falls back to the database (and fails closed with it). A commit in
//! this process that changed tokens empties the cache at once (`Store::token_generation`).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::store::{self, Store, TokenRecord};

/// How often the watcher reads the epoch.
pub const POLL: Duration = Duration::from_millis(250);
/// How long a confirmed epoch vouches for the cache; the documented revocation bound.
pub const FRESH_FOR: Duration = Duration::from_secs(1);
/// Entries kept before the cache starts over (a token is ~300 bytes).
const CAPACITY: usize = 10_000;

#[derive(Default)]
struct State {
    entries: HashMap<String, TokenRecord>,
    epoch: Option<i64>,
    generation: u64,
    confirmed_at: Option<Instant>,
}

/// The cache; `Tokens` owns one and asks it first.
#[derive(Default)]
pub struct TokenCache {
    state: RwLock<State>,
}

/// What a lookup saw, so that a record read from the database is only cached if nothing
/// changed while it was read.
#[derive(Clone, Copy, Debug)]
pub struct Stamp {
    epoch: Option<i64>,
    generation: u64,
}

impl TokenCache {
    /// The record for exactly this token text, if cached and the cache is current.
    pub fn get(&self, token: &str, generation: u64) -> (Option<TokenRecord>, Stamp) {
        let Ok(state) = self.state.read() else {
            return (None, Stamp::unusable());
        };
        let stamp = Stamp {
            epoch: state.epoch,
            generation,
        };
        let fresh = state.generation == generation
            && state
                .confirmed_at
                .is_some_and(|at| at.elapsed() < FRESH_FOR);
        if !fresh {
            return (None, stamp);
        }
        (state.entries.get(token).cloned(), stamp)
    }

    /// Keeps a record just verified against the database, unless the epoch or this
    /// process's token generation moved since `stamp` was taken.
    pub fn put(&self, token: &str, record: TokenRecord, stamp: Stamp) {
        let Ok(mut state) = self.state.write() else {
            return;
        };
        if stamp.epoch.is_none() || state.epoch != stamp.epoch {
            return;
        }
        if state.generation != stamp.generation {
            state.entries.clear();
            state.generation = stamp.generation;
            return;
        }
        if state.entries.len() >= CAPACITY {
            state.entries.clear();
        }
        state.entries.insert(token.to_owned(), record);
    }

    /// Records the epoch just read; a new value, or a new local generation, empties the
    /// cache.
    fn confirm(&self, epoch: i64, generation: u64) {
        let Ok(mut state) = self.state.write() else {
            return;
        };
        if state.epoch != Some(epoch) || state.generation != generation {
            state.entries.clear();
            state.epoch = Some(epoch);
            state.generation = generation;
        }
        state.confirmed_at = Some(Instant::now());
    }

    /// Reads the epoch every [`POLL`] until the store is closed. Spawned once per server.
    pub fn watch(self: Arc<Self>, store: Store) -> tokio::task::JoinHandle<()> {
        super::poll_until_closed(store, POLL, move |store| {
            let cache = Arc::clone(&self);
            async move {
                // The generation is read before the epoch: a commit between the two is
                // seen as a new generation next time, never lost.
                let generation = store.token_generation();
                let epoch = async {
                    let mut conn = store.read().await?;
                    store::token_epoch(&mut conn).await
                }
                .await;
                match epoch {
                    Ok(epoch) => cache.confirm(epoch, generation),
                    Err(err) => tracing::warn!(error = %err, "cannot read the token epoch"),
                }
            }
        })
    }
}

impl Stamp {
    fn unusable() -> Self {
        Stamp {
            epoch: None,
            generation: 0,
        }
    }
}
