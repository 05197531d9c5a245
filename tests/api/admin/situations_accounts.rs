//! Situations 5–8 of issue 5, end to end: deletion, product access, who reactivates, and
//! moving a domain.

use scimd::domain::AccountStatus;
use scimd::service::admin::tokens::AdminTokenFor;
use scimd::store::{self, ContentCounters};
use serde_json::json;

use super::*;
use crate::on_both_backends;

/// Situation 5: Deleting an account with content is refused ("deactivate instead"); without content
/// it becomes a tombstone with no personal data.
async fn s5_delete_with_content_is_refused_otherwise_a_tombstone_remains(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    let author_scim = provision(&app, &a, "author@a.example").await;
    let quiet_scim = provision(&app, &a, "quiet@a.example").await;
    let (author, quiet) = (
        app.account_id("author@a.example").await,
        app.account_id("quiet@a.example").await,
    );
    let mut conn = app.store.read().await.unwrap();
    let counters = ContentCounters {
        comments: 3,
        ..ContentCounters::default()
    };
    store::set_content_counters(&mut conn, author, counters)
        .await
        .unwrap();
    drop(conn);

    let refused = app
        .admin_delete(&format!("/accounts/{author}"), admin_of(&a))
        .await;
    assert_problem(&refused, 409, "has_content");
    refused.assert_detail("deactivate instead");
    let still = app
        .get(&format!("/Users/{author_scim}"), &a.scim_token.token)
        .await;
    assert_eq!(still.status, 200, "nothing was deleted");
    let deactivated = set_status(&app, admin_of(&a), author, "deactivate").await;
    assert_eq!(deactivated.body["status"], "deactivated");

    let deleted = app
        .admin_delete(&format!("/accounts/{quiet}"), admin_of(&a))
        .await
        .expect_status(200);
    assert_eq!(deleted.body["changed"], true);
    assert_eq!(deleted.body["deleted"], true);
    assert_eq!(
        (&deleted.body["email"], &deleted.body["display_name"]),
        (&json!(null), &json!(null))
    );
    let mut conn = app.store.read().await.unwrap();
    let grave = store::get_account(&mut conn, quiet).await.unwrap().unwrap();
    assert_eq!(
        (grave.email, grave.display_name, grave.profile),
        (None, None, json!({}))
    );
    assert!(store::get_site_user(&mut conn, a.site_id, quiet)
        .await
        .unwrap()
        .is_none());
    assert!(store::find_account_by_email(&mut conn, "quiet@a.example")
        .await
        .unwrap()
        .is_none());
    let scim = app
        .get(&format!("/Users/{quiet_scim}"), &a.scim_token.token)
        .await;
    assert_eq!(scim.status, 404);
    let again = app
        .admin_delete(&format!("/accounts/{quiet}"), admin_of(&a))
        .await;
    assert_eq!((again.status, &again.body["changed"]), (200, &json!(false)));
}

/// Situation 6: Product access cannot be granted to a deactivated account; revoking succeeds.
async fn s6_no_grants_to_deactivated_accounts_but_revoke_works(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    provision(&app, &a, "eve@a.example").await;
    let eve = app.account_id("eve@a.example").await;
    let products = format!("/sites/{}/users/{eve}/products", a.site_id);
    let granted = app
        .admin_post(&products, admin_of(&a), json!({"product": "jira-software"}))
        .await
        .expect_status(200);
    assert_eq!(granted.body["products"], json!(["jira-software"]));
    set_status(&app, admin_of(&a), eve, "deactivate").await;

    let refused = app
        .admin_post(&products, admin_of(&a), json!({"product": "confluence"}))
        .await;
    assert_problem(&refused, 409, "account_deactivated");
    assert_eq!(refused.body["managing_org"], json!(a.org_id));
    let revoked = app
        .admin_delete(&format!("{products}/jira-software"), admin_of(&a))
        .await
        .expect_status(200);
    assert_eq!(
        (&revoked.body["changed"], &revoked.body["products"]),
        (&json!(true), &json!([]))
    );
}

/// Situation 7: A site admin of org A cannot reactivate org B's account (403 naming B); the owner
/// of an unmanaged account can reactivate it, a site admin cannot.
async fn s7_only_the_managing_org_or_the_owner_reactivates(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    let b = app.bootstrap("B", &["b.example"]).await;
    provision(&app, &b, "x@b.example").await;
    let x = app.account_id("x@b.example").await;
    invite(
        &app,
        &a,
        json!({"emails": ["x@b.example", "y@personal.example"]}),
    )
    .await;
    set_status(&app, admin_of(&b), x, "deactivate").await;
    let site_admin = app
        .admin_token(AdminTokenFor::Site {
            site: a.site_id,
            account: None,
        })
        .await;

    let refused = set_status(&app, &site_admin, x, "reactivate").await;
    assert_problem(&refused, 403, "managed_by_other_org");
    assert_eq!(refused.body["managing_org"], json!(b.org_id));
    assert!(refused
        .detail()
        .contains("only its administrators can reactivate it"));
    assert_problem(
        &set_status(&app, admin_of(&a), x, "reactivate").await,
        403,
        "managed_by_other_org",
    );

    let y = app.account_id("y@personal.example").await;
    let owner = app.admin_token(AdminTokenFor::Owner(y)).await;
    let off = ok(&app, &owner, "/me/deactivate").await;
    assert_eq!(off["status"], "deactivated");
    let refused = set_status(&app, &site_admin, y, "reactivate").await;
    assert_problem(&refused, 403, "owner_only");
    assert_eq!(refused.body["account_owner"], true);
    assert!(refused
        .detail()
        .contains("only the account's owner can reactivate it"));
    let on = ok(&app, &owner, "/me/reactivate").await;
    assert_eq!(
        (on["status"].as_str(), on["changed"].as_bool()),
        (Some("active"), Some(true))
    );
}

/// Situation 8: Moving a domain from A to B moves management at once; A's directory can no longer
/// change those accounts (rule 13).
async fn s8_a_moved_domain_moves_management(app: TestApp) {
    let a = app.bootstrap("A", &["a.example", "moving.example"]).await;
    let b = app.bootstrap("B", &["b.example"]).await;
    let scim_id = provision(&app, &a, "m@moving.example").await;
    let m = app.account_id("m@moving.example").await;

    let path = format!("/orgs/{}/domains/moving.example/move", a.org_id);
    let moved = app
        .admin_post(&path, admin_of(&a), json!({"to_org": b.org_id}))
        .await
        .expect_status(200);
    assert_eq!(
        (&moved.body["changed"], &moved.body["org_id"]),
        (&json!(true), &json!(b.org_id))
    );
    let managed = |org: &scimd::service::bootstrap::BootstrapOutcome| {
        let path = format!("/orgs/{}/accounts", org.org_id);
        let token = admin_of(org).to_owned();
        let app = &app;
        async move { app.admin_get(&path, &token).await.body["resources"].clone() }
    };
    assert_eq!(managed(&b).await[0]["email"], "m@moving.example");
    assert_eq!(managed(&a).await.as_array().unwrap().len(), 0);

    let patch = replace("displayName", "Renamed");
    let reply = app
        .patch(&format!("/Users/{scim_id}"), &a.scim_token.token, patch)
        .await
        .expect_status(403);
    reply.assert_detail("managed by another organization");
    let refused = set_status(&app, admin_of(&a), m, "deactivate").await;
    assert_problem(&refused, 403, "managed_by_other_org");
    assert_eq!(refused.body["managing_org"], json!(b.org_id));
    set_status(&app, admin_of(&b), m, "deactivate")
        .await
        .expect_status(200);
    let mut conn = app.store.read().await.unwrap();
    let account = store::get_account(&mut conn, m).await.unwrap().unwrap();
    assert_eq!(
        (account.display_name.as_deref(), account.status),
        (Some("Ann Example"), AccountStatus::Deactivated)
    );
}

on_both_backends! {
    s5_delete_with_content_is_refused_otherwise_a_tombstone_remains => spawn_app,
    s6_no_grants_to_deactivated_accounts_but_revoke_works => spawn_app,
    s7_only_the_managing_org_or_the_owner_reactivates => spawn_app,
    s8_a_moved_domain_moves_management => spawn_app,
}
