//! Which address a directory's user gives its account. `userName` is the IdP's own
//! identifier (a UPN, a login name, an employee id): the account's email comes from
//! `emails`, and from `userName` only when the user has no emails and its userName is an
//! address (docs/domain.md, "Directories").

use thiserror::Error;

use super::email::{normalize_email, Email, EmailError};

/// One entry of a user's `emails`, as the request sent it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EmailEntry<'a> {
    /// `value`; `None` when absent or not a string.
    pub value: Option<&'a str>,
    /// `type`, e.g. `work`.
    pub kind: Option<&'a str>,
    /// `primary: true`.
    pub primary: bool,
}

/// The address chosen for the account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountEmail<'a> {
    /// Its normal form, which the rules compare.
    pub email: Email,
    /// As the request wrote it, which the account keeps for display.
    pub written: &'a str,
}

/// Why a user gives its account no email.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum AccountEmailError {
    /// No `emails` and a userName that is not an address.
    #[error(
        "the user has no email address: userName {user_name:?} is not one and `emails` is empty; \
         map the user's email to emails[type eq \"work\"].value (Entra ID: mail; Okta: email), \
         or map userName to the email"
    )]
    Missing {
        /// The userName that was sent.
        user_name: String,
    },
    /// The chosen `emails` entry has no value or an invalid one.
    #[error("emails.value {value:?} is not a valid email address: {reason}")]
    Invalid {
        /// The value that was chosen.
        value: String,
        /// What is wrong with it.
        reason: EmailError,
    },
    /// More than one entry says `primary: true` (RFC 7643 §2.4 allows one).
    #[error("more than one of emails is marked primary; at most one may be")]
    SeveralPrimary,
}

/// The account's email: the entry marked `primary`, else the one of type `work`, else the
/// only one; with no entries, `userName` if it is an address. Where the spec is silent
/// (several `work` entries, or several untyped ones, and none primary) the first `work`
/// entry, else the first entry, is taken: IdPs send emails in a stable order, and refusing
/// the user would stop a sync over an ambiguity its admin cannot see.
pub fn account_email<'a>(
    user_name: &'a str,
    emails: &[EmailEntry<'a>],
) -> Result<AccountEmail<'a>, AccountEmailError> {
    if emails.iter().filter(|e| e.primary).count() > 1 {
        return Err(AccountEmailError::SeveralPrimary);
    }
    let chosen = emails
        .iter()
        .find(|e| e.primary)
        .or_else(|| {
            emails
                .iter()
                .find(|e| e.kind.is_some_and(|k| k.eq_ignore_ascii_case("work")))
        })
        .or_else(|| emails.first());
    match chosen {
        Some(entry) => {
            let value = entry.value.unwrap_or_default();
            match normalize_email(value) {
                Ok(email) => Ok(AccountEmail {
                    email,
                    written: value,
                }),
                Err(reason) => Err(AccountEmailError::Invalid {
                    value: value.to_owned(),
                    reason,
                }),
            }
        }
        None => match normalize_email(user_name) {
            Ok(email) => Ok(AccountEmail {
                email,
                written: user_name,
            }),
            Err(_) => Err(AccountEmailError::Missing {
                user_name: user_name.to_owned(),
            }),
        },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn entry<'a>(value: &'a str, kind: Option<&'a str>, primary: bool) -> EmailEntry<'a> {
        EmailEntry {
            value: Some(value),
            kind,
            primary,
        }
    }

    fn pick(user_name: &str, emails: &[EmailEntry<'_>]) -> Result<String, AccountEmailError> {
        account_email(user_name, emails).map(|e| e.email.as_str().to_owned())
    }

    #[test]
    fn the_email_is_the_primary_then_the_first_work_then_the_first_then_the_user_name() {
        let work = entry("work@acme.example", Some("work"), false);
        let home_primary = entry("Home@Acme.Example", Some("home"), true);
        let home = entry("home@acme.example", Some("home"), false);
        let work_capitalised = entry("work@acme.example", Some("Work"), false);
        let other_type = entry("only@acme.example", Some("other"), false);
        let first_work = entry("a@acme.example", Some("work"), false);
        let second_work = entry("b@acme.example", Some("work"), false);
        let first_untyped = entry("c@acme.example", None, false);
        let second_untyped = entry("d@acme.example", None, false);
        let untyped = entry("other@acme.example", None, false);
        // (userName, emails, the email taken)
        let cases = [
            // The primary wins over work and over order.
            ("jdoe", vec![work, home_primary], "home@acme.example"),
            // Without a primary, work wins (its type in any case).
            ("jdoe", vec![home, work_capitalised], "work@acme.example"),
            // The only entry is taken whatever its type.
            ("E1234", vec![other_type], "only@acme.example"),
            // Ambiguous entries: the first work, then the first.
            ("x", vec![first_work, second_work], "a@acme.example"),
            ("x", vec![first_untyped, second_untyped], "c@acme.example"),
            // userName is the email only without emails.
            ("Ann@Acme.Example", vec![], "ann@acme.example"),
            ("ann@acme.example", vec![untyped], "other@acme.example"),
        ];
        for (user_name, emails, taken) in cases {
            let picked = pick(user_name, &emails);
            assert_eq!(picked.as_deref(), Ok(taken), "{user_name} {emails:?}");
        }
    }

    #[test]
    fn no_email_at_all_names_the_mapping() {
        let err = pick("jdoe", &[]).unwrap_err();
        assert!(matches!(err, AccountEmailError::Missing { .. }));
        assert!(err.to_string().contains("emails[type eq \"work\"].value"));
    }

    #[test]
    fn an_invalid_chosen_value_is_refused_naming_emails_value() {
        let emails = [entry("not-an-email", Some("work"), true)];
        let err = pick("ann@acme.example", &emails).unwrap_err();
        assert!(err.to_string().starts_with("emails.value"), "{err}");
        let missing_value = [EmailEntry {
            value: None,
            kind: Some("work"),
            primary: true,
        }];
        assert!(matches!(
            pick("ann@acme.example", &missing_value),
            Err(AccountEmailError::Invalid { .. })
        ));
    }

    #[test]
    fn two_primaries_are_refused() {
        let emails = [
            entry("a@acme.example", None, true),
            entry("b@acme.example", None, true),
        ];
        assert_eq!(
            pick("x", &emails).unwrap_err(),
            AccountEmailError::SeveralPrimary
        );
    }
}
