//! Bearer authentication for the SCIM API: the token names exactly one directory.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use super::errors::ScimHttpError;
use super::metrics::DirectoryTag;
use super::AppState;
use crate::domain::{DirectoryId, OrgId};
use crate::scim::ScimError;
use crate::service::tokens::{AuthError, SCIM_AUDIENCE};
use crate::store::TokenSubject;

/// The directory a SCIM request acts for. Handlers can only get one through this
/// extractor, so an unauthenticated SCIM handler cannot be written by accident.
#[derive(Clone, Copy, Debug)]
pub struct ScimPrincipal {
    pub directory: DirectoryId,
    pub org: OrgId,
    pub jti: uuid::Uuid,
}

pub(crate) fn bearer_token(req: &HttpRequest) -> Result<&str, AuthError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(AuthError::Missing)?;
    let (scheme, token) = value.trim().split_once(' ').ok_or(AuthError::Missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AuthError::Missing);
    }
    Ok(token.trim())
}

/// What a bearer extractor takes from the request before its future runs: the app state
/// (absent only when the server is misconfigured) and the token, or why there is none.
pub(crate) fn state_and_token(
    req: &HttpRequest,
) -> (Option<web::Data<AppState>>, Result<String, AuthError>) {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    (state, bearer_token(req).map(str::to_owned))
}

impl FromRequest for ScimPrincipal {
    type Error = ScimHttpError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let (state, token) = state_and_token(req);
        let tagged = req.clone();
        Box::pin(async move {
            let state = state.ok_or_else(|| ScimHttpError::from(ScimError::internal()))?;
            let record = state.tokens.verify(&token?, SCIM_AUDIENCE).await?;
            match record.subject {
                TokenSubject::Directory { directory, org } => {
                    tracing::Span::current()
                        .record("directory_id", tracing::field::display(directory));
                    let principal = ScimPrincipal {
                        directory,
                        org,
                        jti: record.jti,
                    };
                    let mut extensions = tagged.extensions_mut();
                    extensions.insert(DirectoryTag(directory));
                    // The provisioning log names the directory and token of a failed write.
                    extensions.insert(principal);
                    Ok(principal)
                }
                _ => Err(AuthError::Invalid.into()),
            }
        })
    }
}
