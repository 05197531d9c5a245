//! Every entity of the model round-trips through both backends.

use scimd::domain::*;
use scimd::store::*;
use serde_json::json;

use crate::helpers::*;
use crate::on_both_backends;

pub(crate) async fn org_with_domain(tx: &mut Tx, name: &str, domain: &str) -> OrgId {
    let org = Organization {
        id: OrgId::new(),
        name: name.into(),
        created_at: 1,
    };
    insert_org(tx, &org).await.unwrap();
    assert!(insert_verified_domain(tx, domain, org.id, 2).await.unwrap());
    assert_eq!(get_org(tx, org.id).await.unwrap(), Some(org.clone()));
    org.id
}

/// A store, a transaction and Acme with its verified domain: where the record tests start.
pub(crate) async fn acme_tx(db: &TestDb) -> (Store, Tx, OrgId) {
    let store = db.store().await;
    let mut tx = store.begin().await.unwrap();
    let org = org_with_domain(&mut tx, "Acme", "acme.example").await;
    (store, tx, org)
}

/// The org managing the account, which the test expects to exist.
async fn managing_org(tx: &mut Tx, id: AccountId) -> Option<OrgId> {
    let account = get_account(tx, id).await.unwrap();
    account.expect("account exists").managing_org
}

pub(crate) fn new_account(email: &str) -> NewAccount {
    NewAccount {
        id: AccountId::new(),
        email: email.into(),
        display_name: Some("Ann Example".into()),
        profile: json!({"name": {"givenName": "Ann"}, "title": "Engineer"}),
        status: AccountStatus::Active,
        at: 10,
    }
}

/// What a directory named okta did to `account`, as its audit entry.
pub(crate) fn okta_did(
    account: AccountId,
    action: scimd::domain::audit::AuditAction,
) -> NewAuditEntry {
    NewAuditEntry {
        at: 20,
        org_id: None,
        account_id: Some(account),
        actor_kind: scimd::domain::audit::ActorKind::Directory,
        actor_id: "okta".into(),
        action,
        detail: json!({}),
    }
}

async fn organizations_domains_and_accounts(db: TestDb) {
    let store = db.store().await;
    let mut tx = store.begin().await.unwrap();
    let acme = org_with_domain(&mut tx, "Acme", "Acme.Example").await;
    assert_eq!(
        verified_domain_owner(&mut tx, "acme.EXAMPLE")
            .await
            .unwrap(),
        Some(acme)
    );
    let domains = list_verified_domains(&mut tx, acme).await.unwrap();
    assert_eq!(domains.len(), 1);
    assert_eq!(domains[0].domain, "acme.example");

    let ann = new_account("Ann@Acme.Example");
    insert_account(&mut tx, &ann).await.unwrap();
    let stored = get_account(&mut tx, ann.id).await.unwrap().unwrap();
    assert_eq!(
        stored.email.as_deref(),
        Some("Ann@Acme.Example"),
        "the email keeps its spelling"
    );
    assert_eq!(stored.display_name.as_deref(), Some("Ann Example"));
    assert_eq!(stored.profile["title"], "Engineer");
    assert_eq!(stored.status, AccountStatus::Active);
    assert_eq!(
        stored.managing_org,
        Some(acme),
        "managed through the verified domain"
    );
    assert_eq!(stored.version, 1);

    let by_email = find_account_by_email(&mut tx, "ann@acme.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_email.id, ann.id, "lookups ignore case");
    assert_eq!(list_managed_accounts(&mut tx, acme).await.unwrap().len(), 1);

    let outsider = new_account("bob@elsewhere.example");
    insert_account(&mut tx, &outsider).await.unwrap();
    assert_eq!(managing_org(&mut tx, outsider.id).await, None, "unmanaged");

    assert!(
        set_account_status(&mut tx, ann.id, AccountStatus::Deactivated, 20)
            .await
            .unwrap()
    );
    assert!(
        !set_account_status(&mut tx, ann.id, AccountStatus::Deactivated, 21)
            .await
            .unwrap(),
        "no-op is reported"
    );
    let profile = json!({"title": "Lead"});
    let update = AccountProfileUpdate {
        email: "ann.new@acme.example",
        display_name: None,
        profile: &profile,
        replaces: &json!({}),
    };
    write_account(&mut tx, &profile_change(ann.id, update, 30))
        .await
        .unwrap();
    let stored = get_account(&mut tx, ann.id).await.unwrap().unwrap();
    assert_eq!(stored.status, AccountStatus::Deactivated);
    assert_eq!(stored.email.as_deref(), Some("ann.new@acme.example"));
    assert_eq!(stored.display_name, None);
    assert_eq!(stored.version, 3);

    let counters = ContentCounters {
        issues_reported: 2,
        issues_assigned: 1,
        comments: 0,
        page_edits: 4,
    };
    assert_eq!(content_counters(&mut tx, ann.id).await.unwrap().total(), 0);
    set_content_counters(&mut tx, ann.id, counters)
        .await
        .unwrap();
    assert_eq!(content_counters(&mut tx, ann.id).await.unwrap(), counters);

    assert!(tombstone_account(&mut tx, outsider.id, 40).await.unwrap());
    let tomb = get_account(&mut tx, outsider.id).await.unwrap().unwrap();
    assert_eq!(
        (tomb.email, tomb.display_name, tomb.tombstoned_at),
        (None, None, Some(40))
    );
    assert_eq!(tomb.profile, json!({}));
    // The erased address is free again.
    insert_account(&mut tx, &new_account("bob@elsewhere.example"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// A profile write that moves no directory record.
fn profile_change(id: AccountId, update: AccountProfileUpdate<'_>, at: i64) -> AccountChange<'_> {
    AccountChange {
        id,
        profile: Some(update),
        status: None,
        touch: Touch::NoneFound,
        at,
    }
}

async fn emails_are_unique_ignoring_case(db: TestDb) {
    let store = db.store().await;
    let mut tx = store.begin().await.unwrap();
    insert_account(&mut tx, &new_account("ann@acme.example"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    for taken in ["ANN@ACME.EXAMPLE", "Ann@Acme.example", "ann@acme.example"] {
        let mut tx = store.begin().await.unwrap();
        let err = insert_account(&mut tx, &new_account(taken))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict), "{taken}: {err:?}");
    }
    let mut tx = store.begin().await.unwrap();
    let other = new_account("other@acme.example");
    insert_account(&mut tx, &other).await.unwrap();
    let profile = json!({});
    let clash = AccountProfileUpdate {
        email: "ANN@acme.example",
        display_name: None,
        profile: &profile,
        replaces: &profile,
    };
    assert!(matches!(
        write_account(&mut tx, &profile_change(other.id, clash, 5)).await,
        Err(StoreError::Conflict)
    ));
}

async fn moving_a_domain_moves_management(db: TestDb) {
    let store = db.store().await;
    let mut tx = store.begin().await.unwrap();
    let a = org_with_domain(&mut tx, "A", "a.example").await;
    let b = org_with_domain(&mut tx, "B", "b.example").await;
    let ann = new_account("ann@shared.example");
    insert_account(&mut tx, &ann).await.unwrap();
    assert_eq!(managing_org(&mut tx, ann.id).await, None);
    assert!(insert_verified_domain(&mut tx, "shared.example", a, 3)
        .await
        .unwrap());
    assert!(
        !insert_verified_domain(&mut tx, "SHARED.example", b, 3)
            .await
            .unwrap(),
        "a verified domain cannot be verified again by another org"
    );
    assert_eq!(managing_org(&mut tx, ann.id).await, Some(a));
    assert!(
        !move_verified_domain(&mut tx, "shared.example", b, a, 4)
            .await
            .unwrap(),
        "only the holder's domain moves"
    );
    assert!(move_verified_domain(&mut tx, "shared.example", a, b, 4)
        .await
        .unwrap());
    assert_eq!(managing_org(&mut tx, ann.id).await, Some(b));
    assert_eq!(list_managed_accounts(&mut tx, a).await.unwrap().len(), 0);
    assert_eq!(list_managed_accounts(&mut tx, b).await.unwrap().len(), 1);
}

async fn sites_memberships_groups_and_grants(db: TestDb) {
    let (_store, mut tx, org) = acme_tx(&db).await;
    let site = Site {
        id: SiteId::new(),
        org_id: org,
        name: "main".into(),
        products: vec!["confluence".into(), "jira-software".into()],
        created_at: 5,
    };
    insert_site(&mut tx, &site).await.unwrap();
    assert_eq!(
        get_site(&mut tx, site.id).await.unwrap(),
        Some(site.clone())
    );
    assert_eq!(
        list_org_sites(&mut tx, org).await.unwrap(),
        vec![site.clone()]
    );

    let ann = new_account("ann@acme.example");
    insert_account(&mut tx, &ann).await.unwrap();
    let membership = SiteUser {
        site_id: site.id,
        account_id: ann.id,
        access: SiteAccess::InviteNotSent,
        role: SiteRole::Basic,
        created_at: 6,
        updated_at: 6,
    };
    put_site_user(&mut tx, &membership).await.unwrap();
    assert_eq!(
        get_site_user(&mut tx, site.id, ann.id).await.unwrap(),
        Some(membership.clone())
    );
    let removed = SiteUser {
        access: SiteAccess::Removed,
        role: SiteRole::SiteAdmin,
        updated_at: 7,
        ..membership.clone()
    };
    put_site_user(&mut tx, &removed).await.unwrap();
    assert_eq!(
        list_site_users(&mut tx, site.id).await.unwrap(),
        vec![removed],
        "removed users stay listed"
    );

    let directory = Directory {
        id: DirectoryId::new(),
        org_id: org,
        name: "okta".into(),
        group_patch_minimal: false,
        created_at: 8,
    };
    insert_directory(&mut tx, &directory).await.unwrap();
    assert!(set_group_patch_minimal(&mut tx, directory.id, true)
        .await
        .unwrap());
    let stored = get_directory(&mut tx, directory.id).await.unwrap().unwrap();
    assert!(stored.group_patch_minimal);
    assert_eq!(list_org_directories(&mut tx, org).await.unwrap().len(), 1);

    let synced = Group {
        id: GroupId::new(),
        org_id: org,
        directory_id: Some(directory.id),
        display_name: "Engineering".into(),
        external_id: Some("okta-123".into()),
        created_at: 9,
        updated_at: 9,
        version: 1,
    };
    insert_group(&mut tx, &synced).await.unwrap();
    assert_eq!(
        get_group(&mut tx, synced.id).await.unwrap(),
        Some(synced.clone())
    );
    let twin = Group {
        id: GroupId::new(),
        display_name: "ENGINEERING".into(),
        ..synced.clone()
    };
    // On PostgreSQL a failed statement spoils its transaction, so conflicts run in a savepoint.
    scimd::store::query("SAVEPOINT twin")
        .execute(&mut tx)
        .await
        .unwrap();
    assert!(
        matches!(
            insert_group(&mut tx, &twin).await,
            Err(StoreError::Conflict)
        ),
        "names unique per directory"
    );
    scimd::store::query("ROLLBACK TO SAVEPOINT twin")
        .execute(&mut tx)
        .await
        .unwrap();
    let local = Group {
        id: GroupId::new(),
        directory_id: None,
        ..twin
    };
    insert_group(&mut tx, &local).await.unwrap();

    let bob = new_account("bob@acme.example");
    insert_account(&mut tx, &bob).await.unwrap();
    assert_eq!(
        add_group_members(&mut tx, synced.id, &[ann.id, bob.id, ann.id], 10)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        add_group_members(&mut tx, synced.id, &[ann.id], 11)
            .await
            .unwrap(),
        0,
        "already a member"
    );
    assert_eq!(
        list_group_members(&mut tx, synced.id).await.unwrap().len(),
        2
    );
    assert_eq!(
        remove_group_members(&mut tx, synced.id, &[bob.id, bob.id])
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        list_group_members(&mut tx, synced.id).await.unwrap(),
        vec![ann.id]
    );

    let grant = ProductGrant {
        site_id: site.id,
        product: "jira-software".into(),
    };
    grant_group_product(&mut tx, synced.id, &grant)
        .await
        .unwrap();
    grant_group_product(&mut tx, synced.id, &grant)
        .await
        .unwrap();
    assert_eq!(
        list_group_grants(&mut tx, synced.id).await.unwrap(),
        vec![grant]
    );
    assert_eq!(
        account_site_products(&mut tx, ann.id, site.id)
            .await
            .unwrap(),
        vec!["jira-software"]
    );
    assert!(account_site_products(&mut tx, bob.id, site.id)
        .await
        .unwrap()
        .is_empty());
    tx.commit().await.unwrap();
}

on_both_backends! {
    organizations_domains_and_accounts => test_db,
    emails_are_unique_ignoring_case => test_db,
    moving_a_domain_moves_management => test_db,
    sites_memberships_groups_and_grants => test_db,
}
