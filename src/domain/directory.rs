//! Directories (SCIM clients): provisioning, linking, changes, deletion, isolation
//! (rules 12–18).
//!
//! A directory keeps one SCIM user record per account it provisions. Account-owned
//! attributes follow the account's management; `externalId` and group memberships are the
//! record's own and are always the directory's to change.

use super::accounts::{can_change_status, AccountFacts, AccountStatus, Management, StatusChange};
use super::actor::Actor;
use super::domains::{managing_org, DomainOwners};
use super::email::Email;
use super::ids::{AccountId, DirectoryId, OrgId};
use super::profile::{can_change_profile, AccountField};
use super::refusal::Refusal;

/// The directory a SCIM request authenticated as.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub struct DirectoryRef {
    /// The directory.
    pub id: DirectoryId,
    /// The org that owns it.
    pub org: OrgId,
}

impl DirectoryRef {
    /// The directory as an [`Actor`], for the general account rules.
    #[must_use]
    pub const fn actor(&self) -> Actor {
        Actor::Directory {
            directory: self.id,
            org: self.org,
        }
    }

    /// Rule 13: whether the directory's org manages the account. Only then may the directory
    /// write the account's profile and status; any other account is another's to govern.
    #[must_use]
    pub fn manages(&self, management: Management) -> bool {
        management.is_managed_by(self.org)
    }
}

/// The existing account for a provisioned email, as the service found it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct LinkCandidate {
    /// The account with that email.
    pub account: AccountFacts,
    /// Whether this directory already has a record linked to it.
    pub provisioned_by_this_directory: bool,
}

/// What a SCIM POST /Users does with the email (rules 12, 14).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LinkPlan {
    /// Create an account managed by the directory's org, with the request's profile.
    CreateManaged {
        /// The directory's org.
        org: OrgId,
    },
    /// Create an external account: unmanaged, or managed by the org that verified the
    /// domain. An unmanaged one takes the request's profile as its initial profile; one
    /// another org manages takes none. The directory cannot change either afterwards
    /// (rule 13).
    CreateExternal {
        /// The org that verified the email's domain, if any.
        managing_org: Option<OrgId>,
    },
    /// Link the existing account. Only when `may_update_profile` may the request's
    /// account-owned attributes be written; otherwise answer with the account as it is.
    LinkExisting {
        /// The account.
        account: AccountId,
        /// Whether the directory's org manages it.
        may_update_profile: bool,
    },
}

impl LinkPlan {
    /// Rule 13: whether the request's account-owned attributes are written. A new account
    /// takes them unless another org's verified domain makes it that org's to describe.
    #[must_use]
    pub const fn writes_profile(&self) -> bool {
        match *self {
            Self::CreateManaged { .. } | Self::CreateExternal { managing_org: None } => true,
            Self::CreateExternal {
                managing_org: Some(_),
            } => false,
            Self::LinkExisting {
                may_update_profile, ..
            } => may_update_profile,
        }
    }
}

/// Rules 12 and 14: a directory may provision any email. New memberships it creates start
/// `invite_not_sent` (rule 6, [`crate::domain::sites::initial_access`]).
pub fn plan_directory_link(
    directory: &DirectoryRef,
    email: &Email,
    existing: Option<LinkCandidate>,
    owners: &impl DomainOwners,
) -> Result<LinkPlan, Refusal> {
    match existing {
        Some(found) if found.provisioned_by_this_directory => Err(Refusal::AlreadyProvisioned),
        Some(found) => Ok(LinkPlan::LinkExisting {
            account: found.account.id,
            may_update_profile: directory.manages(found.account.management),
        }),
        None => match managing_org(email, owners) {
            Some(org) if org == directory.org => Ok(LinkPlan::CreateManaged { org }),
            managing_org => Ok(LinkPlan::CreateExternal { managing_org }),
        },
    }
}

/// Rule 13: may the directory change these account-owned fields? Pass only fields that
/// really differ ([`crate::domain::profile::differs`]): resent values are not changes.
pub fn can_directory_change_account(
    directory: &DirectoryRef,
    account: &AccountFacts,
    changed: &[AccountField],
) -> Result<(), Refusal> {
    can_change_profile(&directory.actor(), account, changed)
}

/// Rule 15: SCIM `active`. Deactivates or reactivates a managed account everywhere (rule 1);
/// refused on accounts the directory's org does not manage (rule 13), unless unchanged.
pub fn directory_set_active(
    directory: &DirectoryRef,
    account: &AccountFacts,
    active: bool,
) -> Result<StatusChange, Refusal> {
    can_change_status(
        &directory.actor(),
        account,
        AccountStatus::from_active(active),
    )
}

/// Rule 16: the effect of SCIM DELETE on the account. The record is always unlinked and
/// removed from this directory's groups; the account and its content always remain.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct DeleteEffect {
    /// Whether to deactivate the account as well.
    pub deactivate: bool,
}

/// Rule 16: a managed account is deactivated (if not already); any other account is left as
/// it is, since the directory's org has no say over it.
#[must_use]
pub fn on_directory_delete(directory: &DirectoryRef, account: &AccountFacts) -> DeleteEffect {
    DeleteEffect {
        deactivate: directory.manages(account.management) && account.status.is_active(),
    }
}

/// How much of a linked account a directory's responses may show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountView {
    /// The account is unmanaged, or managed by the directory's own org: all of it.
    Full,
    /// Another org manages the account: only what any stranger may see of it (its email,
    /// name, display name and status), never that org's HR data or its directories' ids.
    Stranger,
}

/// Rule 18 for linked accounts: a directory sees another org's account as a stranger does.
#[must_use]
pub fn account_view(directory: &DirectoryRef, management: Management) -> AccountView {
    match management {
        Management::Managed(org) if org != directory.org => AccountView::Stranger,
        Management::Managed(_) | Management::Unmanaged => AccountView::Full,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::domain::accounts::tests::{managed, unmanaged};
    use crate::domain::accounts::Management;
    use crate::domain::domains::{move_domain, VerifiedDomains};
    use crate::domain::profile::differs;
    use crate::domain::refusal::tests::assert_refusal;
    use crate::domain::refusal::WhoCanAct;
    use crate::domain::testing::{domain, email};

    #[test]
    fn another_orgs_account_is_seen_as_a_stranger_sees_it() {
        let d = dir();
        assert_eq!(
            account_view(&d, Management::Managed(d.org)),
            AccountView::Full
        );
        assert_eq!(account_view(&d, Management::Unmanaged), AccountView::Full);
        assert_eq!(
            account_view(&d, Management::Managed(OrgId::new())),
            AccountView::Stranger
        );
    }

    fn dir() -> DirectoryRef {
        DirectoryRef {
            id: DirectoryId::new(),
            org: OrgId::new(),
        }
    }

    #[test]
    fn rule12_new_email_on_a_verified_domain_creates_a_managed_account() {
        let d = dir();
        let owners = |x: &str| (x == "corp.com").then_some(d.org);
        assert_eq!(
            plan_directory_link(&d, &email("new@corp.com"), None, &owners),
            Ok(LinkPlan::CreateManaged { org: d.org })
        );
    }

    #[test]
    fn rule12_other_emails_become_external_users() {
        let (d, other) = (dir(), OrgId::new());
        let owners = |x: &str| (x == "partner.com").then_some(other);
        assert_eq!(
            plan_directory_link(&d, &email("x@gmail.com"), None, &owners),
            Ok(LinkPlan::CreateExternal { managing_org: None })
        );
        assert_eq!(
            plan_directory_link(&d, &email("x@partner.com"), None, &owners),
            Ok(LinkPlan::CreateExternal {
                managing_org: Some(other)
            })
        );
    }

    #[test]
    fn rule14_linking_keeps_the_profile_of_accounts_the_org_does_not_manage() {
        let d = dir();
        let no_owner = |_: &str| None;
        let theirs = managed(OrgId::new(), AccountStatus::Active);
        let ours = managed(d.org, AccountStatus::Active);
        for (account, address, may_update_profile) in
            [(theirs, "x@partner.com", false), (ours, "x@corp.com", true)]
        {
            let found = LinkCandidate {
                account,
                provisioned_by_this_directory: false,
            };
            let plan = plan_directory_link(&d, &email(address), Some(found), &no_owner);
            let expected = LinkPlan::LinkExisting {
                account: account.id,
                may_update_profile,
            };
            assert_eq!(plan, Ok(expected), "{address}");
        }
    }

    #[test]
    fn rule13_only_accounts_another_org_manages_refuse_the_requests_profile() {
        let (d, other) = (dir(), OrgId::new());
        let owners = |x: &str| match x {
            "corp.com" => Some(d.org),
            "partner.com" => Some(other),
            _ => None,
        };
        let plan = |e: &str| plan_directory_link(&d, &email(e), None, &owners).unwrap();
        assert!(plan("new@corp.com").writes_profile());
        assert!(plan("x@gmail.com").writes_profile());
        assert!(!plan("x@partner.com").writes_profile());
        let link = |account: AccountFacts| {
            let found = LinkCandidate {
                account,
                provisioned_by_this_directory: false,
            };
            plan_directory_link(&d, &email("x@corp.com"), Some(found), &owners).unwrap()
        };
        assert!(link(managed(d.org, AccountStatus::Active)).writes_profile());
        assert!(!link(managed(other, AccountStatus::Active)).writes_profile());
        assert!(!link(unmanaged(AccountStatus::Active)).writes_profile());
        assert!(d.manages(Management::Managed(d.org)));
        assert!(!d.manages(Management::Managed(other)));
        assert!(!d.manages(Management::Unmanaged));
    }

    #[test]
    fn rule14_posting_a_user_this_directory_already_provisions_is_a_uniqueness_conflict() {
        let d = dir();
        let found = LinkCandidate {
            account: managed(d.org, AccountStatus::Active),
            provisioned_by_this_directory: true,
        };
        let err = plan_directory_link(&d, &email("x@corp.com"), Some(found), &|_: &str| None)
            .unwrap_err();
        assert_eq!(err.code(), "uniqueness");
    }

    #[test]
    fn rule13_directory_changes_its_own_orgs_accounts_but_not_others() {
        let d = dir();
        assert_eq!(
            can_directory_change_account(
                &d,
                &managed(d.org, AccountStatus::Active),
                &[AccountField::Title]
            ),
            Ok(())
        );
        let err = can_directory_change_account(
            &d,
            &unmanaged(AccountStatus::Active),
            &[AccountField::Title],
        )
        .unwrap_err();
        let who = Some(WhoCanAct::AccountOwner);
        assert_refusal(
            &err,
            "owner_only",
            who,
            "unassign the user in your identity provider",
        );
    }

    #[test]
    fn rule13_resending_the_current_values_is_not_refused() {
        let d = dir();
        let theirs = managed(OrgId::new(), AccountStatus::Active);
        let changed: Vec<_> = [
            differs(AccountField::DisplayName, "Ann", "Ann"),
            differs(
                AccountField::Email,
                &email("ann@p.com"),
                &email("Ann@P.com"),
            ),
        ]
        .into_iter()
        .flatten()
        .collect();
        assert_eq!(can_directory_change_account(&d, &theirs, &changed), Ok(()));
    }

    #[test]
    fn rule15_active_false_deactivates_a_managed_account_and_true_reactivates_it() {
        let d = dir();
        let acct = managed(d.org, AccountStatus::Active);
        assert_eq!(
            directory_set_active(&d, &acct, false),
            Ok(StatusChange::Set(AccountStatus::Deactivated))
        );
        let acct = managed(d.org, AccountStatus::Deactivated);
        assert_eq!(
            directory_set_active(&d, &acct, true),
            Ok(StatusChange::Set(AccountStatus::Active))
        );
    }

    #[test]
    fn rule15_active_on_an_account_the_org_does_not_manage_is_refused_unless_unchanged() {
        let (d, other) = (dir(), OrgId::new());
        let acct = managed(other, AccountStatus::Active);
        let err = directory_set_active(&d, &acct, false).unwrap_err();
        assert_refusal(
            &err,
            "managed_by_other_org",
            Some(WhoCanAct::ManagingOrg(other)),
            "only its administrators can deactivate it",
        );
        assert!(err.to_string().contains("remove it from groups instead"));
        assert_eq!(
            directory_set_active(&d, &acct, true),
            Ok(StatusChange::Unchanged)
        );
    }

    #[test]
    fn rule16_delete_deactivates_managed_accounts_only() {
        let d = dir();
        assert!(on_directory_delete(&d, &managed(d.org, AccountStatus::Active)).deactivate);
        assert!(!on_directory_delete(&d, &managed(d.org, AccountStatus::Deactivated)).deactivate);
        assert!(!on_directory_delete(&d, &managed(OrgId::new(), AccountStatus::Active)).deactivate);
        assert!(!on_directory_delete(&d, &unmanaged(AccountStatus::Active)).deactivate);
    }

    #[test]
    fn rule20_moving_the_domain_makes_rule13_refuse_the_old_orgs_directory() {
        let (old, new) = (dir(), OrgId::new());
        let corp = domain("corp.com");
        let alice = email("alice@corp.com");
        let mut owners: VerifiedDomains = [(corp.clone(), old.org)].into_iter().collect();
        let facts = |owners: &VerifiedDomains| crate::domain::accounts::AccountFacts {
            id: AccountId::from_uuid(uuid::Uuid::nil()),
            status: AccountStatus::Active,
            management: Management::of(&alice, owners),
            content_count: 0,
        };
        assert_eq!(
            can_directory_change_account(&old, &facts(&owners), &[AccountField::Title]),
            Ok(())
        );

        let change = move_domain(&Actor::OrgAdmin(old.org), &corp, Some(old.org), new).unwrap();
        owners.apply(&change);
        let err = can_directory_change_account(&old, &facts(&owners), &[AccountField::Title])
            .unwrap_err();
        assert_eq!(err.code(), "managed_by_other_org");
        assert_eq!(err.who_can_act(), Some(WhoCanAct::ManagingOrg(new)));
    }
}
