//! Inviting a batch of emails to a site (rules 4–6, 8, 9).

use std::collections::BTreeSet;

use thiserror::Error;

use super::accounts::AccountFacts;
use super::domains::{managing_org, DomainOwners};
use super::email::{normalize_email, Email};
use super::ids::{AccountId, OrgId, SiteId};
use super::refusal::Refusal;
use super::site_users::{can_change_site_user, SiteUserChange};
use super::sites::{initial_access, MembershipOrigin, SiteAccess, SiteAuthority, SiteRole};
use super::wire::wire_enum;

/// One email of an invite batch, as the admin submitted it.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct InviteRequest {
    /// The email, not yet normalized.
    pub email: String,
    /// A display name for a new account.
    pub display_name: Option<String>,
    /// Whether the request carried a password. Its value is never needed: it is ignored.
    pub password_supplied: bool,
}

/// What the service found for an email that already has an account.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Invitee {
    /// The account.
    pub account: AccountFacts,
    /// Its membership of the site being invited to, if it ever had one.
    pub site_access: Option<SiteAccess>,
    /// That membership's role (kept while removed).
    pub site_role: Option<SiteRole>,
}

wire_enum! {
    /// A request field that was ignored; the answer lists these (rule 5).
    pub enum IgnoredField as "ignored_field" {
        /// The existing account keeps its own display name.
        DisplayName = "display_name",
        /// Admins never set passwords: the account's owner does.
        Password = "password",
    }
}

/// The account an invite is for.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum InviteAccount {
    /// Create a new account (rule 5).
    New {
        /// Its managing org, from the email domain (`None`: unmanaged).
        managing_org: Option<OrgId>,
        /// The display name from the request.
        display_name: Option<String>,
    },
    /// Use this existing account, with its own profile (rule 5).
    Existing(AccountId),
}

/// The decision for one email.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PlannedInvite {
    /// The normalized email.
    pub email: Email,
    /// Which account.
    pub account: InviteAccount,
    /// Site access before (`None`: never a member).
    pub access_before: Option<SiteAccess>,
    /// Site access to store.
    pub access_after: SiteAccess,
    /// Whether to send the invitation email now.
    pub send_email: bool,
    /// Request fields that were ignored, to report back.
    pub ignored: Vec<IgnoredField>,
}

impl PlannedInvite {
    /// Whether anything is to be written or sent for this email.
    #[must_use]
    pub fn has_effect(&self) -> bool {
        self.send_email || self.access_before != Some(self.access_after)
    }
}

/// An accepted batch: persist every invite, or none.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct InvitePlan {
    /// The site invited to.
    pub site: SiteId,
    /// One decision per distinct email, in request order.
    pub invites: Vec<PlannedInvite>,
}

/// Rule 4: a refused batch. Nothing was invited; each offending email has its reason.
#[derive(Clone, PartialEq, Eq, Debug, Error)]
#[error("nothing was invited: {}", summary(.per_email))]
pub struct InviteRefusal {
    /// Each offending email (normalized when it could be) with its refusal.
    pub per_email: Vec<(String, Refusal)>,
}

impl InviteRefusal {
    /// The stable machine code for a refused batch.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        "invite_refused"
    }
}

fn summary(per_email: &[(String, Refusal)]) -> String {
    per_email
        .iter()
        .map(|(email, refusal)| format!("{email} ({refusal})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rules 4–6: plan inviting `requests` to the authority's site.
///
/// Every email is checked before anything is decided: if any is malformed, a deactivated
/// account, or a user suspended on this site, the whole batch is refused with every offender
/// listed, so an admin fixes the list once instead of discovering problems one by one.
/// `existing` returns what storage knows about an email (its account and this site's
/// membership). Repeated emails are planned once, from their first occurrence.
///
/// Existing users keep what they have: an active member stays active, a pending invitation is
/// re-sent only if `send_email` asks for it. Removed users are invited again (rule 8). A
/// member the actor may not change ([`can_change_site_user`]: a site admin, for a trusted
/// user) is an offender like the others.
pub fn plan_invites(
    authority: &SiteAuthority,
    requests: &[InviteRequest],
    role: SiteRole,
    send_email: bool,
    existing: impl Fn(&Email) -> Option<Invitee>,
    owners: &impl DomainOwners,
) -> Result<InvitePlan, InviteRefusal> {
    let mut seen = BTreeSet::new();
    let mut invites = Vec::new();
    let mut refused = Vec::new();
    for request in requests {
        let email = match normalize_email(&request.email) {
            Ok(email) => email,
            Err(e) => {
                refused.push((request.email.trim().to_owned(), Refusal::from(e)));
                continue;
            }
        };
        if !seen.insert(email.clone()) {
            continue;
        }
        let invitee = existing(&email);
        let allowed = can_change_site_user(
            authority,
            invitee.and_then(|i| i.site_role),
            SiteUserChange::Invite(role),
        );
        let planned = allowed.and_then(|()| plan_one(request, &email, send_email, invitee, owners));
        match planned {
            Ok(invite) => invites.push(invite),
            Err(refusal) => refused.push((email.to_string(), refusal)),
        }
    }
    if refused.is_empty() {
        Ok(InvitePlan {
            site: authority.site(),
            invites,
        })
    } else {
        Err(InviteRefusal { per_email: refused })
    }
}

fn plan_one(
    request: &InviteRequest,
    email: &Email,
    send_email: bool,
    existing: Option<Invitee>,
    owners: &impl DomainOwners,
) -> Result<PlannedInvite, Refusal> {
    let password = request.password_supplied.then_some(IgnoredField::Password);
    let Some(invitee) = existing else {
        return Ok(PlannedInvite {
            email: email.clone(),
            account: InviteAccount::New {
                managing_org: managing_org(email, owners),
                display_name: request.display_name.clone(),
            },
            access_before: None,
            access_after: initial_access(MembershipOrigin::Invite { send_email }),
            send_email,
            ignored: password.into_iter().collect(),
        });
    };
    // Deactivation is checked first: restoring a suspended user would not help while the
    // account itself cannot sign in.
    if !invitee.account.status.is_active() {
        return Err(invitee.account.deactivated_refusal());
    }
    let (access_after, send) = invite_member(invitee.site_access, send_email)?;
    let display_name = request
        .display_name
        .is_some()
        .then_some(IgnoredField::DisplayName);
    Ok(PlannedInvite {
        email: email.clone(),
        account: InviteAccount::Existing(invitee.account.id),
        access_before: invitee.site_access,
        access_after,
        send_email: send,
        ignored: display_name.into_iter().chain(password).collect(),
    })
}

/// The access after inviting a user with `current` access, and whether to send the email.
fn invite_member(
    current: Option<SiteAccess>,
    send_email: bool,
) -> Result<(SiteAccess, bool), Refusal> {
    match current {
        None | Some(SiteAccess::Removed) => Ok((
            initial_access(MembershipOrigin::Invite { send_email }),
            send_email,
        )),
        Some(SiteAccess::Suspended) => Err(Refusal::SuspendedOnSite),
        Some(SiteAccess::Active) => Ok((SiteAccess::Active, false)),
        Some(SiteAccess::Invited) => Ok((SiteAccess::Invited, send_email)),
        Some(SiteAccess::InviteNotSent) if send_email => Ok((SiteAccess::Invited, true)),
        Some(SiteAccess::InviteNotSent) => Ok((SiteAccess::InviteNotSent, false)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
