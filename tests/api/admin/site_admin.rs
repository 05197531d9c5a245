//! Site administration: the user list (filters, search, paging), invites and the outbox,
//! roles and trusted users, idempotent actions.

use scimd::domain::SiteRole;
use scimd::service::admin::tokens::AdminTokenFor;
use serde_json::{json, Value};

use super::*;
use crate::on_both_backends;

async fn site_user_list_filters_searches_and_pages(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    let batch = json!({"users": [
        {"email": "carol@a.example", "display_name": "Carol 100%"},
        {"email": "alice@a.example"}, {"email": "bob@a.example"}, {"email": "dan@other.example"}
    ], "send_email": false});
    assert_eq!(invite(&app, &a, batch).await.status, 200);
    let bob = app.account_id("bob@a.example").await;
    site_action(&app, &a, bob, "suspend").await;

    let all = site_users(&app, &a, "").await;
    assert_eq!(
        emails(&all),
        [
            "alice@a.example",
            "bob@a.example",
            "carol@a.example",
            "dan@other.example"
        ]
    );
    assert_eq!(all[0]["access"], "invite_not_sent");
    assert_eq!(
        all[3]["managing_org"],
        json!(null),
        "external users are unmanaged here"
    );
    let page_path = format!("/sites/{}/users?start_index=2&count=2", a.site_id);
    let page = app.admin_get(&page_path, admin_of(&a)).await;
    assert_eq!(page.body["total_results"], 4);
    assert_eq!(
        emails(page.body["resources"].as_array().unwrap()),
        ["bob@a.example", "carol@a.example"]
    );
    assert_eq!(
        emails(&site_users(&app, &a, "?state=suspended").await),
        ["bob@a.example"]
    );
    assert_eq!(
        site_users(&app, &a, "?state=invite_not_sent").await.len(),
        3
    );
    assert_eq!(
        emails(&site_users(&app, &a, "?q=100%25").await),
        ["carol@a.example"]
    );
    assert!(
        site_users(&app, &a, "?q=_").await.is_empty(),
        "`_` is literal, not a wildcard"
    );
    let bad_path = format!("/sites/{}/users?state=gone", a.site_id);
    let bad = app.admin_get(&bad_path, admin_of(&a)).await;
    assert_problem(&bad, 400, "invalid_request");
}

async fn invites_send_email_through_the_outbox(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    let sent = invite(
        &app,
        &a,
        json!({"emails": ["ann@a.example"], "products": ["confluence"]}),
    )
    .await;
    assert_eq!(
        (sent.status, &sent.body["emails_queued"]),
        (200, &json!(1)),
        "{}",
        sent.body
    );
    let silent = invite(
        &app,
        &a,
        json!({"emails": ["ben@a.example"], "send_email": false}),
    )
    .await;
    assert_eq!(silent.body["invited"][0]["access"], "invite_not_sent");
    let (ann, ben) = (
        app.account_id("ann@a.example").await,
        app.account_id("ben@a.example").await,
    );
    let outbox = format!("/sites/{}/outbox", a.site_id);
    let rows = app.admin_get(&outbox, admin_of(&a)).await.body;
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(
        (&rows[0]["account_id"], &rows[0]["status"], &rows[0]["kind"]),
        (&json!(ann), &json!("sent"), &json!("site_invitation"))
    );
    assert!(
        !rows.to_string().contains("ann@a.example"),
        "the outbox holds ids, not addresses"
    );

    let resent = site_action(&app, &a, ben, "resend-invite").await;
    assert_eq!(resent["access"], "invited");
    let rows = app
        .admin_get(&format!("{outbox}?account_id={ben}"), admin_of(&a))
        .await
        .body;
    assert_eq!(rows[0]["status"], "sent");
    let again = invite(
        &app,
        &a,
        json!({"emails": ["ann@a.example"], "products": ["confluence"], "send_email": false}),
    )
    .await;
    assert_eq!(
        again.body["invited"][0]["changed"], false,
        "inviting again changes nothing"
    );
}

async fn roles_trusted_users_and_idempotent_actions(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    invite(
        &app,
        &a,
        json!({"emails": ["tess@a.example", "uma@a.example"], "role": "trusted"}),
    )
    .await;
    let (tess, uma) = (
        app.account_id("tess@a.example").await,
        app.account_id("uma@a.example").await,
    );
    let trusted = app
        .admin_token(AdminTokenFor::Site {
            site: a.site_id,
            account: Some(tess),
        })
        .await;
    let as_admin = invite_as(
        &app,
        &trusted,
        &a,
        json!({"emails": ["v@a.example"], "role": "site_admin"}),
    )
    .await;
    assert_problem(&as_admin, 403, "role_not_allowed");
    assert_eq!(
        invite_as(&app, &trusted, &a, json!({"emails": ["v@a.example"]}))
            .await
            .status,
        200
    );
    let role = format!("/sites/{}/users/{uma}/role", a.site_id);
    let refused = app
        .admin_put(&role, &trusted, json!({"role": "site_admin"}))
        .await;
    assert_problem(&refused, 403, "role_not_allowed");
    let promoted = app
        .admin_put(&role, admin_of(&a), json!({"role": SiteRole::SiteAdmin}))
        .await;
    assert_eq!(
        (&promoted.body["changed"], &promoted.body["role"]),
        (&json!(true), &json!("site_admin"))
    );
    let same = app
        .admin_put(&role, admin_of(&a), json!({"role": "site_admin"}))
        .await;
    assert_eq!(same.body["changed"], false);

    let demote = format!("/sites/{}/users/{tess}/role", a.site_id);
    app.admin_put(&demote, admin_of(&a), json!({"role": "basic"}))
        .await;
    let after = invite_as(&app, &trusted, &a, json!({"emails": ["w@a.example"]})).await;
    assert_problem(&after, 403, "not_site_admin");

    let user = format!("/sites/{}/users/{uma}", a.site_id);
    for verb in ["suspend", "remove"] {
        assert_eq!(
            ok(&app, admin_of(&a), &format!("{user}/{verb}")).await["changed"],
            true
        );
        assert_eq!(
            ok(&app, admin_of(&a), &format!("{user}/{verb}")).await["changed"],
            false,
            "{verb} twice"
        );
    }
    let restore = app
        .admin_post(&format!("{user}/restore"), admin_of(&a), None)
        .await;
    assert_problem(&restore, 409, "not_on_site");
    restore.assert_detail("invite again instead");
    assert_eq!(
        set_status(&app, admin_of(&a), uma, "deactivate").await.body["changed"],
        true
    );
    assert_eq!(
        set_status(&app, admin_of(&a), uma, "deactivate").await.body["changed"],
        false
    );
    let outsider = app.bootstrap("C", &["c.example"]).await;
    let hidden = app
        .admin_get(&format!("/accounts/{uma}"), admin_of(&outsider))
        .await;
    assert_problem(&hidden, 404, "not_found");
}

async fn listing_sites_reads_no_statement_per_site(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    let sites = format!("/orgs/{}/sites", a.org_id);
    // The first request also verifies the token; the count is taken once it is cached.
    app.admin_get(&sites, admin_of(&a)).await.expect_status(200);
    let one = app.admin_get(&sites, admin_of(&a)).await.expect_status(200);
    let budget = one.statements();

    let mut added = Vec::new();
    for (n, products) in [vec!["confluence", "bitbucket"], vec![]]
        .into_iter()
        .enumerate()
    {
        let site = scimd::store::Site {
            id: scimd::domain::SiteId::new(),
            org_id: a.org_id,
            name: format!("site {n}"),
            products: products.into_iter().map(String::from).collect(),
            created_at: scimd::store::now_micros() + 1 + n as i64,
        };
        let mut tx = app.store.begin().await.unwrap();
        scimd::store::insert_site(&mut tx, &site).await.unwrap();
        tx.commit().await.unwrap();
        added.push(site.id);
    }
    let other = app.bootstrap("B", &["b.example"]).await;

    let many = app.admin_get(&sites, admin_of(&a)).await.expect_status(200);
    assert_eq!(many.statements(), budget, "{}", many.body);
    let listed = many.body.as_array().expect("a list of sites");
    let ids: Vec<_> = listed.iter().map(|s| s["id"].clone()).collect();
    assert_eq!(ids, [json!(a.site_id), json!(added[0]), json!(added[1])]);
    assert_eq!(listed[0], one.body[0]);
    assert_eq!(listed[1]["products"], json!(["bitbucket", "confluence"]));
    assert_eq!(listed[2]["products"], json!([]));
    assert!(!many.body.to_string().contains(&other.site_id.to_string()));
}

/// A batch costs one statement per new account and no other statement per invitee: its
/// reads, memberships and group joins are a statement each for the whole batch. (Sending
/// the emails it queues, after the commit, is counted apart: a few per email.)
async fn an_invite_batch_costs_a_statement_per_new_account_only(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    let groups = format!("/orgs/{}/groups", a.org_id);
    let team = app
        .admin_create(&groups, admin_of(&a), json!({"name": "Team"}))
        .await
        .id();
    let body = |emails: &[&str], send_email: bool| {
        json!({"emails": emails, "products": ["jira-software", "confluence"],
               "groups": [team], "send_email": send_email})
    };
    // The first invite with products also creates their groups.
    invite(&app, &a, body(&["ann@a.example"], false))
        .await
        .expect_status(200);
    let one = invite(&app, &a, body(&["ann@a.example", "bo@a.example"], false))
        .await
        .expect_status(200);
    let batch = [
        "ann@a.example",
        "bo@a.example",
        "cy@a.example",
        "di@other.example",
        "ed@other.example",
        "fay@a.example",
    ];
    let six = invite(&app, &a, body(&batch, false))
        .await
        .expect_status(200);
    let more_new_accounts = 3;
    assert!(
        six.statements() <= one.statements() + more_new_accounts,
        "one new invitee and one known: {} statements; four new and two known: {}",
        one.statements(),
        six.statements()
    );

    let invited = six.body["invited"].as_array().expect("invitees");
    let emails: Vec<_> = invited.iter().map(|i| i["email"].clone()).collect();
    assert_eq!(emails, json!(batch).as_array().unwrap().clone());
    for (n, invitee) in invited.iter().enumerate() {
        assert_eq!(invitee["account_created"], n >= 2, "{invitee}");
        assert_eq!(invitee["products"], json!(["confluence", "jira-software"]));
        assert_eq!(invitee["changed"], n >= 2, "{invitee}");
    }
    let members = app
        .admin_get(&format!("{groups}/{team}"), admin_of(&a))
        .await
        .expect_status(200);
    assert_eq!(members.body["members"].as_array().map(Vec::len), Some(6));
    let emailed = invite(&app, &a, body(&batch, true))
        .await
        .expect_status(200);
    assert_eq!(emailed.body["emails_queued"], 6);
    let outbox = format!("/sites/{}/outbox", a.site_id);
    let queued = app
        .admin_get(&outbox, admin_of(&a))
        .await
        .expect_status(200);
    let mut accounts: Vec<_> = queued
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["account_id"].clone())
        .collect();
    accounts.sort_by_key(Value::to_string);
    let mut expected = Vec::new();
    for email in batch {
        expected.push(json!(app.account_id(email).await));
    }
    expected.sort_by_key(Value::to_string);
    assert_eq!(accounts, expected, "one email each");
    let log = app
        .admin_get(&format!("/orgs/{}/audit", a.org_id), admin_of(&a))
        .await
        .expect_status(200);
    let fay = json!(app.account_id("fay@a.example").await);
    let entries = log.body["entries"].as_array().expect("entries");
    let latest = entries
        .iter()
        .find(|e| e["account_id"] == fay && e["detail"]["products_granted"] != json!([]))
        .expect("fay's invite, which granted her products");
    assert_eq!(latest["action"], "site_user.invited", "{latest}");
    assert_eq!(
        latest["detail"]["products_granted"],
        json!(["jira-software", "confluence"])
    );
    assert_eq!(latest["detail"]["groups_joined"], json!([team]));
}

/// An invite reads the groups it names in one statement, so each more group costs only its
/// join; naming more groups than an invite may is refused and changes nothing.
async fn an_invite_reads_its_named_groups_in_one_statement(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    let groups = format!("/orgs/{}/groups", a.org_id);
    let mut named = Vec::new();
    for name in ["One", "Two", "Three"] {
        let body = json!({ "name": name });
        named.push(app.admin_create(&groups, admin_of(&a), body).await.id());
    }
    let body = |email: &str, named: &[String]| json!({"emails": [email], "groups": named, "send_email": false});
    invite(&app, &a, body("ann@a.example", &named[..1]))
        .await
        .expect_status(200);
    // Two new invitees: the same statements but for what the groups cost.
    let one = invite(&app, &a, body("bo@a.example", &named[..1]))
        .await
        .expect_status(200);
    let three = invite(&app, &a, body("cy@a.example", &named))
        .await
        .expect_status(200);
    assert_eq!(
        three.statements(),
        one.statements() + 2,
        "two more groups: their two joins"
    );
    let ann = app.account_id("ann@a.example").await;
    let bo = app.account_id("bo@a.example").await;
    let cy = app.account_id("cy@a.example").await;
    for (group, members) in named.iter().zip([vec![ann, bo, cy], vec![cy], vec![cy]]) {
        let read = app
            .admin_get(&format!("{groups}/{group}"), admin_of(&a))
            .await
            .expect_status(200);
        let mut found: Vec<String> = serde_json::from_value(read.body["members"].clone()).unwrap();
        let mut members: Vec<String> = members.iter().map(ToString::to_string).collect();
        found.sort();
        members.sort();
        assert_eq!(found, members, "{group}");
    }

    let too_many: Vec<String> = named.iter().cycle().take(51).cloned().collect();
    let refused = invite(&app, &a, body("di@a.example", &too_many)).await;
    refused.expect_status(400);
    let mut conn = app.store.read().await.unwrap();
    let di = scimd::store::find_account_by_email(&mut conn, "di@a.example").await;
    assert!(di.unwrap().is_none(), "a refused invite creates no account");
}

/// An invite's emails go out after its commit, within the request: the batch is claimed in
/// one statement and its accounts read in one, so each email costs only the write of its
/// outcome.
async fn an_invite_delivers_its_emails_without_reads_per_email(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    let body = |emails: &[&str]| json!({ "emails": emails, "send_email": true });
    invite(&app, &a, body(&["ann@a.example"]))
        .await
        .expect_status(200);
    let one = invite(&app, &a, body(&["bo@a.example"]))
        .await
        .expect_status(200);
    let three = invite(
        &app,
        &a,
        body(&["cy@a.example", "di@a.example", "ed@a.example"]),
    )
    .await
    .expect_status(200);
    assert_eq!(
        three.statements(),
        one.statements() + 2 * 2,
        "two more invitees: each its new account and its email's outcome"
    );
    let outbox = format!("/sites/{}/outbox", a.site_id);
    let rows = app
        .admin_get(&outbox, admin_of(&a))
        .await
        .expect_status(200);
    let statuses: Vec<&str> = rows
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["sent"; 5], "{}", rows.body);
}

on_both_backends! {
    an_invite_delivers_its_emails_without_reads_per_email => spawn_app,
    an_invite_reads_its_named_groups_in_one_statement => spawn_app,
    site_user_list_filters_searches_and_pages => spawn_app,
    invites_send_email_through_the_outbox => spawn_app,
    roles_trusted_users_and_idempotent_actions => spawn_app,
    listing_sites_reads_no_statement_per_site => spawn_app,
    an_invite_batch_costs_a_statement_per_new_account_only => spawn_app,
}
