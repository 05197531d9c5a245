//! What the log keeps: pruned after its retention, no email of a deleted account.

use scimd::domain::{ProvisionedResource, ProvisioningOperation, ProvisioningOutcome};
use scimd::service::bootstrap::BootstrapOutcome;
use scimd::store::{self, NewProvisioningEntry};
use serde_json::{json, Value};

use super::{create, entries, log, user};
use crate::helpers::*;
use crate::on_both_backends;

fn entry_at(org: &BootstrapOutcome, at: i64, email: &str) -> NewProvisioningEntry {
    NewProvisioningEntry {
        at,
        org_id: org.org_id,
        directory_id: org.directory_id,
        token_id: org.scim_token.jti,
        operation: ProvisioningOperation::Create,
        resource_type: ProvisionedResource::User,
        resource_id: Some(uuid::Uuid::new_v4()),
        account_id: None,
        email: Some(email.to_owned()),
        outcome: ProvisioningOutcome::Ok,
        changed: Some(true),
        status: None,
        code: None,
        detail: None,
    }
}

const DAY: i64 = 86_400_000_000;

/// The server prunes at start what is older than `--provisioning-log-days`; the pruning
/// itself works in batches until nothing old is left.
async fn old_entries_are_pruned(db: TestDb) {
    let store = db.store().await;
    let tokens = scimd::service::tokens::Tokens::load(store.clone())
        .await
        .unwrap();
    let org = bootstrap_on(&store, &tokens, "A", &["a.example"]).await;
    let now = store::now_micros();
    let mut tx = store.begin().await.unwrap();
    for (days, email) in [(40, "old@a.example"), (10, "recent@a.example")] {
        store::append_provisioning(&mut tx, entry_at(&org, now - days * DAY, email))
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();

    let app = spawn_app_on(db, |args| args.provisioning_log_days = 20).await;
    let mut emails = Vec::new();
    for _ in 0..100 {
        let page = log(&app, &org, "").await;
        emails = entries(&page)
            .iter()
            .map(|e| e["email"].as_str().unwrap().to_owned())
            .collect();
        if emails.len() == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(emails, ["recent@a.example"], "older than 20 days is gone");

    // Many old entries go in several batches; newer ones stay.
    let mut tx = app.store.begin().await.unwrap();
    for i in 0..2100 {
        store::append_provisioning(
            &mut tx,
            entry_at(&org, now - 31 * DAY + i, "bulk@a.example"),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let deleted = scimd::service::provisioning::prune(&app.store, 30, now)
        .await
        .unwrap();
    assert_eq!(deleted, 2100);
    let page = log(&app, &org, "").await;
    assert_eq!(entries(&page).len(), 1);
    assert_eq!(
        scimd::service::provisioning::prune(&app.store, 30, now)
            .await
            .unwrap(),
        0
    );
}

/// Deleting an account erases its email from the log (rule 11), also where a refused
/// create named it without an account.
async fn a_deleted_accounts_email_is_erased(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    let ann = create(&app, &a, "ann@a.example").await;
    let dup = app
        .post("/Users", &a.scim_token.token, user("ANN@a.example"))
        .await;
    assert_eq!(dup.status, 409);
    create(&app, &a, "bo@a.example").await;
    let account = app.account_id("ann@a.example").await;
    app.admin_delete(&format!("/accounts/{account}"), &a.admin_token.token)
        .await
        .expect_status(200);
    let page = log(&app, &a, "").await;
    let text = page.to_string();
    assert!(!text.to_lowercase().contains("ann@a.example"), "{text}");
    let anns: Vec<&Value> = entries(&page)
        .iter()
        .filter(|e| e["resource_id"] == ann.as_str())
        .collect();
    assert_eq!(anns.len(), 1, "the entry stays, by id");
    assert_eq!(anns[0]["account_id"], json!(account));
    assert!(text.contains("bo@a.example"), "other accounts keep theirs");
}

on_both_backends! {
    old_entries_are_pruned => test_db,
    a_deleted_accounts_email_is_erased => spawn_app,
}
