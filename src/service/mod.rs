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
