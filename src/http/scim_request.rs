//! [`ScimRequest`]: what every SCIM handler reads from its request, read in one place: the
//! directory asking, the base URL, the query's projection, the ETag preconditions and
//! `Prefer: return=minimal`.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};

use super::errors::ScimHttpError;
use super::scim_routes::{base_url, respond};
use super::{AppState, ScimPrincipal};
use crate::domain::DirectoryRef;
use crate::scim::list::{Projection, RawListParams};
use crate::scim::schema::def::ResourceTypeDef;
use crate::scim::{ScimError, ScimType};
use crate::service::scim_context::{Precondition, ResourceView, ScimContext};

/// A SCIM request as its handler needs it. Extracting it authenticates the directory (its
/// refusal comes before anything else is looked at); the rest cannot fail until asked for.
pub struct ScimRequest {
    pub principal: ScimPrincipal,
    /// The server's state, which authenticating the directory already needed.
    pub state: web::Data<AppState>,
    /// The SCIM base URL, for `Location` and `meta.location`.
    pub base_url: String,
    /// The query string's pairs. A malformed query string is refused only when the handler
    /// reads it, so that a bad id or body keeps answering first, as it did when handlers
    /// parsed the query themselves.
    query: Result<Vec<(String, String)>, ScimError>,
    /// `If-Match`.
    pub precondition: Precondition,
    /// `If-None-Match`, as sent.
    if_none_match: Option<String>,
    /// `Prefer: return=minimal` (RFC 7240): the client does not want the resource back.
    pub minimal: bool,
}

impl FromRequest for ScimRequest {
    type Error = ScimHttpError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let principal = ScimPrincipal::from_request(req, payload);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let base_url = base_url(req);
        let query = query_pairs(req);
        let precondition = if_match(req);
        let if_none_match = header_text(req, header::IF_NONE_MATCH).map(str::to_owned);
        let minimal = prefers_minimal(req);
        Box::pin(async move {
            Ok(ScimRequest {
                principal: principal.await?,
                // Present: the principal could not have been authenticated without it.
                state: state.ok_or_else(|| ScimHttpError::from(ScimError::internal()))?,
                base_url,
                query,
                precondition,
                if_none_match,
                minimal,
            })
        })
    }
}

impl ScimRequest {
    /// The per-request context a SCIM service call needs.
    pub fn context(&self) -> ScimContext<'_> {
        ScimContext {
            store: &self.state.store,
            directory: DirectoryRef {
                id: self.principal.directory,
                org: self.principal.org,
            },
            token: self.principal.jti,
            base_url: &self.base_url,
        }
    }

    fn query(&self) -> Result<impl Iterator<Item = (&str, &str)>, ScimHttpError> {
        match &self.query {
            Ok(pairs) => Ok(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            Err(err) => Err(err.clone().into()),
        }
    }

    /// `attributes` and `excludedAttributes` from the query string.
    pub fn projection(&self) -> Result<Projection, ScimHttpError> {
        Ok(Projection::from_pairs(self.query()?)?)
    }

    /// A GET list's parameters, from the query string.
    pub fn list_params(&self) -> Result<RawListParams, ScimHttpError> {
        Ok(RawListParams::from_pairs(self.query()?))
    }

    /// The resource answered as [`respond`] does, or without it as `Prefer` asks.
    pub fn respond(
        &self,
        rt: &ResourceTypeDef,
        status: StatusCode,
        view: ResourceView,
        projection: &Projection,
    ) -> HttpResponse {
        respond(rt, status, view, projection, self.minimal)
    }

    /// 304 when `If-None-Match` names the resource's current ETag (or `*`).
    pub fn not_modified(&self, view: &ResourceView) -> Option<HttpResponse> {
        let value = self.if_none_match.as_deref()?;
        let current = parse_etag(&view.etag);
        let matched = value
            .split(',')
            .any(|tag| tag.trim() == "*" || (current.is_some() && parse_etag(tag) == current));
        matched.then(|| {
            HttpResponse::NotModified()
                .insert_header((header::ETAG, view.etag.clone()))
                .finish()
        })
    }
}

fn header_text(req: &HttpRequest, name: header::HeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

fn query_pairs(req: &HttpRequest) -> Result<Vec<(String, String)>, ScimError> {
    web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| {
            ScimError::bad_request(ScimType::InvalidValue, format!("bad query string: {e}"))
        })
}

/// `If-Match`: `*`, or a (weak or strong) ETag whose version we issued. An ETag we never
/// issued cannot match, so it fails the precondition.
fn if_match(req: &HttpRequest) -> Precondition {
    let Some(value) = header_text(req, header::IF_MATCH) else {
        return Precondition::None;
    };
    let mut versions = value.split(',').map(str::trim);
    if versions.clone().any(|v| v == "*") {
        return Precondition::Any;
    }
    // Several listed ETags: any may match; the service checks one version, so take the
    // first we can read, and an unreadable list can match nothing.
    Precondition::Version(versions.find_map(parse_etag).unwrap_or(-1))
}

fn parse_etag(tag: &str) -> Option<i64> {
    let tag = tag.trim();
    let tag = tag.strip_prefix("W/").unwrap_or(tag);
    tag.strip_prefix('"')?.strip_suffix('"')?.parse().ok()
}

fn prefers_minimal(req: &HttpRequest) -> bool {
    req.headers()
        .get_all("prefer")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim().eq_ignore_ascii_case("return=minimal"))
}
