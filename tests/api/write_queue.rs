//! Transactions that ran nothing before their commit (their reads on a reader, their write
//! held for the commit): on SQLite the writer's queue runs them in rounds of one
//! transaction, with no savepoint per write. One that fails leaves nothing and fails alone:
//! its round is undone and the others run again.

use futures_util::future::join_all;
use scimd::domain::audit::AuditAction;
use scimd::domain::*;
use scimd::store::*;

use crate::helpers::*;
use crate::on_both_backends;
use crate::store_model::{acme_tx, new_account, okta_did};
use crate::store_records::{add_directory, new_record};

const WRITES: usize = 40;

/// `WRITES` new users' writes at once, nothing run before them: every fourth takes the
/// userName of the one before it, so of each such pair one is stored and the other refused
/// with a conflict at its commit, leaving no account and no audit entry.
async fn a_failing_queued_write_fails_alone(db: TestDb) {
    let (store, mut tx, org) = acme_tx(&db).await;
    let directory = add_directory(&mut tx, org, "okta").await.id;
    tx.commit().await.unwrap();
    let before = store.group_commit_stats();
    let sites = DirectorySiteAccess {
        org,
        access: SiteAccess::Active,
        role: SiteRole::Basic,
        at: 2,
    };
    let attempts = (0..WRITES).map(|i| {
        let store = store.clone();
        async move {
            let account = new_account(&format!("user{i}@acme.example"));
            let taken = if i % 4 == 3 { i - 1 } else { i };
            let record = new_record(directory, account.id, &format!("user{taken}"));
            let mut tx = store.begin().await.unwrap();
            let entry = okta_did(account.id, AuditAction::AccountCreated);
            append_audit(&mut tx, &entry).await.unwrap();
            let write = new_user_write(tx.backend(), &account, Some(org), &record, sites);
            hold_for_commit(&mut tx, write).unwrap();
            let outcome = tx.commit_unless_moved().await.map_err(StoreError::from);
            (account.id, outcome)
        }
    });
    let outcomes = join_all(attempts).await;
    let mut conn = store.read().await.unwrap();
    let mut stored = Vec::new();
    for (i, (account, outcome)) in outcomes.iter().enumerate() {
        let kept = match outcome {
            Ok(held) => {
                assert!(held, "user{i}: nothing it was decided on moved");
                true
            }
            Err(StoreError::Conflict) => false,
            Err(other) => panic!("user{i}: {other:?}"),
        };
        let found = get_account(&mut conn, *account).await.unwrap();
        assert_eq!(found.is_some(), kept, "user{i}'s account");
        let audit = "SELECT COUNT(*) FROM audit_log WHERE account_id = $1";
        let audited: i64 = query(audit).bind(*account).scalar(&mut conn).await.unwrap();
        assert_eq!(audited, i64::from(kept), "user{i}'s audit entry");
        stored.push(kept);
    }
    for pair in stored.chunks(4) {
        assert!(pair[0] && pair[1], "a userName of its own is stored");
        assert!(pair[2] ^ pair[3], "one of two with one userName: {pair:?}");
    }
    if let (Some(before), Some(after)) = (before, store.group_commit_stats()) {
        let texts = after.queued_texts - before.queued_texts;
        assert_eq!(
            texts, WRITES as u64,
            "each went through the queue: {after:?}"
        );
        let commits = after.commits - before.commits;
        assert!(commits < texts, "rounds share a commit: {after:?}");
        let undone = after.rounds_replayed - before.rounds_replayed;
        assert!(undone > 0, "the conflicts undid their rounds: {after:?}");
    }
}

on_both_backends! {
    a_failing_queued_write_fails_alone => test_db,
}
