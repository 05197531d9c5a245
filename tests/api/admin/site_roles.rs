//! Issue 10 item 2: the whole permission matrix of docs/admin.md ("Who may do what") against
//! the real server. Every actor (org admin, site admin, trusted user, basic user, the target
//! account's owner) tries every admin action on a site user whose role is `site_admin`,
//! `trusted` or `basic`. The expected answer comes from [`expected`], a table written from
//! the docs, never from the code under test; a refused action must change nothing.
//!
//! One bootstrap per backend: each case acts on a fresh account (invited by the org admin
//! with the target role, then put in the state the action needs), so no case resets another.

use futures_util::future::join_all;
use scimd::service::admin::tokens::AdminTokenFor;
use serde_json::{json, Value};

use super::*;
use crate::on_both_backends;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    OrgAdmin,
    SiteAdmin,
    Trusted,
    Basic,
    /// The owner of the target account (self-service token).
    Owner,
}

const WHO: [Who; 5] = [
    Who::OrgAdmin,
    Who::SiteAdmin,
    Who::Trusted,
    Who::Basic,
    Who::Owner,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    Basic,
    Trusted,
    SiteAdmin,
}

const ROLES: [Role; 3] = [Role::Basic, Role::Trusted, Role::SiteAdmin];

impl Role {
    fn wire(self) -> &'static str {
        match self {
            Role::Basic => "basic",
            Role::Trusted => "trusted",
            Role::SiteAdmin => "site_admin",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    View,
    /// Invite the email of a current member with this role.
    Invite(Role),
    /// Invite the email of a removed member with this role.
    Reinvite(Role),
    Resend,
    SetRole(Role),
    Suspend,
    Restore,
    Remove,
    Grant,
    Revoke,
    Deactivate,
    Reactivate,
    Delete,
}

fn actions() -> Vec<Action> {
    let mut all = vec![Action::View];
    for role in ROLES {
        all.extend([
            Action::Invite(role),
            Action::Reinvite(role),
            Action::SetRole(role),
        ]);
    }
    all.extend([
        Action::Resend,
        Action::Suspend,
        Action::Restore,
        Action::Remove,
        Action::Grant,
        Action::Revoke,
        Action::Deactivate,
        Action::Reactivate,
        Action::Delete,
    ]);
    all
}

/// A refusal: status, problem code, and for a refused invite batch the offending email's own
/// code.
#[derive(Debug, PartialEq, Eq)]
struct Refused(u16, &'static str, Option<&'static str>);

/// docs/admin.md, "Who may do what", for a target account the org manages:
/// - org admins: everything on their org's sites and the accounts the org manages;
/// - site admins: everything on their site, never account status or deletion
///   (`managing_org_only`: the org's admins decide);
/// - trusted users: like site admins, but never give the `site_admin` role
///   (`role_not_allowed`) and never change a site admin's membership in any way
///   (`site_admin_only`; in an invite batch, `invite_refused` listing that email);
/// - basic users administer nothing (`not_site_admin`, their token acts as nobody);
/// - the owner acts only on their own account, and a managed account's status is its org's
///   (`managing_org_only`); the site's users are not theirs to administer (`not_site_admin`).
fn expected(who: Who, action: Action, target: Role) -> Result<(), Refused> {
    let on_account = matches!(
        action,
        Action::Deactivate | Action::Reactivate | Action::Delete
    );
    let grants_admin = matches!(
        action,
        Action::Invite(Role::SiteAdmin)
            | Action::Reinvite(Role::SiteAdmin)
            | Action::SetRole(Role::SiteAdmin)
    );
    let invites = matches!(action, Action::Invite(_) | Action::Reinvite(_));
    match who {
        Who::Basic => Err(Refused(403, "not_site_admin", None)),
        Who::OrgAdmin => Ok(()),
        Who::SiteAdmin | Who::Trusted | Who::Owner if on_account => {
            Err(Refused(403, "managing_org_only", None))
        }
        Who::Owner => Err(Refused(403, "not_site_admin", None)),
        Who::SiteAdmin => Ok(()),
        Who::Trusted if grants_admin => Err(Refused(403, "role_not_allowed", None)),
        Who::Trusted if target == Role::SiteAdmin && invites => {
            Err(Refused(403, "invite_refused", Some("site_admin_only")))
        }
        Who::Trusted if target == Role::SiteAdmin && action != Action::View => {
            Err(Refused(403, "site_admin_only", None))
        }
        Who::Trusted => Ok(()),
    }
}

struct World<'a> {
    app: &'a TestApp,
    org: &'a BootstrapOutcome,
    site_admin: String,
    trusted: String,
    basic: String,
}

impl World<'_> {
    fn admin(&self) -> &str {
        admin_of(self.org)
    }

    fn user(&self, account: AccountId) -> String {
        format!("/sites/{}/users/{account}", self.org.site_id)
    }

    /// A fresh member with `role`, in the state `action` starts from.
    async fn target(&self, n: usize, role: Role, action: Action) -> (String, AccountId) {
        let email = format!("t{n}-{}@a.example", role.wire());
        let body = json!({"emails": [email], "role": role.wire(), "send_email": false});
        invite_as(self.app, self.admin(), self.org, body)
            .await
            .expect_status(200);
        let id = self.app.account_id(&email).await;
        let user = self.user(id);
        match action {
            Action::Reinvite(_) => {
                drop(ok(self.app, self.admin(), &format!("{user}/remove")).await)
            }
            Action::Restore => drop(ok(self.app, self.admin(), &format!("{user}/suspend")).await),
            Action::Reactivate => {
                set_status(self.app, self.admin(), id, "deactivate")
                    .await
                    .expect_status(200);
            }
            Action::Revoke => {
                let body = json!({"product": "confluence"});
                let path = format!("{user}/products");
                self.app
                    .admin_post(&path, self.admin(), body)
                    .await
                    .expect_status(200);
            }
            _ => {}
        }
        (email, id)
    }

    async fn token(&self, who: Who, target: AccountId) -> String {
        match who {
            Who::OrgAdmin => self.admin().to_owned(),
            Who::SiteAdmin => self.site_admin.clone(),
            Who::Trusted => self.trusted.clone(),
            Who::Basic => self.basic.clone(),
            Who::Owner => self.app.admin_token(AdminTokenFor::Owner(target)).await,
        }
    }

    async fn perform(&self, token: &str, action: Action, email: &str, id: AccountId) -> Reply {
        let user = self.user(id);
        let post = |verb: &str| format!("{user}/{verb}");
        let app = self.app;
        match action {
            Action::View => app.admin_get(&user, token).await,
            Action::Invite(role) | Action::Reinvite(role) => {
                let body = json!({"emails": [email], "role": role.wire()});
                invite_as(app, token, self.org, body).await
            }
            Action::Resend => app.admin_post(&post("resend-invite"), token, None).await,
            Action::SetRole(role) => {
                let body = json!({"role": role.wire()});
                app.admin_put(&post("role"), token, body).await
            }
            Action::Suspend => app.admin_post(&post("suspend"), token, None).await,
            Action::Restore => app.admin_post(&post("restore"), token, None).await,
            Action::Remove => app.admin_post(&post("remove"), token, None).await,
            Action::Grant => {
                let body = json!({"product": "confluence"});
                app.admin_post(&post("products"), token, body).await
            }
            Action::Revoke => {
                let path = post("products/confluence");
                app.admin_delete(&path, token).await
            }
            Action::Deactivate => set_status(app, token, id, "deactivate").await,
            Action::Reactivate => set_status(app, token, id, "reactivate").await,
            Action::Delete => app.admin_delete(&format!("/accounts/{id}"), token).await,
        }
    }

    /// Everything a write could touch, as the org admin sees it: the membership (role,
    /// access, products, updated_at), the account, its audit log and its queued emails.
    async fn snapshot(&self, id: AccountId) -> Value {
        let outbox = format!("/sites/{}/outbox?account_id={id}", self.org.site_id);
        let paths = [
            self.user(id),
            format!("/accounts/{id}"),
            format!("/accounts/{id}/audit"),
            outbox,
        ];
        let replies = join_all(
            paths
                .iter()
                .map(|path| self.app.admin_get(path, self.admin())),
        )
        .await;
        let mut parts = Vec::new();
        for (path, reply) in paths.iter().zip(replies) {
            assert_eq!(reply.status, 200, "{path}: {}", reply.body);
            parts.push(reply.body);
        }
        Value::Array(parts)
    }

    /// What an allowed action leaves, per docs/admin.md.
    async fn check_effect(&self, action: Action, target: Role, id: AccountId, reply: &Reply) {
        let case = format!("{action:?} on {target:?}: {}", reply.body);
        if action == Action::Delete {
            // Rule 11: the membership is erased with the personal data; a tombstone remains.
            let path = format!("/accounts/{id}");
            let account = self.app.admin_get(&path, self.admin()).await;
            assert_eq!(account.body["deleted"], true, "{case}");
            assert_eq!(account.body["email"], Value::Null, "{case}");
            return;
        }
        let after = self.snapshot(id).await;
        let (user, account) = (&after[0], &after[1]);
        let role = |r: Role| json!(r.wire());
        match action {
            Action::View => assert_eq!(reply.body["account_id"], json!(id), "{case}"),
            // An existing member is never downgraded by an invite.
            Action::Invite(r) => assert_eq!(user["role"], role(r.max(target)), "{case}"),
            Action::Reinvite(r) => {
                assert_eq!(user["role"], role(r), "{case}");
                assert_eq!(user["access"], "invited", "{case}");
            }
            Action::Resend => assert_eq!(user["access"], "invited", "{case}"),
            Action::SetRole(r) => assert_eq!(user["role"], role(r), "{case}"),
            Action::Suspend => assert_eq!(user["access"], "suspended", "{case}"),
            Action::Restore => assert_eq!(user["access"], "active", "{case}"),
            Action::Remove => assert_eq!(user["access"], "removed", "{case}"),
            Action::Grant => assert_eq!(user["products"], json!(["confluence"]), "{case}"),
            Action::Revoke => assert_eq!(user["products"], json!([]), "{case}"),
            Action::Deactivate => assert_eq!(account["status"], "deactivated", "{case}"),
            Action::Reactivate => assert_eq!(account["status"], "active", "{case}"),
            Action::Delete => unreachable!("checked above"),
        }
    }
}

async fn the_site_role_matrix_of_docs_admin_md(app: TestApp) {
    let org = app.bootstrap("A", &["a.example"]).await;
    let mut actors = Vec::new();
    for role in ROLES {
        let email = format!("actor-{}@a.example", role.wire());
        let body = json!({"emails": [email], "role": role.wire(), "send_email": false});
        assert_eq!(invite(&app, &org, body).await.status, 200);
        let account = Some(app.account_id(&email).await);
        let site = org.site_id;
        actors.push(app.admin_token(AdminTokenFor::Site { site, account }).await);
    }
    let [basic, trusted, site_admin] = <[String; 3]>::try_from(actors).unwrap();
    let world = World {
        app: &app,
        org: &org,
        site_admin,
        trusted,
        basic,
    };

    // The site's own confluence group exists before the cases run side by side.
    let body = json!({"emails": ["seed@a.example"], "products": ["confluence"]});
    assert_eq!(invite(&app, &org, body).await.status, 200);

    // One sequence of cases per actor, the five side by side; each case has its own account.
    let per_actor = actions().len() * ROLES.len();
    let runs = WHO.into_iter().enumerate().map(|(i, who)| {
        let world = &world;
        async move {
            let mut allowed = 0;
            for (j, action) in actions().into_iter().enumerate() {
                for (k, target) in ROLES.into_iter().enumerate() {
                    let n = i * per_actor + j * ROLES.len() + k;
                    allowed += usize::from(world.case(n, who, action, target).await);
                }
            }
            allowed
        }
    });
    let allowed: usize = join_all(runs).await.into_iter().sum();
    let total = WHO.len() * per_actor;
    assert!(
        allowed > 0 && allowed < total,
        "{allowed} of {total} allowed"
    );
}

impl World<'_> {
    /// One cell of the matrix; true if the action was allowed.
    async fn case(&self, n: usize, who: Who, action: Action, target: Role) -> bool {
        let (email, id) = self.target(n, target, action).await;
        let token = self.token(who, id).await;
        let before = self.snapshot(id).await;
        let reply = self.perform(&token, action, &email, id).await;
        let case = format!("{who:?} {action:?} on a {target:?}");
        match expected(who, action, target) {
            Ok(()) => {
                assert_eq!(reply.status, 200, "{case}: {}", reply.body);
                // Giving a member the role it has is the one allowed no-op.
                let no_op = matches!(action, Action::View | Action::Delete)
                    || action == Action::SetRole(target);
                if !no_op {
                    assert_ne!(self.snapshot(id).await, before, "{case} changed nothing");
                }
                self.check_effect(action, target, id, &reply).await;
                true
            }
            Err(Refused(status, code, per_email)) => {
                assert_eq!(reply.status, status, "{case}: {}", reply.body);
                assert_problem(&reply, status, code);
                if let Some(inner) = per_email {
                    assert_eq!(reply.body["refused"][0]["email"], email, "{case}");
                    assert_eq!(reply.body["refused"][0]["code"], inner, "{case}");
                }
                assert_eq!(self.snapshot(id).await, before, "{case} changed something");
                false
            }
        }
    }
}

on_both_backends! {
    the_site_role_matrix_of_docs_admin_md => spawn_app,
}
