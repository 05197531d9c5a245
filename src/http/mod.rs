//! HTTP: thin actix handlers that authenticate, parse, call a service, and render.
//! No SQL and no domain rules live here.

mod admin;
mod auth;
mod bulk;
mod console;
mod discovery;
mod entitlements;
mod errors;
mod groups;
mod health;
mod jwks;
pub mod metrics;
mod paging;
mod provisioning;
mod refusals;
mod request_guard;
mod root_search;
pub(crate) mod scim_paths;
mod scim_request;
mod scim_routes;
pub mod startup;
mod users;

use std::sync::Arc;

use crate::scim::discovery::Capabilities;
use crate::service::dns::DnsChecker;
use crate::service::tokens::Tokens;
use crate::store::Store;

pub use admin::route_list as admin_routes;
pub use auth::ScimPrincipal;
pub use console::ConsoleSettings;
pub use errors::ScimHttpError;

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    pub tokens: Arc<Tokens>,
    pub capabilities: Capabilities,
    /// Signs security events; its public key is the JWKS.
    pub set_signer: Arc<crate::service::events::signing::SetSigner>,
    /// The configured external base URL, if any (see `--public-url`).
    pub public_url: Option<String>,
    /// Peers whose forwarded headers are believed (see `--trusted-proxies`).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Where domain verification reads TXT records (see `--dns-resolver`).
    pub dns: DnsChecker,
    /// Whether the admin API may verify domains without DNS proof.
    pub allow_unproven_domains: bool,
    /// The admin console's CSRF key and cookie settings.
    pub console: ConsoleSettings,
    /// Signs the cursors of cursor-paged lists (RFC 9865).
    pub cursor_key: crate::scim::cursor::CursorKey,
}
