//! What every SCIM use case shares: the requesting directory, `If-Match`, the resource
//! handed back to the handler, and the audit entry a directory's write leaves.

use crate::domain::audit::{ActorKind, AuditAction};
use serde_json::{Map, Value};

use super::error::{ServiceError, ServiceResult};
use crate::domain::{AccountId, DirectoryRef};
use crate::store::{self, NewAuditEntry, Store, Tx};

/// Who is asking: a directory, through one of its tokens, and where the API lives.
#[derive(Clone, Debug)]
pub struct ScimContext<'a> {
    pub store: &'a Store,
    pub directory: DirectoryRef,
    /// The `jti` of the token that authenticated the request: audit entries name it, so an
    /// admin can tell which of a directory's credentials acted.
    pub token: uuid::Uuid,
    /// The SCIM base URL, for `meta.location` and `$ref`s.
    pub base_url: &'a str,
}

impl ScimContext<'_> {
    /// Appends an audit entry for a change this directory made, in the change's transaction.
    pub async fn audit(
        &self,
        tx: &mut Tx,
        account: Option<AccountId>,
        action: AuditAction,
        detail: Value,
    ) -> ServiceResult<()> {
        store::append_audit(tx, &self.audit_entry(account, action, detail)).await?;
        Ok(())
    }

    /// The audit entry of a change this directory made: its detail names the token used.
    pub fn audit_entry(
        &self,
        account: Option<AccountId>,
        action: AuditAction,
        mut detail: Value,
    ) -> NewAuditEntry {
        if let Value::Object(fields) = &mut detail {
            fields.insert("token".into(), Value::String(self.token.to_string()));
        }
        NewAuditEntry {
            at: store::now_micros(),
            org_id: Some(self.directory.org),
            account_id: account,
            actor_kind: ActorKind::Directory,
            actor_id: self.directory.id.to_string(),
            action,
            detail,
        }
    }
}

/// A resource as the response needs it: the full representation (projection happens in the
/// caller) and its ETag.
#[derive(Clone, Debug)]
pub struct ResourceView {
    pub resource: Map<String, Value>,
    pub etag: String,
}

/// `If-Match` as the handler parsed it: the version the client last saw, or `*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precondition {
    None,
    Any,
    Version(i64),
}

impl Precondition {
    /// Fails when the client's version is not `current`.
    pub fn check(self, current: i64) -> ServiceResult<()> {
        match self {
            Precondition::Version(v) if v != current => Err(ServiceError::PreconditionFailed),
            _ => Ok(()),
        }
    }

    /// The version a guarded write must still find (`UPDATE ... WHERE version = ?`).
    pub fn expected(self) -> Option<i64> {
        match self {
            Precondition::Version(v) => Some(v),
            _ => None,
        }
    }
}
