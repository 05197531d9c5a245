//! The one place SCIM errors become HTTP responses.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::domain::Refusal;
use crate::scim::{ScimError, ScimType, CONTENT_TYPE};
use crate::service::error::ServiceError;
use crate::service::tokens::AuthError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct ScimHttpError {
    pub error: ScimError,
    /// The rule that refused the request, for the metrics (never in the body beyond the
    /// detail it already gives).
    refused_by: Option<&'static str>,
}

impl From<ScimError> for ScimHttpError {
    fn from(error: ScimError) -> Self {
        ScimHttpError {
            error,
            refused_by: None,
        }
    }
}

impl ScimHttpError {
    /// The domain rule that refused the request, if one did.
    pub fn refused_by(&self) -> Option<&'static str> {
        self.refused_by
    }
}

impl ResponseError for ScimHttpError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE)));
        if let Some(rule) = self.refused_by {
            response
                .extensions_mut()
                .insert(super::metrics::RefusedBy(rule));
        }
        if self.error.status == 401 {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"scimd\""),
            ));
        }
        response.body(self.error.body().to_string())
    }
}

impl From<AuthError> for ScimHttpError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::Store(err) => err.into(),
            other => ScimError::unauthorized(other.to_string()).into(),
        }
    }
}

impl From<StoreError> for ScimHttpError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict => {
                ScimError::conflict("a resource with the same unique value already exists").into()
            }
            StoreError::TooLong => ScimError::bad_request(
                ScimType::InvalidValue,
                "a value is too long to be stored (a name or id of some kilobytes)",
            )
            .into(),
            other => {
                tracing::error!(error = %other, "storage failure");
                ScimError::internal().into()
            }
        }
    }
}

impl From<ServiceError> for ScimHttpError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::NotFound(what) => {
                ScimError::not_found(format!("{what} not found")).into()
            }
            ServiceError::Invalid(detail) => {
                ScimError::bad_request(ScimType::InvalidValue, detail).into()
            }
            ServiceError::Conflict(detail) => ScimError::conflict(detail).into(),
            ServiceError::Store(err) => err.into(),
            ServiceError::Scim(err) => err.into(),
            ServiceError::PreconditionFailed => ScimError::new(
                412,
                None,
                "the resource has changed: its version no longer matches If-Match",
            )
            .into(),
            ServiceError::Refused(refusal) => ScimHttpError {
                error: refusal_to_scim(&refusal),
                refused_by: Some(refusal.code()),
            },
        }
    }
}

/// Domain refusals in SCIM terms: a rule that forbids the change is 403 with the refusal's
/// own explanation of who can act; the few that are about the request itself keep their
/// SCIM meaning.
fn refusal_to_scim(refusal: &Refusal) -> ScimError {
    match refusal {
        Refusal::AlreadyProvisioned => ScimError::conflict(refusal.to_string()),
        Refusal::InvalidEmail(_) | Refusal::InvalidDomain(_) | Refusal::PublicSuffix { .. } => {
            ScimError::bad_request(ScimType::InvalidValue, refusal.to_string())
        }
        Refusal::NotFound => ScimError::not_found(refusal.to_string()),
        Refusal::ProductAccessFromGroups => {
            ScimError::bad_request(ScimType::Mutability, refusal.to_string())
        }
        _ => ScimError::forbidden(refusal.to_string()),
    }
}
