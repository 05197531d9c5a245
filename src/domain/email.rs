//! Emails and domain names, in the single form the model compares them in.
//!
//! Accounts are keyed by email case-insensitively. Normalizing once, at the edge, makes every
//! later comparison (lookups, "is this a change?", domain ownership) plain equality.

use std::borrow::Borrow;
use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// RFC 5321's limit on a forward path, in octets.
const MAX_EMAIL_LEN: usize = 254;
const MAX_DOMAIN_LEN: usize = 253;
const MAX_LABEL_LEN: usize = 63;

/// Why a text is not an email the model accepts.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EmailError {
    /// Nothing but whitespace.
    #[error("the email is empty")]
    Empty,
    /// Whitespace or control characters inside the address.
    #[error("the email contains whitespace or control characters")]
    InvalidCharacter,
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

/// A text that is not a DNS domain name with at least two labels.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0:?} is not a valid domain name")]
pub struct InvalidDomain(pub String);

/// A normalized email: trimmed, lower-cased, shaped `local@domain`.
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

    /// The lower-cased domain: what decides the managing organization.
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

impl TryFrom<String> for Email {
    type Error = EmailError;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        normalize_email(&raw)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> Self {
        email.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Trims and lower-cases `raw` and checks the minimal `local@domain` shape.
///
/// The whole address is lower-cased, local part included: accounts are keyed by email
/// case-insensitively, so `Alice@X.com` and `alice@x.com` must be the same account.
pub fn normalize_email(raw: &str) -> Result<Email, EmailError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(EmailError::Empty);
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
    let domain = Domain::parse(domain)?;
    Ok(Email(format!("{local}@{}", domain.as_str())))
}

/// The lower-cased domain of `email`, or `None` if it is not an email.
#[must_use]
pub fn email_domain(email: &str) -> Option<Domain> {
    normalize_email(email).ok().map(|e| e.domain_name())
}

/// A normalized DNS domain name: lower-cased, no trailing dot, at least two labels.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Domain(String);

impl Domain {
    /// Normalizes and validates a domain name.
    pub fn parse(raw: &str) -> Result<Self, InvalidDomain> {
        let lowered = raw.trim().to_lowercase();
        let name = lowered.strip_suffix('.').unwrap_or(&lowered);
        let valid =
            name.len() <= MAX_DOMAIN_LEN && name.contains('.') && name.split('.').all(valid_label);
        if valid {
            Ok(Self(name.to_owned()))
        } else {
            Err(InvalidDomain(raw.to_owned()))
        }
    }

    /// The normalized text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn valid_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= MAX_LABEL_LEN
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label.chars().all(|c| c.is_alphanumeric() || c == '-')
}

// Lets maps keyed by `Domain` be queried with the `&str` that `Email::domain` returns.
impl Borrow<str> for Domain {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Domain {
    type Error = InvalidDomain;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<Domain> for String {
    fn from(domain: Domain) -> Self {
        domain.0
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

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
