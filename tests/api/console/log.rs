//! The provisioning log's page and the directories pages' recent failures, over HTTP: the
//! filters and paging against the admin API's answers, the refusal for anyone but the org's
//! admins, and bad queries.

use scimd::service::admin::tokens::AdminTokenFor;
use serde_json::{json, Value};

use super::{world, Browserless, Html, World};
use crate::helpers::*;
use crate::on_both_backends;

fn user(email: &str) -> Value {
    json!({"userName": email, "emails": [{"value": email, "primary": true}]})
}

/// Globex's directory provisions `email`; Acme's links that account, then changes its
/// title: refused by rule 13 (only the managing org changes a profile).
async fn refused_patch(app: &TestApp, w: &World, email: &str) {
    let globex = &w.globex.scim_token.token;
    app.create_user(globex, user(email)).await;
    let token = &w.acme.scim_token.token;
    let linked = app.create_user(token, user(email)).await;
    let id = linked.body["id"].as_str().expect("id").to_owned();
    let patch = replace("title", "Boss");
    app.patch(&format!("/Users/{id}"), token, patch)
        .await
        .expect_status(403);
}

/// The world, with a second directory of Acme's: its id and a SCIM token for it.
async fn with_second_directory(app: &TestApp) -> (World, String, String) {
    let w = world(app).await;
    let org = &w.acme;
    let admin = &org.admin_token.token;
    let dir = app
        .admin_post(
            &format!("/orgs/{}/directories", org.org_id),
            admin,
            json!({"name": "Entra ID"}),
        )
        .await;
    let id = dir.body["id"].as_str().expect("id").to_owned();
    let path = format!("/orgs/{}/directories/{id}/tokens", org.org_id);
    let issued = app.admin_post(&path, admin, None).await;
    let token = issued.body["token"].as_str().expect("token").to_owned();
    (w, id, token)
}

fn entries(page: &Html) -> Vec<&str> {
    page.body
        .split("<tbody class=\"entry")
        .skip(1)
        .map(|rest| &rest[..rest.find("</tbody>").expect("end of entry")])
        .collect()
}

/// The `href` of the first link with this text.
fn link(page: &Html, text: &str) -> Option<String> {
    let end = page.body.find(&format!(">{text}</a>"))?;
    let start = page.body[..end].rfind("href=\"")? + "href=\"".len();
    let href = &page.body[start..end];
    let href = &href[..href.find('"')?];
    Some(href.replace("&amp;", "&"))
}

async fn the_log_page_filters_and_pages(app: TestApp) {
    let (w, second, second_token) = with_second_directory(&app).await;
    let org = w.acme.org_id;
    let token = &w.acme.scim_token.token;
    for i in 0..50 {
        let email = format!("u{i}@acme.example");
        app.create_user(token, user(&email)).await;
    }
    refused_patch(&app, &w, "gil@globex.example").await;
    app.create_user(&second_token, user("eve@acme.example"))
        .await;
    let unknown = format!("/Users/{}", uuid::Uuid::new_v4());
    let missing = app.delete(&unknown, &second_token).await;
    assert_eq!(missing.status, 404);

    let mut admin = Browserless::new(&app);
    admin.signed_in(&w.acme.admin_token.token).await;
    let base = format!("/console/orgs/{org}/provisioning-log");
    let first = admin.get(&base).await.expect_status(200);
    assert!(
        first.body.contains(&format!(
            "<a href=\"{base}\" aria-current=\"page\">Provisioning log</a>"
        )),
        "the navigation marks the page"
    );
    let rows = entries(&first);
    assert_eq!(rows.len(), 50, "a page of 50");
    assert!(
        rows[0].contains("client_error") && rows[0].contains("<td>404</td>"),
        "newest first: {}",
        rows[0]
    );
    assert!(rows[0].contains("Entra ID") && rows[0].contains("delete"));
    assert!(rows[1].contains("eve@acme.example") && rows[1].contains(">ok</span>"));
    let refusal = rows[2];
    assert!(
        refusal.contains(">refused</span>")
            && refusal.contains("<code>managed_by_other_org</code>"),
        "{refusal}"
    );
    assert!(refusal.contains("gil@globex.example") && refusal.contains("<td>403</td>"));
    assert!(
        refusal.contains("Who can act: </span>this account is managed by another organization; only its administrators"),
        "{refusal}"
    );
    assert!(!rows[1].contains("Who can act"), "only refusals explain");

    // Paging: the "Older" link carries the admin API's cursor for the same page.
    let api_path = format!("/orgs/{org}/provisioning-log?limit=50");
    let api = app.admin_get(&api_path, &w.acme.admin_token.token).await;
    let cursor = api.body["next_before"].as_i64().expect("more pages");
    let older = link(&first, "Older").expect("an Older link");
    assert_eq!(older, format!("{base}?before={cursor}"));
    assert!(link(&first, "Newest").is_none());
    let second_page = admin.get(&older).await.expect_status(200);
    let rest = entries(&second_page);
    assert_eq!(rest.len(), 4, "54 writes in all");
    assert!(rest[3].contains("u0@acme.example"), "the oldest last");
    assert!(link(&second_page, "Older").is_none(), "no more");
    assert_eq!(link(&second_page, "Newest").as_deref(), Some(base.as_str()));

    // Filters, which the form shows as chosen and the paging links keep.
    let refused = admin.get(&format!("{base}?outcome=refused")).await;
    assert_eq!(entries(&refused).len(), 1, "{}", refused.body);
    assert!(refused
        .body
        .contains("name=\"outcome\" value=\"refused\" checked"));
    assert!(!refused
        .body
        .contains("name=\"outcome\" value=\"ok\" checked"));
    let failed = admin
        .get(&format!("{base}?outcome=refused&outcome=client_error"))
        .await;
    assert_eq!(entries(&failed).len(), 2);
    let mine = admin.get(&format!("{base}?directory={second}")).await;
    let rows = entries(&mine);
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.contains("Entra ID")));
    assert!(mine.body.contains(&format!(
        "<option value=\"{second}\" selected>Entra ID</option>"
    )));
    let gil = admin
        .get(&format!("{base}?email=GIL%40globex.example"))
        .await;
    assert_eq!(entries(&gil).len(), 2, "the link and the refusal");
    assert!(gil.body.contains("value=\"GIL@globex.example\""));
    let ok_only = admin.get(&format!("{base}?outcome=ok&directory=")).await;
    let older = link(&ok_only, "Older").expect("52 done writes");
    assert!(older.contains("outcome=ok&before="), "{older}");
    let rest = admin.get(&older).await;
    assert_eq!(entries(&rest).len(), 2);
    let none = admin
        .get(&format!("{base}?email=nobody%40acme.example"))
        .await;
    assert!(entries(&none).is_empty() && none.body.contains("No entries match."));

    // What the admin API refuses, the page refuses with the same words; other mistakes too.
    let asleep = admin
        .get(&format!("{base}?outcome=asleep"))
        .await
        .expect_status(400);
    let api_path = format!("/orgs/{org}/provisioning-log?outcome=asleep");
    let api = app.admin_get(&api_path, &w.acme.admin_token.token).await;
    assert_eq!(api.status, 400);
    let detail = api.detail().replace('"', "&quot;");
    assert!(asleep.body.contains(&detail), "{detail}: {}", asleep.body);
    for query in [
        "directory=okta",
        "before=yesterday",
        "colour=red",
        "limit=5",
        "email=a%00b%40acme.example",
    ] {
        let page = admin.get(&format!("{base}?{query}")).await;
        assert_eq!(page.status, 400, "{query}: {}", page.body);
        assert!(page.is_html());
    }
}

async fn only_the_orgs_admins_see_its_log(app: TestApp) {
    let w = world(&app).await;
    refused_patch(&app, &w, "gil@globex.example").await;
    let path = format!("/console/orgs/{}/provisioning-log", w.acme.org_id);
    let api_path = format!("/orgs/{}/provisioning-log", w.acme.org_id);
    let api = app.admin_get(&api_path, &w.globex.admin_token.token).await;
    assert_eq!(api.status, 403);

    let mut other = Browserless::new(&app);
    other.signed_in(&w.globex.admin_token.token).await;
    let refused = other.get(&path).await.expect_status(403);
    assert!(refused.is_html());
    assert!(refused.body.contains("<code>not_org_admin</code>"));
    assert!(
        refused.body.contains(&api.detail().replace('\'', "&#39;"))
            || refused.body.contains(api.detail()),
        "the admin API's words: {}",
        refused.body
    );
    assert!(!refused.body.contains("gil@globex.example"));
    let other_dirs = other
        .get(&format!("/console/orgs/{}/directories", w.acme.org_id))
        .await;
    assert_eq!(other_dirs.status, 403);

    let site_admin = app
        .admin_token(AdminTokenFor::Site {
            site: w.acme.site_id,
            account: None,
        })
        .await;
    let mut site = Browserless::new(&app);
    site.signed_in(&site_admin).await;
    let refused = site.get(&path).await.expect_status(403);
    assert!(refused.body.contains("<code>not_org_admin</code>"));
    assert!(!refused.body.contains("gil@globex.example"));
    let users = site
        .get(&format!("/console/sites/{}/users", w.acme.site_id))
        .await;
    assert!(
        !users.body.contains("Provisioning log"),
        "no link a site admin cannot follow"
    );
}

async fn directories_show_their_recent_failures(app: TestApp) {
    let (w, second, _) = with_second_directory(&app).await;
    let org = w.acme.org_id;
    let token = &w.acme.scim_token.token;
    for _ in 0..3 {
        let unknown = format!("/Users/{}", uuid::Uuid::new_v4());
        assert_eq!(app.delete(&unknown, token).await.status, 404);
    }
    refused_patch(&app, &w, "gil@globex.example").await;

    let mut admin = Browserless::new(&app);
    admin.signed_in(&w.acme.admin_token.token).await;
    let list = admin
        .get(&format!("/console/orgs/{org}/directories"))
        .await
        .expect_status(200);
    let okta = &list.body[list.body.find(">okta</a>").expect("okta's row")..];
    let okta = &okta[..okta.find("</tr>").expect("end of row")];
    assert_eq!(okta.matches("<li>").count(), 3, "the newest three: {okta}");
    let newest = &okta[okta.find("<li>").expect("an item")..];
    assert!(
        newest.starts_with("<li>")
            && newest[..newest.find("</li>").unwrap()].contains("managed_by_other_org"),
        "newest first: {okta}"
    );
    assert!(okta.contains("All 4 in the log"), "{okta}");
    let href = link(
        &list,
        "All 4 in the log<span class=\"visually-hidden\"> (okta)</span>",
    )
    .expect("a link to the log");
    assert_eq!(
        href,
        format!(
            "/console/orgs/{org}/provisioning-log?directory={}&outcome=refused\
             &outcome=client_error&outcome=server_error",
            w.acme.directory_id
        )
    );
    let filtered = admin.get(&href).await;
    assert_eq!(entries(&filtered).len(), 4, "{}", filtered.body);
    let entra = &list.body[list.body.find(">Entra ID</a>").expect("its row")..];
    let entra = &entra[..entra.find("</tr>").expect("end of row")];
    assert!(entra.contains("<td>none</td>"), "{entra}");

    let page = admin
        .get(&format!(
            "/console/orgs/{org}/directories/{}",
            w.acme.directory_id
        ))
        .await
        .expect_status(200);
    let rows = entries(&page);
    assert_eq!(rows.len(), 4, "{}", page.body);
    assert!(rows[0].contains("Who can act: </span>this account is managed by another organization"));
    assert!(rows[1..].iter().all(|r| r.contains("client_error")));
    let quiet = admin
        .get(&format!("/console/orgs/{org}/directories/{second}"))
        .await;
    assert!(entries(&quiet).is_empty());
    assert!(quiet
        .body
        .contains("None: the log holds no refused or failed write"));
}

on_both_backends!(
    the_log_page_filters_and_pages => spawn_app,
    only_the_orgs_admins_see_its_log => spawn_app,
    directories_show_their_recent_failures => spawn_app,
);
