//! The real binary: admin commands print JSON, and several `scimd serve` processes on one
//! database accept the same tokens, before and after restarts.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::helpers::*;
use crate::on_both_backends;

const BIN: &str = env!("CARGO_BIN_EXE_scimd");

fn run(db: &TestDb, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", &db.url)
        .output()
        .expect("run scimd")
}

fn scimd(db: &TestDb, args: &[&str]) -> Value {
    let output = run(db, args);
    assert!(
        output.status.success(),
        "scimd {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("scimd prints JSON")
}

/// `scimd serve` on `db`.
async fn serve(db: &TestDb) -> ServeProcess {
    let mut command = Command::new(BIN);
    command
        .env("DATABASE_URL", &db.url)
        .env("SCIMD_LOG", "warn")
        .stderr(Stdio::null());
    ServeProcess::start(command).await
}

async fn spc(server: &ServeProcess, token: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{}/scim/v2/ServiceProviderConfig", server.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn two_processes_share_tokens_and_revocations(db: TestDb) {
    let first = serve(&db).await;
    let second = serve(&db).await;
    let org = scimd(
        &db,
        &[
            "bootstrap",
            "--org",
            "Acme",
            "--domain",
            "acme.example",
            "--domain",
            "acme.test",
        ],
    );
    assert_eq!(
        org["domains"],
        serde_json::json!(["acme.example", "acme.test"])
    );
    let token = org["scim_token"]["token"].as_str().unwrap();
    assert_eq!(spc(&first, token).await, 200);
    assert_eq!(spc(&second, token).await, 200);

    let directory = org["directory_id"].as_str().unwrap();
    let zero = run(
        &db,
        &[
            "token",
            "issue",
            "--directory",
            directory,
            "--ttl-days",
            "0",
        ],
    );
    assert!(
        !zero.status.success(),
        "a token that expires at once is refused"
    );
    let issued = scimd(&db, &["token", "issue", "--directory", directory]);
    let extra = issued["token"].as_str().unwrap();
    // Both servers check the token several times, so each answers it from its cache.
    for _ in 0..3 {
        assert_eq!(spc(&first, extra).await, 200);
        assert_eq!(spc(&second, extra).await, 200);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    scimd(&db, &["token", "revoke", issued["jti"].as_str().unwrap()]);
    let revoked = std::time::Instant::now();
    // The documented bound (docs/architecture.md, "Token cache"): one second.
    let bound = Duration::from_secs(1);
    for server in [&first, &second] {
        while spc(server, extra).await != 401 {
            assert!(
                revoked.elapsed() < bound,
                "a revocation by the CLI reaches every server within {bound:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    assert_eq!(spc(&first, extra).await, 401, "and stays revoked");
    assert_eq!(spc(&first, token).await, 200, "other tokens unaffected");
}

async fn data_and_tokens_survive_a_restart(db: TestDb) {
    let server = serve(&db).await;
    let org = scimd(
        &db,
        &["bootstrap", "--org", "Acme", "--domain", "acme.example"],
    );
    let token = org["scim_token"]["token"].as_str().unwrap().to_owned();
    assert_eq!(spc(&server, &token).await, 200);
    drop(server);
    let restarted = serve(&db).await;
    assert_eq!(spc(&restarted, &token).await, 200);
    let again = run(
        &db,
        &["bootstrap", "--org", "Copycat", "--domain", "ACME.example"],
    );
    assert!(
        !again.status.success(),
        "the domain is still verified by Acme after the restart"
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("already verified"));
}

/// `kill -9` in the middle of a burst of creates: after a restart every acknowledged user
/// is there, and no create is half there (an account without its directory record).
async fn acknowledged_writes_survive_kill_9(db: TestDb) {
    use std::sync::{Arc, Mutex};

    let mut server = serve(&db).await;
    let org = scimd(
        &db,
        &["bootstrap", "--org", "Acme", "--domain", "acme.example"],
    );
    let token = org["scim_token"]["token"].as_str().unwrap().to_owned();
    let directory: scimd::domain::DirectoryId =
        org["directory_id"].as_str().unwrap().parse().unwrap();
    let acknowledged = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let client = reqwest::Client::new();
    let workers: Vec<_> = (0..16)
        .map(|worker| {
            let (client, token, acknowledged) =
                (client.clone(), token.clone(), acknowledged.clone());
            let url = format!("{}/scim/v2/Users", server.base);
            tokio::spawn(async move {
                for i in 0..40 {
                    let email = format!("burst{worker}-{i}@acme.example");
                    let body = serde_json::json!({
                        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                        "userName": email,
                        "emails": [{"value": email, "primary": true}],
                        "title": "Engineer",
                    });
                    let Ok(reply) = client
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await
                    else {
                        return;
                    };
                    if reply.status().as_u16() != 201 {
                        return;
                    }
                    let Ok(body) = reply.json::<Value>().await else {
                        return;
                    };
                    let id = body["id"].as_str().unwrap_or_default().to_owned();
                    acknowledged.lock().unwrap().push((email, id));
                }
            })
        })
        .collect();
    for _ in 0..400 {
        if acknowledged.lock().unwrap().len() >= 100 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.child.kill().expect("kill -9");
    server.child.wait().unwrap();
    for worker in workers {
        let _ = worker.await;
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 16, "the burst was under way");

    let restarted = serve(&db).await;
    for (email, id) in &acknowledged {
        let read = client
            .get(format!("{}/scim/v2/Users/{id}", restarted.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(read.status().as_u16(), 200, "acknowledged {email} is there");
    }
    let store = db.store().await;
    let mut conn = store.read().await.unwrap();
    for worker in 0..16 {
        for i in 0..40 {
            let email = format!("burst{worker}-{i}@acme.example");
            if let Some(account) = scimd::store::find_account_by_email(&mut conn, &email)
                .await
                .unwrap()
            {
                let record =
                    scimd::store::find_directory_user_by_account(&mut conn, directory, account.id)
                        .await
                        .unwrap();
                assert!(record.is_some(), "{email}: an account without its record");
            }
        }
    }
}

async fn sigterm_shuts_down_cleanly(db: TestDb) {
    let mut server = serve(&db).await;
    let pid = server.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = server.child.wait().unwrap();
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
    // SQLite: every connection was closed (the checkpoint task's too), so the last one
    // copied the whole WAL into the database and removed it.
    if let Some(path) = db.url.strip_prefix("sqlite://") {
        let wal = format!("{path}-wal");
        assert!(
            !std::path::Path::new(&wal).exists(),
            "the WAL outlived the shutdown"
        );
    }
}

on_both_backends! {
    two_processes_share_tokens_and_revocations => test_db,
    data_and_tokens_survive_a_restart => test_db,
    sigterm_shuts_down_cleanly => test_db,
    acknowledged_writes_survive_kill_9 => test_db,
}
