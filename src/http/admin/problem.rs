//! The one place admin-API errors become RFC 9457 `application/problem+json` responses:
//! a stable machine `code` (the domain refusal's own), a human `detail`, and, when someone
//! else must act, who (`managing_org`, `account_owner`, or `directory`).

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{DirectoryId, OrgId, Refusal, WhoCanAct};
use crate::service::admin::AdminError;
use crate::service::error::ServiceError;
use crate::service::tokens::AuthError;
use crate::store::StoreError;

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// `Debug` and `Display` show the status and code only: actix's tracing middleware logs
/// errors, and a detail or a per-email list can quote emails.
#[derive(thiserror::Error)]
#[error("{} {}", .status.as_u16(), .code)]
pub struct Problem {
    status: StatusCode,
    code: &'static str,
    detail: String,
    who: WhoFields,
    /// Each email of a refused invite batch, and why.
    refused: Option<Vec<RefusedEmail>>,
}

impl std::fmt::Debug for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Problem")
            .field("status", &self.status.as_u16())
            .field("code", &self.code)
            .finish_non_exhaustive()
    }
}

/// Who can act when the caller cannot: at most one of these is present.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct WhoFields {
    /// The org whose administrators can act (it manages the account or owns the domain).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managing_org: Option<OrgId>,
    /// Only the account's owner can act (self-service).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_owner: Option<bool>,
    /// Only this directory can act, through its identity provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub directory: Option<DirectoryId>,
}

impl From<Option<WhoCanAct>> for WhoFields {
    fn from(who: Option<WhoCanAct>) -> Self {
        match who {
            Some(WhoCanAct::ManagingOrg(org)) => Self {
                managing_org: Some(org),
                ..Self::default()
            },
            Some(WhoCanAct::AccountOwner) => Self {
                account_owner: Some(true),
                ..Self::default()
            },
            Some(WhoCanAct::Directory(directory)) => Self {
                directory: Some(directory),
                ..Self::default()
            },
            None => Self::default(),
        }
    }
}

/// One email of a refused invite batch.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RefusedEmail {
    pub email: String,
    pub code: &'static str,
    pub detail: String,
    #[serde(flatten)]
    pub who: WhoFields,
}

/// An RFC 9457 problem, as every admin-API error answers (`application/problem+json`).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProblemBody {
    /// `urn:scimd:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The status's reason phrase.
    pub title: &'static str,
    pub status: u16,
    /// For people: why, and what to do instead.
    pub detail: String,
    /// Stable: clients branch on it, not on `detail`.
    pub code: &'static str,
    #[serde(flatten)]
    pub who: WhoFields,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<Vec<RefusedEmail>>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            who: WhoFields::default(),
            refused: None,
        }
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// Who can act instead (`managing_org`, `account_owner` or `directory`).
    pub fn who(&self) -> &WhoFields {
        &self.who
    }

    /// An invite batch's refused emails, each with its reason.
    pub fn refused(&self) -> &[RefusedEmail] {
        self.refused.as_deref().unwrap_or_default()
    }

    fn with_who(mut self, who: Option<WhoCanAct>) -> Self {
        self.who = who.into();
        self
    }

    pub fn body(&self) -> ProblemBody {
        ProblemBody {
            kind: format!("urn:scimd:problem:{}", self.code),
            title: self.status.canonical_reason().unwrap_or("Error"),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code,
            who: self.who.clone(),
            refused: self.refused.clone(),
        }
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
        ));
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"scimd-admin\""),
            ));
        }
        response.body(serde_json::to_string(&self.body()).unwrap_or_default())
    }
}

/// A refusal's admin-API status (the table in [`crate::http::refusals`]).
pub fn refusal_status(refusal: &Refusal) -> StatusCode {
    crate::http::refusals::answer(refusal).admin_status
}

impl From<&Refusal> for Problem {
    fn from(refusal: &Refusal) -> Self {
        Problem::new(refusal_status(refusal), refusal.code(), refusal.to_string())
            .with_who(refusal.who_can_act())
    }
}

impl From<StoreError> for Problem {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict => Problem::new(
                StatusCode::CONFLICT,
                "conflict",
                "another record already has this unique value (a name, an email or a domain), \
                 or a concurrent request just created it; read the current state and retry",
            ),
            StoreError::TooLong => Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "a value is too long to be stored (a name of some kilobytes)",
            ),
            other => {
                tracing::error!(error = %other, "storage failure");
                internal()
            }
        }
    }
}

fn internal() -> Problem {
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "the server could not complete the request",
    )
}

impl From<ServiceError> for Problem {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::NotFound(what) => Problem::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} not found"),
            ),
            ServiceError::Invalid(detail) => {
                Problem::new(StatusCode::BAD_REQUEST, "invalid_request", detail)
            }
            ServiceError::Conflict(detail) => {
                Problem::new(StatusCode::CONFLICT, "conflict", detail)
            }
            ServiceError::Store(err) => err.into(),
            ServiceError::Refused(refusal) => (&refusal).into(),
            ServiceError::Scim(err) => Problem::new(
                StatusCode::from_u16(err.status).unwrap_or(StatusCode::BAD_REQUEST),
                "invalid_request",
                err.detail.clone(),
            ),
            ServiceError::PreconditionFailed => Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "precondition_failed",
                "the resource changed since the version given",
            ),
        }
    }
}

impl From<AdminError> for Problem {
    fn from(err: AdminError) -> Self {
        match err {
            AdminError::Service(err) => err.into(),
            AdminError::Dns(detail) => {
                Problem::new(StatusCode::SERVICE_UNAVAILABLE, "dns_unavailable", detail)
            }
            AdminError::Unauthorized(detail) => {
                Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
            }
            AdminError::NotAccountOwner => Problem::new(
                StatusCode::FORBIDDEN,
                "not_account_owner",
                "/me is for an account owner's own token; address accounts by id instead",
            ),
            AdminError::Invite(refusal) => {
                // A malformed email makes the request itself bad; then an email the caller
                // may not invite (a site admin, for a trusted user); otherwise the accounts'
                // and memberships' state is what refuses the batch.
                let statuses: Vec<StatusCode> = refusal
                    .per_email
                    .iter()
                    .map(|(_, r)| refusal_status(r))
                    .collect();
                let status = [StatusCode::BAD_REQUEST, StatusCode::FORBIDDEN]
                    .into_iter()
                    .find(|s| statuses.contains(s))
                    .unwrap_or(StatusCode::CONFLICT);
                let refused = refusal
                    .per_email
                    .iter()
                    .map(|(email, r)| RefusedEmail {
                        email: email.clone(),
                        code: r.code(),
                        detail: r.to_string(),
                        who: r.who_can_act().into(),
                    })
                    .collect();
                let mut problem = Problem::new(status, refusal.code(), refusal.to_string());
                problem.refused = Some(refused);
                problem
            }
        }
    }
}

impl From<AuthError> for Problem {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::Store(err) => err.into(),
            other => Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", other.to_string()),
        }
    }
}

pub fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let problem = match &err {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "request body is too large",
            )
        }
        JsonPayloadError::ContentType => Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as application/json",
        ),
        other => Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            format!("request body is not what this operation takes: {other}"),
        ),
    };
    problem.into()
}

pub fn path_error(err: PathError, _req: &HttpRequest) -> actix_web::Error {
    Problem::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no such resource: {err}"),
    )
    .into()
}

pub fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    Problem::new(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        format!("bad query parameter: {err}"),
    )
    .into()
}

/// Unknown paths under `/admin/v1`, after authentication, so unauthenticated callers learn
/// nothing about which paths exist.
pub async fn not_found(_who: super::AdminPrincipal) -> Result<HttpResponse, Problem> {
    Err(Problem::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such admin API resource",
    ))
}

pub async fn method_not_allowed() -> Result<HttpResponse, Problem> {
    Err(Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this resource does not support that method",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_service_with_an_admin_token_is_a_403_naming_the_way_round() {
        let problem = Problem::from(AdminError::NotAccountOwner);
        assert_eq!(problem.status(), StatusCode::FORBIDDEN);
        assert_eq!(problem.code(), "not_account_owner");
        assert!(problem.detail().contains("address accounts by id"));
    }
}
