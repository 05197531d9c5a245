//! The store's own periodic tasks (connection expiry, SQLite checkpoints). They end when the
//! store is closed, or when its last handle is dropped without closing (tests, the CLI):
//! each waits on a channel whose sender only the store holds, and holds nothing that keeps
//! the store's pools alive.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{Instant, Interval, MissedTickBehavior};

pub(super) struct Background {
    stop: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Background {
    pub(super) fn new() -> Self {
        Background {
            stop: watch::Sender::new(false),
            tasks: Mutex::default(),
        }
    }

    /// What a task watches for the store's end.
    pub(super) fn stopping(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    pub(super) fn spawn(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        let handle = tokio::spawn(task);
        match self.tasks.lock() {
            Ok(mut tasks) => tasks.push(handle),
            // Unreachable in practice (nothing panics holding the lock); the task still
            // stops with the store, it just is not awaited by `stop`.
            Err(_) => drop(handle),
        }
    }

    /// Tells every task to stop, and waits until each has let go of its connections.
    pub(super) async fn stop(&self) {
        self.stop.send_replace(true);
        let tasks = match self.tasks.lock() {
            Ok(mut tasks) => std::mem::take(&mut *tasks),
            Err(_) => Vec::new(),
        };
        for task in tasks {
            let _ = task.await;
        }
    }
}

impl std::fmt::Debug for Background {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Background")
            .field("stopped", &*self.stop.borrow())
            .finish()
    }
}

/// Ticks every `period`, the first one period from now (the store has just connected).
pub(super) fn ticker(period: Duration) -> Interval {
    // `interval` refuses a zero period; a configured zero means "as often as sensible".
    let period = period.max(Duration::from_millis(1));
    let mut tick = tokio::time::interval_at(Instant::now() + period, period);
    // A sweep that ran late (a busy runtime) is not made up for with a burst of them.
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    tick
}

/// Waits for the next tick: false once the store is closing or gone.
pub(super) async fn next_tick(tick: &mut Interval, stop: &mut watch::Receiver<bool>) -> bool {
    if *stop.borrow() {
        return false;
    }
    tokio::select! {
        _ = tick.tick() => !*stop.borrow(),
        // Either `stop` was sent (the only change ever made) or the store was dropped.
        _ = stop.changed() => false,
    }
}
