//! Account status, management, deletion (rules 1–3, 10, 11).

use time::OffsetDateTime;

use super::actor::Actor;
use super::domains::{managing_org, DomainOwners};
use super::email::Email;
use super::ids::{AccountId, OrgId};
use super::refusal::{AccountAction, Instead, Refusal, WhoCanAct};
use super::wire::wire_enum;

wire_enum! {
    /// Whether an account may use any site. Global: not per site, not per org (rule 1).
    pub enum AccountStatus as "account_status" {
        /// Can use the sites it has access to.
        Active = "active",
        /// Can use no site; memberships, groups and content are kept, licenses freed.
        Deactivated = "deactivated",
    }
}

impl AccountStatus {
    /// The status SCIM's `active` attribute asks for.
    #[must_use]
    pub const fn from_active(active: bool) -> Self {
        if active {
            Self::Active
        } else {
            Self::Deactivated
        }
    }

    /// SCIM's `active`.
    #[must_use]
    pub const fn is_active(self) -> bool {
        matches!(self, Self::Active)
    }
}

/// Who governs an account: the org that verified its email domain, or nobody.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Management {
    /// Managed by this org.
    Managed(OrgId),
    /// No org has verified the email's domain: the owner governs it.
    Unmanaged,
}

impl Management {
    /// Derived from the email's domain, never stored (rule 20).
    #[must_use]
    pub fn of(email: &Email, owners: &impl DomainOwners) -> Self {
        managing_org(email, owners).map_or(Self::Unmanaged, Self::Managed)
    }

    /// The managing org, if any.
    #[must_use]
    pub const fn org(self) -> Option<OrgId> {
        match self {
            Self::Managed(org) => Some(org),
            Self::Unmanaged => None,
        }
    }

    /// Whether `org` manages the account.
    #[must_use]
    pub fn is_managed_by(self, org: OrgId) -> bool {
        self == Self::Managed(org)
    }

    /// Who may deactivate or reactivate the account (rule 2).
    #[must_use]
    pub const fn who_can_act(self) -> WhoCanAct {
        match self {
            Self::Managed(org) => WhoCanAct::ManagingOrg(org),
            Self::Unmanaged => WhoCanAct::AccountOwner,
        }
    }
}

/// What the rules need to know about an account, as the service loaded it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct AccountFacts {
    /// The account.
    pub id: AccountId,
    /// Its global status.
    pub status: AccountStatus,
    /// Derived from its email with [`Management::of`].
    pub management: Management,
    /// Issues reported or assigned, comments, page edits (rule 10).
    pub content_count: u64,
}

impl AccountFacts {
    /// The refusal for an operation that needs an active account (rules 4, 7).
    #[must_use]
    pub const fn deactivated_refusal(&self) -> Refusal {
        Refusal::AccountDeactivated {
            managing_org: self.management.org(),
        }
    }
}

/// A status decision. It carries the status only: memberships, groups and content are
/// never touched by a status change, which is what makes reactivation exact (rule 1).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum StatusChange {
    /// The account already has the requested status: write nothing.
    Unchanged,
    /// Store this status.
    Set(AccountStatus),
}

/// Rules 1–3 (and 15 for directories): may `actor` give `account` the status `target`?
///
/// Managed accounts: the managing org's admins or directories. Unmanaged accounts: the owner.
/// Asking for the status the account already has changes nothing and is never refused,
/// for the same reason rule 13 gives for IdPs: clients resend state they believe is current.
pub fn can_change_status(
    actor: &Actor,
    account: &AccountFacts,
    target: AccountStatus,
) -> Result<StatusChange, Refusal> {
    if account.status == target {
        return Ok(StatusChange::Unchanged);
    }
    let action = match target {
        AccountStatus::Active => AccountAction::Reactivate,
        AccountStatus::Deactivated => AccountAction::Deactivate,
    };
    authorize(actor, account, action, Directories::Allowed)?;
    Ok(StatusChange::Set(target))
}

/// Rule 10: only the managing org's admins delete a managed account (the owner, an unmanaged
/// one), and never while it has content. Directories never delete accounts (rule 16).
///
/// Authority is checked before content so that outsiders learn nothing about the content.
pub fn can_delete(actor: &Actor, account: &AccountFacts) -> Result<(), Refusal> {
    authorize(actor, account, AccountAction::Delete, Directories::Refused)?;
    if account.content_count > 0 {
        return Err(Refusal::HasContent);
    }
    Ok(())
}

/// Rule 11: what remains of a deleted account. Content keeps pointing at `id`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Tombstone {
    /// The deleted account's id.
    pub id: AccountId,
    /// When it was deleted.
    pub deleted_at: OffsetDateTime,
}

/// Rule 11: the tombstone to store in place of a deleted account. Every account-owned
/// attribute is personal data and is erased, with the account's memberships; the id stays.
#[must_use]
pub const fn tombstone(id: AccountId, now: OffsetDateTime) -> Tombstone {
    Tombstone {
        id,
        deleted_at: now,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Directories {
    Allowed,
    Refused,
}

/// Rules 2, 10, 13: only the managing org (or the owner of an unmanaged account) may act on
/// account-owned state. Shared by status, deletion and profile rules so their refusals agree.
pub(crate) fn authorize(
    actor: &Actor,
    account: &AccountFacts,
    action: AccountAction,
    directories: Directories,
) -> Result<(), Refusal> {
    let instead = instead_for(actor, action);
    match account.management {
        Management::Managed(org) => match *actor {
            Actor::OrgAdmin(o) if o == org => Ok(()),
            Actor::Directory { org: o, .. } if o == org && directories == Directories::Allowed => {
                Ok(())
            }
            // The owner of a managed account, and members of the managing org without the
            // authority, are pointed at that org's admins rather than told "another org".
            Actor::AccountOwner(id) if id == account.id => Err(Refusal::ManagingOrgOnly {
                org,
                action,
                instead,
            }),
            other if other.org() == Some(org) => Err(Refusal::ManagingOrgOnly {
                org,
                action,
                instead,
            }),
            _ => Err(Refusal::ManagedByOtherOrg {
                org,
                action,
                instead,
            }),
        },
        Management::Unmanaged => match *actor {
            Actor::AccountOwner(id) if id == account.id => Ok(()),
            _ => Err(Refusal::OwnerOnly { action, instead }),
        },
    }
}

fn instead_for(actor: &Actor, action: AccountAction) -> Option<Instead> {
    match actor {
        Actor::Directory { .. } => Some(Instead::UnassignInIdentityProvider),
        Actor::OrgAdmin(_) | Actor::SiteAdmin { .. } | Actor::TrustedUser { .. }
            if matches!(action, AccountAction::Deactivate | AccountAction::Delete) =>
        {
            Some(Instead::RemoveFromSites)
        }
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::ids::SiteId;
    use crate::domain::licenses::counts_against_license;
    use crate::domain::refusal::tests::assert_refusal;
    use crate::domain::sites::SiteAccess;
    use crate::domain::testing::{directory, email};

    pub(crate) fn managed(org: OrgId, status: AccountStatus) -> AccountFacts {
        AccountFacts {
            id: AccountId::new(),
            status,
            management: Management::Managed(org),
            content_count: 0,
        }
    }

    /// An account its managing org deactivated, and that org: only it can reactivate.
    pub(crate) fn deactivated_by_org() -> (OrgId, AccountFacts) {
        let org = OrgId::new();
        (org, managed(org, AccountStatus::Deactivated))
    }

    pub(crate) fn unmanaged(status: AccountStatus) -> AccountFacts {
        AccountFacts {
            id: AccountId::new(),
            status,
            management: Management::Unmanaged,
            content_count: 0,
        }
    }

    #[test]
    fn status_wire_names_round_trip() {
        for s in AccountStatus::ALL {
            assert_eq!(s.as_str().parse::<AccountStatus>(), Ok(*s));
        }
        assert_eq!(AccountStatus::Deactivated.as_str(), "deactivated");
        assert!("Active".parse::<AccountStatus>().is_err());
        assert_eq!(
            AccountStatus::from_active(false),
            AccountStatus::Deactivated
        );
    }

    #[test]
    fn rule1_status_change_decides_status_only_and_frees_then_restores_licenses() {
        let org = OrgId::new();
        let mut acct = managed(org, AccountStatus::Active);
        let access = SiteAccess::Active;
        assert!(counts_against_license(acct.status, access));

        let Ok(StatusChange::Set(s)) =
            can_change_status(&Actor::OrgAdmin(org), &acct, AccountStatus::Deactivated)
        else {
            panic!("org admin must be able to deactivate");
        };
        acct.status = s;
        // Same membership, license freed.
        assert!(!counts_against_license(acct.status, access));

        let Ok(StatusChange::Set(s)) =
            can_change_status(&Actor::OrgAdmin(org), &acct, AccountStatus::Active)
        else {
            panic!("org admin must be able to reactivate");
        };
        acct.status = s;
        assert!(counts_against_license(acct.status, access));
    }

    #[test]
    fn rule2_managing_org_admins_and_directories_may_change_status() {
        let (org, acct) = deactivated_by_org();
        for actor in [Actor::OrgAdmin(org), directory(org)] {
            assert_eq!(
                can_change_status(&actor, &acct, AccountStatus::Active),
                Ok(StatusChange::Set(AccountStatus::Active))
            );
        }
    }

    #[test]
    fn rule2_owner_may_change_status_of_an_unmanaged_account() {
        let acct = unmanaged(AccountStatus::Deactivated);
        assert_eq!(
            can_change_status(&Actor::AccountOwner(acct.id), &acct, AccountStatus::Active),
            Ok(StatusChange::Set(AccountStatus::Active))
        );
    }

    #[test]
    fn rule3_other_org_admin_is_told_only_the_managing_org_can_reactivate() {
        let (mine, theirs) = (OrgId::new(), OrgId::new());
        let acct = managed(theirs, AccountStatus::Deactivated);
        let err =
            can_change_status(&Actor::OrgAdmin(mine), &acct, AccountStatus::Active).unwrap_err();
        assert_refusal(
            &err,
            "managed_by_other_org",
            Some(WhoCanAct::ManagingOrg(theirs)),
            "managed by another organization; only its administrators can reactivate it",
        );
    }

    #[test]
    fn rule3_anyone_but_the_owner_is_refused_on_an_unmanaged_account() {
        let org = OrgId::new();
        let acct = unmanaged(AccountStatus::Deactivated);
        for actor in [
            Actor::OrgAdmin(org),
            directory(org),
            Actor::AccountOwner(AccountId::new()),
        ] {
            let err = can_change_status(&actor, &acct, AccountStatus::Active).unwrap_err();
            assert_refusal(
                &err,
                "owner_only",
                Some(WhoCanAct::AccountOwner),
                "only the account's owner can reactivate it",
            );
        }
    }

    #[test]
    fn rule2_site_admin_of_the_managing_org_is_pointed_at_its_org_admins() {
        let org = OrgId::new();
        let acct = managed(org, AccountStatus::Active);
        let err = can_change_status(
            &Actor::SiteAdmin {
                site: SiteId::new(),
                org,
            },
            &acct,
            AccountStatus::Deactivated,
        )
        .unwrap_err();
        assert_refusal(
            &err,
            "managing_org_only",
            Some(WhoCanAct::ManagingOrg(org)),
            "remove the user from your sites instead",
        );
    }

    #[test]
    fn rule2_owner_of_a_managed_account_cannot_reactivate_it_themselves() {
        let (org, acct) = deactivated_by_org();
        let err = can_change_status(&Actor::AccountOwner(acct.id), &acct, AccountStatus::Active)
            .unwrap_err();
        assert_refusal(
            &err,
            "managing_org_only",
            Some(WhoCanAct::ManagingOrg(org)),
            "only the administrators of the organization that manages this account can reactivate it",
        );
    }

    #[test]
    fn requesting_the_current_status_is_not_refused() {
        let acct = managed(OrgId::new(), AccountStatus::Active);
        assert_eq!(
            can_change_status(&Actor::OrgAdmin(OrgId::new()), &acct, AccountStatus::Active),
            Ok(StatusChange::Unchanged)
        );
    }

    #[test]
    fn rule10_managing_org_admin_may_delete_an_account_without_content() {
        let org = OrgId::new();
        assert_eq!(
            can_delete(&Actor::OrgAdmin(org), &managed(org, AccountStatus::Active)),
            Ok(())
        );
        let own = unmanaged(AccountStatus::Active);
        assert_eq!(can_delete(&Actor::AccountOwner(own.id), &own), Ok(()));
    }

    #[test]
    fn rule10_account_with_content_is_refused_with_deactivate_instead() {
        let org = OrgId::new();
        let acct = AccountFacts {
            content_count: 3,
            ..managed(org, AccountStatus::Active)
        };
        let err = can_delete(&Actor::OrgAdmin(org), &acct).unwrap_err();
        assert_eq!(err.code(), "has_content");
        assert!(err.to_string().contains("deactivate instead"));
    }

    #[test]
    fn rule10_only_the_managing_org_deletes_and_authority_is_checked_before_content() {
        let (org, other) = (OrgId::new(), OrgId::new());
        let acct = AccountFacts {
            content_count: 3,
            ..managed(org, AccountStatus::Active)
        };
        let err = can_delete(&Actor::OrgAdmin(other), &acct).unwrap_err();
        let who = Some(WhoCanAct::ManagingOrg(org));
        assert_refusal(
            &err,
            "managed_by_other_org",
            who,
            "only its administrators can delete it",
        );
        // Directories unlink (rule 16); they never delete accounts, even their org's.
        let err = can_delete(&directory(org), &managed(org, AccountStatus::Active)).unwrap_err();
        assert_eq!(err.code(), "managing_org_only");
    }

    #[test]
    fn rule11_tombstone_keeps_the_id_and_the_time() {
        let id = AccountId::new();
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
        let t = tombstone(id, now);
        assert_eq!((t.id, t.deleted_at), (id, now));
    }

    #[test]
    fn management_follows_the_email_domain() {
        let org = OrgId::new();
        let owners = |d: &str| (d == "acme.com").then_some(org);
        let acme = email("a@acme.com");
        let gmail = email("a@gmail.com");
        assert_eq!(Management::of(&acme, &owners), Management::Managed(org));
        assert_eq!(Management::of(&gmail, &owners), Management::Unmanaged);
    }
}
