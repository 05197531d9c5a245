//! `/console`: the admin console, server-rendered HTML over the admin services.
//!
//! Every page and action calls the same `service::admin` functions as `/admin/v1`, so the
//! console and the API share each rule and each refusal's text; a handler here only parses a
//! form, calls one service function and renders. Plain forms, no JavaScript: a change
//! answers 303 back to its page with a one-time message, a refusal re-renders the page with
//! the refusal (status, detail, who can act) and what was typed.

mod directories;
mod error;
mod home;
mod log;
mod orgs;
mod page;
mod session;
mod user;
mod users;
mod visit;

use actix_web::cookie::Cookie;
use actix_web::error::{PathError, QueryPayloadError};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::{from_fn, DefaultHeaders};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;

pub use self::error::ConsoleError;
pub use self::session::ConsoleSettings;
use crate::http::admin::Problem;
use crate::service::admin::outbox::Outbox;

type Reply = Result<HttpResponse, ConsoleError>;

/// Larger than any console form (an invite batch of 200 long emails), far below the API's.
pub const MAX_FORM_BYTES: usize = 256 * 1024;

/// The purpose under which the CSRF key is derived from the token signing key.
pub const CSRF_KEY_PURPOSE: &str = "console csrf";

const CSS: &str = include_str!("console.css");

/// The sign-in form as a response: set up by [`session::sign_in_page`].
pub struct SignInPage {
    pub message: Option<String>,
    pub csrf: String,
    /// The nonce cookie, when the request had none yet.
    pub set_nonce: Option<Cookie<'static>>,
    /// Removes an ended session's cookie.
    pub clear_session: Option<Cookie<'static>>,
    /// The console page to return to.
    pub next: Option<String>,
}

impl SignInPage {
    pub fn response(&self, status: StatusCode) -> HttpResponse {
        let markup = page::sign_in(self.message.as_deref(), &self.csrf, self.next.as_deref());
        let mut response = page::html_response(status, markup);
        for cookie in [&self.set_nonce, &self.clear_session].into_iter().flatten() {
            let _ = response.add_cookie(cookie);
        }
        response
    }
}

/// Parses a console form. Unknown fields are refused, as the admin API refuses them: a
/// misspelt field must not quietly fall back to a default.
pub fn form<T: DeserializeOwned>(body: &[u8]) -> Result<T, ConsoleError> {
    serde_html_form::from_bytes(body)
        .map_err(|e| ConsoleError::bad_form(format!("the form is not what this page sends: {e}")))
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(CSS)
}

fn path_error(err: PathError, _req: &HttpRequest) -> actix_web::Error {
    ConsoleError::Problem(Problem::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no such page: {err}"),
    ))
    .into()
}

fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ConsoleError::bad_form(format!("bad query parameter: {err}")).into()
}

async fn not_found() -> HttpResponse {
    page::error_page(
        StatusCode::NOT_FOUND,
        "Not found",
        "there is no such console page",
    )
}

/// The page a request under `/console` refused at the door gets (see `request_guard`).
pub fn refused_at_door(status: StatusCode, detail: &str) -> HttpResponse {
    page::error_page(status, "Refused", detail)
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/console")
            .wrap(from_fn(session::guard))
            .wrap(
                DefaultHeaders::new()
                    // Pages hold personal data and tokens shown once: never cached, never
                    // framed, no script at all, forms only to this server.
                    .add((header::CACHE_CONTROL, "no-store"))
                    .add((
                        header::CONTENT_SECURITY_POLICY,
                        "default-src 'none'; style-src 'self'; img-src 'self'; \
                         form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
                    ))
                    .add((header::X_FRAME_OPTIONS, "DENY"))
                    .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                    .add((header::REFERRER_POLICY, "same-origin")),
            )
            .app_data(web::Data::new(Outbox::default()))
            .app_data(web::PathConfig::default().error_handler(path_error))
            .app_data(web::QueryConfig::default().error_handler(query_error))
            .route("", web::get().to(home::home))
            .route("/", web::get().to(home::home))
            .route("/static/console.css", web::get().to(stylesheet))
            .route("/sign-in", web::get().to(home::sign_in_form))
            .route("/sign-in", web::post().to(home::sign_in))
            .route("/sign-out", web::post().to(home::sign_out))
            .route("/me", web::get().to(home::me))
            .route("/me/{action}", web::post().to(home::me_status))
            .configure(orgs::routes)
            .configure(directories::routes)
            .configure(log::routes)
            .configure(users::routes)
            .configure(user::routes)
            .default_service(web::to(not_found)),
    );
}
