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
}

impl From<sqlx::Error> for ServiceError {
    fn from(err: sqlx::Error) -> Self {
        ServiceError::Store(StoreError::Database(err))
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;
