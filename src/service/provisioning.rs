//! Recording the provisioning log: a SCIM write that succeeded is logged in its own
//! transaction (`ScimContext::log_write`); one that failed afterwards, in a small write of
//! its own ([`record_failure`]), which changes nothing else. Old entries are pruned in the
//! background ([`spawn_pruner`]).

use std::time::Duration;

use super::error::ServiceResult;
use super::scim_context::ScimContext;
use crate::domain::{
    outcome_of, retention_cutoff, AccountId, DirectoryRef, ProvisionedResource,
    ProvisioningOperation, ProvisioningOutcome,
};
use crate::store::{self, NewProvisioningEntry, Store, StoreResult, Tx};

/// A SCIM write that succeeded, as its use case knows it.
#[derive(Clone, Debug)]
pub struct LoggedWrite<'a> {
    pub operation: ProvisioningOperation,
    pub resource: ProvisionedResource,
    pub resource_id: uuid::Uuid,
    /// A user's account and its email (after the write).
    pub account: Option<(AccountId, Option<&'a str>)>,
    /// False when the write asked for what was already there.
    pub changed: bool,
}

impl ScimContext<'_> {
    /// Adds the write's entry to its transaction: it commits (or vanishes) with the write,
    /// in the statement that writes the transaction's audit entries.
    pub async fn log_write(&self, tx: &mut Tx, write: LoggedWrite<'_>) -> ServiceResult<()> {
        store::append_provisioning(tx, self.logged_entry(write)).await?;
        Ok(())
    }

    /// The provisioning log's entry of a write that succeeded.
    pub fn logged_entry(&self, write: LoggedWrite<'_>) -> NewProvisioningEntry {
        let (account_id, email) = write.account.unzip();
        NewProvisioningEntry {
            at: store::now_micros(),
            org_id: self.directory.org,
            directory_id: self.directory.id,
            token_id: self.token,
            operation: write.operation,
            resource_type: write.resource,
            resource_id: Some(write.resource_id),
            account_id,
            email: email.flatten().map(str::to_owned),
            outcome: ProvisioningOutcome::Ok,
            changed: Some(write.changed),
            status: None,
            code: None,
            detail: None,
        }
    }

    /// Logs a write that changed nothing and so committed nothing (a group PATCH that
    /// repeats the group as it is rolls back, keeping its version): a write of its own.
    pub async fn log_unchanged(&self, write: LoggedWrite<'_>) -> ServiceResult<()> {
        let mut tx = self.store.begin().await?;
        self.log_write(&mut tx, write).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A SCIM write that failed, as the HTTP layer answered it.
#[derive(Clone, Debug)]
pub struct FailedWrite {
    pub directory: DirectoryRef,
    /// The `jti` of the token used.
    pub token: uuid::Uuid,
    pub operation: ProvisioningOperation,
    pub resource: ProvisionedResource,
    /// The id in the path, if it was one.
    pub resource_id: Option<uuid::Uuid>,
    /// The email the request asked for (a create); otherwise the addressed user's.
    pub email: Option<String>,
    pub status: u16,
    /// The refusal's code, when a rule refused.
    pub refusal: Option<&'static str>,
    /// The refusal's explanation of who can act (`domain::kept_refusal_text`).
    pub refusal_text: Option<String>,
    /// A client error's SCIM `scimType`.
    pub scim_type: Option<&'static str>,
}

/// Records a failed write, after its own transaction rolled back: a write of its own, so
/// the refused request still changes nothing else.
pub async fn record_failure(store: &Store, failed: FailedWrite) -> ServiceResult<()> {
    let outcome = outcome_of(failed.status, failed.refusal.is_some());
    let entry = NewProvisioningEntry {
        at: store::now_micros(),
        org_id: failed.directory.org,
        directory_id: failed.directory.id,
        token_id: failed.token,
        operation: failed.operation,
        resource_type: failed.resource,
        resource_id: failed.resource_id,
        account_id: None,
        email: failed.email,
        outcome,
        changed: None,
        status: Some(failed.status),
        code: failed.refusal.or(failed.scim_type).map(str::to_owned),
        detail: failed.refusal_text,
    };
    let mut tx = store.begin().await?;
    store::insert_failed_provisioning(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes the entries older than `days` days, in batches; how many went.
pub async fn prune(store: &Store, days: u32, now: i64) -> StoreResult<u64> {
    let cutoff = retention_cutoff(now, days);
    let mut total = 0;
    loop {
        let mut tx = store.begin().await?;
        // One batch per transaction: a short hold on SQLite's writer, which IdP requests
        // share.
        let deleted = store::prune_provisioning_log(&mut tx, cutoff).await?;
        tx.commit().await?;
        total += deleted;
        if deleted < store::PRUNE_BATCH {
            return Ok(total);
        }
        // Lets queued requests take the writer between batches.
        tokio::task::yield_now().await;
    }
}

/// How often the server prunes: often enough that each run deletes a few batches.
pub const PRUNE_EVERY: Duration = Duration::from_secs(600);

/// Prunes at start and then every [`PRUNE_EVERY`], until the task is aborted.
pub fn spawn_pruner(store: Store, days: u32) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(PRUNE_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match prune(&store, days, store::now_micros()).await {
                Ok(0) => {}
                Ok(deleted) => tracing::info!(deleted, days, "pruned the provisioning log"),
                Err(err) => tracing::warn!(error = %err, "cannot prune the provisioning log"),
            }
        }
    })
}
