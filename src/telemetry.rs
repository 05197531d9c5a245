//! Logging setup and the per-request span.
//!
//! The span carries the request id, method, route template and, once authenticated, the
//! directory id; never the raw target, whose query string can hold a filter with an email,
//! nor error details, which can quote request values.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};
use tracing_subscriber::{fmt, EnvFilter};

use crate::config::{LogArgs, LogFormat};

/// Installs the global subscriber; a second call (tests start many apps) is a no-op.
pub fn init(args: &LogArgs) {
    let filter = EnvFilter::try_new(&args.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match args.log_format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request.extensions().get::<RequestId>().copied();
        let route = crate::http::scim_paths::RouteTemplate::of(request);
        tracing::info_span!(
            "request",
            request_id = request_id.map(tracing::field::display),
            method = %request.method(),
            route = %route,
            directory_id = tracing::field::Empty,
            status = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let status = match outcome {
            Ok(response) => response.response().status().as_u16(),
            Err(err) => err.as_response_error().status_code().as_u16(),
        };
        span.record("status", status);
        let _entered = span.enter();
        if status >= 500 {
            tracing::error!(status, "request failed");
        } else {
            tracing::info!(status, "request done");
        }
    }
}
