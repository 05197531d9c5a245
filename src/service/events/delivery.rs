//! The delivery worker of `scimd serve`: pushes each receiver's waiting SETs (RFC 8935),
//! one at a time and in order, retrying with exponential backoff.
//!
//! - **Order.** A receiver's queue is delivered by one process at a time, the holder of
//!   its lease (a row update only one process wins), oldest first; a failed SET blocks
//!   the ones after it until it goes through, so a receiver never sees a later change of
//!   a resource before an earlier one.
//! - **At least once.** A SET is marked delivered only after the receiver answered 202.
//!   A crash, a stop or a timeout in between leaves it waiting, and it is sent again with
//!   the same `jti` (derived from the receiver and the row), by which the receiver can
//!   drop the duplicate.
//! - **Refused for good.** A 400 with an RFC 8935 error body (`err`) says the receiver
//!   will never take this SET; it is marked `rejected` (visible in the admin API) and the
//!   queue goes on. Anything else (no answer, 5xx, 401, a 2xx other than 202) is retried.
//! - **Several processes.** Any number of servers on one PostgreSQL database share the
//!   work through the leases; a lease of a process that died expires after [`LEASE`]. On
//!   SQLite one server delivers, and it frees every lease when it starts.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;

use super::signing::SetSigner;
use super::ResourceKind;
use crate::domain::events::EventMask;
use crate::scim::events::{SetClaims, Subject, SET_CONTENT_TYPE};
use crate::store::{self, Receiver, SecurityEvent, Store, StoreResult};

/// How often the worker looks for receivers with events due.
const POLL: Duration = Duration::from_millis(200);
/// How long a lease lasts without renewal; renewed before each push.
const LEASE: Duration = Duration::from_secs(30);
/// How long one push may take.
const PUSH_TIMEOUT: Duration = Duration::from_secs(10);
/// The first retry waits this long, each further one twice as long...
const BACKOFF_BASE: Duration = Duration::from_secs(1);
/// ... up to this.
pub const BACKOFF_CAP: Duration = Duration::from_secs(300);
/// Delivered and rejected SETs are kept this long for the admin API, then forgotten.
const KEEP: Duration = Duration::from_secs(7 * 24 * 3600);
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// SETs read per round trip of one receiver's queue.
const BATCH: i64 = 50;
/// Receivers started per poll.
const RECEIVERS_PER_POLL: i64 = 32;

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// The wait before attempt `failures + 1` of a receiver that failed `failures` times.
pub fn backoff(failures: i64) -> Duration {
    let exponent = u32::try_from(failures.saturating_sub(1).clamp(0, 16)).unwrap_or(16);
    BACKOFF_BASE.saturating_mul(1 << exponent).min(BACKOFF_CAP)
}

/// What one push came to.
#[derive(Debug)]
enum Outcome {
    Delivered,
    Rejected(String),
    Retry(String),
}

struct Worker {
    store: Store,
    signer: Arc<SetSigner>,
    client: reqwest::Client,
    /// This process's name on the leases it holds.
    owner: String,
    issuer: String,
    active: Mutex<HashSet<uuid::Uuid>>,
}

/// The running worker; [`Delivery::stop`] ends it and gives its leases up.
pub struct Delivery {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Delivery {
    /// Starts delivering. `issuer` is the SETs' `iss`.
    pub fn start(store: Store, signer: Arc<SetSigner>, issuer: String) -> Self {
        let client = reqwest::Client::builder()
            .timeout(PUSH_TIMEOUT)
            // A receiver's URL is where SETs go; a redirect could send them elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        let worker = Arc::new(Worker {
            store,
            signer,
            client,
            owner: uuid::Uuid::new_v4().to_string(),
            issuer,
            active: Mutex::default(),
        });
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(worker, stopped));
        Self { stop, task }
    }

    /// Stops pushing: a push under way is abandoned (its SET stays waiting) and every
    /// lease is given up, so the next server to start delivers at once.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

async fn run(worker: Arc<Worker>, mut stopped: watch::Receiver<bool>) {
    if worker.store.backend() == store::Backend::Sqlite {
        if let Err(err) = free_leases(&worker.store).await {
            tracing::warn!(error = %err, "cannot free the security event leases");
        }
    }
    let mut tasks = JoinSet::new();
    let mut pruned_at: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            _ = stopped.changed() => break,
            () = tokio::time::sleep(POLL) => {}
        }
        while tasks.try_join_next().is_some() {}
        if worker.store.is_closed() {
            break;
        }
        if let Err(err) = start_due(&worker, &mut tasks, &stopped).await {
            tracing::warn!(error = %err, "cannot look for security events to deliver");
        }
        if pruned_at.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
            pruned_at = Some(tokio::time::Instant::now());
            if let Err(err) = prune(&worker.store).await {
                tracing::warn!(error = %err, "cannot prune delivered security events");
            }
        }
    }
    while tasks.join_next().await.is_some() {}
}

async fn free_leases(store: &Store) -> StoreResult<()> {
    let mut tx = store.begin().await?;
    store::release_all_receivers(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

async fn prune(store: &Store) -> StoreResult<()> {
    let mut tx = store.begin().await?;
    store::prune_security_events(&mut tx, store::now_micros() - micros(KEEP)).await?;
    tx.commit().await?;
    Ok(())
}

async fn start_due(
    worker: &Arc<Worker>,
    tasks: &mut JoinSet<()>,
    stopped: &watch::Receiver<bool>,
) -> StoreResult<()> {
    let now = store::now_micros();
    let due = {
        let mut conn = worker.store.read().await?;
        store::due_receivers(&mut conn, now, RECEIVERS_PER_POLL).await?
    };
    for id in due {
        let busy = worker.active.lock().map_or(true, |a| a.contains(&id));
        if busy || !worker.lease(id).await? {
            continue;
        }
        if let Ok(mut active) = worker.active.lock() {
            active.insert(id);
        }
        let worker = worker.clone();
        let stopped = stopped.clone();
        tasks.spawn(async move {
            if let Err(err) = worker.deliver_queue(id, stopped).await {
                tracing::warn!(receiver_id = %id, error = %err, "security event delivery interrupted");
            }
            let _ = worker.release(id).await;
            if let Ok(mut active) = worker.active.lock() {
                active.remove(&id);
            }
        });
    }
    Ok(())
}

impl Worker {
    async fn lease(&self, id: uuid::Uuid) -> StoreResult<bool> {
        let now = store::now_micros();
        let mut tx = self.store.begin().await?;
        let won = store::lease_receiver(&mut tx, id, &self.owner, now, now + micros(LEASE)).await?;
        tx.commit().await?;
        Ok(won)
    }

    async fn release(&self, id: uuid::Uuid) -> StoreResult<()> {
        let mut tx = self.store.begin().await?;
        store::release_receiver(&mut tx, id, &self.owner).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Pushes the receiver's queue in order until it is empty, a push fails, the lease is
    /// lost or the worker stops.
    async fn deliver_queue(
        &self,
        id: uuid::Uuid,
        mut stopped: watch::Receiver<bool>,
    ) -> StoreResult<()> {
        let Some(mut receiver) = ({
            let mut conn = self.store.read().await?;
            store::get_receiver(&mut conn, id).await?
        }) else {
            return Ok(());
        };
        loop {
            let batch = {
                let mut conn = self.store.read().await?;
                store::pending_events(&mut conn, id, BATCH).await?
            };
            if batch.is_empty() {
                return Ok(());
            }
            for event in batch {
                if *stopped.borrow() || !self.lease(id).await? {
                    return Ok(());
                }
                let outcome = tokio::select! {
                    outcome = self.push(&receiver, &event) => outcome,
                    _ = stopped.changed() => return Ok(()),
                };
                let retry = self.record(&mut receiver, &event, &outcome).await?;
                if retry {
                    return Ok(());
                }
            }
        }
    }

    /// Keeps the outcome; true when the queue must wait for a retry.
    async fn record(
        &self,
        receiver: &mut Receiver,
        event: &SecurityEvent,
        outcome: &Outcome,
    ) -> StoreResult<bool> {
        let now = store::now_micros();
        let mut tx = self.store.begin().await?;
        let retry = match outcome {
            Outcome::Delivered => {
                store::event_attempted(&mut tx, event.seq, "delivered", None, now).await?;
                store::receiver_succeeded(&mut tx, receiver.id, now).await?;
                receiver.failures = 0;
                tracing::debug!(receiver_id = %receiver.id, seq = event.seq, "SET delivered");
                false
            }
            Outcome::Rejected(error) => {
                store::event_attempted(&mut tx, event.seq, "rejected", Some(error), now).await?;
                store::receiver_failed(&mut tx, receiver.id, error, now, None).await?;
                tracing::warn!(receiver_id = %receiver.id, seq = event.seq, "SET rejected by the receiver");
                false
            }
            Outcome::Retry(error) => {
                receiver.failures += 1;
                let wait = backoff(receiver.failures);
                store::event_attempted(&mut tx, event.seq, "pending", Some(error), now).await?;
                store::receiver_failed(&mut tx, receiver.id, error, now, Some(now + micros(wait)))
                    .await?;
                tracing::warn!(
                    receiver_id = %receiver.id,
                    seq = event.seq,
                    retry_in_secs = wait.as_secs(),
                    "SET not delivered; will retry"
                );
                true
            }
        };
        tx.commit().await?;
        let outcome = match outcome {
            Outcome::Delivered => "delivered",
            Outcome::Rejected(_) => "rejected",
            Outcome::Retry(_) => "failed",
        };
        metrics::counter!("scimd_security_event_pushes_total", "outcome" => outcome).increment(1);
        Ok(retry)
    }

    /// The SET for one row, as this receiver is sent it.
    fn set_for(
        &self,
        receiver: &Receiver,
        event: &SecurityEvent,
    ) -> Result<Option<String>, String> {
        let subscribed: Vec<&str> = EventMask(receiver.event_mask)
            .events()
            .into_iter()
            .map(|e| e.uri())
            .collect();
        // The same row always gets the same jti, so a receiver can drop a redelivery.
        let jti = super::jti(receiver.id, event.seq);
        let claims = SetClaims {
            issuer: &self.issuer,
            audience: &receiver.audience,
            jti: &jti,
            txn: &event.txn,
            issued_at: store::now_micros().div_euclid(1_000_000),
            time_of_event: event.created_at.div_euclid(1_000_000),
            subject: Subject {
                endpoint: ResourceKind::endpoint(&event.resource_type),
                id: event.resource_id.to_string(),
                external_id: event.external_id.as_deref(),
            },
            candidates: &event.events,
            subscribed: &subscribed,
        };
        let Some(claims) = claims.to_json() else {
            return Ok(None);
        };
        self.signer
            .sign(&claims)
            .map(Some)
            .map_err(|e| format!("cannot sign the SET: {e}"))
    }

    async fn push(&self, receiver: &Receiver, event: &SecurityEvent) -> Outcome {
        let set = match self.set_for(receiver, event) {
            Ok(Some(set)) => set,
            // Nothing of this change is subscribed: there is nothing to send.
            Ok(None) => return Outcome::Delivered,
            Err(error) => return Outcome::Retry(error),
        };
        let mut request = self
            .client
            .post(&receiver.url)
            .header(reqwest::header::CONTENT_TYPE, SET_CONTENT_TYPE)
            .header(reqwest::header::ACCEPT, "application/json")
            .body(set);
        if let Some(auth) = &receiver.auth_header {
            request = request.header(reqwest::header::AUTHORIZATION, auth);
        }
        let response = match request.send().await {
            Ok(response) => response,
            // Without the URL: it is configuration, and may carry a secret.
            Err(err) => return Outcome::Retry(format!("no answer: {}", err.without_url())),
        };
        let status = response.status().as_u16();
        if status == 202 {
            return Outcome::Delivered;
        }
        if status == 400 {
            // RFC 8935 §2.4: {"err": "...", "description": "..."}.
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            if let Some(err) = body.get("err").and_then(|e| e.as_str()) {
                let description = body
                    .get("description")
                    .and_then(|d| d.as_str())
                    .unwrap_or_default();
                let mut error = format!("400 {err}: {description}");
                error.truncate(500);
                return Outcome::Rejected(error);
            }
        }
        Outcome::Retry(format!(
            "HTTP {status} (expected 202 Accepted, RFC 8935 §2.3)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(2), Duration::from_secs(2));
        assert_eq!(backoff(5), Duration::from_secs(16));
        assert_eq!(backoff(9), Duration::from_secs(256));
        assert_eq!(backoff(10), BACKOFF_CAP);
        assert_eq!(backoff(i64::MAX), BACKOFF_CAP);
    }
}
