//! The one place SCIM errors become HTTP responses.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::domain::{kept_refusal_text, Refusal};
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
    /// What the provisioning log keeps of the refusal's detail (`kept_refusal_text`).
    refusal_text: Option<String>,
    /// The email a failed create asked for, for the provisioning log.
    email: Option<String>,
}

impl From<ScimError> for ScimHttpError {
    fn from(error: ScimError) -> Self {
        ScimHttpError {
            error,
            refused_by: None,
            refusal_text: None,
            email: None,
        }
    }
}

impl ScimHttpError {
    /// Names the email the failed request asked for, in the provisioning log.
    pub fn with_email(mut self, email: Option<String>) -> Self {
        self.email = email;
        self
    }

    /// The domain rule that refused the request, if one did.
    pub fn refused_by(&self) -> Option<&'static str> {
        self.refused_by
    }

    /// What the provisioning log keeps of this error.
    pub fn failure_note(&self) -> FailureNote {
        FailureNote {
            refused_by: self.refused_by,
            refusal_text: self.refusal_text.clone(),
            scim_type: self.error.scim_type.map(ScimType::as_str),
            email: self.email.clone(),
        }
    }
}

/// What the provisioning log records of a failed SCIM write, left in the response's
/// extensions by the error mapper (the body's detail may quote the request: never kept).
#[derive(Clone, Debug, Default)]
pub struct FailureNote {
    pub refused_by: Option<&'static str>,
    pub refusal_text: Option<String>,
    pub scim_type: Option<&'static str>,
    pub email: Option<String>,
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
        response.extensions_mut().insert(self.failure_note());
        if self.error.status == 401 {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"scimd\""),
            ));
        }
        response.body(super::scim_routes::json_bytes(&self.error.body()))
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
                refusal_text: kept_refusal_text(&refusal),
                email: None,
            },
        }
    }
}

/// A domain refusal in SCIM terms (the table in [`super::refusals`]), with the refusal's own
/// explanation of who can act.
fn refusal_to_scim(refusal: &Refusal) -> ScimError {
    let answer = super::refusals::answer(refusal);
    ScimError::new(answer.scim_status, answer.scim_type, refusal.to_string())
}
