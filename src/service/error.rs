use crate::scim::{ScimError, ScimType};
use crate::store::StoreError;

/// Why a use case did not happen. The HTTP layers map each variant to a status once.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The domain rules refuse; the refusal says why and who can act.
    #[error(transparent)]
    Refused(#[from] crate::domain::Refusal),
    /// A protocol-level error with its SCIM status and type.
    #[error(transparent)]
    Scim(#[from] crate::scim::ScimError),
    #[error("the resource changed since the version given in If-Match")]
    PreconditionFailed,
}

impl From<sqlx::Error> for ServiceError {
    fn from(err: sqlx::Error) -> Self {
        ServiceError::Store(StoreError::from(err))
    }
}

impl From<crate::store::ListError> for ServiceError {
    fn from(err: crate::store::ListError) -> Self {
        match err {
            crate::store::ListError::Request(crate::store::filter_sql::QueryError::Filter(why)) => {
                ServiceError::Scim(ScimError::bad_request(ScimType::InvalidFilter, why))
            }
            crate::store::ListError::Request(crate::store::filter_sql::QueryError::Sort(why)) => {
                ServiceError::Scim(ScimError::bad_request(ScimType::InvalidValue, why))
            }
            crate::store::ListError::Store(err) => ServiceError::Store(err),
        }
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;
