//! Organizations: managed accounts, sites, the audit log (domains: `domains.rs`).

use serde::Serialize;

use super::views::{timestamp, AccountView, AuditPage, ListView};
use super::{AdminActor, AdminResult, Page};
use crate::domain::{authorize_org_admin, AccountStatus, OrgId, SiteId};
use crate::store::{self, AuditPageQuery, ManagedAccountQuery, Store};

/// The accounts the org manages, with their status; deactivated ones included, so an admin
/// can find and reactivate them.
pub async fn managed_accounts(
    store: &Store,
    who: &AdminActor,
    org: OrgId,
    status: Option<AccountStatus>,
    search: Option<String>,
    page: Page,
) -> AdminResult<ListView<AccountView>> {
    let authority = authorize_org_admin(who.actor(), org)?;
    super::bounded("q", search.as_deref(), super::MAX_TEXT)?;
    let mut conn = store.read().await?;
    let query = ManagedAccountQuery {
        status,
        search,
        offset: page.offset(),
        limit: page.count,
    };
    let (accounts, total) =
        store::list_managed_account_page(&mut conn, authority.org(), &query).await?;
    Ok(ListView {
        total_results: total,
        start_index: page.start_index,
        items_per_page: accounts.len(),
        resources: accounts.iter().map(AccountView::from).collect(),
    })
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct OrgView {
    pub id: OrgId,
    pub name: String,
    pub created_at: String,
}

/// The org itself, for its own admins.
pub async fn get(store: &Store, who: &AdminActor, org: OrgId) -> AdminResult<OrgView> {
    let authority = authorize_org_admin(who.actor(), org)?;
    let mut conn = store.read().await?;
    let org = store::get_org(&mut conn, authority.org())
        .await?
        .ok_or_else(|| super::not_found("organization"))?;
    Ok(OrgView {
        id: org.id,
        name: org.name,
        created_at: timestamp(org.created_at),
    })
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SiteView {
    pub id: SiteId,
    pub org_id: OrgId,
    pub name: String,
    pub products: Vec<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<store::Site> for SiteView {
    fn from(site: store::Site) -> Self {
        Self {
            id: site.id,
            org_id: site.org_id,
            name: site.name,
            products: site.products,
            created_at: timestamp(site.created_at),
        }
    }
}

pub async fn sites(store: &Store, who: &AdminActor, org: OrgId) -> AdminResult<Vec<SiteView>> {
    let authority = authorize_org_admin(who.actor(), org)?;
    let mut conn = store.read().await?;
    let sites = store::list_org_sites(&mut conn, authority.org()).await?;
    Ok(sites.into_iter().map(SiteView::from).collect())
}

/// One site, for whoever administers it (its site admins and trusted users, its org's
/// admins).
pub async fn site(store: &Store, who: &AdminActor, site: SiteId) -> AdminResult<SiteView> {
    let mut conn = store.read().await?;
    let site = super::load_site(&mut conn, site).await?;
    crate::domain::authorize_site_admin(who.actor(), &super::site_facts(&site))?;
    Ok(SiteView::from(site))
}

/// The org's audit log, newest first.
pub async fn audit_log(
    store: &Store,
    who: &AdminActor,
    org: OrgId,
    before: Option<i64>,
    limit: i64,
) -> AdminResult<AuditPage> {
    let authority = authorize_org_admin(who.actor(), org)?;
    let mut conn = store.read().await?;
    let query = AuditPageQuery {
        org: Some(authority.org()),
        account: None,
        before,
        limit,
    };
    let entries = store::list_audit_page(&mut conn, &query).await?;
    Ok(AuditPage::new(entries, limit))
}
