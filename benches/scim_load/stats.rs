//! One row of the report: what a run of requests measured, printed as a table row and
//! (with `SCIMD_BENCH_JSON`) appended as a JSON line.

use std::io::Write as _;
use std::time::Duration;

use serde_json::json;

pub struct Stats {
    pub name: String,
    pub latencies: Vec<Duration>,
    pub elapsed: Duration,
    pub errors: usize,
    /// Server CPU seconds over the run.
    pub cpu: f64,
    /// This load generator's CPU seconds over the run.
    pub client_cpu: f64,
    /// The whole machine's busy CPU seconds over the run.
    pub machine_cpu: f64,
    /// Statements the server reported, and how many responses reported them.
    pub statements: (u64, u64),
}

/// What every row of the report shares.
pub struct Context {
    pub backend: &'static str,
    pub users: usize,
    pub server: String,
}

impl Stats {
    pub fn print(&self, context: &Context) {
        if self.latencies.is_empty() && self.errors == 0 {
            return;
        }
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let pct = |p: f64| {
            let i = ((sorted.len() as f64 * p).ceil() as usize).saturating_sub(1);
            sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        let done = sorted.len().max(1) as f64;
        let rate = sorted.len() as f64 / self.elapsed.as_secs_f64();
        let cpu_us = self.cpu * 1e6 / done;
        let client_us = self.client_cpu * 1e6 / done;
        let machine_us = self.machine_cpu * 1e6 / done;
        let statements =
            (self.statements.1 > 0).then(|| self.statements.0 as f64 / self.statements.1 as f64);
        println!(
            "{:<30} {:>6} {:>9.0} {:>8.2} {:>8.2} {:>9.0} {:>9.0} {:>9.0} {:>6} {:>6}",
            self.name,
            sorted.len(),
            rate,
            pct(0.50),
            pct(0.99),
            cpu_us,
            client_us,
            machine_us,
            statements.map_or("-".to_owned(), |s| format!("{s:.1}")),
            self.errors
        );
        if let Ok(path) = std::env::var("SCIMD_BENCH_JSON") {
            let line = json!({
                "backend": context.backend, "users": context.users, "server": context.server,
                "operation": self.name, "ok": sorted.len(), "req_per_s": rate,
                "p50_ms": pct(0.50), "p99_ms": pct(0.99), "cpu_us_per_req": cpu_us,
                "client_cpu_us_per_req": client_us, "machine_cpu_us_per_req": machine_us,
                "statements_per_req": statements, "errors": self.errors,
            });
            if let Ok(mut file) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
            {
                let _ = writeln!(file, "{line}");
            }
        }
    }
}
