//! The email outbox. The transaction that decides to send an email writes a row; after the
//! commit, [`deliver_pending`] hands rows to an [`EmailSender`]. A crash between the two
//! loses nothing (the row waits), and a rolled-back invite sends nothing.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::views::OutboxView;
use super::{load_site, site_facts, AdminActor, AdminResult};
use crate::domain::audit::{OutboxKind, OutboxStatus};
use crate::domain::{authorize_site_admin, AccountId, SiteId};
use crate::store::{self, Store, StoreResult};

/// Attempts before an email is given up as `failed`.
const MAX_ATTEMPTS: i64 = 5;
/// A row claimed this long ago by a process that never finished is claimed again.
const CLAIM_TIMEOUT_MICROS: i64 = 10 * 60 * 1_000_000;
const BATCH: i64 = 100;

/// One email to deliver. The address is read from the account at delivery time and is
/// never written to the log: `Debug` leaves it out.
#[derive(Clone)]
pub struct OutgoingEmail {
    pub id: uuid::Uuid,
    pub kind: String,
    pub site_id: SiteId,
    pub site_name: String,
    pub account_id: AccountId,
    pub to: String,
}

crate::store::debug_only!(OutgoingEmail {
    id,
    kind,
    site_id,
    account_id
});

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// Delivers emails (SMTP, an HTTP email API, ...). An error is kept on the row (so it must
/// not quote the address) and the email is retried later.
pub trait EmailSender: Send + Sync {
    fn send<'a>(&'a self, email: &'a OutgoingEmail) -> SendFuture<'a>;
}

/// The default sender: writes a line per email to the log, with ids only.
#[derive(Clone, Copy, Debug, Default)]
pub struct LogSender;

impl EmailSender for LogSender {
    fn send<'a>(&'a self, email: &'a OutgoingEmail) -> SendFuture<'a> {
        Box::pin(async move {
            tracing::info!(
                email_id = %email.id,
                kind = %email.kind,
                site_id = %email.site_id,
                account_id = %email.account_id,
                "email sent (log sender)"
            );
            Ok(())
        })
    }
}

/// The sender the server uses; shared by every worker.
#[derive(Clone)]
pub struct Outbox {
    sender: Arc<dyn EmailSender>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Outbox")
    }
}

impl Default for Outbox {
    fn default() -> Self {
        Self::new(Arc::new(LogSender))
    }
}

impl Outbox {
    pub fn new(sender: Arc<dyn EmailSender>) -> Self {
        Self { sender }
    }

    /// Sends what is waiting. Failures stay on the rows and are logged by id; they never
    /// fail the request that queued the email.
    pub async fn deliver(&self, store: &Store) {
        match deliver_pending(store, self.sender.as_ref()).await {
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "email delivery postponed"),
        }
    }
}

/// Queues an invitation inside the caller's transaction.
pub(crate) async fn queue_invitation(
    tx: &mut store::Conn,
    site: SiteId,
    account: AccountId,
    at: i64,
) -> StoreResult<()> {
    queue_invitations(tx, site, &[account], at).await
}

/// Queues invitations for many accounts of a site, in one statement.
pub(crate) async fn queue_invitations(
    tx: &mut store::Conn,
    site: SiteId,
    accounts: &[AccountId],
    at: i64,
) -> StoreResult<()> {
    store::queue_emails(tx, OutboxKind::SiteInvitation, site, accounts, at).await
}

/// Claims and sends waiting emails, one short transaction per state change so that no
/// database lock is held while the sender talks to the outside world. Returns how many
/// were sent.
pub async fn deliver_pending(store: &Store, sender: &dyn EmailSender) -> StoreResult<usize> {
    let now = store::now_micros();
    let stale = now - CLAIM_TIMEOUT_MICROS;
    let ids = {
        let mut conn = store.read().await?;
        store::pending_emails(&mut conn, stale, BATCH).await?
    };
    if ids.is_empty() {
        return Ok(0);
    }
    // The batch is claimed, and the claim committed, before anything is sent; each outcome
    // is then committed as soon as it is known, so a crash re-sends at most what was in
    // flight (once its claim goes stale).
    let mut tx = store.begin().await?;
    let claimed = store::claim_emails(&mut tx, &ids, store::now_micros(), stale).await?;
    tx.commit().await?;
    let recipients = recipients(store, &claimed).await?;
    let mut sent = 0;
    for row in claimed {
        let (status, error) = match recipients.get(&row.id) {
            None => (
                OutboxStatus::Cancelled,
                Some("the account is deactivated or deleted".to_owned()),
            ),
            Some(email) => match sender.send(email).await {
                Ok(()) => (OutboxStatus::Sent, None),
                Err(e) if row.attempts >= MAX_ATTEMPTS => (OutboxStatus::Failed, Some(e)),
                Err(e) => (OutboxStatus::Queued, Some(e)),
            },
        };
        if status == OutboxStatus::Sent {
            sent += 1;
        } else {
            tracing::warn!(email_id = %row.id, status = status.as_str(), "email not delivered");
        }
        let mut tx = store.begin().await?;
        store::finish_email(
            &mut tx,
            row.id,
            status,
            error.as_deref(),
            store::now_micros(),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(sent)
}

/// Each claimed email's recipient, by the email's id: its account's current address and its
/// site's name, read for the whole batch at once (its accounts in one statement, its sites
/// in another). An email whose account is deactivated or gone, or whose site is gone, has
/// none.
async fn recipients(
    store: &Store,
    rows: &[store::OutboxEmail],
) -> StoreResult<HashMap<uuid::Uuid, OutgoingEmail>> {
    let mut conn = store.read().await?;
    let account_ids = distinct(rows.iter().map(|row| row.account_id));
    // A deactivated account cannot sign in: an invitation would only confuse its owner.
    let addresses: HashMap<AccountId, String> = store::get_accounts(&mut conn, &account_ids)
        .await?
        .into_iter()
        .filter(|account| account.status.is_active())
        .filter_map(|account| Some((account.id, account.email?)))
        .collect();
    let site_ids = distinct(rows.iter().map(|row| row.site_id));
    let sites: HashMap<SiteId, String> = store::sites_without_products(&mut conn, &site_ids)
        .await?
        .into_iter()
        .map(|site| (site.id, site.name))
        .collect();
    Ok(rows
        .iter()
        .filter_map(|row| {
            let to = addresses.get(&row.account_id)?.clone();
            let site_name = sites.get(&row.site_id)?.clone();
            let email = OutgoingEmail {
                id: row.id,
                kind: row.kind.clone(),
                site_id: row.site_id,
                site_name,
                account_id: row.account_id,
                to,
            };
            Some((row.id, email))
        })
        .collect())
}

fn distinct<T: Ord>(values: impl Iterator<Item = T>) -> Vec<T> {
    let mut values: Vec<T> = values.collect();
    values.sort_unstable();
    values.dedup();
    values
}

/// What a site's outbox holds, newest first, optionally for one account.
pub async fn list(
    store: &Store,
    who: &AdminActor,
    site: SiteId,
    account: Option<AccountId>,
    limit: i64,
) -> AdminResult<Vec<OutboxView>> {
    let mut conn = store.read().await?;
    let site = load_site(&mut conn, site).await?;
    authorize_site_admin(who.actor(), &site_facts(&site))?;
    let rows = store::list_site_outbox(&mut conn, site.id, account, limit).await?;
    Ok(rows.into_iter().map(OutboxView::from).collect())
}
