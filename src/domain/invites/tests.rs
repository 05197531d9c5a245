//! Rules 4–6, 8, 9 of invite planning, and who may be invited.

use super::*;
use crate::domain::accounts::tests::{managed, unmanaged};
use crate::domain::accounts::AccountStatus;
use crate::domain::refusal::WhoCanAct;
use crate::domain::sites::tests::{site_admin, trusted};
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

/// An account found under an email, and its membership of the site if it had one.
fn invitee(account: AccountFacts, site_access: Option<SiteAccess>) -> Invitee {
    Invitee {
        account,
        site_access,
        site_role: None,
    }
}

/// Plans `requests` as basic users against the accounts of `db`, no domain being verified.
fn planned(
    auth: &SiteAuthority,
    requests: &[InviteRequest],
    send_email: bool,
    db: &BTreeMap<Email, Invitee>,
) -> Result<InvitePlan, InviteRefusal> {
    plan_invites(
        auth,
        requests,
        SiteRole::Basic,
        send_email,
        lookup(db),
        &no_owner,
    )
}

#[test]
fn rule4_batch_with_a_deactivated_account_invites_nobody_and_names_who_can_reactivate() {
    let (_, auth) = site_admin();
    let org = OrgId::new();
    let db = known(&[
        (
            "gone@corp.com",
            invitee(managed(org, AccountStatus::Deactivated), None),
        ),
        (
            "ok@corp.com",
            invitee(unmanaged(AccountStatus::Active), None),
        ),
    ]);
    let err = planned(
        &auth,
        &[req("ok@corp.com"), req("Gone@Corp.com")],
        true,
        &db,
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
            invitee(unmanaged(AccountStatus::Deactivated), None),
        ),
        (
            "b@x.io",
            invitee(
                unmanaged(AccountStatus::Active),
                Some(SiteAccess::Suspended),
            ),
        ),
    ]);
    let err = planned(
        &auth,
        &[req("a@x.io"), req("b@x.io"), req("nope")],
        true,
        &db,
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
    let db = known(&[("ann@x.io", invitee(acct, None))]);
    let request = InviteRequest {
        email: "ann@x.io".into(),
        display_name: Some("Someone Else".into()),
        password_supplied: true,
    };
    let plan = planned(&auth, &[request], true, &db).unwrap();
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
        SiteRole::Basic,
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
    let sent = planned(&auth, &[req("a@x.io")], true, &known(&[])).unwrap();
    assert_eq!(
        (sent.invites[0].access_after, sent.invites[0].send_email),
        (SiteAccess::Invited, true)
    );
    let quiet = planned(&auth, &[req("a@x.io")], false, &known(&[])).unwrap();
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
        invitee(unmanaged(AccountStatus::Active), Some(SiteAccess::Removed)),
    )]);
    let plan = planned(&auth, &[req("r@x.io")], true, &db).unwrap();
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
    let member = |access| invitee(unmanaged(AccountStatus::Active), Some(access));
    let db = known(&[
        ("act@x.io", member(SiteAccess::Active)),
        ("ns@x.io", member(SiteAccess::InviteNotSent)),
    ]);
    let plan = planned(&auth, &[req("act@x.io"), req("ns@x.io")], true, &db).unwrap();
    assert_eq!(plan.invites[0].access_after, SiteAccess::Active);
    assert!(!plan.invites[0].has_effect());
    assert_eq!(
        (plan.invites[1].access_after, plan.invites[1].send_email),
        (SiteAccess::Invited, true)
    );
    let quiet = planned(&auth, &[req("ns@x.io")], false, &db).unwrap();
    assert!(!quiet.invites[0].has_effect());
}

#[test]
fn repeated_emails_are_planned_once() {
    let (_, auth) = site_admin();
    let plan = planned(&auth, &[req("a@x.io"), req(" A@X.IO ")], true, &known(&[])).unwrap();
    assert_eq!(plan.invites.len(), 1);
}

#[test]
fn a_trusted_users_batch_naming_a_site_admin_invites_nobody() {
    let auth = trusted();
    let db = known(&[(
        "boss@x.io",
        Invitee {
            account: unmanaged(AccountStatus::Active),
            site_access: Some(SiteAccess::Removed),
            site_role: Some(SiteRole::SiteAdmin),
        },
    )]);
    let requests = [req("new@x.io"), req("boss@x.io")];
    let err = planned(&auth, &requests, true, &db).unwrap_err();
    assert_eq!(
        err.per_email,
        vec![("boss@x.io".to_owned(), Refusal::SiteAdminOnly)]
    );
}
