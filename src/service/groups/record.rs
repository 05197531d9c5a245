//! What a group write leaves behind besides the group: its audit entry and its line in
//! the provisioning log.

use serde_json::{json, Value};

use super::members::{MemberChange, MemberOutcome};
use crate::domain::audit::AuditAction;
use crate::domain::{GroupId, ProvisionedResource, ProvisioningOperation};
use crate::service::error::ServiceResult;
use crate::service::provisioning::LoggedWrite;
use crate::service::scim_context::ScimContext;
use crate::store::Tx;

/// A group write's log entry.
pub(super) fn logged(
    operation: ProvisioningOperation,
    group: GroupId,
    changed: bool,
) -> LoggedWrite<'static> {
    LoggedWrite {
        operation,
        resource: ProvisionedResource::Group,
        resource_id: group.as_uuid(),
        account: None,
        changed,
    }
}

/// The audit and provisioning log entries of a group write that changed the group.
pub(super) async fn record_change(
    tx: &mut Tx,
    ctx: &ScimContext<'_>,
    group: GroupId,
    operation: ProvisioningOperation,
    action: AuditAction,
    detail: Value,
) -> ServiceResult<()> {
    ctx.audit(tx, None, action, detail).await?;
    ctx.log_write(tx, logged(operation, group, true)).await
}

/// The audit detail of an update (PUT or PATCH).
pub(super) fn update_detail(
    group: GroupId,
    renamed: bool,
    change: &MemberChange,
    outcome: &MemberOutcome,
) -> Value {
    json!({
        "group_id": group,
        "renamed": renamed,
        "members_replaced": change.clear,
        "added": outcome.added,
        "removed": outcome.removed,
    })
}
