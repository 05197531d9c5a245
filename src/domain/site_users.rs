//! Changing a site user through the admin API: who may change whom, roles, product access
//! on the site, and the role an invite leaves (rules 4, 7, 8, 19).

use super::accounts::AccountFacts;
use super::groups::{GroupFacts, GroupSource};
use super::ids::GroupId;
use super::licenses::{can_change_product_access, ProductAccessChange};
use super::refusal::Refusal;
use super::sites::{AuthorityLevel, SiteAccess, SiteAction, SiteAuthority, SiteRole};

/// What an administrator asks of a site user: the columns of docs/admin.md's permission
/// matrix (reading a site user needs only [`super::sites::authorize_site_admin`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum SiteUserChange {
    /// Invite (or invite again) with this role.
    Invite(SiteRole),
    /// Give this role.
    SetRole(SiteRole),
    /// Suspend, restore, remove, or resend the invitation.
    Access(SiteAction),
    /// Grant or revoke product access on the site.
    Product(ProductAccessChange),
}

/// The permission matrix of docs/admin.md, decided here only. Org admins and site admins
/// change any user of the site. A trusted user changes only users who are not site admins
/// (`current`: the membership's role, also when removed; `None`: no membership yet) and
/// gives nobody the `site_admin` role: otherwise a trusted user could suspend, remove or
/// demote the people who appointed them, or make themselves their equal.
pub fn can_change_site_user(
    authority: &SiteAuthority,
    current: Option<SiteRole>,
    change: SiteUserChange,
) -> Result<(), Refusal> {
    if authority.level() != AuthorityLevel::TrustedUser {
        return Ok(());
    }
    if let SiteUserChange::Invite(role) | SiteUserChange::SetRole(role) = change {
        if role == SiteRole::SiteAdmin {
            return Err(Refusal::RoleNotAllowed { role });
        }
    }
    if current == Some(SiteRole::SiteAdmin) {
        return Err(Refusal::SiteAdminOnly);
    }
    Ok(())
}

/// A role decision.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RoleChange {
    /// The user already has the role: write nothing.
    Unchanged,
    /// Store this role.
    Set(SiteRole),
}

/// The role change for a member whose role is `current`, once [`can_change_site_user`]
/// allowed it. Removed users have no membership to change (invite them again).
pub fn change_role(
    access: SiteAccess,
    current: SiteRole,
    target: SiteRole,
) -> Result<RoleChange, Refusal> {
    if access == SiteAccess::Removed {
        return Err(Refusal::NotOnSite);
    }
    if current == target {
        return Ok(RoleChange::Unchanged);
    }
    Ok(RoleChange::Set(target))
}

/// The role after an invite: a new or removed membership takes the requested role; an
/// existing one is never downgraded by being invited again (only [`change_role`] does that).
#[must_use]
pub fn role_after_invite(before: Option<(SiteAccess, SiteRole)>, requested: SiteRole) -> SiteRole {
    match before {
        None | Some((SiteAccess::Removed, _)) => requested,
        Some((_, current)) => current.max(requested),
    }
}

/// Rule 7 on a site: granting needs an active account and a membership (a removed user is
/// invited again first); revoking is always allowed, so an admin can clean up without
/// reactivating anyone. The deactivation refusal comes first: it is the one that names who
/// can act.
pub fn can_change_site_product(
    _authority: &SiteAuthority,
    account: &AccountFacts,
    access: SiteAccess,
    change: ProductAccessChange,
) -> Result<(), Refusal> {
    can_change_product_access(account, change)?;
    if change == ProductAccessChange::Grant && access == SiteAccess::Removed {
        return Err(Refusal::NotOnSite);
    }
    Ok(())
}

/// Revoking a product on a site means leaving the site's own product group. When another
/// group grants it too, the revoke is refused as a whole, naming that group: a synced group
/// changes only through its directory (rule 19), and leaving a local group would silently
/// take away whatever else it grants.
///
/// `granting` lists every group of the account that grants the product on the site;
/// returns the groups to leave (the site's product group, if the account is in it).
pub fn plan_product_revoke(
    granting: &[GroupFacts],
    product_group: Option<GroupId>,
) -> Result<Vec<GroupId>, Refusal> {
    let mut leave = Vec::new();
    for group in granting {
        if Some(group.id) == product_group {
            leave.push(group.id);
            continue;
        }
        return Err(match group.source {
            GroupSource::Directory(directory) => Refusal::SyncedGroupMembership { directory },
            GroupSource::Local => Refusal::GrantedByGroup { group: group.id },
        });
    }
    Ok(leave)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::domain::accounts::tests::{deactivated_by_org, unmanaged};
    use crate::domain::accounts::AccountStatus;
    use crate::domain::actor::Actor;
    use crate::domain::groups::tests::group;
    use crate::domain::ids::DirectoryId;
    use crate::domain::refusal::WhoCanAct;
    use crate::domain::sites::authorize_site_admin;
    use crate::domain::sites::tests::{site_admin, trusted};

    #[test]
    fn roles_change_for_members_only_and_unchanged_is_no_write() {
        let (a, b, t, s) = (
            SiteAccess::Active,
            SiteRole::Basic,
            SiteRole::Trusted,
            SiteRole::SiteAdmin,
        );
        assert_eq!(change_role(a, b, s), Ok(RoleChange::Set(s)));
        assert_eq!(change_role(a, t, t), Ok(RoleChange::Unchanged));
        assert_eq!(
            change_role(SiteAccess::Removed, b, t),
            Err(Refusal::NotOnSite)
        );
    }

    fn every_change() -> Vec<SiteUserChange> {
        let mut all = Vec::new();
        for role in SiteRole::ALL {
            all.push(SiteUserChange::Invite(*role));
            all.push(SiteUserChange::SetRole(*role));
        }
        for action in [
            SiteAction::Remove,
            SiteAction::Suspend,
            SiteAction::Restore,
            SiteAction::ResendInvite,
        ] {
            all.push(SiteUserChange::Access(action));
        }
        all.push(SiteUserChange::Product(ProductAccessChange::Grant));
        all.push(SiteUserChange::Product(ProductAccessChange::Revoke));
        all
    }

    #[test]
    fn org_and_site_admins_change_anyone() {
        let (site, admin) = site_admin();
        let org = authorize_site_admin(&Actor::OrgAdmin(site.org), &site).unwrap();
        for authority in [admin, org] {
            for change in every_change() {
                for current in [None, Some(SiteRole::SiteAdmin), Some(SiteRole::Basic)] {
                    assert_eq!(can_change_site_user(&authority, current, change), Ok(()));
                }
            }
        }
    }

    #[test]
    fn trusted_users_never_touch_site_admins_nor_make_one() {
        let t = trusted();
        for change in every_change() {
            let refused = can_change_site_user(&t, Some(SiteRole::SiteAdmin), change).unwrap_err();
            assert!(
                matches!(refused.code(), "site_admin_only" | "role_not_allowed"),
                "{change:?}"
            );
            for current in [None, Some(SiteRole::Basic), Some(SiteRole::Trusted)] {
                let outcome = can_change_site_user(&t, current, change);
                let grants_admin = matches!(
                    change,
                    SiteUserChange::Invite(SiteRole::SiteAdmin)
                        | SiteUserChange::SetRole(SiteRole::SiteAdmin)
                );
                if grants_admin {
                    assert_eq!(
                        outcome,
                        Err(Refusal::RoleNotAllowed {
                            role: SiteRole::SiteAdmin
                        })
                    );
                } else {
                    assert_eq!(outcome, Ok(()), "{change:?} on {current:?}");
                }
            }
        }
        assert_eq!(
            can_change_site_user(
                &t,
                Some(SiteRole::SiteAdmin),
                SiteUserChange::SetRole(SiteRole::Basic)
            ),
            Err(Refusal::SiteAdminOnly)
        );
    }

    #[test]
    fn inviting_again_never_downgrades() {
        let (b, s) = (SiteRole::Basic, SiteRole::SiteAdmin);
        assert_eq!(role_after_invite(None, b), b);
        assert_eq!(role_after_invite(Some((SiteAccess::Active, s)), b), s);
        assert_eq!(role_after_invite(Some((SiteAccess::Invited, b)), s), s);
        assert_eq!(role_after_invite(Some((SiteAccess::Removed, s)), b), b);
    }

    #[test]
    fn rule7_no_grant_to_deactivated_accounts_revoke_always() {
        let (_, auth) = site_admin();
        let (org, gone) = deactivated_by_org();
        let err =
            can_change_site_product(&auth, &gone, SiteAccess::Active, ProductAccessChange::Grant)
                .unwrap_err();
        assert_eq!(err.who_can_act(), Some(WhoCanAct::ManagingOrg(org)));
        for access in SiteAccess::ALL {
            assert_eq!(
                can_change_site_product(&auth, &gone, *access, ProductAccessChange::Revoke),
                Ok(())
            );
        }
        let active = unmanaged(AccountStatus::Active);
        assert_eq!(
            can_change_site_product(
                &auth,
                &active,
                SiteAccess::Removed,
                ProductAccessChange::Grant
            ),
            Err(Refusal::NotOnSite)
        );
    }

    #[test]
    fn revoke_leaves_the_product_group_or_names_the_group_that_grants() {
        let own = group(GroupSource::Local);
        assert_eq!(plan_product_revoke(&[own], Some(own.id)), Ok(vec![own.id]));
        assert_eq!(plan_product_revoke(&[], Some(own.id)), Ok(vec![]));
        let directory = DirectoryId::new();
        let synced = group(GroupSource::Directory(directory));
        let err = plan_product_revoke(&[own, synced], Some(own.id)).unwrap_err();
        assert_eq!(err, Refusal::SyncedGroupMembership { directory });
        assert!(err
            .to_string()
            .starts_with("cannot edit group memberships: external user management is enabled"));
        let local = group(GroupSource::Local);
        assert_eq!(
            plan_product_revoke(&[local], Some(own.id)),
            Err(Refusal::GrantedByGroup { group: local.id })
        );
    }
}
