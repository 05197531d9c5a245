//! Inviting a batch of emails to a site (rules 4–6, 8, 9).

use std::collections::BTreeSet;

use thiserror::Error;

use super::accounts::AccountFacts;
use super::domains::{managing_org, DomainOwners};
use super::email::{normalize_email, Email};
use super::ids::{AccountId, OrgId, SiteId};
use super::refusal::Refusal;
use super::sites::{initial_access, MembershipOrigin, SiteAccess, SiteAuthority};
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
/// re-sent only if `send_email` asks for it. Removed users are invited again (rule 8).
pub fn plan_invites(
    authority: &SiteAuthority,
    requests: &[InviteRequest],
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
        match plan_one(request, &email, send_email, existing(&email), owners) {
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
mod tests {
    use super::*;
    use crate::domain::accounts::tests::{managed, unmanaged};
    use crate::domain::accounts::AccountStatus;
    use crate::domain::refusal::WhoCanAct;
    use crate::domain::sites::tests::site_admin;
    use std::collections::BTreeMap;

    fn req(email: &str) -> InviteRequest {
        InviteRequest {
            email: email.into(),
            ..InviteRequest::default()
        }
    }

    fn lookup(known: &BTreeMap<Email, Invitee>) -> impl Fn(&Email) -> Option<Invitee> + '_ {
        |e| known.get(e).copied()
    }

    fn known(entries: &[(&str, Invitee)]) -> BTreeMap<Email, Invitee> {
        entries
            .iter()
            .map(|(e, i)| (Email::parse(e).unwrap(), *i))
            .collect()
    }

    fn no_owner(_: &str) -> Option<OrgId> {
        None
    }

    #[test]
    fn rule4_batch_with_a_deactivated_account_invites_nobody_and_names_who_can_reactivate() {
        let (_, auth) = site_admin();
        let org = OrgId::new();
        let db = known(&[
            (
                "gone@corp.com",
                Invitee {
                    account: managed(org, AccountStatus::Deactivated),
                    site_access: None,
                },
            ),
            (
                "ok@corp.com",
                Invitee {
                    account: unmanaged(AccountStatus::Active),
                    site_access: None,
                },
            ),
        ]);
        let err = plan_invites(
            &auth,
            &[req("ok@corp.com"), req("Gone@Corp.com")],
            true,
            lookup(&db),
            &no_owner,
        )
        .unwrap_err();
        assert_eq!(err.code(), "invite_refused");
        assert_eq!(err.per_email.len(), 1);
        let (email, refusal) = &err.per_email[0];
        assert_eq!(email, "gone@corp.com");
        assert_eq!(refusal.code(), "account_deactivated");
        assert_eq!(refusal.who_can_act(), Some(WhoCanAct::ManagingOrg(org)));
        assert!(err
            .to_string()
            .contains("gone@corp.com (deactivated: only the administrators"));
    }

    #[test]
    fn rule4_every_offender_is_listed_with_its_reason() {
        let (_, auth) = site_admin();
        let db = known(&[
            (
                "a@x.io",
                Invitee {
                    account: unmanaged(AccountStatus::Deactivated),
                    site_access: None,
                },
            ),
            (
                "b@x.io",
                Invitee {
                    account: unmanaged(AccountStatus::Active),
                    site_access: Some(SiteAccess::Suspended),
                },
            ),
        ]);
        let err = plan_invites(
            &auth,
            &[req("a@x.io"), req("b@x.io"), req("nope")],
            true,
            lookup(&db),
            &no_owner,
        )
        .unwrap_err();
        let reasons: Vec<_> = err
            .per_email
            .iter()
            .map(|(e, r)| (e.as_str(), r.code()))
            .collect();
        assert_eq!(
            reasons,
            [
                ("a@x.io", "account_deactivated"),
                ("b@x.io", "suspended_on_site"),
                ("nope", "invalid_email")
            ]
        );
        assert!(err.per_email[0]
            .1
            .to_string()
            .contains("only the account's owner can reactivate it"));
        assert!(err.per_email[1]
            .1
            .to_string()
            .contains("suspended on this site: restore instead"));
    }

    #[test]
    fn rule5_existing_account_keeps_its_profile_and_the_answer_says_what_was_ignored() {
        let (site, auth) = site_admin();
        let acct = unmanaged(AccountStatus::Active);
        let db = known(&[(
            "ann@x.io",
            Invitee {
                account: acct,
                site_access: None,
            },
        )]);
        let request = InviteRequest {
            email: "ann@x.io".into(),
            display_name: Some("Someone Else".into()),
            password_supplied: true,
        };
        let plan = plan_invites(&auth, &[request], true, lookup(&db), &no_owner).unwrap();
        assert_eq!(plan.site, site.id);
        let invite = &plan.invites[0];
        assert_eq!(invite.account, InviteAccount::Existing(acct.id));
        assert_eq!(
            invite.ignored,
            [IgnoredField::DisplayName, IgnoredField::Password]
        );
    }

    #[test]
    fn rule5_new_email_creates_an_account_managed_if_its_domain_is_verified() {
        let (_, auth) = site_admin();
        let org = OrgId::new();
        let owners = |d: &str| (d == "corp.com").then_some(org);
        let request = InviteRequest {
            email: "new@corp.com".into(),
            display_name: Some("New".into()),
            password_supplied: true,
        };
        let plan = plan_invites(
            &auth,
            &[request, req("ext@gmail.com")],
            true,
            |_: &Email| None,
            &owners,
        )
        .unwrap();
        assert_eq!(
            plan.invites[0].account,
            InviteAccount::New {
                managing_org: Some(org),
                display_name: Some("New".into())
            }
        );
        assert_eq!(plan.invites[0].ignored, [IgnoredField::Password]);
        assert_eq!(
            plan.invites[1].account,
            InviteAccount::New {
                managing_org: None,
                display_name: None
            }
        );
    }

    #[test]
    fn rule6_invites_send_email_unless_told_not_to() {
        let (_, auth) = site_admin();
        let sent =
            plan_invites(&auth, &[req("a@x.io")], true, |_: &Email| None, &no_owner).unwrap();
        assert_eq!(
            (sent.invites[0].access_after, sent.invites[0].send_email),
            (SiteAccess::Invited, true)
        );
        let quiet =
            plan_invites(&auth, &[req("a@x.io")], false, |_: &Email| None, &no_owner).unwrap();
        assert_eq!(
            (quiet.invites[0].access_after, quiet.invites[0].send_email),
            (SiteAccess::InviteNotSent, false)
        );
    }

    #[test]
    fn rule8_removed_users_can_be_invited_again() {
        let (_, auth) = site_admin();
        let db = known(&[(
            "r@x.io",
            Invitee {
                account: unmanaged(AccountStatus::Active),
                site_access: Some(SiteAccess::Removed),
            },
        )]);
        let plan = plan_invites(&auth, &[req("r@x.io")], true, lookup(&db), &no_owner).unwrap();
        let invite = &plan.invites[0];
        assert_eq!(
            (invite.access_before, invite.access_after),
            (Some(SiteAccess::Removed), SiteAccess::Invited)
        );
        assert!(invite.has_effect());
    }

    #[test]
    fn existing_members_are_not_downgraded_and_pending_ones_get_the_email_if_asked() {
        let (_, auth) = site_admin();
        let member = |access| Invitee {
            account: unmanaged(AccountStatus::Active),
            site_access: Some(access),
        };
        let db = known(&[
            ("act@x.io", member(SiteAccess::Active)),
            ("ns@x.io", member(SiteAccess::InviteNotSent)),
        ]);
        let plan = plan_invites(
            &auth,
            &[req("act@x.io"), req("ns@x.io")],
            true,
            lookup(&db),
            &no_owner,
        )
        .unwrap();
        assert_eq!(plan.invites[0].access_after, SiteAccess::Active);
        assert!(!plan.invites[0].has_effect());
        assert_eq!(
            (plan.invites[1].access_after, plan.invites[1].send_email),
            (SiteAccess::Invited, true)
        );
        let quiet = plan_invites(&auth, &[req("ns@x.io")], false, lookup(&db), &no_owner).unwrap();
        assert!(!quiet.invites[0].has_effect());
    }

    #[test]
    fn repeated_emails_are_planned_once() {
        let (_, auth) = site_admin();
        let plan = plan_invites(
            &auth,
            &[req("a@x.io"), req(" A@X.IO ")],
            true,
            |_: &Email| None,
            &no_owner,
        )
        .unwrap();
        assert_eq!(plan.invites.len(), 1);
    }
}
