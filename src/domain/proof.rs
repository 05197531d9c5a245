//! Proof of domain ownership: a DNS TXT record the org publishes (rule 20, docs/domain.md:
//! "proof is a DNS TXT record the org publishes; until checked the domain is pending and
//! changes nothing").
//!
//! The org is given a random token; it publishes `scimd-verification=<token>` as a TXT record
//! at `_scimd-challenge.<domain>`. Only what the resolver found is judged here; the lookup is
//! the service's. A name of its own (not the domain's apex) keeps the record apart from SPF and
//! other TXT records, and lets a DNS admin delegate just that name.

use super::email::Domain;
use super::refusal::Refusal;

/// The label in front of the domain where the challenge record lives.
pub const CHALLENGE_LABEL: &str = "_scimd-challenge";
/// What the TXT record's text starts with, before the token.
pub const CHALLENGE_PREFIX: &str = "scimd-verification=";

/// The record an org must publish to prove it controls `domain`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    /// The domain to prove.
    pub domain: Domain,
    /// The secret the record must carry.
    pub token: String,
}

impl Challenge {
    /// The fully qualified name the TXT record goes at.
    #[must_use]
    pub fn record_name(&self) -> String {
        format!("{CHALLENGE_LABEL}.{}", self.domain.as_str())
    }

    /// The text the TXT record must hold.
    #[must_use]
    pub fn record_value(&self) -> String {
        format!("{CHALLENGE_PREFIX}{}", self.token)
    }
}

/// What the resolver answered for the challenge's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DnsAnswer<'a> {
    /// NXDOMAIN, or the name exists without TXT records.
    NoRecords,
    /// The TXT records' texts (each record's strings joined, as RFC 7208 §3.3 reads them).
    Records(&'a [String]),
}

/// How a verification is backed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proof<'a> {
    /// The operator vouches: `scimd bootstrap`, or the admin API with
    /// `--allow-unproven-domains` (air-gapped installs).
    Waived,
    /// Nothing checked yet: the domain becomes pending with a challenge.
    NotYet,
    /// A lookup of the challenge's record.
    Dns {
        /// The challenge the org was given.
        challenge: &'a Challenge,
        /// What the resolver found.
        answer: DnsAnswer<'a>,
    },
}

/// Rule 20: whether the records found prove the challenge. One record must be exactly the
/// expected text (surrounding whitespace aside); a record for another token, left over from
/// an earlier attempt or another org's, proves nothing.
pub fn check_challenge(challenge: &Challenge, answer: DnsAnswer<'_>) -> Result<(), Refusal> {
    let expected = challenge.record_value();
    let record = challenge.record_name();
    match answer {
        DnsAnswer::Records(found) if found.iter().any(|text| text.trim() == expected) => Ok(()),
        DnsAnswer::Records(found) if !found.is_empty() => Err(Refusal::DomainProofMismatch {
            record,
            expected,
            found: found.len(),
        }),
        _ => Err(Refusal::DomainProofMissing { record, expected }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn challenge() -> Challenge {
        Challenge {
            domain: Domain::parse("bücher.example").unwrap(),
            token: "t0k3n".into(),
        }
    }

    #[test]
    fn the_record_lives_under_the_ascii_form_of_the_domain() {
        let c = challenge();
        assert_eq!(c.record_name(), "_scimd-challenge.xn--bcher-kva.example");
        assert_eq!(c.record_value(), "scimd-verification=t0k3n");
    }

    #[test]
    fn only_the_exact_token_proves_ownership() {
        let c = challenge();
        let right = vec!["v=spf1 -all".to_owned(), "scimd-verification=t0k3n".into()];
        assert_eq!(check_challenge(&c, DnsAnswer::Records(&right)), Ok(()));
        let wrong = vec!["scimd-verification=other".to_owned()];
        let err = check_challenge(&c, DnsAnswer::Records(&wrong)).unwrap_err();
        assert_eq!(err.code(), "domain_proof_mismatch");
        assert!(
            err.to_string().contains("scimd-verification=t0k3n"),
            "{err}"
        );
        let prefix = vec!["scimd-verification=t0k3n-and-more".to_owned()];
        assert!(check_challenge(&c, DnsAnswer::Records(&prefix)).is_err());
    }

    #[test]
    fn no_record_is_missing_proof_that_names_what_to_publish() {
        let c = challenge();
        for answer in [DnsAnswer::NoRecords, DnsAnswer::Records(&[])] {
            let err = check_challenge(&c, answer).unwrap_err();
            assert_eq!(err.code(), "domain_proof_missing");
            let text = err.to_string();
            assert!(
                text.contains("_scimd-challenge.xn--bcher-kva.example"),
                "{text}"
            );
            assert!(text.contains("scimd-verification=t0k3n"), "{text}");
        }
    }
}
