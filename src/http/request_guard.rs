//! Refuses at the door what no handler can use, before anything runs: a SCIM error under
//! `/scim`, `application/problem+json` under `/admin`.
//!
//! - U+0000 (NUL) in a query string or a JSON body (400): PostgreSQL cannot store it in
//!   text (a 500, and a stored one would break later filters), and SQLite would let a NUL in
//!   a `co` filter act as a wildcard. No API field has a use for it.
//! - A query string that is not UTF-8 once percent-decoded (400): decoding it lossily would
//!   search for something the client never sent.
//! - A body whose `Content-Type` is neither `application/scim+json` nor `application/json`
//!   (415). A missing one is accepted: IdPs omit it.
//! - Under `/console` (HTML forms) the same, for `application/x-www-form-urlencoded`: a body
//!   of another type is 415, and one holding an encoded NUL or text that is not UTF-8 is 400,
//!   answered as an HTML page.

use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::rc::Rc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::{header, StatusCode};
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

/// What is wrong with percent-encoded text once decoded, if anything: `nul` when it holds a
/// NUL, `not_utf8` when it is not UTF-8.
fn decoded_problem(
    decoded: impl Iterator<Item = u8>,
    nul: &'static str,
    not_utf8: &'static str,
) -> Option<&'static str> {
    let decoded: Vec<u8> = decoded.collect();
    if decoded.contains(&0) {
        Some(nul)
    } else if std::str::from_utf8(&decoded).is_err() {
        Some(not_utf8)
    } else {
        None
    }
}

/// What is wrong with a query string, if anything.
pub fn query_problem(query: &str) -> Option<&'static str> {
    decoded_problem(
        percent_encoding::percent_decode_str(query),
        "the query string contains a NUL character (U+0000), which no field accepts",
        "the query string is not UTF-8 once percent-decoded",
    )
}

/// True for a media type a body may have: JSON, as SCIM (RFC 7644 §3.1) or plain.
pub fn is_json_media_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/scim+json")
        || essence.eq_ignore_ascii_case("application/json")
}

/// True for the console's form bodies.
pub fn is_form_media_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/x-www-form-urlencoded")
}

fn is_console(path: &str) -> bool {
    path == "/console" || path.starts_with("/console/")
}

fn refusal(path: &str, status: StatusCode, detail: &str) -> actix_web::HttpResponse {
    if is_console(path) {
        super::console::refused_at_door(status, detail)
    } else if path.starts_with("/admin") {
        let code = if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
            "unsupported_media_type"
        } else {
            "invalid_request"
        };
        Problem::new(status, code, detail).error_response()
    } else if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
        ScimHttpError::from(ScimError::new(415, None, detail)).error_response()
    } else {
        ScimHttpError::from(ScimError::bad_request(ScimType::InvalidValue, detail)).error_response()
    }
}

/// The middleware; `limit` is the largest body read (the JSON extractor's own limit).
pub struct RequestGuard {
    pub limit: usize,
}

impl<S, B> Transform<S, ServiceRequest> for RequestGuard
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Transform = RequestGuardService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequestGuardService {
            service: Rc::new(service),
            limit: self.limit,
        }))
    }
}

pub struct RequestGuardService<S> {
    service: Rc<S>,
    limit: usize,
}

impl<S, B> Service<ServiceRequest> for RequestGuardService<S>
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
            if let Some(problem) = query_problem(req.query_string()) {
                let response = refusal(req.path(), StatusCode::BAD_REQUEST, problem);
                return Ok(req.into_response(response));
            }
            if matches!(req.method().as_str(), "GET" | "HEAD" | "DELETE" | "OPTIONS") {
                return service
                    .call(req)
                    .await
                    .map(ServiceResponse::map_into_boxed_body);
            }
            let console = is_console(req.path());
            let (accepted, expected): (fn(&str) -> bool, _) = if console {
                (
                    is_form_media_type,
                    "send the form as application/x-www-form-urlencoded",
                )
            } else {
                (
                    is_json_media_type,
                    "send the body as application/scim+json or application/json",
                )
            };
            let content_type = req.headers().get(header::CONTENT_TYPE);
            if content_type.is_some_and(|v| !v.to_str().is_ok_and(accepted)) {
                let response = refusal(req.path(), StatusCode::UNSUPPORTED_MEDIA_TYPE, expected);
                return Ok(req.into_response(response));
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
            let form_problem = || {
                decoded_problem(
                    percent_encoding::percent_decode(&body),
                    "the form contains a NUL character (U+0000), which no field accepts",
                    "the form is not UTF-8 once percent-decoded",
                )
            };
            if console {
                if let Some(problem) = form_problem() {
                    let response = refusal(req.path(), StatusCode::BAD_REQUEST, problem);
                    return Ok(req.into_response(response));
                }
            } else if json_has_nul(&body) {
                let response = refusal(
                    req.path(),
                    StatusCode::BAD_REQUEST,
                    "the request body contains a NUL character (U+0000), which no field accepts",
                );
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
    fn finds_nul_and_non_utf8_in_query_strings() {
        assert!(query_problem("filter=userName%20co%20%22a%00%22").is_some());
        assert!(query_problem("filter=%FF").is_some());
        assert!(query_problem("filter=userName%20eq%20%22a%2000%22").is_none());
        assert!(query_problem("filter=displayName%20eq%20%22J%C3%BCrgen%22").is_none());
        assert!(query_problem("startIndex=100&count=100").is_none());
    }

    #[test]
    fn json_media_types() {
        assert!(is_json_media_type("application/scim+json; charset=utf-8"));
        assert!(is_json_media_type("Application/JSON"));
        assert!(!is_json_media_type("application/merge-patch+json"));
        assert!(!is_json_media_type("text/plain"));
    }
}
