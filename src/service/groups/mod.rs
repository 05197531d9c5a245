//! SCIM Groups: the groups a directory syncs into its org, whose members are the same
//! directory's users (rules 18, 19). Every write is one transaction: it resolves the member
//! ids (share-locking those users' records), takes the group's row lock, checks If-Match,
//! writes member rows, bumps the group's version with one single-row UPDATE, audits and
//! commits. Members are read only when the response carries them.

pub mod access;
mod at_once;
mod events;
pub mod members;
pub mod patch;
mod record;
pub mod resource;

use crate::domain::audit::AuditAction;
use std::collections::HashMap;

use serde_json::{json, Map, Value};

use self::members::{change_members, MemberChange, MemberOutcome};
use self::patch::{not_a_user, split_patch};
use self::record::{logged, record_change, update_detail};
pub use self::resource::GroupView;
use self::resource::{parts, render, GroupParts};
use super::error::{ServiceError, ServiceResult};
use super::scim_context::{Precondition, ScimContext};
use crate::domain::events::Operation;
use crate::domain::{can_edit_group_membership, AccountId, GroupId, ProvisioningOperation};
use crate::scim::normalize::{check_required, normalize_resource};
use crate::scim::patch::{apply, parse_patch_request};
use crate::scim::schema::group::GROUP_RESOURCE;
use crate::scim::ScimError;
use crate::store::{self, Group, ListQuery, Listed, StoreError, Tx};

fn name_taken(err: StoreError, name: &str) -> ServiceError {
    match err {
        StoreError::Conflict => ServiceError::Scim(ScimError::conflict(format!(
            "a group named {name:?} already exists in this directory (names are compared ignoring case)"
        ))),
        other => other.into(),
    }
}

/// The accounts behind the user ids a request names. With `strict`, an id that is not a
/// user of this directory is a 400 and nothing changes; otherwise it is skipped.
async fn accounts_of(
    tx: &mut Tx,
    ctx: &ScimContext<'_>,
    ids: &[uuid::Uuid],
    strict: bool,
) -> ServiceResult<Vec<AccountId>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let found: HashMap<uuid::Uuid, AccountId> =
        store::resolve_directory_users(tx, ctx.store.backend(), ctx.directory.id, ids).await?;
    if strict {
        let missing: Vec<String> = ids
            .iter()
            .filter(|id| !found.contains_key(id))
            .map(ToString::to_string)
            .collect();
        if !missing.is_empty() {
            let missing: Vec<&str> = missing.iter().map(String::as_str).collect();
            return Err(not_a_user(&missing).into());
        }
    }
    Ok(ids.iter().filter_map(|id| found.get(id).copied()).collect())
}

async fn view(
    conn: &mut store::Conn,
    ctx: &ScimContext<'_>,
    group: &Group,
    with_members: bool,
) -> ServiceResult<GroupView> {
    let members = if with_members {
        Some(
            store::directory_group_members(conn, ctx.directory.id, &[group.id])
                .await?
                .remove(&group.id)
                .unwrap_or_default(),
        )
    } else {
        None
    };
    Ok(GroupView {
        resource: render(group, members.as_deref(), ctx.base_url),
        etag: resource::etag(group),
    })
}

async fn directory_group(
    conn: &mut store::Conn,
    ctx: &ScimContext<'_>,
    id: GroupId,
) -> ServiceResult<Group> {
    store::get_directory_group(conn, ctx.directory.id, id)
        .await?
        .ok_or(ServiceError::NotFound("group"))
}

fn normalized(body: &Value) -> ServiceResult<GroupParts> {
    let resource = normalize_resource(&GROUP_RESOURCE, body)?;
    check_required(&GROUP_RESOURCE, &resource)?;
    Ok(parts(&resource)?)
}

/// POST /Groups.
pub async fn create_group(
    ctx: &ScimContext<'_>,
    body: &Value,
    with_members: bool,
) -> ServiceResult<GroupView> {
    let parts = normalized(body)?;
    let now = store::now_micros();
    let mut tx = ctx.store.begin().await?;
    let accounts = accounts_of(&mut tx, ctx, &parts.members, true).await?;
    let group = Group {
        id: GroupId::new(),
        org_id: ctx.directory.org,
        directory_id: Some(ctx.directory.id),
        display_name: parts.display_name.clone(),
        external_id: parts.external_id.clone(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    // IdPs mostly create groups empty and add members by PATCH: then the group's row goes
    // with the commit, its journal in the same text (on PostgreSQL no `BEGIN`).
    let empty = accounts.is_empty();
    if !empty {
        store::insert_group(&mut tx, &group)
            .await
            .map_err(|e| name_taken(e, &group.display_name))?;
    }
    let change = MemberChange {
        add: accounts,
        ..MemberChange::default()
    };
    let outcome = change_members(&mut tx, &ctx.directory.actor(), &group, &change, now).await?;
    record_change(
        &mut tx,
        ctx,
        group.id,
        ProvisioningOperation::Create,
        AuditAction::GroupCreated,
        json!({ "group_id": group.id, "added": outcome.added }),
    )
    .await?;
    // Nothing to read back for an empty group.
    let view = view(&mut tx, ctx, &group, with_members && outcome.added > 0).await?;
    events::group_changed(
        &mut tx,
        ctx,
        Operation::Create,
        &group,
        Some(&view),
        None,
        Vec::new(),
    )
    .await?;
    if empty {
        store::hold_for_commit(&mut tx, store::new_group_write(&group))?;
    }
    tx.commit()
        .await
        .map_err(|e| name_taken(e.into(), &group.display_name))?;
    Ok(view)
}

/// GET /Groups/{id}.
pub async fn get_group(
    ctx: &ScimContext<'_>,
    id: uuid::Uuid,
    with_members: bool,
) -> ServiceResult<GroupView> {
    let mut conn = ctx.store.read().await?;
    let group = directory_group(&mut conn, ctx, id.into()).await?;
    view(&mut conn, ctx, &group, with_members).await
}

/// GET /Groups and POST /Groups/.search: the total and one page of full resources, each
/// with its position in the list (for cursors); the page's members in one query, and only
/// when wanted.
pub async fn list_groups(
    ctx: &ScimContext<'_>,
    query: &ListQuery<'_>,
    with_members: bool,
) -> ServiceResult<Listed<Map<String, Value>>> {
    let mut conn = ctx.store.read().await?;
    let listed =
        store::list_scim_groups(&mut conn, ctx.store.backend(), ctx.directory.id, query).await?;
    let mut members = if with_members {
        let ids: Vec<GroupId> = listed.rows.iter().map(|(_, g)| g.id).collect();
        Some(store::directory_group_members(&mut conn, ctx.directory.id, &ids).await?)
    } else {
        None
    };
    let rows = listed
        .rows
        .into_iter()
        .map(|(position, g)| {
            let list = members
                .as_mut()
                .map(|m| m.remove(&g.id).unwrap_or_default());
            (position, render(&g, list.as_deref(), ctx.base_url))
        })
        .collect();
    Ok(Listed {
        total: listed.total,
        rows,
    })
}

/// Locks the group and checks If-Match against the latest committed version.
async fn lock(
    tx: &mut Tx,
    ctx: &ScimContext<'_>,
    id: GroupId,
    precondition: Precondition,
) -> ServiceResult<Group> {
    let group = store::lock_directory_group(tx, ctx.directory.id, id)
        .await?
        .ok_or(ServiceError::NotFound("group"))?;
    precondition.check(group.version)?;
    Ok(group)
}

/// Writes the new name and members of a locked group; bumps its version if anything changed.
/// The attributes it changed.
async fn save(
    tx: &mut Tx,
    ctx: &ScimContext<'_>,
    group: &Group,
    name: String,
    external_id: Option<String>,
    change: &MemberChange,
    now: i64,
) -> ServiceResult<Vec<String>> {
    let outcome: MemberOutcome =
        change_members(tx, &ctx.directory.actor(), group, change, now).await?;
    let changed = events::changed(
        name != group.display_name,
        external_id != group.external_id,
        outcome.changed(),
    );
    let renamed = name != group.display_name || external_id != group.external_id;
    if changed.is_empty() {
        return Ok(changed);
    }
    let updated = Group {
        display_name: name,
        external_id,
        updated_at: now,
        ..group.clone()
    };
    store::update_group(tx, &updated)
        .await
        .map_err(|e| name_taken(e, &updated.display_name))?;
    ctx.audit(
        tx,
        None,
        AuditAction::GroupUpdated,
        update_detail(group.id, renamed, change, &outcome),
    )
    .await?;
    Ok(changed)
}

/// PUT /Groups/{id}: a full replacement. Members the body leaves out are removed, as for any
/// attribute PUT omits (use PATCH to rename without listing members).
pub async fn put_group(
    ctx: &ScimContext<'_>,
    id: uuid::Uuid,
    body: &Value,
    precondition: Precondition,
    with_members: bool,
) -> ServiceResult<GroupView> {
    let parts = normalized(body)?;
    let now = store::now_micros();
    let mut tx = ctx.store.begin().await?;
    let accounts = accounts_of(&mut tx, ctx, &parts.members, true).await?;
    let group = lock(&mut tx, ctx, id.into(), precondition).await?;
    let change = MemberChange {
        clear: true,
        add: accounts,
        remove: Vec::new(),
    };
    let changed = save(
        &mut tx,
        ctx,
        &group,
        parts.display_name,
        parts.external_id,
        &change,
        now,
    )
    .await?;
    ctx.log_write(
        &mut tx,
        logged(
            ProvisioningOperation::Replace,
            group.id,
            !changed.is_empty(),
        ),
    )
    .await?;
    let group = directory_group(&mut tx, ctx, group.id).await?;
    let view = view(&mut tx, ctx, &group, with_members).await?;
    events::group_changed(
        &mut tx,
        ctx,
        Operation::Put,
        &group,
        Some(&view),
        Some(body),
        changed,
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// How the PATCH response is wanted.
#[derive(Clone, Copy, Debug)]
pub struct PatchResponse {
    /// `Prefer: return=minimal`.
    pub minimal: bool,
    /// Whether a full response would carry members (projection).
    pub with_members: bool,
}

/// A patched group; with `minimal` the caller answers 204 (the view then has no members).
#[derive(Clone, Debug)]
pub struct Patched {
    pub view: GroupView,
    pub minimal: bool,
}

/// PATCH /Groups/{id}. Member operations become row inserts and deletes (see [`patch`]);
/// the others apply to the group without its members. All or nothing.
pub async fn patch_group(
    ctx: &ScimContext<'_>,
    id: uuid::Uuid,
    body: &Value,
    precondition: Precondition,
    response: PatchResponse,
) -> ServiceResult<Patched> {
    let ops = parse_patch_request(body)?;
    let split = split_patch(&ops)?;
    if let Some(patched) = at_once::patch_members(ctx, id, &split, precondition, response).await? {
        return Ok(patched);
    }
    let now = store::now_micros();
    let mut tx = ctx.store.begin().await?;
    let add = accounts_of(&mut tx, ctx, &split.members.add, true).await?;
    let remove = accounts_of(&mut tx, ctx, &split.members.remove, false).await?;
    let bumped = store::bump_directory_group(&mut tx, ctx.directory.id, id.into(), now)
        .await?
        .ok_or(ServiceError::NotFound("group"))?;
    let minimal = response.minimal || bumped.group_patch_minimal;
    // The group as it was: its version before the bump is the one If-Match names.
    let before = Group {
        version: bumped.group.version - 1,
        ..bumped.group.clone()
    };
    precondition.check(before.version)?;
    let mut patched = render(&before, None, ctx.base_url);
    for (index, op) in &split.generic {
        apply(&GROUP_RESOURCE, &mut patched, std::slice::from_ref(op)).map_err(|e| ScimError {
            detail: e
                .detail
                .replacen("Operations[0]", &format!("Operations[{index}]"), 1),
            ..e
        })?;
    }
    let parts = normalized(&Value::Object(patched))?;
    let change = MemberChange {
        clear: split.members.clear,
        add,
        remove,
    };
    let outcome = change_members(&mut tx, &ctx.directory.actor(), &before, &change, now).await?;
    let renamed =
        parts.display_name != before.display_name || parts.external_id != before.external_id;
    if !renamed && !outcome.changed() {
        // Nothing changed: undo the bump, and answer with the group as it is.
        tx.rollback().await?;
        let mut conn = ctx.store.read().await?;
        let group = directory_group(&mut conn, ctx, id.into()).await?;
        let view = view(&mut conn, ctx, &group, response.with_members && !minimal).await?;
        drop(conn);
        ctx.log_unchanged(logged(ProvisioningOperation::Patch, group.id, false))
            .await?;
        return Ok(Patched { view, minimal });
    }
    let group = Group {
        display_name: parts.display_name,
        external_id: parts.external_id,
        ..bumped.group
    };
    if renamed {
        store::rename_group(&mut tx, &group)
            .await
            .map_err(|e| name_taken(e, &group.display_name))?;
    }
    record_change(
        &mut tx,
        ctx,
        group.id,
        ProvisioningOperation::Patch,
        AuditAction::GroupUpdated,
        update_detail(group.id, renamed, &change, &outcome),
    )
    .await?;
    let view = view(&mut tx, ctx, &group, response.with_members && !minimal).await?;
    let changed = events::changed(
        group.display_name != before.display_name,
        group.external_id != before.external_id,
        outcome.changed(),
    );
    events::group_changed(
        &mut tx,
        ctx,
        Operation::Patch,
        &group,
        Some(&view),
        Some(body),
        changed,
    )
    .await?;
    tx.commit().await?;
    Ok(Patched { view, minimal })
}

/// DELETE /Groups/{id}: the group, its memberships and its grants.
pub async fn delete_group(
    ctx: &ScimContext<'_>,
    id: uuid::Uuid,
    precondition: Precondition,
) -> ServiceResult<()> {
    let mut tx = ctx.store.begin().await?;
    let group = lock(&mut tx, ctx, id.into(), precondition).await?;
    // Deleting ends every membership, so it is a membership change under rule 19.
    can_edit_group_membership(&members::group_facts(&group), &ctx.directory.actor())?;
    store::delete_group(&mut tx, group.id).await?;
    record_change(
        &mut tx,
        ctx,
        group.id,
        ProvisioningOperation::Delete,
        AuditAction::GroupDeleted,
        json!({ "group_id": group.id, "display_name": group.display_name }),
    )
    .await?;
    events::group_changed(
        &mut tx,
        ctx,
        Operation::Delete,
        &group,
        None,
        None,
        Vec::new(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
