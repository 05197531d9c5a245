//! Situations 1–4 of issue 5, end to end: invites and the site's user list.

use scimd::store;
use serde_json::json;

use super::*;
use crate::on_both_backends;

const REACTIVATE_MANAGED: &str =
    "only the administrators of the organization that manages this account can reactivate it";

/// Situation 1: Org A invites an account org B manages and deactivated: 409, nothing invited, the
/// reason names B; once B reactivates it, the same invite succeeds.
async fn s1_deactivated_elsewhere_is_refused_until_its_org_reactivates(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    let b = app.bootstrap("B", &["b.example"]).await;
    provision(&app, &b, "x@b.example").await;
    let x = app.account_id("x@b.example").await;
    let off = set_status(&app, admin_of(&b), x, "deactivate").await;
    assert_eq!(
        (off.status, &off.body["changed"]),
        (200, &json!(true)),
        "{}",
        off.body
    );

    let body = json!({"emails": ["x@b.example"], "products": ["jira-software"]});
    let refused = invite(&app, &a, body.clone()).await;
    assert_problem(&refused, 409, "invite_refused");
    let reasons = refused.body["refused"].as_array().unwrap();
    assert_eq!(reasons.len(), 1);
    assert_eq!(reasons[0]["email"], "x@b.example");
    assert_eq!(reasons[0]["code"], "account_deactivated");
    assert_eq!(reasons[0]["managing_org"], json!(b.org_id), "names org B");
    assert!(reasons[0]["detail"]
        .as_str()
        .unwrap()
        .contains(REACTIVATE_MANAGED));
    assert!(site_users(&app, &a, "").await.is_empty(), "nothing invited");

    let on = set_status(&app, admin_of(&b), x, "reactivate")
        .await
        .expect_status(200);
    assert_eq!(on.body["status"], "active");
    let accepted = invite(&app, &a, body).await.expect_status(200);
    let invited = &accepted.body["invited"][0];
    assert_eq!(invited["account_id"], json!(x));
    assert_eq!(invited["account_created"], false);
    assert_eq!(invited["access"], "invited");
    assert_eq!(invited["products"], json!(["jira-software"]));
}

/// Situation 2: A removed, deactivated user is refused re-adding with the same explanation, and
/// stays in the site's list as removed and deactivated.
async fn s2_removed_and_deactivated_users_never_vanish(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    let b = app.bootstrap("B", &["b.example"]).await;
    provision(&app, &b, "x@b.example").await;
    let x = app.account_id("x@b.example").await;
    invite(&app, &a, json!({"emails": ["x@b.example"]}))
        .await
        .expect_status(200);
    set_status(&app, admin_of(&b), x, "deactivate").await;

    let removed = site_action(&app, &a, x, "remove").await;
    assert_eq!(
        (removed["changed"].as_bool(), removed["access"].as_str()),
        (Some(true), Some("removed"))
    );
    let again = invite(&app, &a, json!({"emails": ["x@b.example"]})).await;
    assert_problem(&again, 409, "invite_refused");
    assert_eq!(again.body["refused"][0]["code"], "account_deactivated");
    assert_eq!(again.body["refused"][0]["managing_org"], json!(b.org_id));

    for query in [
        "",
        "?state=removed",
        "?state=deactivated",
        "?q=X@B.EX",
        "?state=removed,active",
    ] {
        let users = site_users(&app, &a, query).await;
        assert_eq!(emails(&users), ["x@b.example"], "{query}");
        let user = &users[0];
        assert_eq!(user["access"], "removed");
        assert_eq!(user["account_status"], "deactivated");
        assert_eq!(user["state"], "deactivated");
        assert_eq!(user["managing_org"], json!(b.org_id));
    }
    assert!(site_users(&app, &a, "?state=active").await.is_empty());
    let seen = app.admin_get(&format!("/accounts/{x}"), admin_of(&a)).await;
    assert_eq!(
        seen.status, 200,
        "a removed user's account stays visible: {}",
        seen.body
    );
    assert_eq!(seen.body["sites"][0]["access"], "removed");
}

/// Situation 3: A batch mixing new emails, a suspended user and a deactivated account: nothing is
/// invited, exactly the two offenders are listed; the suspended user is restored instead.
async fn s3_a_mixed_batch_lists_exactly_the_offenders(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    let b = app.bootstrap("B", &["b.example"]).await;
    invite(&app, &a, json!({"emails": ["sus@a.example"]})).await;
    let sus = app.account_id("sus@a.example").await;
    site_action(&app, &a, sus, "suspend").await;
    provision(&app, &b, "gone@b.example").await;
    let gone = app.account_id("gone@b.example").await;
    set_status(&app, admin_of(&b), gone, "deactivate").await;

    let batch = json!({"emails": ["new1@a.example", "SUS@a.example", "new2@elsewhere.example", "gone@b.example"]});
    let reply = invite(&app, &a, batch).await;
    assert_problem(&reply, 409, "invite_refused");
    let refused = reply.body["refused"].as_array().unwrap();
    let listed: Vec<(&str, &str)> = refused
        .iter()
        .map(|r| (r["email"].as_str().unwrap(), r["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        listed,
        [
            ("sus@a.example", "suspended_on_site"),
            ("gone@b.example", "account_deactivated")
        ]
    );
    assert!(refused[0]["detail"]
        .as_str()
        .unwrap()
        .contains("restore instead"));
    assert_eq!(refused[1]["managing_org"], json!(b.org_id));
    let mut conn = app.store.read().await.unwrap();
    for new in ["new1@a.example", "new2@elsewhere.example"] {
        assert!(
            store::find_account_by_email(&mut conn, new)
                .await
                .unwrap()
                .is_none(),
            "{new}"
        );
    }
    assert_eq!(emails(&site_users(&app, &a, "").await), ["sus@a.example"]);

    let restored = site_action(&app, &a, sus, "restore").await;
    assert_eq!(restored["access"], "active");
}

/// Situation 4: An existing account keeps its own name and the answer says the request's name was
/// ignored; a password is ignored everywhere and stored nowhere.
async fn s4_existing_profiles_win_and_passwords_are_ignored(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    provision(&app, &a, "ann@a.example").await;
    let body = json!({"users": [
        {"email": "ANN@a.example", "display_name": "Someone Else", "password": "hunter2-secret"},
        {"email": "new@a.example", "displayName": "New Person", "password": "hunter2-secret"}
    ]});
    let reply = invite(&app, &a, body).await.expect_status(200);
    let (ann, new) = (&reply.body["invited"][0], &reply.body["invited"][1]);
    assert_eq!(ann["account_created"], false);
    assert_eq!(ann["ignored_fields"], json!(["display_name", "password"]));
    assert_eq!(new["account_created"], true);
    assert_eq!(new["ignored_fields"], json!(["password"]));

    let ann_id = app.account_id("ann@a.example").await;
    let got = app
        .admin_get(&format!("/accounts/{ann_id}"), admin_of(&a))
        .await;
    assert_eq!(got.body["display_name"], "Ann Example");
    let new_id = app.account_id("new@a.example").await;
    let got = app
        .admin_get(&format!("/accounts/{new_id}"), admin_of(&a))
        .await;
    assert_eq!(got.body["display_name"], "New Person");
    assert_eq!(
        got.body["managing_org"],
        json!(a.org_id),
        "a new account on a verified domain is managed"
    );

    let mut conn = app.store.read().await.unwrap();
    let audit = store::list_audit(&mut conn, store::AuditScope::Org(a.org_id), 100)
        .await
        .unwrap();
    for id in [ann_id, new_id] {
        let account = store::get_account(&mut conn, id).await.unwrap().unwrap();
        assert!(!account.profile.to_string().contains("hunter2"));
    }
    assert!(
        !format!("{audit:?}").contains("hunter2"),
        "no password in the audit log"
    );
}

on_both_backends! {
    s1_deactivated_elsewhere_is_refused_until_its_org_reactivates => spawn_app,
    s2_removed_and_deactivated_users_never_vanish => spawn_app,
    s3_a_mixed_batch_lists_exactly_the_offenders => spawn_app,
    s4_existing_profiles_win_and_passwords_are_ignored => spawn_app,
}
