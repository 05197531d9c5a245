//! Use cases: open a transaction, load facts, apply a domain rule, persist with an audit
//! entry, commit. Handlers and the CLI call these; nothing here parses HTTP or SCIM.

pub mod admin;
pub mod bootstrap;
pub mod bulk;
pub mod directory_tokens;
pub mod dns;
pub mod entitlements;
pub mod error;
pub mod events;
pub mod groups;
pub mod provisioning;
pub mod scim_context;
pub mod search;
mod stored_keys;
pub mod token_cache;
pub mod tokens;
pub mod users;

use crate::domain::{AccountFacts, Management};
use crate::store::Account;

/// The facts the domain's account rules decide on. Only deletion looks at content, so other
/// callers pass 0 rather than count it.
pub(crate) fn account_facts(account: &Account, content_count: u64) -> AccountFacts {
    AccountFacts {
        id: account.id,
        status: account.status,
        management: account
            .managing_org
            .map_or(Management::Unmanaged, Management::Managed),
        content_count,
    }
}

/// Runs `tick` every `period` (a late tick is delayed, not bunched) until the store is closed.
/// Spawned once per server by each watcher of a database counter.
pub(crate) fn poll_until_closed<F, Fut>(
    store: crate::store::Store,
    period: std::time::Duration,
    mut tick: F,
) -> tokio::task::JoinHandle<()>
where
    F: FnMut(crate::store::Store) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(period);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if store.is_closed() {
                return;
            }
            tick(store.clone()).await;
        }
    })
}
