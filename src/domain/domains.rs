//! Verified domains and the management they confer (rule 20).
//!
//! Management is never stored on the account: it is read from the current owner of the
//! account's email domain. Verifying or moving a domain therefore changes the managing org of
//! every account on it at once, with no per-account migration that could half-fail.

use std::collections::BTreeMap;

use super::actor::Actor;
use super::email::{Domain, Email};
use super::ids::OrgId;
use super::proof::{check_challenge, Proof};
use super::refusal::Refusal;

/// Answers "which org has verified this domain?".
///
/// Implemented by [`VerifiedDomains`] and by any `Fn(&str) -> Option<OrgId>`, so the service
/// can pass whatever it loaded (annotate closures as `|d: &str| ...`).
pub trait DomainOwners {
    /// The org that has verified `domain`. `domain` is normalized, as [`Email::domain`]
    /// returns it. Matching is exact: verifying `example.com` does not cover `eu.example.com`.
    fn owner_of(&self, domain: &str) -> Option<OrgId>;
}

impl<F> DomainOwners for F
where
    F: Fn(&str) -> Option<OrgId>,
{
    fn owner_of(&self, domain: &str) -> Option<OrgId> {
        self(domain)
    }
}

/// The managing organization of an account with this email: the org that verified its
/// domain, or `None` for an unmanaged account.
#[must_use]
pub fn managing_org(email: &Email, owners: &impl DomainOwners) -> Option<OrgId> {
    owners.owner_of(email.domain())
}

/// An in-memory set of verified domains, each with its one owner.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifiedDomains {
    owners: BTreeMap<Domain, OrgId>,
}

impl VerifiedDomains {
    /// No domain verified.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a decision of [`verify_domain`] or [`move_domain`].
    pub fn apply(&mut self, change: &DomainChange) {
        match change {
            DomainChange::Unchanged => {}
            DomainChange::Verified { domain, org } => {
                self.owners.insert(domain.clone(), *org);
            }
            DomainChange::Moved { domain, to, .. } => {
                self.owners.insert(domain.clone(), *to);
            }
        }
    }
}

impl FromIterator<(Domain, OrgId)> for VerifiedDomains {
    fn from_iter<I: IntoIterator<Item = (Domain, OrgId)>>(iter: I) -> Self {
        Self {
            owners: iter.into_iter().collect(),
        }
    }
}

impl DomainOwners for VerifiedDomains {
    fn owner_of(&self, domain: &str) -> Option<OrgId> {
        self.owners.get(domain).copied()
    }
}

/// What a domain decision changes; persist it, or apply it to [`VerifiedDomains`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DomainChange {
    /// The domain already has the requested owner.
    Unchanged,
    /// The domain is now verified by `org`.
    Verified {
        /// The domain.
        domain: Domain,
        /// Its new owner.
        org: OrgId,
    },
    /// The domain's ownership moves from one org to another.
    Moved {
        /// The domain.
        domain: Domain,
        /// The previous owner.
        from: OrgId,
        /// The new owner.
        to: OrgId,
    },
}

/// Whether an org may verify `domain` at all: not a public suffix (`com`, `co.uk`,
/// `github.io`; the Public Suffix List, ICANN and private sections, compiled in). Verifying one
/// would make an org the manager of every mailbox directly under it; nobody owns such a name.
/// Names under a TLD the list does not know (`acme.example`) are verifiable below the TLD.
pub fn verifiable(domain: &Domain) -> Result<(), Refusal> {
    match psl::suffix(domain.as_str().as_bytes()) {
        Some(suffix) if suffix.is_known() && suffix.as_bytes() == domain.as_str().as_bytes() => {
            Err(Refusal::PublicSuffix {
                domain: domain.as_str().to_owned(),
            })
        }
        _ => Ok(()),
    }
}

/// What a verification request comes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verification {
    /// Proven (or the proof waived): persist the change.
    Verified(DomainChange),
    /// The org already holds the domain.
    AlreadyVerified,
    /// No proof yet: the domain is pending and changes nothing until its challenge is met.
    Pending,
}

/// Rule 20: an org admin verifies a domain for their org, with proof of ownership (see
/// [`super::proof`]). A domain is verified by at most one org: taking one that another org
/// holds is refused, because only an explicit [`move_domain`] by its owner may transfer it.
pub fn verify_domain(
    actor: &Actor,
    domain: &Domain,
    current_owner: Option<OrgId>,
    proof: Proof<'_>,
) -> Result<Verification, Refusal> {
    let Actor::OrgAdmin(org) = *actor else {
        return Err(Refusal::NotOrgAdministrator);
    };
    match current_owner {
        Some(owner) if owner == org => return Ok(Verification::AlreadyVerified),
        Some(owner) => return Err(Refusal::DomainVerifiedByOtherOrg { org: owner }),
        None => {}
    }
    verifiable(domain)?;
    match proof {
        Proof::NotYet => return Ok(Verification::Pending),
        Proof::Dns { challenge, answer } => {
            if challenge.domain != *domain {
                return Err(Refusal::NoPendingVerification);
            }
            check_challenge(challenge, answer)?;
        }
        Proof::Waived => {}
    }
    Ok(Verification::Verified(DomainChange::Verified {
        domain: domain.clone(),
        org,
    }))
}

/// Rule 20: the owner's org admins move a verified domain to another org, and with it the
/// management of every account on it.
pub fn move_domain(
    actor: &Actor,
    domain: &Domain,
    current_owner: Option<OrgId>,
    to: OrgId,
) -> Result<DomainChange, Refusal> {
    let Some(from) = current_owner else {
        return Err(Refusal::DomainNotVerified);
    };
    if *actor != Actor::OrgAdmin(from) {
        return Err(Refusal::DomainVerifiedByOtherOrg { org: from });
    }
    if from == to {
        return Ok(DomainChange::Unchanged);
    }
    Ok(DomainChange::Moved {
        domain: domain.clone(),
        from,
        to,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::domain::proof::{Challenge, DnsAnswer};
    use crate::domain::refusal::tests::assert_refusal;
    use crate::domain::refusal::WhoCanAct;
    use crate::domain::testing::{domain, email};

    #[test]
    fn managing_org_is_the_owner_of_the_email_domain() {
        let a = OrgId::new();
        let owners: VerifiedDomains = [(domain("acme.com"), a)].into_iter().collect();
        assert_eq!(managing_org(&email("x@ACME.com"), &owners), Some(a));
        assert_eq!(managing_org(&email("x@gmail.com"), &owners), None);
        // Exact match: a subdomain needs its own verification.
        assert_eq!(managing_org(&email("x@eu.acme.com"), &owners), None);
    }

    #[test]
    fn closures_work_as_domain_owners() {
        let a = OrgId::new();
        let owners = |d: &str| (d == "acme.com").then_some(a);
        assert_eq!(managing_org(&email("x@acme.com"), &owners), Some(a));
    }

    #[test]
    fn rule20_verifying_needs_proof_and_is_idempotent() {
        let a = OrgId::new();
        let d = domain("acme.com");
        let admin = Actor::OrgAdmin(a);
        assert_eq!(
            verify_domain(&admin, &d, None, Proof::NotYet),
            Ok(Verification::Pending),
            "without proof the domain is only pending"
        );
        let challenge = Challenge {
            domain: d.clone(),
            token: "tok".into(),
        };
        let records = vec!["scimd-verification=tok".to_owned()];
        let proven = Proof::Dns {
            challenge: &challenge,
            answer: DnsAnswer::Records(&records),
        };
        let verified = Verification::Verified(DomainChange::Verified {
            domain: d.clone(),
            org: a,
        });
        assert_eq!(
            verify_domain(&admin, &d, None, proven),
            Ok(verified.clone())
        );
        assert_eq!(verify_domain(&admin, &d, None, Proof::Waived), Ok(verified));
        let missing = Proof::Dns {
            challenge: &challenge,
            answer: DnsAnswer::NoRecords,
        };
        assert_eq!(
            verify_domain(&admin, &d, None, missing).unwrap_err().code(),
            "domain_proof_missing"
        );
        assert_eq!(
            verify_domain(&admin, &d, Some(a), Proof::NotYet),
            Ok(Verification::AlreadyVerified)
        );
    }

    #[test]
    fn rule20_a_challenge_for_another_domain_proves_nothing() {
        let a = OrgId::new();
        let challenge = Challenge {
            domain: domain("mine.example"),
            token: "tok".into(),
        };
        let records = vec!["scimd-verification=tok".to_owned()];
        let proof = Proof::Dns {
            challenge: &challenge,
            answer: DnsAnswer::Records(&records),
        };
        let err = verify_domain(&Actor::OrgAdmin(a), &domain("victim.example"), None, proof);
        assert_eq!(err.unwrap_err().code(), "domain_not_pending");
    }

    #[test]
    fn public_suffixes_cannot_be_verified() {
        let a = OrgId::new();
        for suffix in ["co.uk", "github.io", "com.au", "xn--55qx5d.cn"] {
            let err = verify_domain(&Actor::OrgAdmin(a), &domain(suffix), None, Proof::Waived)
                .unwrap_err();
            assert_eq!(err.code(), "public_suffix", "{suffix}");
        }
        for fine in [
            "acme.co.uk",
            "me.github.io",
            "acme.example",
            "bücher.example",
        ] {
            assert_eq!(verifiable(&domain(fine)), Ok(()), "{fine}");
        }
    }

    #[test]
    fn rule20_a_domain_held_by_another_org_is_refused_and_names_the_owner() {
        let (a, b) = (OrgId::new(), OrgId::new());
        let err = verify_domain(
            &Actor::OrgAdmin(b),
            &domain("acme.com"),
            Some(a),
            Proof::Waived,
        )
        .unwrap_err();
        assert_refusal(
            &err,
            "domain_verified_by_other_org",
            Some(WhoCanAct::ManagingOrg(a)),
            "only its administrators can move it",
        );
    }

    #[test]
    fn rule20_only_org_admins_verify_domains() {
        let err = verify_domain(
            &Actor::AccountOwner(crate::domain::ids::AccountId::new()),
            &domain("acme.com"),
            None,
            Proof::Waived,
        )
        .unwrap_err();
        assert_eq!(err.code(), "not_org_admin");
    }

    #[test]
    fn rule20_moving_a_domain_moves_management_of_its_accounts() {
        let (a, b) = (OrgId::new(), OrgId::new());
        let d = domain("acme.com");
        let alice = email("alice@acme.com");
        let mut owners: VerifiedDomains = [(d.clone(), a)].into_iter().collect();
        assert_eq!(managing_org(&alice, &owners), Some(a));

        let change = move_domain(&Actor::OrgAdmin(a), &d, owners.owner_of(d.as_str()), b).unwrap();
        assert_eq!(
            change,
            DomainChange::Moved {
                domain: d.clone(),
                from: a,
                to: b
            }
        );
        owners.apply(&change);
        assert_eq!(managing_org(&alice, &owners), Some(b));
    }

    #[test]
    fn rule20_only_the_owner_can_move_a_domain() {
        let (a, b) = (OrgId::new(), OrgId::new());
        let d = domain("acme.com");
        let err = move_domain(&Actor::OrgAdmin(b), &d, Some(a), b).unwrap_err();
        assert_eq!(err.code(), "domain_verified_by_other_org");
        assert_eq!(err.who_can_act(), Some(WhoCanAct::ManagingOrg(a)));
        let err = move_domain(&Actor::OrgAdmin(b), &d, None, b).unwrap_err();
        assert_eq!(err.code(), "domain_not_verified");
        assert_eq!(
            move_domain(&Actor::OrgAdmin(a), &d, Some(a), a),
            Ok(DomainChange::Unchanged)
        );
    }
}
