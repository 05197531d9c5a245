//! Writes decided on a read made before taking SQLite's one writer: they run only if what
//! they were decided on still holds, all or nothing, and concurrent writes of one user lose
//! no update, on both backends.

use scimd::domain::audit::AuditAction;
use scimd::domain::*;
use scimd::store::*;
use serde_json::json;

use crate::helpers::*;
use crate::on_both_backends;
use crate::store_model::{acme_tx, new_account, okta_did};
use crate::store_records::{add_directory, new_record};

/// What a failed guard must have left as it was: the account's version, status and
/// address rows, its records' names and versions, and its audit entries.
type State = (i64, String, i64, Vec<(String, i64)>, i64);

async fn state(store: &Store, account: AccountId) -> State {
    let mut conn = store.read().await.unwrap();
    let account_row = get_account(&mut conn, account).await.unwrap().unwrap();
    let count = |table: &str| format!("SELECT COUNT(*) FROM {table} WHERE account_id = $1");
    let addresses: i64 = query(&count("account_emails"))
        .bind(account)
        .scalar(&mut conn)
        .await
        .unwrap();
    let audit: i64 = query(&count("audit_log"))
        .bind(account)
        .scalar(&mut conn)
        .await
        .unwrap();
    let records: Vec<(String, i64)> = query(
        "SELECT user_name, version FROM directory_users WHERE account_id = $1 ORDER BY user_name",
    )
    .bind(account)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    (
        account_row.version,
        account_row.status.as_str().to_owned(),
        addresses,
        records,
        audit,
    )
}

/// The site access a directory of `org` gives the accounts it links in these tests.
fn active_on_every_site(org: OrgId) -> DirectorySiteAccess {
    DirectorySiteAccess {
        org,
        access: SiteAccess::Active,
        role: SiteRole::Basic,
        at: 2,
    }
}

/// What a transaction runs before its held write. On SQLite a read leaves the write to go
/// in the commit's text; a write makes it run on its own first (and, if it does not hold,
/// the transaction rolls back with what ran before it).
#[derive(Clone, Copy, Debug)]
enum First {
    Nothing,
    Read,
    Write,
}

/// Commits a transaction holding `change` for its commit, with an audit entry, after
/// `first`; whether it held.
async fn commit_guarded(
    store: &Store,
    change: &AccountChange<'_>,
    guard: &ReadGuard,
    first: First,
) -> bool {
    let mut tx = store.begin().await.unwrap();
    match first {
        First::Nothing => {}
        First::Read => {
            query("SELECT 1").execute(&mut tx).await.unwrap();
        }
        First::Write => {
            query("UPDATE accounts SET version = version + 1 WHERE id = $1")
                .bind(change.id)
                .execute(&mut tx)
                .await
                .unwrap();
        }
    }
    let entry = okta_did(change.id, AuditAction::AccountProfileChanged);
    append_audit(&mut tx, &entry).await.unwrap();
    let write = account_write_if_unchanged(tx.backend(), change, guard);
    hold_for_commit(&mut tx, write).unwrap();
    tx.commit_unless_moved().await.unwrap()
}

async fn an_account_write_checks_what_it_was_decided_on(db: TestDb) {
    let (store, mut tx, org) = acme_tx(&db).await;
    let mut directories = Vec::new();
    for name in ["okta", "entra"] {
        directories.push(add_directory(&mut tx, org, name).await.id);
    }
    let ann = new_account("ann@acme.example");
    let own = new_record(directories[0], ann.id, "ann");
    let sites = active_on_every_site(org);
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let write = new_user_write(tx.backend(), &ann, Some(org), &own, sites);
    hold_for_commit(&mut tx, write).unwrap();
    assert!(tx.commit_unless_moved().await.unwrap());
    let mut tx = store.begin().await.unwrap();
    insert_directory_user(&mut tx, &new_record(directories[1], ann.id, "ann-entra"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut conn = store.read().await.unwrap();
    let read = scim_user_for_write(&mut conn, directories[0], own.id, false, RowLock::None)
        .await
        .unwrap()
        .unwrap();
    drop(conn);
    assert_eq!(read.account.managing_org, Some(org));
    // A new address, a new status and a new userName for the writing directory's record.
    let profile = json!({"emails": [
        {"value": "ann@acme.example", "primary": true},
        {"value": "ann.other@acme.example", "type": "other"},
    ]});
    let renamed = DirectoryUser {
        user_name: "ann.renamed".into(),
        ..own.clone()
    };
    let change = AccountChange {
        id: ann.id,
        profile: Some(AccountProfileUpdate {
            email: "ann@acme.example",
            display_name: Some("Ann"),
            profile: &profile,
            replaces: &read.account.profile,
        }),
        status: Some(AccountStatus::Deactivated),
        touch: Touch::Records {
            own: Some(&renamed),
        },
        at: 20,
    };
    let before = state(&store, ann.id).await;
    let mut moved = read.clone();
    moved.record.version += 1;
    let mut unmanaged = read.clone();
    unmanaged.account.managing_org = None;
    let mut other_org = read.clone();
    other_org.account.managing_org = Some(OrgId::new());
    for (stale, why) in [
        (&moved, "the record moved since it was read"),
        (&unmanaged, "read as nobody's, but Acme manages it"),
        (&other_org, "read as another org's"),
    ] {
        for first in [First::Nothing, First::Read, First::Write] {
            let held = commit_guarded(&store, &change, &ReadGuard::of(stale), first).await;
            assert!(!held, "{why} ({first:?} first)");
            let after = state(&store, ann.id).await;
            assert_eq!(after, before, "{why} ({first:?} first): nothing");
        }
    }
    let guard = ReadGuard::of(&read);
    assert!(commit_guarded(&store, &change, &guard, First::Nothing).await);
    let after = state(&store, ann.id).await;
    assert_eq!(after.0, before.0 + 1, "the account's version");
    assert_eq!(after.1, "deactivated");
    assert_eq!(after.2, 2, "both addresses are looked up");
    assert_eq!(
        after.3,
        vec![("ann-entra".to_owned(), 2), ("ann.renamed".to_owned(), 2)],
        "every record moved once, the own one renamed"
    );
    assert_eq!(after.4, before.4 + 1, "the journal came with the write");
    // The same read does not hold any more; with a write of the record counted, it does.
    let again = AccountChange {
        status: Some(AccountStatus::Active),
        profile: None,
        ..change
    };
    assert!(!commit_guarded(&store, &again, &guard, First::Write).await);
    let counted = guard.clone().after_own_writes(1);
    assert!(commit_guarded(&store, &again, &counted, First::Read).await);
    assert_eq!(state(&store, ann.id).await.1, "active");
    // Nothing runs after a write held for the commit: it would run before it.
    let mut tx = store.begin().await.unwrap();
    let write = account_write_if_unchanged(tx.backend(), &again, &guard);
    hold_for_commit(&mut tx, write).unwrap();
    assert!(query("SELECT 1").execute(&mut tx).await.is_err());
}

/// The write of a directory's record alone, held for the commit of a transaction that ran
/// nothing (on PostgreSQL it commits alone): nothing of it, journal included, if the record
/// moved since it was read.
async fn a_record_write_checks_what_it_was_decided_on(db: TestDb) {
    let (store, mut tx, org) = acme_tx(&db).await;
    let okta = add_directory(&mut tx, org, "okta").await.id;
    tx.commit().await.unwrap();
    let ann = new_account("ann@acme.example");
    let own = new_record(okta, ann.id, "ann");
    let mut tx = store.begin().await.unwrap();
    let write = new_user_write(
        tx.backend(),
        &ann,
        Some(org),
        &own,
        active_on_every_site(org),
    );
    hold_for_commit(&mut tx, write).unwrap();
    assert!(tx.commit_unless_moved().await.unwrap());
    let mut conn = store.read().await.unwrap();
    let read = scim_user_for_write(&mut conn, okta, own.id, false, RowLock::None)
        .await
        .unwrap()
        .unwrap();
    drop(conn);
    let renamed = DirectoryUser {
        user_name: "ann.renamed".into(),
        updated_at: 30,
        ..read.record.clone()
    };
    let commit = |guard: ReadGuard| {
        let (store, renamed) = (store.clone(), renamed.clone());
        async move {
            let mut tx = store.begin().await.unwrap();
            let entry = okta_did(ann.id, AuditAction::AccountProfileChanged);
            append_audit(&mut tx, &entry).await.unwrap();
            let write = record_write_if_unchanged(tx.backend(), &renamed, ann.id, &guard);
            hold_for_commit(&mut tx, write).unwrap();
            tx.commit_unless_moved().await.unwrap()
        }
    };
    let before = state(&store, ann.id).await;
    let mut moved = read.clone();
    moved.record.version += 1;
    assert!(!commit(ReadGuard::of(&moved)).await, "the record moved");
    assert_eq!(
        state(&store, ann.id).await,
        before,
        "nothing, journal included"
    );
    assert!(commit(ReadGuard::of(&read)).await);
    let after = state(&store, ann.id).await;
    assert_eq!(
        after.3,
        vec![("ann.renamed".to_owned(), 2)],
        "renamed, moved once"
    );
    assert_eq!(after.4, before.4 + 1, "the journal came with the write");
    assert_eq!(after.0, before.0, "the account did not move");
}

/// Concurrent PATCHes of one user, each adding its own value to the account (an email) or
/// to the directory's record (a phone number): every one of them is there at the end.
async fn concurrent_patches_of_one_user_lose_nothing(app: TestApp) {
    let token = &app.acme_token().await;
    let created = app
        .post("/Users", token, crate::users::user("ann@acme.example"))
        .await
        .expect_status(201);
    let path = format!("/Users/{}", created.body["id"].as_str().unwrap());
    let add = |i: usize| {
        let (attribute, value) = match i % 2 {
            0 => (
                "emails",
                json!([{"value": format!("ann.{i}@acme.example"), "type": "other"}]),
            ),
            _ => (
                "phoneNumbers",
                json!([{"value": format!("+1 555 01{i:02}"), "type": "work"}]),
            ),
        };
        json!([{"op": "add", "path": attribute, "value": value}])
    };
    let patches = (0..12).map(|i| app.patch(&path, token, add(i)));
    for response in futures_util::future::join_all(patches).await {
        assert_eq!(response.status, 200, "{}", response.body);
    }
    let user = app.get(&path, token).await.expect_status(200);
    let values = |attribute: &str| -> Vec<String> {
        let mut values: Vec<String> = user.body[attribute]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v["value"].as_str().map(str::to_owned))
            .collect();
        values.sort();
        values
    };
    let mut emails: Vec<String> = (0..12)
        .step_by(2)
        .map(|i| format!("ann.{i}@acme.example"))
        .chain(["ann@acme.example".to_owned()])
        .collect();
    emails.sort();
    assert_eq!(values("emails"), emails, "no email lost");
    let mut phones: Vec<String> = (1..12)
        .step_by(2)
        .map(|i| format!("+1 555 01{i:02}"))
        .collect();
    phones.sort();
    assert_eq!(values("phoneNumbers"), phones, "no phone number lost");
    assert_eq!(
        user.body["meta"]["version"].as_str().map(str::to_owned),
        Some(format!("W/\"{}\"", 1 + 12)),
        "one version per write"
    );
    // A write decided again left no journal of its first decision.
    let id = uuid::Uuid::parse_str(created.body["id"].as_str().unwrap()).unwrap();
    let patches = read_i64_of(
        &app.store,
        "SELECT COUNT(*) FROM provisioning_log WHERE resource_id = $1 AND operation = 'patch'",
        id,
    )
    .await;
    assert_eq!(patches, 12, "one provisioning entry per PATCH");
    let profile_changes = read_i64_of(
        &app.store,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'account.profile_changed' \
         AND account_id = (SELECT account_id FROM directory_users WHERE id = $1)",
        id,
    )
    .await;
    assert_eq!(profile_changes, 6, "one audit entry per email added");
}

/// A create's write, held for the commit of a transaction that ran nothing (on PostgreSQL
/// it then commits alone, outside a transaction): when the email has an account by then,
/// or the domain's owner moved, nothing is written, its journal included.
async fn a_create_decided_on_a_stale_read_writes_nothing(db: TestDb) {
    let (store, mut tx, org) = acme_tx(&db).await;
    let okta = add_directory(&mut tx, org, "okta").await.id;
    let sites = active_on_every_site(org);
    tx.commit().await.unwrap();
    let create = |new: &NewAccount, owner: Option<OrgId>, user_name: &str| {
        let store = store.clone();
        let (new, record) = (new.clone(), new_record(okta, new.id, user_name));
        async move {
            let mut tx = store.begin().await.unwrap();
            let entry = okta_did(new.id, AuditAction::AccountCreated);
            append_audit(&mut tx, &entry).await.unwrap();
            let write = new_user_write(tx.backend(), &new, owner, &record, sites);
            hold_for_commit(&mut tx, write).unwrap();
            tx.commit_unless_moved().await.unwrap()
        }
    };
    let audit_of = |id: AccountId| {
        let store = store.clone();
        async move {
            let sql = "SELECT COUNT(*) FROM audit_log WHERE account_id = $1";
            read_i64_of(&store, sql, id).await
        }
    };
    let ann = new_account("ann@acme.example");
    assert!(create(&ann, Some(org), "ann").await);
    assert_eq!(audit_of(ann.id).await, 1, "the journal came with the write");
    let again = new_account("ann@acme.example");
    assert!(
        !create(&again, Some(org), "ann.again").await,
        "the email is taken"
    );
    let bob = new_account("bob@acme.example");
    assert!(!create(&bob, None, "bob").await, "read as nobody's domain");
    for stale in [again.id, bob.id] {
        assert_eq!(
            audit_of(stale).await,
            0,
            "no journal of a write that did not hold"
        );
        assert!(get_account(&mut store.read().await.unwrap(), stale)
            .await
            .unwrap()
            .is_none());
    }
}

/// A create goes on the email's domain owner as this process last read it (on
/// PostgreSQL): when another process has moved the domain since, the write finds it moved
/// and writes nothing, and the create decides again on what is there.
async fn a_create_on_a_domain_owner_read_before_decides_again(app: TestApp) {
    let token = &app.acme_token().await;
    let users = [("ann@acme.example", "true"), ("bob@acme.example", "false")];
    for (i, (email, managed)) in users.into_iter().enumerate() {
        if i == 1 {
            // Another process takes the verification back; this one has not read it.
            let delete = "DELETE FROM verified_domains WHERE domain = 'acme.example'";
            write_all(&app.store, &[delete]).await;
        }
        app.post("/Users", token, crate::users::user(email))
            .await
            .expect_status(201);
        let mut conn = app.store.read().await.unwrap();
        let details: Vec<String> = query(
            "SELECT CAST(l.detail AS TEXT) FROM audit_log l JOIN accounts a \
             ON a.id = l.account_id WHERE a.email_lower = $1 AND l.action = 'account.created'",
        )
        .bind(email)
        .scalars(&mut conn)
        .await
        .unwrap();
        assert_eq!(
            details.len(),
            1,
            "{email}: one account created, once: {details:?}"
        );
        let detail: serde_json::Value = serde_json::from_str(&details[0]).unwrap();
        assert_eq!(detail["managed"].to_string(), managed, "{email}: {detail}");
    }
}

on_both_backends! {
    a_create_on_a_domain_owner_read_before_decides_again => spawn_app,
    a_record_write_checks_what_it_was_decided_on => test_db,
    an_account_write_checks_what_it_was_decided_on => test_db,
    a_create_decided_on_a_stale_read_writes_nothing => test_db,
    concurrent_patches_of_one_user_lose_nothing => spawn_app,
}
