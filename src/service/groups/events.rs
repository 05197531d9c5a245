//! The security events of a SCIM Group change (RFC 9967), recorded in the change's own
//! transaction.

use serde_json::Value;

use super::GroupView;
use crate::domain::events::Operation;
use crate::scim::events::created_attributes;
use crate::service::error::ServiceResult;
use crate::service::events::{may_be_wanted, record, Content, ResourceChange, ResourceKind};
use crate::service::scim_context::ScimContext;
use crate::store::{Group, Tx};

/// Records the events of a write of `group`. `attributes` names what a PATCH or PUT
/// changed; a create names what the group was created with, and carries it as `data`
/// (a PATCH or PUT carries its `request`).
pub(super) async fn group_changed(
    tx: &mut Tx,
    ctx: &ScimContext<'_>,
    operation: Operation,
    group: &Group,
    view: Option<&GroupView>,
    request: Option<&Value>,
    attributes: Vec<String>,
) -> ServiceResult<()> {
    if !may_be_wanted(ctx.store, ctx.directory.org, false) {
        return Ok(());
    }
    let shown = view.map(|v| Value::Object(v.resource.clone()));
    let (attributes, data) = match operation {
        Operation::Create => (
            view.map(|v| created_attributes(&v.resource))
                .unwrap_or_default(),
            shown.as_ref(),
        ),
        Operation::Delete => (Vec::new(), None),
        Operation::Patch | Operation::Put => (attributes, request),
    };
    let change = ResourceChange::new(
        ctx.directory.org,
        ResourceKind::Group,
        group.id.as_uuid(),
        group.external_id.as_deref(),
        operation,
        None,
        Content {
            version: view.map(|v| v.etag.as_str()),
            data,
            attributes,
        },
    );
    record(tx, ctx.store, &[change], &[]).await?;
    Ok(())
}

/// The attributes a write changed, by the flags the write computed.
pub(super) fn changed(renamed: bool, external_id: bool, members: bool) -> Vec<String> {
    [
        (renamed, "displayName"),
        (external_id, "externalId"),
        (members, "members"),
    ]
    .into_iter()
    .filter(|(changed, _)| *changed)
    .map(|(_, name)| name.to_owned())
    .collect()
}
