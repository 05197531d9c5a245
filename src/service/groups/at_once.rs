//! A PATCH that only adds and removes a few members, where the store can make it one
//! statement with the other such changes of the group that arrive meanwhile (PostgreSQL,
//! [`store::change_group_members_at_once`]): the group's row lock, which every writer of
//! the group takes, is then held for no round trip, and taken once for all of them. The
//! outcome is the one [`super::patch_group`] gives statement by statement: the same checks
//! in the same order, the same rows, the same journal.

use super::members::{MemberChange, MemberOutcome};
use super::patch::{not_a_user, SplitPatch};
use super::record::{logged, update_detail};
use super::{resource, GroupView, PatchResponse, Patched};
use crate::domain::audit::AuditAction;
use crate::domain::{can_edit_group_membership, GroupFacts, GroupSource, ProvisioningOperation};
use crate::service::error::{ServiceError, ServiceResult};
use crate::service::events::may_be_wanted;
use crate::service::scim_context::{Precondition, ScimContext};
use crate::store::{self, MemberChangeAtOnce, MemberChangeOutcome};

/// The PATCH done, or `None` if it is not one this way takes (it changes more than a few
/// members, or anything else; the store cannot; security events may be wanted, which
/// carry the group as changed).
pub(super) async fn patch_members(
    ctx: &ScimContext<'_>,
    id: uuid::Uuid,
    split: &SplitPatch,
    precondition: Precondition,
    response: PatchResponse,
) -> ServiceResult<Option<Patched>> {
    let members = &split.members;
    let fits = split.generic.is_empty()
        && !members.clear
        && !members.is_empty()
        && members.add.len() + members.remove.len() <= store::MAX_MEMBER_IDS_AT_ONCE;
    if !fits
        || !ctx.store.member_changes_at_once()
        || may_be_wanted(ctx.store, ctx.directory.org, false)
    {
        return Ok(None);
    }
    let group = id.into();
    // Rule 19, for the only groups the statement changes: those synced from this directory.
    let facts = GroupFacts {
        id: group,
        org: ctx.directory.org,
        source: GroupSource::Directory(ctx.directory.id),
    };
    can_edit_group_membership(&facts, &ctx.directory.actor())?;
    // The counts are the statement's; `update_detail` gives the rest of the entry.
    let detail = update_detail(
        group,
        false,
        &MemberChange::default(),
        &MemberOutcome::default(),
    );
    let audit = ctx.audit_entry(None, AuditAction::GroupUpdated, detail);
    let log = ctx.logged_entry(logged(ProvisioningOperation::Patch, group, true));
    let change = MemberChangeAtOnce {
        directory: ctx.directory.id,
        group,
        add: members.add.clone(),
        remove: members.remove.clone(),
        at: store::now_micros(),
        if_version: precondition.expected(),
        with_members: response.with_members && !response.minimal,
        audit,
        log,
    };
    let Some(outcome) = store::change_group_members_at_once(ctx.store, change).await? else {
        return Ok(None);
    };
    match outcome {
        MemberChangeOutcome::NotFound => Err(ServiceError::NotFound("group")),
        MemberChangeOutcome::VersionMoved => Err(ServiceError::PreconditionFailed),
        MemberChangeOutcome::NotUsers(ids) => {
            let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            Err(not_a_user(&ids).into())
        }
        MemberChangeOutcome::Done {
            group,
            group_patch_minimal,
            members,
            ..
        } => {
            let minimal = response.minimal || group_patch_minimal;
            let members = members.filter(|_| !minimal);
            let view = GroupView {
                resource: resource::render(&group, members.as_deref(), ctx.base_url),
                etag: resource::etag(&group),
            };
            Ok(Some(Patched { view, minimal }))
        }
    }
}
