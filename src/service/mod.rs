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
pub mod token_cache;
pub mod tokens;
pub mod users;
