//! A delivery pass of the email outbox reads what it sends for the whole batch at once: the
//! accounts in one statement, their sites in another, however many sites the batch names.

use std::sync::Mutex;

use scimd::domain::audit::OutboxKind;
use scimd::domain::*;
use scimd::service::admin::outbox::{deliver_pending, EmailSender, OutgoingEmail, SendFuture};
use scimd::store::db::counting;
use scimd::store::*;

use crate::helpers::*;
use crate::on_both_backends;
use crate::store_model::{new_account, org_with_domain};

/// Keeps the address and site name of each email it is handed.
#[derive(Default)]
struct Recorded(Mutex<Vec<(String, String)>>);

impl EmailSender for Recorded {
    fn send<'a>(&'a self, email: &'a OutgoingEmail) -> SendFuture<'a> {
        Box::pin(async move {
            let sent = (email.to.clone(), email.site_name.clone());
            self.0.lock().map_err(|e| e.to_string())?.push(sent);
            Ok(())
        })
    }
}

async fn add_site(store: &Store, org: OrgId, name: &str) -> Site {
    let site = Site {
        id: SiteId::new(),
        org_id: org,
        name: name.into(),
        products: Vec::new(),
        created_at: 3,
    };
    let mut tx = store.begin().await.unwrap();
    insert_site(&mut tx, &site).await.unwrap();
    tx.commit().await.unwrap();
    site
}

/// Invites a new account for each of `emails`, the n-th to `sites[n % sites.len()]`, then
/// runs a delivery pass: the statements it ran, and what it sent (sorted).
async fn invite_and_deliver(
    store: &Store,
    sites: &[&Site],
    emails: &[&str],
) -> (u32, Vec<(String, String)>) {
    let mut tx = store.begin().await.unwrap();
    for (n, email) in emails.iter().enumerate() {
        let account = new_account(email);
        insert_account(&mut tx, &account).await.unwrap();
        let site = sites[n % sites.len()].id;
        queue_emails(&mut tx, OutboxKind::SiteInvitation, site, &[account.id], 20)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let sender = Recorded::default();
    let (sent, counts) = counting(deliver_pending(store, &sender)).await;
    assert_eq!(sent.unwrap(), emails.len(), "every queued email is sent");
    let mut got = sender.0.into_inner().unwrap();
    got.sort();
    (counts.statements, got)
}

async fn a_delivery_pass_reads_its_sites_in_one_statement(db: TestDb) {
    let store = db.store().await;
    let mut tx = store.begin().await.unwrap();
    let org = org_with_domain(&mut tx, "Acme", "acme.example").await;
    tx.commit().await.unwrap();
    let (wiki, tracker, code) = (
        add_site(&store, org, "Wiki").await,
        add_site(&store, org, "Tracker").await,
        add_site(&store, org, "Code").await,
    );
    let (one_site, sent) = invite_and_deliver(
        &store,
        &[&wiki],
        &["ann@acme.example", "ben@acme.example", "cy@acme.example"],
    )
    .await;
    assert_eq!(
        sent,
        [
            ("ann@acme.example".to_owned(), "Wiki".to_owned()),
            ("ben@acme.example".to_owned(), "Wiki".to_owned()),
            ("cy@acme.example".to_owned(), "Wiki".to_owned()),
        ]
    );
    let (three_sites, sent) = invite_and_deliver(
        &store,
        &[&wiki, &tracker, &code],
        &["di@acme.example", "ed@acme.example", "fay@acme.example"],
    )
    .await;
    assert_eq!(
        sent,
        [
            ("di@acme.example".to_owned(), "Wiki".to_owned()),
            ("ed@acme.example".to_owned(), "Tracker".to_owned()),
            ("fay@acme.example".to_owned(), "Code".to_owned()),
        ],
        "each email names its own site"
    );
    assert_eq!(
        three_sites, one_site,
        "three emails to three sites cost what three to one site cost"
    );
}

on_both_backends! {
    a_delivery_pass_reads_its_sites_in_one_statement => test_db,
}
