//! Directory records, tokens and keys, the audit log and transactions round-trip through
//! both backends.

use scimd::domain::audit::{ActorKind, AuditAction};
use scimd::domain::*;
use scimd::store::*;
use serde_json::json;

use crate::helpers::*;
use crate::on_both_backends;
use crate::store_model::{acme_tx, new_account};

/// A directory of `org` named `name`, stored.
pub(crate) async fn add_directory(tx: &mut Tx, org: OrgId, name: &str) -> Directory {
    let directory = Directory {
        id: DirectoryId::new(),
        org_id: org,
        name: name.into(),
        group_patch_minimal: false,
        created_at: 1,
    };
    insert_directory(tx, &directory).await.unwrap();
    directory
}

async fn directory_user_records(db: TestDb) {
    let (_store, mut tx, org) = acme_tx(&db).await;
    let okta = add_directory(&mut tx, org, "okta").await;
    let entra = add_directory(&mut tx, org, "entra").await;
    let ann = new_account("ann@acme.example");
    insert_account(&mut tx, &ann).await.unwrap();
    let record = DirectoryUser {
        id: uuid::Uuid::new_v4(),
        directory_id: okta.id,
        account_id: ann.id,
        user_name: "ann.okta".into(),
        external_id: Some("00u1".into()),
        attributes: json!({"phoneNumbers": [{"value": "+1 555"}]}),
        created_at: 2,
        updated_at: 2,
        version: 1,
    };
    insert_directory_user(&mut tx, &record).await.unwrap();
    assert_eq!(
        get_directory_user(&mut tx, okta.id, record.id)
            .await
            .unwrap(),
        Some(record.clone())
    );
    assert_eq!(
        get_directory_user(&mut tx, entra.id, record.id)
            .await
            .unwrap(),
        None,
        "rule 18"
    );
    assert_eq!(
        find_directory_user_by_account(&mut tx, okta.id, ann.id)
            .await
            .unwrap()
            .map(|r| r.id),
        Some(record.id)
    );
    let twin = DirectoryUser {
        id: uuid::Uuid::new_v4(),
        ..record.clone()
    };
    scimd::store::query("SAVEPOINT twin")
        .execute(&mut tx)
        .await
        .unwrap();
    assert!(matches!(
        insert_directory_user(&mut tx, &twin).await,
        Err(StoreError::Conflict)
    ));
    scimd::store::query("ROLLBACK TO SAVEPOINT twin")
        .execute(&mut tx)
        .await
        .unwrap();

    let changed = DirectoryUser {
        external_id: Some("00u2".into()),
        updated_at: 3,
        ..record.clone()
    };
    assert!(
        !update_directory_user(&mut tx, &changed, Some(7))
            .await
            .unwrap(),
        "stale version"
    );
    assert!(update_directory_user(&mut tx, &changed, Some(1))
        .await
        .unwrap());
    assert!(update_directory_user(&mut tx, &changed, None)
        .await
        .unwrap());
    let stored = get_directory_user(&mut tx, okta.id, record.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.external_id.as_deref(), stored.version),
        (Some("00u2"), 3)
    );

    assert!(!delete_directory_user(&mut tx, entra.id, record.id)
        .await
        .unwrap());
    assert!(delete_directory_user(&mut tx, okta.id, record.id)
        .await
        .unwrap());
    assert_eq!(
        get_directory_user(&mut tx, okta.id, record.id)
            .await
            .unwrap(),
        None
    );
    assert!(
        get_account(&mut tx, ann.id).await.unwrap().is_some(),
        "the account outlives the record"
    );
    tx.commit().await.unwrap();
}

async fn tokens_and_keys(db: TestDb) {
    let (_store, mut tx, org) = acme_tx(&db).await;
    let dir = add_directory(&mut tx, org, "okta").await;
    let key = SigningKey {
        kid: "k1".into(),
        secret: vec![1, 2, 3, 255],
        created_at: 1,
    };
    insert_signing_key(&mut tx, &key).await.unwrap();
    insert_signing_key(
        &mut tx,
        &SigningKey {
            secret: vec![9],
            ..key.clone()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        list_signing_keys(&mut tx).await.unwrap(),
        vec![key],
        "first key with an id wins"
    );

    let record = TokenRecord {
        jti: uuid::Uuid::new_v4(),
        subject: TokenSubject::Directory {
            directory: dir.id,
            org,
        },
        issued_at: 5,
        expires_at: Some(50),
        revoked_at: None,
    };
    insert_token(&mut tx, &record).await.unwrap();
    let admin = TokenRecord {
        jti: uuid::Uuid::new_v4(),
        subject: TokenSubject::OrgAdmin { org },
        issued_at: 6,
        expires_at: None,
        revoked_at: None,
    };
    insert_token(&mut tx, &admin).await.unwrap();
    assert_eq!(
        get_token(&mut tx, record.jti).await.unwrap(),
        Some(record.clone())
    );
    assert_eq!(get_token(&mut tx, admin.jti).await.unwrap(), Some(admin));
    assert_eq!(
        list_directory_tokens(&mut tx, dir.id).await.unwrap(),
        vec![record.clone()]
    );
    assert!(revoke_token(&mut tx, record.jti, 9).await.unwrap());
    assert!(
        !revoke_token(&mut tx, record.jti, 10).await.unwrap(),
        "already revoked"
    );
    assert_eq!(
        get_token(&mut tx, record.jti)
            .await
            .unwrap()
            .unwrap()
            .revoked_at,
        Some(9)
    );
    tx.commit().await.unwrap();
}

async fn the_audit_log_is_append_only(db: TestDb) {
    let (store, mut tx, org) = acme_tx(&db).await;
    let account = AccountId::new();
    for action in [AuditAction::AccountCreated, AuditAction::AccountDeactivated] {
        append_audit(
            &mut tx,
            &NewAuditEntry {
                at: 1,
                org_id: Some(org),
                account_id: Some(account),
                actor_kind: ActorKind::Directory,
                actor_id: "d1".into(),
                action,
                detail: json!({"field": "active"}),
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let mut conn = store.read().await.unwrap();
    let by_org = list_audit(&mut conn, AuditScope::Org(org), 10)
        .await
        .unwrap();
    let actions: Vec<_> = by_org.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["account.deactivated", "account.created"],
        "newest first"
    );
    assert_eq!(by_org[0].detail["field"], "active");
    assert_eq!(
        list_audit(&mut conn, AuditScope::Account(account), 1)
            .await
            .unwrap()
            .len(),
        1
    );

    for (statement, what) in [
        ("UPDATE audit_log SET action = 'forged'", "updates"),
        ("DELETE FROM audit_log", "deletes"),
    ] {
        let refused = scimd::store::query(statement).execute(&mut conn).await;
        assert!(
            refused.is_err(),
            "{what} are refused by the database itself"
        );
    }
    assert_eq!(
        list_audit(&mut conn, AuditScope::Org(org), 10)
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn a_failed_transaction_leaves_nothing(db: TestDb) {
    let store = db.store().await;
    let mut tx = store.begin().await.unwrap();
    let ann = new_account("ann@acme.example");
    insert_account(&mut tx, &ann).await.unwrap();
    assert!(insert_account(&mut tx, &new_account("ANN@acme.example"))
        .await
        .is_err());
    drop(tx);
    let mut conn = store.read().await.unwrap();
    assert_eq!(get_account(&mut conn, ann.id).await.unwrap(), None);
}

/// A new account's addresses are written with it (one statement), and a refused one (its
/// email taken) writes none of its addresses.
async fn account_addresses_come_only_with_a_new_account(db: TestDb) {
    let (store, mut tx, _org) = acme_tx(&db).await;
    let emails = |list: &[&str]| {
        let emails: Vec<_> = list
            .iter()
            .enumerate()
            .map(|(i, e)| json!({"value": e, "type": "work", "primary": i == 0}))
            .collect();
        json!({ "emails": emails })
    };
    let ann = NewAccount {
        profile: emails(&["ann@acme.example", "Ann.Other@Acme.Example"]),
        ..new_account("ann@acme.example")
    };
    assert!(insert_account_if_new(&mut tx, &ann).await.unwrap());
    let again = NewAccount {
        profile: emails(&["ANN@acme.example", "third@acme.example"]),
        ..new_account("ANN@acme.example")
    };
    assert!(!insert_account_if_new(&mut tx, &again).await.unwrap());
    tx.commit().await.unwrap();
    let mut conn = store.read().await.unwrap();
    let rows: Vec<(String, String)> =
        query("SELECT CAST(account_id AS TEXT), value_lower FROM account_emails ORDER BY position")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    let ann_id = ann.id.to_string();
    assert_eq!(
        rows,
        vec![
            (ann_id.clone(), "ann@acme.example".to_owned()),
            (ann_id, "ann.other@acme.example".to_owned()),
        ]
    );
}

/// A new user's one-round-trip write checks the facts its caller decided on: the domain's
/// owner as read (a domain moved meanwhile writes nothing) and the email still free.
async fn a_new_users_write_checks_what_it_was_decided_on(db: TestDb) {
    let (store, mut tx, org) = acme_tx(&db).await;
    let directory = add_directory(&mut tx, org, "okta").await;
    let sites = DirectorySiteAccess {
        org,
        access: SiteAccess::Active,
        role: SiteRole::Basic,
        at: 2,
    };
    let record = |account: &NewAccount, name: &str| new_record(directory.id, account.id, name);
    let ann = new_account("ann@acme.example");
    let (twin, lee) = (
        new_account("ANN@acme.example"),
        new_account("lee@elsewhere.example"),
    );
    let attempts = [
        (
            &ann,
            None,
            false,
            "acme.example is owned by Acme, not by nobody",
        ),
        (&ann, Some(OrgId::new()), false, "nor by another org"),
        (&ann, Some(org), true, "as decided: written"),
        (&twin, Some(org), false, "the email is taken"),
        (&lee, None, true, "a domain nobody owns, as decided"),
    ];
    tx.commit().await.unwrap();
    for (account, owner, expected, why) in attempts {
        let user = record(account, account.email.as_str());
        let mut tx = store.begin().await.unwrap();
        let write = new_user_write(tx.backend(), account, owner, &user, sites);
        hold_for_commit(&mut tx, write).unwrap();
        let written = tx.commit_unless_moved().await.unwrap();
        assert_eq!(written, expected, "{why}");
    }
    let mut conn = store.read().await.unwrap();
    assert!(get_account(&mut conn, ann.id).await.unwrap().is_some());
    assert_eq!(get_account(&mut conn, twin.id).await.unwrap(), None);
    let records = read_i64(&store, "SELECT COUNT(*) FROM directory_users").await;
    assert_eq!(records, 2, "ann's and lee's");
}

on_both_backends! {
    a_new_users_write_checks_what_it_was_decided_on => test_db,
    account_addresses_come_only_with_a_new_account => test_db,
    directory_user_records => test_db,
    tokens_and_keys => test_db,
    the_audit_log_is_append_only => test_db,
    a_failed_transaction_leaves_nothing => test_db,
}

/// A new record of `account` in `directory`, at version 1.
pub(crate) fn new_record(directory: DirectoryId, account: AccountId, name: &str) -> DirectoryUser {
    DirectoryUser {
        id: uuid::Uuid::new_v4(),
        directory_id: directory,
        account_id: account,
        user_name: name.into(),
        external_id: None,
        attributes: json!({}),
        created_at: 2,
        updated_at: 2,
        version: 1,
    }
}
