//! Account-owned attributes and who may change them (rules 13, 17).

use super::accounts::{authorize, AccountFacts, Directories, Management};
use super::actor::Actor;
use super::domains::DomainOwners;
use super::email::Email;
use super::ids::OrgId;
use super::refusal::{AccountAction, Refusal};
use super::wire::wire_enum;

const CORE_USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:user:";
const ENTERPRISE_USER_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user";

wire_enum! {
    /// An attribute that belongs to the account, not to a directory's record of it.
    /// `externalId` and group memberships are the directory's own and are not listed.
    pub enum AccountField as "account_field" {
        /// `userName` and `emails`.
        Email = "email",
        /// `name` and its sub-attributes.
        Name = "name",
        /// `displayName`.
        DisplayName = "display_name",
        /// `nickName`.
        NickName = "nick_name",
        /// `title`.
        Title = "title",
        /// `locale`.
        Locale = "locale",
        /// `timezone`.
        Timezone = "timezone",
        /// `preferredLanguage`.
        PreferredLanguage = "preferred_language",
        /// The enterprise extension's attributes.
        Enterprise = "enterprise",
    }
}

impl AccountField {
    /// The account field a SCIM attribute path touches, or `None` for attributes the
    /// directory owns (`externalId`, `groups`) and for `active`, which is a status change
    /// (rule 15, [`crate::domain::accounts::can_change_status`]).
    #[must_use]
    pub fn from_scim_path(path: &str) -> Option<Self> {
        if starts_with_ignore_case(path, ENTERPRISE_USER_URN) {
            return Some(Self::Enterprise);
        }
        let path = if starts_with_ignore_case(path, CORE_USER_URN) {
            path.get(CORE_USER_URN.len()..).unwrap_or_default()
        } else {
            path
        };
        let attribute = path.split(['.', '[']).next().unwrap_or_default();
        match attribute.to_ascii_lowercase().as_str() {
            "username" | "emails" => Some(Self::Email),
            "name" => Some(Self::Name),
            "displayname" => Some(Self::DisplayName),
            "nickname" => Some(Self::NickName),
            "title" => Some(Self::Title),
            "locale" => Some(Self::Locale),
            "timezone" => Some(Self::Timezone),
            "preferredlanguage" => Some(Self::PreferredLanguage),
            _ => None,
        }
    }
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// Rule 13: `Some(field)` only if the requested value really differs from the current one.
/// IdPs resend unchanged attributes all the time; those must not count as changes.
#[must_use]
pub fn differs<T: PartialEq + ?Sized>(
    field: AccountField,
    current: &T,
    requested: &T,
) -> Option<AccountField> {
    (current != requested).then_some(field)
}

/// Rule 13: may `actor` change these account-owned fields? Pass only fields that really
/// change (see [`differs`]); an empty list is always allowed. A changed email also needs
/// [`can_change_email`].
pub fn can_change_profile(
    actor: &Actor,
    account: &AccountFacts,
    changed: &[AccountField],
) -> Result<(), Refusal> {
    if changed.is_empty() {
        return Ok(());
    }
    authorize(
        actor,
        account,
        AccountAction::ChangeProfile,
        Directories::Allowed,
    )
}

/// The effect of an allowed email change.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EmailChange {
    /// Same email once normalized: write nothing.
    Unchanged,
    /// Store the new email; the account's management becomes `managing_org`.
    Changed {
        /// The managing org after the change (`None`: unmanaged).
        managing_org: Option<OrgId>,
    },
}

/// Rules 13 and 17: may `actor` change the account's email from `current` to `requested`?
///
/// A managed account's email may only move to a domain the same org has verified, so a
/// change can never silently unlink the account from its org or duplicate it. The owner of an
/// unmanaged account may use any email (and becomes managed if its domain is verified).
pub fn can_change_email(
    actor: &Actor,
    account: &AccountFacts,
    current: &Email,
    requested: &Email,
    owners: &impl DomainOwners,
) -> Result<EmailChange, Refusal> {
    if current == requested {
        return Ok(EmailChange::Unchanged);
    }
    authorize(
        actor,
        account,
        AccountAction::ChangeEmail,
        Directories::Allowed,
    )?;
    let new_owner = owners.owner_of(requested.domain());
    match account.management {
        Management::Managed(org) if new_owner != Some(org) => {
            Err(Refusal::EmailDomainNotVerified {
                org,
                domain: requested.domain().to_owned(),
            })
        }
        _ => Ok(EmailChange::Changed {
            managing_org: new_owner,
        }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::domain::accounts::tests::{managed, unmanaged};
    use crate::domain::accounts::AccountStatus;
    use crate::domain::refusal::tests::assert_refusal;
    use crate::domain::refusal::WhoCanAct;
    use crate::domain::testing::{directory as dir, email};

    #[test]
    fn scim_paths_map_to_account_fields() {
        let cases = [
            ("userName", AccountField::Email),
            ("emails[type eq \"work\"].value", AccountField::Email),
            ("name.givenName", AccountField::Name),
            ("DISPLAYNAME", AccountField::DisplayName),
            (
                "urn:ietf:params:scim:schemas:core:2.0:User:title",
                AccountField::Title,
            ),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
                AccountField::Enterprise,
            ),
        ];
        for (path, field) in cases {
            assert_eq!(AccountField::from_scim_path(path), Some(field), "{path}");
        }
    }

    #[test]
    fn directory_owned_attributes_are_not_account_fields() {
        for path in ["externalId", "groups", "active", "id", "meta.created"] {
            assert_eq!(AccountField::from_scim_path(path), None, "{path}");
        }
    }

    #[test]
    fn rule13_resent_unchanged_values_are_not_changes() {
        assert_eq!(differs(AccountField::DisplayName, "Ann", "Ann"), None);
        assert_eq!(
            differs(AccountField::DisplayName, "Ann", "Anne"),
            Some(AccountField::DisplayName)
        );
        // Case differences in an email are not a change: emails are case-insensitive.
        assert_eq!(
            differs(AccountField::Email, &email("ann@x.io"), &email("ANN@X.io")),
            None
        );
    }

    #[test]
    fn rule13_a_directory_may_change_accounts_its_org_manages() {
        let org = OrgId::new();
        let acct = managed(org, AccountStatus::Active);
        assert_eq!(
            can_change_profile(&dir(org), &acct, &[AccountField::Title]),
            Ok(())
        );
    }

    #[test]
    fn rule13_a_directory_is_refused_on_another_orgs_account_and_told_what_to_do() {
        let (org, other) = (OrgId::new(), OrgId::new());
        let acct = managed(other, AccountStatus::Active);
        let err = can_change_profile(&dir(org), &acct, &[AccountField::DisplayName]).unwrap_err();
        let who = Some(WhoCanAct::ManagingOrg(other));
        assert_refusal(
            &err,
            "managed_by_other_org",
            who,
            "only its administrators can change its profile",
        );
        assert!(err.to_string().contains(
            "unassign the user in your identity provider or remove it from groups instead"
        ));
    }

    #[test]
    fn rule13_a_directory_is_refused_on_an_unmanaged_account() {
        let acct = unmanaged(AccountStatus::Active);
        let err = can_change_profile(&dir(OrgId::new()), &acct, &[AccountField::Name]).unwrap_err();
        let who = Some(WhoCanAct::AccountOwner);
        assert_refusal(
            &err,
            "owner_only",
            who,
            "only the account's owner can change its profile",
        );
        assert!(err.to_string().contains("unassign the user"));
    }

    #[test]
    fn rule13_no_change_is_never_refused() {
        let acct = unmanaged(AccountStatus::Active);
        assert_eq!(can_change_profile(&dir(OrgId::new()), &acct, &[]), Ok(()));
    }

    #[test]
    fn rule17_managed_email_may_move_to_a_domain_the_same_org_verified() {
        let org = OrgId::new();
        let owners = |d: &str| matches!(d, "acme.com" | "acme.io").then_some(org);
        let acct = managed(org, AccountStatus::Active);
        assert_eq!(
            can_change_email(
                &dir(org),
                &acct,
                &email("a@acme.com"),
                &email("a@acme.io"),
                &owners
            ),
            Ok(EmailChange::Changed {
                managing_org: Some(org)
            })
        );
    }

    #[test]
    fn rule17_managed_email_may_not_leave_the_orgs_domains() {
        let (org, other) = (OrgId::new(), OrgId::new());
        let owners = |d: &str| match d {
            "acme.com" => Some(org),
            "other.com" => Some(other),
            _ => None,
        };
        let acct = managed(org, AccountStatus::Active);
        for target in ["a@gmail.com", "a@other.com"] {
            let err = can_change_email(
                &Actor::OrgAdmin(org),
                &acct,
                &email("a@acme.com"),
                &email(target),
                &owners,
            )
            .unwrap_err();
            assert_refusal(
                &err,
                "email_domain_not_verified",
                Some(WhoCanAct::ManagingOrg(org)),
                "not verified by the organization that manages this account",
            );
        }
    }

    #[test]
    fn rule17_other_orgs_directory_cannot_change_email_but_unchanged_is_fine() {
        let (org, other) = (OrgId::new(), OrgId::new());
        let owners = |d: &str| (d == "acme.com").then_some(org);
        let acct = managed(org, AccountStatus::Active);
        let err = can_change_email(
            &dir(other),
            &acct,
            &email("a@acme.com"),
            &email("b@acme.com"),
            &owners,
        )
        .unwrap_err();
        assert_eq!(err.code(), "managed_by_other_org");
        assert_eq!(
            can_change_email(
                &dir(other),
                &acct,
                &email("a@acme.com"),
                &email("A@ACME.com"),
                &owners
            ),
            Ok(EmailChange::Unchanged)
        );
    }

    #[test]
    fn unmanaged_owner_may_change_email_and_become_managed() {
        let org = OrgId::new();
        let owners = |d: &str| (d == "acme.com").then_some(org);
        let acct = unmanaged(AccountStatus::Active);
        assert_eq!(
            can_change_email(
                &Actor::AccountOwner(acct.id),
                &acct,
                &email("a@gmail.com"),
                &email("a@acme.com"),
                &owners
            ),
            Ok(EmailChange::Changed {
                managing_org: Some(org)
            })
        );
    }
}
