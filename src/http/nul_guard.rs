//! Refuses U+0000 (NUL) at the door, in query strings and JSON bodies alike: PostgreSQL
//! cannot store it in text (a 500, and a stored one would break later filters), and SQLite
//! would let a NUL in a `co` filter act as a wildcard. No API field has a use for it, so a
//! request carrying one changes nothing and gets 400: a SCIM error under `/scim`,
//! `application/problem+json` under `/admin`.

use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::rc::Rc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::StatusCode;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{Error, HttpMessage as _, ResponseError};
use futures_util::StreamExt as _;

use super::admin::Problem;
use super::errors::ScimHttpError;
use crate::scim::{ScimError, ScimType};

/// True if a JSON text holds a NUL: JSON can only spell one as the escape `\u0000` (a raw
/// NUL byte is not valid JSON and is refused by the parser). An escape starts at a backslash
/// preceded by an even number of backslashes; `\\u0000` is the six characters `\u0000`.
pub fn json_has_nul(json: &[u8]) -> bool {
    let mut backslashes = 0usize;
    for (i, &byte) in json.iter().enumerate() {
        if byte == 0 {
            return true;
        }
        if byte == b'\\' {
            backslashes += 1;
            continue;
        }
        if byte == b'u' && backslashes % 2 == 1 && json[i + 1..].starts_with(b"0000") {
            return true;
        }
        backslashes = 0;
    }
    false
}

/// True if a query string, once percent-decoded, holds a NUL.
pub fn query_has_nul(query: &str) -> bool {
    let bytes = query.as_bytes();
    bytes.contains(&0)
        || bytes
            .windows(3)
            .any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
}

fn refusal(path: &str, place: &str) -> actix_web::HttpResponse {
    let detail = format!("the {place} contains a NUL character (U+0000), which no field accepts");
    if path.starts_with("/admin") {
        Problem::new(StatusCode::BAD_REQUEST, "invalid_request", detail).error_response()
    } else {
        ScimHttpError(ScimError::bad_request(ScimType::InvalidValue, detail)).error_response()
    }
}

/// The middleware; `limit` is the largest body read (the JSON extractor's own limit).
pub struct NulGuard {
    pub limit: usize,
}

impl<S, B> Transform<S, ServiceRequest> for NulGuard
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Transform = NulGuardService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(NulGuardService {
            service: Rc::new(service),
            limit: self.limit,
        }))
    }
}

pub struct NulGuardService<S> {
    service: Rc<S>,
    limit: usize,
}

impl<S, B> Service<ServiceRequest> for NulGuardService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        let service = self.service.clone();
        let limit = self.limit;
        Box::pin(async move {
            if query_has_nul(req.query_string()) {
                let response = refusal(req.path(), "query string");
                return Ok(req.into_response(response));
            }
            if matches!(req.method().as_str(), "GET" | "HEAD" | "DELETE" | "OPTIONS") {
                return service
                    .call(req)
                    .await
                    .map(ServiceResponse::map_into_boxed_body);
            }
            // Read the body (no further than the extractor would), look, and put it back.
            let mut payload = req.take_payload();
            let mut body = BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk?;
                if body.len() + chunk.len() > limit {
                    // Too large: the extractor answers 413 from what it can still read.
                    body.extend_from_slice(&chunk);
                    break;
                }
                body.extend_from_slice(&chunk);
            }
            if json_has_nul(&body) {
                let response = refusal(req.path(), "request body");
                return Ok(req.into_response(response));
            }
            let body: Bytes = body.freeze();
            req.set_payload(Payload::from(body));
            service
                .call(req)
                .await
                .map(ServiceResponse::map_into_boxed_body)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nul_escapes_only_where_they_are_escapes() {
        assert!(json_has_nul(br#"{"a":"x\u0000y"}"#));
        assert!(json_has_nul(br#"{"a\u0000":1}"#));
        assert!(
            json_has_nul(br#"{"a":"\\\u0000"}"#),
            "an escaped backslash, then NUL"
        );
        assert!(
            !json_has_nul(br#"{"a":"\\u0000"}"#),
            "the six characters, not a NUL"
        );
        assert!(!json_has_nul(br#"{"a":"\u0001"}"#));
        assert!(!json_has_nul(br#"{"a":"u0000"}"#));
        assert!(json_has_nul(b"{\"a\":\"\0\"}"));
    }

    #[test]
    fn finds_encoded_nul_in_query_strings() {
        assert!(query_has_nul("filter=userName%20co%20%22a%00%22"));
        assert!(!query_has_nul("filter=userName%20eq%20%22a%2000%22"));
        assert!(!query_has_nul("startIndex=100&count=100"));
    }
}
