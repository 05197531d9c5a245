//! The security events of a SCIM User change (RFC 9967), recorded in the change's own
//! transaction: the one place every User write reports what it did.

use serde_json::{Map, Value};

use super::resource::{render, Groups};
use crate::domain::events::{Operation, StatusMove};
use crate::domain::AccountStatus;
use crate::scim::events::{changed_attributes, created_attributes};
use crate::service::error::ServiceResult;
use crate::service::events::{
    may_be_wanted, record, AccountChange, Content, ResourceChange, ResourceKind,
};
use crate::service::scim_context::ScimContext;
use crate::store::{ScimUser, Tx};

/// The user as events compare it: without what is derived from elsewhere (groups,
/// entitlements) and so not changed by a write of the user.
fn comparable(user: &ScimUser, base: &str) -> Map<String, Value> {
    let mut resource = render(user.clone(), Groups::Omitted, base);
    resource.remove("groups");
    resource.remove("entitlements");
    resource
}

/// What the user was before the write: for a PATCH, PUT or DELETE, and for a create that
/// linked an existing account (its status only).
pub(super) struct Before<'a> {
    /// The user before the write, where the events compare it with after (PATCH, PUT).
    pub user: Option<&'a ScimUser>,
    pub status: AccountStatus,
}

/// Records the events of a write of user `user` (as it is now; for a delete, as it was).
/// `data` is what a `full` event carries: the request for PATCH and PUT; a create carries
/// the resource as the response shows it. `shown`: whether the events carry the
/// resource's version (and, for a create, the resource); it is rendered here, only when a
/// receiver may want the events, so that a write's response is rendered after its commit,
/// not while it holds the database.
pub(super) async fn user_changed(
    tx: &mut Tx,
    ctx: &ScimContext<'_>,
    operation: Operation,
    before: Option<&Before<'_>>,
    user: &ScimUser,
    shown: bool,
    data: Option<&Value>,
) -> ServiceResult<()> {
    // A create that links an existing account may reactivate it (re-provisioning): the
    // account's other records hear of it, the new one's data says `active`.
    let status = before.and_then(|b| StatusMove::between(b.status, user.account.status));
    if !may_be_wanted(ctx.store, ctx.directory.org, status.is_some()) {
        return Ok(());
    }
    let after = comparable(user, ctx.base_url);
    let version = shown.then(|| super::resource::etag(user));
    // Only a create's event carries the resource as the response shows it.
    let shown = (shown && operation == Operation::Create)
        .then(|| Value::Object(super::view(ctx, user.clone()).resource));
    let (attributes, data) = match (operation, before) {
        (Operation::Create, _) => (created_attributes(&after), shown.as_ref()),
        (Operation::Delete, _) => (Vec::new(), None),
        (_, Some(before)) => {
            let earlier = before
                .user
                .map(|u| comparable(u, ctx.base_url))
                .unwrap_or_default();
            (changed_attributes(&earlier, &after), data)
        }
        (_, None) => (Vec::new(), data),
    };
    let change = ResourceChange::new(
        ctx.directory.org,
        ResourceKind::User,
        user.record.id,
        user.record.external_id.as_deref(),
        operation,
        status,
        Content {
            version: version.as_deref(),
            data,
            attributes,
        },
    );
    // The account's status is every directory record's `active`: the others hear of it too.
    let accounts: Vec<AccountChange> = status
        .map(|s| AccountChange {
            account: user.account.id,
            except: Some(user.record.id),
            event: s.event(),
        })
        .into_iter()
        .collect();
    record(tx, ctx.store, &[change], &accounts).await?;
    Ok(())
}
