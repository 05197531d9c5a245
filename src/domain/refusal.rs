//! Refusals: why a rule said no, who can act instead, and a stable machine code.
//!
//! The HTTP layers map [`Refusal::code`] to a status (and SCIM `scimType`) in one place and
//! use the message as the human detail. Messages never name the managing organization: an
//! admin of another org is told *that* someone else decides, not *who* (the id is available
//! through [`Refusal::who_can_act`] for a service that may reveal it).

use std::fmt;

use thiserror::Error;

use super::email::{EmailError, InvalidDomain};
use super::ids::{DirectoryId, GroupId, OrgId};
use super::sites::{SiteAccess, SiteRole};

/// Who can do what the refused actor could not.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum WhoCanAct {
    /// The administrators (or directories) of this org: it manages the account, or owns the
    /// domain in question.
    ManagingOrg(OrgId),
    /// The account's owner, self-service.
    AccountOwner,
    /// Only this directory, through the identity provider behind it.
    Directory(DirectoryId),
}

/// What was attempted on an account, for the refusal's wording.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum AccountAction {
    /// Set its status to deactivated.
    Deactivate,
    /// Set its status to active.
    Reactivate,
    /// Delete it.
    Delete,
    /// Change account-owned profile attributes.
    ChangeProfile,
    /// Change its email.
    ChangeEmail,
}

impl fmt::Display for AccountAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Deactivate => "deactivate it",
            Self::Reactivate => "reactivate it",
            Self::Delete => "delete it",
            Self::ChangeProfile => "change its profile",
            Self::ChangeEmail => "change its email",
        })
    }
}

/// What the refused actor can do instead, within its own reach.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Instead {
    /// A directory can always stop provisioning the user (rule 13).
    UnassignInIdentityProvider,
    /// A site or org admin can always end the user's access to their own sites (rule 8).
    RemoveFromSites,
}

fn advice_suffix(advice: &Option<Instead>) -> &'static str {
    match advice {
        None => "",
        Some(Instead::UnassignInIdentityProvider) => {
            "; unassign the user in your identity provider or remove it from groups instead"
        }
        Some(Instead::RemoveFromSites) => "; remove the user from your sites instead",
    }
}

fn reactivation(managing_org: &Option<OrgId>) -> &'static str {
    match managing_org {
        Some(_) => "only the administrators of the organization that manages this account can reactivate it",
        None => "only the account's owner can reactivate it",
    }
}

/// A rule's refusal. Nothing was changed.
#[derive(Clone, PartialEq, Eq, Debug, Error)]
pub enum Refusal {
    /// The email is malformed.
    #[error("invalid email: {0}")]
    InvalidEmail(#[from] EmailError),

    /// Rules 2, 3, 10, 13: the account is managed by an org the actor does not act for.
    #[error(
        "this account is managed by another organization; only its administrators can {action}{}",
        advice_suffix(.instead)
    )]
    ManagedByOtherOrg {
        /// The managing org.
        org: OrgId,
        /// What was attempted.
        action: AccountAction,
        /// What the actor can do instead.
        instead: Option<Instead>,
    },

    /// Rules 2, 10: the actor is linked to the managing org (its site admin, or the account's
    /// owner) but only the org's administrators may do this.
    #[error(
        "only the administrators of the organization that manages this account can {action}{}",
        advice_suffix(.instead)
    )]
    ManagingOrgOnly {
        /// The managing org.
        org: OrgId,
        /// What was attempted.
        action: AccountAction,
        /// What the actor can do instead.
        instead: Option<Instead>,
    },

    /// Rules 2, 3, 13: the account is unmanaged, so only its owner decides.
    #[error(
        "this account is not managed by any organization; only the account's owner can {action}{}",
        advice_suffix(.instead)
    )]
    OwnerOnly {
        /// What was attempted.
        action: AccountAction,
        /// What the actor can do instead.
        instead: Option<Instead>,
    },

    /// Rules 4, 7: the account is deactivated.
    #[error("deactivated: {}", reactivation(.managing_org))]
    AccountDeactivated {
        /// Its managing org; `None` when unmanaged (its owner reactivates it).
        managing_org: Option<OrgId>,
    },

    /// Rules 4, 9: the user is suspended on this site.
    #[error("suspended on this site: restore instead")]
    SuspendedOnSite,

    /// Rule 8: the user was removed from the site (or never had access).
    #[error("removed from this site (no site access): invite again instead")]
    NotOnSite,

    /// Rule 9: restore applies to suspended users only.
    #[error("not suspended on this site (site access is {access}): there is nothing to restore")]
    NotSuspended {
        /// The current site access.
        access: SiteAccess,
    },

    /// Rule 6: the user already has site access; there is no invitation to resend.
    #[error("already has access to this site: there is no pending invitation to resend")]
    AlreadyActive,

    /// The actor administers neither this site nor the org that owns it.
    #[error("only this site's administrators and trusted users, or its organization's administrators, can do this")]
    NotSiteAdministrator,

    /// Trusted users may not hand out site administration.
    #[error("trusted users cannot grant the {role} role; ask a site administrator")]
    RoleNotAllowed {
        /// The role that was requested.
        role: SiteRole,
    },

    /// A trusted user acted on a site administrator's membership.
    #[error("this user is a site administrator: only the site's administrators and its organization's administrators can change them")]
    SiteAdminOnly,

    /// The actor is not an administrator of the org in question.
    #[error("only the organization's administrators can do this")]
    NotOrgAdministrator,

    /// Rule 10: accounts with content are deactivated, never deleted.
    #[error("this account has content (issues, comments or page edits) and cannot be deleted: deactivate instead")]
    HasContent,

    /// Rule 17: a managed account's email may only move to a domain its org has verified.
    #[error(
        "the domain {domain} is not verified by the organization that manages this account; \
         its email can only change to a domain that organization has verified (verify {domain} first)"
    )]
    EmailDomainNotVerified {
        /// The managing org.
        org: OrgId,
        /// The requested email's domain.
        domain: String,
    },

    /// Rule 14: this directory already provisions a user with this email.
    #[error("this directory already provisions a user with this email; update that user instead")]
    AlreadyProvisioned,

    /// Rule 18: not visible to this actor. Deliberately says nothing more.
    #[error("not found")]
    NotFound,

    /// Rule 19: the group's memberships are synced from a directory.
    #[error(
        "cannot edit group memberships: external user management is enabled for this group; \
         change them in the identity provider that syncs it"
    )]
    SyncedGroupMembership {
        /// The directory that syncs the group.
        directory: DirectoryId,
    },

    /// Rules 7, 19: the product comes from a group other than the site's own product group;
    /// revoking it means leaving that group, which would also take what else it grants.
    #[error(
        "this product is granted through a group the user belongs to; \
         remove the user from that group instead"
    )]
    GrantedByGroup {
        /// The group that grants it.
        group: GroupId,
    },

    /// Product access is the union of the user's groups' grants: a directory cannot write
    /// it, only repeat it.
    #[error(
        "entitlements are read-only: a user's product access comes from its groups; \
         grant the product to a group (scimd group grant --group ID --site ID --product P) \
         and add the user to that group, or remove it from the group to take access away"
    )]
    ProductAccessFromGroups,

    /// Rule 20: the domain is verified by another org.
    #[error(
        "this domain is verified by another organization; only its administrators can move it"
    )]
    DomainVerifiedByOtherOrg {
        /// The domain's owner.
        org: OrgId,
    },

    /// Rule 20: a domain nobody verified cannot be moved.
    #[error("this domain is not verified by any organization: verify it instead")]
    DomainNotVerified,

    /// The text is not a domain name scimd accepts (IDNA, scripts, invisible characters).
    #[error("invalid domain: {0}")]
    InvalidDomain(#[from] InvalidDomain),

    /// Rule 20: a public suffix is nobody's to verify.
    #[error(
        "{domain} is a public suffix (on the Public Suffix List): no organization can verify it; \
         verify the domain your organization registered under it"
    )]
    PublicSuffix {
        /// The domain, in its IDNA ASCII form.
        domain: String,
    },

    /// Rule 20: the challenge's TXT record was not found; the domain stays pending.
    #[error(
        "no TXT record found at {record}; publish one with the text \"{expected}\" \
         and check again (the domain stays pending until then)"
    )]
    DomainProofMissing {
        /// Where the record must be.
        record: String,
        /// What it must say.
        expected: String,
    },

    /// Rule 20: TXT records exist, but none carries this challenge's token.
    #[error(
        "the TXT records at {record} ({found} found) do not include \"{expected}\"; \
         publish exactly that text and check again (the domain stays pending until then)"
    )]
    DomainProofMismatch {
        /// Where the record is.
        record: String,
        /// What it must say.
        expected: String,
        /// How many TXT records were there.
        found: usize,
    },

    /// Rule 20: there is no challenge of this org for this domain to check.
    #[error("no verification of this domain is pending for this organization: request one first")]
    NoPendingVerification,
}

impl Refusal {
    /// The stable machine code, mapped to an HTTP status by the API layers.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::InvalidEmail(_) => "invalid_email",
            Self::ManagedByOtherOrg { .. } => "managed_by_other_org",
            Self::ManagingOrgOnly { .. } => "managing_org_only",
            Self::OwnerOnly { .. } => "owner_only",
            Self::AccountDeactivated { .. } => "account_deactivated",
            Self::SuspendedOnSite => "suspended_on_site",
            Self::NotOnSite => "not_on_site",
            Self::NotSuspended { .. } => "not_suspended",
            Self::AlreadyActive => "already_active",
            Self::NotSiteAdministrator => "not_site_admin",
            Self::RoleNotAllowed { .. } => "role_not_allowed",
            Self::SiteAdminOnly => "site_admin_only",
            Self::NotOrgAdministrator => "not_org_admin",
            Self::HasContent => "has_content",
            Self::EmailDomainNotVerified { .. } => "email_domain_not_verified",
            // SCIM's own scimType for this case (RFC 7644 §3.12).
            Self::AlreadyProvisioned => "uniqueness",
            Self::NotFound => "not_found",
            Self::SyncedGroupMembership { .. } => "synced_group_membership",
            Self::DomainVerifiedByOtherOrg { .. } => "domain_verified_by_other_org",
            Self::DomainNotVerified => "domain_not_verified",
            Self::GrantedByGroup { .. } => "granted_by_group",
            Self::ProductAccessFromGroups => "product_access_from_groups",
            Self::InvalidDomain(_) => "invalid_domain",
            Self::PublicSuffix { .. } => "public_suffix",
            Self::DomainProofMissing { .. } => "domain_proof_missing",
            Self::DomainProofMismatch { .. } => "domain_proof_mismatch",
            Self::NoPendingVerification => "domain_not_pending",
        }
    }

    /// Who can do what was refused, when it is someone other than the actor.
    #[must_use]
    pub const fn who_can_act(&self) -> Option<WhoCanAct> {
        match *self {
            Self::ManagedByOtherOrg { org, .. }
            | Self::ManagingOrgOnly { org, .. }
            | Self::EmailDomainNotVerified { org, .. }
            | Self::DomainVerifiedByOtherOrg { org } => Some(WhoCanAct::ManagingOrg(org)),
            Self::AccountDeactivated {
                managing_org: Some(org),
            } => Some(WhoCanAct::ManagingOrg(org)),
            Self::AccountDeactivated { managing_org: None } | Self::OwnerOnly { .. } => {
                Some(WhoCanAct::AccountOwner)
            }
            Self::SyncedGroupMembership { directory } => Some(WhoCanAct::Directory(directory)),
            _ => None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub(crate) mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Checks the three things a refusal tells its caller: its code, who can act instead, and
    /// (part of) the explanation a person reads.
    #[track_caller]
    pub(crate) fn assert_refusal(err: &Refusal, code: &str, who: Option<WhoCanAct>, says: &str) {
        assert_eq!(err.code(), code);
        assert_eq!(err.who_can_act(), who);
        let text = err.to_string();
        assert!(text.contains(says), "{text:?} does not say {says:?}");
    }

    /// One refusal of every variant.
    pub(crate) fn all_samples() -> Vec<Refusal> {
        let org = OrgId::new();
        vec![
            Refusal::InvalidEmail(EmailError::MissingAt),
            Refusal::ManagedByOtherOrg {
                org,
                action: AccountAction::Reactivate,
                instead: None,
            },
            Refusal::ManagingOrgOnly {
                org,
                action: AccountAction::Delete,
                instead: None,
            },
            Refusal::OwnerOnly {
                action: AccountAction::Reactivate,
                instead: None,
            },
            Refusal::AccountDeactivated { managing_org: None },
            Refusal::SuspendedOnSite,
            Refusal::NotOnSite,
            Refusal::NotSuspended {
                access: SiteAccess::Active,
            },
            Refusal::AlreadyActive,
            Refusal::NotSiteAdministrator,
            Refusal::RoleNotAllowed {
                role: SiteRole::SiteAdmin,
            },
            Refusal::SiteAdminOnly,
            Refusal::NotOrgAdministrator,
            Refusal::HasContent,
            Refusal::EmailDomainNotVerified {
                org,
                domain: "x.io".into(),
            },
            Refusal::AlreadyProvisioned,
            Refusal::NotFound,
            Refusal::SyncedGroupMembership {
                directory: DirectoryId::new(),
            },
            Refusal::DomainVerifiedByOtherOrg { org },
            Refusal::DomainNotVerified,
            Refusal::GrantedByGroup {
                group: GroupId::new(),
            },
            Refusal::InvalidDomain(InvalidDomain {
                input: "x".into(),
                fault: super::super::idn::DomainFault::Syntax,
            }),
            Refusal::PublicSuffix {
                domain: "co.uk".into(),
            },
            Refusal::DomainProofMissing {
                record: "_scimd-challenge.x.io".into(),
                expected: "scimd-verification=t".into(),
            },
            Refusal::DomainProofMismatch {
                record: "_scimd-challenge.x.io".into(),
                expected: "scimd-verification=t".into(),
                found: 1,
            },
            Refusal::NoPendingVerification,
        ]
    }

    #[test]
    fn every_variant_has_its_own_snake_case_code() {
        let samples = all_samples();
        let codes: BTreeSet<_> = samples.iter().map(Refusal::code).collect();
        assert_eq!(codes.len(), samples.len(), "two variants share a code");
        for code in codes {
            assert!(
                code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{code}"
            );
        }
    }

    #[test]
    fn rule3_wording_names_who_can_reactivate() {
        let org = OrgId::new();
        let managed = Refusal::ManagedByOtherOrg {
            org,
            action: AccountAction::Reactivate,
            instead: None,
        };
        assert!(managed.to_string().contains(
            "managed by another organization; only its administrators can reactivate it"
        ));
        let unmanaged = Refusal::OwnerOnly {
            action: AccountAction::Reactivate,
            instead: None,
        };
        assert!(unmanaged
            .to_string()
            .contains("only the account's owner can reactivate it"));
    }

    #[test]
    fn rule13_wording_tells_a_directory_what_to_do_instead() {
        let r = Refusal::ManagedByOtherOrg {
            org: OrgId::new(),
            action: AccountAction::ChangeProfile,
            instead: Some(Instead::UnassignInIdentityProvider),
        };
        assert!(r.to_string().ends_with(
            "unassign the user in your identity provider or remove it from groups instead"
        ));
    }

    #[test]
    fn messages_do_not_reveal_the_managing_org_id() {
        let org = OrgId::new();
        for r in all_samples() {
            assert!(!r.to_string().contains(&org.to_string()), "{r}");
        }
    }

    #[test]
    fn deactivated_wording_depends_on_management() {
        let org = OrgId::new();
        let managed = Refusal::AccountDeactivated {
            managing_org: Some(org),
        };
        assert!(managed
            .to_string()
            .starts_with("deactivated: only the administrators"));
        assert_eq!(managed.who_can_act(), Some(WhoCanAct::ManagingOrg(org)));
        let unmanaged = Refusal::AccountDeactivated { managing_org: None };
        assert_eq!(
            unmanaged.to_string(),
            "deactivated: only the account's owner can reactivate it"
        );
        assert_eq!(unmanaged.who_can_act(), Some(WhoCanAct::AccountOwner));
    }
}
