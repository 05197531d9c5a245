//! A `scimd serve` process on a free port of 127.0.0.1, killed when dropped: the tests'
//! servers that must be real processes, and the load benchmark's server under test. The
//! benchmark includes this file by path, so it uses nothing of either crate.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct ServeProcess {
    pub child: Child,
    /// `http://127.0.0.1:{port}`.
    pub base: String,
}

impl ServeProcess {
    /// Runs `scimd serve` as `command` sets it up (the binary, its database and logging)
    /// on a free port, and waits until it is ready.
    pub async fn start(mut command: Command) -> ServeProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = command
            .arg("serve")
            .env("SCIMD_BIND", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .spawn()
            .expect("start scimd serve");
        let server = ServeProcess {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        for _ in 0..400 {
            if let Ok(reply) = client.get(format!("{}/readyz", server.base)).send().await {
                if reply.status().is_success() {
                    return server;
                }
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("scimd serve did not become ready");
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
