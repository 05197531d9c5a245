//! Verified domains (rule 20): verification with DNS proof, its check, moving, listing.
//!
//! Asking to verify a domain issues a challenge and leaves the domain pending, which changes
//! nothing (only `verified_domains` decides management). The check reads the challenge's TXT
//! record outside any transaction (a DNS wait must not hold a write slot), then decides and
//! writes in one transaction that re-reads what it decides on.

use crate::domain::audit::AuditAction;
use serde::Serialize;
use serde_json::json;

use super::views::timestamp;
use super::{audit, audit_org, conflict, not_found, AdminActor, AdminError, AdminResult};
use crate::domain::{
    authorize_org_admin, move_domain, verify_domain, Challenge, DnsAnswer, Domain, DomainChange,
    OrgId, Proof, Refusal, Verification,
};
use crate::service::dns::DnsChecker;
use crate::store::{self, DomainChallengeRow, Store, Tx};

/// A domain of the org: `verified`, or `pending` with the record to publish.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct DomainView {
    /// The IDNA ASCII form, as stored and compared.
    pub domain: String,
    pub org_id: OrgId,
    pub state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub verified_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenge: Option<ChallengeView>,
}

/// The DNS record that proves the org controls the domain.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ChallengeView {
    pub record_type: &'static str,
    pub record_name: String,
    pub record_value: String,
    #[schema(format = DateTime)]
    pub issued_at: String,
}

/// How a verification request may be proven.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProofPolicy {
    /// A DNS TXT record, checked by `check`.
    Dns,
    /// The operator's `--allow-unproven-domains`: verified on request.
    Unproven,
}

fn parse_domain(raw: &str) -> AdminResult<Domain> {
    Ok(Domain::parse(raw).map_err(Refusal::InvalidDomain)?)
}

fn challenge_of(row: &DomainChallengeRow) -> AdminResult<Challenge> {
    Ok(Challenge {
        domain: parse_domain(&row.domain)?,
        token: row.token.clone(),
    })
}

fn pending_view(row: &DomainChallengeRow) -> AdminResult<DomainView> {
    let challenge = challenge_of(row)?;
    Ok(DomainView {
        domain: row.domain.clone(),
        org_id: row.org_id,
        state: "pending",
        verified_at: None,
        challenge: Some(ChallengeView {
            record_type: "TXT",
            record_name: challenge.record_name(),
            record_value: challenge.record_value(),
            issued_at: timestamp(row.created_at),
        }),
    })
}

fn verified_view(d: store::VerifiedDomain) -> DomainView {
    DomainView {
        domain: d.domain,
        org_id: d.org_id,
        state: "verified",
        verified_at: Some(timestamp(d.verified_at)),
        challenge: None,
    }
}

/// The org's verified domains, then its pending ones.
pub async fn list(store: &Store, who: &AdminActor, org: OrgId) -> AdminResult<Vec<DomainView>> {
    let authority = authorize_org_admin(who.actor(), org)?;
    let mut conn = store.read().await?;
    let verified = store::list_verified_domains(&mut conn, authority.org()).await?;
    let pending = store::list_domain_challenges(&mut conn, authority.org()).await?;
    let mut out: Vec<DomainView> = verified.into_iter().map(verified_view).collect();
    for row in &pending {
        out.push(pending_view(row)?);
    }
    Ok(out)
}

async fn verified_domain_view(tx: &mut Tx, domain: &Domain) -> AdminResult<DomainView> {
    let owner = store::verified_domain_owner(tx, domain.as_str()).await?;
    let org = store::list_verified_domains(tx, owner.ok_or_else(|| not_found("domain"))?).await?;
    org.into_iter()
        .find(|d| d.domain == domain.as_str())
        .map(verified_view)
        .ok_or_else(|| not_found("domain"))
}

/// Persists a verification: the domain row (one statement, so two orgs cannot both win),
/// every org's challenge for it gone, and the audit entry.
async fn record_verified(
    tx: &mut Tx,
    who: &AdminActor,
    org: OrgId,
    domain: &Domain,
    detail: serde_json::Value,
) -> AdminResult<()> {
    if !store::insert_verified_domain(tx, domain.as_str(), org, store::now_micros()).await? {
        // Another org verified it since it was read: answer as if it had been first.
        let owner = store::verified_domain_owner(tx, domain.as_str()).await?;
        verify_domain(who.actor(), domain, owner, Proof::NotYet)?;
        return Err(conflict("the domain was verified concurrently; retry"));
    }
    store::delete_domain_challenges(tx, domain.as_str()).await?;
    audit_org(tx, who, org, AuditAction::DomainVerified, detail).await
}

/// Rule 20: asks to verify a domain. With DNS proof (the default) the domain becomes pending
/// with a challenge, and the answer says which TXT record to publish; asking again returns
/// the same challenge. Unproven (the operator's choice) it is verified at once, logged at
/// warn and audited as such. `true` when something was created.
pub async fn request(
    store: &Store,
    who: &AdminActor,
    org: OrgId,
    domain: &str,
    policy: ProofPolicy,
) -> AdminResult<(bool, DomainView)> {
    let authority = authorize_org_admin(who.actor(), org)?;
    let domain = parse_domain(domain)?;
    let mut tx = store.begin().await?;
    let current = store::verified_domain_owner(&mut tx, domain.as_str()).await?;
    let proof = match policy {
        ProofPolicy::Dns => Proof::NotYet,
        ProofPolicy::Unproven => Proof::Waived,
    };
    let (created, view) = match verify_domain(who.actor(), &domain, current, proof)? {
        Verification::AlreadyVerified => (false, verified_domain_view(&mut tx, &domain).await?),
        Verification::Verified(_) => {
            tracing::warn!(
                org = %authority.org(),
                "domain verified without DNS proof (--allow-unproven-domains)"
            );
            let detail = json!({
                "domain": domain.as_str(),
                "proof": "none",
                "allow_unproven_domains": true,
            });
            record_verified(&mut tx, who, authority.org(), &domain, detail).await?;
            (true, verified_domain_view(&mut tx, &domain).await?)
        }
        Verification::Pending => {
            let token = uuid::Uuid::new_v4().simple().to_string();
            let now = store::now_micros();
            let (created, row) = store::ensure_domain_challenge(
                &mut tx,
                domain.as_str(),
                authority.org(),
                &token,
                now,
            )
            .await?;
            if created {
                let challenge = challenge_of(&row)?;
                let detail =
                    json!({ "domain": domain.as_str(), "record": challenge.record_name() });
                audit_org(
                    &mut tx,
                    who,
                    org,
                    AuditAction::DomainChallengeIssued,
                    detail,
                )
                .await?;
            }
            (created, pending_view(&row)?)
        }
    };
    tx.commit().await?;
    Ok((created, view))
}

/// Rule 20: checks a pending domain's TXT record and, if it carries the challenge, makes the
/// domain verified: from this commit on the org manages every account on it. A missing or
/// wrong record is refused and leaves the domain pending; a DNS failure is
/// [`AdminError::Dns`]. `true` when the domain became verified now.
pub async fn check(
    store: &Store,
    dns: &DnsChecker,
    who: &AdminActor,
    org: OrgId,
    domain: &str,
) -> AdminResult<(bool, DomainView)> {
    let authority = authorize_org_admin(who.actor(), org)?;
    let domain = parse_domain(domain)?;
    let pending = {
        let mut conn = store.read().await?;
        let current = store::verified_domain_owner(&mut conn, domain.as_str()).await?;
        if verify_domain(who.actor(), &domain, current, Proof::NotYet)?
            == Verification::AlreadyVerified
        {
            drop(conn);
            let mut tx = store.begin().await?;
            let view = verified_domain_view(&mut tx, &domain).await?;
            tx.commit().await?;
            return Ok((false, view));
        }
        store::get_domain_challenge(&mut conn, domain.as_str(), authority.org())
            .await?
            .ok_or(Refusal::NoPendingVerification)?
    };
    let challenge = challenge_of(&pending)?;
    let records = dns
        .txt(&challenge.record_name())
        .await
        .map_err(|e| AdminError::Dns(e.0))?;
    let answer = if records.is_empty() {
        DnsAnswer::NoRecords
    } else {
        DnsAnswer::Records(&records)
    };

    let mut tx = store.begin().await?;
    let current = store::verified_domain_owner(&mut tx, domain.as_str()).await?;
    let still = store::get_domain_challenge(&mut tx, domain.as_str(), authority.org()).await?;
    if current.is_none() && still.as_ref().map(|r| &r.token) != Some(&pending.token) {
        return Err(conflict(
            "the domain's verification changed meanwhile; check again",
        ));
    }
    let proof = Proof::Dns {
        challenge: &challenge,
        answer,
    };
    let verified = match verify_domain(who.actor(), &domain, current, proof)? {
        Verification::Verified(_) => {
            let detail = json!({
                "domain": domain.as_str(),
                "proof": "dns_txt",
                "record": challenge.record_name(),
            });
            record_verified(&mut tx, who, authority.org(), &domain, detail).await?;
            true
        }
        Verification::AlreadyVerified | Verification::Pending => false,
    };
    let view = verified_domain_view(&mut tx, &domain).await?;
    tx.commit().await?;
    Ok((verified, view))
}

/// Rule 20: the owner moves a domain to another org, and management of every account on it
/// moves in the same statement (management is derived, never copied). The receiving org
/// needs no proof of its own: the org that proved the domain hands it over. Both orgs' audit
/// logs record it.
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
            AuditAction::DomainMoved,
            detail.clone(),
        )
        .await?;
        audit(
            &mut tx,
            who,
            Some(to),
            None,
            AuditAction::DomainMoved,
            detail,
        )
        .await?;
    }
    let view = verified_domain_view(&mut tx, &domain).await?;
    tx.commit().await?;
    Ok((changed, view))
}
