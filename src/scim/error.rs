//! SCIM error responses (RFC 7644 §3.12).

use serde_json::{json, Value};

use super::urn;

/// The `scimType` values of RFC 7644 Table 9.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScimType {
    InvalidFilter,
    TooMany,
    Uniqueness,
    Mutability,
    InvalidSyntax,
    InvalidPath,
    NoTarget,
    InvalidValue,
    InvalidVers,
    Sensitive,
    /// RFC 9865 §2.2: a cursor that is not one this server issued for this query.
    InvalidCursor,
    /// RFC 9865 §2.2: a cursor older than `cursorTimeout`.
    ExpiredCursor,
    /// RFC 9865 §2.2: a `count` that is not a positive integer.
    InvalidCount,
}

impl ScimType {
    pub fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
            ScimType::InvalidVers => "invalidVers",
            ScimType::Sensitive => "sensitive",
            ScimType::InvalidCursor => "invalidCursor",
            ScimType::ExpiredCursor => "expiredCursor",
            ScimType::InvalidCount => "invalidCount",
        }
    }
}

/// A refusal as SCIM states it: an HTTP status, an optional `scimType`, and a `detail` that
/// tells the client what was wrong and, where someone else must act, who.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{status} {detail}")]
pub struct ScimError {
    pub status: u16,
    pub scim_type: Option<ScimType>,
    pub detail: String,
}

impl ScimError {
    pub fn new(status: u16, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        Self {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    pub fn bad_request(scim_type: ScimType, detail: impl Into<String>) -> Self {
        Self::new(400, Some(scim_type), detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(401, None, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(403, None, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(404, None, detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(409, Some(ScimType::Uniqueness), detail)
    }

    /// 413: more operations, or a larger body, than the server accepts.
    pub fn payload_too_large(detail: impl Into<String>) -> Self {
        Self::new(413, None, detail)
    }

    pub fn internal() -> Self {
        Self::new(
            500,
            None,
            "internal error; the request id in the logs has the cause",
        )
    }

    /// The response body. `status` is a string, as RFC 7644 §3.12 specifies.
    pub fn body(&self) -> Value {
        let mut body = json!({
            "schemas": [urn::ERROR],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let (Some(t), Some(map)) = (self.scim_type, body.as_object_mut()) {
            map.insert("scimType".into(), Value::String(t.as_str().into()));
        }
        body
    }
}

/// The size rule of a request's `Operations` (PATCH and Bulk alike): none is 400
/// `invalidValue` with `empty`, more than `max` is 413 with what `too_many` says of the count.
pub fn check_operation_count(
    count: usize,
    max: usize,
    empty: &str,
    too_many: impl FnOnce(usize) -> String,
) -> Result<(), ScimError> {
    if count == 0 {
        return Err(ScimError::bad_request(ScimType::InvalidValue, empty));
    }
    if count > max {
        return Err(ScimError::payload_too_large(too_many(count)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_follows_rfc_7644_section_3_12() {
        let body = ScimError::bad_request(ScimType::InvalidFilter, "bad").body();
        assert_eq!(body["schemas"][0], urn::ERROR);
        assert_eq!(body["status"], "400");
        assert_eq!(body["scimType"], "invalidFilter");
        assert_eq!(body["detail"], "bad");
        assert!(ScimError::not_found("x").body().get("scimType").is_none());
    }
}
