//! The server under test: a real `scimd` process (this build's, or the one named by
//! `SCIMD_BENCH_SERVER`, to compare versions on the same data), measured from outside.

use std::process::{Command, Stdio};

use serde_json::Value;

#[path = "../../tests/api/helpers/serve.rs"]
mod serve;

/// The server under test.
pub type Server = serve::ServeProcess;

/// The binary to measure.
pub fn binary() -> String {
    std::env::var("SCIMD_BENCH_SERVER").unwrap_or_else(|_| env!("CARGO_BIN_EXE_scimd").to_owned())
}

/// `scimd bootstrap` through the binary's own CLI (which also applies its migrations).
pub fn bootstrap(url: &str) -> Value {
    let output = Command::new(binary())
        .args(["bootstrap", "--org", "Bench", "--domain", "bench.example"])
        .env("DATABASE_URL", url)
        .output()
        .expect("run scimd bootstrap");
    assert!(
        output.status.success(),
        "bootstrap: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("bootstrap prints JSON")
}

impl Server {
    /// `scimd serve` on `url`, its statement counts exposed for the report.
    pub async fn on(url: &str) -> Server {
        let mut command = Command::new(binary());
        command
            .env("DATABASE_URL", url)
            .env("SCIMD_LOG", "error")
            .env("SCIMD_EXPOSE_STATEMENT_COUNTS", "true")
            .stderr(Stdio::inherit());
        Server::start(command).await
    }

    /// CPU time the server has used, user and system, in seconds.
    pub fn cpu_seconds(&self) -> f64 {
        process_cpu_seconds(&self.child.id().to_string())
    }

    /// Resident memory now and at its peak, in MiB.
    pub fn rss_mib(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map_or(0.0, |kb| kb / 1024.0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

/// CPU time (user and system, in seconds) of process `pid` (`self` for this one).
pub fn process_cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Linux reports clock ticks in USER_HZ, 100 a second, to user space.
    (ticks(11) + ticks(12)) / 100.0
}

/// CPU time the whole machine has spent busy (every core, anything but idle and waiting
/// for I/O), in seconds: the server, this load generator, the database server and the
/// kernel's work for them.
pub fn machine_busy_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(cpu) = stat.lines().find(|l| l.starts_with("cpu ")) else {
        return 0.0;
    };
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    let ticks: Vec<f64> = cpu
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|v| v.parse().unwrap_or(0.0))
        .collect();
    let busy: f64 = ticks
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, t)| t)
        .sum();
    busy / 100.0
}
