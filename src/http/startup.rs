//! Building and running the HTTP server.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, Service as _};
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{web, App, HttpRequest, HttpServer};
use tracing_actix_web::TracingLogger;

use super::errors::ScimHttpError;
use super::{health, scim_routes, AppState};
use crate::config::ServeArgs;
use crate::scim::discovery::Capabilities;
use crate::scim::{ScimError, ScimType};
use crate::service::dns::DnsChecker;
use crate::service::events::delivery::Delivery;
use crate::service::events::signing::SetSigner;
use crate::service::tokens::Tokens;
use crate::store::{db, Store, StoreError};
use crate::telemetry::RequestSpan;

/// A bound, not yet running server. Binding first lets tests ask for port 0 and learn the
/// port before any request is sent.
pub struct Application {
    port: u16,
    /// The port of `--metrics-bind`, when given.
    metrics_port: Option<u16>,
    server: Server,
    metrics_server: Option<Server>,
    store: Store,
    token_watch: tokio::task::JoinHandle<()>,
    log_pruner: tokio::task::JoinHandle<()>,
    receiver_watch: tokio::task::JoinHandle<()>,
    delivery: Delivery,
}

/// The response header that carries a request's statement count, when exposed.
pub const STATEMENTS_HEADER: &str = "scimd-statements";
/// With [`STATEMENTS_HEADER`]: the transactions the request held open across statements.
pub const TRANSACTIONS_HEADER: &str = "scimd-transactions";

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen: {0}")]
    Io(#[from] std::io::Error),
}

impl Application {
    pub async fn build(args: &ServeArgs) -> Result<Self, StartupError> {
        let url = args
            .database
            .database_url
            .as_ref()
            .map(|s| s.expose().to_owned());
        let store = Store::connect_with_options(url.as_deref(), &args.store_options()).await?;
        let tokens = Arc::new(Tokens::load(store.clone()).await?);
        let token_watch = tokens.start_cache();
        let console = super::ConsoleSettings::new(
            tokens.derived_key(super::console::CSRF_KEY_PURPOSE)?,
            args.console_secure_cookies,
        );
        let log_pruner =
            crate::service::provisioning::spawn_pruner(store.clone(), args.provisioning_log_days);
        let cursor_key = tokens.cursor_key()?;
        let receiver_watch = crate::service::events::watch_receivers(store.clone());
        let set_signer = Arc::new(SetSigner::load(&store).await?);
        let public_url = args
            .public_url
            .as_ref()
            .map(|u| u.trim_end_matches('/').to_owned());
        // A SET's issuer is this service: its external URL when configured.
        let issuer = public_url.clone().unwrap_or_else(|| "scimd".to_owned());
        let delivery = Delivery::start(store.clone(), set_signer.clone(), issuer);
        let state = AppState {
            store: store.clone(),
            tokens,
            capabilities: Capabilities {
                patch: true,
                filter: true,
                sort: true,
                etag: true,
                max_results: args.max_page_size,
                cursor_timeout_secs: args.cursor_timeout_secs.max(1),
                bulk_max_operations: args.bulk_max_operations.max(1),
                // A body past --max-body-bytes never reaches the handler, so that bounds it.
                bulk_max_payload_bytes: args.bulk_max_payload_bytes.min(args.max_body_bytes),
                documentation_uri: None,
                event_uris: crate::domain::events::ALL_EVENTS
                    .iter()
                    .map(|e| e.uri())
                    .collect(),
            },
            set_signer,
            public_url,
            trusted_proxies: args.trusted_proxies.clone(),
            dns: DnsChecker::new(
                args.dns_resolver,
                std::time::Duration::from_secs(args.dns_timeout_secs.max(1)),
            ),
            allow_unproven_domains: args.allow_unproven_domains,
            console,
            cursor_key,
        };
        // Installed before the first request, so every series starts at its first event.
        let _ = super::metrics::handle();
        if args.allow_unproven_domains {
            tracing::warn!(
                "--allow-unproven-domains: org admins can verify domains without DNS proof"
            );
        }
        let listener = TcpListener::bind(args.bind)?;
        let port = listener.local_addr()?.port();
        let max_body = args.max_body_bytes;
        let expose_statements = args.expose_statement_counts;
        let data = web::Data::new(state);
        let metrics_here = args.metrics_bind.is_none();
        let (metrics_server, metrics_port) = match args.metrics_bind {
            Some(addr) => {
                let listener = TcpListener::bind(addr)?;
                let port = listener.local_addr()?.port();
                let data = data.clone();
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(data.clone())
                        .route("/metrics", web::get().to(super::metrics::render))
                })
                .workers(1)
                .listen(listener)?
                .shutdown_timeout(5)
                .run();
                (Some(server), Some(port))
            }
            None => (None, None),
        };
        let server = HttpServer::new(move || {
            App::new()
                // Innermost, so the failed write's log entry is counted with its request.
                .wrap_fn(|req, srv| {
                    let call = srv.call(req);
                    async move {
                        let response = call.await?;
                        super::provisioning::record_failed_write(&response).await;
                        Ok(response)
                    }
                })
                .wrap_fn(move |req, srv| {
                    let call = srv.call(req);
                    async move {
                        let (response, counts) = db::counting(call).await;
                        let mut response = response?;
                        if expose_statements {
                            let headers = response.headers_mut();
                            headers.insert(
                                HeaderName::from_static(STATEMENTS_HEADER),
                                HeaderValue::from(counts.statements),
                            );
                            headers.insert(
                                HeaderName::from_static(TRANSACTIONS_HEADER),
                                HeaderValue::from(counts.transactions),
                            );
                        }
                        Ok(response)
                    }
                })
                .wrap(super::request_guard::RequestGuard { limit: max_body })
                .wrap(TracingLogger::<RequestSpan>::new())
                // Around the guards, so refusals they make are counted too.
                .wrap_fn(|req, srv| {
                    let probe = super::metrics::Probe::start(&req);
                    let call = srv.call(req);
                    async move { probe.finish(call.await?) }
                })
                // Outermost: the metrics, the request span and the router see the canonical
                // path.
                .wrap_fn(|mut req, srv| {
                    super::scim_paths::normalize(&mut req);
                    super::scim_paths::RouteTemplate::remember(&req);
                    srv.call(req)
                })
                .app_data(data.clone())
                .app_data(json_config(max_body))
                .app_data(web::PayloadConfig::new(max_body))
                .app_data(web::PathConfig::default().error_handler(path_error))
                .app_data(web::QueryConfig::default().error_handler(query_error))
                .route("/healthz", web::get().to(health::healthz))
                .route("/readyz", web::get().to(health::readyz))
                .configure(|cfg| {
                    if metrics_here {
                        cfg.route("/metrics", web::get().to(super::metrics::render));
                    }
                })
                .route(super::jwks::JWKS_PATH, web::get().to(super::jwks::jwks))
                .configure(scim_routes::configure)
                .configure(super::admin::configure)
                .configure(super::console::configure)
        })
        .keep_alive(std::time::Duration::from_secs(args.keep_alive_secs))
        .client_request_timeout(std::time::Duration::from_secs(
            args.client_request_timeout_secs,
        ))
        .listen(listener)?
        .shutdown_timeout(30)
        .run();
        Ok(Self {
            port,
            metrics_port,
            server,
            metrics_server,
            store,
            token_watch,
            log_pruner,
            receiver_watch,
            delivery,
        })
    }

    /// Stops the server from outside `run_until_stopped` (tests restarting a server).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's own store (tests read its counters).
    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_port
    }

    /// Serves until SIGTERM or ctrl-c (actix drains in-flight requests), then closes the
    /// database pools.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let metrics = self.metrics_server.map(|server| {
            let handle = server.handle();
            (tokio::spawn(server), handle)
        });
        let result = self.server.await;
        if let Some((task, handle)) = metrics {
            handle.stop(true).await;
            let _ = task.await;
        }
        self.delivery.stop().await;
        self.token_watch.abort();
        self.log_pruner.abort();
        self.receiver_watch.abort();
        self.store.close().await;
        result
    }
}

/// SCIM bodies arrive as `application/scim+json`, `application/json`, or with no type at all.
fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .content_type_required(false)
        .content_type(|mime| {
            mime.type_() == mime::APPLICATION
                && (mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON))
        })
        .error_handler(json_error)
}

fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let scim = match &err {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            ScimError::new(413, None, "request body is too large")
        }
        JsonPayloadError::ContentType => ScimError::new(
            415,
            None,
            "send the body as application/scim+json or application/json",
        ),
        other => ScimError::bad_request(
            ScimType::InvalidSyntax,
            format!("request body is not valid JSON: {other}"),
        ),
    };
    ScimHttpError::from(scim).into()
}

fn path_error(err: PathError, _req: &HttpRequest) -> actix_web::Error {
    ScimHttpError::from(ScimError::not_found(format!("no such resource: {err}"))).into()
}

fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ScimHttpError::from(ScimError::bad_request(
        ScimType::InvalidValue,
        format!("bad query parameter: {err}"),
    ))
    .into()
}
