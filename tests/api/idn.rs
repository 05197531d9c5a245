//! Domains compare in their IDNA ASCII form (issue 10 item 3): one domain is verified by one
//! org however it is spelt, one mailbox is one account, and lookalikes, invisible characters
//! and public suffixes are refused with clear errors, changing nothing.

use serde_json::json;

use crate::admin::{admin_of, assert_problem, invite};
use crate::domains::request;
use crate::helpers::*;
use crate::on_both_backends;

/// `bücher.example` verified (with DNS proof, under its ASCII name) is the domain another org
/// asks for as `xn--bcher-kva.example`, in capitals or in fullwidth letters.
async fn one_domain_however_it_is_spelt(env: WithDns) {
    let WithDns { app, dns } = env;
    let a = app.bootstrap("A", &["a.example"]).await;
    let b = app.bootstrap("B", &["b.example"]).await;
    let pending = request(&app, &a, "bücher.example").await.expect_status(201);
    assert_eq!(pending.body["domain"], "xn--bcher-kva.example");
    let record = &pending.body["challenge"];
    assert_eq!(
        record["record_name"],
        "_scimd-challenge.xn--bcher-kva.example"
    );
    dns.publish(
        "_scimd-challenge.xn--bcher-kva.example",
        &[record["record_value"].as_str().unwrap()],
    );
    let check = format!("/orgs/{}/domains/B%C3%BCcher.example/check", a.org_id);
    let verified = app
        .admin_post(&check, admin_of(&a), None)
        .await
        .expect_status(200);
    assert_eq!(verified.body["state"], "verified");
    assert_eq!(request(&app, &a, "XN--BCHER-KVA.example").await.status, 200);

    for spelling in [
        "xn--bcher-kva.example",
        "BÜCHER.example",
        "ｂüｃｈｅｒ．example",
    ] {
        let taken = request(&app, &b, spelling).await;
        assert_problem(&taken, 403, "domain_verified_by_other_org");
        assert_eq!(taken.body["managing_org"], json!(a.org_id), "{spelling}");
    }
    let listed = app
        .admin_get(&format!("/orgs/{}/domains", b.org_id), admin_of(&b))
        .await;
    assert_eq!(
        listed.body.as_array().unwrap().len(),
        1,
        "B got no challenge"
    );
}

/// One mailbox, one account: B's directory posting the punycode spelling links A's account
/// (managed by A, so B may not change it), and an invite in capitals finds it too.
async fn one_mailbox_is_one_account(app: TestApp) {
    let a = app.bootstrap("A", &["bücher.example"]).await;
    let b = app.bootstrap("B", &["b.example"]).await;
    let ann = json!({"userName": "Ann@Bücher.example", "displayName": "Ann"});
    app.create_user(&a.scim_token.token, ann).await;
    let same = json!({"userName": "ann@xn--bcher-kva.example", "displayName": "Ann"});
    let linked = app.create_user(&b.scim_token.token, same).await;
    let id = app.account_id("ann@bücher.example").await;
    assert_eq!(id, app.account_id("ann@xn--bcher-kva.example").await);
    let account = app
        .admin_get(&format!("/accounts/{id}"), admin_of(&a))
        .await;
    assert_eq!(
        account.body["managing_org"],
        json!(a.org_id),
        "{}",
        account.body
    );
    let patch = replace("displayName", "Taken");
    let b_id = linked.body["id"].as_str().unwrap();
    let refused = app
        .patch(&format!("/Users/{b_id}"), &b.scim_token.token, patch)
        .await;
    assert_eq!(
        refused.status, 403,
        "rule 13 holds across spellings: {}",
        refused.body
    );

    let invited = invite(&app, &a, json!({"emails": ["ANN@XN--BCHER-KVA.EXAMPLE"]}))
        .await
        .expect_status(200);
    assert_eq!(invited.body["invited"][0]["account_created"], false);
    assert_eq!(invited.body["invited"][0]["account_id"], json!(id));
}

/// Lookalike and malformed domains, and public suffixes, are refused with their own codes.
async fn lookalike_domains_and_public_suffixes_are_refused(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    for (domain, code) in [
        ("p\u{430}ypal.example", "invalid_domain"), // Cyrillic а among Latin letters
        ("xn--pypal-4ve.example", "invalid_domain"), // the same, as punycode
        ("acme\u{200B}.example", "invalid_domain"), // zero-width space
        ("com", "invalid_domain"),
        ("xn--zz.example", "invalid_domain"),
        ("co.uk", "public_suffix"),
        ("github.io", "public_suffix"),
        ("COM.AU.", "public_suffix"),
    ] {
        let refused = request(&app, &a, domain).await;
        assert_problem(&refused, 400, code);
    }
    let detail = request(&app, &a, "p\u{430}ypal.example").await.body["detail"].clone();
    assert!(
        detail.as_str().unwrap().contains("mixes scripts"),
        "{detail}"
    );
    let listed = app
        .admin_get(&format!("/orgs/{}/domains", a.org_id), admin_of(&a))
        .await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1, "nothing stored");
}

/// Emails with invisible or bidi characters, mixed scripts or fullwidth local parts are
/// refused: SCIM 400 invalidValue naming the attribute (`userName` or `emails`), admin invite
/// 400 naming the email.
async fn lookalike_emails_are_refused(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    for email in [
        "ann\u{200B}@a.example",
        "ann@a\u{200D}.example",
        "\u{202E}elpmaxe.a@nna",
        "ann\u{2066}@a.example",
        "\u{430}nn@a.example",
        "ａnn@a.example",
        "ann@p\u{430}ypal.example",
    ] {
        let body = json!({"userName": email, "displayName": "Ann"});
        let refused = app.post("/Users", &a.scim_token.token, body).await;
        assert_eq!(refused.status, 400, "{email:?}: {}", refused.body);
        assert_eq!(refused.body["scimType"], "invalidValue", "{email:?}");
        refused.assert_detail("userName");
        let invited = invite(&app, &a, json!({"emails": [email]})).await;
        assert_problem(&invited, 400, "invite_refused");
        assert_eq!(
            invited.body["refused"][0]["code"], "invalid_email",
            "{email:?}"
        );
    }
    for email in [
        "ann\u{202E}@a.example",
        "\u{430}nn@a.example",
        "ann@p\u{430}ypal.example",
    ] {
        let body = json!({"userName": "ann", "emails": [{"value": email, "primary": true}]});
        let refused = app.post("/Users", &a.scim_token.token, body).await;
        assert_eq!(refused.status, 400, "{email:?}: {}", refused.body);
        assert_eq!(refused.body["scimType"], "invalidValue", "{email:?}");
        refused.assert_detail("emails");
    }
    let users = app.get("/Users", &a.scim_token.token).await;
    assert_eq!(users.body["totalResults"], 0, "nothing stored");
    // The fullwidth domain of an email is mapped, not refused: it is a.example.
    let body = json!({"userName": "bo@ａ.example"});
    app.create_user(&a.scim_token.token, body).await;
    app.account_id("bo@a.example").await;
}

/// Rows stored in Unicode before this form was kept are rewritten once, when the upgraded
/// server first opens the database: the old account and verified domain still match.
async fn unicode_rows_stored_before_are_rewritten(db: TestDb) {
    use scimd::store::{self, query};
    let store = db.store().await;
    let org = scimd::domain::OrgId::new();
    let mut tx = store.begin().await.unwrap();
    let rows = [
        ("INSERT INTO organizations (id, name, created_at) VALUES ($1, 'Old', $2)", ""),
        (
            "INSERT INTO verified_domains (domain, org_id, verified_at) VALUES ('bücher.example', $1, $2)",
            "",
        ),
        (
            "INSERT INTO accounts (id, email, email_lower, email_domain, status, created_at, updated_at) \
             VALUES ($1, 'Ann@Bücher.example', 'ann@bücher.example', 'bücher.example', 'active', $2, $2)",
            "account",
        ),
        ("DELETE FROM data_fixups", "none"),
    ];
    let account = scimd::domain::AccountId::new();
    for (sql, bind) in rows {
        let q = query(sql);
        let q = match bind {
            "" => q.bind(org).bind(scimd::store::db::Time(1)),
            "account" => q.bind(account).bind(scimd::store::db::Time(1)),
            _ => q,
        };
        q.execute(&mut tx).await.unwrap();
    }
    tx.commit().await.unwrap();
    drop(store);

    let store = db.store().await;
    let mut conn = store.read().await.unwrap();
    assert_eq!(
        store::verified_domain_owner(&mut conn, "xn--bcher-kva.example")
            .await
            .unwrap(),
        Some(org)
    );
    let found = store::find_account_by_email(&mut conn, "ANN@xn--bcher-kva.example")
        .await
        .unwrap()
        .expect("the old account is found by its normal form");
    assert_eq!((found.id, found.managing_org), (account, Some(org)));
}

on_both_backends! {
    unicode_rows_stored_before_are_rewritten => test_db,
    one_domain_however_it_is_spelt => spawn_app_with_dns,
    one_mailbox_is_one_account => spawn_app,
    lookalike_domains_and_public_suffixes_are_refused => spawn_app,
    lookalike_emails_are_refused => spawn_app,
}
