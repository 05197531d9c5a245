//! Every console action, over HTTP: its effect (read back through the admin API), its
//! message, and its refusals with the admin API's detail and who can act.

use scimd::service::admin::tokens::AdminTokenFor;

use super::{site_user, world, Browserless, Html};
use crate::helpers::*;
use crate::on_both_backends;

/// Follows a 303 and returns the flash message shown there.
async fn flash(browser: &mut Browserless<'_>, answer: &Html) -> String {
    assert_eq!(answer.status, 303, "{}", answer.body);
    let page = browser
        .get(answer.location().expect("location"))
        .await
        .expect_status(200);
    let start = page.body.find("class=\"flash\"").expect("a flash message");
    let text = &page.body[start..];
    let open = text.find('>').expect(">") + 1;
    let close = text.find("</p>").expect("</p>");
    text[open..close].to_owned()
}

/// POSTs a form and returns the message of the page it leads to.
async fn act(browser: &mut Browserless<'_>, path: &str, fields: &[(&str, &str)]) -> String {
    let answer = browser.post(path, fields).await;
    flash(browser, &answer).await
}

async fn every_user_action(app: TestApp) {
    let w = world(&app).await;
    let mut admin = Browserless::new(&app);
    let csrf = admin.signed_in(&w.acme.admin_token.token).await;
    let csrf = [("csrf", csrf.as_str())];
    let user = |email: &str| {
        let app = &app;
        let site = w.acme.site_id;
        let email = email.to_owned();
        async move {
            format!(
                "/console/sites/{site}/users/{}",
                app.account_id(&email).await
            )
        }
    };
    let state = |email: &'static str| site_user(&app, &w.acme, email);

    let dan = user("dan@acme.example").await;
    let said = act(&mut admin, &format!("{dan}/resend-invite"), &csrf).await;
    assert_eq!(said, "Invitation sent again.");
    assert_eq!(state("dan@acme.example").await["access"], "invited");

    let ann = user("ann@acme.example").await;
    admin.post(&format!("{ann}/suspend"), &csrf).await;
    assert_eq!(state("ann@acme.example").await["access"], "suspended");
    let said = act(&mut admin, &format!("{ann}/restore"), &csrf).await;
    assert_eq!(said, "Restored: site access is back.");
    assert_eq!(state("ann@acme.example").await["access"], "active");
    let not_suspended = admin
        .post(&format!("{ann}/restore"), &csrf)
        .await
        .expect_status(409);
    assert!(not_suspended.body.contains("there is nothing to restore"));
    let cy = user("cy@acme.example").await;
    let again = act(&mut admin, &format!("{cy}/suspend"), &csrf).await;
    assert_eq!(again, "Nothing to change: it already was so.");
    let bo = user("bo@partner.example").await;
    admin.post(&format!("{bo}/remove"), &csrf).await;
    assert_eq!(state("bo@partner.example").await["access"], "removed");
    let refused = admin
        .post(&format!("{bo}/restore"), &csrf)
        .await
        .expect_status(409);
    assert!(refused
        .body
        .contains("removed from this site (no site access): invite again instead"));

    let role = [("csrf", csrf[0].1), ("role", "trusted")];
    let said = act(&mut admin, &format!("{ann}/role"), &role).await;
    assert_eq!(said, "Role is now trusted.");
    assert_eq!(state("ann@acme.example").await["role"], "trusted");

    let grant = [("csrf", csrf[0].1), ("product", "confluence")];
    admin.post(&format!("{ann}/products"), &grant).await;
    assert_eq!(
        state("ann@acme.example").await["products"],
        serde_json::json!(["confluence", "jira-software"])
    );
    let said = act(
        &mut admin,
        &format!("{ann}/products/jira-software/revoke"),
        &csrf,
    )
    .await;
    assert_eq!(said, "Revoked jira-software.");
    assert_eq!(
        state("ann@acme.example").await["products"],
        serde_json::json!(["confluence"])
    );
    let unknown = [("csrf", csrf[0].1), ("product", "bitbucket")];
    let refused = admin.post(&format!("{ann}/products"), &unknown).await;
    assert_eq!(refused.status, 400);
    assert!(
        refused
            .body
            .contains("this site has no product &quot;bitbucket&quot;"),
        "{}",
        refused.body
    );

    // Rule 7 for another org's deactivated account: refused, naming who can reactivate it.
    let xavier = user("xavier@globex.example").await;
    let refused = admin
        .post(&format!("{xavier}/products"), &grant)
        .await
        .expect_status(409);
    assert!(refused.body.contains("deactivated: only the administrators of the organization that manages this account can reactivate it"));
    assert!(refused.body.contains(&w.globex.org_id.to_string()));

    // Deleting needs the box ticked; an account without content leaves a tombstone.
    let delete = format!("{dan}/delete");
    let unticked = admin.post(&delete, &csrf).await;
    assert_eq!(unticked.status, 400);
    assert!(unticked.body.contains("tick the box"));
    let dan_id = app.account_id("dan@acme.example").await;
    let ticked = [("csrf", csrf[0].1), ("confirm", "yes")];
    let said = act(&mut admin, &delete, &ticked).await;
    assert_eq!(
        said,
        format!("Account {dan_id} deleted: a tombstone with its id remains.")
    );
    let gone = app
        .admin_get(&format!("/accounts/{dan_id}"), &w.acme.admin_token.token)
        .await;
    assert_eq!(gone.body["deleted"], true, "{}", gone.body);
}

/// A trusted user lands on their site, acts on its users but never on a site admin, and is
/// told who decides an account's status.
async fn a_trusted_users_console(app: TestApp) {
    let w = world(&app).await;
    let admin = &w.acme.admin_token.token;
    let ann = app.account_id("ann@acme.example").await;
    let cy = app.account_id("cy@acme.example").await;
    let site = w.acme.site_id;
    for (who, role) in [(ann, "trusted"), (cy, "site_admin")] {
        let path = format!("/sites/{site}/users/{who}/role");
        let body = serde_json::json!({ "role": role });
        assert_eq!(app.admin_put(&path, admin, body).await.status, 200);
    }
    let restore = format!("/sites/{site}/users/{ann}/restore");
    app.admin_post(&restore, admin, None).await;
    let token = app
        .admin_token(AdminTokenFor::Site {
            site,
            account: Some(ann),
        })
        .await;
    let mut trusted = Browserless::new(&app);
    let landing = trusted.sign_in(&token).await;
    assert_eq!(
        landing.location(),
        Some(format!("/console/sites/{site}/users").as_str())
    );
    let csrf = trusted.signed_in(&token).await;
    let (users, form) = (
        format!("/console/sites/{site}/users"),
        [("csrf", csrf.as_str())],
    );

    let refused = trusted
        .post(&format!("{users}/{cy}/restore"), &form)
        .await
        .expect_status(403);
    assert!(refused.body.contains("site_admin_only"), "{}", refused.body);
    let bo = app.account_id("bo@partner.example").await;
    let refused = trusted
        .post(&format!("{users}/{bo}/deactivate"), &form)
        .await
        .expect_status(403);
    assert!(
        refused
            .body
            .contains("only the account's owner can deactivate it"),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("Who can act: the account's owner"),
        "{}",
        refused.body
    );
    let org_page = trusted
        .get(&format!("/console/orgs/{}/domains", w.acme.org_id))
        .await;
    assert_eq!(org_page.status, 403);
}

/// An account owner's own page: an unmanaged account decides itself, a managed one is told
/// its organization decides.
async fn an_owners_console(app: TestApp) {
    let w = world(&app).await;
    let bo = app.account_id("bo@partner.example").await;
    let token = app.admin_token(AdminTokenFor::Owner(bo)).await;
    let mut owner = Browserless::new(&app);
    assert_eq!(owner.sign_in(&token).await.location(), Some("/console/me"));
    let csrf = owner.signed_in(&token).await;
    let said = act(&mut owner, "/console/me/deactivate", &[("csrf", &csrf)]).await;
    assert_eq!(said, "Your account is deactivated.");
    assert_eq!(
        site_user(&app, &w.acme, "bo@partner.example").await["account_status"],
        "deactivated"
    );
    owner.submit("/console/me/reactivate", &[]).await;
    assert_eq!(
        site_user(&app, &w.acme, "bo@partner.example").await["account_status"],
        "active"
    );

    let ann = app.account_id("ann@acme.example").await;
    let token = app.admin_token(AdminTokenFor::Owner(ann)).await;
    let mut managed = Browserless::new(&app);
    managed.signed_in(&token).await;
    let refused = managed
        .submit("/console/me/deactivate", &[])
        .await
        .expect_status(403);
    assert!(
        refused.body.contains(&w.acme.org_id.to_string()),
        "names the managing org"
    );
}

/// Directories, their tokens, and domains, through their pages.
async fn directories_and_domains(app: TestApp) {
    let w = world(&app).await;
    let org = w.acme.org_id;
    let mut admin = Browserless::new(&app);
    admin.signed_in(&w.acme.admin_token.token).await;
    let created = admin
        .submit(
            &format!("/console/orgs/{org}/directories"),
            &[("name", "Entra ID")],
        )
        .await;
    let dir_page = created.location().expect("to the directory").to_owned();
    assert!(flash(&mut admin, &created)
        .await
        .starts_with("Directory created"));
    let list = admin.get(&format!("/console/orgs/{org}/directories")).await;
    assert!(list.body.contains("Entra ID"), "{}", list.body);
    assert_eq!(
        list.body.matches("<td>never</td>").count(),
        2,
        "no SCIM write yet"
    );

    admin
        .submit(&format!("{dir_page}/tokens"), &[("ttl_days", "0")])
        .await
        .expect_status(400);
    let issued = admin
        .submit(&format!("{dir_page}/tokens"), &[("ttl_days", "30")])
        .await
        .expect_status(201);
    assert!(issued.body.contains("shown this once") && issued.body.contains("Expires"));
    let token = issued.text_of("<textarea id=\"issued-token\"");
    assert!(token.starts_with("eyJ"), "a JWT: {token}");
    let user = serde_json::json!({"userName": "eve@acme.example"});
    let created = app.post("/Users", &token, user).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let activity = admin.get(&format!("/console/orgs/{org}/directories")).await;
    assert_eq!(
        activity.body.matches("<td>never</td>").count(),
        1,
        "Entra ID wrote: {}",
        activity.body
    );

    let public_suffix = admin
        .submit(
            &format!("/console/orgs/{org}/domains"),
            &[("domain", "co.uk")],
        )
        .await
        .expect_status(400);
    assert!(public_suffix.body.contains("public_suffix"));
    let bad_target = admin
        .submit(
            &format!("/console/orgs/{org}/domains/acme.example/move"),
            &[("to_org", "globex")],
        )
        .await;
    assert_eq!(bad_target.status, 400);
    let to = w.globex.org_id.to_string();
    let moved = admin
        .submit(
            &format!("/console/orgs/{org}/domains/acme.example/move"),
            &[("to_org", &to)],
        )
        .await;
    assert!(flash(&mut admin, &moved)
        .await
        .contains("moved to organization"));
    assert_eq!(
        site_user(&app, &w.acme, "ann@acme.example").await["managing_org"],
        serde_json::json!(w.globex.org_id)
    );
    let not_ours = admin
        .submit(
            &format!("/console/orgs/{org}/domains/acme.example/move"),
            &[("to_org", &to)],
        )
        .await
        .expect_status(403);
    assert!(
        not_ours.body.contains(&format!(
            "organization <code class=\"org\">{}</code>, which holds this domain",
            w.globex.org_id
        )),
        "{}",
        not_ours.body
    );
}

on_both_backends!(
    every_user_action => spawn_app,
    a_trusted_users_console => spawn_app,
    an_owners_console => spawn_app,
    directories_and_domains => spawn_app,
);
