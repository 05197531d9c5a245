//! The console in a real browser (headless Chromium): one session per backend walks through
//! signing in, the users list and its filters, a refused and an accepted invite batch,
//! deactivating and reactivating an account, another org's refusal, a form without its CSRF
//! token, domain verification with DNS proof, the provisioning log with a refused SCIM write
//! and its filters, directories with their recent failures and tokens, and signing out. Each step
//! checks the page and, where something changed, the admin API.

use fantoccini::Locator;

use super::driver::{self, Browser};
use super::{site_user, world};
use crate::helpers::*;
use crate::on_both_backends;

/// `(email, state)` of each row of the users table.
async fn rows(browser: &Browser) -> Vec<(String, String)> {
    browser.element("table.users").await;
    let mut out = Vec::new();
    let rows = browser
        .client
        .find_all(Locator::Css("table.users tbody tr"))
        .await
        .expect("rows");
    for row in rows {
        let email = row.find(Locator::Css("th a")).await.expect("email");
        let state = row.find(Locator::Css("span.state")).await.expect("state");
        out.push((
            email.text().await.expect("text"),
            state.text().await.expect("text"),
        ));
    }
    out
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(e, s)| ((*e).to_owned(), (*s).to_owned()))
        .collect()
}

/// The outcome of each entry the log page shows, newest first.
async fn log_outcomes(browser: &Browser) -> Vec<String> {
    browser.element("table.log").await;
    let cells = browser
        .client
        .find_all(Locator::Css("table.log tbody tr:first-child span.state"))
        .await
        .expect("outcomes");
    let mut out = Vec::new();
    for cell in cells {
        out.push(cell.text().await.expect("text"));
    }
    out
}

async fn console_in_a_browser(env: WithDns) {
    let Some(mut browser) = driver::start().await else {
        return;
    };
    let app = &env.app;
    browser.screenshots = app.db.url.starts_with("sqlite:");
    let w = world(app).await;
    let (acme, globex) = (&w.acme, &w.globex);
    let base = &app.address;
    let site = format!("{base}/console/sites/{}", acme.site_id);

    // Signing in: /console asks for a token, then lands on the org's page.
    browser.goto(&format!("{base}/console")).await;
    assert_eq!(browser.path().await, "/console/sign-in");
    assert_eq!(browser.title().await, "Sign in");
    browser.screenshot("sign-in").await;
    browser.fill("#token", "not a token").await;
    browser.follow("form.card button[type=submit]").await;
    let shown = browser.text(".refusal").await;
    assert!(shown.contains("That token was refused"), "{shown}");
    browser.fill("#token", &acme.admin_token.token).await;
    browser.follow("form.card button[type=submit]").await;
    assert_eq!(browser.title().await, "Acme");
    assert_eq!(
        browser.path().await,
        format!("/console/orgs/{}", acme.org_id)
    );

    // The users list shows each user's state.
    browser.follow("main a[href$='/users']").await;
    assert_eq!(browser.title().await, "Users of main");
    let all = pairs(&[
        ("ann@acme.example", "invited"),
        ("bo@partner.example", "invited"),
        ("cy@acme.example", "suspended"),
        ("dan@acme.example", "invite_not_sent"),
        ("xavier@globex.example", "deactivated"),
    ]);
    assert_eq!(rows(&browser).await, all);
    let table = browser.text("table.users").await;
    assert!(
        table.contains("organization"),
        "another org's account names its manager: {table}"
    );
    assert!(table.contains("unmanaged"), "{table}");
    browser.screenshot("users").await;

    // Filtered by state, and searched.
    browser.select("#state", "suspended").await;
    browser.follow("form.search button").await;
    assert_eq!(
        rows(&browser).await,
        pairs(&[("cy@acme.example", "suspended")])
    );
    browser.select("#state", "").await;
    browser.fill("#q", "globex").await;
    browser.follow("form.search button").await;
    assert_eq!(
        rows(&browser).await,
        pairs(&[("xavier@globex.example", "deactivated")])
    );

    // An invite batch with a deactivated and a suspended user: nobody is invited, and each
    // refused email has its reason and who can act.
    browser
        .fill(
            "#emails",
            "new@acme.example\nxavier@globex.example\ncy@acme.example",
        )
        .await;
    browser.follow("#invite button[type=submit]").await;
    let refusal = browser.text(".refusal").await;
    assert!(refusal.contains("nothing was invited"), "{refusal}");
    let xavier_row = browser
        .text(".refusal table.refused tbody tr:nth-child(1)")
        .await;
    assert!(
        xavier_row.starts_with("xavier@globex.example"),
        "{xavier_row}"
    );
    assert!(
        xavier_row.contains("deactivated: only the administrators of the organization that manages this account can reactivate it"),
        "{xavier_row}"
    );
    assert!(
        xavier_row.contains(&globex.org_id.to_string()),
        "names org Globex: {xavier_row}"
    );
    let cy_row = browser
        .text(".refusal table.refused tbody tr:nth-child(2)")
        .await;
    assert!(cy_row.starts_with("cy@acme.example"), "{cy_row}");
    assert!(
        cy_row.contains("suspended on this site: restore instead"),
        "{cy_row}"
    );
    let typed = browser.prop("#emails", "value").await;
    assert_eq!(
        typed.as_deref(),
        Some("new@acme.example\nxavier@globex.example\ncy@acme.example")
    );
    {
        let mut conn = app.store.read().await.expect("connection");
        let new = scimd::store::find_account_by_email(&mut conn, "new@acme.example").await;
        assert!(new.expect("lookup").is_none(), "nothing was invited");
    }
    browser.screenshot("invite-refused").await;

    browser.fill("#emails", "new@acme.example").await;
    browser.follow("#invite button[type=submit]").await;
    let flash = browser.text(".flash").await;
    assert!(flash.contains("Invited 1 (new accounts: 1)"), "{flash}");
    assert_eq!(
        site_user(app, acme, "new@acme.example").await["state"],
        "invited"
    );

    // Deactivate and reactivate an account the org manages.
    browser.goto(&format!("{site}/users?q=ann")).await;
    browser.follow("table.users th a").await;
    assert_eq!(browser.title().await, "ann@acme.example");
    browser.follow("form[action$='/deactivate'] button").await;
    assert!(browser.text(".flash").await.contains("Account deactivated"));
    assert_eq!(browser.text("dl.facts span.state").await, "deactivated");
    let ann = site_user(app, acme, "ann@acme.example").await;
    assert_eq!(
        (ann["account_status"].as_str(), ann["access"].as_str()),
        (Some("deactivated"), Some("invited"))
    );
    browser.screenshot("user").await;
    browser.follow("form[action$='/reactivate'] button").await;
    assert!(browser.text(".flash").await.contains("Account reactivated"));
    assert_eq!(browser.text("dl.facts span.state").await, "invited");
    assert_eq!(
        site_user(app, acme, "ann@acme.example").await["account_status"],
        "active"
    );

    // Another org's account: the refusal says who can act and names that org.
    let xavier = app.account_id("xavier@globex.example").await;
    browser.goto(&format!("{site}/users/{xavier}")).await;
    browser.follow("form[action$='/reactivate'] button").await;
    let refusal = browser.text(".refusal").await;
    assert!(
        refusal.contains("this account is managed by another organization; only its administrators can reactivate it"),
        "{refusal}"
    );
    assert_eq!(
        browser.text(".refusal .who code.org").await,
        globex.org_id.to_string()
    );
    assert_eq!(
        site_user(app, acme, "xavier@globex.example").await["account_status"],
        "deactivated"
    );
    browser.screenshot("refusal-other-org").await;

    // A form whose CSRF token was taken out is refused, and nothing changes.
    let ann = app.account_id("ann@acme.example").await;
    browser.goto(&format!("{site}/users/{ann}")).await;
    browser
        .client
        .execute(
            "document.querySelector(\"form[action$='/suspend'] input[name=csrf]\").remove()",
            vec![],
        )
        .await
        .expect("script");
    browser.follow("form[action$='/suspend'] button").await;
    assert_eq!(browser.title().await, "Form refused");
    assert!(browser.body().await.contains("security token is missing"));
    assert_eq!(
        site_user(app, acme, "ann@acme.example").await["access"],
        "invited"
    );

    // A domain verified with its DNS proof.
    browser
        .goto(&format!("{base}/console/orgs/{}/domains", acme.org_id))
        .await;
    browser.fill("#domain", "acme-labs.example").await;
    browser.follow("form.card button").await;
    let shown = browser.text(".flash").await;
    assert!(shown.contains("acme-labs.example is pending"), "{shown}");
    let name = browser.text("dl.record dd:nth-of-type(1)").await;
    let value = browser.text("dl.record dd:nth-of-type(3)").await;
    assert_eq!(name, "_scimd-challenge.acme-labs.example");
    browser.screenshot("domains").await;
    env.dns.publish(&name, &[&value]);
    browser.follow("form[action$='/check'] button").await;
    let shown = browser.text(".flash").await;
    assert!(shown.contains("acme-labs.example is verified"), "{shown}");
    let domains_path = format!("/orgs/{}/domains", acme.org_id);
    let domains = app.admin_get(&domains_path, &acme.admin_token.token).await;
    let labs = domains
        .body
        .as_array()
        .expect("list")
        .iter()
        .find(|d| d["domain"] == "acme-labs.example")
        .cloned();
    assert_eq!(labs.expect("listed")["state"], "verified");

    // The provisioning log: the directory's writes, a duplicate, and a change to another
    // org's account, refused with who can act.
    let scim = &acme.scim_token.token;
    let user = serde_json::json!({"userName": "eve@acme.example"});
    app.create_user(scim, user.clone()).await;
    assert_eq!(app.post("/Users", scim, user).await.status, 409);
    let gil = serde_json::json!({"userName": "gil@globex.example"});
    let globex_scim = &globex.scim_token.token;
    app.create_user(globex_scim, gil.clone()).await;
    let linked = gil;
    let linked = app.create_user(scim, linked).await;
    let patch = serde_json::json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "title", "value": "Boss"}]});
    let path = format!("/Users/{}", linked.body["id"].as_str().expect("id"));
    app.scim("PATCH", &path, scim, Some(patch))
        .await
        .expect_status(403);
    browser
        .follow("header nav a[href$='/provisioning-log']")
        .await;
    assert_eq!(browser.title().await, "Provisioning log");
    assert_eq!(
        log_outcomes(&browser).await,
        ["refused", "ok", "client_error", "ok"]
    );
    let newest = browser.text("table.log tbody:nth-of-type(1)").await;
    assert!(newest.contains("gil@globex.example"), "{newest}");
    assert!(
        newest.contains("patch") && newest.contains("managed_by_other_org"),
        "{newest}"
    );
    let who = browser.text("table.log tbody:nth-of-type(1) tr.who").await;
    assert!(
        who.starts_with(
            "Who can act: this account is managed by another organization; only its administrators"
        ),
        "{who}"
    );
    assert!(who.contains("unassign the user"), "{who}");
    browser.screenshot("provisioning-log").await;
    browser.click("input[name=outcome][value=refused]").await;
    browser.follow("form.log-filter button").await;
    assert_eq!(log_outcomes(&browser).await, ["refused"]);
    let checked = browser
        .prop("input[name=outcome][value=refused]", "checked")
        .await;
    assert_eq!(checked.as_deref(), Some("true"), "the filter stays chosen");

    // Directories: the last change, and the recent failures linking to the log.
    browser.follow("header nav a[href$='/directories']").await;
    assert_eq!(browser.title().await, "Directories");
    let last_change = browser.text("table tbody tr td:nth-child(4)").await;
    assert!(
        last_change.ends_with(" UTC"),
        "the SCIM write shows: {last_change}"
    );
    let recent = browser
        .text("table.directories tbody tr td:nth-child(5)")
        .await;
    assert!(
        recent.contains("refused patch User gil@globex.example managed_by_other_org"),
        "{recent}"
    );
    browser.screenshot("directories").await;

    // A directory's SCIM token: issued and shown once, then revoked.
    browser.follow("table th a").await;
    assert_eq!(browser.title().await, "okta");
    browser.follow("form[action$='/tokens'] button").await;
    let token = browser.prop("#issued-token", "value").await;
    let token = token.expect("the new token");
    assert_eq!(app.get("/Users", &token).await.status, 200);
    browser.screenshot("directory").await;
    let jti = browser.text("section.issued label code").await;
    browser
        .follow(&format!("form[action$='/tokens/{jti}/revoke'] button"))
        .await;
    assert!(browser.text(".flash").await.contains("revoked"));
    assert_eq!(app.get("/Users", &token).await.status, 401);

    // Signing out: the next page asks for a token again.
    browser.follow("header form button").await;
    assert_eq!(browser.path().await, "/console/sign-in");
    assert!(browser.body().await.contains("You signed out."));
    browser
        .goto(&format!("{base}/console/orgs/{}", acme.org_id))
        .await;
    assert_eq!(browser.title().await, "Sign in");
    browser.close().await;
}

on_both_backends!(console_in_a_browser => spawn_app_with_dns);
