//! SCIM Users on the account model (docs/domain.md rules 12–18): every write is one
//! transaction that loads the facts, asks the domain rules, writes, audits and commits.

mod account_write;
mod create;
mod events;
pub mod resource;

use self::account_write::update_account;
pub use self::create::{create_user, requested_email_of};

use crate::domain::audit::AuditAction;
use serde_json::{json, Map, Value};

use self::resource::{
    asserted_entitlements, current_entitlements, redact_for_stranger, render, split, Groups,
    UserParts,
};
use super::error::{ServiceError, ServiceResult};
use super::provisioning::LoggedWrite;
pub use super::scim_context::{Precondition, ResourceView, ScimContext};
use crate::domain::events::Operation;
use crate::domain::{
    account_view, check_asserted_product_access, on_directory_delete, AccountFacts, AccountStatus,
    AccountView, ProvisionedResource, ProvisioningOperation,
};
use crate::scim::normalize::{check_required, normalize_resource};
use crate::scim::patch::{apply, parse_patch_request, PatchOp};
use crate::scim::schema::user::USER_RESOURCE;
use crate::scim::{ScimError, ScimType};
use crate::store::{self, Account, Derived, RowLock, ScimUser, Tx};

/// A user as the response needs it.
pub type UserView = ResourceView;

/// Directories never delete accounts, so no SCIM rule looks at content.
fn facts(account: &Account) -> AccountFacts {
    super::account_facts(account, 0)
}

/// A user that gives its account no usable email: the detail names the mapping to fix.
fn no_account_email(err: crate::domain::AccountEmailError) -> ServiceError {
    ServiceError::Scim(ScimError::bad_request(
        ScimType::InvalidValue,
        err.to_string(),
    ))
}

/// A userName this directory already uses for another user.
fn user_name_taken(err: store::StoreError, user_name: &str) -> ServiceError {
    match err {
        store::StoreError::Conflict => ServiceError::Scim(ScimError::conflict(format!(
            "userName {user_name:?} is already used by another user of this directory \
             (userNames are compared ignoring case)"
        ))),
        other => other.into(),
    }
}

fn view(ctx: &ScimContext<'_>, user: ScimUser) -> UserView {
    UserView {
        etag: resource::etag(&user),
        resource: shown(ctx, user),
    }
}

/// The resource as this directory may see it (rule 18: another org's account only as a
/// stranger sees it).
fn shown(ctx: &ScimContext<'_>, user: ScimUser) -> Map<String, Value> {
    if account_view(&ctx.directory, facts(&user.account).management) == AccountView::Stranger {
        let mut resource = render(user.clone(), Groups::Shown, ctx.base_url);
        redact_for_stranger(&mut resource, &user);
        return resource;
    }
    render(user, Groups::Shown, ctx.base_url)
}

/// Loads a user for a write, its account row locked (the one lock order every writer
/// follows), and checks `If-Match` against it: one statement.
async fn locked_user(
    tx: &mut Tx,
    ctx: &ScimContext<'_>,
    id: uuid::Uuid,
    precondition: Precondition,
    groups: bool,
) -> ServiceResult<ScimUser> {
    let user = store::scim_user_for_write(tx, ctx.directory.id, id, groups, RowLock::ForUpdate)
        .await?
        .ok_or(ServiceError::NotFound("user"))?;
    precondition.check(user.record.version)?;
    Ok(user)
}

/// The address as the user wrote it, less surrounding space and a trailing root dot
/// (`ann@acme.example.`), which name the same mailbox.
fn stored_email(written: &str) -> String {
    written.trim().trim_end_matches('.').to_owned()
}

/// Fills the account-owned attributes a request did not mention from the account, so they
/// count as "not asserted" (RFC 7644 §3.5.1) rather than as removals.
fn keep_unasserted(parts: &mut UserParts, account: &Account) {
    if let Some(profile) = account.profile.as_object() {
        for (key, value) in profile {
            parts
                .profile
                .entry(key.clone())
                .or_insert_with(|| value.clone());
        }
    }
    if parts.display_name.is_none() {
        parts.display_name = account.display_name.clone();
    }
}

/// GET /Users/{id}.
pub async fn get_user(
    ctx: &ScimContext<'_>,
    id: uuid::Uuid,
    derived: Derived,
) -> ServiceResult<UserView> {
    let mut conn = ctx.store.read().await?;
    let user = store::get_scim_user(&mut conn, ctx.directory.id, id, derived)
        .await?
        .ok_or(ServiceError::NotFound("user"))?;
    Ok(view(ctx, user))
}

/// GET /Users and POST /Users/.search: the total and one page of full resources, each
/// with its position in the list (for cursors).
pub async fn list_users(
    ctx: &ScimContext<'_>,
    query: &store::ListQuery<'_>,
    derived: Derived,
) -> ServiceResult<store::Listed<Map<String, Value>>> {
    let mut conn = ctx.store.read().await?;
    let listed = store::list_scim_users_paged(
        &mut conn,
        ctx.store.page_memo(),
        ctx.directory.id,
        ctx.directory.org,
        query,
        derived,
    )
    .await?;
    let rows = listed
        .rows
        .into_iter()
        .map(|(position, user)| (position, shown(ctx, user)))
        .collect();
    Ok(store::Listed {
        total: listed.total,
        rows,
    })
}

/// How a full replacement treats account-owned attributes the request leaves out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Omitted {
    /// PUT: omitted attributes are cleared where the directory may change them, and "not
    /// asserted" (RFC 7644 §3.5.1) on accounts it may not, so a PUT that repeats what the
    /// IdP knows is not refused over attributes the IdP never had.
    PutSemantics,
    /// PATCH: the new resource was derived from the current one; nothing is omitted.
    Complete,
}

/// What a full replacement of a user is made from. Both are read from the body before the
/// user is locked, so a malformed request fails without waiting for the lock.
enum Replacement {
    /// PUT: the body's resource.
    Put(Map<String, Value>),
    /// PATCH: operations on the current resource, all or none.
    Patch(Vec<PatchOp>),
}

impl Replacement {
    fn omitted(&self) -> Omitted {
        match self {
            Self::Put(_) => Omitted::PutSemantics,
            Self::Patch(_) => Omitted::Complete,
        }
    }

    fn resource(&self, current: &Map<String, Value>) -> ServiceResult<Map<String, Value>> {
        match self {
            Self::Put(resource) => Ok(resource.clone()),
            Self::Patch(ops) => {
                let mut patched = current.clone();
                apply(&USER_RESOURCE, &mut patched, ops)?;
                Ok(normalize_resource(&USER_RESOURCE, &Value::Object(patched))?)
            }
        }
    }
}

/// PUT (`patch` false) and PATCH /Users/{id}: both replace the whole user, and the body is
/// the request a `full` security event carries.
pub async fn write_user(
    ctx: &ScimContext<'_>,
    id: uuid::Uuid,
    body: &Value,
    precondition: Precondition,
    derived: Derived,
    patch: bool,
) -> ServiceResult<UserView> {
    let replacement = if patch {
        Replacement::Patch(parse_patch_request(body)?)
    } else {
        Replacement::Put(normalize_resource(&USER_RESOURCE, body)?)
    };
    let now = store::now_micros();
    // Every write checks that what it was decided on still holds (`ReadGuard`), and is
    // decided again on a new read if not. With one writer (SQLite) that another transaction
    // holds, the user is read before taking it; on PostgreSQL too, and the account's lock is
    // taken by the write itself, or as the transaction begins if it runs statements first.
    // A locked read (after a stale one) may still show the record as it was before the
    // write it waited for. The groups shown are those read: a user write changes none, and
    // no user's lock holds them.
    let mut read_early = None;
    if ctx.store.read_before_writing() {
        let mut conn = ctx.store.read().await?;
        let user = store::scim_user_for_write(
            &mut conn,
            ctx.directory.id,
            id,
            derived.groups,
            RowLock::None,
        )
        .await?
        .ok_or(ServiceError::NotFound("user"))?;
        precondition.check(user.record.version)?;
        read_early = Some(user);
    }
    // The account of a read that turned out stale: it is locked before the next read, which
    // then sees every write before it (SQLite's reads under the writer always do), so a
    // third pass only follows a writer that skipped the account's lock.
    let mut stale = None;
    for _pass in 0..3 {
        let mut tx = ctx.store.begin().await?;
        if let (Some(account), false) = (stale, ctx.store.single_writer()) {
            store::lock_account(&mut tx, account).await?;
        }
        let current = match read_early.take() {
            Some(user) => {
                store::lock_account_when_begun(&mut tx, user.account.id);
                user
            }
            None => locked_user(&mut tx, ctx, id, precondition, derived.groups).await?,
        };
        let Some(replaced) = replace_user(&mut tx, ctx, &current, &replacement, now).await? else {
            // What the write was decided on moved: its transaction is dropped, undone.
            stale = Some(current.account.id);
            continue;
        };
        let (operation, event) = match replacement.omitted() {
            Omitted::PutSemantics => (ProvisioningOperation::Replace, Operation::Put),
            Omitted::Complete => (ProvisioningOperation::Patch, Operation::Patch),
        };
        let user = &replaced.user;
        ctx.log_write(
            &mut tx,
            LoggedWrite {
                operation,
                resource: ProvisionedResource::User,
                resource_id: id,
                account: Some((user.account.id, user.account.email.as_deref())),
                changed: replaced.changed,
            },
        )
        .await?;
        let before = events::Before {
            user: Some(&current),
            status: current.account.status,
        };
        events::user_changed(&mut tx, ctx, event, Some(&before), user, true, Some(body)).await?;
        let committed = account_write::commit_replaced(tx, &current, &replaced, now).await?;
        if !committed {
            stale = Some(current.account.id);
            continue;
        }
        return Ok(view(ctx, replaced.user));
    }
    Err(ServiceError::Scim(ScimError::conflict(
        "the user kept changing while this request was applied; retry",
    )))
}

/// A user as [`replace_user`] leaves it.
struct Replaced {
    user: ScimUser,
    /// Whether the record or its account changed.
    changed: bool,
    /// The write of the account, which the caller sends with the commit.
    account: Option<AccountToWrite>,
    /// The record, when it alone changes: the caller sends its write with the commit.
    record_alone: bool,
}

/// What [`replace_user`] decided to write to the account.
struct AccountToWrite {
    write: account_write::AccountWrite,
    /// The writing directory's record, when it changes with the account.
    own: Option<store::DirectoryUser>,
    /// How often the transaction wrote the record before.
    record_bumps: i64,
}

/// Decides the replacement of `current` and writes the record when it changes apart from
/// the account (whose write it returns); `None` if the record moved since it was read,
/// and nothing written that the caller's rollback does not undo.
async fn replace_user(
    tx: &mut Tx,
    ctx: &ScimContext<'_>,
    current: &ScimUser,
    replacement: &Replacement,
    now: i64,
) -> ServiceResult<Option<Replaced>> {
    let omitted = replacement.omitted();
    let current_resource = render(current.clone(), Groups::Omitted, ctx.base_url);
    let resource = replacement.resource(&current_resource)?;
    check_required(&USER_RESOURCE, &resource)?;
    // A PUT that leaves entitlements out asserts nothing about them; after a PATCH, their
    // absence means the operations removed them.
    let asserted = match omitted {
        Omitted::PutSemantics => asserted_entitlements(&resource),
        Omitted::Complete => Some(asserted_entitlements(&resource).unwrap_or_default()),
    };
    check_asserted_product_access(&current_entitlements(current), asserted.as_ref())?;
    let mut parts = split(&resource);
    if omitted == Omitted::Complete && parts.active.is_none() {
        // `active` is the account's status, which always has a value.
        return Err(ServiceError::Scim(ScimError::bad_request(
            ScimType::InvalidValue,
            "`active` cannot be removed: it is the account's status; send `active: false` to deactivate",
        )));
    }
    let managed_here = ctx.directory.manages(facts(&current.account).management);
    if omitted == Omitted::PutSemantics && !managed_here {
        keep_unasserted(&mut parts, &current.account);
    }
    let account_write = update_account(tx, ctx, &current.account, &parts).await?;
    let account_changed = account_write.changes();
    let record = store::DirectoryUser {
        user_name: parts.user_name.clone(),
        external_id: parts.external_id.clone(),
        attributes: Value::Object(parts.record.clone()),
        updated_at: now,
        ..current.record.clone()
    };
    let record_changed = record.user_name != current.record.user_name
        || record.external_id != current.record.external_id
        || record.attributes != current.record.attributes;
    // A record whose userName changes is written apart from an account whose email moves,
    // so that a conflict names the one that caused it.
    let user_name_moves = crate::domain::fold_case(&record.user_name)
        != crate::domain::fold_case(&current.record.user_name);
    let record_apart =
        record_changed && (!account_changed || (account_write.email_moves && user_name_moves));
    // A record that changes alone goes with the commit; one written apart from its
    // account's write goes first.
    if record_apart && account_changed {
        let written = store::update_directory_user(tx, &record, Some(current.record.version))
            .await
            .map_err(|err| user_name_taken(err, &record.user_name))?;
        if !written {
            return Ok(None);
        }
    }
    // The user as written: read and changed here, nothing read back. Each write of the
    // record bumped its version (its update, the touch).
    let bumps = i64::from(record_apart) + i64::from(account_changed);
    let user = ScimUser {
        record: store::DirectoryUser {
            version: current.record.version + bumps,
            updated_at: if bumps > 0 {
                now
            } else {
                current.record.updated_at
            },
            ..record
        },
        account: account_write.applied(current.account.clone(), now),
        groups: current.groups.clone(),
        entitlements: current.entitlements.clone(),
    };
    let account = account_changed.then(|| AccountToWrite {
        write: account_write,
        own: (record_changed && !record_apart).then(|| user.record.clone()),
        record_bumps: i64::from(record_apart),
    });
    Ok(Some(Replaced {
        user,
        changed: account_changed || record_changed,
        account,
        record_alone: record_apart && !account_changed,
    }))
}

/// DELETE /Users/{id}: unlinks the user and removes it from this directory's groups; a
/// managed account is also deactivated (rule 16). The account and its content remain.
pub async fn delete_user(
    ctx: &ScimContext<'_>,
    id: uuid::Uuid,
    precondition: Precondition,
) -> ServiceResult<()> {
    let now = store::now_micros();
    let mut tx = ctx.store.begin().await?;
    let current = locked_user(&mut tx, ctx, id, precondition, false).await?;
    let effect = on_directory_delete(&ctx.directory, &facts(&current.account));
    let before = events::Before {
        user: None,
        status: current.account.status,
    };
    let mut gone = current.clone();
    // The record goes first: a concurrent group PATCH adding this user holds a share lock
    // on it, so the memberships are removed only after that PATCH has committed.
    store::delete_directory_user(&mut tx, ctx.directory.id, id).await?;
    store::remove_from_directory_groups(&mut tx, ctx.directory.id, current.account.id, now).await?;
    if effect.deactivate {
        // The account is locked and active (the effect says so): it is deactivated here.
        let status = AccountStatus::Deactivated;
        if current.account.tombstoned_at.is_none() {
            store::touch_account_records(&mut tx, current.account.id, now, None, Some(status))
                .await?;
            gone.account.status = status;
        }
        ctx.audit(
            &mut tx,
            Some(current.account.id),
            AuditAction::AccountDeactivated,
            json!({ "reason": "directory_delete" }),
        )
        .await?;
    }
    ctx.audit(
        &mut tx,
        Some(current.account.id),
        AuditAction::DirectoryUserUnlinked,
        json!({ "scim_id": id }),
    )
    .await?;
    ctx.log_write(
        &mut tx,
        LoggedWrite {
            operation: ProvisioningOperation::Delete,
            resource: ProvisionedResource::User,
            resource_id: id,
            account: Some((current.account.id, current.account.email.as_deref())),
            changed: true,
        },
    )
    .await?;
    events::user_changed(
        &mut tx,
        ctx,
        Operation::Delete,
        Some(&before),
        &gone,
        false,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
