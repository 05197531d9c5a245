//! Site users: access states, roles, and who administers a site (rules 6, 8, 9).

use super::accounts::AccountFacts;
use super::actor::Actor;
use super::ids::{OrgId, SiteId};
use super::refusal::Refusal;
use super::wire::wire_enum;

wire_enum! {
    /// An account's access to one site.
    pub enum SiteAccess as "site_access" {
        /// Has site access and has used it.
        Active = "active",
        /// Has site access; an invitation email is pending.
        Invited = "invited",
        /// Has site access; no invitation email was sent (rule 6).
        InviteNotSent = "invite_not_sent",
        /// Membership and groups kept, site blocked (rule 9).
        Suspended = "suspended",
        /// No site access; still listed so admins see what happened (rule 8).
        Removed = "removed",
    }
}

impl SiteAccess {
    /// Whether the user may use the site (given an active account).
    #[must_use]
    pub const fn has_site_access(self) -> bool {
        matches!(self, Self::Active | Self::Invited | Self::InviteNotSent)
    }
}

wire_enum! {
    /// A site user's permission level.
    pub enum SiteRole as "site_role" {
        /// Uses the products granted to it.
        Basic = "basic",
        /// May also configure products and invite users.
        Trusted = "trusted",
        /// Full administration of the site.
        SiteAdmin = "site_admin",
    }
}

/// What the rules need to know about a site.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SiteFacts {
    /// The site.
    pub id: SiteId,
    /// The org that owns it.
    pub org: OrgId,
}

/// How an actor administers a site.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum AuthorityLevel {
    /// A trusted user of the site.
    TrustedUser,
    /// A site administrator.
    SiteAdmin,
    /// An administrator of the org owning the site.
    OrgAdmin,
}

/// Proof that the actor administers a site. Only [`authorize_site_admin`] makes one, so a
/// function taking `&SiteAuthority` cannot be reached without the check.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SiteAuthority {
    site: SiteId,
    level: AuthorityLevel,
}

impl SiteAuthority {
    /// The site this authority is for.
    #[must_use]
    pub const fn site(&self) -> SiteId {
        self.site
    }

    /// How the actor administers it.
    #[must_use]
    pub const fn level(&self) -> AuthorityLevel {
        self.level
    }
}

/// Site administration (rules 4–9) is open to the site's admins and trusted users and to
/// the admins of the org owning the site.
pub fn authorize_site_admin(actor: &Actor, site: &SiteFacts) -> Result<SiteAuthority, Refusal> {
    let level = match *actor {
        Actor::OrgAdmin(org) if org == site.org => AuthorityLevel::OrgAdmin,
        Actor::SiteAdmin { site: s, org } if s == site.id && org == site.org => {
            AuthorityLevel::SiteAdmin
        }
        Actor::TrustedUser { site: s, org } if s == site.id && org == site.org => {
            AuthorityLevel::TrustedUser
        }
        _ => return Err(Refusal::NotSiteAdministrator),
    };
    Ok(SiteAuthority {
        site: site.id,
        level,
    })
}

/// What a site administrator does to an existing site user.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum SiteAction {
    /// Rule 8: end the membership on this site only.
    Remove,
    /// Rule 9: block the site, keep membership and groups.
    Suspend,
    /// Rule 9: undo a suspension.
    Restore,
    /// Rule 6: send the invitation email (again).
    ResendInvite,
}

/// Rules 6, 8, 9: the site access after `action`. The account and its other sites are never
/// affected; the service writes only this membership's access.
///
/// Remove and suspend repeated on a user already in that state succeed unchanged. Restore
/// gives site access back as `active`. Suspended users are restored, never re-invited;
/// removed users are invited again, never restored.
pub fn transition(
    _authority: &SiteAuthority,
    account: &AccountFacts,
    current: SiteAccess,
    action: SiteAction,
) -> Result<SiteAccess, Refusal> {
    use SiteAccess as A;
    match (action, current) {
        (SiteAction::Remove, _) => Ok(A::Removed),
        (SiteAction::Suspend | SiteAction::Restore | SiteAction::ResendInvite, A::Removed) => {
            Err(Refusal::NotOnSite)
        }
        (SiteAction::Suspend, _) => Ok(A::Suspended),
        (SiteAction::Restore, A::Suspended) => Ok(A::Active),
        (SiteAction::Restore, access) => Err(Refusal::NotSuspended { access }),
        (SiteAction::ResendInvite, A::Suspended) => Err(Refusal::SuspendedOnSite),
        (SiteAction::ResendInvite, A::Active) => Err(Refusal::AlreadyActive),
        (SiteAction::ResendInvite, A::Invited | A::InviteNotSent) => {
            // Inviting someone who cannot log in would only confuse them (rule 4).
            if account.status.is_active() {
                Ok(A::Invited)
            } else {
                Err(account.deactivated_refusal())
            }
        }
    }
}

/// How a membership came to be.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum MembershipOrigin {
    /// Invited by a site administrator.
    Invite {
        /// Whether the admin wants the invitation email sent.
        send_email: bool,
    },
    /// Provisioned by a directory.
    Directory,
    /// Migrated from another system.
    Migration,
}

/// Rule 6: the access a new membership starts with. Only an invite that sends the email is
/// `invited`; directory and migrated users get no email until an admin resends it.
#[must_use]
pub const fn initial_access(origin: MembershipOrigin) -> SiteAccess {
    match origin {
        MembershipOrigin::Invite { send_email: true } => SiteAccess::Invited,
        MembershipOrigin::Invite { send_email: false }
        | MembershipOrigin::Directory
        | MembershipOrigin::Migration => SiteAccess::InviteNotSent,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::accounts::tests::{deactivated_by_org, unmanaged};
    use crate::domain::accounts::AccountStatus;
    use crate::domain::refusal::WhoCanAct;

    pub(crate) fn site_admin() -> (SiteFacts, SiteAuthority) {
        let site = SiteFacts {
            id: SiteId::new(),
            org: OrgId::new(),
        };
        let auth = authorize_site_admin(
            &Actor::SiteAdmin {
                site: site.id,
                org: site.org,
            },
            &site,
        )
        .unwrap();
        (site, auth)
    }

    /// The authority of a trusted user of a new site.
    pub(crate) fn trusted() -> SiteAuthority {
        let site = SiteFacts {
            id: SiteId::new(),
            org: OrgId::new(),
        };
        let actor = Actor::TrustedUser {
            site: site.id,
            org: site.org,
        };
        authorize_site_admin(&actor, &site).unwrap()
    }

    fn active() -> AccountFacts {
        unmanaged(AccountStatus::Active)
    }

    #[test]
    fn wire_names_are_snake_case() {
        assert_eq!(SiteAccess::InviteNotSent.as_str(), "invite_not_sent");
        assert_eq!(SiteRole::SiteAdmin.as_str(), "site_admin");
        for a in SiteAccess::ALL {
            assert_eq!(a.as_str().parse::<SiteAccess>(), Ok(*a));
        }
        for r in SiteRole::ALL {
            assert_eq!(r.to_string().parse::<SiteRole>(), Ok(*r));
        }
        let err = "inviteNotSent".parse::<SiteAccess>().unwrap_err();
        assert_eq!(err.kind, "site_access");
    }

    #[test]
    fn site_admins_trusted_users_and_org_admins_administer_the_site() {
        let site = SiteFacts {
            id: SiteId::new(),
            org: OrgId::new(),
        };
        let (id, org) = (site.id, site.org);
        assert_eq!(
            authorize_site_admin(&Actor::OrgAdmin(org), &site)
                .unwrap()
                .level(),
            AuthorityLevel::OrgAdmin
        );
        assert_eq!(
            authorize_site_admin(&Actor::TrustedUser { site: id, org }, &site)
                .unwrap()
                .level(),
            AuthorityLevel::TrustedUser
        );
        assert_eq!(
            authorize_site_admin(&Actor::SiteAdmin { site: id, org }, &site)
                .unwrap()
                .site(),
            id
        );
    }

    #[test]
    fn others_do_not_administer_the_site() {
        let site = SiteFacts {
            id: SiteId::new(),
            org: OrgId::new(),
        };
        let other_site = Actor::SiteAdmin {
            site: SiteId::new(),
            org: site.org,
        };
        let dir = Actor::Directory {
            directory: crate::domain::ids::DirectoryId::new(),
            org: site.org,
        };
        for actor in [Actor::OrgAdmin(OrgId::new()), other_site, dir] {
            assert_eq!(
                authorize_site_admin(&actor, &site).unwrap_err().code(),
                "not_site_admin"
            );
        }
    }

    #[test]
    fn rule8_remove_ends_site_access_from_any_state() {
        let (_, auth) = site_admin();
        for from in SiteAccess::ALL {
            assert_eq!(
                transition(&auth, &active(), *from, SiteAction::Remove),
                Ok(SiteAccess::Removed)
            );
        }
    }

    #[test]
    fn rule8_removed_users_are_invited_again_not_restored() {
        let (_, auth) = site_admin();
        for action in [
            SiteAction::Restore,
            SiteAction::Suspend,
            SiteAction::ResendInvite,
        ] {
            let err = transition(&auth, &active(), SiteAccess::Removed, action).unwrap_err();
            assert_eq!(err.code(), "not_on_site");
            assert!(err.to_string().contains("invite again instead"));
        }
    }

    #[test]
    fn rule9_suspend_then_restore() {
        let (_, auth) = site_admin();
        let s = transition(&auth, &active(), SiteAccess::Active, SiteAction::Suspend).unwrap();
        assert_eq!(s, SiteAccess::Suspended);
        assert!(!s.has_site_access());
        assert_eq!(
            transition(&auth, &active(), s, SiteAction::Restore),
            Ok(SiteAccess::Active)
        );
    }

    #[test]
    fn rule9_suspended_users_are_restored_not_reinvited() {
        let (_, auth) = site_admin();
        let err = transition(
            &auth,
            &active(),
            SiteAccess::Suspended,
            SiteAction::ResendInvite,
        )
        .unwrap_err();
        assert_eq!(err.code(), "suspended_on_site");
        assert!(err.to_string().contains("restore instead"));
        let err =
            transition(&auth, &active(), SiteAccess::Invited, SiteAction::Restore).unwrap_err();
        assert_eq!(
            err,
            Refusal::NotSuspended {
                access: SiteAccess::Invited
            }
        );
    }

    #[test]
    fn rule6_resend_invite_sends_to_pending_users_only() {
        let (_, auth) = site_admin();
        assert_eq!(
            transition(
                &auth,
                &active(),
                SiteAccess::InviteNotSent,
                SiteAction::ResendInvite
            ),
            Ok(SiteAccess::Invited)
        );
        assert_eq!(
            transition(
                &auth,
                &active(),
                SiteAccess::Active,
                SiteAction::ResendInvite
            )
            .unwrap_err()
            .code(),
            "already_active"
        );
    }

    #[test]
    fn rule6_resend_invite_to_a_deactivated_account_names_who_can_reactivate() {
        let (_, auth) = site_admin();
        let (org, acct) = deactivated_by_org();
        let err =
            transition(&auth, &acct, SiteAccess::Invited, SiteAction::ResendInvite).unwrap_err();
        assert_eq!(err.code(), "account_deactivated");
        assert_eq!(err.who_can_act(), Some(WhoCanAct::ManagingOrg(org)));
    }

    #[test]
    fn rule6_only_invites_that_send_email_start_invited() {
        assert_eq!(
            initial_access(MembershipOrigin::Invite { send_email: true }),
            SiteAccess::Invited
        );
        for origin in [
            MembershipOrigin::Invite { send_email: false },
            MembershipOrigin::Directory,
            MembershipOrigin::Migration,
        ] {
            assert_eq!(initial_access(origin), SiteAccess::InviteNotSent);
        }
    }
}
