//! Organization administration and which accounts an admin may look at.

use super::accounts::AccountFacts;
use super::actor::Actor;
use super::ids::OrgId;
use super::refusal::Refusal;
use super::sites::SiteFacts;

/// Proof that the actor administers an org. Only [`authorize_org_admin`] makes one, so a
/// function taking `&OrgAuthority` cannot be reached without the check.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct OrgAuthority {
    org: OrgId,
}

impl OrgAuthority {
    /// The org administered.
    #[must_use]
    pub const fn org(&self) -> OrgId {
        self.org
    }
}

/// Domains, directories, managed accounts and the org's audit log are for its org admins
/// only: site admins and trusted users administer one site, not the org.
pub fn authorize_org_admin(actor: &Actor, org: OrgId) -> Result<OrgAuthority, Refusal> {
    match *actor {
        Actor::OrgAdmin(o) if o == org => Ok(OrgAuthority { org }),
        _ => Err(Refusal::NotOrgAdministrator),
    }
}

/// Whether an admin may see an account at all: the owner, its managing org's admins, and
/// the admins of any site it is (or was) a member of, removed memberships included (rule 8:
/// an admin must be able to find out what happened to a user they removed).
///
/// Everyone else is told `not_found`, not `forbidden`, so account ids cannot be probed.
pub fn can_view_account(
    actor: &Actor,
    account: &AccountFacts,
    memberships: &[SiteFacts],
) -> Result<(), Refusal> {
    let visible = match *actor {
        Actor::AccountOwner(id) => id == account.id,
        Actor::OrgAdmin(org) => {
            account.management.is_managed_by(org) || memberships.iter().any(|s| s.org == org)
        }
        Actor::SiteAdmin { site, .. } | Actor::TrustedUser { site, .. } => {
            memberships.iter().any(|s| s.id == site)
        }
        Actor::Directory { .. } => false,
    };
    if visible {
        Ok(())
    } else {
        Err(Refusal::NotFound)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::domain::accounts::tests::{managed, unmanaged};
    use crate::domain::accounts::AccountStatus;
    use crate::domain::ids::{DirectoryId, SiteId};

    #[test]
    fn only_the_orgs_own_admins_administer_it() {
        let org = OrgId::new();
        assert_eq!(
            authorize_org_admin(&Actor::OrgAdmin(org), org)
                .unwrap()
                .org(),
            org
        );
        let site = SiteId::new();
        for actor in [
            Actor::OrgAdmin(OrgId::new()),
            Actor::SiteAdmin { site, org },
            Actor::TrustedUser { site, org },
        ] {
            assert_eq!(
                authorize_org_admin(&actor, org).unwrap_err(),
                Refusal::NotOrgAdministrator
            );
        }
    }

    #[test]
    fn managing_org_owner_and_site_admins_of_its_sites_see_an_account() {
        let (a, b) = (OrgId::new(), OrgId::new());
        let site_a = SiteFacts {
            id: SiteId::new(),
            org: a,
        };
        let account = managed(b, AccountStatus::Deactivated);
        let on_a = [site_a];
        assert!(can_view_account(&Actor::OrgAdmin(b), &account, &[]).is_ok());
        assert!(can_view_account(&Actor::OrgAdmin(a), &account, &on_a).is_ok());
        assert!(can_view_account(&Actor::OrgAdmin(a), &account, &[]).is_err());
        let site_admin = Actor::SiteAdmin {
            site: site_a.id,
            org: a,
        };
        assert!(can_view_account(&site_admin, &account, &on_a).is_ok());
        assert_eq!(
            can_view_account(&site_admin, &account, &[]),
            Err(Refusal::NotFound)
        );
        assert!(can_view_account(&Actor::AccountOwner(account.id), &account, &[]).is_ok());
        let other = unmanaged(AccountStatus::Active);
        assert!(can_view_account(&Actor::AccountOwner(other.id), &account, &[]).is_err());
        let dir = Actor::Directory {
            directory: DirectoryId::new(),
            org: b,
        };
        assert!(can_view_account(&dir, &account, &[]).is_err());
    }
}
