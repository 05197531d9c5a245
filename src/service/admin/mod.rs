//! The admin API's use cases (issue 5): site administration and the account lifecycle of
//! docs/domain.md rules 1–11, 19, 20. Each write is one transaction that loads facts, asks a
//! domain rule, writes, appends its audit entry and commits; a refusal changes nothing.

pub mod accounts;
pub mod directories;
pub mod domains;
pub mod groups;
pub mod invites;
pub mod orgs;
pub mod outbox;
pub mod principal;
pub mod products;
pub mod provisioning_log;
pub mod receivers;
pub mod site_users;
pub mod tokens;
pub mod views;

use crate::domain::audit::AuditAction;
use serde_json::Value;
use store::Conn;

pub use self::principal::AdminActor;
use super::error::ServiceError;
use crate::domain::{AccountId, InviteRefusal, OrgId, Refusal, SiteFacts, SiteId};
use crate::store::{self, Account, NewAuditEntry, Site, StoreError, Tx};

/// Why an admin use case did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// Rule 4: a refused invite batch, with every offending email.
    #[error(transparent)]
    Invite(#[from] InviteRefusal),
    /// DNS could not be asked or did not answer; nothing changed.
    #[error("{0}")]
    Dns(String),
    /// The credential is valid but speaks for nothing that can act any more.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// Self-service acts on the caller's own account, which only an owner's token has.
    #[error("not an account owner's token")]
    NotAccountOwner,
}

impl From<Refusal> for AdminError {
    fn from(refusal: Refusal) -> Self {
        Self::Service(ServiceError::Refused(refusal))
    }
}

impl From<StoreError> for AdminError {
    fn from(err: StoreError) -> Self {
        Self::Service(ServiceError::Store(err))
    }
}

impl From<sqlx::Error> for AdminError {
    fn from(err: sqlx::Error) -> Self {
        Self::Service(err.into())
    }
}

pub type AdminResult<T> = Result<T, AdminError>;

pub(crate) fn not_found(what: &'static str) -> AdminError {
    AdminError::Service(ServiceError::NotFound(what))
}

pub(crate) fn conflict(detail: impl Into<String>) -> AdminError {
    AdminError::Service(ServiceError::Conflict(detail.into()))
}

pub(crate) fn invalid(detail: impl Into<String>) -> AdminError {
    AdminError::Service(ServiceError::Invalid(detail.into()))
}

/// The longest search text or invite display name: as long as the longest value it could
/// match or become (a display name, SCIM's `displayName` limit; emails are at most 254).
pub const MAX_TEXT: usize = 256;

/// Refuses a free-text input longer than `max` characters, naming the field (400
/// `invalid_request`): nothing that long is stored, so it could only be a mistake or a probe.
pub(crate) fn bounded(field: &str, value: Option<&str>, max: usize) -> AdminResult<()> {
    match value {
        Some(text) if text.chars().count() > max => {
            Err(invalid(format!("{field} is longer than {max} characters")))
        }
        _ => Ok(()),
    }
}

/// A page request: `start_index` is 1-based, as in SCIM.
#[derive(Clone, Copy, Debug)]
pub struct Page {
    pub start_index: i64,
    pub count: i64,
}

pub const DEFAULT_PAGE_SIZE: i64 = 50;
pub const MAX_PAGE_SIZE: i64 = 500;

impl Page {
    /// Clamps to the allowed range rather than refusing, as SCIM does for `count`.
    pub fn new(start_index: Option<i64>, count: Option<i64>) -> Self {
        Self {
            start_index: start_index.unwrap_or(1).max(1),
            count: count.unwrap_or(DEFAULT_PAGE_SIZE).clamp(0, MAX_PAGE_SIZE),
        }
    }

    pub(crate) fn offset(&self) -> i64 {
        self.start_index - 1
    }
}

/// Appends an audit entry in the caller's transaction, naming the admin credential used.
pub(crate) async fn audit(
    tx: &mut Tx,
    who: &AdminActor,
    org: Option<OrgId>,
    account: Option<AccountId>,
    action: AuditAction,
    mut detail: Value,
) -> AdminResult<()> {
    if let Value::Object(map) = &mut detail {
        map.insert("token".into(), Value::String(who.jti().to_string()));
    }
    store::append_audit(
        tx,
        &NewAuditEntry {
            at: store::now_micros(),
            org_id: org,
            account_id: account,
            actor_kind: who.kind(),
            actor_id: who.id(),
            action,
            detail,
        },
    )
    .await?;
    Ok(())
}

/// An entry about the org itself rather than one of its accounts.
pub(crate) async fn audit_org(
    tx: &mut Tx,
    who: &AdminActor,
    org: OrgId,
    action: AuditAction,
    detail: Value,
) -> AdminResult<()> {
    audit(tx, who, Some(org), None, action, detail).await
}

/// A record that belongs to one organization.
pub(crate) trait OfOrg {
    fn org(&self) -> OrgId;
}

impl OfOrg for store::Group {
    fn org(&self) -> OrgId {
        self.org_id
    }
}

impl OfOrg for store::Directory {
    fn org(&self) -> OrgId {
        self.org_id
    }
}

impl OfOrg for store::Receiver {
    fn org(&self) -> OrgId {
        self.org_id
    }
}

/// The record, if it is `org`'s: another org's is not found rather than forbidden, so its
/// ids cannot be probed.
pub(crate) fn of_org<T: OfOrg>(found: Option<T>, org: OrgId, what: &'static str) -> AdminResult<T> {
    found
        .filter(|record| record.org() == org)
        .ok_or_else(|| not_found(what))
}

pub(crate) async fn load_site(conn: &mut Conn, id: SiteId) -> AdminResult<Site> {
    store::get_site(conn, id)
        .await?
        .ok_or_else(|| not_found("site"))
}

pub(crate) fn site_facts(site: &Site) -> SiteFacts {
    SiteFacts {
        id: site.id,
        org: site.org_id,
    }
}

/// A live account (tombstones are only ever read through [`accounts::get_account`]).
pub(crate) async fn load_account(conn: &mut Conn, id: AccountId) -> AdminResult<Account> {
    match store::get_account(conn, id).await? {
        Some(account) if account.tombstoned_at.is_none() => Ok(account),
        _ => Err(not_found("account")),
    }
}

pub(crate) use super::account_facts as facts;
