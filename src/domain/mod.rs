//! The account and organization model's rules (docs/domain.md, rules 1–20) as pure functions
//! over facts. No I/O and no clock: time is passed in as `now`.
//!
//! A service use case loads facts, calls a rule, and persists the decision it returns, or
//! answers the [`Refusal`]: [`Refusal::code`] picks the HTTP status in one mapper, the
//! message is the human detail, [`Refusal::who_can_act`] says who could do it instead.
//! Site operations take a [`SiteAuthority`], obtainable only from [`authorize_site_admin`].
//!
//! Decisions where the spec is silent:
//! - Asking for the state an account already has (status, email, attribute) is answered
//!   "unchanged" for every actor, never refused: rule 13's reasoning applies to admins too.
//! - Site admins and trusted users never change account status or delete accounts; they are
//!   told that only the org's admins can, and to remove the user from their sites instead.
//! - The owner of a managed account cannot reactivate or edit it: its org decides (rule 2).
//! - Directories never delete accounts (rule 16 unlinks and at most deactivates).
//! - Refusal messages never name the managing org; the id is in `who_can_act` for a
//!   service that chooses to reveal it.
//! - Passwords in invite requests are always ignored, also for new accounts: only the owner
//!   sets one. Repeated emails in a batch are planned once. New memberships start `basic`;
//!   trusted users cannot grant `site_admin`.
//! - Inviting an existing member never downgrades it; restore returns a user to `active`.
//! - Domain ownership matches exactly: verifying `example.com` does not cover subdomains.
//! - Another directory's users and groups are `not_found`, not `forbidden` (no probing).
//!
//! `licenses::ProductGrant` is not re-exported here: `store` has a row type of that name and
//! both are glob-imported together in `tests/api`.

#![warn(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod account_email;
pub mod accounts;
pub mod actor;
pub mod audit;
pub mod directory;
pub mod domains;
pub mod email;
pub mod events;
pub mod groups;
pub mod idn;
pub mod ids;
pub mod invites;
pub mod licenses;
pub mod orgs;
pub mod profile;
pub mod proof;
pub mod provisioning;
pub mod refusal;
pub mod site_users;
pub mod sites;
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod testing;
pub mod text;
pub mod wire;

pub use account_email::{account_email, AccountEmail, AccountEmailError, EmailEntry};
pub use accounts::{
    can_change_status, can_delete, tombstone, AccountFacts, AccountStatus, Management,
    StatusChange, Tombstone,
};
pub use actor::Actor;
pub use directory::{
    account_view, can_directory_change_account, directory_set_active, on_directory_delete,
    plan_directory_link, AccountView, DeleteEffect, DirectoryRef, LinkCandidate, LinkPlan,
};
pub use domains::{
    managing_org, move_domain, verifiable, verify_domain, DomainChange, DomainOwners, Verification,
    VerifiedDomains,
};
pub use email::{email_domain, normalize_email, Domain, Email, EmailError, InvalidDomain};
pub use groups::{can_edit_group_membership, GroupFacts, GroupSource, GroupSourceKind};
pub use ids::{new_record_id, AccountId, DirectoryId, GroupId, OrgId, SiteId};
pub use invites::{
    plan_invites, IgnoredField, InviteAccount, InvitePlan, InviteRefusal, InviteRequest, Invitee,
    PlannedInvite,
};
pub use licenses::{
    can_change_product_access, check_asserted_product_access, counts_against_license,
    licensed_products, product_access, Product, ProductAccessChange,
};
pub use orgs::{authorize_org_admin, can_view_account, OrgAuthority};
pub use profile::{can_change_email, can_change_profile, differs, AccountField, EmailChange};
pub use proof::{check_challenge, Challenge, DnsAnswer, Proof};
pub use provisioning::{
    kept_refusal_text, outcome_of, retention_cutoff, ProvisionedResource, ProvisioningOperation,
    ProvisioningOutcome,
};
pub use refusal::{AccountAction, Instead, Refusal, WhoCanAct};
pub use site_users::{
    can_change_site_product, can_change_site_user, change_role, plan_product_revoke,
    role_after_invite, RoleChange, SiteUserChange,
};
pub use sites::{
    authorize_site_admin, initial_access, transition, AuthorityLevel, MembershipOrigin, SiteAccess,
    SiteAction, SiteAuthority, SiteFacts, SiteRole,
};
pub use text::fold_case;
pub use wire::UnknownVariant;
