//! A pooled client reuses an idle connection after a few seconds; scimd must still be there
//! (actix's default of 5 s closed it, and the IdP saw a broken pipe).

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use crate::helpers::*;
use crate::on_both_backends;

/// Sends one request on `stream` and reads its response; false if the connection is gone.
async fn round_trip(stream: &mut BufReader<tokio::net::TcpStream>, host: &str) -> bool {
    let request =
        format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\nConnection: keep-alive\r\n\r\n");
    if stream
        .get_mut()
        .write_all(request.as_bytes())
        .await
        .is_err()
    {
        return false;
    }
    let mut status = String::new();
    if stream.read_line(&mut status).await.unwrap_or(0) == 0 {
        return false;
    }
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
            return false;
        }
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await.is_ok() && status.contains(" 200 ")
}

async fn idle_pooled_connections_stay_open(app: TestApp) {
    let host = app.address.trim_start_matches("http://").to_owned();
    let socket = tokio::net::TcpStream::connect(&host).await.unwrap();
    let mut stream = BufReader::new(socket);
    assert!(round_trip(&mut stream, &host).await);
    tokio::time::sleep(Duration::from_secs(7)).await;
    assert!(
        round_trip(&mut stream, &host).await,
        "the connection outlives 7 idle seconds (the keep-alive default is 75 s)"
    );
}

on_both_backends! {
    idle_pooled_connections_stay_open => spawn_with_default_timeouts,
}
