//! Console sessions and CSRF protection.
//!
//! Signing in puts the admin token itself in an HttpOnly, SameSite=Strict cookie scoped to
//! `/console`; every request verifies it exactly as the admin API verifies a bearer token, so
//! a revoked or expired token ends the session at once and scimd keeps no session state.
//!
//! Every POST must carry a `csrf` field equal to HMAC-SHA256 of the session cookie under a
//! key derived from the token signing key (so every process on the database agrees). Before
//! signing in, the cookie is a random nonce set by the sign-in page, so a sign-in form cannot
//! be forged either. A POST whose `Origin` (or, without one, `Referer`) names another host,
//! or that a browser labels `Sec-Fetch-Site: cross-site`, is refused before the token is
//! looked at.

use std::future::Future;
use std::pin::Pin;

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes, BytesMut};
use actix_web::{FromRequest, HttpMessage as _, HttpRequest, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use futures_util::StreamExt as _;
use hmac::{Hmac, Mac};

use super::error::ConsoleError;
use super::SignInPage;
use crate::config::SecureCookies;
use crate::http::admin::Problem;
use crate::http::AppState;
use crate::service::admin::AdminActor;
use crate::service::tokens::{AuthError, ADMIN_AUDIENCE};

pub const SESSION_COOKIE: &str = "scimd_console";
pub const LOGIN_COOKIE: &str = "scimd_console_login";
pub const FLASH_COOKIE: &str = "scimd_console_flash";
pub const CSRF_FIELD: &str = "csrf";
pub const COOKIE_PATH: &str = "/console";
pub const SIGN_IN_PATH: &str = "/console/sign-in";

/// The console's configuration, made once at startup.
#[derive(Clone)]
pub struct ConsoleSettings {
    csrf_key: [u8; 32],
    pub secure_cookies: SecureCookies,
}

impl std::fmt::Debug for ConsoleSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleSettings")
            .field("secure_cookies", &self.secure_cookies)
            .finish_non_exhaustive()
    }
}

/// Which cookie a CSRF token is bound to; the kind is part of the MAC so a sign-in token
/// never passes for a session token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    Session,
    Login,
}

impl ConsoleSettings {
    pub fn new(csrf_key: [u8; 32], secure_cookies: SecureCookies) -> Self {
        Self {
            csrf_key,
            secure_cookies,
        }
    }

    /// HMAC takes keys of any length, so this is never `None` in practice.
    fn mac(&self, bound: Bound, cookie: &str) -> Option<Hmac<sha2::Sha256>> {
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.csrf_key).ok()?;
        mac.update(match bound {
            Bound::Session => b"session\0",
            Bound::Login => b"login\0\0\0",
        });
        mac.update(cookie.as_bytes());
        Some(mac)
    }

    pub fn csrf_token(&self, bound: Bound, cookie: &str) -> String {
        self.mac(bound, cookie)
            .map(|mac| URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
            .unwrap_or_default()
    }

    /// Constant-time comparison of a submitted token with the cookie's.
    pub fn csrf_valid(&self, bound: Bound, cookie: &str, given: &str) -> bool {
        let (Ok(bytes), Some(mac)) = (
            URL_SAFE_NO_PAD.decode(given.trim()),
            self.mac(bound, cookie),
        ) else {
            return false;
        };
        mac.verify_slice(&bytes).is_ok()
    }
}

/// The settings from the app state; every console route runs inside it.
fn settings(req: &HttpRequest) -> Option<(web::Data<AppState>, ConsoleSettings)> {
    let state = req.app_data::<web::Data<AppState>>()?.clone();
    let console = state.console.clone();
    Some((state, console))
}

/// `scheme://host[:port]` as the browser sees this server.
fn external_origin(req: &HttpRequest) -> (String, String) {
    let base = crate::http::scim_routes::external_base(req);
    let (scheme, rest) = base.split_once("://").unwrap_or(("http", base.as_str()));
    let authority = rest.split('/').next().unwrap_or_default();
    (scheme.to_ascii_lowercase(), authority.to_ascii_lowercase())
}

fn secure(req: &HttpRequest, setting: SecureCookies) -> bool {
    match setting {
        SecureCookies::Always => true,
        SecureCookies::Never => false,
        SecureCookies::Auto => external_origin(req).0 == "https",
    }
}

/// A console cookie: HttpOnly, SameSite=Strict, scoped to `/console`.
pub fn cookie(req: &HttpRequest, name: &'static str, value: String) -> Cookie<'static> {
    let setting = settings(req).map_or(SecureCookies::Auto, |(_, s)| s.secure_cookies);
    Cookie::build(name, value)
        .path(COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure(req, setting))
        .finish()
}

/// A cookie that deletes `name` in the browser.
pub fn removal(req: &HttpRequest, name: &'static str) -> Cookie<'static> {
    let mut c = cookie(req, name, String::new());
    c.make_removal();
    c
}

/// A short message shown once on the next page (after a redirect).
pub fn flash(req: &HttpRequest, message: &str) -> Cookie<'static> {
    let value = percent_encoding::utf8_percent_encode(message, percent_encoding::NON_ALPHANUMERIC)
        .to_string();
    let mut c = cookie(req, FLASH_COOKIE, value);
    c.set_max_age(actix_web::cookie::time::Duration::seconds(60));
    c
}

fn random_nonce() -> Result<String, ConsoleError> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|_| {
        ConsoleError::Problem(Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "no randomness for a sign-in form",
        ))
    })?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The sign-in form for this request: the nonce cookie it already has, or a new one.
pub fn sign_in_page(
    req: &HttpRequest,
    message: Option<String>,
) -> Result<SignInPage, ConsoleError> {
    let (_, console) = settings(req).ok_or_else(ConsoleError::misconfigured)?;
    let (nonce, fresh) = match req.cookie(LOGIN_COOKIE) {
        Some(c) if !c.value().is_empty() => (c.value().to_owned(), false),
        _ => (random_nonce()?, true),
    };
    // Only console pages are returned to after signing in, never another site.
    let next = (req.method() == Method::GET
        && req.path().starts_with("/console/")
        && req.path() != SIGN_IN_PATH
        && !req.path().contains("//"))
    .then(|| match req.query_string() {
        "" => req.path().to_owned(),
        q => format!("{}?{q}", req.path()),
    });
    Ok(SignInPage {
        message,
        csrf: console.csrf_token(Bound::Login, &nonce),
        set_nonce: fresh.then(|| cookie(req, LOGIN_COOKIE, nonce)),
        clear_session: req
            .cookie(SESSION_COOKIE)
            .is_some()
            .then(|| removal(req, SESSION_COOKIE)),
        next,
    })
}

/// A signed-in console user: the admin actor its token stands for.
pub struct Session {
    pub who: AdminActor,
    /// The CSRF token every form of this session carries.
    pub csrf: String,
    /// A message from the previous request (a redirect after a change).
    pub flash: Option<String>,
}

impl FromRequest for Session {
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let (state, console) = settings(&req).ok_or_else(ConsoleError::misconfigured)?;
            let Some(token) = req
                .cookie(SESSION_COOKIE)
                .map(|c| c.value().to_owned())
                .filter(|t| !t.is_empty())
            else {
                return Err(ConsoleError::SignIn(Box::new(sign_in_page(&req, None)?)));
            };
            let ended = |detail: String| -> ConsoleError {
                match sign_in_page(&req, Some(format!("Your session ended: {detail}."))) {
                    Ok(page) => ConsoleError::SignIn(Box::new(page)),
                    Err(err) => err,
                }
            };
            let record = match state.tokens.verify(&token, ADMIN_AUDIENCE).await {
                Ok(record) => record,
                Err(AuthError::Store(err)) => return Err(ConsoleError::Problem(err.into())),
                Err(err) => return Err(ended(err.to_string())),
            };
            let who = match AdminActor::from_token(&state.store, &record).await {
                Ok(who) => who,
                Err(err) => {
                    let problem = Problem::from(err);
                    if problem.status().is_server_error() {
                        return Err(ConsoleError::Problem(problem));
                    }
                    return Err(ended(problem.detail().to_owned()));
                }
            };
            let flash = req.cookie(FLASH_COOKIE).and_then(|c| {
                percent_encoding::percent_decode_str(c.value())
                    .decode_utf8()
                    .ok()
                    .map(|m| m.into_owned())
                    .filter(|m| !m.is_empty())
            });
            Ok(Session {
                who,
                csrf: console.csrf_token(Bound::Session, &token),
                flash,
            })
        })
    }
}

/// Why a POST was refused before any handler ran.
fn refuse(req: ServiceRequest, detail: &str) -> ServiceResponse {
    let response = super::page::error_page(StatusCode::FORBIDDEN, "Form refused", detail);
    req.into_response(response)
}

/// The authority (`host[:port]`) of an `Origin` or `Referer` value, lower-cased.
fn authority_of(url: &str) -> Option<String> {
    let (_, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty()).then(|| authority.to_ascii_lowercase())
}

/// Whether the browser says the request came from a page of another site. The scheme is
/// not compared: behind a TLS proxy scimd may not know it, and only this host serves it.
fn cross_origin(req: &HttpRequest) -> bool {
    let headers = req.headers();
    let value = |name| headers.get(name).and_then(|v| v.to_str().ok());
    if value("sec-fetch-site") == Some("cross-site") {
        return true;
    }
    let claimed = match (
        value(header::ORIGIN.as_str()),
        value(header::REFERER.as_str()),
    ) {
        (Some(origin), _) => origin,
        (None, Some(referer)) => referer,
        (None, None) => return false,
    };
    authority_of(claimed) != Some(external_origin(req).1)
}

/// The CSRF check, on every POST under `/console` before its handler runs.
pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() != Method::POST {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    if cross_origin(req.request()) {
        return Ok(refuse(
            req,
            "this form was sent from another site's page; scimd only accepts its own forms",
        )
        .map_into_boxed_body());
    }
    let sign_in = req.path() == SIGN_IN_PATH;
    let (bound, name) = if sign_in {
        (Bound::Login, LOGIN_COOKIE)
    } else {
        (Bound::Session, SESSION_COOKIE)
    };
    let Some(cookie) = req.cookie(name).map(|c| c.value().to_owned()) else {
        if sign_in {
            return Ok(refuse(
                req,
                "the sign-in form's cookie is missing: allow cookies for this site, reload the \
                 sign-in page and try again",
            )
            .map_into_boxed_body());
        }
        // Not signed in: the handler answers with the sign-in page and changes nothing.
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let Some((_, console)) = settings(req.request()) else {
        return Err(ConsoleError::misconfigured().into());
    };
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        body.extend_from_slice(&chunk?);
        if body.len() > super::MAX_FORM_BYTES {
            return Ok(req
                .into_response(super::page::error_page(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "Form too large",
                    "the form is larger than any console form",
                ))
                .map_into_boxed_body());
        }
    }
    let body: Bytes = body.freeze();
    let given = form_urlencoded::parse(&body)
        .find(|(k, _)| k == CSRF_FIELD)
        .map(|(_, v)| v.into_owned());
    if !given.is_some_and(|token| console.csrf_valid(bound, &cookie, &token)) {
        return Ok(refuse(
            req,
            "the form's security token is missing or does not belong to this session (the \
             form may be from before you signed in again): reload the page and try again",
        )
        .map_into_boxed_body());
    }
    req.set_payload(Payload::from(body));
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

/// The response that completes a sign-in: the session cookie, the nonce gone.
pub fn signed_in(req: &HttpRequest, token: &str, to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_owned()))
        .cookie(cookie(req, SESSION_COOKIE, token.to_owned()))
        .cookie(removal(req, LOGIN_COOKIE))
        .finish()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_belong_to_their_cookie_and_kind() {
        let settings = ConsoleSettings::new([7; 32], SecureCookies::Auto);
        let token = settings.csrf_token(Bound::Session, "cookie-a");
        assert!(settings.csrf_valid(Bound::Session, "cookie-a", &token));
        assert!(!settings.csrf_valid(Bound::Session, "cookie-b", &token));
        assert!(!settings.csrf_valid(Bound::Login, "cookie-a", &token));
        assert!(!settings.csrf_valid(Bound::Session, "cookie-a", ""));
        assert!(!settings.csrf_valid(Bound::Session, "cookie-a", "not base64!"));
        let other = ConsoleSettings::new([8; 32], SecureCookies::Auto);
        assert!(!other.csrf_valid(Bound::Session, "cookie-a", &token));
    }

    #[test]
    fn authorities_of_origins_and_referers() {
        assert_eq!(
            authority_of("http://127.0.0.1:8080").as_deref(),
            Some("127.0.0.1:8080")
        );
        assert_eq!(
            authority_of("https://Console.Example/console/x?y#z").as_deref(),
            Some("console.example")
        );
        assert_eq!(authority_of("null"), None);
        assert_eq!(authority_of("https://"), None);
    }
}
