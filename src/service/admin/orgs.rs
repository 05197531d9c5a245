//! Organizations: verified domains (rule 20), managed accounts, sites, the audit log.

use serde::Serialize;
use serde_json::json;

use super::views::{timestamp, AccountView, AuditPage, ListView};
use super::{audit, conflict, invalid, not_found, AdminActor, AdminResult, Page};
use crate::domain::{
    authorize_org_admin, move_domain, verify_domain, AccountStatus, Domain, DomainChange, OrgId,
    SiteId,
};
use crate::store::{self, AuditPageQuery, ManagedAccountQuery, Store};

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DomainView {
    pub domain: String,
    pub org_id: OrgId,
    pub verified_at: String,
}

fn parse_domain(raw: &str) -> AdminResult<Domain> {
    Domain::parse(raw).map_err(|_| invalid(format!("{raw:?} is not a domain name")))
}

pub async fn list_domains(
    store: &Store,
    who: &AdminActor,
    org: OrgId,
) -> AdminResult<Vec<DomainView>> {
    let authority = authorize_org_admin(who.actor(), org)?;
    let mut conn = store.read().await?;
    let domains = store::list_verified_domains(&mut conn, authority.org()).await?;
    Ok(domains
        .into_iter()
        .map(|d| DomainView {
            domain: d.domain,
            org_id: d.org_id,
            verified_at: timestamp(d.verified_at),
        })
        .collect())
}

async fn domain_view(tx: &mut store::Tx, domain: &Domain) -> AdminResult<DomainView> {
    let owner = store::verified_domain_owner(tx, domain.as_str()).await?;
    let org = store::list_verified_domains(tx, owner.ok_or_else(|| not_found("domain"))?).await?;
    let found = org
        .into_iter()
        .find(|d| d.domain == domain.as_str())
        .ok_or_else(|| not_found("domain"))?;
    Ok(DomainView {
        domain: found.domain,
        org_id: found.org_id,
        verified_at: timestamp(found.verified_at),
    })
}

/// Rule 20: the org manages every account on the domain from this commit on. Proving DNS
/// ownership is outside scimd: the org admin's word is taken (see docs/admin.md).
pub async fn verify(
    store: &Store,
    who: &AdminActor,
    org: OrgId,
    domain: &str,
) -> AdminResult<(bool, DomainView)> {
    let authority = authorize_org_admin(who.actor(), org)?;
    let domain = parse_domain(domain)?;
    let mut tx = store.begin().await?;
    let current = store::verified_domain_owner(&mut tx, domain.as_str()).await?;
    let change = verify_domain(who.actor(), &domain, current)?;
    let changed = change != DomainChange::Unchanged;
    if changed {
        let now = store::now_micros();
        if !store::insert_verified_domain(&mut tx, domain.as_str(), authority.org(), now).await? {
            // Another org verified it since it was read: answer as if it had been first.
            let owner = store::verified_domain_owner(&mut tx, domain.as_str()).await?;
            verify_domain(who.actor(), &domain, owner)?;
            return Err(conflict("the domain was verified concurrently; retry"));
        }
        let detail = json!({ "domain": domain.as_str() });
        audit(&mut tx, who, Some(org), None, "domain.verified", detail).await?;
    }
    let view = domain_view(&mut tx, &domain).await?;
    tx.commit().await?;
    Ok((changed, view))
}

/// Rule 20: the owner moves a domain to another org, and management of every account on it
/// moves in the same statement (management is derived, never copied). Both orgs' audit logs
/// record it.
pub async fn move_to(
    store: &Store,
    who: &AdminActor,
    org: OrgId,
    domain: &str,
    to: OrgId,
) -> AdminResult<(bool, DomainView)> {
    authorize_org_admin(who.actor(), org)?;
    let domain = parse_domain(domain)?;
    let mut tx = store.begin().await?;
    store::get_org(&mut tx, to)
        .await?
        .ok_or_else(|| not_found("target organization"))?;
    let current = store::verified_domain_owner(&mut tx, domain.as_str()).await?;
    let change = move_domain(who.actor(), &domain, current, to)?;
    let changed = change != DomainChange::Unchanged;
    if let DomainChange::Moved { from, to, .. } = change {
        if !store::move_verified_domain(&mut tx, domain.as_str(), from, to, store::now_micros())
            .await?
        {
            return Err(conflict("the domain changed hands concurrently; retry"));
        }
        let detail = json!({ "domain": domain.as_str(), "from_org": from, "to_org": to });
        audit(
            &mut tx,
            who,
            Some(from),
            None,
            "domain.moved",
            detail.clone(),
        )
        .await?;
        audit(&mut tx, who, Some(to), None, "domain.moved", detail).await?;
    }
    let view = domain_view(&mut tx, &domain).await?;
    tx.commit().await?;
    Ok((changed, view))
}

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

#[derive(Clone, Debug, Serialize)]
pub struct SiteView {
    pub id: SiteId,
    pub org_id: OrgId,
    pub name: String,
    pub products: Vec<String>,
    pub created_at: String,
}

pub async fn sites(store: &Store, who: &AdminActor, org: OrgId) -> AdminResult<Vec<SiteView>> {
    let authority = authorize_org_admin(who.actor(), org)?;
    let mut conn = store.read().await?;
    let mut out = Vec::new();
    for id in store::list_org_sites(&mut conn, authority.org()).await? {
        if let Some(site) = store::get_site(&mut conn, id).await? {
            out.push(SiteView {
                id: site.id,
                org_id: site.org_id,
                name: site.name,
                products: site.products,
                created_at: timestamp(site.created_at),
            });
        }
    }
    Ok(out)
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
