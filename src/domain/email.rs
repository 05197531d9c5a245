//! Emails and domain names, in the single form the model compares them in.
//!
//! Accounts are keyed by email case-insensitively. Normalizing once, at the edge, makes every
//! later comparison (lookups, "is this a change?", domain ownership) plain equality.

use std::borrow::Borrow;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::idn::{self, DomainFault, LocalPartFault};
use super::text::checked_text;

/// RFC 5321's limit on a forward path, in octets.
const MAX_EMAIL_LEN: usize = 254;

/// Why a text is not an email the model accepts.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EmailError {
    /// Nothing but whitespace.
    #[error("the email is empty")]
    Empty,
    /// Whitespace or control characters inside the address.
    #[error("the email contains whitespace or control characters")]
    InvalidCharacter,
    /// Invisible or bidirectional control characters (zero widths, U+202E, ...): the address
    /// would not look like what it is.
    #[error("the email contains an invisible or bidirectional control character")]
    InvisibleCharacter,
    /// The local part uses compatibility forms or mixes scripts.
    #[error(transparent)]
    LocalPart(#[from] LocalPartFault),
    /// Longer than 254 octets.
    #[error("the email is longer than {MAX_EMAIL_LEN} characters")]
    TooLong,
    /// No `@`.
    #[error("the email has no '@'")]
    MissingAt,
    /// More than one `@`: quoted local parts are not accepted.
    #[error("the email has more than one '@'")]
    MultipleAt,
    /// Nothing before the `@`.
    #[error("the email has nothing before '@'")]
    EmptyLocalPart,
    /// The part after `@` is not a domain name.
    #[error(transparent)]
    InvalidDomain(#[from] InvalidDomain),
}

/// A text that is not a DNS domain name scimd accepts, and why.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{input:?} is not a valid domain name{}", fault_suffix(.fault))]
pub struct InvalidDomain {
    /// The text as given.
    pub input: String,
    /// What is wrong with it.
    pub fault: DomainFault,
}

fn fault_suffix(fault: &DomainFault) -> String {
    match fault {
        DomainFault::Syntax => String::new(),
        other => format!(": {other}"),
    }
}

/// A normalized email: trimmed, lower-cased local part, `@`, the domain's IDNA ASCII form.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Same as [`normalize_email`].
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        normalize_email(raw)
    }

    /// The normalized text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before `@`.
    #[must_use]
    pub fn local_part(&self) -> &str {
        self.0.split_once('@').map_or("", |(local, _)| local)
    }

    /// The domain in its IDNA ASCII form: what decides the managing organization.
    #[must_use]
    pub fn domain(&self) -> &str {
        self.0.split_once('@').map_or("", |(_, domain)| domain)
    }

    /// The domain as a [`Domain`].
    #[must_use]
    pub fn domain_name(&self) -> Domain {
        // Already validated when the email was built.
        Domain(self.domain().to_owned())
    }
}

checked_text!(Email, EmailError, normalize_email);

/// Trims and lower-cases `raw`, checks the `local@domain` shape, and writes the domain in its
/// IDNA ASCII form.
///
/// The whole address is lower-cased, local part included: accounts are keyed by email
/// case-insensitively, so `Alice@X.com` and `alice@x.com` must be the same account, and
/// `ann@bücher.example` and `ann@xn--bcher-kva.example` one mailbox.
pub fn normalize_email(raw: &str) -> Result<Email, EmailError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(EmailError::Empty);
    }
    if trimmed.chars().any(idn::is_invisible) {
        return Err(EmailError::InvisibleCharacter);
    }
    if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(EmailError::InvalidCharacter);
    }
    let lowered = super::text::fold_case(trimmed);
    if lowered.len() > MAX_EMAIL_LEN {
        return Err(EmailError::TooLong);
    }
    let (local, domain) = lowered.split_once('@').ok_or(EmailError::MissingAt)?;
    if domain.contains('@') {
        return Err(EmailError::MultipleAt);
    }
    if local.is_empty() {
        return Err(EmailError::EmptyLocalPart);
    }
    idn::check_local_part(local)?;
    let domain = Domain::parse(domain)?;
    let email = format!("{local}@{}", domain.as_str());
    // Punycode can be longer than the Unicode it encodes.
    if email.len() > MAX_EMAIL_LEN {
        return Err(EmailError::TooLong);
    }
    Ok(Email(email))
}

/// The normalized domain of `email`, or `None` if it is not an email.
#[must_use]
pub fn email_domain(email: &str) -> Option<Domain> {
    normalize_email(email).ok().map(|e| e.domain_name())
}

/// A normalized DNS domain name: its IDNA ASCII form (UTS #46), lower-cased, no trailing dot,
/// at least two labels, no label mixing scripts (see [`idn`]).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Domain(String);

impl Domain {
    /// Normalizes and validates a domain name.
    pub fn parse(raw: &str) -> Result<Self, InvalidDomain> {
        let trimmed = raw.trim();
        let name = trimmed.strip_suffix('.').unwrap_or(trimmed);
        idn::to_ascii(name)
            .map(Self)
            .map_err(|fault| InvalidDomain {
                input: raw.to_owned(),
                fault,
            })
    }

    /// The normalized text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// Lets maps keyed by `Domain` be queried with the `&str` that `Email::domain` returns.
impl Borrow<str> for Domain {
    fn borrow(&self) -> &str {
        &self.0
    }
}

checked_text!(Domain, InvalidDomain, Domain::parse);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use serde::de::value::{Error as DeError, StringDeserializer};
    use serde::de::IntoDeserializer;

    #[test]
    fn trims_and_lowercases_the_whole_address() {
        let e = normalize_email("  Alice.Smith@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "alice.smith@example.com");
        assert_eq!(e.local_part(), "alice.smith");
        assert_eq!(e.domain(), "example.com");
    }

    #[test]
    fn emails_differing_only_in_case_are_equal() {
        assert_eq!(
            Email::parse("BOB@x.io").unwrap(),
            Email::parse("bob@X.IO").unwrap()
        );
    }

    #[test]
    fn drops_a_trailing_dot_on_the_domain() {
        assert_eq!(
            normalize_email("a@example.com.").unwrap().domain(),
            "example.com"
        );
    }

    #[test]
    fn refuses_malformed_addresses_with_a_typed_reason() {
        assert_eq!(normalize_email("   "), Err(EmailError::Empty));
        assert_eq!(normalize_email("alice"), Err(EmailError::MissingAt));
        assert_eq!(
            normalize_email("@example.com"),
            Err(EmailError::EmptyLocalPart)
        );
        assert_eq!(
            normalize_email("a@b@example.com"),
            Err(EmailError::MultipleAt)
        );
        assert_eq!(
            normalize_email("a b@example.com"),
            Err(EmailError::InvalidCharacter)
        );
        assert_eq!(
            normalize_email("a\u{0}@example.com"),
            Err(EmailError::InvalidCharacter)
        );
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(normalize_email(&long), Err(EmailError::TooLong));
        for bad in [
            "a@localhost",
            "a@",
            "a@ex..com",
            "a@-ex.com",
            "a@ex_ample.com",
        ] {
            assert!(
                matches!(normalize_email(bad), Err(EmailError::InvalidDomain(_))),
                "{bad} should have an invalid domain"
            );
        }
    }

    #[test]
    fn email_domain_is_lowercased_or_none() {
        assert_eq!(
            email_domain("x@Corp.Example").unwrap().as_str(),
            "corp.example"
        );
        assert_eq!(email_domain("not an email"), None);
    }

    #[test]
    fn domains_normalize_like_emails() {
        assert_eq!(
            Domain::parse(" Example.COM. ").unwrap().as_str(),
            "example.com"
        );
        assert!(Domain::parse("com").is_err());
        assert!(Domain::parse("a.b-").is_err());
    }

    #[test]
    fn deserializing_an_email_normalizes_or_refuses_it() {
        let de: StringDeserializer<DeError> = "Carol@Example.com".to_owned().into_deserializer();
        assert_eq!(
            Email::deserialize(de).unwrap().as_str(),
            "carol@example.com"
        );
        let bad: StringDeserializer<DeError> = "carol".to_owned().into_deserializer();
        assert!(Email::deserialize(bad).is_err());
    }
}
