//! A security event receiver (RFC 8935) on 127.0.0.1 for the tests: it records every push
//! and answers as the test scripts it (202 unless told otherwise), and verifies SETs
//! against the server's JWKS.

use std::collections::VecDeque;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};

/// How the receiver answers one push.
#[derive(Clone, Debug)]
pub enum Answer {
    Status(u16),
    /// Holds the request this long, then answers 202 (if the sender still listens).
    Hang(Duration),
    /// 400 with an RFC 8935 error body: refused for good.
    Refuse,
}

/// One push as received.
#[derive(Clone, Debug)]
pub struct Push {
    pub token: String,
    pub content_type: Option<String>,
    pub authorization: Option<String>,
    /// The status the receiver answered.
    pub status: u16,
}

#[derive(Default)]
struct State {
    pushes: Mutex<Vec<Push>>,
    script: Mutex<VecDeque<Answer>>,
}

pub struct TestReceiver {
    pub url: String,
    state: Arc<State>,
    handle: actix_web::dev::ServerHandle,
}

async fn receive(req: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    let answer = state
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or(Answer::Status(202));
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let status = match &answer {
        Answer::Status(s) => *s,
        // Never answered to a sender that is still listening: not an acceptance.
        Answer::Hang(_) => 0,
        Answer::Refuse => 400,
    };
    state.pushes.lock().unwrap().push(Push {
        token: String::from_utf8_lossy(&body).into_owned(),
        content_type: header("content-type"),
        authorization: header("authorization"),
        status,
    });
    match answer {
        Answer::Status(s) => {
            HttpResponse::build(actix_web::http::StatusCode::from_u16(s).unwrap()).finish()
        }
        Answer::Hang(d) => {
            tokio::time::sleep(d).await;
            HttpResponse::Accepted().finish()
        }
        Answer::Refuse => HttpResponse::BadRequest()
            .json(json!({"err": "invalid_audience", "description": "not for us"})),
    }
}

impl TestReceiver {
    pub async fn start() -> Self {
        let state = Arc::new(State::default());
        let data = web::Data::from(state.clone());
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(receive))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(0)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            url: format!("http://127.0.0.1:{port}/events"),
            state,
            handle,
        }
    }

    /// Answers the next pushes so, in order; then 202 again.
    pub fn script(&self, answers: &[Answer]) {
        self.state
            .script
            .lock()
            .unwrap()
            .extend(answers.iter().cloned());
    }

    pub fn pushes(&self) -> Vec<Push> {
        self.state.pushes.lock().unwrap().clone()
    }

    /// The pushes it accepted (202).
    pub fn accepted(&self) -> Vec<Push> {
        self.pushes()
            .into_iter()
            .filter(|p| p.status == 202)
            .collect()
    }

    /// Waits until it has accepted `n` pushes (15 s at most).
    pub async fn wait_for(&self, n: usize) -> Vec<Push> {
        for _ in 0..300 {
            let accepted = self.accepted();
            if accepted.len() >= n {
                return accepted;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "the receiver accepted {} SETs, expected {n}: {:?}",
            self.accepted().len(),
            self.pushes().iter().map(|p| p.status).collect::<Vec<_>>()
        );
    }

    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }
}

/// The server's JWKS, fetched as a receiver would.
pub async fn jwks(client: &reqwest::Client, server: &str) -> JwkSet {
    let reply = client
        .get(format!("{server}/.well-known/scimd/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    reply.json().await.unwrap()
}

/// Verifies a SET's signature against the JWKS (ES256, the key named by `kid`), its `typ`,
/// issuer and audience, and answers its claims. SETs carry no `exp` (RFC 8417 §2.2).
pub fn verify(token: &str, keys: &JwkSet, audience: &str) -> Value {
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, Algorithm::ES256);
    assert_eq!(header.typ.as_deref(), Some("secevent+jwt"));
    let kid = header.kid.expect("a kid");
    let jwk = keys.find(&kid).expect("the kid is in the JWKS");
    let key = DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = Validation::new(Algorithm::ES256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.set_audience(&[audience]);
    validation.set_issuer(&["scimd"]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .unwrap()
        .claims
}

/// The claims of a SET without checking its signature (order and content checks).
pub fn claims(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// The event URIs of a SET, sorted.
pub fn event_uris(claims: &Value) -> Vec<String> {
    let mut uris: Vec<String> = claims["events"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    uris.sort();
    uris
}
