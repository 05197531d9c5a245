//! The measured requests' HTTP client: one HTTP/1.1 connection per simulated client, on
//! hyper's connection API, each request built once from its method, path and body.
//!
//! Why not reqwest (which the setup calls still use): around every request it parses the
//! URL, takes a connection from its pool and runs its timeout and redirect layers, ~30 µs of
//! CPU per request on the benchmark's two cores. The server under test shares those cores,
//! so whatever the load generator spends is taken from the server's throughput, and more
//! from a faster server's: it bounded the measured ratio of GET by id between two builds
//! below the ratio of their CPU per request.

use std::io;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use serde_json::Value;

/// One request as a simulated client sends it.
pub struct Call {
    method: Method,
    /// Origin-form: the path and query.
    path: String,
    authorization: HeaderValue,
    body: Option<Bytes>,
}

impl Call {
    pub fn new(method: Method, path: String, authorization: HeaderValue) -> Call {
        Call {
            method,
            path,
            authorization,
            body: None,
        }
    }

    /// The body, sent as `application/scim+json`.
    pub fn json(mut self, body: &Value) -> Call {
        self.body = Some(Bytes::from(serde_json::to_vec(body).unwrap_or_default()));
        self
    }

    /// Appends `pairs` to the query, form-encoded as browsers and reqwest encode them.
    pub fn query<V: AsRef<str>>(mut self, pairs: &[(&str, V)]) -> Call {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in pairs {
            query.append_pair(name, value.as_ref());
        }
        let separator = if self.path.contains('?') { '&' } else { '?' };
        self.path.push(separator);
        self.path.push_str(&query.finish());
        self
    }

    pub fn method(&self) -> &Method {
        &self.method
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn body(&self) -> Option<&Bytes> {
        self.body.as_ref()
    }
}

/// What the report needs of an answer.
pub struct Answer {
    pub status: u16,
    /// The server's `Scimd-Statements` header.
    pub statements: Option<u64>,
}

/// A simulated client's connection to the server at `host` (`127.0.0.1:port`).
pub struct Connection {
    host: HeaderValue,
    sender: SendRequest<Full<Bytes>>,
}

impl Connection {
    pub async fn open(host: &str) -> io::Result<Connection> {
        let stream = tokio::net::TcpStream::connect(host).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(io::Error::other)?;
        tokio::spawn(connection);
        Ok(Connection {
            host: HeaderValue::from_str(host).map_err(io::Error::other)?,
            sender,
        })
    }

    /// Sends `call` and reads its whole answer.
    pub async fn send(&mut self, call: Call) -> Result<Answer, hyper::Error> {
        let mut request = Request::builder()
            .method(call.method)
            .uri(call.path)
            .header(HOST, self.host.clone())
            .header(AUTHORIZATION, call.authorization);
        if call.body.is_some() {
            request = request.header(
                CONTENT_TYPE,
                HeaderValue::from_static("application/scim+json"),
            );
        }
        let body = Full::new(call.body.unwrap_or_default());
        let Ok(request) = request.body(body) else {
            // A path that is not a URI: the benchmark's own mistake, counted as an error.
            return Ok(Answer {
                status: 0,
                statements: None,
            });
        };
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status().as_u16();
        let statements = response
            .headers()
            .get("scimd-statements")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        response.into_body().collect().await?;
        Ok(Answer { status, statements })
    }
}
