//! What a console request can end in besides its page: the sign-in form (no or an ended
//! session) or an error page for a refusal the page itself cannot show.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use super::page;
use super::SignInPage;
use crate::http::admin::Problem;
use crate::service::admin::AdminError;
use crate::store::StoreError;

#[derive(thiserror::Error)]
pub enum ConsoleError {
    /// Not signed in, or the session's token no longer works: 401 with the sign-in form.
    #[error("401 sign_in")]
    SignIn(Box<SignInPage>),
    /// A refusal or failure, shown as a page of its own with the admin API's status, code,
    /// detail and who can act.
    #[error("{}", .0)]
    Problem(Problem),
}

/// Status and code only, as `Problem` itself: details can quote emails.
impl std::fmt::Debug for ConsoleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")
    }
}

impl ConsoleError {
    pub fn misconfigured() -> Self {
        Self::Problem(Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server is misconfigured",
        ))
    }

    pub fn bad_form(detail: impl Into<String>) -> Self {
        Self::Problem(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            detail,
        ))
    }
}

impl From<AdminError> for ConsoleError {
    fn from(err: AdminError) -> Self {
        Self::Problem(err.into())
    }
}

impl From<Problem> for ConsoleError {
    fn from(problem: Problem) -> Self {
        Self::Problem(problem)
    }
}

impl From<StoreError> for ConsoleError {
    fn from(err: StoreError) -> Self {
        Self::Problem(err.into())
    }
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::SignIn(_) => StatusCode::UNAUTHORIZED,
            Self::Problem(problem) => problem.status(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::SignIn(form) => form.response(StatusCode::UNAUTHORIZED),
            Self::Problem(problem) => page::problem_page(problem),
        }
    }
}
