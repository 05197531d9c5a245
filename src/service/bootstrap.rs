//! Setting up an organization in one step: the org, its verified domains, a site, a
//! directory, and the first tokens. Used by `scimd bootstrap`.

use crate::domain::audit::{ActorKind, AuditAction};
use serde::Serialize;

use super::error::{ServiceError, ServiceResult};
use super::tokens::{IssuedToken, Tokens};
use crate::domain::{DirectoryId, OrgId, SiteId};
use crate::store::{self, Directory, NewAuditEntry, Organization, Site, Store, TokenSubject};

#[derive(Clone, Debug)]
pub struct BootstrapRequest {
    pub org_name: String,
    pub domains: Vec<String>,
    pub site_name: String,
    pub products: Vec<String>,
    pub directory_name: String,
}

#[derive(Debug, Serialize)]
pub struct BootstrapOutcome {
    pub org_id: OrgId,
    pub domains: Vec<String>,
    pub site_id: SiteId,
    pub directory_id: DirectoryId,
    pub scim_token: IssuedToken,
    pub admin_token: IssuedToken,
}

pub async fn bootstrap(
    store: &Store,
    tokens: &Tokens,
    req: &BootstrapRequest,
) -> ServiceResult<BootstrapOutcome> {
    let org_name = req.org_name.trim();
    if org_name.is_empty() {
        return Err(ServiceError::Invalid(
            "the organization needs a name".into(),
        ));
    }
    let domains = normalize_domains(&req.domains)?;
    let now = store::now_micros();
    let mut tx = store.begin().await?;
    let org = Organization {
        id: OrgId::new(),
        name: org_name.to_owned(),
        created_at: now,
    };
    store::insert_org(&mut tx, &org).await?;
    for domain in &domains {
        // A domain belongs to one org at a time; taking it from another is an explicit move.
        if !store::insert_verified_domain(&mut tx, domain, org.id, now).await? {
            let owner = store::verified_domain_owner(&mut tx, domain).await?;
            let owner = owner.map(|o| o.to_string()).unwrap_or_default();
            return Err(ServiceError::Conflict(format!(
                "domain {domain} is already verified by organization {owner}; move it from there instead"
            )));
        }
    }
    let site = Site {
        id: SiteId::new(),
        org_id: org.id,
        name: req.site_name.clone(),
        products: req.products.clone(),
        created_at: now,
    };
    store::insert_site(&mut tx, &site).await?;
    let directory = Directory {
        id: DirectoryId::new(),
        org_id: org.id,
        name: req.directory_name.clone(),
        group_patch_minimal: false,
        created_at: now,
    };
    store::insert_directory(&mut tx, &directory).await?;
    let scim_token = tokens
        .issue(
            &mut tx,
            TokenSubject::Directory {
                directory: directory.id,
                org: org.id,
            },
            None,
        )
        .await?;
    let admin_token = tokens
        .issue(&mut tx, TokenSubject::OrgAdmin { org: org.id }, None)
        .await?;
    store::append_audit(
        &mut tx,
        &NewAuditEntry {
            at: now,
            org_id: Some(org.id),
            account_id: None,
            actor_kind: ActorKind::System,
            actor_id: "bootstrap".into(),
            action: AuditAction::OrgBootstrapped,
            detail: serde_json::json!({
                "domains": domains,
                "site_id": site.id,
                "directory_id": directory.id,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(BootstrapOutcome {
        org_id: org.id,
        domains,
        site_id: site.id,
        directory_id: directory.id,
        scim_token,
        admin_token,
    })
}

/// Normalizes domain names to their IDNA ASCII form and refuses what no org may verify
/// (rule 20's checks, without the DNS proof: the operator vouches); duplicates collapse.
pub fn normalize_domains(domains: &[String]) -> ServiceResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for raw in domains {
        let domain =
            crate::domain::Domain::parse(raw).map_err(|e| ServiceError::Invalid(e.to_string()))?;
        crate::domain::verifiable(&domain).map_err(|e| ServiceError::Invalid(e.to_string()))?;
        let domain = String::from(domain);
        if !out.contains(&domain) {
            out.push(domain);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_lowercased_and_checked() {
        let ok = normalize_domains(&["Example.COM.".into(), "example.com".into(), "a-b.io".into()]);
        assert_eq!(
            ok.ok(),
            Some(vec!["example.com".to_string(), "a-b.io".to_string()])
        );
        let idn = normalize_domains(&["Bücher.example".into(), "xn--bcher-kva.example".into()]);
        assert_eq!(idn.ok(), Some(vec!["xn--bcher-kva.example".to_string()]));
        for bad in [
            "",
            "localhost",
            "-a.com",
            "a..com",
            "ex ample.com",
            "a_b.com",
            "co.uk",
            "github.io",
            "p\u{430}ypal.com",
        ] {
            assert!(normalize_domains(&[bad.into()]).is_err(), "{bad} accepted");
        }
    }
}
