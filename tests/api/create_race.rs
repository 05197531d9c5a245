//! Two directories creating the same new email at the same moment: both answers are 201,
//! linked to one account (rule 12), never a 409 for the slower one.

use serde_json::json;

use crate::helpers::*;
use crate::on_both_backends;

async fn simultaneous_creates_of_one_email_link_one_account(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    let b = app.bootstrap("B", &["b.example"]).await;
    for i in 0..25 {
        // A domain nobody verified: either directory may create the account, and the other
        // then links it.
        let email = format!("race{i}@shared.example");
        let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                          "userName": email, "emails": [{"value": email, "primary": true}]});
        let (from_a, from_b) = tokio::join!(
            app.post("/Users", &a.scim_token.token, body.clone()),
            app.post("/Users", &b.scim_token.token, body),
        );
        assert_eq!(from_a.status, 201, "{email} from A: {}", from_a.body);
        assert_eq!(from_b.status, 201, "{email} from B: {}", from_b.body);
        let mut conn = app.store.read().await.unwrap();
        let account = scimd::store::find_account_by_email(&mut conn, &email)
            .await
            .unwrap()
            .expect("one account");
        for directory in [a.directory_id, b.directory_id] {
            let record =
                scimd::store::find_directory_user_by_account(&mut conn, directory, account.id)
                    .await
                    .unwrap();
            assert!(
                record.is_some(),
                "{email}: both directories link the account"
            );
        }
    }
    // The slower create, decided again, left nothing of its first decision.
    for (action, expected) in [("account.created", 25), ("directory.user_linked", 25)] {
        let sql = "SELECT COUNT(*) FROM audit_log WHERE action = $1";
        assert_eq!(
            read_i64_of(&app.store, sql, action).await,
            expected,
            "{action}"
        );
    }
    let sql = "SELECT COUNT(*) FROM provisioning_log WHERE operation = 'create'";
    let creates = read_i64(&app.store, sql).await;
    assert_eq!(creates, 50, "one provisioning entry per POST");
}

on_both_backends! {
    simultaneous_creates_of_one_email_link_one_account => spawn_app,
}
