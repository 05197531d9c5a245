//! What the admin API answers: plain JSON views of the model, times in RFC 3339.

use serde::Serialize;

use crate::domain::{
    counts_against_license, AccountId, AccountStatus, OrgId, SiteAccess, SiteId, SiteRole,
};
use crate::store::{self, Account, AuditEntry, OutboxEmail, SiteUserRow};

/// RFC 3339 in UTC, from the store's microseconds.
pub fn timestamp(micros: i64) -> String {
    store::from_micros(micros)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[derive(Clone, Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct AccountView {
    pub id: AccountId,
    /// `None` once deleted (rule 11).
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub status: AccountStatus,
    /// The org that verified the email's domain; `None`: unmanaged (its owner decides).
    pub managing_org: Option<OrgId>,
    pub deleted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub deleted_at: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<&Account> for AccountView {
    fn from(a: &Account) -> Self {
        Self {
            id: a.id,
            email: a.email.clone(),
            display_name: a.display_name.clone(),
            status: a.status,
            managing_org: a.managing_org,
            deleted: a.tombstoned_at.is_some(),
            deleted_at: a.tombstoned_at.map(timestamp),
            created_at: timestamp(a.created_at),
            updated_at: timestamp(a.updated_at),
        }
    }
}

/// One user of a site, with everything an admin needs to see why they can or cannot work.
#[derive(Clone, Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct SiteUserView {
    pub account_id: AccountId,
    pub site_id: SiteId,
    pub email: Option<String>,
    pub display_name: Option<String>,
    /// `deactivated` when the account is, otherwise the site access: one word for a list.
    pub state: &'static str,
    pub access: SiteAccess,
    pub role: SiteRole,
    pub account_status: AccountStatus,
    pub managing_org: Option<OrgId>,
    /// Product access on this site: the union of what the user's groups grant.
    pub products: Vec<String>,
    /// Whether those products use licenses now (active account with site access).
    pub uses_licenses: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl SiteUserView {
    pub fn new(
        site: SiteId,
        account: &Account,
        access: SiteAccess,
        role: SiteRole,
        products: Vec<String>,
        times: (i64, i64),
    ) -> Self {
        let state = if account.status.is_active() {
            access.as_str()
        } else {
            AccountStatus::Deactivated.as_str()
        };
        Self {
            account_id: account.id,
            site_id: site,
            email: account.email.clone(),
            display_name: account.display_name.clone(),
            state,
            access,
            role,
            account_status: account.status,
            managing_org: account.managing_org,
            uses_licenses: counts_against_license(account.status, access) && !products.is_empty(),
            products,
            created_at: timestamp(times.0),
            updated_at: timestamp(times.1),
        }
    }

    pub fn from_row(site: SiteId, row: &SiteUserRow, products: Vec<String>) -> Self {
        Self::new(
            site,
            &row.account,
            row.access,
            row.role,
            products,
            (row.created_at, row.updated_at),
        )
    }
}

/// A page of a list.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ListView<T> {
    pub total_results: i64,
    pub start_index: i64,
    pub items_per_page: usize,
    pub resources: Vec<T>,
}

/// The result of a write: `changed` is false when the state was already the one asked for.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Changed<T> {
    pub changed: bool,
    #[serde(flatten)]
    pub value: T,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AuditView {
    pub id: i64,
    #[schema(format = DateTime)]
    pub at: String,
    pub org_id: Option<OrgId>,
    pub account_id: Option<AccountId>,
    pub actor_kind: String,
    pub actor_id: String,
    pub action: String,
    pub detail: serde_json::Value,
}

impl From<AuditEntry> for AuditView {
    fn from(e: AuditEntry) -> Self {
        Self {
            id: e.id,
            at: timestamp(e.at),
            org_id: e.org_id,
            account_id: e.account_id,
            actor_kind: e.actor_kind,
            actor_id: e.actor_id,
            action: e.action,
            detail: e.detail,
        }
    }
}

/// Newest first; pass `next_before` as `before` for the next page.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditView>,
    pub next_before: Option<i64>,
}

/// A newest-first page's `next_before`: the id of its last entry when the page is full
/// (older entries may follow), none when it is not.
pub fn next_before<T>(entries: &[T], limit: i64, id: impl Fn(&T) -> i64) -> Option<i64> {
    let full = i64::try_from(entries.len()).unwrap_or(i64::MAX) >= limit && limit > 0;
    entries.last().filter(|_| full).map(id)
}

impl AuditPage {
    pub fn new(entries: Vec<AuditEntry>, limit: i64) -> Self {
        let next_before = next_before(&entries, limit, |e| e.id);
        Self {
            entries: entries.into_iter().map(AuditView::from).collect(),
            next_before,
        }
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct OutboxView {
    pub id: uuid::Uuid,
    pub kind: String,
    pub site_id: SiteId,
    pub account_id: AccountId,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub sent_at: Option<String>,
}

impl From<OutboxEmail> for OutboxView {
    fn from(e: OutboxEmail) -> Self {
        Self {
            id: e.id,
            kind: e.kind,
            site_id: e.site_id,
            account_id: e.account_id,
            status: e.status,
            attempts: e.attempts,
            last_error: e.last_error,
            created_at: timestamp(e.created_at),
            sent_at: e.sent_at.map(timestamp),
        }
    }
}
